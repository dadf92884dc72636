"""The base of every meter's coordinator: its counter model, persisted, and back-off.

A metered kind (Shelly, ESP32, PZEM) keeps a lifetime energy total per channel
through the one counter model (``core/counter.py``), declared by the kind's
``CounterSpec``. This base owns that model, the entry's store (loaded by the
kind's set-up, saved late after a change and at once at shutdown), the
decision log lines and the back-off of a failing device.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
import math
from typing import Any, Final, override

from homeassistant.components.recorder import history
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform, UnitOfEnergy
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.recorder import get_instance
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util.unit_conversion import EnergyConverter

from ..const import DOMAIN, LOGGER
from ..core.backoff import Backoff
from ..core.counter import (
    CounterSemantics,
    CounterSpec,
    EnergyTotalizer,
    TotalizerUpdate,
)
from ..storage import EntryStore

# States read back per energy sensor after a crash (the last may be "unavailable").
LAST_STATES: Final = 5


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

    def energy_unique_ids(self) -> Mapping[int, str]:
        """Each channel's lifetime energy sensor (kWh), by unique id.

        The totals the recorder has of them catch a crashed store up
        (``_async_setup``); a kind whose counter survives a power cut needs none.
        """
        return {}

    def counted(self, update: TotalizerUpdate, who: str, unit: str) -> None:
        """Log each decision once at warning level; save when the state changed.

        At once after a decision, a channel's first reading or a held track's
        move: what a crash finds in the store is then the last decision, and
        since it the counters only moved on. Lazily when they only moved on:
        after a crash the counters first catch up with the totals the recorder
        has (``energy_unique_ids``, ``_async_setup``), then a counter the device
        keeps (``PERSISTENT``) adds what it moved, and one that starts from 0 at
        boot (a power cut takes Home Assistant and a plug down together) counts
        its new cycle on top. A volatile counter with no energy sensor to catch
        up from is saved promptly.
        """
        for decision in update.decisions:
            LOGGER.warning("%s: %s", who, decision.describe(unit))
        if update.decisions or update.started or update.holding:
            self.store.schedule_save(at_once=True)
        elif update.changed:
            semantics = self.totalizer.spec.semantics
            self.store.schedule_save(
                lazy=semantics is CounterSemantics.PERSISTENT
                or (
                    semantics is CounterSemantics.VOLATILE
                    and bool(self.energy_unique_ids())
                )
            )

    @override
    async def _async_setup(self) -> None:
        """After a crash, catch the store up with the totals the recorder has.

        A store that was not saved at shutdown (``EntryStore.stale``) can be
        older than the last totals shown: the recorder's last state of each
        channel's energy sensor is newer, and ``EnergyTotalizer.floor`` takes it
        when it is plausible. A clean restart reads nothing.
        """
        if not self.store.stale or "recorder" not in self.hass.config.components:
            return
        registry = er.async_get(self.hass)
        entity_ids = {
            channel: entity_id
            for channel, unique_id in self.energy_unique_ids().items()
            if (
                entity_id := registry.async_get_entity_id(
                    Platform.SENSOR, DOMAIN, unique_id
                )
            )
            is not None
        }
        if not entity_ids:
            return
        last = await get_instance(self.hass).async_add_executor_job(
            _last_totals, self.hass, list(entity_ids.values())
        )
        scale = 1000 / self.totalizer.spec.wh_per_unit  # kWh to counter units
        for channel, entity_id in entity_ids.items():
            if (found := last.get(entity_id)) is None:
                continue
            kwh, changed_at = found
            if self.totalizer.floor(channel, kwh * scale, changed_at):
                LOGGER.info(
                    "%s: energy counter %s caught up with the last total recorded "
                    "(%s kWh): Home Assistant stopped without saving it",
                    self.name,
                    channel,
                    kwh,
                )
                self.store.schedule_save(at_once=True)

    @override
    async def async_shutdown(self) -> None:
        """Stop, then save the counters at once."""
        await super().async_shutdown()
        await self.store.async_save()


def _last_totals(
    hass: HomeAssistant, entity_ids: list[str]
) -> dict[str, tuple[float, float]]:
    """Each energy sensor's last total in the recorder: (kWh, when it changed).

    The newest of its last few states that is a number: a sensor that went
    unavailable before Home Assistant stopped still has its total behind that.
    Runs in the recorder's thread pool.
    """
    found: dict[str, tuple[float, float]] = {}
    for entity_id in entity_ids:
        states = history.get_last_state_changes(hass, LAST_STATES, entity_id)
        for state in reversed(states.get(entity_id.lower(), [])):
            if (kwh := _kwh(state)) is not None:
                found[entity_id] = (kwh, state.last_changed_timestamp)
                break
    return found


def _kwh(state: State) -> float | None:
    """A recorded energy state in kWh (``None``: unavailable, not a number)."""
    unit = state.attributes.get("unit_of_measurement")
    if unit not in EnergyConverter.VALID_UNITS:
        return None
    try:
        value = float(state.state)
    except ValueError:
        return None
    if not math.isfinite(value):
        return None
    return EnergyConverter.convert(value, unit, UnitOfEnergy.KILO_WATT_HOUR)
