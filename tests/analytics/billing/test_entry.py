"""A billing entry's life: refresh after each compile, failures, renames, dashboard."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.energy import data as energy_data
from homeassistant.components.energy.validate import async_validate
from homeassistant.components.recorder import Recorder
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
    do_adhoc_statistics,
    statistics_during_period,
)
from pytest_homeassistant_custom_component.typing import WebSocketGenerator
from sqlalchemy.exc import OperationalError

from custom_components.intelergy.diagnostics import async_get_config_entry_diagnostics
from tests.recorder import auto_enable_custom_integrations  # noqa: F401

from .common import (
    HOUR,
    billing_entry,
    energy_sensor,
    import_rows,
    setup_integration,
    usage_rows,
)

OCT = datetime(2026, 10, 1, tzinfo=UTC)
NOW = datetime(2026, 10, 3, 10, 2, tzinfo=UTC)


def state_of(hass: HomeAssistant, entry: MockConfigEntry, key: str) -> Any:
    entity_id = er.async_get(hass).async_get_entity_id(
        "sensor", "intelergy", f"{entry.entry_id}_{key}"
    )
    assert entity_id is not None
    return hass.states.get(entity_id)


async def tick(hass: HomeAssistant) -> None:
    """Fire the timers due now; wait for the refresh they start."""
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def household(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> MockConfigEntry:
    await hass.config.async_set_time_zone("UTC")
    freezer.move_to(NOW)
    energy_sensor(hass, "sensor.main")
    await import_rows(hass, "sensor.main", usage_rows(OCT, [1.0] * 58))
    entry = billing_entry(hass, ["sensor.main"])
    await setup_integration(hass, entry)
    return entry


async def test_refresh_after_each_compile_and_failures(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    entry = await household(hass, freezer)
    assert state_of(hass, entry, "energy_cycle").state == "58.0"
    # The 10:00 hour is compiled at 11:00; the sensors follow 30 s after a run.
    await import_rows(hass, "sensor.main", usage_rows(OCT + 58 * HOUR, [2.0], total=58))
    freezer.move_to(NOW.replace(hour=11, minute=5, second=40))
    await tick(hass)
    assert state_of(hass, entry, "energy_cycle").state == "60.0"
    # The database fails: unavailable, and back at the next run.
    broken = OperationalError("SELECT", {}, Exception("database is locked"))
    with patch(
        "custom_components.intelergy.analytics.billing.bills.async_sums_at",
        side_effect=broken,
    ):
        freezer.move_to(NOW.replace(hour=11, minute=10, second=40))
        await tick(hass)
    assert state_of(hass, entry, "cost_cycle").state == STATE_UNAVAILABLE
    freezer.move_to(NOW.replace(hour=11, minute=15, second=40))
    await tick(hass)
    assert state_of(hass, entry, "cost_cycle").state != STATE_UNAVAILABLE

    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    source = diagnostics["source"]
    assert source["entities"] == ["sensor.main"]
    assert source["cycle"]["start"] == "2026-10-01"
    assert source["cycle"]["energy_kwh"] == 60.0
    assert source["cycle"]["complete_days"] == 2
    assert source["tariff"]["currency"] == "INR"


async def test_a_renamed_sensor_stays_billed(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    registry = er.async_get(hass)
    registry.async_get_or_create("sensor", "test", "main", suggested_object_id="main")
    entry = await household(hass, freezer)
    registry.async_update_entity("sensor.main", new_entity_id="sensor.grid")
    await hass.async_block_till_done()
    await async_wait_recording_done(hass)  # the recorder renames the statistics
    assert entry.options["entities"] == ["sensor.grid"]
    energy_sensor(hass, "sensor.grid")
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    freezer.move_to(NOW.replace(minute=5, second=40))  # the next run
    await tick(hass)
    assert state_of(hass, entry, "energy_cycle").state == "58.0"


async def test_an_unreadable_tariff_fails_set_up(
    recorder_mock: Recorder, hass: HomeAssistant
) -> None:
    entry = billing_entry(hass, ["sensor.main"])
    hass.config_entries.async_update_entry(
        entry, options={**entry.options, "tariff": {"currency": "rupees"}}
    )
    await setup_integration(hass)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert entry.reason is not None


async def test_cost_entity_for_the_energy_dashboard(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """HA's Energy validation accepts *Cost this cycle* as a grid's cost entity."""
    entry = await household(hass, freezer)
    freezer.move_to(NOW.replace(minute=0) + timedelta(seconds=10))
    assert await async_setup_component(hass, "energy", {})
    hass.states.async_set(
        "sensor.main",
        "1058.0",
        {
            "device_class": "energy",
            "state_class": "total_increasing",
            "unit_of_measurement": "kWh",
        },
    )
    await async_wait_recording_done(hass)
    freezer.move_to(NOW.replace(minute=5, second=10))
    do_adhoc_statistics(hass, start=NOW.replace(minute=0))
    await async_wait_recording_done(hass)
    cost = state_of(hass, entry, "cost_cycle")
    manager = await energy_data.async_get_manager(hass)
    await manager.async_update(
        {
            "energy_sources": [
                {
                    "type": "grid",
                    "stat_energy_from": "sensor.main",
                    "stat_energy_to": None,
                    "stat_cost": cost.entity_id,
                    "entity_energy_price": None,
                    "number_energy_price": None,
                    "stat_compensation": None,
                    "entity_energy_price_export": None,
                    "number_energy_price_export": None,
                    "cost_adjustment_day": 0.0,
                }
            ]
        }
    )
    validation = (await async_validate(hass)).as_dict()
    assert validation["energy_sources"] == [[]], validation


@pytest.mark.freeze_time(NOW)  # before the websocket's token is issued
async def test_the_energy_pickers_offer_the_meter_not_the_bill(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """The Energy dashboard's energy pickers list the meter, not *Energy this cycle*.

    Their filter (home-assistant-frontend 20260930.5, ``ha-statistic-picker`` in
    the grid, solar, battery and individual-device dialogs): every statistic id
    of ``recorder/list_statistic_ids`` whose ``unit_class`` is energy, whatever
    the entity. The recorder lists the statistics it has and every sensor it
    would compile (a state class). Issue 14: *Energy this cycle* (kWh, state
    class total) was offered beside the meter; it now has no state class. *Cost
    this cycle* keeps its sum statistics (the dashboard's cost entity).
    """
    entry = await household(hass, freezer)
    assert await async_setup_component(hass, "sensor", {})  # compiles sensors
    await async_wait_recording_done(hass)
    start = NOW.replace(minute=5, second=0)
    freezer.move_to(start + timedelta(minutes=5, seconds=10))
    do_adhoc_statistics(hass, start=start)
    await async_wait_recording_done(hass)
    client = await hass_ws_client(hass)
    await client.send_json_auto_id({"type": "recorder/list_statistic_ids"})
    response = await client.receive_json()
    assert response["success"]
    listed = {row["statistic_id"]: row for row in response["result"]}
    offered = {key for key, row in listed.items() if row["unit_class"] == "energy"}
    assert offered == {"sensor.main"}
    energy = state_of(hass, entry, "energy_cycle")
    assert energy.attributes["device_class"] == "energy"
    assert "state_class" not in energy.attributes
    cost = state_of(hass, entry, "cost_cycle").entity_id
    assert listed[cost]["has_sum"] is True
    assert listed[cost]["statistics_unit_of_measurement"] == "INR"
    # Its 5-minute statistics were compiled: what the dashboard's cost reads.
    stats = await hass.async_add_executor_job(
        statistics_during_period, hass, start, None, {cost}, "5minute", None, {"sum"}
    )
    assert stats[cost]
