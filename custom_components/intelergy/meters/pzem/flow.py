"""PZEM config-flow pieces: schemas and the check-by-reading."""

from __future__ import annotations

from typing import Any, Final

from homeassistant.helpers import selector
import probatio

from ...const import LOGGER
from ...core.pzem.client import PzemConnectionError, PzemError, PzemReading, Transport
from .const import (
    CONF_BAUDRATE,
    CONF_HOST,
    CONF_PORT,
    CONF_ROOM,
    CONF_SERIAL_PORT,
    CONF_SLAVE,
    CONF_TRANSPORT,
)
from .coordinator import create_client


def _box(low: int, high: int) -> Any:
    return probatio.All(
        selector.NumberSelector(
            selector.NumberSelectorConfig(
                min=low, max=high, step=1, mode=selector.NumberSelectorMode.BOX
            )
        ),
        probatio.Coerce(int),
    )


TRANSPORT_SCHEMA: Final = probatio.Schema(
    {
        probatio.Required(
            CONF_TRANSPORT, default=Transport.TCP.value
        ): selector.SelectSelector(
            selector.SelectSelectorConfig(
                options=[t.value for t in Transport],
                translation_key="pzem_transport",
                mode=selector.SelectSelectorMode.LIST,
            )
        )
    }
)
SLAVE_AND_ROOM: Final = {
    probatio.Required(CONF_SLAVE, default=1): _box(1, 247),
    probatio.Optional(CONF_ROOM): selector.TextSelector(),
}
NETWORK_SCHEMA: Final = probatio.Schema(
    {
        probatio.Required(CONF_HOST): selector.TextSelector(),
        probatio.Required(CONF_PORT, default=502): _box(1, 65535),
        **SLAVE_AND_ROOM,
    }
)
SERIAL_SCHEMA: Final = probatio.Schema(
    {
        probatio.Required(
            CONF_SERIAL_PORT, default="/dev/ttyUSB0"
        ): selector.TextSelector(),
        probatio.Required(CONF_BAUDRATE, default=9600): _box(1200, 115200),
        **SLAVE_AND_ROOM,
    }
)


RECONFIGURE_NETWORK: Final = probatio.Schema(
    {
        probatio.Required(CONF_HOST): selector.TextSelector(),
        probatio.Required(CONF_PORT): _box(1, 65535),
        probatio.Required(CONF_SLAVE): _box(1, 247),
    }
)
RECONFIGURE_SERIAL: Final = probatio.Schema(
    {
        probatio.Required(CONF_SERIAL_PORT): selector.TextSelector(),
        probatio.Required(CONF_BAUDRATE): _box(1200, 115200),
        probatio.Required(CONF_SLAVE): _box(1, 247),
    }
)


async def async_validate(data: dict[str, Any]) -> PzemReading | str:
    """Read the meter once; an error key when that fails."""
    try:
        client = create_client(data)
    except ValueError:
        return "invalid_settings"
    try:
        return await client.read()
    except PzemConnectionError:
        return "cannot_connect"
    except PzemError:
        return "no_pzem"
    except Exception:  # noqa: BLE001  (a flow must never crash on a surprise)
        LOGGER.exception("Unexpected error reading %s", client.target)
        return "unknown"
    finally:
        await client.close()


def unique_id(data: dict[str, Any]) -> str:
    """The meter's identity: where it is reached and its slave address."""
    if data[CONF_TRANSPORT] == Transport.SERIAL:
        return f"serial:{data[CONF_SERIAL_PORT]}:{data[CONF_SLAVE]}"
    return f"{data[CONF_HOST]}:{data[CONF_PORT]}:{data[CONF_SLAVE]}"
