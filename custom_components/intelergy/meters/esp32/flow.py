"""ESP32 meter config-flow steps: by device id, found on MQTT, reconfigure, options."""

from __future__ import annotations

from typing import Any, Final

from homeassistant.components import mqtt
from homeassistant.config_entries import ConfigFlow, ConfigFlowResult
from homeassistant.helpers import selector
from homeassistant.helpers.service_info.mqtt import MqttServiceInfo
import probatio

from ...analytics.anomaly.flow import meter_input, meter_section, meter_values
from ...const import CONF_KIND, CONF_ROOM, KIND_ESP32, LOGGER
from ...core.esp32.client import valid_device_id
from ...flow_helpers import (
    ROOM_FIELD,
    KindOptionsFlow,
    number_box,
    whole_number,
    with_area,
)
from .const import (
    CONF_DEVICE_ID,
    CONF_FIELDS,
    CONF_INTERVAL,
    CONF_MAX_POWER,
    CONF_PREFIX,
    CONF_RELAYS,
    CONF_THROTTLE,
    CONF_THROTTLE_ENERGY,
    CONF_THROTTLE_POWER,
    CONF_THROTTLE_SECONDS,
    DEFAULT_INTERVAL,
    DEFAULT_PREFIX,
    DEFAULT_THROTTLE,
    DEFAULT_THROTTLE_ENERGY,
    DEFAULT_THROTTLE_POWER,
    DEFAULT_THROTTLE_SECONDS,
    MAX_POWER_W,
    MAX_RELAYS,
)

INTERVAL_FIELD: Final = {
    probatio.Required(CONF_INTERVAL, default=DEFAULT_INTERVAL): whole_number(
        1, 3600, "s"
    )
}
USER_SCHEMA: Final = probatio.Schema(
    {
        probatio.Required(CONF_DEVICE_ID): selector.TextSelector(),
        probatio.Required(CONF_PREFIX, default=DEFAULT_PREFIX): selector.TextSelector(),
        **INTERVAL_FIELD,
        probatio.Required(CONF_RELAYS, default=0): whole_number(0, MAX_RELAYS),
        **ROOM_FIELD,
    }
)
CONFIRM_SCHEMA: Final = probatio.Schema({**INTERVAL_FIELD, **ROOM_FIELD})
RECONFIGURE_SCHEMA: Final = probatio.Schema(
    {probatio.Required(CONF_PREFIX, default=DEFAULT_PREFIX): selector.TextSelector()}
)
OPTIONS_SCHEMA: Final = probatio.Schema(
    {
        **INTERVAL_FIELD,
        probatio.Required(CONF_THROTTLE, default=False): selector.BooleanSelector(),
        probatio.Required(
            CONF_THROTTLE_SECONDS, default=DEFAULT_THROTTLE_SECONDS
        ): whole_number(5, 3600, "s"),
        probatio.Required(
            CONF_THROTTLE_POWER, default=DEFAULT_THROTTLE_POWER
        ): number_box(0, 100000, "any", "W"),
        probatio.Required(
            CONF_THROTTLE_ENERGY, default=DEFAULT_THROTTLE_ENERGY
        ): number_box(0, 100, "any", "kWh"),
        probatio.Required(CONF_MAX_POWER, default=MAX_POWER_W): number_box(
            100, 1_000_000, "any", "W"
        ),
    }
)


def valid_prefix(prefix: str) -> bool:
    """Whether ``prefix`` is one or more plain topic levels (no wildcard, no gap)."""
    return (
        bool(prefix)
        and prefix.isascii()
        and all(
            level and not any(c in level for c in "+# ") for level in prefix.split("/")
        )
    )


def check_ids(device_id: str, prefix: str) -> dict[str, str]:
    """Form errors for a device id and a topic prefix (empty when both are fine)."""
    errors: dict[str, str] = {}
    if not valid_device_id(device_id):
        errors[CONF_DEVICE_ID] = "invalid_device_id"
    if not valid_prefix(prefix):
        errors[CONF_PREFIX] = "invalid_prefix"
    return errors


def options_with_defaults(options: dict[str, Any], interval: int) -> dict[str, Any]:
    """The entry's options, defaults filled in, for the options form."""
    return {
        CONF_INTERVAL: options.get(CONF_INTERVAL, interval),
        CONF_THROTTLE: options.get(CONF_THROTTLE, False),
        CONF_THROTTLE_SECONDS: options.get(
            CONF_THROTTLE_SECONDS, DEFAULT_THROTTLE_SECONDS
        ),
        CONF_THROTTLE_POWER: options.get(CONF_THROTTLE_POWER, DEFAULT_THROTTLE_POWER),
        CONF_THROTTLE_ENERGY: options.get(
            CONF_THROTTLE_ENERGY, DEFAULT_THROTTLE_ENERGY
        ),
        CONF_MAX_POWER: options.get(CONF_MAX_POWER, MAX_POWER_W),
    }


