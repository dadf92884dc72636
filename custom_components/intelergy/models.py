"""Types every source kind shares: its runtime data and how it plugs in."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from homeassistant.config_entries import ConfigEntry, ConfigFlow, OptionsFlow
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback


class IntelergyData(Protocol):
    """A set-up source: the runtime data of its config entry."""

    @property
    def platforms(self) -> Sequence[Platform]:
        """The entity platforms this source uses."""

    def entities(self, platform: Platform) -> Sequence[Entity]:
        """The entities of ``platform`` for this entry."""

    def diagnostics(self) -> dict[str, Any]:
        """Source state for diagnostics, already redacted."""


@runtime_checkable
class DynamicData(Protocol):
    """A source whose devices report new entities after set-up (an MQTT meter)."""

    def listen_new_entities(
        self, platform: Platform, add: AddConfigEntryEntitiesCallback
    ) -> None:
        """Keep ``add`` to add ``platform`` entities later."""


type IntelergyConfigEntry = ConfigEntry[IntelergyData]


@dataclass(frozen=True, slots=True)
class EntryKind:
    """One kind of entry: how it is set up and removed, and its flow steps.

    ``config_flow``: a ``ConfigFlow`` mixin holding the kind's steps, each named
    after the kind (``<kind>``, ``<kind>_confirm``, ``<kind>_reauth``,
    ``<kind>_reconfigure``, …) plus the discovery step it answers;
    ``config_flow.py`` composes every kind's mixin. ``reauth``, ``reconfigure``:
    whether the kind has ``<kind>_reauth`` / ``<kind>_reconfigure``; a kind
    without one aborts with a reason instead of reaching another kind's form.
    ``options_flow``: an ``OptionsFlow`` mixin whose ``<kind>`` step edits the
    entry's options, or None.
    """

    setup: Callable[[HomeAssistant, IntelergyConfigEntry], Awaitable[IntelergyData]]
    config_flow: type[ConfigFlow]
    options_flow: type[OptionsFlow] | None = None
    # What a removed entry leaves behind is deleted: its store, by default.
    remove: Callable[[HomeAssistant, IntelergyConfigEntry], Awaitable[None]] | None = (
        None
    )
    reauth: bool = False
    reconfigure: bool = False

    @property
    def options(self) -> bool:
        """Whether entries of this kind have options."""
        return self.options_flow is not None
