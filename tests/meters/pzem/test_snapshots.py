"""Entity and diagnostics snapshots of a PZEM-004T entry behind a Modbus TCP gateway.

The simulator listens on 127.0.0.1 (``sim``); the entry is added through the
config flow as tests/meters/pzem/test_init.py adds it, the clock frozen before
anything starts. The port is in the entry's title and unique id, so in the entity
ids too: tests/common.py masks it (``<port>``).
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from simulators.pzem import PzemSimulator
from tests.common import (
    SNAPSHOT_TIME,
    assert_diagnostics_match,
    assert_entities_match,
)

from .common import add

pytestmark = pytest.mark.freeze_time(SNAPSHOT_TIME)


async def added(hass: HomeAssistant, sim: PzemSimulator) -> MockConfigEntry:
    """The meter added over Modbus TCP, in a room."""
    result = await add(
        hass,
        "tcp",
        {"host": "127.0.0.1", "port": sim.port, "slave": 1, "room": "Utility"},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry: MockConfigEntry = result["result"]
    return entry


async def test_entities(
    hass: HomeAssistant, snapshot: SnapshotAssertion, sim: PzemSimulator
) -> None:
    entry = await added(hass, sim)
    assert_entities_match(hass, snapshot, entry, ports=[sim.port])


async def test_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    snapshot: SnapshotAssertion,
    sim: PzemSimulator,
) -> None:
    entry = await added(hass, sim)
    await assert_diagnostics_match(hass, hass_client, snapshot, entry, ports=[sim.port])
