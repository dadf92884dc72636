"""Helpers of the ELNET tests: entities by key, set-up, one poll."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.intelergy.const import DOMAIN
from tests.conftest import ELNET_SERIAL


def entity_id(hass: HomeAssistant, platform: str, key: str) -> str:
    """The entity id of one of the meter's entities, found by its unique id."""
    found = er.async_get(hass).async_get_entity_id(
        platform, DOMAIN, f"{ELNET_SERIAL}_{key}"
    )
    assert found is not None, f"{platform} {key} not registered"
    return found


def state(hass: HomeAssistant, platform: str, key: str) -> Any:
    """The state object of one of the meter's entities."""
    result = hass.states.get(entity_id(hass, platform, key))
    assert result is not None, f"{platform} {key} has no state"
    return result


async def setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Set the entry up and wait for its entities."""
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def poll(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """One coordinator refresh, as the poll timer would run it."""
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
