"""Config flow: a menu of source kinds, then each kind's own steps."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Literal

from homeassistant.components import mqtt
from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlowWithReload,
)
from homeassistant.core import callback
from homeassistant.helpers.service_info.mqtt import MqttServiceInfo
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo

from .analytics.anomaly import flow as anomaly_flow
from .analytics.anomaly.const import CONF_POWER_ENTITY
from .analytics.billing.steps import BillingConfigFlowMixin, BillingOptionsFlowMixin
from .const import (
    CONF_KIND,
    DOMAIN,
    KIND_ANOMALY,
    KIND_BILLING,
    KIND_ELNET,
    KIND_ESP32,
    KIND_PZEM,
    KIND_SHELLY,
    LOGGER,
)
from .core.esp32.client import valid_device_id
from .core.pzem.client import Transport
from .kinds import ENTRY_KINDS
from .meters.elnet import flow as elnet_flow
from .meters.elnet.const import CONF_TOKEN, CONF_URL
from .meters.esp32 import flow as esp32_flow
from .meters.esp32.const import (
    CONF_DEVICE_ID,
    CONF_FIELDS,
    CONF_INTERVAL,
    CONF_PREFIX,
    CONF_RELAYS,
    DEFAULT_PREFIX,
)
from .meters.pzem import flow as pzem_flow
from .meters.pzem.const import (
    CONF_HOST as PZEM_HOST,
    CONF_PORT as PZEM_PORT,
    CONF_SERIAL_PORT,
    CONF_SLAVE,
    CONF_TRANSPORT,
)
from .meters.shelly import flow as shelly_flow, model_name
from .meters.shelly.const import (
    CONF_AREA_ID,
    CONF_HOST,
    CONF_PORT,
    CONF_ROOM,
    DEFAULT_PORT,
)


class IntelergyConfigFlow(BillingConfigFlowMixin, ConfigFlow, domain=DOMAIN):
    """Add a source: a Shelly, an ESP32 meter or an ELNET account.

    Shelly devices are found by zeroconf or added by host; ESP32 meters are found
    on MQTT or added by device id.
    """

    VERSION = 1
    _probe: shelly_flow.Probe
    _room: str | None = None
    _meter: str
    _monitor: dict[str, Any]
    _transport: str = Transport.TCP.value

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Pick the kind of source to add."""
        return self.async_show_menu(
            step_id="user",
            menu_options=[
                KIND_SHELLY,
                KIND_ESP32,
                KIND_PZEM,
                KIND_ELNET,
                KIND_ANOMALY,
                KIND_BILLING,
            ],
        )

    async def async_step_elnet(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """ELNET account: base URL and bearer token, checked by a live call."""
        errors: dict[str, str] = {}
        if user_input is not None:
            result = await elnet_flow.async_validate(
                self.hass, user_input[CONF_URL], user_input[CONF_TOKEN]
            )
            if isinstance(result, str):
                errors["base"] = result
            else:
                url, home = result
                await self.async_set_unique_id(home.meter_serial)
                self._abort_if_unique_id_configured()
                return self.async_create_entry(
                    title=f"ELNET meter {home.meter_serial}",
                    data={
                        CONF_KIND: KIND_ELNET,
                        CONF_URL: url,
                        CONF_TOKEN: user_input[CONF_TOKEN],
                    },
                )
        return self.async_show_form(
            step_id="elnet",
            data_schema=self.add_suggested_values_to_schema(
                elnet_flow.USER_SCHEMA, user_input
            ),
            errors=errors,
        )

    async def async_step_shelly(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Shelly by host: reach it, detect its generation, ask for a password if set."""
        errors: dict[str, str] = {}
        if user_input is not None:
            probe = await shelly_flow.async_probe(
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
            data_schema=self.add_suggested_values_to_schema(
                shelly_flow.USER_SCHEMA, user_input
            ),
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
            data_schema=shelly_flow.credentials_schema(self._probe.gen, room=False),
            errors=errors,
            description_placeholders=self._shelly_placeholders(),
        )

    async def async_step_zeroconf(
        self, discovery_info: ZeroconfServiceInfo
    ) -> ConfigFlowResult:
        """A Shelly announced itself: known devices get their new address."""
        if discovery_info.ip_address.version != 4:
            return self.async_abort(reason="ipv6_not_supported")
        probe = await shelly_flow.async_probe(
            self.hass, discovery_info.host, discovery_info.port or DEFAULT_PORT
        )
        if isinstance(probe, str):
            return self.async_abort(reason="cannot_connect")
        await self.async_set_unique_id(probe.mac)
        self._abort_if_unique_id_configured(
            updates={CONF_HOST: probe.host, CONF_PORT: probe.port}
        )
        self._probe = probe
        self._room = None
        if not probe.auth:
            # Without a login the device can be checked now: a Shelly with no
            # metered relay (a sensor, a dimmer) is not offered at all.
            identity = await shelly_flow.async_connect(self.hass, probe, probe.data({}))
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
            data_schema=shelly_flow.confirm_schema(self._probe),
            errors=errors,
            description_placeholders=self._shelly_placeholders(),
        )

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
        identity = await shelly_flow.async_connect(self.hass, probe, data)
        if identity == "unsupported_device":
            return self._shelly_abort(identity)
        if isinstance(identity, str):
            errors["base"] = identity
            return None
        if area_id := shelly_flow.area_for_room(self.hass, self._room):
            data[CONF_AREA_ID] = area_id
        return self.async_create_entry(
            title=identity.name, data={CONF_KIND: KIND_SHELLY, **data}
        )

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
            errors = esp32_flow.check_ids(device_id, prefix)
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
            data_schema=self.add_suggested_values_to_schema(
                esp32_flow.USER_SCHEMA, user_input
            ),
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
            data_schema=esp32_flow.CONFIRM_SCHEMA,
            description_placeholders={
                "device_id": device_id,
                "topic": f"{DEFAULT_PREFIX}/{device_id}",
            },
        )

    def _create_meter(
        self,
        device_id: str,
        prefix: str,
        interval: int,
        *,
        relays: int,
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
        if area_id := shelly_flow.area_for_room(self.hass, self._room):
            data[CONF_AREA_ID] = area_id
        return self.async_create_entry(title=f"ESP32 meter {device_id}", data=data)

    async def async_step_pzem(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """PZEM-004T: how it is wired (serial adapter or a TCP gateway)."""
        if user_input is not None:
            self._transport = user_input[CONF_TRANSPORT]
            if self._transport == Transport.SERIAL:
                return await self.async_step_pzem_serial()
            return await self.async_step_pzem_network()
        return self.async_show_form(
            step_id="pzem", data_schema=pzem_flow.TRANSPORT_SCHEMA
        )

    async def async_step_pzem_network(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """PZEM behind a Modbus TCP or RTU-over-TCP gateway."""
        return await self._async_pzem_form(
            step_id="pzem_network",
            schema=pzem_flow.NETWORK_SCHEMA,
            user_input=user_input,
        )

    async def async_step_pzem_serial(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """PZEM on a serial port (USB-RS485 / TTL adapter)."""
        return await self._async_pzem_form(
            step_id="pzem_serial", schema=pzem_flow.SERIAL_SCHEMA, user_input=user_input
        )

    async def _async_pzem_form(
        self, *, step_id: str, schema: Any, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        """Validate by reading the meter once; create the entry."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {CONF_TRANSPORT: self._transport, **user_input}
            room = data.pop(CONF_ROOM, None)
            result = await pzem_flow.async_validate(data)
            if isinstance(result, str):
                errors["base"] = result
            else:
                await self.async_set_unique_id(pzem_flow.unique_id(data))
                self._abort_if_unique_id_configured()
                if area_id := shelly_flow.area_for_room(self.hass, room):
                    data[CONF_AREA_ID] = area_id
                where = (
                    data[CONF_SERIAL_PORT]
                    if self._transport == Transport.SERIAL
                    else f"{data[PZEM_HOST]}:{data[PZEM_PORT]}"
                )
                return self.async_create_entry(
                    title=f"PZEM-004T {where} #{data[CONF_SLAVE]}",
                    data={CONF_KIND: KIND_PZEM, **data},
                )
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(schema, user_input),
            errors=errors,
        )

    async def async_step_anomaly(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Anomaly monitor: the power sensor to watch (any integration's)."""
        if user_input is not None:
            return await self._async_create_monitor(user_input)
        return self.async_show_form(
            step_id="anomaly", data_schema=anomaly_flow.USER_SCHEMA
        )

    async def async_step_integration_discovery(
        self, discovery_info: dict[str, Any]
    ) -> ConfigFlowResult:
        """An Intelergy power sensor without a monitor: offer one."""
        await self.async_set_unique_id(f"anomaly:{discovery_info[CONF_POWER_ENTITY]}")
        self._abort_if_unique_id_configured()
        self._monitor = dict(discovery_info)
        state = self.hass.states.get(discovery_info[CONF_POWER_ENTITY])
        self.context["title_placeholders"] = {
            "name": state.name if state else discovery_info[CONF_POWER_ENTITY]
        }
        return await self.async_step_anomaly_confirm()

    async def async_step_anomaly_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Confirm a monitor offered for an Intelergy device."""
        if user_input is not None:
            return await self._async_create_monitor(self._monitor)
        return self.async_show_form(
            step_id="anomaly_confirm",
            data_schema=anomaly_flow.CONFIRM_SCHEMA,
            description_placeholders=dict(self.context["title_placeholders"]),
        )

    async def _async_create_monitor(self, data: dict[str, Any]) -> ConfigFlowResult:
        power = data[CONF_POWER_ENTITY]
        # A monitor added by hand replaces the one offered for the same sensor.
        await self.async_set_unique_id(f"anomaly:{power}", raise_on_progress=False)
        self._abort_if_unique_id_configured()
        state = self.hass.states.get(power)
        return self.async_create_entry(
            title=f"Anomalies: {state.name if state else power}",
            data={CONF_KIND: KIND_ANOMALY, **{k: v for k, v in data.items() if v}},
            options=anomaly_flow.options_with_defaults({}),
        )

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """The source refused its credentials: the kind's reauth step."""
        return await self._kind_step(entry_data[CONF_KIND], "reauth")

    async def async_step_shelly_reauth(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Shelly: the device's login changed."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        probe = await shelly_flow.async_probe(
            self.hass, entry.data[CONF_HOST], entry.data[CONF_PORT]
        )
        if isinstance(probe, str):
            return self.async_abort(reason="cannot_connect")
        self._probe = probe
        if user_input is not None:
            await self.async_set_unique_id(probe.mac)
            self._abort_if_unique_id_mismatch(reason="another_device")
            data = probe.data(user_input)
            identity = await shelly_flow.async_connect(self.hass, probe, data)
            if isinstance(identity, str):
                errors["base"] = identity
            else:
                return self.async_update_reload_and_abort(
                    entry, data=data | {CONF_KIND: KIND_SHELLY}
                )
        return self.async_show_form(
            step_id="shelly_reauth",
            data_schema=shelly_flow.credentials_schema(probe.gen, room=False),
            errors=errors,
            description_placeholders=self._shelly_placeholders(),
        )

    async def async_step_elnet_reauth(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """ELNET: a new bearer token for the same meter."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            result = await elnet_flow.async_validate(
                self.hass, entry.data[CONF_URL], user_input[CONF_TOKEN]
            )
            if isinstance(result, str):
                errors["base"] = result
            else:
                await self.async_set_unique_id(result[1].meter_serial)
                self._abort_if_unique_id_mismatch(reason="wrong_meter")
                return self.async_update_reload_and_abort(
                    entry, data_updates={CONF_TOKEN: user_input[CONF_TOKEN]}
                )
        return self.async_show_form(
            step_id="elnet_reauth",
            data_schema=elnet_flow.REAUTH_SCHEMA,
            errors=errors,
            description_placeholders={"meter": str(entry.unique_id)},
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change how a device or account is reached: the kind's reconfigure step."""
        kind = self._get_reconfigure_entry().data[CONF_KIND]
        return await self._kind_step(kind, "reconfigure")

    async def _kind_step(
        self, kind: str, step: Literal["reauth", "reconfigure"]
    ) -> ConfigFlowResult:
        """``<kind>_<step>`` when the kind declares it (kinds.py), else a clear abort."""
        entry_kind = ENTRY_KINDS.get(kind)
        if entry_kind is None or not getattr(entry_kind, step):
            if step == "reauth":
                return self.async_abort(reason="reauth_not_supported")
            return self.async_abort(reason="reconfigure_not_supported")
        method: Callable[[], Awaitable[ConfigFlowResult]] = getattr(
            self, f"async_step_{kind}_{step}"
        )
        return await method()

    async def async_step_pzem_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """PZEM: a new address, port or slave (the same transport)."""
        entry = self._get_reconfigure_entry()
        serial = entry.data[CONF_TRANSPORT] == Transport.SERIAL
        schema = (
            pzem_flow.RECONFIGURE_SERIAL if serial else pzem_flow.RECONFIGURE_NETWORK
        )
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**entry.data, **user_input}
            result = await pzem_flow.async_validate(data)
            if isinstance(result, str):
                errors["base"] = result
            else:
                unique_id = pzem_flow.unique_id(data)
                if unique_id != entry.unique_id:
                    await self.async_set_unique_id(unique_id)
                    self._abort_if_unique_id_configured()
                return self.async_update_reload_and_abort(
                    entry, unique_id=unique_id, data=data
                )
        return self.async_show_form(
            step_id="pzem_reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                schema, user_input or dict(entry.data)
            ),
            errors=errors,
        )

    async def async_step_esp32_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """ESP32 meter: another topic prefix (the device id stays)."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            prefix = user_input[CONF_PREFIX].strip().strip("/")
            errors = esp32_flow.check_ids(entry.data[CONF_DEVICE_ID], prefix)
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
                esp32_flow.RECONFIGURE_SCHEMA, user_input or dict(entry.data)
            ),
            errors=errors,
            description_placeholders={"device_id": entry.data[CONF_DEVICE_ID]},
        )

    async def async_step_shelly_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Shelly: a new address for the same device (another device is refused)."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            probe = await shelly_flow.async_probe(
                self.hass, user_input[CONF_HOST], user_input[CONF_PORT]
            )
            if isinstance(probe, str):
                errors["base"] = probe
            else:
                await self.async_set_unique_id(probe.mac)
                self._abort_if_unique_id_mismatch(reason="another_device")
                data = {
                    **entry.data,
                    CONF_HOST: probe.host,
                    CONF_PORT: probe.port,
                }
                identity = await shelly_flow.async_connect(self.hass, probe, data)
                if isinstance(identity, str):
                    errors["base"] = identity
                else:
                    return self.async_update_reload_and_abort(entry, data=data)
        return self.async_show_form(
            step_id="shelly_reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                shelly_flow.RECONFIGURE_SCHEMA, user_input or dict(entry.data)
            ),
            errors=errors,
        )

    async def async_step_elnet_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """ELNET: a new server URL for the same meter (same token)."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            result = await elnet_flow.async_validate(
                self.hass, user_input[CONF_URL], entry.data[CONF_TOKEN]
            )
            if isinstance(result, str):
                errors["base"] = result
            else:
                url, home = result
                await self.async_set_unique_id(home.meter_serial)
                self._abort_if_unique_id_mismatch(reason="wrong_meter")
                return self.async_update_reload_and_abort(
                    entry, data_updates={CONF_URL: url}
                )
        return self.async_show_form(
            step_id="elnet_reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                elnet_flow.RECONFIGURE_SCHEMA, user_input or dict(entry.data)
            ),
            errors=errors,
        )

    @classmethod
    @callback
    def async_supports_options_flow(cls, config_entry: ConfigEntry[Any]) -> bool:
        """Kinds that declare options (kinds.py)."""
        entry_kind = ENTRY_KINDS.get(config_entry.data[CONF_KIND])
        return entry_kind is not None and entry_kind.options

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry[Any]) -> IntelergyOptionsFlow:
        """Options of the entry's source kind."""
        return IntelergyOptionsFlow()


