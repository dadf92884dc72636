"""The base of every meter's coordinator: its counter model, persisted, and back-off.

A metered kind (Shelly, ESP32, PZEM) keeps a lifetime energy total per channel
through the one counter model (``core/counter.py``), declared by the kind's
``CounterSpec``. This base owns that model, the entry's store (loaded by the
kind's set-up, saved late after a change and at once at shutdown), the
decision log lines and the back-off of a failing device.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, override

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator

from ..const import LOGGER
from ..core.backoff import Backoff
from ..core.counter import (
    CounterSemantics,
    CounterSpec,
    EnergyTotalizer,
    TotalizerUpdate,
)
from ..storage import EntryStore


class MeteredCoordinator[DataT](DataUpdateCoordinator[DataT]):
    """A device's coordinator whose energy counters go through the counter model."""

    config_entry: ConfigEntry[Any]

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        *,
        name: str,
        spec: CounterSpec,
        store: EntryStore,
        stored: dict[str, Any] | None,
        update_interval: timedelta | None = None,
    ) -> None:
        """Restore the counter model from ``stored`` (``totalizer_state()``)."""
        # What async_shutdown uses, before the base class registers it.
        self.totalizer = EnergyTotalizer(spec, self.totalizer_state(stored))
        self.store = store
        store.bind(self.stored)
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=name,
            update_interval=update_interval,
        )
        self.backoff = Backoff()

    def totalizer_state(self, stored: dict[str, Any] | None) -> dict[str, Any] | None:
        """The counter model's part of what the store held (all of it by default)."""
        return stored

    def stored(self) -> dict[str, Any]:
        """What the store keeps (the counter model by default)."""
        return self.totalizer.as_dict()

    def counted(self, update: TotalizerUpdate, who: str, unit: str) -> None:
        """Log each decision once at warning level; save when the state changed.

        Lazily when the counters only moved on and the device keeps its counter
        through a restart (``PERSISTENT``: after a crash the next reading adds
        what it moved since the saved one); promptly after a decision, and for a
        counter that starts from 0 at boot: a power cut takes Home Assistant and
        a plug down together, and what the plug counted after the last save is
        gone with its counter.
        """
        for decision in update.decisions:
            LOGGER.warning("%s: %s", who, decision.describe(unit))
        if update.changed:
            persistent = self.totalizer.spec.semantics is CounterSemantics.PERSISTENT
            self.store.schedule_save(lazy=persistent and not update.decisions)

    @override
    async def async_shutdown(self) -> None:
        """Stop, then save the counters at once."""
        await super().async_shutdown()
        await self.store.async_save()
