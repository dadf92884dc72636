"""PZEM-004T config-flow steps: serial or network, checked by a reading; reconfigure."""

from __future__ import annotations

from typing import Any, Final

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult
from homeassistant.helpers import selector
import probatio

from ...analytics.anomaly.flow import meter_input, meter_section, meter_values
from ...const import CONF_KIND, CONF_ROOM, KIND_PZEM, LOGGER
from ...core.pzem.client import PzemConnectionError, PzemError, PzemReading, Transport
from ...flow_helpers import ROOM_FIELD, KindOptionsFlow, whole_number, with_area
from .const import (
    CONF_BAUDRATE,
    CONF_HOST,
    CONF_PORT,
    CONF_SERIAL_PORT,
    CONF_SLAVE,
    CONF_TRANSPORT,
)
from .coordinator import create_client

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
SLAVE_AND_ROOM: Final[dict[Any, Any]] = {
    probatio.Required(CONF_SLAVE, default=1): whole_number(1, 247),
    **ROOM_FIELD,
}
NETWORK_SCHEMA: Final = probatio.Schema(
    {
        probatio.Required(CONF_HOST): selector.TextSelector(),
        probatio.Required(CONF_PORT, default=502): whole_number(1, 65535),
        **SLAVE_AND_ROOM,
    }
)
SERIAL_SCHEMA: Final = probatio.Schema(
    {
        probatio.Required(
            CONF_SERIAL_PORT, default="/dev/ttyUSB0"
        ): selector.TextSelector(),
        probatio.Required(CONF_BAUDRATE, default=9600): whole_number(1200, 115200),
        **SLAVE_AND_ROOM,
    }
)


RECONFIGURE_NETWORK: Final = probatio.Schema(
    {
        probatio.Required(CONF_HOST): selector.TextSelector(),
        probatio.Required(CONF_PORT): whole_number(1, 65535),
        probatio.Required(CONF_SLAVE): whole_number(1, 247),
    }
)
RECONFIGURE_SERIAL: Final = probatio.Schema(
    {
        probatio.Required(CONF_SERIAL_PORT): selector.TextSelector(),
        probatio.Required(CONF_BAUDRATE): whole_number(1200, 115200),
        probatio.Required(CONF_SLAVE): whole_number(1, 247),
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


class PzemConfigFlow(ConfigFlow):
    """Steps of a PZEM-004T: how it is wired, where, and a new address later."""

    _transport: str = Transport.TCP.value

    async def async_step_pzem(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """How the meter is wired (serial adapter or a TCP gateway)."""
        if user_input is not None:
            self._transport = user_input[CONF_TRANSPORT]
            if self._transport == Transport.SERIAL:
                return await self.async_step_pzem_serial()
            return await self.async_step_pzem_network()
        return self.async_show_form(step_id="pzem", data_schema=TRANSPORT_SCHEMA)

    async def async_step_pzem_network(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """PZEM behind a Modbus TCP or RTU-over-TCP gateway."""
        return await self._async_pzem_form(
            step_id="pzem_network", schema=NETWORK_SCHEMA, user_input=user_input
        )

    async def async_step_pzem_serial(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """PZEM on a serial port (USB-RS485 / TTL adapter)."""
        return await self._async_pzem_form(
            step_id="pzem_serial", schema=SERIAL_SCHEMA, user_input=user_input
        )

    async def _async_pzem_form(
        self,
        *,
        step_id: str,
        schema: probatio.Schema,
        user_input: dict[str, Any] | None,
    ) -> ConfigFlowResult:
        """Validate by reading the meter once; create the entry."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {CONF_TRANSPORT: self._transport, **user_input}
            room = data.pop(CONF_ROOM, None)
            result = await async_validate(data)
            if isinstance(result, str):
                errors["base"] = result
            else:
                await self.async_set_unique_id(unique_id(data))
                self._abort_if_unique_id_configured()
                where = (
                    data[CONF_SERIAL_PORT]
                    if self._transport == Transport.SERIAL
                    else f"{data[CONF_HOST]}:{data[CONF_PORT]}"
                )
                return self.async_create_entry(
                    title=f"PZEM-004T {where} #{data[CONF_SLAVE]}",
                    data={CONF_KIND: KIND_PZEM, **with_area(self.hass, data, room)},
                )
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(schema, user_input),
            errors=errors,
        )

    async def async_step_pzem_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """A new address, port or slave (the same transport)."""
        entry = self._get_reconfigure_entry()
        serial = entry.data[CONF_TRANSPORT] == Transport.SERIAL
        schema = RECONFIGURE_SERIAL if serial else RECONFIGURE_NETWORK
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**entry.data, **user_input}
            result = await async_validate(data)
            if isinstance(result, str):
                errors["base"] = result
            else:
                new_id = unique_id(data)
                if new_id != entry.unique_id:
                    await self.async_set_unique_id(new_id)
                    self._abort_if_unique_id_configured()
                return self.async_update_reload_and_abort(
                    entry, unique_id=new_id, data=data
                )
        return self.async_show_form(
            step_id="pzem_reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                schema, user_input or dict(entry.data)
            ),
            errors=errors,
        )


# A PZEM's options: its anomaly monitor (analytics/anomaly/meter.py).
OPTIONS_SCHEMA: Final = probatio.Schema(meter_section(collapsed=False))


class PzemOptionsFlow(KindOptionsFlow):
    """A PZEM-004T's options: its anomaly monitor."""

    async def async_step_pzem(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The anomaly monitor: on or off, and its thresholds."""
        return self._options_form(
            step_id="pzem",
            schema=OPTIONS_SCHEMA,
            values=meter_values(self.config_entry.options),
            user_input=meter_input(user_input, self.config_entry.options),
        )
