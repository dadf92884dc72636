"""The billing rules without Home Assistant: energy from sums, costs of periods."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
import itertools
import math
from zoneinfo import ZoneInfo

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.intelergy.core.ledger import (
    Charges,
    LedgerError,
    Part,
    allocate,
    band_energy,
    bill_at,
    boundary,
    cycle_bounds,
    daily_kwh,
    day_bounds,
    energy_between,
    instants,
    plan,
    price,
    price_part,
    to_kwh,
)
from custom_components.intelergy.core.tariff import (
    MAX_AMOUNT,
    MonthlyCycle,
    RollingCycle,
    Slab,
    Tariff,
    TariffError,
    TouBand,
)

D = Decimal
UTC_TZ = UTC
KOLKATA = ZoneInfo("Asia/Kolkata")
BERLIN = ZoneInfo("Europe/Berlin")
SEED = Tariff(
    "INR",
    slabs=(Slab(D(100), D("3.50")), Slab(D(300), D("4.50")), Slab(None, D("6.00"))),
    fixed_charge=D(50),
    tax_percent=D(18),
)
TOU = Tariff(
    "INR",
    slabs=SEED.slabs,
    tax_percent=D(18),
    tou_bands=(TouBand("night", 22, 6, D("2.00")),),
)
SEP = MonthlyCycle(1).for_month("2026-09")


def cycle_part(tz: ZoneInfo = UTC_TZ) -> Part:
    start, end = cycle_bounds(SEP, tz)
    return Part(SEP, start, end, start, end)


def test_boundary_is_the_next_whole_hour() -> None:
    whole = datetime(2026, 9, 1, tzinfo=UTC)
    assert boundary(whole) == whole
    assert boundary(whole + timedelta(minutes=1)) == whole + timedelta(hours=1)
    # India is UTC+5:30: local midnight falls inside an hourly row, which belongs
    # to the day it starts in; the day starts, in statistics, at 00:30.
    midnight = datetime(2026, 9, 1, tzinfo=KOLKATA)
    assert boundary(midnight) == datetime(2026, 9, 1, 0, 30, tzinfo=KOLKATA)
    assert boundary(midnight).tzinfo is UTC


@pytest.mark.parametrize(
    ("start", "end", "kwh"),
    [
        (10.0, 25.5, 15.5),
        (None, 7.0, 7.0),  # no statistics at the start: a sensor added since
        (None, None, 0.0),
        (10.0, None, 0.0),
        (10.0, 9.0, 0.0),  # the sum went down: nothing, never negative
    ],
)
def test_energy_between(start: float | None, end: float | None, kwh: float) -> None:
    assert energy_between(start, end) == kwh


def test_seed_example_350_kwh() -> None:
    part = cycle_part()
    sums = {"sensor.home": {part.start: 1000.0, part.end: 1350.0}}
    priced = price_part(SEED, part, sums)
    charges = priced.charges
    # 100 * 3.50 + 200 * 4.50 + 50 * 6.00 = 1550; + 50 fixed = 1600; GST 288.
    assert charges.energy_charge == D("1550.00")
    assert charges.fixed_charge == D("50.00")
    assert charges.tax == D("288.00")
    assert charges.total == D("1888.00")
    assert [line.kwh for line in charges.slabs] == [D(100), D(200), D(50)]
    assert priced.bill.total == D("1888.00")
    assert priced.sensor_cost == {"sensor.home": D("1888.00")}
    assert part.complete


def test_parts_of_a_cycle_add_up_to_its_bill() -> None:
    """What each day added to the cycle's bill adds up to the bill, line by line."""
    whole = cycle_part()
    days = [
        Part(SEP, whole.cycle_start, whole.cycle_end, start, end)
        for _, start, end in day_bounds(SEP.start, SEP.last_day, UTC)
    ]
    # 350 kWh over the month, unevenly: day i uses 2 + (i % 7) * 2.5 kWh ...
    usage = [2 + (i % 7) * 2.5 for i in range(30)]
    usage[-1] += 350 - sum(usage)
    total = 1000.0
    sums: dict[datetime, float] = {days[0].start: total}
    for day, kwh in zip(days, usage, strict=True):
        total += kwh
        sums[day.end] = total
    data = {"sensor.home": sums}
    statement = price(SEED, days, data)
    added = statement.charges
    bill = price_part(SEED, whole, data).charges
    assert added.total == bill.total == D("1888.00")
    assert added.fixed_charge == bill.fixed_charge == D("50.00")
    assert added.energy_charge == bill.energy_charge
    assert added.tax == bill.tax
    assert [(row.kwh, row.amount) for row in added.slabs] == [
        (row.kwh, row.amount) for row in bill.slabs
    ]
    # The first day is charged at the first slab, the last at the third.
    assert [row.rate for row in statement.parts[0].charges.slabs] == [D("3.50")]
    assert statement.parts[-1].charges.slabs[-1].rate == D("6.00")


