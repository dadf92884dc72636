"""Shelly energy in the real recorder: a device reboot in the middle of an hour."""

from __future__ import annotations

from datetime import datetime, timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.energy import data as energy_data
from homeassistant.components.energy.validate import async_validate
from homeassistant.components.recorder import Recorder
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
    do_adhoc_statistics,
)

from simulators.shelly import ShellySimulator
from tests.conftest import shelly_entry, shelly_mac
from tests.recorder import HOUR, auto_enable_custom_integrations, hour_of  # noqa: F401

from .common import entity_id, setup


async def poll_at(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, when: datetime
) -> None:
    """Move to ``when`` and let the Gen1 poll run."""
    freezer.move_to(when)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_reboot_mid_hour_counts_each_kwh_once(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    gen1_sim: ShellySimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    # A young plug: its counter reads 0.5 kWh. After a reboot it has counted
    # 0.72 kWh again by the next poll, 90 % of the 0.8 kWh before: to the recorder
    # a raw counter would look like a dip (-0.08 kWh), not a new cycle, and
    # 0.8 kWh would vanish from the hour.
    gen1_sim._energy_j[0] = 0.5 * 3.6e6
    await gen1_sim.advance(0)
    freezer.move_to(HOUR + timedelta(minutes=1))
    entry = shelly_entry(hass, gen1_sim)
    await setup(hass, entry)
    mac = shelly_mac(gen1_sim).replace(":", "")
    energy = entity_id(hass, "sensor", f"{mac}_0_energy")
    assert float(hass.states.get(energy).state) == pytest.approx(0.5)  # type: ignore[union-attr]

    await gen1_sim.set_load(0, 1200.0)
    await gen1_sim.advance(900)  # +0.3 kWh
    await poll_at(hass, freezer, HOUR + timedelta(minutes=15))

    await gen1_sim.reboot()  # the watt-minute counter starts again at 0
    await gen1_sim.set_load(0, 2880.0)
    await gen1_sim.advance(900)  # +0.72 kWh on the new counter
    await poll_at(hass, freezer, HOUR + timedelta(minutes=30))

    await gen1_sim.set_load(0, 1200.0)
    await gen1_sim.advance(900)  # +0.3 kWh
    await poll_at(hass, freezer, HOUR + timedelta(minutes=45))

    row = await hour_of(hass, freezer, energy)
    assert row["state"] == pytest.approx(0.5 + 1.32, abs=0.001)
    # 1.32 kWh were used: the reboot neither subtracts nor counts anything twice.
    assert row["sum"] == pytest.approx(1.32, abs=0.001)


async def test_energy_dashboard_accepts_the_sensors(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    gen1_sim: ShellySimulator,
    gen4_sim: ShellySimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    freezer.move_to(HOUR + timedelta(seconds=10))
    assert await async_setup_component(hass, "energy", {})
    for sim in (gen1_sim, gen4_sim):
        await setup(hass, shelly_entry(hass, sim))
    await async_wait_recording_done(hass)
    freezer.move_to(HOUR + timedelta(minutes=5, seconds=10))
    do_adhoc_statistics(hass, start=HOUR)
    await async_wait_recording_done(hass)

    gen1 = shelly_mac(gen1_sim).replace(":", "")
    gen4 = shelly_mac(gen4_sim).replace(":", "")
    consumers = [
        {
            "stat_consumption": entity_id(hass, "sensor", f"{mac}_{channel}_energy"),
            "stat_rate": entity_id(hass, "sensor", f"{mac}_{channel}_power"),
        }
        for mac, channel in ((gen1, 0), (gen4, 0), (gen4, 3))
    ]
    manager = await energy_data.async_get_manager(hass)
    await manager.async_update({"device_consumption": consumers})
    validation = (await async_validate(hass)).as_dict()
    assert validation["device_consumption"] == [[], [], []], validation
