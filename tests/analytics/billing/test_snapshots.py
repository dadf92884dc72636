"""Entity and diagnostics snapshots of a billing entry over recorded statistics.

Set up as tests/analytics/billing/test_entry.py sets it up (``household``): one
energy sensor with 58 hours of statistics from the start of the cycle, the
issue's slab tariff, the real recorder, the clock frozen at 10:02 on the third
day before anything starts. The entities' unique ids hold the entry id:
tests/common.py masks it (``<entry_id>``).
"""

from __future__ import annotations

from datetime import UTC, datetime

from homeassistant.components.recorder import Recorder
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from tests.common import assert_diagnostics_match, assert_entities_match
from tests.recorder import auto_enable_custom_integrations  # noqa: F401

from .common import (
    billing_entry,
    energy_sensor,
    import_rows,
    setup_integration,
    usage_rows,
)

OCT = datetime(2026, 10, 1, tzinfo=UTC)
NOW = datetime(2026, 10, 3, 10, 2, tzinfo=UTC)

pytestmark = pytest.mark.freeze_time(NOW)


async def household(hass: HomeAssistant) -> MockConfigEntry:
    """A billed sensor with 58 kWh used since the cycle started."""
    await hass.config.async_set_time_zone("UTC")
    energy_sensor(hass, "sensor.main")
    await import_rows(hass, "sensor.main", usage_rows(OCT, [1.0] * 58))
    entry = billing_entry(hass, ["sensor.main"])
    await setup_integration(hass, entry)
    return entry


async def test_entities(
    recorder_mock: Recorder, hass: HomeAssistant, snapshot: SnapshotAssertion
) -> None:
    entry = await household(hass)
    assert_entities_match(hass, snapshot, entry)


async def test_diagnostics(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    snapshot: SnapshotAssertion,
) -> None:
    entry = await household(hass)
    await assert_diagnostics_match(hass, hass_client, snapshot, entry)
