"""Stale sensor and bill watch blueprints: the messages they send."""

from __future__ import annotations

from datetime import datetime, timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    async_fire_time_changed,
    async_mock_service,
)

from custom_components.intelergy.const import DOMAIN
from tests.analytics.billing.common import billing_entry

from .common import phone, use_blueprint

POWER = {"friendly_name": "Kitchen kettle power", "unit_of_measurement": "W"}


async def minutes_pass(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, minutes: int
) -> None:
    """``minutes`` pass a minute at a time (a now() template renders every minute)."""
    for _ in range(minutes):
        freezer.tick(timedelta(minutes=1))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()


async def test_stale_sensor_once_until_it_reports(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    freezer.move_to(
        datetime(2026, 10, 5, 8, 0, 10, tzinfo=dt_util.get_default_time_zone())
    )
    hass.states.async_set("sensor.kitchen_kettle_power", "42.5", POWER)
    device, notified = await phone(hass)
    created = async_mock_service(hass, "persistent_notification", "create")
    await use_blueprint(
        hass, "stale_sensor", sensor="sensor.kitchen_kettle_power", minutes=15,
        phones=[device.id], persistent=True,
    )  # fmt: skip
    await minutes_pass(hass, freezer, 15)  # 08:15:10: 15 min, not over 15 min
    assert notified == []
    await minutes_pass(hass, freezer, 1)
    [call] = notified
    assert call.data["title"] == "No data: Kitchen kettle power"
    assert call.data["message"] == (
        "Kitchen kettle power has not reported for 16 min (last at 08:00: 42.5 W)."
    )
    assert [c.data["message"] for c in created] == [call.data["message"]]
    await minutes_pass(hass, freezer, 30)
    assert len(notified) == 1  # still stale: said once
    hass.states.async_set("sensor.kitchen_kettle_power", "42.5", POWER)  # reports
    await minutes_pass(hass, freezer, 15)
    assert len(notified) == 1
    await minutes_pass(hass, freezer, 1)
    assert len(notified) == 2
    assert notified[1].data["message"] == (
        "Kitchen kettle power has not reported for 16 min (last at 08:46: 42.5 W)."
    )


async def test_stale_sensor_that_is_gone(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    hass.states.async_set("sensor.kitchen_kettle_power", "42.5", POWER)
    device, notified = await phone(hass)
    await use_blueprint(
        hass, "stale_sensor", sensor="sensor.kitchen_kettle_power", minutes=5,
        phones=[device.id],
    )  # fmt: skip
    hass.states.async_remove("sensor.kitchen_kettle_power")
    await hass.async_block_till_done()
    [call] = notified
    assert call.data["title"] == "No data: sensor.kitchen_kettle_power"
    assert (
        call.data["message"] == "sensor.kitchen_kettle_power does not exist (any more)."
    )


@pytest.fixture
async def bill(hass: HomeAssistant) -> dr.DeviceEntry:
    """A bill's device with its Projected bill sensor (as the billing entry has it)."""
    await hass.config.async_update(currency="INR")
    entry = billing_entry(hass, ["sensor.kitchen_kettle_energy"])
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, entry.entry_id)},
        name="Home",
    )  # fmt: skip
    er.async_get(hass).async_get_or_create(
        "sensor", DOMAIN, f"{entry.entry_id}_projected_cost", config_entry=entry,
        device_id=device.id, suggested_object_id="home_projected_bill",
        translation_key="projected_cost",
    )  # fmt: skip
    projected(hass, 1840.0, 1610.25, 2075.8)
    return device


def projected(hass: HomeAssistant, total: float, low: float, high: float) -> None:
    hass.states.async_set(
        "sensor.home_projected_bill", str(total),
        {"device_class": "monetary", "unit_of_measurement": "INR",
         "method": "average", "low": low, "high": high},
    )  # fmt: skip


def slab(device: dr.DeviceEntry, **data: object) -> dict[str, object]:
    """The data of an ``intelergy_slab_…`` event (docs/billing.md)."""
    return {
        "entry_id": "bill-entry", "device_id": device.id, "name": "Home",
        "currency": "INR", "slab": 2, "from_kwh": 100, "to_kwh": 300, "rate": 4.5,
        "date": "2026-10-14", "cycle_start": "2026-10-01", **data,
    }  # fmt: skip


async def test_bill_over_budget(hass: HomeAssistant, bill: dr.DeviceEntry) -> None:
    device, notified = await phone(hass)
    await use_blueprint(
        hass, "bill_watch", projected="sensor.home_projected_bill", budget=2000,
        phones=[device.id],
    )  # fmt: skip
    projected(hass, 1990.0, 1750.0, 2230.0)
    await hass.async_block_till_done()
    assert notified == []
    projected(hass, 2150.5, 1890.0, 2410.75)
    await hass.async_block_till_done()
    [call] = notified
    assert call.data["title"] == "Home: over budget"
    assert call.data["message"] == (
        "Projected bill 2,150.50 INR is above your budget of 2,000.00 INR"
        " (likely 1,890.00 to 2,410.75 INR)."
    )
    projected(hass, 2210.0, 1950.0, 2470.0)
    await hass.async_block_till_done()
    assert len(notified) == 1  # once per crossing


async def test_bill_slab_events(hass: HomeAssistant, bill: dr.DeviceEntry) -> None:
    device, notified = await phone(hass)
    await use_blueprint(
        hass, "bill_watch", projected="sensor.home_projected_bill",
        slab_forecast=True, phones=[device.id],
    )  # fmt: skip
    hass.bus.async_fire("intelergy_slab_forecast", slab(bill))
    await hass.async_block_till_done()
    hass.bus.async_fire("intelergy_slab_entered", slab(bill, date="2026-10-12"))
    await hass.async_block_till_done()
    hass.bus.async_fire(
        "intelergy_slab_entered",
        slab(bill, slab=3, from_kwh=300, to_kwh=None, rate=6.25, date="2026-10-25"),
    )
    await hass.async_block_till_done()
    hass.bus.async_fire("intelergy_slab_entered", slab(bill, device_id="other"))
    await hass.async_block_till_done()
    assert [(c.data["title"], c.data["message"]) for c in notified] == [
        (
            "Home: dearer slab ahead",
            "Projected to enter slab 2 (100 to 300 kWh at 4.50 INR/kWh) on 2026-10-14.",
        ),
        (
            "Home: dearer slab",
            "Slab 2 (100 to 300 kWh) since 2026-10-12: the next kWh costs 4.50 INR.",
        ),
        (
            "Home: dearer slab",
            "Slab 3 (300+ kWh) since 2026-10-25: the next kWh costs 6.25 INR.",
        ),
    ]  # the other bill's event is not this one's


async def test_bill_slab_forecast_off_by_default(
    hass: HomeAssistant, bill: dr.DeviceEntry
) -> None:
    device, notified = await phone(hass)
    await use_blueprint(
        hass, "bill_watch", projected="sensor.home_projected_bill", phones=[device.id]
    )
    hass.bus.async_fire("intelergy_slab_forecast", slab(bill))
    projected(hass, 9999.0, 9000.0, 11000.0)  # budget 0: never
    await hass.async_block_till_done()
    assert notified == []
    hass.bus.async_fire("intelergy_slab_entered", slab(bill))
    await hass.async_block_till_done()
    assert len(notified) == 1
