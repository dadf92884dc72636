"""Shelly config-flow steps: by host or zeroconf, credentials, reauth, reconfigure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from aioshelly.common import get_info
from aioshelly.exceptions import (
    InvalidAuthError,
    InvalidHostError,
    MacAddressMismatchError,
    ShellyError,
)
from homeassistant.config_entries import (
    SOURCE_REAUTH,
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, selector
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo
import probatio

from ...analytics.anomaly.flow import meter_input, meter_section, meter_values
from ...const import CONF_KIND, CONF_ROOM, KIND_SHELLY, LOGGER
from ...core.shelly.client import StatusError
from ...flow_helpers import ROOM_FIELD, KindOptionsFlow, whole_number, with_area
from .const import (
    CONF_GEN,
    CONF_HOST,
    CONF_PASSWORD,
    CONF_PORT,
    CONF_USERNAME,
    DEFAULT_PORT,
)
from .coordinator import DeviceIdentity, Gen1Backend, RpcBackend, model_name

# Home Assistant's own Shelly integration: its entries' unique ids are MACs.
CORE_SHELLY: Final = "shelly"
PORT_SELECTOR: Final = whole_number(1, 65535)
PASSWORD_SELECTOR: Final = selector.TextSelector(
    selector.TextSelectorConfig(type=selector.TextSelectorType.PASSWORD)
)
HOST_FIELDS: Final = {
    probatio.Required(CONF_HOST): selector.TextSelector(),
    probatio.Required(CONF_PORT, default=DEFAULT_PORT): PORT_SELECTOR,
}
USER_SCHEMA: Final = probatio.Schema({**HOST_FIELDS, **ROOM_FIELD})
RECONFIGURE_SCHEMA: Final = probatio.Schema(HOST_FIELDS)


def credentials_schema(gen: int, *, room: bool) -> probatio.Schema:
    """Password (Gen1 also a user name: Gen2+ always log in as admin), maybe a room."""
    fields: dict[Any, Any] = {}
    if gen == 1:
        fields[probatio.Required(CONF_USERNAME, default="admin")] = (
            selector.TextSelector()
        )
    fields[probatio.Required(CONF_PASSWORD)] = PASSWORD_SELECTOR
    if room:
        fields.update(ROOM_FIELD)
    return probatio.Schema(fields)


def confirm_schema(probe: Probe) -> probatio.Schema:
    """Discovery confirmation: the room, and credentials when the device has a login."""
    if probe.auth:
        return credentials_schema(probe.gen, room=True)
    return probatio.Schema(ROOM_FIELD)


@dataclass(slots=True)
class Probe:
    """What ``GET /shelly`` tells without logging in."""

    host: str
    port: int
    gen: int
    mac: str  # formatted as Home Assistant formats MACs: aa:bb:cc:dd:ee:ff
    model: str
    auth: bool
    name: str | None  # Gen2+ report it here; Gen1 only in /settings

    def data(self, credentials: dict[str, Any]) -> dict[str, Any]:
        """Entry data for this device with ``credentials``."""
        data: dict[str, Any] = {
            CONF_HOST: self.host,
            CONF_PORT: self.port,
            CONF_GEN: self.gen,
        }
        if CONF_PASSWORD in credentials:
            data[CONF_PASSWORD] = credentials[CONF_PASSWORD]
            if self.gen == 1:
                data[CONF_USERNAME] = credentials.get(CONF_USERNAME) or "admin"
        return data


def in_core_shelly(hass: HomeAssistant, mac: str) -> bool:
    """Whether Home Assistant's own Shelly integration has the device ``mac``."""
    return any(
        entry.unique_id and dr.format_mac(entry.unique_id) == mac
        for entry in hass.config_entries.async_entries(CORE_SHELLY)
    )


async def async_probe(hass: HomeAssistant, host: str, port: int) -> Probe | str:
    """Reach the device and detect its generation; an error key when that fails."""
    try:
        info = await get_info(async_get_clientsession(hass), host.strip(), port=port)
        gen = int(info.get("gen", 1))
        return Probe(
            host=host.strip(),
            port=port,
            gen=gen,
            mac=dr.format_mac(str(info["mac"])),
            model=str(info.get("type" if gen == 1 else "model", "")),
            auth=bool(info.get("auth" if gen == 1 else "auth_en", False)),
            name=info.get("name") or None,
        )
    except InvalidHostError:
        return "invalid_host"
    except ShellyError:
        return "cannot_connect"
    except KeyError, TypeError, ValueError:
        LOGGER.warning("%s:%s does not answer like a Shelly device", host, port)
        return "not_shelly"


