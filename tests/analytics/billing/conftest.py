"""Billing wired into the integration for the tests, whether or not it is yet.

Until ``sources/__init__.py``, ``config_flow.py`` and ``services.py`` carry
billing, these fixtures add the kind to ``ENTRY_KINDS``, the mixins to the flows
(through subclasses registered as the domain's handler) and the actions.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any
from unittest.mock import patch

from homeassistant import config_entries
from homeassistant.config_entries import ConfigEntry, ConfigFlowResult
from homeassistant.core import HomeAssistant, callback
import pytest

from custom_components.intelergy.analytics.billing.actions import (
    SERVICE_CALCULATE_BILL,
    async_setup_billing_actions,
)
from custom_components.intelergy.analytics.billing.const import KIND_BILLING
from custom_components.intelergy.analytics.billing.steps import (
    BillingConfigFlowMixin,
    BillingOptionsFlowMixin,
)
from custom_components.intelergy.config_flow import (
    IntelergyConfigFlow,
    IntelergyOptionsFlow,
)
from custom_components.intelergy.const import CONF_KIND, DOMAIN
from custom_components.intelergy.kinds import ENTRY_KINDS, billing


@pytest.fixture(autouse=True)
def billing_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    """The billing kind among the integration's sources."""
    monkeypatch.setitem(ENTRY_KINDS, KIND_BILLING, billing.ENTRY_KIND)


def wired_options_flow() -> type[IntelergyOptionsFlow]:
    """The options flow with the billing steps (the real one once it has them)."""
    if issubclass(IntelergyOptionsFlow, BillingOptionsFlowMixin):
        return IntelergyOptionsFlow

    class OptionsFlow(BillingOptionsFlowMixin, IntelergyOptionsFlow):
        async def async_step_init(
            self, user_input: dict[str, Any] | None = None
        ) -> ConfigFlowResult:
            if self.config_entry.data[CONF_KIND] == KIND_BILLING:
                return await self.async_step_billing()
            return await super().async_step_init(user_input)

    return OptionsFlow


def wired_config_flow() -> type[IntelergyConfigFlow]:
    """The config flow with the billing steps (the real one once it has them)."""
    if issubclass(IntelergyConfigFlow, BillingConfigFlowMixin):
        return IntelergyConfigFlow
    options_flow = wired_options_flow()

    class ConfigFlow(BillingConfigFlowMixin, IntelergyConfigFlow):
        async def async_step_user(
            self, user_input: dict[str, Any] | None = None
        ) -> ConfigFlowResult:
            result = await super().async_step_user(user_input)
            return self.async_show_menu(
                step_id="user",
                menu_options=[*result["menu_options"], KIND_BILLING],
            )

        @staticmethod
        @callback
        def async_get_options_flow(config_entry: ConfigEntry[Any]) -> Any:
            return options_flow()

    return ConfigFlow


@pytest.fixture
def billing_flows() -> Generator[None]:
    """The domain's flow handler has the billing steps."""
    with patch.dict(config_entries.HANDLERS, {DOMAIN: wired_config_flow()}):
        yield


def billing_actions(hass: HomeAssistant) -> None:
    """The billing actions registered (services.py does it once wired)."""
    if not hass.services.has_service(DOMAIN, SERVICE_CALCULATE_BILL):
        async_setup_billing_actions(hass)
