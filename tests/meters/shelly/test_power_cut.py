"""A power cut takes Home Assistant and a plug down together, after lazy saves.

A plug's counters are saved lazily (within 5 minutes) when they only moved on,
so the store a crash leaves behind is older than the last total shown. The
recorder has that total: at the next start the counter catches up with it
(``MeteredCoordinator._async_setup``, ``EnergyTotalizer.floor``) before the
plug's first reading, which after a power cut is a new cycle from 0. The real
recorder, the plug's simulator and a store put back as the crash left it.
"""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.intelergy.const import KIND_SHELLY
from custom_components.intelergy.storage import CLEAN, storage_key
from simulators.shelly import ShellySimulator
from tests.conftest import shelly_entry, shelly_mac
from tests.recorder import HOUR, auto_enable_custom_integrations  # noqa: F401

from .common import entity_id, setup, tick, wait_for

MINUTE = 60.0


def total(hass: HomeAssistant, energy: str) -> float:
    found = hass.states.get(energy)
    assert found is not None
    return float(found.state)


async def crash(
    hass: HomeAssistant, entry: MockConfigEntry, hass_storage: dict[str, Any]
) -> dict[str, Any]:
    """Stop the entry and put its store back as the last delayed save left it."""
    key = storage_key(KIND_SHELLY, entry.entry_id)
    left = copy.deepcopy(hass_storage[key])
    assert left["data"][CLEAN] is False  # written by a delayed save
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    hass_storage[key] = left
    return left["data"]


async def run(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: ShellySimulator,
    watts: float,
    seconds: float,
) -> None:
    """The plug draws ``watts`` for ``seconds``; HA's clock and a refresh follow."""
    await sim.set_load(0, watts)
    await sim.advance(seconds)
    await tick(hass, freezer, seconds)


@pytest.fixture(params=["gen1_sim", "gen4_sim"])
def plug(request: pytest.FixtureRequest) -> ShellySimulator:
    """A Gen1 plug (polled) and a Gen4 strip (websocket, pushed)."""
    sim: ShellySimulator = request.getfixturevalue(request.param)
    return sim


@pytest.mark.parametrize("plug_reboots", [True, False], ids=["power_cut", "ha_crash"])
async def test_a_crash_counts_from_the_last_recorded_total(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
    plug: ShellySimulator,
    plug_reboots: bool,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """After a crash the total carries on from what was shown, once.

    The store holds the first reading (saved at once); four minutes of 1200 W
    (80 Wh) are only in the recorder when Home Assistant goes down. ``power_cut``:
    the plug goes down too and comes back from 0, drawing 600 W for a minute
    (10 Wh) before Home Assistant reads it: the total is the recorded one plus
    10 Wh. ``ha_crash``: the plug goes on (its counter too): recorded + 10 Wh as
    well, the 80 Wh neither lost nor counted twice.
    """
    freezer.move_to(HOUR + timedelta(seconds=30))
    await plug.set_load(0, 0.0)
    entry = shelly_entry(hass, plug)
    await setup(hass, entry)
    energy = entity_id(hass, "sensor", f"{shelly_mac(plug).replace(':', '')}_0_energy")
    first = total(hass, energy)
    for _ in range(4):
        await run(hass, freezer, plug, 1200.0, MINUTE)
    await async_wait_recording_done(hass)
    shown = total(hass, energy)
    assert (shown - first) * 1000 == pytest.approx(80.0, abs=0.05)

    left = await crash(hass, entry, hass_storage)
    saved_wh = left["channels"]["0"]["offset"] + left["channels"]["0"]["counter"]
    assert saved_wh / 1000 == pytest.approx(first, abs=1e-6)  # 80 Wh behind

    if plug_reboots:
        await plug.reboot()
    await plug.set_load(0, 600.0)
    await plug.advance(MINUTE)
    freezer.tick(timedelta(seconds=MINUTE))
    caplog.clear()
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.LOADED
    await wait_for(hass, lambda: total(hass, energy) != shown)
    assert (total(hass, energy) - shown) * 1000 == pytest.approx(10.0, abs=0.05)
    assert "caught up with the last total recorded" in caplog.text