def test_a_dip_and_its_recovery_count_once() -> None:
    """A ``total`` sensor reads 100, 95, 100, 110 kWh at four hours.

    Clamping each hour at 0 would count 0 + 5 + 10 = 15 kWh; the sums say 10.
    """
    hours = [datetime(2026, 9, 2, h, tzinfo=UTC) for h in range(4)]
    sums = {"sensor.x": dict(zip(hours, [100.0, 95.0, 100.0, 110.0], strict=True))}
    per_hour_clamped = sum(
        energy_between(sums["sensor.x"][a], sums["sensor.x"][b])
        for a, b in itertools.pairwise(hours)
    )
    assert per_hour_clamped == 15.0
    assert energy_between(sums["sensor.x"][hours[0]], sums["sensor.x"][hours[-1]]) == 10
    part = cycle_part()
    no_fixed = Tariff("INR", slabs=SEED.slabs, tax_percent=D(18))
    costs = [
        price_part(
            no_fixed,
            Part(SEP, part.cycle_start, part.cycle_end, a, b),
            {"sensor.x": {part.cycle_start: 100.0, **sums["sensor.x"]}},
        ).charges.total
        for a, b in itertools.pairwise(hours)
    ]
    # The dip adds nothing and takes nothing back; the hours add up to 10 kWh.
    assert costs[:2] == [0, 0]
    assert sum(costs) == (D(10) * D("3.50") * D("1.18")).quantize(D("0.01"))


def test_cycle_day_31_in_february() -> None:
    cycles = MonthlyCycle(31)
    start = datetime(2027, 1, 31, tzinfo=UTC)
    parts = plan(cycles, UTC, start, datetime(2027, 3, 31, tzinfo=UTC))
    assert [(p.cycle.start, p.cycle.end) for p in parts] == [
        (date(2027, 1, 31), date(2027, 2, 28)),
        (date(2027, 2, 28), date(2027, 3, 31)),
    ]
    assert all(p.complete for p in parts)
    assert parts[0].cycle.days == 28


def test_a_period_across_cycles_is_split() -> None:
    start = datetime(2026, 9, 10, 6, tzinfo=UTC)
    end = datetime(2026, 11, 5, tzinfo=UTC)
    parts = plan(MonthlyCycle(1), UTC, start, end)
    assert [p.cycle.label for p in parts] == ["2026-09", "2026-10", "2026-11"]
    assert [p.complete for p in parts] == [False, True, False]
    assert parts[0].start == start
    assert parts[-1].end == end
    assert instants(parts)[0] == datetime(2026, 9, 1, tzinfo=UTC)
    assert plan(MonthlyCycle(1), UTC, end, start) == []


