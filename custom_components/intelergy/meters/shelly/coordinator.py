"""One coordinator per Shelly device: Gen1 polled over HTTP, Gen2+ pushed over RPC."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Protocol, override

from aioshelly.common import ConnectionOptions, get_info
from aioshelly.const import DEVICES
from aioshelly.exceptions import InvalidAuthError, MacAddressMismatchError, ShellyError
from aioshelly.rpc_device import RpcDevice, RpcUpdateType
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed, HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.update_coordinator import UpdateFailed
from homeassistant.util import dt as dt_util

from ...analytics.anomaly.meter import Stream
from ...analytics.anomaly.monitor import Values
from ...const import DOMAIN, LOGGER
from ...core.counter import CounterSemantics, CounterSpec
from ...core.shelly.client import (
    ChannelStatus,
    DeviceStatus,
    Gen1Client,
    StatusError,
    parse_gen1,
    parse_rpc,
)
from ...storage import EntryStore
from ..coordinator import MeteredCoordinator
from .const import (
    CONF_HOST,
    CONF_PASSWORD,
    CONF_PORT,
    CONF_USERNAME,
    DEFAULT_MAX_POWER_W,
    GEN1_POLL_INTERVAL,
    MAX_POWER_W,
    REQUEST_TIMEOUT,
    RPC_POLL_INTERVAL,
    RPC_USERNAME,
    UPTIME_TOLERANCE_SECONDS,
)


def counter_spec(model: str | None) -> CounterSpec:
    """What a Shelly's energy counters do: volatile, in Wh, rated by model.

    Gen1 ``meters[].total`` and Gen2+ ``switch:<n>.aenergy.total`` are kept in
    RAM: they start again from 0 when the device boots (and Gen2+
    ``Switch.ResetCounters`` zeroes them). Restarts are told by ``uptime``
    (Gen1 ``uptime``, Gen2+ ``sys.uptime``). A firmware that kept its counter
    across a reboot is still counted once: the totalizer sees a counter larger
    than the device could have used since boot and carries the total on.
    """
    return CounterSpec(
        CounterSemantics.VOLATILE,
        MAX_POWER_W.get(model or "", DEFAULT_MAX_POWER_W),
        wh_per_unit=1.0,
    )


def model_name(model: str) -> str:
    """Shelly's marketing name for a model id (the id when aioshelly does not know it)."""
    device = DEVICES.get(model)
    return device.name if device else model


@dataclass(frozen=True, slots=True)
class DeviceIdentity:
    """What the device says it is."""

    mac: str  # as the device reports it: 12 upper-case hex digits
    gen: int
    model: str  # Shelly's model id, e.g. SHPLG-S or S4PL-00416EU
    name: str
    firmware: str


@dataclass(frozen=True, slots=True)
class ShellyData:
    """The last status and the lifetime energy totals (kWh) derived from it."""

    status: DeviceStatus
    energy_kwh: dict[int, float]
    booted_at: datetime | None


class Backend(Protocol):
    """How one generation is read and switched."""

    poll_interval: timedelta

    @property
    def identity(self) -> DeviceIdentity:
        """The device's identity (valid after the first refresh)."""

    async def refresh(self) -> DeviceStatus:
        """Connect if needed and read the full status."""

    async def set_output(self, channel: int, on: bool) -> None:
        """Switch a relay."""

    async def shutdown(self) -> None:
        """Release connections."""


class Gen1Backend:
    """Gen1: ``/settings`` once per connection, ``/status`` every poll."""

    poll_interval = GEN1_POLL_INTERVAL

    def __init__(self, hass: HomeAssistant, data: dict[str, Any], mac: str) -> None:
        """Client on HA's shared session; ``mac`` guards against a re-used IP."""
        self._session = async_get_clientsession(hass)
        self._host: str = data[CONF_HOST]
        self._port: int = data[CONF_PORT]
        self._mac = mac
        self.client = Gen1Client(
            self._session,
            self._host,
            self._port,
            username=data.get(CONF_USERNAME),
            password=data.get(CONF_PASSWORD),
            timeout=REQUEST_TIMEOUT,
        )
        self._shelly: dict[str, Any] | None = None
        self._settings: dict[str, Any] | None = None

    @property
    def identity(self) -> DeviceIdentity:
        """From ``/shelly`` and ``/settings``."""
        if self._shelly is None or self._settings is None:
            raise RuntimeError("Gen1 device not read yet")
        device = self._settings.get("device", {})
        return DeviceIdentity(
            mac=str(self._shelly["mac"]),
            gen=1,
            model=str(self._shelly.get("type", "")),
            name=str(self._settings.get("name") or device.get("hostname") or "Shelly"),
            firmware=str(self._shelly.get("fw", "")),
        )

    async def refresh(self) -> DeviceStatus:
        """Re-read the device description after any failure, then the status."""
        try:
            if self._settings is None:
                self._shelly = await get_info(
                    self._session, self._host, self._mac, port=self._port
                )
                self._settings = await self.client.settings()
            return parse_gen1(await self.client.status(), self._settings)
        except ShellyError, StatusError:
            self._settings = None
            raise

    async def set_output(self, channel: int, on: bool) -> None:
        """``/relay/<n>?turn=on|off``."""
        await self.client.set_relay(channel, on)

    async def shutdown(self) -> None:
        """Nothing is held open between polls."""


