"""Billing config-flow and options-flow steps: ``billing`` then ``billing_tariff``.

A new entry asks for a name too; the options change an entry's settings and
tariff. The first step chooses the kind of cycle; the second shows that cycle's
fields only, with the slabs and the other charges. In the options a third step,
``billing_revision``, asks from when the rates are in force (today by
default) and lists the entry's versions: saving adds a version from that date
(``forms.revised``), past cycles keep theirs. The forms and their checks are in
``forms.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import (
    ConfigEntryBaseFlow,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
)

from ...const import CONF_KIND, KIND_BILLING
from . import forms
from .const import (
    CONF_CHARGES,
    CONF_CURRENCY,
    CONF_CYCLE,
    CONF_CYCLE_TYPE,
    CONF_EFFECTIVE,
    CONF_NAME,
    CONF_SLABS,
    CONF_TARIFF_TYPE,
    CONF_TOU_BANDS,
)
from .household import today


class _BillingSteps(ConfigEntryBaseFlow):
    """The two forms, for a new entry and for an entry's options alike."""

    _billing: dict[str, Any]

    async def async_step_billing_tariff(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The chosen cycle's fields, the slabs (and time-of-use bands) as rows."""
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            result = forms.build_options(self._billing, user_input)
            if isinstance(result, dict):
                return await self._done(result)
            errors, placeholders = result
        settings = self._billing
        return self.async_show_form(
            step_id="billing_tariff",
            data_schema=self.add_suggested_values_to_schema(
                forms.tariff_schema(
                    settings[CONF_TARIFF_TYPE],
                    settings[CONF_CYCLE_TYPE],
                    settings.get(CONF_CURRENCY),
                ),
                user_input or self._current_rows(),
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def _settings_step(
        self, user_input: dict[str, Any] | None, values: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Check the settings and go on to the tariff, or show them (filled with ``values``)."""
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            errors, placeholders = forms.check_settings(self.hass, user_input)
            if not errors:
                self._billing = dict(user_input)
                return await self.async_step_billing_tariff()
        return self.async_show_form(
            step_id="billing",
            data_schema=self.add_suggested_values_to_schema(
                forms.settings_schema(self.hass, name=isinstance(self, ConfigFlow)),
                user_input or values,
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    def _current_rows(self) -> dict[str, Any]:
        """The tariff rows the form starts from."""
        return {}

    async def _done(self, options: dict[str, Any]) -> ConfigFlowResult:
        """The entry created or its options saved."""
        raise NotImplementedError


class BillingConfigFlow(_BillingSteps, ConfigFlow):
    """A household's tariff and the sensors it bills: a new billing entry."""

    async def async_step_billing(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Name, billed sensors, currency, cycle, fixed charge, tax, projection."""
        if user_input is not None:
            name = str(user_input.get(CONF_NAME, "")).strip()
            self._async_abort_entries_match({CONF_KIND: KIND_BILLING, CONF_NAME: name})
            user_input = {**user_input, CONF_NAME: name}
        return await self._settings_step(user_input, forms.defaults(self.hass))

    async def _done(self, options: dict[str, Any]) -> ConfigFlowResult:
        name = self._billing[CONF_NAME]
        return self.async_create_entry(
            title=name, data={CONF_KIND: KIND_BILLING, CONF_NAME: name}, options=options
        )


class BillingOptionsFlow(_BillingSteps, OptionsFlow):
    """A billing entry's tariff and billed sensors, changed."""

    async def async_step_billing(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Billed sensors, currency, cycle, fixed charge, tax, projection."""
        return await self._settings_step(
            user_input, forms.settings_from_options(self.config_entry.options)
        )

    _revision: dict[str, Any]

    async def async_step_billing_revision(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """From when the new rates are in force; the versions, future ones removable."""
        versions = forms.stored_versions(self.config_entry.options)
        day = today()
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            result = forms.revise_options(self._revision, versions, user_input, day)
            if isinstance(result, dict):
                return self.async_create_entry(data=result)
            errors, placeholders = result
        return self.async_show_form(
            step_id="billing_revision",
            data_schema=self.add_suggested_values_to_schema(
                forms.revision_schema(forms.future_versions(versions, day)),
                user_input or {CONF_EFFECTIVE: day.isoformat()},
            ),
            errors=errors,
            description_placeholders={
                **placeholders,
                "versions": forms.describe_versions(versions, day)
                if versions is not None
                else "",
            },
        )

    def _current_rows(self) -> dict[str, Any]:
        """The entry's cycle fields, rows and charges where they fit the types chosen."""
        current = forms.rows_from_options(self.config_entry.options)
        rows: dict[str, Any] = {}
        if CONF_CHARGES in current:
            rows[CONF_CHARGES] = current[CONF_CHARGES]
        if current.get(CONF_CYCLE_TYPE) == self._billing[CONF_CYCLE_TYPE]:
            rows[CONF_CYCLE] = current[CONF_CYCLE]  # else the other cycle's fields
        if current.get(CONF_TARIFF_TYPE) == self._billing[CONF_TARIFF_TYPE]:
            for key in (CONF_SLABS, CONF_TOU_BANDS):  # else the other kind's rows
                rows[key] = current[key]
        return rows

    async def _done(self, options: dict[str, Any]) -> ConfigFlowResult:
        """On to the date the rates take effect."""
        self._revision = options
        return await self.async_step_billing_revision()