def test_fixed_charge_accrues_over_a_dst_cycle() -> None:
    """Berlin's March 2027 has 743 hours; half of them is half the fixed charge."""
    march = MonthlyCycle(1).for_month("2027-03")
    start, end = cycle_bounds(march, BERLIN)
    assert (end - start) == timedelta(hours=743)
    part = Part(march, start, end, start, end)
    assert part.fraction(start + timedelta(hours=743) / 2) == D("0.5")
    assert part.fraction(start - timedelta(days=1)) == 0
    assert part.fraction(end + timedelta(days=1)) == 1
    days = day_bounds(march.start, march.last_day, BERLIN)
    lengths = {day: stop - begin for day, begin, stop in days}
    assert lengths[date(2027, 3, 28)] == timedelta(hours=23)
    assert sum(lengths.values(), timedelta()) == timedelta(hours=743)


def test_daily_energy() -> None:
    days = day_bounds(date(2026, 9, 1), date(2026, 9, 3), UTC)
    stamps = [days[0][1], days[0][2], days[1][2], days[2][2]]
    sums = {
        "sensor.a": dict(zip(stamps, [10.0, 12.0, 15.0, 15.0], strict=True)),
        "sensor.b": {stamps[1]: 0.0, stamps[2]: 1.0, stamps[3]: 4.0},  # from day 2
    }
    assert daily_kwh(sums, days) == {
        date(2026, 9, 1): 2.0,
        date(2026, 9, 2): 4.0,
        date(2026, 9, 3): 3.0,
    }


def test_allocate_to_the_cent() -> None:
    shares = allocate(D("100.00"), {"a": 1.0, "b": 1.0, "c": 1.0})
    assert shares == {"a": D("33.34"), "b": D("33.33"), "c": D("33.33")}
    assert allocate(D("10.00"), {"a": 0.0, "b": 0.0}) == {"a": D(5), "b": D(5)}
    assert allocate(D("-1.00"), {"a": 3.0, "b": 1.0}) == {
        "a": D("-0.75"),
        "b": D("-0.25"),
    }
    assert allocate(D(1), {}) == {}


@settings(max_examples=100, deadline=None, database=None)
@given(
    st.decimals(min_value=0, max_value=100000, places=2),
    st.lists(st.floats(min_value=0, max_value=1e4), min_size=1, max_size=12),
)
def test_allocate_adds_up(amount: Decimal, weights: list[float]) -> None:
    shares = allocate(amount, {str(i): w for i, w in enumerate(weights)})
    assert sum(shares.values()) == amount
    assert all(share >= 0 for share in shares.values())


def test_time_of_use_bands() -> None:
    start = datetime(2026, 9, 1, tzinfo=UTC)
    # 1 kWh every hour of two days, two sensors.
    rows = [
        ((start + timedelta(hours=h)).timestamp(), 1.0)
        for h in range(48)
        for _ in (0, 1)
    ]
    cut = start + timedelta(days=1)
    bands = band_energy(TOU, rows, UTC, start, [cut, start + timedelta(days=2)])
    # 22:00-06:00 is 8 hours a day.
    assert bands[cut] == {"night": 16.0}
    assert bands[start + timedelta(days=2)] == {"night": 32.0}
    assert band_energy(SEED, rows, UTC, start, [cut]) == {}
    bill = bill_at(TOU, 48.0, {"night": 16.0})
    assert [(line.band, line.kwh) for line in bill.tou_lines] == [("night", D(16))]
    # The rest (32 kWh) climbs the slabs.
    assert sum(line.kwh for line in bill.slab_lines) == D(32)
    # TOU energy never exceeds the total (a dip in the other hours).
    capped = bill_at(TOU, 10.0, {"night": 16.0})
    assert capped.tou_lines[0].kwh == D(10)
    assert capped.slab_lines == ()


def test_charges_add_and_subtract() -> None:
    first = bill_at(SEED, 150.0)
    second = bill_at(SEED, 350.0)
    delta = Charges.of(second, first)
    assert delta.kwh == D(200)
    assert [(row.rate, row.kwh) for row in delta.slabs] == [
        (D("4.50"), D(150)),
        (D("6.00"), D(50)),
    ]
    assert (Charges.of(first) + delta).total == second.total


