"""Standby sensors, device categories in the options, and their words."""

from __future__ import annotations

from datetime import datetime

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.intelergy.analytics.anomaly.flow import (
    form_defaults,
    meter_input,
    settle,
)
from custom_components.intelergy.analytics.anomaly.standby import household_standby
from custom_components.intelergy.const import DOMAIN
from custom_components.intelergy.logbook import describe
from simulators.pzem import PzemSimulator

from .common import ATTRS, POWER, add_monitor, pzem_entry

GENERIC = form_defaults("other")


def entity(hass: HomeAssistant, entry_id: str, key: str) -> str:
    found = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{entry_id}_{key}"
    )
    assert found
    return found


async def choose(hass: HomeAssistant, entry_id: str, **changes: object) -> dict:
    """Open the options form, submit what it shows with ``changes``; the form's values."""
    result = await hass.config_entries.options.async_init(entry_id)
    shown = {
        str(key): key.description["suggested_value"]
        for key in result["data_schema"].schema
    }
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**shown, **changes}
    )
    await hass.async_block_till_done()
    return shown


async def test_a_category_fills_the_untouched_thresholds(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    hass.states.async_set(POWER, "0", ATTRS)
    entry = await add_monitor(hass)
    shown = await choose(hass, entry.entry_id, category="kettle")
    assert shown["category"] == "other"
    assert shown["k"] == GENERIC["k"]
    # The thresholds the form showed at "other"'s defaults follow the kettle's.
    assert entry.options["category"] == "kettle"
    assert "k" not in entry.options
    assert "max_run_minutes" not in entry.options
    [monitor] = entry.runtime_data.anomaly_monitors
    config = monitor.detector.config
    assert (config.k, config.max_run_s, config.debounce_s) == (4.0, 600.0, 10.0)
    assert monitor.category == "kettle"
    # Reopened, the form shows the kettle's; a changed one is the user's.
    shown = await choose(hass, entry.entry_id, k=6.0)
    assert (shown["k"], shown["max_run_minutes"]) == (4.0, 10.0)
    assert entry.options["k"] == 6.0
    [monitor] = entry.runtime_data.anomaly_monitors
    assert monitor.detector.config.k == 6.0
    # Another category: the user's k stays, the untouched ones move.
    await choose(hass, entry.entry_id, category="fridge")
    [monitor] = entry.runtime_data.anomaly_monitors
    config = monitor.detector.config
    assert (config.k, config.max_run_s, config.run_factor) == (6.0, None, None)
    assert config.daily_factor == 1.3


async def test_zero_turns_a_check_off_and_unusual_time_is_an_option(
    hass: HomeAssistant,
) -> None:
    hass.states.async_set(POWER, "0", ATTRS)
    entry = await add_monitor(hass)
    [monitor] = entry.runtime_data.anomaly_monitors
    assert monitor.detector.config.unusual_time is False
    await choose(hass, entry.entry_id, run_factor=0, daily_factor=0, unusual_time=True)
    [monitor] = entry.runtime_data.anomaly_monitors
    config = monitor.detector.config
    assert (config.run_factor, config.daily_factor) == (None, None)
    assert config.unusual_time is True


def test_settle_keeps_only_the_users_values() -> None:
    before = {"category": "kettle", "k": 6.0}
    submitted = {
        "category": "pump",
        "k": 6.0,  # the user's
        "max_run_minutes": 10.0,  # the kettle's default, untouched
        "min_watts": 500.0,  # the kettle's default, untouched
        "debounce_s": 45.0,  # changed now
        "voltage_low": 207.0,  # no category sets it: kept as given
    }
    assert settle(submitted, before) == {
        "category": "pump",
        "k": 6.0,
        "debounce_s": 45.0,
        "voltage_low": 207.0,
    }
    section = {"anomaly_monitor": submitted}
    assert meter_input(section, {"anomaly_monitor": before}) == {
        "anomaly_monitor": settle(submitted, before)
    }
    assert meter_input(None, {}) is None


async def test_standby_sensors_and_the_household_total(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    await hass.config.async_set_time_zone("UTC")
    freezer.move_to("2030-01-03T00:00:00+00:00")
    hass.states.async_set(POWER, "0", ATTRS)
    entry = await add_monitor(hass)
    standby = entity(hass, entry.entry_id, "standby_power")
    energy = entity(hass, entry.entry_id, "standby_energy")
    assert hass.states.get(standby).state == "unknown"
    # Seven hours of a fridge: 120 W a third of the time, else 2 W.
    for minute in range(7 * 60 + 1):
        power = "120" if minute % 30 < 10 else "2"
        hass.states.async_set(POWER, power, ATTRS)
        freezer.tick(60)
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
    assert float(hass.states.get(standby).state) == 2.0
    now = dt_util.utcnow()
    hours = (now - datetime(2030, 1, 1, tzinfo=dt_util.UTC)).total_seconds() / 3600
    state = hass.states.get(energy)
    assert float(state.state) == pytest.approx(2.0 * hours / 1000, abs=1e-3)
    assert state.attributes["since"] == "2030-01-01T00:00:00+00:00"
    report = household_standby(hass, None)
    [row] = report["devices"]
    assert row["entity_id"] == standby
    assert row["power_entity"] == POWER
    assert (report["power_w"], row["power_w"]) == (2.0, 2.0)
    assert report["kwh"] == pytest.approx(2.0 * hours / 1000, abs=1e-3)
    assert (report["cost"], report["price"]) == (None, None)
    # A bill with a price of the next kWh prices it.
    bill = MockConfigEntry(domain=DOMAIN, data={"kind": "billing"})
    bill.add_to_hass(hass)
    price = er.async_get(hass).async_get_or_create(
        "sensor",
        DOMAIN,
        "bill_next_kwh_price",
        config_entry=bill,
        translation_key="next_kwh_price",
    )
    hass.states.async_set(price.entity_id, "8.5", {"unit_of_measurement": "INR/kWh"})
    report = household_standby(hass, bill.entry_id)
    assert (report["price"], report["currency"]) == (8.5, "INR")
    assert report["cost"] == round(report["kwh"] * 8.5, 2)
    assert report["devices"][0]["cost"] == round(row["kwh"] * 8.5, 2)


async def test_events_name_the_category(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, events: list[Event]
) -> None:
    hass.states.async_set(POWER, "0", ATTRS)
    entry = await add_monitor(hass)
    await choose(hass, entry.entry_id, category="kettle")
    # A kettle that does not switch off: 2 kW for 12 minutes.
    for _ in range(12 * 2 + 1):
        hass.states.async_set(POWER, "2000", ATTRS)
        freezer.tick(30)
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
    [event] = [e for e in events if e.data["kind"] == "long_run"]
    assert event.data["category"] == "kettle"
    assert describe(dict(event.data), "Kettle") == (
        "kettle running too long: on for 10 min (limit 10 min)"
        " - not switching off: boiling dry?"
    )


async def test_unusual_time_words(hass: HomeAssistant) -> None:
    await hass.config.async_set_time_zone("UTC")  # the hour is told in local time
    data = {
        "kind": "unusual_time",
        "active": True,
        "value": 1500.0,
        "threshold": 0.05,
        "baseline": 0.01,
        "started": "2026-11-24T03:05:00+00:00",  # a Tuesday
        "category": "tv",
    }
    assert describe(data, "TV") == (
        "TV on at an unusual time: Tue 03:00-04:00 (usually on 1% of that hour)"
        " - left on?"
    )
    assert (
        describe({**data, "active": False}, "TV") == "TV on at an unusual time cleared"
    )
    assert describe({**data, "category": "other"}, "x").startswith(
        "on at an unusual time: "
    )


async def test_a_meters_monitor_takes_its_category(
    hass: HomeAssistant, pzem: PzemSimulator
) -> None:
    entry = pzem_entry(hass, pzem)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    result = await hass.config_entries.options.async_init(entry.entry_id)
    [(_key, folded)] = result["data_schema"].schema.items()
    assert "category" in {str(k) for k in folded.schema.schema}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {"anomaly_monitor": {"monitor": True, **GENERIC, "category": "water_heater"}},
    )
    await hass.async_block_till_done()
    assert entry.options["anomaly_monitor"]["category"] == "water_heater"
    assert "max_run_minutes" not in entry.options["anomaly_monitor"]
    [monitor] = entry.runtime_data.anomaly_monitors
    assert (monitor.category, monitor.detector.config.max_run_s) == (
        "water_heater",
        7200.0,
    )
    uid = f"{entry.unique_id}_standby_power"
    assert er.async_get(hass).async_get_entity_id("sensor", DOMAIN, uid)
