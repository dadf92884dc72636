"""Cycles and meters as they really are: DST, day 31, new sensors, resets, gaps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
    do_adhoc_statistics,
)

from custom_components.intelergy.core.tariff import (
    MonthlyCycle,
    Slab,
    Tariff,
    TouBand,
)
from tests.recorder import auto_enable_custom_integrations  # noqa: F401

from .common import (
    DAY,
    HOUR,
    SEED,
    billing_entry,
    call,
    energy_sensor,
    import_rows,
    setup_integration,
    usage_rows,
)

pytestmark = pytest.mark.databases  # SQLite, PostgreSQL, MariaDB (tests/databases.py)

D = Decimal
FLAT = Tariff("EUR", slabs=(Slab(None, D("0.30")),))


async def test_dst_change_inside_the_cycle(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Berlin, March 2027: clocks go forward on the 28th; that day has 23 hours."""
    await hass.config.async_set_time_zone("Europe/Berlin")
    freezer.move_to(datetime(2027, 3, 30, 10, 30, tzinfo=UTC))
    energy_sensor(hass, "sensor.meter")
    # 1 kWh an hour: a row a day (00:00 CET, 24 kWh) to the 26th, then hourly
    # rows around the change (02:00 CET becomes 03:00 CEST on the 28th).
    first = datetime(2027, 2, 28, 23, tzinfo=UTC)  # 1 March 00:00 CET
    hourly_from = first + 26 * DAY
    hours = int((datetime(2027, 3, 30, 10, tzinfo=UTC) - hourly_from) / HOUR)
    await import_rows(
        hass,
        "sensor.meter",
        usage_rows(first, [24.0] * 26, step=DAY)
        + usage_rows(hourly_from, [1.0] * hours, state=1624, total=624),
    )
    entry = billing_entry(hass, ["sensor.meter"], FLAT)
    await setup_integration(hass, entry)

    day = await call(
        hass,
        "energy_report",
        start="2027-03-27 00:00:00",
        end="2027-03-30 00:00:00",
        group_by="day",
    )
    assert [b["kwh"] for b in day["buckets"]] == [24.0, 23.0, 24.0]
    assert day["buckets"][1]["start"] == "2027-03-28T00:00:00+01:00"
    # The 28th alone, by bill: 23 kWh.
    bill = await call(
        hass, "calculate_bill", start="2027-03-28 00:00:00", end="2027-03-29 00:00:00"
    )
    assert bill["energy_kwh"] == 23.0
    assert bill["start"] == "2027-03-28T00:00:00+01:00"
    assert bill["end"] == "2027-03-29T00:00:00+02:00"
    # The projection counts days, not 24-hour blocks: 29 complete days used 695 kWh.
    prediction = await call(hass, "predict_bill", method="average")
    assert prediction["complete_days"] == 29
    assert prediction["methods"]["average"]["projected_kwh"] == pytest.approx(
        695 + 2 * 695 / 29, abs=0.001
    )
    # The fixed charge accrues over the cycle's real 743 hours.
    assert prediction["days"] == 31