class Esp32ConfigFlow(ConfigFlow):
    """Steps of an ESP32 meter: by device id, found on MQTT, a new prefix."""

    _meter: str
    _room: str | None = None

    async def async_step_esp32(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """ESP32 meter by device id and topic prefix (MQTT must be set up)."""
        if not await mqtt.async_wait_for_mqtt_client(self.hass):
            return self.async_abort(reason="mqtt_not_configured")
        errors: dict[str, str] = {}
        if user_input is not None:
            device_id = user_input[CONF_DEVICE_ID].strip()
            prefix = user_input[CONF_PREFIX].strip().strip("/")
            errors = check_ids(device_id, prefix)
            if not errors:
                await self.async_set_unique_id(f"{prefix}/{device_id}")
                self._abort_if_unique_id_configured()
                self._room = user_input.get(CONF_ROOM)
                return self._create_meter(
                    device_id,
                    prefix,
                    user_input[CONF_INTERVAL],
                    relays=user_input[CONF_RELAYS],
                )
        return self.async_show_form(
            step_id="esp32",
            data_schema=self.add_suggested_values_to_schema(USER_SCHEMA, user_input),
            errors=errors,
        )

    async def async_step_mqtt(
        self, discovery_info: MqttServiceInfo
    ) -> ConfigFlowResult:
        """``online`` on ``intelergy/<device_id>/availability``: offer an unknown meter.

        The retained availability message, not the telemetry: HA starts a
        discovery flow only when a discovery topic's payload changes, and
        ``online`` stays the same while every telemetry message differs.
        """
        parts = discovery_info.topic.split("/")
        payload = discovery_info.payload
        text = (
            payload
            if isinstance(payload, str)
            else bytes(payload).decode(errors="replace")
        )
        if (
            len(parts) != 3
            or not valid_device_id(parts[1])
            or text.strip().lower() != "online"
        ):
            LOGGER.debug("Not offering %s (%r)", discovery_info.topic, text[:20])
            return self.async_abort(reason="invalid_discovery_info")
        device_id = parts[1]
        await self.async_set_unique_id(f"{DEFAULT_PREFIX}/{device_id}")
        self._abort_if_unique_id_configured()
        self._meter = device_id
        self.context["title_placeholders"] = {"name": device_id}
        return await self.async_step_esp32_confirm()

    async def async_step_esp32_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Confirm a meter found on MQTT."""
        device_id = self._meter
        if user_input is not None:
            self._room = user_input.get(CONF_ROOM)
            return self._create_meter(
                device_id, DEFAULT_PREFIX, user_input[CONF_INTERVAL], relays=0
            )
        return self.async_show_form(
            step_id="esp32_confirm",
            data_schema=CONFIRM_SCHEMA,
            description_placeholders={
                "device_id": device_id,
                "topic": f"{DEFAULT_PREFIX}/{device_id}",
            },
        )

    async def async_step_esp32_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Another topic prefix (the device id stays)."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            prefix = user_input[CONF_PREFIX].strip().strip("/")
            errors = check_ids(entry.data[CONF_DEVICE_ID], prefix)
            if not errors:
                unique_id = f"{prefix}/{entry.data[CONF_DEVICE_ID]}"
                if unique_id != entry.unique_id:
                    await self.async_set_unique_id(unique_id)
                    self._abort_if_unique_id_configured()
                return self.async_update_reload_and_abort(
                    entry, unique_id=unique_id, data_updates={CONF_PREFIX: prefix}
                )
        return self.async_show_form(
            step_id="esp32_reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                RECONFIGURE_SCHEMA, user_input or dict(entry.data)
            ),
            errors=errors,
            description_placeholders={"device_id": entry.data[CONF_DEVICE_ID]},
        )

    def _create_meter(
        self, device_id: str, prefix: str, interval: int, *, relays: int
    ) -> ConfigFlowResult:
        """The entry; sensors beyond power and energy come as the meter reports them."""
        data: dict[str, Any] = {
            CONF_KIND: KIND_ESP32,
            CONF_DEVICE_ID: device_id,
            CONF_PREFIX: prefix,
            CONF_INTERVAL: interval,
            CONF_RELAYS: relays,
            CONF_FIELDS: [],
        }
        return self.async_create_entry(
            title=f"ESP32 meter {device_id}",
            data=with_area(self.hass, data, self._room),
            options={CONF_THROTTLE: DEFAULT_THROTTLE},
        )


# The options form: the meter's own, then its anomaly monitor, folded away
# (analytics/anomaly/meter.py).
OPTIONS_FORM: Final = OPTIONS_SCHEMA.extend(meter_section(collapsed=True))


class Esp32OptionsFlow(KindOptionsFlow):
    """An ESP32 meter's expected interval, write throttling and anomaly monitor."""

    async def async_step_esp32(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Expected interval, recorder write throttling, the anomaly monitor."""
        options = dict(self.config_entry.options)
        return self._options_form(
            step_id="esp32",
            schema=OPTIONS_FORM,
            values={
                **options_with_defaults(options, self.config_entry.data[CONF_INTERVAL]),
                **meter_values(options),
            },
            user_input=meter_input(user_input, options),
        )
