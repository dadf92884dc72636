"""ELNET blueprints: daily summary, low balance, generator session, recharge."""

from __future__ import annotations

from datetime import datetime, timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_mock_service,
)

from custom_components.intelergy.const import DOMAIN
from simulators.elnet import ElnetSimulator
from tests.conftest import ELNET_SERIAL, elnet_options

from .common import phone, use_blueprint


@pytest.fixture
async def meter(
    hass: HomeAssistant, elnet_sim: ElnetSimulator, elnet_entry: MockConfigEntry
) -> dr.DeviceEntry:
    """A real ELNET account (the simulator on 127.0.0.1), set up."""
    await hass.config.async_update(currency="INR")
    hass.config_entries.async_update_entry(elnet_entry, options=elnet_options())
    assert await hass.config_entries.async_setup(elnet_entry.entry_id)
    await hass.async_block_till_done()
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, ELNET_SERIAL), elnet_entry.entry_id
    )
    assert device is not None
    return device


def figure(hass: HomeAssistant, key: str) -> float:
    return float(hass.states.get(f"sensor.elnet_meter_{ELNET_SERIAL}_{key}").state)  # type: ignore[union-attr]


async def poll(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, sim: ElnetSimulator,
    seconds: float = 30, load_kw: float | None = None,
) -> None:  # fmt: skip
    """The meter runs ``seconds``; Intelergy polls it as its timer would."""
    sim.advance(seconds, load_kw)
    freezer.tick(seconds)
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()


async def test_daily_summary(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, meter: dr.DeviceEntry
) -> None:
    device, notified = await phone(hass)
    created = async_mock_service(hass, "persistent_notification", "create")
    freezer.move_to(
        datetime(2026, 10, 5, 20, 0, tzinfo=dt_util.get_default_time_zone())
    )
    await use_blueprint(
        hass, "elnet_daily_summary", meter=meter.id, at="21:00:00",
        phones=[device.id], persistent=True,
    )  # fmt: skip
    freezer.move_to(dt_util.now().replace(hour=20, minute=59, second=59))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert notified == []
    days = f"sensor.elnet_meter_{ELNET_SERIAL}_balance_days_left"
    hass.states.async_set(days, "9.6", {"unit_of_measurement": "d"})  # a forecast
    freezer.tick(2)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    [call] = notified
    assert call.data["title"] == "ELNET meter 1124094: today"
    assert call.data["message"] == (
        "Grid 10.96 kWh (91.30 INR), generator"
        " 0.06 kWh (1.38 INR). Cost today 92.68 INR. Balance 1,787.42 INR, about 10"
        " days left."
    )
    assert figure(hass, "grid_energy_today") == pytest.approx(10.96, abs=0.005)
    [shown] = created
    assert shown.data["message"] == call.data["message"]


async def test_low_balance_once_then_daily(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, meter: dr.DeviceEntry,
    elnet_sim: ElnetSimulator,
) -> None:  # fmt: skip
    device, notified = await phone(hass)
    balance = f"sensor.elnet_meter_{ELNET_SERIAL}_balance"
    await use_blueprint(
        hass, "elnet_low_balance", balance=balance, threshold=500, remind=True,
        remind_at="09:00:00", phones=[device.id],
    )  # fmt: skip
    freezer.move_to(dt_util.now().replace(hour=10, minute=0))
    await poll(hass, freezer, elnet_sim)
    assert notified == []
    elnet_sim.set_balance(412.5)
    await poll(hass, freezer, elnet_sim, load_kw=0)
    [call] = notified
    assert call.data["title"] == "Recharge the meter"
    assert call.data["message"] == "Balance 412.50 INR is under 500.00 INR."
    await poll(hass, freezer, elnet_sim, load_kw=0)
    assert len(notified) == 1  # once per crossing
    freezer.move_to(
        dt_util.now().replace(hour=8, minute=59, second=59) + timedelta(days=1)
    )
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    freezer.tick(2)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert len(notified) == 2  # the next morning's reminder
    assert notified[1].data["message"] == "Balance 412.50 INR is under 500.00 INR."
    elnet_sim.recharge(1000)
    await poll(hass, freezer, elnet_sim, load_kw=0)
    freezer.move_to(freezer.time_to_freeze + timedelta(days=1))  # type: ignore[attr-defined]
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert len(notified) == 2  # no reminder once recharged


async def test_generator_session(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, meter: dr.DeviceEntry,
    elnet_sim: ElnetSimulator,
) -> None:  # fmt: skip
    device, notified = await phone(hass)
    await use_blueprint(
        hass, "elnet_generator", meter=meter.id, on_start=True, phones=[device.id]
    )
    freezer.move_to(dt_util.now().replace(hour=14, minute=5, second=0))
    elnet_sim.set_supply(1)
    await poll(hass, freezer, elnet_sim)
    [started] = notified
    assert started.data["title"] == "Generator on"
    assert started.data["message"] == (
        "The grid is off: running on the generator since 14:05."
    )
    for _ in range(170):  # 85 minutes at 2.4 kW
        await poll(hass, freezer, elnet_sim, load_kw=2.4)
    elnet_sim.set_supply(0)
    await poll(hass, freezer, elnet_sim, load_kw=2.4)
    [_, back] = notified
    assert back.data["title"] == "Back on grid"
    assert back.data["message"] == (
        "Generator ran 1 h 26 min, 3.40 kWh at 2.39 kW average, cost 74.80 INR."
    )


async def test_recharge(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, meter: dr.DeviceEntry,
    elnet_sim: ElnetSimulator,
) -> None:  # fmt: skip
    device, notified = await phone(hass)
    created = async_mock_service(hass, "persistent_notification", "create")
    await use_blueprint(
        hass, "elnet_recharge", meter=meter.id, phones=[device.id], persistent=True
    )
    elnet_sim.recharge(500)
    await poll(hass, freezer, elnet_sim, load_kw=0)
    [call] = notified
    assert call.data["title"] == "Recharge received"
    assert call.data["message"] == (
        "Recharged 500.00 INR: the balance is now 2,287.42 INR."
    )
    assert [c.data["message"] for c in created] == [call.data["message"]]
