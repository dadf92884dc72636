"""Anomaly monitor entities: a problem flag and the learned baseline.

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
from homeassistant.components.sensor import SensorEntity, SensorEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.util import dt as dt_util

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
# Which anomaly the problem sensor describes when several are active.
PRIORITY = ("current", "voltage", "spike", "long_run", "daily_energy")
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

    async def async_added_to_hass(self) -> None:
        """Refresh after every reading."""
        self.async_on_remove(self.monitor.add_listener(self._refresh))

    @callback
    def _refresh(self) -> None:
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
