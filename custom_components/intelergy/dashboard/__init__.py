"""The Intelergy dashboard's back end: the ``intelergy/household`` command and the module.

``async_setup_dashboard`` (from the integration's ``async_setup``) registers
the websocket command (dashboard/household.py builds its answer) and serves
the dashboard strategy, ``intelergy-strategy.js`` next to this file, at
``/intelergy_static/intelergy-strategy.js``, added to the frontend's extra
modules with ``?v=<hash of its content>`` so that browsers fetch a new version
at once (the file itself is cached).

With HTTP it also registers the view that renders a bill's invoices when a
link of the model is opened (analytics/billing/invoices.py). Without the
``http`` integration (the manifest names it, and ``frontend``, as
after-dependencies: Home Assistant's default configuration loads both, tests
need not) nothing is served; without ``frontend`` the module is served but not
added. The command is registered either way (``websocket_api`` keeps the
commands registered before it loads).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Final

from homeassistant.components.frontend import add_extra_js_url
from homeassistant.components.http.server import StaticPathConfig
from homeassistant.components.websocket_api import async_register_command
from homeassistant.components.websocket_api.connection import ActiveConnection
from homeassistant.components.websocket_api.decorators import (
    async_response,
    websocket_command,
)
from homeassistant.core import HomeAssistant
import probatio

from ..analytics.billing.invoices import register_cycle_invoices
from ..const import DOMAIN, LOGGER
from .household import async_household

COMMAND: Final = f"{DOMAIN}/household"
MODULE: Final = Path(__file__).parent / "intelergy-strategy.js"
STATIC_URL: Final = f"/{DOMAIN}_static"
MODULE_URL: Final = f"{STATIC_URL}/{MODULE.name}"


@websocket_command({probatio.Required("type"): COMMAND})
@async_response
async def websocket_household(
    hass: HomeAssistant,
    connection: ActiveConnection,
    msg: dict[str, Any],
) -> None:
    """The household model, for any logged-in user (docs/dashboard-model.md)."""
    connection.send_result(msg["id"], await async_household(hass))


def module_version(path: Path) -> str | None:
    """The first 12 hex digits of the module's SHA-256; None when it is missing."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    except FileNotFoundError:
        return None


async def async_setup_dashboard(hass: HomeAssistant) -> None:
    """Register the command; serve the strategy module and load it in the frontend."""
    async_register_command(hass, websocket_household)
    if "http" not in hass.config.components:
        return
    register_cycle_invoices(hass)
    version = await hass.async_add_executor_job(module_version, MODULE)
    if version is None:
        LOGGER.warning("The dashboard module %s is missing", MODULE)
        return
    await hass.http.async_register_static_paths(
        [StaticPathConfig(MODULE_URL, str(MODULE), cache_headers=True)]
    )
    if "frontend" in hass.config.components:
        add_extra_js_url(hass, f"{MODULE_URL}?v={version}")
