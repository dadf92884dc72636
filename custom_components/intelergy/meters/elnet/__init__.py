"""ELNET prepaid-meter accounts: HTTP JSON API with a bearer token."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Final

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.event import async_track_time_change

from ...const import DOMAIN
from ...models import EntryKind, IntelergyConfigEntry
from .const import CONF_TOKEN, CONF_URL
from .coordinator import ElnetCoordinator, create_client
from .descriptions import BINARY_SENSORS, SENSORS
from .entity import ElnetBinarySensor, ElnetSensor
from .flow import ElnetConfigFlow, ElnetOptionsFlow

PLATFORMS: Final = (Platform.BINARY_SENSOR, Platform.SENSOR)


@dataclass(slots=True)
class ElnetSource:
    """Runtime data of an ELNET entry."""

    coordinator: ElnetCoordinator

    @property
    def platforms(self) -> Sequence[Platform]:
        """ELNET entries have sensors and binary sensors."""
        return PLATFORMS

    @property
    def device_info(self) -> DeviceInfo:
        """One device per meter."""
        serial = self.coordinator.data.home.meter_serial
        return DeviceInfo(
            identifiers={(DOMAIN, serial)},
            manufacturer="ELNET",
            model="Prepaid energy meter",
            name=f"ELNET meter {serial}",
            serial_number=serial,
        )

    def entities(self, platform: Platform) -> Sequence[Entity]:
        """Entities of ``platform``, built from the descriptions."""
        info = self.device_info
        if platform is Platform.SENSOR:
            return [ElnetSensor(self.coordinator, d, info) for d in SENSORS]
        return [ElnetBinarySensor(self.coordinator, d, info) for d in BINARY_SENSORS]

    def diagnostics(self) -> dict[str, Any]:
        """Last reading, tracker state and energy counters (redacted by the caller)."""
        coordinator = self.coordinator
        data = coordinator.data
        return {
            "last_update_success": coordinator.last_update_success,
            "update_interval_seconds": (
                None
                if coordinator.update_interval is None
                else coordinator.update_interval.total_seconds()
            ),
            "live": asdict(data.live),
            "home": asdict(data.home),
            "source": str(data.source),
            "stale": data.stale,
            # The event state; the energy counters (spec, decisions counted,
            # channels, holds) come from the totalizer itself.
            "tracker": {
                key: value
                for key, value in coordinator.tracker.as_dict().items()
                if key != "energy"
            },
            "energy": coordinator.tracker.energy.diagnostics(),
        }


async def async_setup_source(
    hass: HomeAssistant, entry: IntelergyConfigEntry
) -> ElnetSource:
    """Connect, fetch the first reading (or raise not-ready / auth-failed)."""
    client = create_client(hass, entry.data[CONF_URL], entry.data[CONF_TOKEN])
    coordinator = ElnetCoordinator(hass, entry, client)
    await coordinator.async_config_entry_first_refresh()
    entry.async_on_unload(
        async_track_time_change(
            hass, coordinator.async_end_of_day, hour=0, minute=0, second=0
        )
    )
    return ElnetSource(coordinator)


ENTRY_KIND: Final = EntryKind(
    setup=async_setup_source,
    config_flow=ElnetConfigFlow,
    options_flow=ElnetOptionsFlow,
    reauth=True,
    reconfigure=True,
)