async def async_connect(
    hass: HomeAssistant, probe: Probe, data: dict[str, Any]
) -> DeviceIdentity | str:
    """Log in and read a full status once; an error key when that fails."""
    mac = probe.mac.replace(":", "")
    backend = (
        Gen1Backend(hass, data, mac) if probe.gen == 1 else RpcBackend(hass, data, mac)
    )
    try:
        await backend.refresh()
    except InvalidAuthError:
        return "invalid_auth"
    except MacAddressMismatchError:
        return "another_device"
    except StatusError:
        return "unsupported_device"
    except ShellyError:
        return "cannot_connect"
    except Exception:  # noqa: BLE001  (a flow must never crash on a surprise)
        LOGGER.exception("Unexpected error connecting to %s", probe.host)
        return "unknown"
    else:
        return backend.identity
    finally:
        await backend.shutdown()


class ShellyConfigFlow(ConfigFlow):
    """Steps of a Shelly: by host, found by zeroconf, its login, reauth, reconfigure."""

    _probe: Probe
    _room: str | None = None

    async def async_step_shelly(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Shelly by host: reach it, detect its generation, ask for a password if set."""
        errors: dict[str, str] = {}
        if user_input is not None:
            probe = await async_probe(
                self.hass, user_input[CONF_HOST], user_input[CONF_PORT]
            )
            if isinstance(probe, str):
                errors["base"] = probe
            else:
                await self.async_set_unique_id(probe.mac)
                self._abort_if_unique_id_configured()
                self._probe = probe
                self._room = user_input.get(CONF_ROOM)
                if probe.auth:
                    return await self.async_step_shelly_credentials()
                if result := await self._async_create_shelly({}, errors):
                    return result
        return self.async_show_form(
            step_id="shelly",
            data_schema=self.add_suggested_values_to_schema(USER_SCHEMA, user_input),
            errors=errors,
        )

    async def async_step_shelly_credentials(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The device has a login: its credentials."""
        errors: dict[str, str] = {}
        if user_input is not None and (
            result := await self._async_create_shelly(user_input, errors)
        ):
            return result
        return self.async_show_form(
            step_id="shelly_credentials",
            data_schema=credentials_schema(self._probe.gen, room=False),
            errors=errors,
            description_placeholders=self._shelly_placeholders(),
        )

    async def async_step_zeroconf(
        self, discovery_info: ZeroconfServiceInfo
    ) -> ConfigFlowResult:
        """A Shelly announced itself: known devices get their new address."""
        if discovery_info.ip_address.version != 4:
            return self.async_abort(reason="ipv6_not_supported")
        probe = await async_probe(
            self.hass, discovery_info.host, discovery_info.port or DEFAULT_PORT
        )
        if isinstance(probe, str):
            return self.async_abort(reason="cannot_connect")
        await self.async_set_unique_id(probe.mac)
        self._abort_if_unique_id_configured(
            updates={CONF_HOST: probe.host, CONF_PORT: probe.port}
        )
        if in_core_shelly(self.hass, probe.mac):
            # Both integrations answer the same announcements: a device the user
            # set up in Home Assistant's Shelly integration is not offered twice.
            return self.async_abort(reason="already_in_shelly")
        self._probe = probe
        self._room = None
        if not probe.auth:
            # Without a login the device can be checked now: a Shelly with no
            # metered relay (a sensor, a dimmer) is not offered at all.
            identity = await async_connect(self.hass, probe, probe.data({}))
            if isinstance(identity, str):
                return self._shelly_abort(identity)
        self.context["title_placeholders"] = {
            "name": probe.name or discovery_info.name.split(".", 1)[0]
        }
        return await self.async_step_shelly_confirm()

    async def async_step_shelly_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Confirm a discovered device (and give its password when it has one)."""
        errors: dict[str, str] = {}
        if user_input is not None:
            self._room = user_input.get(CONF_ROOM)
            if (
                result := await self._async_create_shelly(user_input, errors)
            ) is not None:
                return result
        return self.async_show_form(
            step_id="shelly_confirm",
            data_schema=confirm_schema(self._probe),
            errors=errors,
            description_placeholders=self._shelly_placeholders(),
        )

    async def async_step_shelly_reauth(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The device's login changed."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        probe = await async_probe(
            self.hass, entry.data[CONF_HOST], entry.data[CONF_PORT]
        )
        if isinstance(probe, str):
            return self.async_abort(reason="cannot_connect")
        self._probe = probe
        if user_input is not None and (
            result := await self._async_update_entry(
                probe, probe.data(user_input) | {CONF_KIND: KIND_SHELLY}, errors
            )
        ):
            return result
        return self.async_show_form(
            step_id="shelly_reauth",
            data_schema=credentials_schema(probe.gen, room=False),
            errors=errors,
            description_placeholders=self._shelly_placeholders(),
        )

    async def async_step_shelly_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """A new address for the same device (another device is refused)."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            probe = await async_probe(
                self.hass, user_input[CONF_HOST], user_input[CONF_PORT]
            )
            if isinstance(probe, str):
                errors["base"] = probe
            elif result := await self._async_update_entry(
                probe,
                {**entry.data, CONF_HOST: probe.host, CONF_PORT: probe.port},
                errors,
            ):
                return result
        return self.async_show_form(
            step_id="shelly_reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                RECONFIGURE_SCHEMA, user_input or dict(entry.data)
            ),
            errors=errors,
        )

    async def _async_update_entry(
        self, probe: Probe, data: dict[str, Any], errors: dict[str, str]
    ) -> ConfigFlowResult | None:
        """The same device reached with ``data``: update the entry, or fill ``errors``."""
        await self.async_set_unique_id(probe.mac)
        self._abort_if_unique_id_mismatch(reason="another_device")
        identity = await async_connect(self.hass, probe, data)
        if isinstance(identity, str):
            errors["base"] = identity
            return None
        return self.async_update_reload_and_abort(
            self._entry_being_changed(), data=data
        )

    def _entry_being_changed(self) -> ConfigEntry[Any]:
        if self.source == SOURCE_REAUTH:
            return self._get_reauth_entry()
        return self._get_reconfigure_entry()

    def _shelly_abort(self, reason: str) -> ConfigFlowResult:
        """Abort a discovery or set-up that cannot go on (an error key as reason)."""
        if reason == "unsupported_device":
            return self.async_abort(
                reason="unsupported_device",
                description_placeholders={"model": model_name(self._probe.model)},
            )
        return self.async_abort(reason="cannot_connect")

    def _shelly_placeholders(self) -> dict[str, str]:
        probe = self._probe
        return {
            "model": model_name(probe.model),
            "name": probe.name or probe.mac,
            "host": probe.host
            if probe.port == DEFAULT_PORT
            else f"{probe.host}:{probe.port}",
        }

    async def _async_create_shelly(
        self, credentials: dict[str, Any], errors: dict[str, str]
    ) -> ConfigFlowResult | None:
        """Connect with ``credentials``; create the entry, or fill ``errors``."""
        probe = self._probe
        data = probe.data(credentials)
        identity = await async_connect(self.hass, probe, data)
        if identity == "unsupported_device":
            return self._shelly_abort(identity)
        if isinstance(identity, str):
            errors["base"] = identity
            return None
        return self.async_create_entry(
            title=identity.name,
            data={CONF_KIND: KIND_SHELLY, **with_area(self.hass, data, self._room)},
        )


# A Shelly's options: an anomaly monitor per outlet (analytics/anomaly/meter.py).
OPTIONS_SCHEMA: Final = probatio.Schema(meter_section(collapsed=False))


class ShellyOptionsFlow(KindOptionsFlow):
    """A Shelly's options: its outlets' anomaly monitors."""

    async def async_step_shelly(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The anomaly monitors: on or off, and their thresholds."""
        return self._options_form(
            step_id="shelly",
            schema=OPTIONS_SCHEMA,
            values=meter_values(self.config_entry.options),
            user_input=meter_input(user_input, self.config_entry.options),
        )