class RpcBackend:
    """Gen2+: aioshelly's RPC device over its websocket, which pushes changes."""

    poll_interval = RPC_POLL_INTERVAL

    def __init__(self, hass: HomeAssistant, data: dict[str, Any], mac: str) -> None:
        """The device object; it connects on the first refresh."""
        password = data.get(CONF_PASSWORD)
        self.device = RpcDevice(
            None,
            async_get_clientsession(hass),
            ConnectionOptions(
                ip_address=data[CONF_HOST],
                port=data[CONF_PORT],
                username=RPC_USERNAME if password is not None else None,
                password=password,
                device_mac=mac,
            ),
        )

    @property
    def identity(self) -> DeviceIdentity:
        """From ``Shelly.GetDeviceInfo`` and ``Shelly.GetConfig``."""
        device = self.device
        return DeviceIdentity(
            mac=str(device.shelly["mac"]),
            gen=device.gen,
            model=device.model,
            name=device.name,
            firmware=str(device.shelly.get("ver") or device.firmware_version),
        )

    def status(self) -> DeviceStatus:
        """The status aioshelly keeps merged from pushes."""
        return parse_rpc(self.device.status, self.device.config)

    async def refresh(self) -> DeviceStatus:
        """(Re)connect when the websocket is down, else poll ``Shelly.GetStatus``."""
        device = self.device
        if device.initialized and device.connected:
            await device.poll()
        else:
            await device.initialize()
        return self.status()

    async def set_output(self, channel: int, on: bool) -> None:
        """``Switch.Set``; the new state comes back as a push."""
        await self.device.switch_set(channel, on)

    async def shutdown(self) -> None:
        """Close the websocket."""
        await self.device.shutdown()


