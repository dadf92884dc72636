"""PZEM-004T v3 energy meters over Modbus (RTU on a serial port or through a TCP gateway)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Final

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity

from ...const import DOMAIN, KIND_PZEM
from ...entity import async_register_device
from ...models import EntryKind, IntelergyConfigEntry
from ...storage import EntryStore
from .coordinator import PzemCoordinator, create_client
from .descriptions import ALARM, SENSORS
from .entity import PzemAlarm, PzemSensor
from .flow import PzemConfigFlow

PLATFORMS: Final = (Platform.BINARY_SENSOR, Platform.SENSOR)
MANUFACTURER: Final = "Peacefair"
MODEL: Final = "PZEM-004T v3"


@dataclass(slots=True)
class PzemSource:
    """Runtime data of a PZEM entry."""

    coordinator: PzemCoordinator
    info: DeviceInfo

    @property
    def platforms(self) -> Sequence[Platform]:
        """Sensors and the power alarm."""
        return PLATFORMS

    def entities(self, platform: Platform) -> Sequence[Entity]:
        """Voltage, current, power, energy, frequency, power factor; the alarm."""
        if platform is Platform.SENSOR:
            return [PzemSensor(self.coordinator, d, self.info) for d in SENSORS]
        return [PzemAlarm(self.coordinator, ALARM, self.info)]

    def diagnostics(self) -> dict[str, Any]:
        """Connection, last reading and the energy total's state."""
        coordinator = self.coordinator
        return {
            "transport": str(coordinator.client.transport),
            "slave": coordinator.client.slave,
            "last_update_success": coordinator.last_update_success,
            "reading": asdict(coordinator.data.reading),
            "energy_kwh": coordinator.data.energy_kwh,
            "counters": coordinator.totalizer.diagnostics(),
        }


async def async_setup_source(
    hass: HomeAssistant, entry: IntelergyConfigEntry
) -> PzemSource:
    """Read the meter once (or raise not-ready)."""
    data = dict(entry.data)
    client = create_client(data)
    store = EntryStore(hass, KIND_PZEM, entry.entry_id)
    coordinator = PzemCoordinator(hass, entry, client, store, await store.async_load())
    try:
        await coordinator.async_config_entry_first_refresh()
    except BaseException:
        await client.close()
        raise
    info = DeviceInfo(
        identifiers={(DOMAIN, str(entry.unique_id))},
        manufacturer=MANUFACTURER,
        model=MODEL,
        name=entry.title,
    )
    async_register_device(hass, entry, info)
    return PzemSource(coordinator, info)


ENTRY_KIND: Final = EntryKind(
    setup=async_setup_source, config_flow=PzemConfigFlow, reconfigure=True
)
