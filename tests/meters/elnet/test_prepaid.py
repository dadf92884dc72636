"""ELNET's prepaid view: days of balance left from the Balance sensor's recorded states.

The *Balance* has no long-term statistics (a balance is no cost for the Energy
dashboard to offer); the forecast reads its recorded states. Until there are 12
hours of them, *Balance days left* and *Balance runs out* say why they are
unknown and from when they will not be.
"""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from simulators.elnet import ElnetSimulator
from tests.recorder import HOUR, auto_enable_custom_integrations  # noqa: F401

from .common import poll, setup, state

START = HOUR + timedelta(minutes=1)
# 0.6 kW on grid at 8.33 a kWh: 5 an hour, 120 a day.
LOAD_KW = 0.6
BURN_PER_DAY = 0.6 * 8.33 * 24


async def hours_of_use(
    hass: HomeAssistant,
    sim: ElnetSimulator,
    entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    hours: range,
    load_kw: float = LOAD_KW,
) -> None:
    """The meter runs hour by hour; HA polls and records at each hour."""
    for hour in hours:
        freezer.move_to(START + timedelta(hours=hour))
        sim.advance(3600, load_kw=load_kw)
        await poll(hass, entry)
        await async_wait_recording_done(hass)


async def test_days_left_after_twelve_hours_of_balance_history(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    elnet_sim: ElnetSimulator,
    elnet_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    freezer.move_to(START)
    await setup(hass, elnet_entry)
    await async_wait_recording_done(hass)
    # Nothing to go on yet: unknown, and the sensors say why and until when.
    for key in ("balance_days_left", "balance_depletion"):
        unknown = state(hass, "sensor", key)
        assert unknown.state == "unknown"
        assert unknown.attributes["reason"] == "collecting_history"
        assert unknown.attributes["available_from"] == START + timedelta(hours=12)

    await hours_of_use(hass, elnet_sim, elnet_entry, freezer, range(1, 12))
    days = state(hass, "sensor", "balance_days_left")
    assert days.state == "unknown"
    assert days.attributes["available_from"] == START + timedelta(hours=12)

    await hours_of_use(hass, elnet_sim, elnet_entry, freezer, range(12, 13))
    days = state(hass, "sensor", "balance_days_left")
    balance = float(state(hass, "sensor", "balance").state)
    assert float(days.state) == pytest.approx(balance / BURN_PER_DAY, rel=0.01)
    assert "reason" not in days.attributes
    assert "available_from" not in days.attributes
    runs_out = state(hass, "sensor", "balance_depletion")
    assert runs_out.state != "unknown"
    assert "reason" not in runs_out.attributes

    # The next readings move the estimate by seconds: "Balance runs out" keeps
    # its time (a new one only when it moves by an hour), the days left follow.
    for _ in range(3):
        freezer.tick(timedelta(seconds=30))
        elnet_sim.advance(30, load_kw=LOAD_KW * 1.2)
        await poll(hass, elnet_entry)
    assert state(hass, "sensor", "balance_depletion").state == runs_out.state
    assert float(state(hass, "sensor", "balance_days_left").state) < float(days.state)


async def test_no_spending_says_so(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    elnet_sim: ElnetSimulator,
    elnet_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    freezer.move_to(START)
    await setup(hass, elnet_entry)
    await async_wait_recording_done(hass)
    await hours_of_use(hass, elnet_sim, elnet_entry, freezer, range(1, 14), 0.0)
    for key in ("balance_days_left", "balance_depletion"):
        flat = state(hass, "sensor", key)
        assert flat.state == "unknown"
        assert flat.attributes["reason"] == "no_spending"
        assert "available_from" not in flat.attributes
