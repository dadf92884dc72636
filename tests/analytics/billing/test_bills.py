"""Bills from real recorder statistics: the seed's example, cycles, resets, areas."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    area_registry as ar,
    device_registry as dr,
    entity_registry as er,
)
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.recorder import auto_enable_custom_integrations  # noqa: F401

from .common import (
    HOUR,
    billing_entry,
    call,
    energy_sensor,
    import_rows,
    setup_integration,
    usage_rows,
)

pytestmark = pytest.mark.databases  # SQLite, PostgreSQL, MariaDB (tests/databases.py)

# September 2026 in India (UTC+5:30): 1 Sep 00:00 IST is 31 Aug 18:30 UTC; the
# hourly row starting 18:00 UTC (23:30 IST) still belongs to 31 August.
SEP_FIRST_ROW = datetime(2026, 8, 31, 19, tzinfo=UTC)
SIX = 6 * HOUR


async def india(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, when: datetime
) -> None:
    await hass.config.async_set_time_zone("Asia/Kolkata")
    freezer.move_to(when)


def area_of(
    hass: HomeAssistant, entity_id: str, area: str, *, via_device: bool
) -> None:
    """Put a sensor in an area, directly or through its device."""
    area_id = ar.async_get(hass).async_get_or_create(area).id
    entities = er.async_get(hass)
    object_id = entity_id.split(".", 1)[1]
    if via_device:
        owner = MockConfigEntry(domain="test")
        owner.add_to_hass(hass)
        device = dr.async_get(hass).async_get_or_create(
            config_entry_id=owner.entry_id, identifiers={("test", object_id)}
        )
        dr.async_get(hass).async_update_device(device.id, area_id=area_id)
        entities.async_get_or_create(
            "sensor",
            "test",
            object_id,
            suggested_object_id=object_id,
            device_id=device.id,
            config_entry=owner,
        )
    else:
        entities.async_get_or_create(
            "sensor", "test", object_id, suggested_object_id=object_id
        )
        entities.async_update_entity(entity_id, area_id=area_id)


async def household_of_september(hass: HomeAssistant) -> MockConfigEntry:
    """Kitchen 180 kWh + bedroom 170 kWh in September: the seed's 350 kWh.

    A row every 6 hours. Both also used energy on 31 August up to the row
    starting 18:00 UTC (23:30 IST), and on 1 October: neither may count.
    """
    area_of(hass, "sensor.kettle_energy", "Kitchen", via_device=False)
    area_of(hass, "sensor.heater_energy", "Bedroom", via_device=True)
    energy_sensor(hass, "sensor.kettle_energy", name="Kettle energy")
    energy_sensor(hass, "sensor.heater_energy", name="Heater energy")
    before = SEP_FIRST_ROW - 19 * HOUR  # 31 August 00:00 UTC
    await import_rows(
        hass,
        "sensor.kettle_energy",
        usage_rows(before, [9.0] * 4, step=SIX)
        + usage_rows(
            SEP_FIRST_ROW, [1.5] * 120 + [6.0] * 4, state=1036, total=36, step=SIX
        ),
    )
    await import_rows(
        hass,
        "sensor.heater_energy",
        usage_rows(before, [7.0] * 4, step=SIX)
        + usage_rows(
            SEP_FIRST_ROW,
            [3.4] * 50 + [0.0] * 70 + [12.0] * 4,
            state=1028,
            total=28,
            step=SIX,
        ),
    )
    return billing_entry(hass, ["sensor.kettle_energy", "sensor.heater_energy"])


async def test_seed_example_previous_cycle(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    await india(hass, freezer, datetime(2026, 10, 2, 12, tzinfo=UTC))
    entry = await household_of_september(hass)
    await setup_integration(hass, entry)

    bill = await call(hass, "calculate_bill", period="previous_cycle")
    assert bill["household"] == "Home"
    assert bill["currency"] == "INR"
    assert bill["start"] == "2026-09-01T00:30:00+05:30"
    assert bill["end"] == "2026-10-01T00:30:00+05:30"
    assert bill["energy_kwh"] == 350.0
    assert bill["slabs"] == [
        {"from_kwh": 0.0, "to_kwh": 100.0, "kwh": 100.0, "rate": 3.5, "amount": 350.0},
        {
            "from_kwh": 100.0,
            "to_kwh": 300.0,
            "kwh": 200.0,
            "rate": 4.5,
            "amount": 900.0,
        },
        {"from_kwh": 300.0, "to_kwh": None, "kwh": 50.0, "rate": 6.0, "amount": 300.0},
    ]
    assert bill["energy_charge"] == 1550.0
    assert bill["fixed_charge"] == 50.0
    assert bill["tax_percent"] == 18.0
    assert bill["tax"] == 288.0
    assert bill["total"] == 1888.0
    assert [c["complete"] for c in bill["cycles"]] == [True]
    assert bill["cycles"][0]["cycle_start"] == "2026-09-01"
    assert bill["cycles"][0]["cycle_end"] == "2026-09-30"
    # 1888.00 shared 180 : 170, to the cent.
    assert bill["sensors"] == [
        {
            "entity_id": "sensor.kettle_energy",
            "name": "Kettle energy",
            "area_id": "kitchen",
            "area": "Kitchen",
            "kwh": 180.0,
            "cost": 970.97,
        },
        {
            "entity_id": "sensor.heater_energy",
            "name": "Heater energy",
            "area_id": "bedroom",
            "area": "Bedroom",
            "kwh": 170.0,
            "cost": 917.03,
        },
    ]
    assert bill["areas"] == [
        {"area_id": "bedroom", "name": "Bedroom", "kwh": 170.0, "cost": 917.03},
        {"area_id": "kitchen", "name": "Kitchen", "kwh": 180.0, "cost": 970.97},
    ]
    # The same cycle by month, and an area alone.
    assert (await call(hass, "calculate_bill", period="2026-09"))["total"] == 1888.0
    kitchen = await call(hass, "calculate_bill", period="2026-09", area_id="kitchen")
    assert [s["entity_id"] for s in kitchen["sensors"]] == ["sensor.kettle_energy"]
    # 180 kWh billed alone: 350 + 360 + 50 fixed = 760, + 18 % = 896.80.
    assert kitchen["total"] == 896.8


async def test_periods_inside_a_cycle_add_up(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    await india(hass, freezer, datetime(2026, 10, 2, 12, tzinfo=UTC))
    entry = await household_of_september(hass)
    await setup_integration(hass, entry)
    first = await call(
        hass, "calculate_bill", start="2026-09-01 00:00:00", end="2026-09-16 00:00:00"
    )
    second = await call(
        hass, "calculate_bill", start="2026-09-16 00:00:00", end="2026-10-01 00:00:00"
    )
    assert first["energy_kwh"] + second["energy_kwh"] == 350.0
    assert round(first["total"] + second["total"], 2) == 1888.0
    assert round(first["fixed_charge"] + second["fixed_charge"], 2) == 50.0
    assert [c["complete"] for c in first["cycles"]] == [False]
    # The heater stopped after 300 hours: all its 170 kWh are in the first half.
    heater = {s["entity_id"]: s for s in second["sensors"]}["sensor.heater_energy"]
    assert heater["kwh"] == 0.0
    assert heater["cost"] == 0.0
    # Across cycles: 31 Aug (4 rows of 16 kWh) + September + 1 Oct (4 of 18).
    across = await call(
        hass, "calculate_bill", start="2026-08-31 00:00:00", end="2026-10-02 00:00:00"
    )
    assert [c["cycle_start"] for c in across["cycles"]] == [
        "2026-08-01",
        "2026-09-01",
        "2026-10-01",
    ]
    assert across["cycles"][1]["total"] == 1888.0
    assert across["total"] == round(sum(c["total"] for c in across["cycles"]), 2)
    assert across["energy_kwh"] == 4 * 16 + 350 + 4 * 18


async def test_sensors_and_restart(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    # 2 Oct 12:10 IST. The October rows imported (18 kWh every 6 hours) run to
    # 1 Oct 19:00 UTC (00:30 IST on 2 Oct): 72 kWh, all on 1 October.
    await india(hass, freezer, datetime(2026, 10, 2, 6, 40, tzinfo=UTC))
    entry = await household_of_september(hass)
    await setup_integration(hass, entry)
    states = sensor_states(hass, entry)
    assert states["energy_cycle"].state == "72.0"
    # No state class (issue 14: not offered as the Energy dashboard's energy), so
    # no last_reset: the cycle is in its attributes, counted from 00:30 in India.
    assert "last_reset" not in states["energy_cycle"].attributes
    assert states["energy_cycle"].attributes["cycle_start"] == "2026-10-01"
    assert (
        states["energy_cycle"].attributes["counted_from"] == "2026-10-01T00:30:00+05:30"
    )
    assert states["cost_cycle"].attributes["last_reset"] == "2026-09-30T19:00:00+00:00"
    assert states["cost_cycle"].attributes["unit_of_measurement"] == "INR"
    assert states["cost_cycle"].attributes["state_class"] == "total"
    # 72 kWh at 3.50 = 252; fixed 50 * (1 day 11 h 40 min) / 31 days.
    fixed = round(50 * (35 + 40 / 60) / (31 * 24), 2)
    assert float(states["cost_cycle"].state) == round((252 + fixed) * 1.18, 2)
    assert states["cost_cycle"].attributes["slabs"][0]["kwh"] == 72.0
    assert states["cost_today"].attributes["last_reset"] == "2026-10-01T19:00:00+00:00"
    # Today (from 00:30 IST) has no rows yet: only the fixed charge accrues.
    assert float(states["cost_today"].state) < 1.5
    assert float(states["projected_energy"].state) == pytest.approx(72.0 * 31)
    kettle = states["sensor_cost_kettle"]
    assert kettle.attributes["energy_kwh"] == 24.0
    heater = states["sensor_cost_heater"]
    assert heater.attributes["energy_kwh"] == 48.0
    assert float(kettle.state) + float(heater.state) == pytest.approx(
        float(states["cost_cycle"].state)
    )
    before = {key: state.state for key, state in states.items()}

    # After a restart (here: a reload) the figures are the same at once.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    after = {key: state.state for key, state in sensor_states(hass, entry).items()}
    assert after == before


def sensor_states(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    """The entry's sensor states by description key.

    A billed sensor's cost is ``sensor_cost_<object id of the billed sensor>``.
    """
    registry = er.async_get(hass)
    found = {}
    for entity in er.async_entries_for_config_entry(registry, entry.entry_id):
        state = hass.states.get(entity.entity_id)
        assert state is not None
        key = entity.unique_id.removeprefix(f"{entry.entry_id}_")
        if key.startswith("sensor_cost_"):
            billed = state.attributes["entity_id"]
            key = "sensor_cost_" + billed.split(".", 1)[1].removesuffix("_energy")
        found[key] = state
    return found


def test_projection_never_below_the_energy_used() -> None:
    """A cycle whose complete days used nothing but today a lot (a new meter)."""
    from datetime import date as _date  # noqa: PLC0415
    from decimal import Decimal as _Decimal  # noqa: PLC0415

    from custom_components.intelergy.analytics.billing.bills import (  # noqa: PLC0415
        CycleSoFar,
        projections,
    )
    from custom_components.intelergy.core.prediction import Method  # noqa: PLC0415
    from custom_components.intelergy.core.tariff import (  # noqa: PLC0415
        Slab,
        Tariff,
    )

    tariff = Tariff("INR", slabs=(Slab(None, _Decimal("5")),))
    cycle = tariff.cycle.containing_date(_date(2026, 11, 23))
    so_far = CycleSoFar(
        now=datetime(2026, 11, 23, 12, tzinfo=UTC),
        cycle=cycle,
        cycle_start=datetime(2026, 11, 1, tzinfo=UTC),
        cycle_end=datetime(2026, 12, 1, tzinfo=UTC),
        counted_from=datetime(2026, 11, 1, tzinfo=UTC),
        day_start=datetime(2026, 11, 23, tzinfo=UTC),
        bill=tariff.bill(_Decimal("80")),
        today=None,  # type: ignore[arg-type]
        sensor_kwh={},
        sensor_cost={},
        daily={_date(2026, 11, day): 0.0 for day in range(1, 23)},
        remaining=[_date(2026, 11, day) for day in range(23, 31)],
        tou_share={},
    )
    found = projections(so_far, tariff, [Method.AVERAGE, Method.TREND])
    assert found is not None
    for projection in found.values():
        assert projection.projection.projected_kwh >= 80
        assert projection.projection.low_kwh >= 80
        assert projection.bill.total >= _Decimal("400")
