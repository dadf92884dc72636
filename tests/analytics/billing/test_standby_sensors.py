"""The bill's household standby sensors: every monitor's standby, and its cost.

Two monitored devices learn their standby (a fridge's 2 W, a TV's 5 W) before
the bill is set up; the bill's *Standby power* is their sum and *Standby cost
this month* their standby energy this month at its *Price of the next kWh*,
read again at each of the bill's 5-minute refreshes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.intelergy.analytics.anomaly.standby import household_standby
from custom_components.intelergy.const import DOMAIN
from tests.recorder import auto_enable_custom_integrations  # noqa: F401

from ..anomaly.common import ATTRS, POWER, add_monitor
from .common import (
    HOUR,
    billing_entry,
    energy_sensor,
    import_rows,
    setup_integration,
    usage_rows,
)

OCT = datetime(2026, 10, 1, tzinfo=UTC)
TV = "sensor.tv_power"
TV_ATTRS = {**ATTRS, "friendly_name": "TV power"}


def sensor(hass: HomeAssistant, unique_id: str) -> str:
    entity_id = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, unique_id)
    assert entity_id is not None
    return entity_id


def value(hass: HomeAssistant, entity_id: str) -> float:
    state = hass.states.get(entity_id)
    assert state is not None
    return float(state.state)


def read(hass: HomeAssistant) -> None:
    """A reading of each device, at its standby: its sensors write this moment's."""
    hass.states.async_set(POWER, "2", ATTRS, force_update=True)
    hass.states.async_set(TV, "5", TV_ATTRS, force_update=True)


async def test_household_standby_power_and_cost(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    await hass.config.async_set_time_zone("UTC")
    freezer.move_to(OCT + 2 * 24 * HOUR)
    hass.states.async_set(POWER, "0", ATTRS)
    hass.states.async_set(TV, "0", TV_ATTRS)
    fridge = await add_monitor(hass)
    tv = await add_monitor(hass, power_entity=TV)
    # Seven hours: the fridge at 120 W a third of the time, else 2 W; the TV on
    # (90 W) ten minutes an hour, else at 5 W.
    for minute in range(7 * 60 + 1):
        hass.states.async_set(POWER, "120" if minute % 30 < 10 else "2", ATTRS)
        hass.states.async_set(TV, "90" if minute % 60 < 10 else "5", TV_ATTRS)
        freezer.tick(60)
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
    devices = [fridge.entry_id, tv.entry_id]  # type: ignore[attr-defined]
    powers = [sensor(hass, f"{prefix}_standby_power") for prefix in devices]
    energies = [sensor(hass, f"{prefix}_standby_energy") for prefix in devices]
    assert [value(hass, p) for p in powers] == [2.0, 5.0]

    # The bill: 55 kWh so far, in the first slab (3.50 + 18 % GST).
    energy_sensor(hass, "sensor.main")
    await import_rows(hass, "sensor.main", usage_rows(OCT, [1.0] * 55))
    entry: MockConfigEntry = billing_entry(hass, ["sensor.main"])
    await setup_integration(hass, entry)
    read(hass)
    await hass.async_block_till_done()
    power = sensor(hass, f"{entry.entry_id}_household_standby_power")
    cost = sensor(hass, f"{entry.entry_id}_household_standby_cost")
    price = value(hass, sensor(hass, f"{entry.entry_id}_next_kwh_price"))
    assert price == pytest.approx(4.13)
    kwh = sum(value(hass, e) for e in energies)
    assert value(hass, power) == 7.0 == sum(value(hass, p) for p in powers)
    assert value(hass, cost) == round(kwh * price, 2)
    state = hass.states.get(cost)
    assert state is not None
    assert state.attributes["unit_of_measurement"] == "INR"
    assert hass.states.get(power).attributes["unit_of_measurement"] == "W"  # type: ignore[union-attr]
    # The same figures as energy_report's standby block.
    report = household_standby(hass, entry.entry_id)
    assert (report["power_w"], report["cost"]) == (7.0, value(hass, cost))

    # An hour on, the next refresh (5 past, 40 s) adds the hour's standby.
    before = value(hass, cost)
    freezer.move_to(datetime(2026, 10, 3, 8, 5, 40, tzinfo=UTC))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    read(hass)
    await hass.async_block_till_done()
    kwh = sum(value(hass, e) for e in energies)
    price = value(hass, sensor(hass, f"{entry.entry_id}_next_kwh_price"))
    assert value(hass, cost) == round(kwh * price, 2) > before


async def test_unknown_without_a_learned_standby(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    await hass.config.async_set_time_zone("UTC")
    freezer.move_to(OCT + 2 * 24 * HOUR + timedelta(minutes=2))
    energy_sensor(hass, "sensor.main")
    await import_rows(hass, "sensor.main", usage_rows(OCT, [1.0] * 48))
    entry = billing_entry(hass, ["sensor.main"])
    await setup_integration(hass, entry)
    for key in ("household_standby_power", "household_standby_cost"):
        state = hass.states.get(sensor(hass, f"{entry.entry_id}_{key}"))
        assert state is not None
        assert state.state == "unknown"
