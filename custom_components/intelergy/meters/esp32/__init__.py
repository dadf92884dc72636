"""ESP32 meters publishing the Intelergy MQTT contract through HA's MQTT integration."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Final

from homeassistant.components import mqtt
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryError, ConfigEntryNotReady
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from ...analytics.anomaly.meter import (
    MeterMonitors,
    MonitoredMeter,
    async_setup_meter_monitors,
)
from ...const import DOMAIN, KIND_ESP32
from ...core.esp32.client import valid_device_id
from ...entity import async_register_device, room_of
from ...models import EntryKind, IntelergyConfigEntry
from ...storage import EntryStore
from .const import CONF_DEVICE_ID, CONF_FIELDS, CONF_PREFIX, CONF_RELAYS
from .coordinator import Esp32Coordinator
from .descriptions import ALWAYS, SENSORS, relay_description
from .entity import MeterRelay, MeterSensor
from .flow import Esp32ConfigFlow, Esp32OptionsFlow, valid_prefix

PLATFORMS: Final = (Platform.BINARY_SENSOR, Platform.SENSOR, Platform.SWITCH)
KIND_NAME: Final = "ESP32 meter"


def device_info(hass: HomeAssistant, entry: IntelergyConfigEntry) -> DeviceInfo:
    """The meter, named after its room and kind ("Kitchen ESP32 meter").

    Without a room, after its kind and device id ("ESP32 meter kitchen-meter"); the
    device can be renamed in Home Assistant. The device id is its serial number.
    """
    identifier = (DOMAIN, str(entry.unique_id))
    device_id = str(entry.data[CONF_DEVICE_ID])
    room = room_of(hass, entry, identifier)
    return DeviceInfo(
        identifiers={identifier},
        manufacturer="Intelergy",
        model="ESP32 energy meter",
        name=f"{room} {KIND_NAME}" if room else f"{KIND_NAME} {device_id}",
        serial_number=device_id,
    )


@dataclass(slots=True)
class Esp32Source(MonitoredMeter):
    """Runtime data of a meter entry: sensors for the fields it reported, its relays."""

    coordinator: Esp32Coordinator
    info: DeviceInfo
    fields: set[str]
    relays: int
    monitors: MeterMonitors = field(default_factory=MeterMonitors)
    _adders: dict[Platform, AddConfigEntryEntitiesCallback] = field(
        default_factory=dict
    )

    @property
    def platforms(self) -> Sequence[Platform]:
        """Sensors, relay switches and the anomaly monitor's problem flag."""
        return PLATFORMS

    def entities(self, platform: Platform) -> Sequence[Entity]:
        """The entities known so far (more are added as the meter reports them)."""
        if platform is Platform.SWITCH:
            return [self._relay(index) for index in range(self.relays)]
        monitor = self.monitors.entities(platform)
        if platform is Platform.BINARY_SENSOR:
            return monitor
        return [
            *(self._sensor(key) for key in SENSORS if key in self.fields),
            *monitor,
        ]

    def listen_new_entities(
        self, platform: Platform, add: AddConfigEntryEntitiesCallback
    ) -> None:
        """Keep ``add`` for entities of fields and relays the meter reports later."""
        self._adders[platform] = add

    def _sensor(self, key: str) -> MeterSensor:
        return MeterSensor(self.coordinator, SENSORS[key], self.info)

    def _relay(self, index: int) -> MeterRelay:
        return MeterRelay(self.coordinator, relay_description(index), self.info, index)

    @callback
    def new_field(self, key: str) -> None:
        """A field reported for the first time: its sensor, remembered in the entry."""
        if key in self.fields:
            return
        self.fields.add(key)
        self._remember()
        if add := self._adders.get(Platform.SENSOR):
            add([self._sensor(key)])

    @callback
    def new_relay(self, index: int) -> None:
        """A relay seen for the first time (and those below it)."""
        if index < self.relays:
            return
        first, self.relays = self.relays, index + 1
        self._remember()
        if add := self._adders.get(Platform.SWITCH):
            add([self._relay(i) for i in range(first, self.relays)])

    def _remember(self) -> None:
        entry = self.coordinator.config_entry
        self.coordinator.hass.config_entries.async_update_entry(
            entry,
            data={
                **entry.data,
                CONF_FIELDS: sorted(self.fields),
                CONF_RELAYS: self.relays,
            },
        )

    def diagnostics(self) -> dict[str, Any]:
        """Availability, the last reading and the energy total's state."""
        coordinator = self.coordinator
        data = coordinator.data
        return {
            "available": coordinator.available,
            "online": coordinator.online,
            "silent": coordinator.silent,
            "mqtt_connected": coordinator.connected,
            "interval_seconds": coordinator.interval,
            "throttle": None
            if coordinator.throttle is None
            else {
                "seconds": coordinator.throttle.seconds,
                "power_w": coordinator.throttle.power_w,
                "energy_kwh": coordinator.throttle.energy_kwh,
            },
            "reading": None if data.reading is None else asdict(data.reading),
            "energy_kwh": data.energy,
            "relays": dict(data.relays),
            "counters": coordinator.totalizer.diagnostics(),
            "dropped_readings": coordinator.dropped,
            "backlog": coordinator.backlog.as_dict(),
            "anomaly_monitors": self.monitors.diagnostics(),
        }


async def async_setup_source(
    hass: HomeAssistant, entry: IntelergyConfigEntry
) -> Esp32Source:
    """Subscribe to the meter's topics (MQTT must be set up)."""
    _check_topics(hass, entry)
    if not await mqtt.async_wait_for_mqtt_client(hass):
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN, translation_key="esp32_mqtt_unavailable"
        )
    store = EntryStore(hass, KIND_ESP32, entry.entry_id)
    coordinator = Esp32Coordinator(hass, entry, store, await store.async_load())
    data = dict(entry.data)
    info = device_info(hass, entry)
    source = Esp32Source(
        coordinator,
        info,
        fields={*ALWAYS, *data.get(CONF_FIELDS, ())},
        relays=int(data.get(CONF_RELAYS, 0)),
    )
    coordinator.new_field_listeners.append(source.new_field)
    coordinator.new_relay_listeners.append(source.new_relay)
    async_register_device(hass, entry, info)
    source.monitors = await async_setup_meter_monitors(
        hass, entry, info, coordinator.anomaly_streams(), coordinator.async_add_listener
    )
    await coordinator.async_start()
    return source


def _check_topics(hass: HomeAssistant, entry: IntelergyConfigEntry) -> None:
    """Refuse an entry whose device id or prefix would subscribe to a wildcard.

    The flow refuses them; an entry stored by an older version, restored from a
    backup or edited by hand could still hold one (``+``, ``#``, more levels):
    it would read every meter's topics as its own. A repair issue says which.
    """
    issue_id = f"esp32_invalid_topic_{entry.entry_id}"
    device_id = str(entry.data.get(CONF_DEVICE_ID, ""))
    prefix = str(entry.data.get(CONF_PREFIX, ""))
    if valid_device_id(device_id) and valid_prefix(prefix):
        ir.async_delete_issue(hass, DOMAIN, issue_id)
        return
    placeholders = {"title": entry.title, "device_id": device_id, "prefix": prefix}
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key="esp32_invalid_topic",
        translation_placeholders=placeholders,
    )
    raise ConfigEntryError(
        translation_domain=DOMAIN,
        translation_key="esp32_invalid_topic",
        translation_placeholders=placeholders,
    )


ENTRY_KIND: Final = EntryKind(
    setup=async_setup_source,
    config_flow=Esp32ConfigFlow,
    options_flow=Esp32OptionsFlow,
    reconfigure=True,
)