def test_rolling_cycles_plan() -> None:
    cycles = RollingCycle(60, date(2026, 1, 1))
    parts = plan(
        cycles, UTC, datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC)
    )
    assert [p.cycle.start for p in parts] == [
        date(2026, 1, 1),
        date(2026, 3, 2),
        date(2026, 5, 1),
    ]
    assert [p.complete for p in parts] == [True, True, False]


# --- Regressions: absurd sums and weights once crashed with foreign errors -------


@pytest.mark.parametrize("value", [1e25, math.inf, math.nan, -math.inf])
def test_energy_the_tariff_cannot_take_is_a_ledger_error(value: float) -> None:
    # 1e25 and inf were decimal.InvalidOperation; NaN went on as Decimal("NaN").
    with pytest.raises(LedgerError):
        to_kwh(value)
    assert issubclass(LedgerError, TariffError)  # callers catching TariffError


def test_energy_up_to_the_tariff_maximum_is_taken() -> None:
    assert to_kwh(float(MAX_AMOUNT)) == MAX_AMOUNT
    assert to_kwh(-5.0) == 0
    assert to_kwh(1e-300) == 0
    with pytest.raises(LedgerError):
        to_kwh(float(MAX_AMOUNT) * 1.01)


@pytest.mark.parametrize("weight", [math.nan, math.inf, -math.inf])
def test_weights_that_are_not_finite_are_ledger_errors(weight: float) -> None:
    # NaN was ValueError, inf OverflowError (from Fraction).
    with pytest.raises(LedgerError, match="weight"):
        allocate(D("1.00"), {"a": 1.0, "b": weight})


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "-Infinity", "1E+999999"])
def test_amounts_that_cannot_be_shared_are_ledger_errors(amount: str) -> None:
    # NaN was InvalidOperation, inf OverflowError; 1E+999999 built a huge int.
    with pytest.raises(LedgerError, match="amount"):
        allocate(D(amount), {"a": 1.0})


def test_tou_energy_above_the_total_is_cut_at_once() -> None:
    # The cut went one Wh at a time: 2 x 1 GWh of TOU energy over a total of
    # 1 GWh took a billion steps (the event loop hung).
    tariff = Tariff(
        "INR",
        slabs=(Slab(None, D(5)),),
        tou_bands=(TouBand("night", 22, 6, D(3)), TouBand("peak", 18, 22, D(8))),
    )
    bill = bill_at(tariff, 1e6, {"night": 1e6, "peak": 1e6})
    assert [(line.band, line.kwh) for line in bill.tou_lines] == [
        ("night", D(500000)),
        ("peak", D(500000)),
    ]
    odd = bill_at(tariff, 0.003, {"night": 0.005, "peak": 0.004})
    assert [line.kwh for line in odd.tou_lines] == [D("0.002"), D("0.001")]
    within = bill_at(tariff, 0.005, {"night": 0.004, "peak": 0.0})
    assert [(line.band, line.kwh) for line in within.tou_lines] == [
        ("night", D("0.004"))
    ]


def test_a_dip_across_a_part_never_gives_negative_energy() -> None:
    # The sensor reads 0.25 kWh when the day starts and 0 when it ends. The
    # fixed charge's accrual kept the total up, so the dip guard (totals only)
    # did not fire: the day came out at -0.25 kWh and a -0.88 energy charge.
    whole = cycle_part()
    day = datetime(2026, 9, 10, tzinfo=UTC)
    part = Part(SEP, whole.cycle_start, whole.cycle_end, day, day + timedelta(days=1))
    priced = price_part(SEED, part, {"sensor.a": {day: 0.25, part.end: 0.0}})
    charges = priced.charges
    assert (charges.kwh, charges.energy_charge, charges.slabs) == (0, 0, ())
    # What the day adds is its share of the fixed charge (and its tax) only.
    assert charges.fixed_charge == D("1.67")  # 50 / 30 days, rounded per bill
    assert charges.total == charges.fixed_charge + charges.tax > 0
    # The sensor used nothing in the part: no share of the fixed charge (issue
    # 14; it was charged the whole of it). The cost stays with the household.
    assert priced.sensor_kwh == {"sensor.a": 0.0}
    assert priced.sensor_cost == {"sensor.a": D(0)}


