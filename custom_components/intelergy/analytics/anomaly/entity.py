"""Anomaly monitor entities: a problem flag, the learned baseline, the standby.

A monitor entry's join the monitored device (or a device of its own); a meter's
built-in monitors' are on the meter's device.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
)
from homeassistant.const import EntityCategory, UnitOfEnergy
from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.util import dt as dt_util

from ...entity import Shown, shown
from ...quantities import QUANTITIES
from .monitor import AnomalyMonitor

PROBLEM = BinarySensorEntityDescription(
    key="anomaly",
    translation_key="anomaly",
    device_class=BinarySensorDeviceClass.PROBLEM,
)
# A power like every source's, in whole watts.
BASELINE = SensorEntityDescription(
    **(QUANTITIES["power"] | {"suggested_display_precision": 0}),
    key="baseline",
    translation_key="baseline",
    entity_category=EntityCategory.DIAGNOSTIC,
)
# The standby ("always on") power: learned, W like the baseline.
STANDBY_POWER = SensorEntityDescription(
    **(QUANTITIES["power"] | {"suggested_display_precision": 1}),
    key="standby_power",
    translation_key="standby_power",
)
# The standby power over this calendar month so far: an estimate, not metered
# (no state class: it stays out of the long-term statistics and the Energy
# dashboard, which count each kWh once from the meters).
STANDBY_ENERGY = SensorEntityDescription(
    key="standby_energy",
    translation_key="standby_energy",
    device_class=SensorDeviceClass.ENERGY,
    native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
    suggested_display_precision=2,
)
# Which anomaly the problem sensor describes when several are active.
PRIORITY = ("current", "voltage", "spike", "long_run", "daily_energy", "unusual_time")
# The baseline's cold start (the ``status`` attribute, translated).
STATUS_WAITING = "waiting"  # no reading with the device on yet
STATUS_LEARNING = "learning"
STATUS_LEARNED = "learned"


class MonitorEntity(Entity):
    """An entity of a monitor, on the monitored device (or a device of its own)."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(
        self,
        monitor: AnomalyMonitor,
        description: EntityDescription,
        device: Any,
        info: DeviceInfo | None,
    ) -> None:
        """Unique id ``<monitor's prefix>_<key>``: one monitor per power sensor.

        The prefix: a monitor entry's id, or a meter's stream (``<mac>_<outlet>``
        on a Shelly, the entry's unique id on an ESP32 or PZEM meter). On
        ``device`` when given (the monitored sensor's device, as HA's helpers
        attach to their source's device), else on the device ``info`` describes
        (a meter's, or one of the monitor's own). Named after its stream's label
        when it has one: a strip outlet's, as its own entities are named.
        """
        self.monitor = monitor
        self.entity_description = description
        self._attr_unique_id = f"{monitor.unique_id_prefix}_{description.key}"
        if device is not None:
            self.device_entry = device
        else:
            self._attr_device_info = info
        if monitor.label is not None:
            # A strip's outlet, named as its other entities: by the name set on
            # the device ("Lamp anomaly"), else by its number ("Outlet 2 anomaly").
            variant, name = monitor.label
            self._attr_translation_key = f"{variant}_{description.translation_key}"
            self._attr_translation_placeholders = {"channel": name}

    _shown: Shown | None = None

    async def async_added_to_hass(self) -> None:
        """Refresh after every reading; the state written next, when added, is shown."""
        self.async_on_remove(self.monitor.add_listener(self._refresh))
        self._shown = shown(self)

    @callback
    def _refresh(self) -> None:
        """Write the state when what it shows changed (``entity.shown``)."""
        if (now := shown(self)) != self._shown:
            self._shown = now
            self.async_write_ha_state()


class AnomalyProblem(MonitorEntity, BinarySensorEntity):
    """On while an anomaly is active; its attributes describe the most pressing one."""

    @property
    def is_on(self) -> bool:
        """Whether any anomaly is active."""
        return bool(self.monitor.active)

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """kind, value, baseline, threshold, since (and every active kind)."""
        active = self.monitor.active
        if not active:
            return {"kind": None}
        kind = next(k for k in PRIORITY if k in active)
        anomaly = active[kind]
        since: datetime = dt_util.utc_from_timestamp(anomaly.started)
        return {
            "kind": kind,
            "value": round(anomaly.value, 3),
            "baseline": None
            if anomaly.baseline is None
            else round(anomaly.baseline, 3),
            "threshold": round(anomaly.threshold, 3),
            "since": since.isoformat(),
            "active_kinds": sorted(active),
        }


def month_start(now: datetime) -> datetime:
    """The start of ``now``'s local calendar month."""
    local = dt_util.as_local(now)
    return dt_util.start_of_local_day(local.replace(day=1))


def standby_kwh(watts: float | None, now: datetime) -> float | None:
    """The standby energy this month so far: ``watts`` x the hours since it began."""
    if watts is None:
        return None
    hours = (now - month_start(now)).total_seconds() / 3600
    return watts * hours / 1000


class StandbyPowerSensor(MonitorEntity, SensorEntity):
    """The learned standby power (unknown until 6 hours are in)."""

    @property
    def native_value(self) -> float | None:
        """The detector's standby power, W."""
        watts = self.monitor.detector.standby
        return None if watts is None else round(watts, 1)

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """The device category (what the standby is of)."""
        return {"category": self.monitor.category}


class StandbyEnergySensor(MonitorEntity, SensorEntity):
    """The standby power over this calendar month so far (kWh)."""

    @property
    def native_value(self) -> float | None:
        """Standby W x the hours since the month began, kWh."""
        kwh = standby_kwh(self.monitor.detector.standby, dt_util.utcnow())
        return None if kwh is None else round(kwh, 3)

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Since when (the start of the month)."""
        return {"since": month_start(dt_util.utcnow()).isoformat()}


def sensors(
    monitor: AnomalyMonitor, device: Any, info: DeviceInfo | None
) -> list[SensorEntity]:
    """A monitor's sensors: the baseline, the standby power and energy."""
    return [
        BaselineSensor(monitor, BASELINE, device, info),
        StandbyPowerSensor(monitor, STANDBY_POWER, device, info),
        StandbyEnergySensor(monitor, STANDBY_ENERGY, device, info),
    ]


class BaselineSensor(MonitorEntity, SensorEntity):
    """The learned "on" power (unknown during the cold start, which it explains)."""

    @property
    def native_value(self) -> float | None:
        """The detector's baseline, W."""
        baseline = self.monitor.detector.baseline
        return None if baseline is None else round(baseline, 1)

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """``status``; during the cold start why the baseline is unknown, and until when.

        ``readings`` of ``readings_needed`` learned with the device on (the
        count stops at what is needed, so it changes a bounded number of times);
        once they are in, ``ready_after``: the baseline is known at the first
        reading with the device on after it (before, when depends on the device
        being on: ``None``).
        """
        learning = self.monitor.learning()
        if learning is None:
            return {"status": STATUS_LEARNED}
        ready = learning.ready_after
        return {
            "status": STATUS_LEARNING if learning.readings else STATUS_WAITING,
            "readings": learning.readings,
            "readings_needed": learning.needed,
            "ready_after": None
            if ready is None or learning.readings < learning.needed
            else dt_util.utc_from_timestamp(ready).isoformat(),
        }
