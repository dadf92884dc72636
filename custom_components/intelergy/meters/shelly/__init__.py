"""Shelly plugs and relays, Gen1 (HTTP) and Gen2+ (RPC through aioshelly)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import partial
from typing import Any, Final

from aioshelly.exceptions import ShellyError
from homeassistant.const import EVENT_HOMEASSISTANT_STOP, Platform
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity

from ...analytics.anomaly.meter import (
    MeterMonitors,
    MonitoredMeter,
    async_setup_meter_monitors,
)
from ...const import DOMAIN, KIND_SHELLY
from ...entity import async_register_device, room_of
from ...models import EntryKind, IntelergyConfigEntry
from ...storage import EntryStore
from .const import CONF_GEN, CONF_HOST, CONF_PORT, DEFAULT_PORT
from .coordinator import (
    DeviceIdentity,
    Gen1Backend,
    RpcBackend,
    ShellyCoordinator,
    model_name,
)
from .descriptions import (
    CHANNEL_BINARY_SENSORS,
    CHANNEL_SENSORS,
    DEVICE_BINARY_SENSORS,
    DEVICE_SENSORS,
    RELAY,
    ChannelSensorDescription,
)
from .entity import (
    ShellyChannelBinarySensor,
    ShellyChannelEntity,
    ShellyChannelSensor,
    ShellyDeviceBinarySensor,
    ShellyDeviceSensor,
    ShellySwitch,
    outlet_label,
)
from .flow import ShellyConfigFlow, ShellyOptionsFlow

PLATFORMS: Final = (Platform.BINARY_SENSOR, Platform.SENSOR, Platform.SWITCH)


def named_by_user(identity: DeviceIdentity) -> bool:
    """Whether the device has a name of its own, not its host name (``shelly…-<mac>``).

    Without one, aioshelly and the Gen1 backend fall back to the host name
    ("shellyplug-s-F45678", "shellypstripg4-aabbccddeeff") or "Shelly".
    """
    name = identity.name.strip().lower()
    mac = identity.mac.lower()
    default = name.startswith("shelly") and " " not in name and name.endswith(mac[-6:])
    return bool(name) and name != "shelly" and not default


def device_name(identity: DeviceIdentity, room: str | None) -> str:
    """The name given on the device; else its room and model ("Kitchen Shelly Plug S")."""
    if named_by_user(identity):
        return identity.name
    model = model_name(identity.model)
    return f"{room} {model}" if room else model


def device_info(
    identity: DeviceIdentity, host: str, port: int, room: str | None = None
) -> DeviceInfo:
    """One HA device per Shelly, keyed and connected by its MAC."""
    mac = dr.format_mac(identity.mac)
    return DeviceInfo(
        identifiers={(DOMAIN, mac)},
        connections={(dr.CONNECTION_NETWORK_MAC, mac)},
        manufacturer="Shelly",
        model=model_name(identity.model),
        model_id=identity.model,
        name=device_name(identity, room),
        sw_version=identity.firmware,
        hw_version=f"Gen{identity.gen}",
        configuration_url=f"http://{host}"
        if port == DEFAULT_PORT
        else f"http://{host}:{port}",
    )


@dataclass(slots=True)
class ShellySource(MonitoredMeter):
    """Runtime data of a Shelly entry."""

    coordinator: ShellyCoordinator
    info: DeviceInfo
    monitors: MeterMonitors

    @property
    def platforms(self) -> Sequence[Platform]:
        """Switches, sensors and problem flags."""
        return PLATFORMS

    def entities(self, platform: Platform) -> Sequence[Entity]:
        """Entities for the values the device reports."""
        coordinator = self.coordinator
        data = coordinator.data
        mac = str(coordinator.config_entry.unique_id).replace(":", "")
        channels = data.status.channels

        def per_channel(
            entity: type[ShellyChannelEntity], descriptions: Iterable[Any]
        ) -> list[Entity]:
            return [
                entity(
                    coordinator,
                    description,
                    self.info,
                    mac=mac,
                    channel=channel,
                    multichannel=len(channels) > 1,
                )
                for channel in channels
                for description in descriptions
                if not isinstance(description, ChannelSensorDescription)
                or description.value_fn(channel, data) is not None
            ]

        if platform is Platform.SWITCH:
            return per_channel(ShellySwitch, [RELAY])
        if platform is Platform.SENSOR:
            return [
                *per_channel(ShellyChannelSensor, CHANNEL_SENSORS),
                *(
                    ShellyDeviceSensor(coordinator, d, self.info, mac)
                    for d in DEVICE_SENSORS
                    if d.value_fn(data) is not None
                ),
                *self.monitors.entities(platform),
            ]
        return [
            *per_channel(ShellyChannelBinarySensor, CHANNEL_BINARY_SENSORS),
            *(
                ShellyDeviceBinarySensor(coordinator, d, self.info, mac)
                for d in DEVICE_BINARY_SENSORS
                if data.status.temperature is not None
            ),
            *self.monitors.entities(platform),
        ]

    def diagnostics(self) -> dict[str, Any]:
        """Identity, connection, last status and the energy totals' state.

        Diagnostics are downloaded when something is wrong, often while the device
        is offline, and must then say what is known rather than fail: aioshelly
        raises ``NotInitialized`` for the device's ``shelly`` / ``config`` /
        ``status`` once a reconnect attempt has reset it, and the Gen1 backend
        forgets ``/settings`` after a failed poll (``RuntimeError``). The identity
        is then the one read at set-up (``identity_from``: ``"setup"`` instead of
        ``"device"``), ``connected`` is false and ``status`` is the last one
        received.
        """
        coordinator = self.coordinator
        backend = coordinator.backend
        connected = coordinator.last_update_success
        if isinstance(backend, RpcBackend):
            connected = (
                connected and backend.device.initialized and backend.device.connected
            )
        try:
            identity, source = asdict(backend.identity), "device"
        except ShellyError, RuntimeError:  # NotInitialized is a ShellyError
            identity, source = self._setup_identity(), "setup"
        return {
            "connected": connected,
            "identity": identity,
            "identity_from": source,
            "last_update_success": coordinator.last_update_success,
            "status": asdict(coordinator.data.status),
            "energy_kwh": coordinator.data.energy_kwh,
            "counters": coordinator.totalizer.diagnostics(),
            "anomaly_monitors": self.monitors.diagnostics(),
        }

    def _setup_identity(self) -> dict[str, Any]:
        """``DeviceIdentity``'s fields as read at set-up (the device registry's)."""
        entry = self.coordinator.config_entry
        return {
            "mac": str(entry.unique_id).replace(":", "").upper(),
            "gen": entry.data[CONF_GEN],
            "model": self.info.get("model_id"),
            "name": self.info.get("name"),
            "firmware": self.info.get("sw_version"),
        }


async def async_setup_source(
    hass: HomeAssistant, entry: IntelergyConfigEntry
) -> ShellySource:
    """Connect, read the first status (or raise not-ready / auth-failed)."""
    data = dict(entry.data)
    mac = str(entry.unique_id).replace(":", "")
    backend: Gen1Backend | RpcBackend = (
        Gen1Backend(hass, data, mac)
        if data[CONF_GEN] == 1
        else RpcBackend(hass, data, mac)
    )
    store = EntryStore(hass, KIND_SHELLY, entry.entry_id)
    coordinator = ShellyCoordinator(
        hass, entry, backend, store, await store.async_load()
    )
    try:
        await coordinator.async_config_entry_first_refresh()
    except BaseException:
        await backend.shutdown()
        raise

    async def _stop(_: Event) -> None:
        await coordinator.async_shutdown()

    entry.async_on_unload(hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, _stop))

    identity = backend.identity
    room = room_of(hass, entry, (DOMAIN, dr.format_mac(identity.mac)))
    info = device_info(identity, data[CONF_HOST], data[CONF_PORT], room)
    async_register_device(hass, entry, info)
    gen = int(data[CONF_GEN])
    monitors = await async_setup_meter_monitors(
        hass,
        entry,
        info,
        coordinator.anomaly_streams(partial(outlet_label, gen)),
        coordinator.async_add_listener,
    )
    return ShellySource(coordinator, info, monitors)


ENTRY_KIND: Final = EntryKind(
    setup=async_setup_source,
    config_flow=ShellyConfigFlow,
    options_flow=ShellyOptionsFlow,
    reauth=True,
    reconfigure=True,
)