# --- A partial first cycle (issue 14) ---------------------------------------------


def test_a_partial_first_cycle_is_counted_from_its_first_statistics() -> None:
    """Statistics start on 11 September 00:00: nothing before is known.

    Before, the fixed charge accrued from 1 September with no energy measured: a
    fresh bill read 0 kWh beside a cost of fixed charge and tax.
    """
    whole = cycle_part()
    known = datetime(2026, 9, 11, tzinfo=UTC)  # 10 of the cycle's 30 days before
    parts = plan(MonthlyCycle(1), UTC, whole.cycle_start, whole.cycle_end, known)
    assert [(p.counted_from, p.partial, p.complete) for p in parts] == [
        (known, True, True)
    ]
    (part,) = parts
    assert part.fraction(known) == 0
    assert part.fraction(part.cycle_end) == D(20) / D(30)
    # 200 kWh measured from the 11th, 10 kWh a day; the sums start at 0 there.
    usage = {known + timedelta(days=i): 10.0 * i for i in range(21)}
    data = {"sensor.home": usage}
    bill = price_part(SEED, part, data).charges
    # 100 * 3.50 + 100 * 4.50 = 800; fixed 50 * 20/30 = 33.33; 18 % of 833.33.
    assert (bill.kwh, bill.energy_charge, bill.fixed_charge) == (
        D(200),
        D("800.00"),
        D("33.33"),
    )
    assert bill.total == D("833.33") + D("150.00")
    # A period before the statistics costs nothing: nobody measured it.
    before = Part(SEP, part.cycle_start, part.cycle_end, part.cycle_start, known, known)
    assert price_part(SEED, before, data).charges.total == 0
    # The days still add up to the cycle's bill, line by line.
    days = [
        Part(SEP, part.cycle_start, part.cycle_end, start, end, known)
        for _, start, end in day_bounds(SEP.start, SEP.last_day, UTC)
    ]
    statement = price(SEED, days, data)
    assert statement.charges.total == bill.total
    assert statement.charges.fixed_charge == D("33.33")
    assert all(p.charges.total == 0 for p in statement.parts[:10])
    assert all(p.charges.total > 0 for p in statement.parts[10:])


def test_statistics_before_the_cycle_count_the_whole_cycle() -> None:
    whole = cycle_part()
    earlier = whole.cycle_start - timedelta(days=1)
    (part,) = plan(MonthlyCycle(1), UTC, whole.cycle_start, whole.cycle_end, earlier)
    assert (part.counted_from, part.partial) == (whole.cycle_start, False)
    assert part.fraction(part.cycle_end) == 1
    # No statistics yet ("now" as their start): nothing accrues up to now.
    now = datetime(2026, 9, 5, 12, tzinfo=UTC)
    (fresh,) = plan(MonthlyCycle(1), UTC, whole.cycle_start, now, now)
    assert fresh.partial
    priced = price_part(SEED, fresh, {"sensor.home": {}}, now=now)
    assert priced.charges.total == 0
    assert priced.sensor_cost == {"sensor.home": 0}


def test_share_by_energy() -> None:
    from custom_components.intelergy.core.ledger import (  # noqa: PLC0415
        share_by_energy,
    )

    # With energy: in proportion to it; a sensor at 0 kWh gets nothing.
    assert share_by_energy(D("10.00"), {"a": 3.0, "b": 1.0, "c": 0.0}) == {
        "a": D("7.50"),
        "b": D("2.50"),
        "c": D(0),
    }
    # Without: nobody gets a share of a fixed charge (allocate shares equally).
    assert share_by_energy(D("59.00"), {"a": 0.0, "b": 0.0}) == {"a": 0, "b": 0}
    assert share_by_energy(D("1.00"), {}) == {}
    with pytest.raises(LedgerError):
        share_by_energy(D("1.00"), {"a": math.nan})
