"""ELNET config-flow pieces: schemas and live validation of URL + token."""

from __future__ import annotations

from typing import Any, Final

from homeassistant.core import HomeAssistant
from homeassistant.helpers import selector
import probatio

from ...const import LOGGER
from ...core.elnet.client import (
    ElnetApiError,
    ElnetAuthError,
    ElnetConnectionError,
    ElnetInvalidResponseError,
    HomeData,
    normalize_base_url,
)
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
        ): probatio.All(
            selector.NumberSelector(
                selector.NumberSelectorConfig(
                    min=MIN_SCAN_INTERVAL,
                    max=MAX_SCAN_INTERVAL,
                    step=1,
                    unit_of_measurement="s",
                    mode=selector.NumberSelectorMode.BOX,
                )
            ),
            probatio.Coerce(int),
        ),
        probatio.Required(
            CONF_LOW_BALANCE_THRESHOLD, default=DEFAULT_LOW_BALANCE_THRESHOLD
        ): selector.NumberSelector(
            selector.NumberSelectorConfig(
                min=0, step="any", mode=selector.NumberSelectorMode.BOX
            )
        ),
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