class ShellyCoordinator(MeteredCoordinator[ShellyData]):
    """Keeps the device's status, folds counter resets, backs off when unreachable."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        backend: Gen1Backend | RpcBackend,
        store: EntryStore,
        stored: dict[str, Any] | None,
    ) -> None:
        """Poll at the generation's interval; totals restored from ``stored``."""
        # Before the base class registers async_shutdown with the entry.
        self.backend = backend
        super().__init__(
            hass,
            entry,
            name=f"Shelly {entry.data[CONF_HOST]}",
            spec=counter_spec(None),
            store=store,
            stored=stored,
            update_interval=backend.poll_interval,
        )
        self._booted_at: datetime | None = None
        if isinstance(backend, RpcBackend):
            backend.device.subscribe_updates(self._rpc_update)

    @override
    async def _async_update_data(self) -> ShellyData:
        try:
            status = await self.backend.refresh()
        except InvalidAuthError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN,
                translation_key="shelly_invalid_auth",
                translation_placeholders={"host": self._host},
            ) from err
        except MacAddressMismatchError as err:
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                self._wrong_device_issue,
                is_fixable=False,
                severity=ir.IssueSeverity.ERROR,
                translation_key="shelly_wrong_device",
                translation_placeholders={
                    "title": self.config_entry.title,
                    "host": self._host,
                },
            )
            raise self._failed(err, translation_key="shelly_wrong_device") from err
        except (ShellyError, StatusError) as err:
            raise self._failed(err, translation_key="shelly_unreachable") from err
        self.backoff.succeeded()
        ir.async_delete_issue(self.hass, DOMAIN, self._wrong_device_issue)
        # The device is read: its model rates its counters.
        self.totalizer.spec = counter_spec(self.backend.identity.model)
        return self._accept(status)

    @override
    def energy_unique_ids(self) -> dict[int, str]:
        """Each outlet's lifetime energy sensor (``<mac>_<outlet>_energy``)."""
        mac = str(self.config_entry.unique_id).replace(":", "")
        return {
            channel: f"{mac}_{channel}_energy" for channel in self.totalizer.channels
        }

    def anomaly_streams(
        self, label: Callable[[ChannelStatus], tuple[str, str]]
    ) -> list[Stream]:
        """A stream per outlet reporting its power: each gets an anomaly monitor.

        Keyed, and its entities' unique ids prefixed, like the outlet's own
        (``<mac>_<outlet>``); on a strip named as ``label(outlet)`` says (the
        outlet's own entities' translation variant and name).
        """
        mac = str(self.config_entry.unique_id).replace(":", "")
        channels = self.data.status.channels
        return [
            Stream(
                key=str(channel.id),
                unique_id_prefix=f"{mac}_{channel.id}",
                power_unique_id=f"{mac}_{channel.id}_power",
                values=partial(self._channel_values, channel.id),
                energy=partial(self._channel_energy, channel.id),
                label=label(channel) if len(channels) > 1 else None,
            )
            for channel in channels
            if channel.power is not None
        ]

    def _channel_values(self, channel_id: int) -> Values:
        """An outlet's power, voltage and current now (none while unreachable)."""
        if self.last_update_success:
            for channel in self.data.status.channels:
                if channel.id == channel_id:
                    return channel.power, channel.voltage, channel.current
        return None, None, None

    def _channel_energy(self, channel_id: int) -> float | None:
        """An outlet's lifetime energy (kWh)."""
        if not self.last_update_success:
            return None
        return self.data.energy_kwh.get(channel_id)

    @property
    def _wrong_device_issue(self) -> str:
        return f"shelly_wrong_device_{self.config_entry.entry_id}"

    @property
    def _host(self) -> str:
        return (
            f"{self.config_entry.data[CONF_HOST]}:{self.config_entry.data[CONF_PORT]}"
        )

    def _failed(self, err: Exception, *, translation_key: str) -> UpdateFailed:
        """A translated failure; the next attempt backs off (5 s doubling to 5 min)."""
        return UpdateFailed(
            translation_domain=DOMAIN,
            translation_key=translation_key,
            translation_placeholders={
                "host": self._host,
                "error": str(err) or repr(err),
            },
            retry_after=self.backoff.failed(),
        )

    @callback
    def _accept(self, status: DeviceStatus, *, pushed: bool = False) -> ShellyData:
        """Fold the counters into lifetime totals and persist them.

        A Gen2+ push carries no ``sys.uptime``: aioshelly's merged status keeps
        the one read at the last poll, which is no news about restarts (taken as
        fresh, a young device's cached uptime would look like a reboot 30 s
        later). Restarts are judged on polls only (every 60 s).
        """
        now = dt_util.utcnow()
        update = self.totalizer.update(
            now.timestamp(),
            None if pushed else status.uptime,
            {channel.id: channel.energy_wh for channel in status.channels},
        )
        self.counted(update, self._host, "Wh")
        if status.uptime is not None:
            booted_at = now - timedelta(seconds=status.uptime)
            if (
                self._booted_at is None
                or abs((booted_at - self._booted_at).total_seconds())
                > UPTIME_TOLERANCE_SECONDS
            ):
                self._booted_at = booted_at.replace(microsecond=0)
        return ShellyData(
            status=status,
            # Wh to kWh; the counters resolve a watt-minute at best.
            energy_kwh={k: round(v / 1000, 6) for k, v in update.totals.items()},
            booted_at=self._booted_at,
        )

    @callback
    def _rpc_update(self, device: RpcDevice, update_type: RpcUpdateType) -> None:
        """Aioshelly callback: a pushed status, or the websocket closed."""
        if update_type is RpcUpdateType.STATUS and isinstance(self.backend, RpcBackend):
            try:
                status = self.backend.status()
            except StatusError as err:
                LOGGER.warning("%s: ignoring a pushed status: %s", self._host, err)
                return
            self.backoff.succeeded()
            self.async_set_updated_data(self._accept(status, pushed=True))
        elif update_type is RpcUpdateType.DISCONNECTED:
            # Logged once by the coordinator; entities go unavailable until the
            # reconnection (backing off while it fails) succeeds.
            self.async_set_update_error(
                UpdateFailed(
                    translation_domain=DOMAIN,
                    translation_key="shelly_unreachable",
                    translation_placeholders={
                        "host": self._host,
                        "error": "connection closed",
                    },
                )
            )
            self.config_entry.async_create_background_task(
                self.hass, self.async_request_refresh(), "intelergy shelly reconnect"
            )

    async def async_set_output(self, channel: int, on: bool) -> None:
        """Switch a relay; Gen1 is read back at once, Gen2+ pushes its new state."""
        try:
            await self.backend.set_output(channel, on)
        except ShellyError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="shelly_command_failed",
                translation_placeholders={"host": self._host, "error": str(err)},
            ) from err
        if isinstance(self.backend, Gen1Backend):
            # Read the relay and meter back at once (not debounced: a second
            # command right after the first must show too).
            await self.async_refresh()

    @override
    async def async_shutdown(self) -> None:
        """Save the totals, close the connection."""
        await super().async_shutdown()
        await self.backend.shutdown()