async def test_cycle_day_31_in_february(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    await hass.config.async_set_time_zone("UTC")
    freezer.move_to(datetime(2027, 3, 10, 12, tzinfo=UTC))
    energy_sensor(hass, "sensor.meter")
    start = datetime(2027, 1, 1, tzinfo=UTC)
    await import_rows(hass, "sensor.meter", usage_rows(start, [12.0] * 68, step=DAY))
    tariff = Tariff.from_dict(
        {**SEED.as_dict(), "cycle": {"type": "monthly", "day": 31}}
    )
    entry = billing_entry(hass, ["sensor.meter"], tariff)
    await setup_integration(hass, entry)

    previous = await call(hass, "calculate_bill", period="previous_cycle")
    [cycle] = previous["cycles"]
    # 31 January to 27 February: 28 days, 336 kWh.
    assert (cycle["cycle_start"], cycle["cycle_end"]) == ("2027-01-31", "2027-02-27")
    assert previous["energy_kwh"] == 336.0
    # 350 + 900 + 36 * 6 = 1466, + 50 = 1516, + 18 % = 1788.88.
    assert previous["total"] == 1788.88
    current = await call(hass, "calculate_bill")
    assert current["cycles"][0]["cycle_start"] == "2027-02-28"
    assert current["cycles"][0]["cycle_end"] == "2027-03-30"
    # "2027-01" is the cycle starting in January: 31 January, the previous one.
    january = await call(hass, "calculate_bill", period="2027-01")
    assert january["cycles"] == previous["cycles"]
    assert MonthlyCycle(31).for_month("2027-02").start.day == 28


async def test_sensor_added_mid_cycle(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """A plug first seen on the 15th: its statistics start at 0 then, as HA's do."""
    await hass.config.async_set_time_zone("UTC")
    freezer.move_to(datetime(2026, 10, 1, 1, tzinfo=UTC))
    sep = datetime(2026, 9, 1, tzinfo=UTC)
    energy_sensor(hass, "sensor.main")
    energy_sensor(hass, "sensor.plug")
    await import_rows(hass, "sensor.main", usage_rows(sep, [6.0] * 30, step=DAY))
    await import_rows(
        hass, "sensor.plug", usage_rows(sep + 14 * DAY, [12.0] * 16, step=DAY)
    )
    entry = billing_entry(hass, ["sensor.main", "sensor.plug"], SEED)
    await setup_integration(hass, entry)
    bill = await call(hass, "calculate_bill", period="2026-09")
    kwh = {s["entity_id"]: s["kwh"] for s in bill["sensors"]}
    assert kwh == {"sensor.main": 180.0, "sensor.plug": 192.0}
    assert bill["energy_kwh"] == 372.0


async def test_meter_reset_mid_cycle_in_imported_statistics(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """The meter restarts at 0 on the 10th: its state drops, the sum does not."""
    await hass.config.async_set_time_zone("UTC")
    freezer.move_to(datetime(2026, 10, 1, 1, tzinfo=UTC))
    sep = datetime(2026, 9, 1, tzinfo=UTC)
    energy_sensor(hass, "sensor.main")
    rows = usage_rows(sep, [12.0] * 30, state=5000.0, resets=[9], step=DAY)
    assert rows[9][1] == 12.0  # the meter's register after the reset
    await import_rows(hass, "sensor.main", rows)
    entry = billing_entry(hass, ["sensor.main"], SEED)
    await setup_integration(hass, entry)
    bill = await call(hass, "calculate_bill", period="2026-09")
    assert bill["energy_kwh"] == 360.0
    # 350 + 900 + 60 * 6 = 1610; + 50 = 1660; + 18 % = 1958.80.
    assert bill["total"] == 1958.8


async def test_meter_reset_and_outage_through_the_recorder(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Real states through the recorder's 5-minute statistics: a reset, an outage.

    10:00 10.0 kWh; 10:07 12.0; 10:12 the meter restarts: 0.5; 10:17 1.5;
    10:22 unavailable; 10:41 back at 4.0. Used: 2 + 0.5 + 1 + 2.5 = 6 kWh.
    """
    await hass.config.async_set_time_zone("UTC")
    assert await async_setup_component(hass, "sensor", {})  # compiles sensors' stats
    hour = datetime(2026, 9, 14, 10, tzinfo=UTC)
    readings = [(0, "10.0"), (7, "12.0"), (12, "0.5"), (17, "1.5"), (22, "unavailable")]
    readings.append((41, "4.0"))
    for minute, value in readings:
        freezer.move_to(hour + timedelta(minutes=minute))
        if value == "unavailable":
            hass.states.async_set("sensor.meter", value)
        else:
            energy_sensor(hass, "sensor.meter", state=float(value))
        await hass.async_block_till_done()
    await async_wait_recording_done(hass)
    freezer.move_to(hour + timedelta(minutes=55, seconds=30))
    for five in range(0, 55, 5):
        do_adhoc_statistics(hass, start=hour + timedelta(minutes=five))
        await async_wait_recording_done(hass)
    entry = billing_entry(hass, ["sensor.meter"], FLAT)
    await setup_integration(hass, entry)
    bill = await call(hass, "calculate_bill", start="2026-09-14 10:00:00")
    # 5-minute rows carry the sum past the last compiled hour.
    assert bill["energy_kwh"] == 6.0
    assert bill["energy_charge"] == 1.8
    report = await call(
        hass, "energy_report", start="2026-09-14 00:00:00", group_by="hour"
    )
    # The report reads the same sums as the bill: 6 kWh in the 10:00 hour, from
    # its 5-minute rows. (It read the recorder's hourly rows only and said 0 kWh
    # until the hour was compiled: issue 14.)
    assert report["total_kwh"] == bill["energy_kwh"] == 6.0
    assert [b["kwh"] for b in report["buckets"]] == [0.0] * 10 + [6.0]
    assert report["buckets"][-1]["end"] == "2026-09-14T10:55:30+00:00"  # now


async def test_a_total_sensor_going_down_counts_zero(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """A ``total`` sensor (net energy) whose sum dips and recovers, then goes down."""
    await hass.config.async_set_time_zone("UTC")
    freezer.move_to(datetime(2026, 9, 2, 12, tzinfo=UTC))
    energy_sensor(hass, "sensor.net", state_class="total")
    start = datetime(2026, 9, 2, tzinfo=UTC)
    sums = [100.0, 95.0, 100.0, 110.0, 104.0, 101.0]
    await import_rows(
        hass, "sensor.net", [(start + i * HOUR, s, s) for i, s in enumerate(sums)]
    )
    entry = billing_entry(hass, ["sensor.net"], FLAT)
    await setup_integration(hass, entry)

    async def kwh(first: int, last: int) -> float:
        bill = await call(
            hass,
            "calculate_bill",
            start=(start + first * HOUR).isoformat(),
            end=(start + last * HOUR).isoformat(),
        )
        return float(bill["energy_kwh"])

    # Sums at the ends of hours 0..5; the period [1 h, 4 h) is 100 -> 110.
    assert await kwh(1, 4) == 10.0  # hourly clamping would say 15
    assert await kwh(4, 6) == 0.0  # 110 -> 101: never negative
    assert await kwh(1, 2) == 0.0
    report = await call(
        hass,
        "energy_report",
        start=(start + HOUR).isoformat(),
        end=(start + 6 * HOUR).isoformat(),
        group_by="hour",
    )
    # The report shows the recorder's hours, each clamped on its own.
    assert [b["kwh"] for b in report["buckets"]] == [0.0, 5.0, 10.0, 0.0, 0.0]


async def test_time_of_use(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    await hass.config.async_set_time_zone("UTC")
    freezer.move_to(datetime(2026, 10, 1, 1, tzinfo=UTC))
    tariff = Tariff(
        "INR",
        slabs=SEED.slabs,
        tax_percent=D(18),
        tou_bands=(TouBand("night", 22, 6, D("2.00")),),
    )
    energy_sensor(hass, "sensor.main")
    sep = datetime(2026, 9, 1, tzinfo=UTC)
    # 3 kWh an hour for six days (a row an hour: TOU needs the hours).
    await import_rows(hass, "sensor.main", usage_rows(sep, [3.0] * (6 * 24)))
    entry = billing_entry(hass, ["sensor.main"], tariff)
    await setup_integration(hass, entry)
    bill = await call(hass, "calculate_bill", period="2026-09")
    # 8 night hours a day: 144 kWh at 2.00; the other 288 climb the slabs.
    assert bill["tou"] == [
        {"band": "night", "kwh": 144.0, "rate": 2.0, "amount": 288.0}
    ]
    assert sum(row["kwh"] for row in bill["slabs"]) == 288.0
    assert bill["energy_charge"] == 288 + 350 + 188 * 4.5
    # The last three days: 72 night kWh; their slab rows continue from 144 kWh.
    half = await call(
        hass, "calculate_bill", start="2026-09-04 00:00:00", end="2026-09-07 00:00:00"
    )
    assert half["tou"][0]["kwh"] == 72.0
    assert [(row["from_kwh"], row["kwh"]) for row in half["slabs"]] == [(100.0, 144.0)]
