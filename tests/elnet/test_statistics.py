"""Long-term statistics of the ELNET energy sensors, compiled by the real recorder."""

from __future__ import annotations

from datetime import datetime, timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
    do_adhoc_statistics,
    statistics_during_period,
)

from simulators.elnet import ElnetSimulator

from .test_init import entity_id, poll, setup


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: Recorder, enable_custom_integrations: None
) -> None:
    """Here the recorder must start before ``hass`` (overrides the conftest one)."""


async def test_register_glitch_keeps_hourly_sum_right(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    elnet_sim: ElnetSimulator,
    elnet_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    hour = datetime(2026, 11, 23, 10, 0, tzinfo=dt_util.UTC)
    freezer.move_to(hour + timedelta(minutes=1))
    await setup(hass, elnet_entry)
    grid = entity_id(hass, "sensor", "grid_energy")

    freezer.move_to(hour + timedelta(minutes=15))
    elnet_sim.advance(900, load_kw=2.0)  # +0.5 kWh
    await poll(hass, elnet_entry)

    freezer.move_to(hour + timedelta(minutes=30))
    real = elnet_sim.live["EB"]
    elnet_sim.live["EB"] = 0.0  # the server glitches
    elnet_sim.advance(60, load_kw=0.0)
    await poll(hass, elnet_entry)

    freezer.move_to(hour + timedelta(minutes=45))
    elnet_sim.live["EB"] = real
    elnet_sim.advance(900, load_kw=2.0)  # +0.5 kWh
    await poll(hass, elnet_entry)

    await async_wait_recording_done(hass)
    freezer.move_to(hour + timedelta(hours=1, minutes=5))
    for five in range(0, 60, 5):  # the recorder's 5-minute runs; :55 closes the hour
        do_adhoc_statistics(hass, start=hour + timedelta(minutes=five))
        await async_wait_recording_done(hass)

    stats = await hass.async_add_executor_job(
        statistics_during_period,
        hass,
        hour,
        None,
        {grid},
        "hour",
        None,
        {"sum", "state"},
    )
    [row] = stats[grid]
    assert row["state"] == pytest.approx(real + 0.5)
    # One kWh was used in that hour: no reset, no double count.
    assert row["sum"] == pytest.approx(1.0, abs=0.001)