class IntelergyOptionsFlow(BillingOptionsFlowMixin, OptionsFlowWithReload):
    """Each kind's options; the entry reloads on save."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Go to the entry's kind: its options step is named after it."""
        method: Callable[[], Awaitable[ConfigFlowResult]] = getattr(
            self, f"async_step_{self.config_entry.data[CONF_KIND]}"
        )
        return await method()

    async def async_step_anomaly(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Anomaly monitor: the detectors' thresholds."""
        return self._options_form(
            step_id="anomaly",
            schema=anomaly_flow.OPTIONS_SCHEMA,
            values=anomaly_flow.options_with_defaults(dict(self.config_entry.options)),
            user_input=user_input,
        )

    async def async_step_elnet(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """ELNET: poll interval and low-balance threshold."""
        return self._options_form(
            step_id="elnet",
            schema=elnet_flow.OPTIONS_SCHEMA,
            values=elnet_flow.options_with_defaults(dict(self.config_entry.options)),
            user_input=user_input,
        )

    async def async_step_esp32(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """ESP32 meter: expected interval and recorder write throttling."""
        return self._options_form(
            step_id="esp32",
            schema=esp32_flow.OPTIONS_SCHEMA,
            values=esp32_flow.options_with_defaults(
                dict(self.config_entry.options), self.config_entry.data[CONF_INTERVAL]
            ),
            user_input=user_input,
        )

    def _options_form(
        self,
        *,
        step_id: str,
        schema: Any,
        values: dict[str, Any],
        user_input: dict[str, Any] | None,
    ) -> ConfigFlowResult:
        """Store ``user_input``, or show ``schema`` filled with ``values``."""
        if user_input is not None:
            return self.async_create_entry(data=user_input)
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(schema, values),
        )
