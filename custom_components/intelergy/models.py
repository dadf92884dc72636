"""Types every source kind shares: its runtime data and how it plugs in."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from homeassistant.config_entries import ConfigEntry
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
    """How the integration sets up and removes entries of one kind, and its flow steps.

    ``reauth``, ``reconfigure``, ``options``: whether the kind has the step
    ``<kind>_reauth`` / ``<kind>_reconfigure`` in the config flow and ``<kind>``
    in the options flow; the flows dispatch on these, and a kind without one
    aborts with a reason instead of reaching another kind's form.
    """

    setup: Callable[[HomeAssistant, IntelergyConfigEntry], Awaitable[IntelergyData]]
    # What a removed entry leaves behind is deleted: its store, by default.
    remove: Callable[[HomeAssistant, IntelergyConfigEntry], Awaitable[None]] | None = (
        None
    )
    reauth: bool = False
    reconfigure: bool = False
    options: bool = False
