"""ELNET config-flow steps: URL and token checked live, reauth, reconfigure, options."""

from __future__ import annotations

from typing import Any, Final

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult
from homeassistant.core import HomeAssistant
from homeassistant.helpers import selector
import probatio

from ...const import CONF_KIND, KIND_ELNET, LOGGER
from ...core.elnet.client import (
    ElnetApiError,
    ElnetAuthError,
    ElnetConnectionError,
    ElnetInvalidResponseError,
    HomeData,
    normalize_base_url,
)
from ...flow_helpers import KindOptionsFlow, number_box, whole_number
from .const import (
    CONF_LOW_BALANCE_THRESHOLD,
    CONF_SCAN_INTERVAL,
    CONF_TOKEN,
    CONF_URL,
    DEFAULT_LOW_BALANCE_THRESHOLD,
    DEFAULT_SCAN_INTERVAL,
    MAX_SCAN_INTERVAL,
    MIN_SCAN_INTERVAL,
)
from .coordinator import create_client

URL_SELECTOR: Final = selector.TextSelector(
    selector.TextSelectorConfig(type=selector.TextSelectorType.URL)
)
TOKEN_SELECTOR: Final = selector.TextSelector(
    selector.TextSelectorConfig(type=selector.TextSelectorType.PASSWORD)
)

USER_SCHEMA: Final = probatio.Schema(
    {
        probatio.Required(CONF_URL): URL_SELECTOR,
        probatio.Required(CONF_TOKEN): TOKEN_SELECTOR,
    }
)
REAUTH_SCHEMA: Final = probatio.Schema({probatio.Required(CONF_TOKEN): TOKEN_SELECTOR})
RECONFIGURE_SCHEMA: Final = probatio.Schema({probatio.Required(CONF_URL): URL_SELECTOR})
OPTIONS_SCHEMA: Final = probatio.Schema(
    {
        probatio.Required(
            CONF_SCAN_INTERVAL, default=DEFAULT_SCAN_INTERVAL
        ): whole_number(MIN_SCAN_INTERVAL, MAX_SCAN_INTERVAL, "s"),
        probatio.Required(
            CONF_LOW_BALANCE_THRESHOLD, default=DEFAULT_LOW_BALANCE_THRESHOLD
        ): number_box(0),
    }
)


async def async_validate(
    hass: HomeAssistant, url: str, token: str
) -> tuple[str, HomeData] | str:
    """Call both endpoints; return (normalised URL, HomeData) or an error key."""
    try:
        url = normalize_base_url(url)
    except ValueError:
        return "invalid_url"
    client = create_client(hass, url, token)
    try:
        _, home = await client.fetch()
    except ElnetAuthError:
        return "invalid_auth"
    except ElnetConnectionError:
        return "cannot_connect"
    except ElnetApiError:
        return "api_error"
    except ElnetInvalidResponseError:
        return "invalid_response"
    except Exception:  # noqa: BLE001  (a flow must never crash on a surprise)
        LOGGER.exception("Unexpected error validating the ELNET account")
        return "unknown"
    return url, home


def options_with_defaults(options: dict[str, Any]) -> dict[str, Any]:
    """The entry's options, defaults filled in, for the options form."""
    return {
        CONF_SCAN_INTERVAL: options.get(CONF_SCAN_INTERVAL, DEFAULT_SCAN_INTERVAL),
        CONF_LOW_BALANCE_THRESHOLD: options.get(
            CONF_LOW_BALANCE_THRESHOLD, DEFAULT_LOW_BALANCE_THRESHOLD
        ),
    }


class ElnetConfigFlow(ConfigFlow):
    """Steps of an ELNET account: URL and token, a new token, a new URL."""

    async def async_step_elnet(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Base URL and bearer token, checked by a live call."""
        errors: dict[str, str] = {}
        if user_input is not None:
            result = await async_validate(
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
            data_schema=self.add_suggested_values_to_schema(USER_SCHEMA, user_input),
            errors=errors,
        )

    async def async_step_elnet_reauth(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """A new bearer token for the same meter."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            result = await async_validate(
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
            data_schema=REAUTH_SCHEMA,
            errors=errors,
            description_placeholders={"meter": str(entry.unique_id)},
        )

    async def async_step_elnet_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """A new server URL for the same meter (same token)."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            result = await async_validate(
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
                RECONFIGURE_SCHEMA, user_input or dict(entry.data)
            ),
            errors=errors,
        )


class ElnetOptionsFlow(KindOptionsFlow):
    """An ELNET account's poll interval and low-balance threshold."""

    async def async_step_elnet(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Poll interval and low-balance threshold."""
        return self._options_form(
            step_id="elnet",
            schema=OPTIONS_SCHEMA,
            values=options_with_defaults(dict(self.config_entry.options)),
            user_input=user_input,
        )
