"""Feeds a power sensor's states to an anomaly detector and publishes what it finds."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict
from datetime import datetime, timedelta
import math
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import (
    CALLBACK_TYPE,
    Event,
    EventStateChangedData,
    HomeAssistant,
    State,
    callback,
)
from homeassistant.helpers.event import (
    async_track_state_change_event,
    async_track_time_change,
    async_track_time_interval,
)
from homeassistant.util import dt as dt_util

from ...const import LOGGER
from ...core.anomaly import Anomaly, Detector, DetectorConfig
from ...storage import EntryStore
from .const import (
    CONF_CURRENT_ENTITY,
    CONF_CURRENT_MAX,
    CONF_DAILY_FACTOR,
    CONF_DEBOUNCE,
    CONF_ENERGY_ENTITY,
    CONF_K,
    CONF_MAX_RUN_MINUTES,
    CONF_MIN_WATTS,
    CONF_POWER_ENTITY,
    CONF_RUN_FACTOR,
    CONF_VOLTAGE_ENTITY,
    CONF_VOLTAGE_HIGH,
    CONF_VOLTAGE_LOW,
    EVENT_ANOMALY,
    TICK,
)

_DETECTOR_FIELDS: Final = {
    CONF_K: "k",
    CONF_MIN_WATTS: "min_watts",
    CONF_DEBOUNCE: "debounce_s",
    CONF_RUN_FACTOR: "run_factor",
    CONF_VOLTAGE_LOW: "voltage_low",
    CONF_VOLTAGE_HIGH: "voltage_high",
    CONF_CURRENT_MAX: "current_max",
    CONF_DAILY_FACTOR: "daily_factor",
}


def detector_config(options: Mapping[str, Any]) -> DetectorConfig:
    """The detector configuration for an entry's options (defaults where unset)."""
    values: dict[str, Any] = {
        field: float(options[key])
        for key, field in _DETECTOR_FIELDS.items()
        if options.get(key) not in (None, "")
    }
    if (minutes := options.get(CONF_MAX_RUN_MINUTES)) not in (None, "", 0):
        values["max_run_s"] = float(minutes) * 60
    return DetectorConfig(**values)


def number(state: State | None) -> float | None:
    """A sensor state as a finite number (unknown / unavailable / text: None)."""
    if state is None or state.state in (STATE_UNKNOWN, STATE_UNAVAILABLE):
        return None
    try:
        value = float(state.state)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


class AnomalyMonitor:
    """One monitored stream: a Detector fed from HA states, persisted in a Store."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        store: EntryStore,
        stored: dict[str, Any] | None,
    ) -> None:
        """Restore the detector's learned state (no relearning after a restart)."""
        self.hass = hass
        self.entry = entry
        self.power_entity: str = entry.data[CONF_POWER_ENTITY]
        self.voltage_entity: str | None = entry.data.get(CONF_VOLTAGE_ENTITY)
        self.current_entity: str | None = entry.data.get(CONF_CURRENT_ENTITY)
        self.energy_entity: str | None = entry.data.get(CONF_ENERGY_ENTITY)
        self.detector = Detector(detector_config(entry.options), stored)
        self.device_id: str | None = None
        self._midnight_energy: float | None = None
        self._store = store
        store.bind(self.detector.as_dict)
        self._listeners: list[Callable[[], None]] = []
        self._unsub: list[CALLBACK_TYPE] = []

    def add_listener(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after every reading (entities refresh)."""
        self._listeners.append(listener)

    @property
    def active(self) -> dict[str, Anomaly]:
        """The active anomalies by kind."""
        return {str(kind): anomaly for kind, anomaly in self.detector.active.items()}

    @callback
    def async_start(self) -> None:
        """Follow the sensors, tick, and close each local day."""
        watched = [
            e
            for e in (self.power_entity, self.voltage_entity, self.current_entity)
            if e
        ]
        self._unsub = [
            async_track_state_change_event(self.hass, watched, self._changed),
            async_track_time_interval(self.hass, self._tick, TICK),
            async_track_time_change(
                self.hass, self._midnight, hour=0, minute=0, second=0
            ),
        ]

    async def async_stop(self) -> None:
        """Stop following and save the detector."""
        for unsub in self._unsub:
            unsub()
        self._unsub = []
        await self._store.async_save()

    def _values(self) -> tuple[float | None, float | None, float | None]:
        get = self.hass.states.get
        return (
            number(get(self.power_entity)),
            number(get(self.voltage_entity)) if self.voltage_entity else None,
            number(get(self.current_entity)) if self.current_entity else None,
        )

    @callback
    def _changed(self, event: Event[EventStateChangedData]) -> None:
        self.feed(event.time_fired.timestamp())

    @callback
    def _tick(self, now: datetime) -> None:
        self.feed(now.timestamp())

    @callback
    def feed(self, timestamp: float) -> None:
        """One reading of the present values; fire events for what started or cleared."""
        power, voltage, current = self._values()
        found = self.detector.update(timestamp, power, voltage, current)
        self._publish(found)

    @callback
    def _midnight(self, now: datetime) -> None:
        """Close the day: its energy from the energy sensor when there is one.

        The sensor's reading at the previous midnight is kept in memory; after a
        restart (or a counter reset) the detector's own integration of power
        stands in for that day.
        """
        day = (dt_util.as_local(now) - timedelta(seconds=1)).date()
        kwh: float | None = None
        if self.energy_entity:
            reading = number(self.hass.states.get(self.energy_entity))
            if (
                reading is not None
                and self._midnight_energy is not None
                and reading >= self._midnight_energy
            ):
                kwh = reading - self._midnight_energy
            self._midnight_energy = reading
        self._publish(self.detector.end_of_day(now.timestamp(), day, kwh))

    def _publish(self, found: list[Anomaly]) -> None:
        for anomaly in found:
            LOGGER.info(
                "%s: %s %s (%s, threshold %s)",
                self.power_entity,
                anomaly.kind,
                "detected" if anomaly.active else "cleared",
                round(anomaly.value, 2),
                round(anomaly.threshold, 2),
            )
            self.hass.bus.async_fire(
                EVENT_ANOMALY,
                {
                    "config_entry_id": self.entry.entry_id,
                    "device_id": self.device_id,
                    "entity_id": self.power_entity,
                    "kind": anomaly.kind,
                    "active": anomaly.active,
                    "value": anomaly.value,
                    "baseline": anomaly.baseline,
                    "threshold": anomaly.threshold,
                    "started": dt_util.utc_from_timestamp(anomaly.started).isoformat(),
                    "ended": None
                    if anomaly.ended is None
                    else dt_util.utc_from_timestamp(anomaly.ended).isoformat(),
                },
            )
        self._store.schedule_save()
        for listener in self._listeners:
            listener()

    def diagnostics(self) -> dict[str, Any]:
        """The detector's configuration and learned state."""
        return {
            "config": asdict(self.detector.config),
            "baseline": self.detector.baseline,
            "typical_run_s": self.detector.typical_run_s,
            "active": {k: asdict(v) for k, v in self.active.items()},
        }
