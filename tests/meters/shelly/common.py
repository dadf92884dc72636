"""Helpers of the Shelly tests: entity lookup, clock ticks, waiting on sockets."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.intelergy.const import DOMAIN
from simulators.shelly import ShellySimulator
from tests.conftest import shelly_entry, shelly_mac


def entity_id(hass: HomeAssistant, platform: str, unique_id: str) -> str:
    """The entity id registered for ``unique_id``."""
    found = er.async_get(hass).async_get_entity_id(platform, DOMAIN, unique_id)
    assert found, unique_id
    return found


def state(hass: HomeAssistant, platform: str, unique_id: str) -> str:
    """The state of the entity with ``unique_id``."""
    current = hass.states.get(entity_id(hass, platform, unique_id))
    assert current is not None
    return current.state


async def wait_for(hass: HomeAssistant, condition: Callable[[], bool]) -> None:
    """Let real sockets deliver until ``condition`` holds.

    ``asyncio.sleep(0)`` only: with a frozen clock a timed sleep never ends, while
    each pass through the loop still polls the sockets.
    """
    for _ in range(5000):
        await hass.async_block_till_done()
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition not met")


async def tick(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float
) -> None:
    """Move HA's clock and let the coordinator's refresh run."""
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Set ``entry`` up and check it loaded."""
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def loaded(
    hass: HomeAssistant, sim: ShellySimulator, **data: Any
) -> tuple[MockConfigEntry, str]:
    """A loaded entry for ``sim`` and the unique-id prefix of its entities."""
    entry = shelly_entry(hass, sim, **data)
    await setup(hass, entry)
    return entry, shelly_mac(sim).replace(":", "")


async def call_switch(hass: HomeAssistant, service: str, entity: str) -> None:
    """Call ``switch.<service>`` on ``entity`` and wait for it."""
    await hass.services.async_call(
        Platform.SWITCH, service, {"entity_id": entity}, blocking=True
    )
    await hass.async_block_till_done()
