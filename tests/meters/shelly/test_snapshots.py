"""Entity and diagnostics snapshots of Shelly entries: a Gen1 plug and a Gen2+ strip.

Each runs against its simulator on 127.0.0.1 (``gen1_sim`` / ``gen4_sim``) and is
set up as tests/meters/shelly sets it up (``loaded``), the clock frozen before
anything starts; tests/common.py says what is masked.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from simulators.shelly import ShellySimulator
from tests.common import (
    SNAPSHOT_TIME,
    assert_diagnostics_match,
    assert_entities_match,
)

from .common import loaded

pytestmark = pytest.mark.freeze_time(SNAPSHOT_TIME)


@pytest.fixture(params=["gen1_sim", "gen4_sim"], ids=["gen1", "gen2"])
def sim(request: pytest.FixtureRequest) -> ShellySimulator:
    """The simulated Gen1 plug or Gen2+ strip (tests/conftest.py's fixtures)."""
    simulator: ShellySimulator = request.getfixturevalue(request.param)
    return simulator


async def test_entities(
    hass: HomeAssistant, snapshot: SnapshotAssertion, sim: ShellySimulator
) -> None:
    entry, _ = await loaded(hass, sim)
    assert_entities_match(hass, snapshot, entry, ports=[sim.port])


async def test_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    snapshot: SnapshotAssertion,
    sim: ShellySimulator,
) -> None:
    entry, _ = await loaded(hass, sim)
    await assert_diagnostics_match(hass, hass_client, snapshot, entry, ports=[sim.port])
