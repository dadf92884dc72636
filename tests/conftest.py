"""Shared fixtures: custom integrations enabled, simulators on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.intelergy.const import CONF_KIND, DOMAIN, KIND_ELNET, KIND_SHELLY
from custom_components.intelergy.meters.elnet.const import CONF_TOKEN, CONF_URL
from custom_components.intelergy.meters.shelly.const import (
    CONF_GEN,
    CONF_HOST,
    CONF_PORT,
)
from simulators.elnet import ElnetSimulator
from simulators.shelly import GEN1_PLUG_S, GEN4_POWER_STRIP, ShellySimulator

ELNET_TOKEN = "test-token"
ELNET_SERIAL = "1124094"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Load custom_components/intelergy in every test."""


@pytest.fixture
async def elnet_sim(socket_enabled: None) -> AsyncGenerator[ElnetSimulator]:
    """A real ELNET API server on 127.0.0.1 (``sim.url`` is its base URL)."""
    sim = ElnetSimulator(ELNET_TOKEN)
    await sim.start()
    yield sim
    await sim.stop()


@pytest.fixture
def elnet_entry(hass: HomeAssistant, elnet_sim: ElnetSimulator) -> MockConfigEntry:
    """An ELNET config entry pointing at the simulator (not yet set up)."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=f"ELNET meter {ELNET_SERIAL}",
        unique_id=ELNET_SERIAL,
        data={
            CONF_KIND: KIND_ELNET,
            CONF_URL: elnet_sim.url,
            CONF_TOKEN: ELNET_TOKEN,
        },
    )
    entry.add_to_hass(hass)
    return entry


def elnet_options(**options: Any) -> dict[str, Any]:
    """ELNET options with test-friendly defaults."""
    return {"scan_interval": 30, "low_balance_threshold": 200.0, **options}


async def unload_entries(hass: HomeAssistant) -> None:
    """Unload every loaded Intelergy entry (before its simulator goes away)."""
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.state is ConfigEntryState.LOADED:
            await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


@asynccontextmanager
async def running(
    hass: HomeAssistant, sim: ShellySimulator
) -> AsyncIterator[ShellySimulator]:
    """``sim`` serving on 127.0.0.1; entries are unloaded before it stops."""
    await sim.start()
    try:
        yield sim
    finally:
        await unload_entries(hass)
        await sim.stop()


@pytest.fixture
async def gen1_sim(
    hass: HomeAssistant, socket_enabled: None
) -> AsyncGenerator[ShellySimulator]:
    """A Gen1 Shelly Plug S on 127.0.0.1 (HTTP API, no login)."""
    async with running(hass, ShellySimulator(GEN1_PLUG_S)) as sim:
        yield sim


@pytest.fixture
async def gen4_sim(
    hass: HomeAssistant, socket_enabled: None
) -> AsyncGenerator[ShellySimulator]:
    """A Gen4 Shelly Power Strip on 127.0.0.1 (RPC over websocket, no login)."""
    async with running(hass, ShellySimulator(GEN4_POWER_STRIP)) as sim:
        yield sim


def shelly_mac(sim: ShellySimulator) -> str:
    """The entry unique id of a simulated device: its MAC as HA formats it."""
    mac = sim.mac.lower()
    return ":".join(mac[i : i + 2] for i in range(0, 12, 2))


def shelly_entry(
    hass: HomeAssistant, sim: ShellySimulator, **data: Any
) -> MockConfigEntry:
    """A Shelly config entry for ``sim`` (not yet set up)."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Shelly",
        unique_id=shelly_mac(sim),
        data={
            CONF_KIND: KIND_SHELLY,
            CONF_HOST: sim.host,
            CONF_PORT: sim.port,
            CONF_GEN: sim.gen,
            **data,
        },
    )
    entry.add_to_hass(hass)
    return entry
