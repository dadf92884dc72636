"""Feeds a power stream to an anomaly detector and publishes what it finds.

``AnomalyMonitor`` is one stream's detector, its events and its entities'
listeners; where the readings come from is its subclass's: ``SensorMonitor``
follows any integration's sensors by their states (an anomaly monitor entry),
``MeterMonitor`` (meter.py) a meter's own readings (a monitor built into a
Shelly, ESP32 or PZEM entry).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
import math
from typing import Any, Final, Protocol, runtime_checkable

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
from ...core.anomaly import Anomaly, Detector, DetectorConfig, category_config
from ...core.anomaly.categories import OTHER
from .const import (
    CONF_CATEGORY,
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
    CONF_UNUSUAL_TIME,
    CONF_VOLTAGE_ENTITY,
    CONF_VOLTAGE_HIGH,
    CONF_VOLTAGE_LOW,
    EVENT_ANOMALY,
    TICK,
)

# A stream's power (W), voltage (V) and current (A) now; None: unknown.
type Values = tuple[float | None, float | None, float | None]

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


# Off at 0 (the form's way of saying "no limit").
_OFF_AT_ZERO: Final = frozenset({CONF_RUN_FACTOR, CONF_DAILY_FACTOR})


def detector_config(options: Mapping[str, Any]) -> DetectorConfig:
    """The detector configuration for an entry's options.

    The device category's defaults where a threshold is unset, the set ones
    winning; 0 minutes of longest run, 0 run or daily factor: that check off.
    """
    values: dict[str, Any] = {
        field: None
        if key in _OFF_AT_ZERO and float(options[key]) <= 0
        else float(options[key])
        for key, field in _DETECTOR_FIELDS.items()
        if options.get(key) not in (None, "")
    }
    if (minutes := options.get(CONF_MAX_RUN_MINUTES)) not in (None, ""):
        values["max_run_s"] = float(minutes) * 60 or None
    values["unusual_time"] = bool(options.get(CONF_UNUSUAL_TIME, False))
    return category_config(options.get(CONF_CATEGORY), **values)


def number(state: State | None) -> float | None:
    """A sensor state as a finite number (unknown / unavailable / text: None)."""
    if state is None or state.state in (STATE_UNKNOWN, STATE_UNAVAILABLE):
        return None
    try:
        value = float(state.state)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


@dataclass(frozen=True, slots=True)
class Learning:
    """How far the cold start is: why the baseline is still unknown, and until when.

    ``readings``: "on" readings learned so far (at most ``needed``);
    ``ready_after``: the earliest the baseline can be known (the first "on"
    reading after it, once ``needed`` readings are in), an hour (``warmup_s``)
    after the first "on" reading; ``None`` before that one.
    """

    readings: int
    needed: int
    ready_after: float | None


class AnomalyMonitor(ABC):
    """One monitored stream: a Detector fed readings, what it finds published."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry_id: str,
        config: DetectorConfig,
        stored: Mapping[str, Any] | None,
        save: Callable[[], None],
        *,
        unique_id_prefix: str,
        label: tuple[str, str] | None = None,
        category: str | None = None,
    ) -> None:
        """Restore the detector's learned state (no relearning after a restart).

        ``entry_id``: the entry the events name; ``save``: schedules a save of
        the detector's state (``detector.as_dict()``) by its owner;
        ``unique_id_prefix``: its entities' unique ids are
        ``<prefix>_anomaly`` and ``<prefix>_baseline``; ``label``: what names
        them on a device with several streams (a strip's outlet); ``category``:
        the kind of device (the events and the logbook name it).
        """
        self.hass = hass
        self.entry_id = entry_id
        self.category = category or OTHER
        self.detector = Detector(config, stored, dt_util.get_default_time_zone())
        self.device_id: str | None = None
        self.unique_id_prefix = unique_id_prefix
        self.label = label
        self._save = save
        self._midnight_energy: float | None = None
        self._listeners: list[Callable[[], None]] = []
        self._unsub: list[CALLBACK_TYPE] = []

    @property
    @abstractmethod
    def power_entity(self) -> str | None:
        """The power sensor's entity id (what the events name)."""

    @abstractmethod
    def values(self) -> Values:
        """The present power, voltage and current."""

    def energy(self) -> float | None:
        """An energy counter's present reading (kWh) for the daily check, if any."""
        return None

    @abstractmethod
    def _follow(self) -> list[CALLBACK_TYPE]:
        """Listen for new readings (each calls ``feed``); the unsubscribers."""

    def add_listener(self, listener: Callable[[], None]) -> CALLBACK_TYPE:
        """Call ``listener`` after every reading (entities refresh); its remover."""
        self._listeners.append(listener)

        @callback
        def remove() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return remove

    @property
    def active(self) -> dict[str, Anomaly]:
        """The active anomalies by kind."""
        return {str(kind): anomaly for kind, anomaly in self.detector.active.items()}

    def learning(self) -> Learning | None:
        """The cold start's progress; ``None`` once the baseline is known."""
        if self.detector.baseline is not None:
            return None
        config = self.detector.config
        state = self.detector.as_dict()["baseline"]
        first: float | None = state["first"]
        return Learning(
            readings=min(int(state["count"]), config.warmup_readings),
            needed=config.warmup_readings,
            ready_after=None if first is None else first + config.warmup_s,
        )

    @callback
    def async_start(self) -> None:
        """Follow the readings, tick, and close each local day."""
        self._unsub = [
            *self._follow(),
            async_track_time_interval(self.hass, self._tick, TICK),
            async_track_time_change(
                self.hass, self._midnight, hour=0, minute=0, second=0
            ),
        ]

    @callback
    def async_stop(self) -> None:
        """Stop following (the owner saves the state)."""
        for unsub in self._unsub:
            unsub()
        self._unsub = []

    @callback
    def _tick(self, now: datetime) -> None:
        self.feed(now.timestamp())

    @callback
    def feed(self, timestamp: float) -> None:
        """One reading of the present values; fire events for what started or cleared."""
        power, voltage, current = self.values()
        found = self.detector.update(timestamp, power, voltage, current)
        self._publish(found)

    @callback
    def _midnight(self, now: datetime) -> None:
        """Close the day: its energy from the energy counter when there is one.

        The counter's reading at the previous midnight is kept in memory; after
        a restart (or a counter reset) the detector's own integration of power
        stands in for that day.
        """
        day = (dt_util.as_local(now) - timedelta(seconds=1)).date()
        kwh: float | None = None
        reading = self.energy()
        if (
            reading is not None
            and self._midnight_energy is not None
            and reading >= self._midnight_energy
        ):
            kwh = reading - self._midnight_energy
        self._midnight_energy = reading
        self._publish(self.detector.end_of_day(now.timestamp(), day, kwh))

    def _publish(self, found: list[Anomaly]) -> None:
        entity_id = self.power_entity
        for anomaly in found:
            LOGGER.info(
                "%s: %s %s (%s, threshold %s)",
                entity_id,
                anomaly.kind,
                "detected" if anomaly.active else "cleared",
                round(anomaly.value, 2),
                round(anomaly.threshold, 2),
            )
            self.hass.bus.async_fire(
                EVENT_ANOMALY,
                {
                    "config_entry_id": self.entry_id,
                    "device_id": self.device_id,
                    "entity_id": entity_id,
                    "kind": anomaly.kind,
                    "category": self.category,
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
        self._save()
        for listener in self._listeners:
            listener()

    def diagnostics(self) -> dict[str, Any]:
        """The detector's configuration and learned state."""
        return {
            "config": asdict(self.detector.config),
            "baseline": self.detector.baseline,
            "typical_run_s": self.detector.typical_run_s,
            "standby_w": self.detector.standby,
            "category": self.category,
            "active": {k: asdict(v) for k, v in self.active.items()},
        }


class SensorMonitor(AnomalyMonitor):
    """A monitor entry's stream: any integration's sensors, by their states."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry_id: str,
        data: Mapping[str, Any],
        options: Mapping[str, Any],
        *,
        stored: Mapping[str, Any] | None,
        save: Callable[[], None],
    ) -> None:
        """The sensors named in the entry's ``data``, thresholds from its ``options``."""
        super().__init__(
            hass,
            entry_id,
            detector_config(options),
            stored,
            save,
            unique_id_prefix=entry_id,
            category=options.get(CONF_CATEGORY),
        )
        self._power_entity: str = data[CONF_POWER_ENTITY]
        self.voltage_entity: str | None = data.get(CONF_VOLTAGE_ENTITY)
        self.current_entity: str | None = data.get(CONF_CURRENT_ENTITY)
        self.energy_entity: str | None = data.get(CONF_ENERGY_ENTITY)

    @property
    def power_entity(self) -> str:
        """The power sensor picked in the flow."""
        return self._power_entity

    def values(self) -> Values:
        """The sensors' states as numbers (unavailable, unknown, text: None)."""
        get = self.hass.states.get
        return (
            number(get(self._power_entity)),
            number(get(self.voltage_entity)) if self.voltage_entity else None,
            number(get(self.current_entity)) if self.current_entity else None,
        )

    def energy(self) -> float | None:
        """The energy sensor's state, when the entry names one."""
        if not self.energy_entity:
            return None
        return number(self.hass.states.get(self.energy_entity))

    def _follow(self) -> list[CALLBACK_TYPE]:
        watched = [
            e
            for e in (self._power_entity, self.voltage_entity, self.current_entity)
            if e
        ]
        return [async_track_state_change_event(self.hass, watched, self._changed)]

    @callback
    def _changed(self, event: Event[EventStateChangedData]) -> None:
        self.feed(event.time_fired.timestamp())


@runtime_checkable
class Monitored(Protocol):
    """An entry's runtime data running anomaly monitors (a monitor entry, a meter)."""

    @property
    def anomaly_monitors(self) -> Sequence[AnomalyMonitor]:
        """The entry's monitors (a meter's: none when switched off)."""
