"""Anomaly monitors: a power stream through the detectors of core/anomaly.

An entry of this kind watches any integration's power sensor (monitor.py
``SensorMonitor``); Intelergy's meters run theirs built in (meter.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Final

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity

from ...const import DOMAIN, KIND_ANOMALY
from ...models import EntryKind, IntelergyConfigEntry
from ...storage import EntryStore
from .const import CONF_POWER_ENTITY, SAVE_DELAY
from .entity import PROBLEM, AnomalyProblem, sensors
from .flow import AnomalyConfigFlow, AnomalyOptionsFlow
from .meter import async_entry_gave_up, async_entry_takes_over
from .monitor import AnomalyMonitor, SensorMonitor

PLATFORMS: Final = (Platform.BINARY_SENSOR, Platform.SENSOR)


@dataclass(slots=True)
class AnomalyMonitorData:
    """Runtime data of an anomaly monitor entry."""

    monitor: SensorMonitor
    device: Any  # the monitored device, when the sensor has one
    info: DeviceInfo | None

    @property
    def anomaly_monitors(self) -> Sequence[AnomalyMonitor]:
        """The entry's one monitor."""
        return (self.monitor,)

    @property
    def platforms(self) -> Sequence[Platform]:
        """The problem flag and the sensors."""
        return PLATFORMS

    def entities(self, platform: Platform) -> Sequence[Entity]:
        """The problem flag; the baseline, standby power and standby energy."""
        if platform is Platform.BINARY_SENSOR:
            return [AnomalyProblem(self.monitor, PROBLEM, self.device, self.info)]
        return sensors(self.monitor, self.device, self.info)

    def diagnostics(self) -> dict[str, Any]:
        """The detector's configuration, baseline and active anomalies."""
        return self.monitor.diagnostics()


def monitored_device(hass: HomeAssistant, entity_id: str) -> Any:
    """The device of the monitored power sensor, if it has one."""
    entry = er.async_get(hass).async_get(entity_id)
    if entry is None or entry.device_id is None:
        return None
    return dr.async_get(hass).async_get(entry.device_id)


async def async_setup_source(
    hass: HomeAssistant, entry: IntelergyConfigEntry
) -> AnomalyMonitorData:
    """Restore the detector and follow the sensors."""
    store = EntryStore(hass, KIND_ANOMALY, entry.entry_id, delay=SAVE_DELAY)
    monitor = SensorMonitor(
        hass,
        entry.entry_id,
        entry.data,
        entry.options,
        stored=await store.async_load(),
        save=partial(store.schedule_save, lazy=True),  # learning (storage)
    )
    store.bind(monitor.detector.as_dict)
    # The monitor's entities join the monitored device (a plug's problem flag
    # belongs on the plug, as HA's helpers attach to their source's device); a
    # sensor without a device gets one for the monitor.
    info: DeviceInfo | None = None
    if (device := monitored_device(hass, entry.data[CONF_POWER_ENTITY])) is not None:
        monitor.device_id = device.id
    else:
        info = DeviceInfo(
            identifiers={(DOMAIN, f"anomaly_{entry.entry_id}")},
            name=entry.title,
            manufacturer="Intelergy",
            model="Anomaly monitor",
        )
        own = dr.async_get(hass).async_get_or_create(
            config_entry_id=entry.entry_id, **info
        )
        monitor.device_id = own.id
    monitor.async_start()

    async def _stop() -> None:
        monitor.async_stop()
        await store.async_save()

    entry.async_on_unload(_stop)
    # A meter watching the same sensor with its own monitor gives way.
    async_entry_takes_over(hass, monitor.power_entity)
    return AnomalyMonitorData(monitor, device, info)


async def async_remove_source(hass: HomeAssistant, entry: IntelergyConfigEntry) -> None:
    """Hand a meter's power sensor back to the meter's own monitor."""
    async_entry_gave_up(hass, entry.data[CONF_POWER_ENTITY])


ENTRY_KIND: Final = EntryKind(
    setup=async_setup_source,
    config_flow=AnomalyConfigFlow,
    options_flow=AnomalyOptionsFlow,
    remove=async_remove_source,
)
