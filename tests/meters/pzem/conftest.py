"""PZEM-004T tests run against the Modbus simulator on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest

from custom_components.intelergy.const import DOMAIN
from simulators.pzem import PzemSimulator


@pytest.fixture
async def sim(
    hass: HomeAssistant, socket_enabled: None
) -> AsyncGenerator[PzemSimulator]:
    """A PZEM behind a Modbus TCP gateway on 127.0.0.1; entries unload before it stops."""
    simulator = PzemSimulator(framing="tcp")
    await simulator.start()
    yield simulator
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.state is ConfigEntryState.LOADED:
            await hass.config_entries.async_unload(entry.entry_id)
    await simulator.stop()
