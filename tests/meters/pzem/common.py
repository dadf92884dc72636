"""Helpers of the PZEM-004T tests: an entry added through the config flow."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant

from custom_components.intelergy.const import DOMAIN


async def add(
    hass: HomeAssistant, transport: str, form: dict[str, Any]
) -> dict[str, Any]:
    """Menu -> PZEM -> transport -> the form; the result."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "pzem"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"transport": transport}
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], form)
    await hass.async_block_till_done()
    return result
