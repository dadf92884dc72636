"""Entity and diagnostics snapshots of an anomaly monitor that learned and alerted.

Set up as tests/analytics/anomaly/test_monitor.py sets it up: a kettle's power
sensor, the monitor added through the flow, an hour of 75 W to learn the
baseline, then a sustained 200 W spike, on a frozen clock. The entities' unique
ids hold the entry id: tests/common.py masks it (``<entry_id>``).
"""

from __future__ import annotations

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from tests.common import (
    SNAPSHOT_TIME,
    assert_diagnostics_match,
    assert_entities_match,
)

from .common import ATTRS, POWER, add_monitor, run

pytestmark = pytest.mark.freeze_time(SNAPSHOT_TIME)


async def alerted(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> ConfigEntry[Any]:
    """A monitor with a learned baseline and an active spike."""
    hass.states.async_set(POWER, "0", ATTRS)
    entry = await add_monitor(hass)
    assert isinstance(entry, ConfigEntry)
    await run(hass, freezer, 75, 3700)
    await run(hass, freezer, 200, 60)
    return entry


async def test_entities(
    hass: HomeAssistant, snapshot: SnapshotAssertion, freezer: FrozenDateTimeFactory
) -> None:
    entry = await alerted(hass, freezer)
    assert_entities_match(hass, snapshot, entry)


async def test_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    snapshot: SnapshotAssertion,
    freezer: FrozenDateTimeFactory,
) -> None:
    entry = await alerted(hass, freezer)
    await assert_diagnostics_match(hass, hass_client, snapshot, entry)
