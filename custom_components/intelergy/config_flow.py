"""Config flow: a menu of source kinds, then each kind's own steps."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlowWithReload,
)
from homeassistant.core import callback

from .const import CONF_KIND, DOMAIN, KIND_ELNET
from .sources.elnet import flow as elnet_flow
from .sources.elnet.const import CONF_TOKEN, CONF_URL


class IntelergyConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add a source: ELNET account (Shelly, ESP32-MQTT and Modbus to come)."""

    VERSION = 1

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Pick the kind of source to add."""
        return self.async_show_menu(step_id="user", menu_options=[KIND_ELNET])

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

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """The source refused its credentials: ask for new ones."""
        return await self.async_step_elnet_reauth()

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
        """Change how a source is reached."""
        return await self.async_step_elnet_reconfigure()

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

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry[Any]) -> IntelergyOptionsFlow:
        """Options of the entry's source kind."""
        return IntelergyOptionsFlow()


class IntelergyOptionsFlow(OptionsFlowWithReload):
    """ELNET: poll interval and low-balance threshold; the entry reloads on save."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show and store the options."""
        if user_input is not None:
            return self.async_create_entry(data=user_input)
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                elnet_flow.OPTIONS_SCHEMA,
                elnet_flow.options_with_defaults(dict(self.config_entry.options)),
            ),
        )
