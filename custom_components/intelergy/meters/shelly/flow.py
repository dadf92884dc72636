"""Shelly config-flow pieces: schemas, the probe and the full connection check."""

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
from homeassistant.core import HomeAssistant
from homeassistant.helpers import area_registry as ar, device_registry as dr, selector
from homeassistant.helpers.aiohttp_client import async_get_clientsession
import probatio

from ...const import LOGGER
from ...core.shelly.client import StatusError
from .const import (
    CONF_GEN,
    CONF_HOST,
    CONF_PASSWORD,
    CONF_PORT,
    CONF_ROOM,
    CONF_USERNAME,
    DEFAULT_PORT,
)
from .coordinator import DeviceIdentity, Gen1Backend, RpcBackend

PORT_SELECTOR: Final = probatio.All(
    selector.NumberSelector(
        selector.NumberSelectorConfig(
            min=1, max=65535, step=1, mode=selector.NumberSelectorMode.BOX
        )
    ),
    probatio.Coerce(int),
)
PASSWORD_SELECTOR: Final = selector.TextSelector(
    selector.TextSelectorConfig(type=selector.TextSelectorType.PASSWORD)
)
HOST_FIELDS: Final = {
    probatio.Required(CONF_HOST): selector.TextSelector(),
    probatio.Required(CONF_PORT, default=DEFAULT_PORT): PORT_SELECTOR,
}
ROOM_FIELD: Final = {probatio.Optional(CONF_ROOM): selector.TextSelector()}
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


def area_for_room(hass: HomeAssistant, room: str | None) -> str | None:
    """The id of the area called ``room``, created when missing."""
    if not room or not room.strip():
        return None
    return ar.async_get(hass).async_get_or_create(room.strip()).id
