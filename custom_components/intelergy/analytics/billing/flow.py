"""The billing steps of the config flow and of the options flow, as mixins.

``IntelergyConfigFlow(BillingConfigFlowMixin, ConfigFlow, domain=DOMAIN)`` gains
``billing`` and ``billing_tariff``; ``IntelergyOptionsFlow(BillingOptionsFlowMixin,
OptionsFlowWithReload)`` gains the same two steps for an entry's options.
"""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult, OptionsFlow

from ...const import CONF_KIND
from . import flow as billing_flow
from .const import CONF_NAME, CONF_TARIFF_TYPE, KIND_BILLING


class BillingConfigFlowMixin(ConfigFlow):
    """A household's tariff and the sensors it bills: a new billing entry."""

    _billing: dict[str, Any]

    async def async_step_billing(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Name, billed sensors, currency, cycle, fixed charge, tax, projection."""
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            name = str(user_input.get(CONF_NAME, "")).strip()
            self._async_abort_entries_match({CONF_KIND: KIND_BILLING, CONF_NAME: name})
            errors, placeholders = billing_flow.check_settings(self.hass, user_input)
            if not errors:
                self._billing = {**user_input, CONF_NAME: name}
                return await self.async_step_billing_tariff()
        return self.async_show_form(
            step_id="billing",
            data_schema=self.add_suggested_values_to_schema(
                billing_flow.settings_schema(self.hass, name=True),
                user_input or billing_flow.defaults(self.hass),
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_billing_tariff(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The slabs (and time-of-use bands) as rows."""
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            result = billing_flow.build_options(self._billing, user_input)
            if isinstance(result, dict):
                name = self._billing[CONF_NAME]
                return self.async_create_entry(
                    title=name,
                    data={CONF_KIND: KIND_BILLING, CONF_NAME: name},
                    options=result,
                )
            errors, placeholders = result
        return self.async_show_form(
            step_id="billing_tariff",
            data_schema=self.add_suggested_values_to_schema(
                billing_flow.tariff_schema(self._billing[CONF_TARIFF_TYPE]),
                user_input or {},
            ),
            errors=errors,
            description_placeholders=placeholders,
        )


class BillingOptionsFlowMixin(OptionsFlow):
    """A billing entry's tariff and billed sensors, changed."""

    _billing: dict[str, Any]

    async def async_step_billing(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Billed sensors, currency, cycle, fixed charge, tax, projection."""
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            errors, placeholders = billing_flow.check_settings(self.hass, user_input)
            if not errors:
                self._billing = dict(user_input)
                return await self.async_step_billing_tariff()
        return self.async_show_form(
            step_id="billing",
            data_schema=self.add_suggested_values_to_schema(
                billing_flow.settings_schema(self.hass, name=False),
                user_input
                or billing_flow.settings_from_options(self.config_entry.options),
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_billing_tariff(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The slabs (and time-of-use bands) as rows."""
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            result = billing_flow.build_options(self._billing, user_input)
            if isinstance(result, dict):
                return self.async_create_entry(data=result)
            errors, placeholders = result
        tariff_type = self._billing[CONF_TARIFF_TYPE]
        current = billing_flow.rows_from_options(self.config_entry.options)
        if current.pop(CONF_TARIFF_TYPE, None) != tariff_type:
            current = {}  # the rows of the other kind of tariff do not fit
        return self.async_show_form(
            step_id="billing_tariff",
            data_schema=self.add_suggested_values_to_schema(
                billing_flow.tariff_schema(tariff_type), user_input or current
            ),
            errors=errors,
            description_placeholders=placeholders,
        )
