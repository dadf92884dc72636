"""Shared fixtures: custom integrations enabled, simulators on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.intelergy.const import CONF_KIND, DOMAIN, KIND_ELNET
from custom_components.intelergy.sources.elnet.const import CONF_TOKEN, CONF_URL
from simulators.elnet import ElnetSimulator

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
