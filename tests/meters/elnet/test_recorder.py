"""ELNET sensors in the real recorder: long-term statistics and the Energy dashboard."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.energy import data as energy_data
from homeassistant.components.energy.validate import async_validate
from homeassistant.components.recorder import Recorder
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
    do_adhoc_statistics,
)
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from simulators.elnet import ElnetSimulator
from tests.recorder import HOUR, auto_enable_custom_integrations, hour_of  # noqa: F401

from .common import entity_id, poll, setup


async def test_register_glitch_keeps_hourly_sum_right(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    elnet_sim: ElnetSimulator,
    elnet_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    freezer.move_to(HOUR + timedelta(minutes=1))
    await setup(hass, elnet_entry)
    grid = entity_id(hass, "sensor", "grid_energy")

    freezer.move_to(HOUR + timedelta(minutes=15))
    elnet_sim.advance(900, load_kw=2.0)  # +0.5 kWh
    await poll(hass, elnet_entry)

    freezer.move_to(HOUR + timedelta(minutes=30))
    real = elnet_sim.live["EB"]
    elnet_sim.live["EB"] = 0.0  # the server glitches
    elnet_sim.advance(60, load_kw=0.0)
    await poll(hass, elnet_entry)

    freezer.move_to(HOUR + timedelta(minutes=45))
    elnet_sim.live["EB"] = real
    elnet_sim.advance(900, load_kw=2.0)  # +0.5 kWh
    await poll(hass, elnet_entry)

    row = await hour_of(hass, freezer, grid)
    assert row["state"] == pytest.approx(real + 0.5)
    # One kWh was used in that hour: no reset, no double count.
    assert row["sum"] == pytest.approx(1.0, abs=0.001)


def grid_source(energy: str, cost: str, rate: str | None = None) -> dict[str, Any]:
    """A grid connection as the Energy dashboard's settings page saves it."""
    source: dict[str, Any] = {
        "type": "grid",
        "stat_energy_from": energy,
        "stat_energy_to": None,
        "stat_cost": cost,
        "entity_energy_price": None,
        "number_energy_price": None,
        "stat_compensation": None,
        "entity_energy_price_export": None,
        "number_energy_price_export": None,
        "cost_adjustment_day": 0.0,
    }
    if rate is not None:
        source["stat_rate"] = rate
    return source


async def test_grid_and_generator_validate_cleanly(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    elnet_sim: ElnetSimulator,
    elnet_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    freezer.move_to(HOUR + timedelta(seconds=10))
    assert await async_setup_component(hass, "energy", {})
    await setup(hass, elnet_entry)
    await async_wait_recording_done(hass)
    # The first 5-minute statistics run defines the sensors' statistics.
    freezer.move_to(HOUR + timedelta(minutes=5, seconds=10))
    do_adhoc_statistics(hass, start=HOUR)
    await async_wait_recording_done(hass)

    def sensor(key: str) -> str:
        return entity_id(hass, "sensor", key)

    manager = await energy_data.async_get_manager(hass)
    await manager.async_update(
        {
            "energy_sources": [
                grid_source(
                    sensor("grid_energy"),
                    sensor("grid_cost_today"),
                    sensor("present_load"),
                ),
                grid_source(sensor("generator_energy"), sensor("generator_cost_today")),
            ]
        }
    )
    validation = (await async_validate(hass)).as_dict()
    assert validation["energy_sources"] == [[], []], validation
    assert validation["device_consumption"] == []


async def test_energy_dashboard_pickers_offer_the_lifetime_totals(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    elnet_sim: ElnetSimulator,
    elnet_entry: MockConfigEntry,
) -> None:
    """What the Energy dashboard's pickers list, as its frontend asks for them.

    Its energy pickers list every statistic in the energy unit class
    (``recorder/list_statistic_ids``, then ``unit_class == "energy"``), its cost
    picker every statistic there is.
    """
    await setup(hass, elnet_entry)
    await async_wait_recording_done(hass)
    client = await hass_ws_client(hass)
    await client.send_json_auto_id({"type": "recorder/list_statistic_ids"})
    response = await client.receive_json()
    assert response["success"], response
    ours = {
        entry.entity_id
        for entry in er.async_entries_for_config_entry(
            er.async_get(hass), elnet_entry.entry_id
        )
    }
    listed = {
        row["statistic_id"]: row
        for row in response["result"]
        if row["statistic_id"] in ours
    }

    def sensor(key: str) -> str:
        return entity_id(hass, "sensor", key)

    energy = {key for key, row in listed.items() if row["unit_class"] == "energy"}
    assert energy == {sensor("grid_energy"), sensor("generator_energy")}
    # Not the day's or month's energy, not the balance; the costs are there.
    for key in ("grid_energy_today", "generator_energy_month", "balance"):
        assert sensor(key) not in listed, key
    assert {sensor("grid_cost_today"), sensor("generator_cost_today")} <= set(listed)
