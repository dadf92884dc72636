"""Diagnostics: the entry and its source's state, secrets and identifiers redacted."""

from __future__ import annotations

from typing import Any, Final

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from .models import IntelergyConfigEntry

TO_REDACT: Final = {
    "token",
    "password",
    "username",
    "url",
    "unique_id",
    "title",
    "meter_serial",
    "device_id",
    "host",
    "mac",
}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: IntelergyConfigEntry
) -> dict[str, Any]:
    """Return redacted diagnostics for a config entry."""
    return {
        "entry": async_redact_data(entry.as_dict(), TO_REDACT),
        "source": async_redact_data(entry.runtime_data.diagnostics(), TO_REDACT),
    }
