"""Entity and diagnostics snapshots of an ELNET account against its simulator.

The simulator serves the real API on 127.0.0.1 (``elnet_sim``); the entry
(``elnet_entry``) is set up as tests/meters/elnet/test_init.py sets it up, the
clock frozen before anything starts; tests/common.py says what is masked.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from simulators.elnet import ElnetSimulator
from tests.common import (
    SNAPSHOT_TIME,
    assert_diagnostics_match,
    assert_entities_match,
)

from .common import setup

pytestmark = pytest.mark.freeze_time(SNAPSHOT_TIME)


def port(sim: ElnetSimulator) -> list[int]:
    """The simulator's port (redacted with the URL; masked should it show)."""
    found = urlsplit(sim.url).port
    assert found is not None
    return [found]


async def test_entities(
    hass: HomeAssistant,
    snapshot: SnapshotAssertion,
    elnet_sim: ElnetSimulator,
    elnet_entry: MockConfigEntry,
) -> None:
    await setup(hass, elnet_entry)
    assert_entities_match(hass, snapshot, elnet_entry, ports=port(elnet_sim))


async def test_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    snapshot: SnapshotAssertion,
    elnet_sim: ElnetSimulator,
    elnet_entry: MockConfigEntry,
) -> None:
    await setup(hass, elnet_entry)
    await assert_diagnostics_match(
        hass, hass_client, snapshot, elnet_entry, ports=port(elnet_sim)
    )
