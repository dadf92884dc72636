"""Anomaly monitor entities: a problem flag and the learned baseline."""

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
        """Unique id ``<entry id>_<key>``: one monitor per power sensor.

        On the monitored device when the sensor has one (``device``, as HA's
        helpers attach to their source's device), else on a device of its own.
        """
        self.monitor = monitor
        self.entity_description = description
        self._attr_unique_id = f"{monitor.entry.entry_id}_{description.key}"
        if device is not None:
            self.device_entry = device
        else:
            self._attr_device_info = info

    async def async_added_to_hass(self) -> None:
        """Refresh after every reading."""
        self.monitor.add_listener(self._refresh)

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
    """The learned "on" power (unknown during the cold start)."""

    @property
    def native_value(self) -> float | None:
        """The detector's baseline, W."""
        baseline = self.monitor.detector.baseline
        return None if baseline is None else round(baseline, 1)
