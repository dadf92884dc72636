"""Fixtures of the anomaly tests: a metered device with a monitor, the anomaly events."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Event, HomeAssistant, callback
import pytest

from custom_components.intelergy.const import DOMAIN
from simulators.pzem import PzemSimulator


@pytest.fixture
async def pzem(
    hass: HomeAssistant, socket_enabled: None
) -> AsyncGenerator[PzemSimulator]:
    """A PZEM-004T behind a Modbus TCP gateway on 127.0.0.1, drawing 75 W."""
    sim = PzemSimulator(framing="tcp")
    sim.power, sim.current = 75.0, 0.33
    await sim.start()
    yield sim
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.state is ConfigEntryState.LOADED:
            await hass.config_entries.async_unload(entry.entry_id)
    await sim.stop()


@pytest.fixture
def events(hass: HomeAssistant) -> list[Event]:
    """The ``intelergy_anomaly`` events fired from now on."""
    caught: list[Event] = []

    @callback
    def catch(event: Event) -> None:
        caught.append(event)

    hass.bus.async_listen("intelergy_anomaly", catch)
    return caught
