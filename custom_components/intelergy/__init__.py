"""Intelergy: home energy monitoring, billing and anomaly detection."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.typing import ConfigType

from .const import CONF_KIND, DOMAIN
from .dashboard import async_setup_dashboard
from .kinds import ENTRY_KINDS
from .models import IntelergyConfigEntry
from .services import async_setup_services
from .storage import async_remove_entry_store

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the integration's actions and its dashboard's command and module."""
    async_setup_services(hass)
    await async_setup_dashboard(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: IntelergyConfigEntry) -> bool:
    """Hand the entry to its source kind, then set up that source's platforms."""
    entry.runtime_data = await ENTRY_KINDS[entry.data[CONF_KIND]].setup(hass, entry)
    await hass.config_entries.async_forward_entry_setups(
        entry, entry.runtime_data.platforms
    )
    return True


async def async_unload_entry(hass: HomeAssistant, entry: IntelergyConfigEntry) -> bool:
    """Unload the source's platforms; its listeners go with ``async_on_unload``."""
    return await hass.config_entries.async_unload_platforms(
        entry, entry.runtime_data.platforms
    )


async def async_remove_entry(hass: HomeAssistant, entry: IntelergyConfigEntry) -> None:
    """Delete what the entry kept: its store, and what its kind adds."""
    await async_remove_entry_store(hass, entry)
    if (remove := ENTRY_KINDS[entry.data[CONF_KIND]].remove) is not None:
        await remove(hass, entry)
