"""The tariff engine: slabs, whole-bill tables, fixed charge, tax, TOU, cycles."""

from __future__ import annotations

from collections.abc import Callable
import contextlib
from datetime import UTC, date, datetime, timedelta
from decimal import Context, Decimal
import itertools
import json
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.intelergy.core.tariff import (
    MAX_AMOUNT,
    MAX_PLACES,
    BillingCycle,
    Cycle,
    MonthlyCycle,
    RollingCycle,
    Slab,
    SlabLine,
    SlabTable,
    Tariff,
    TariffDecreasesError,
    TariffError,
    TouBand,
    round_money,
)

D = Decimal
PROPERTIES = settings(max_examples=200, deadline=None, database=None)

# The example: 0-100 kWh at 3.50, 101-300 at 4.50, 301+ at 6.00,
# 50 a month fixed, 18 % GST.
SEED = Tariff(
    "INR",
    slabs=(Slab(D(100), D("3.50")), Slab(D(300), D("4.50")), Slab(None, D("6.00"))),
    fixed_charge=D(50),
    tax_percent=D(18),
)
SEED_DICT: dict[str, Any] = {
    "currency": "INR",
    "slabs": [
        {"from": 0, "upto": 100, "rate": "3.50"},
        {"from": 100, "upto": 300, "rate": 4.5},
        {"from": 300, "upto": None, "rate": "6.00"},
    ],
    "fixed_charge": 50,
    "tax_percent": "18",
}

# Tamil Nadu style: up to 500 kWh one table, above it the whole consumption is
# priced by another (both telescopic from 0 kWh).
UP_TO_500 = (
    Slab(D(100), D(0)),
    Slab(D(200), D("2.25")),
    Slab(D(400), D("4.50")),
    Slab(D(500), D("6.00")),
)
ABOVE_500 = (
    Slab(D(100), D(0)),
    Slab(D(400), D("4.50")),
    Slab(D(500), D("6.00")),
    Slab(D(600), D("8.00")),
    Slab(D(800), D("9.00")),
    Slab(None, D("10.00")),
)
TAMIL_NADU = Tariff(
    "INR", tables=(SlabTable(D(500), UP_TO_500), SlabTable(None, ABOVE_500))
)


def test_seed_example_costs_exactly_1888() -> None:
    bill = SEED.bill(D(350))
    # (100 x 3.50 + 200 x 4.50 + 50 x 6.00 + 50) x 1.18
    assert str(bill.total) == "1888.00"
    assert (bill.energy_charge, bill.fixed_charge, bill.tax) == (
        D("1550.00"),
        D("50.00"),
        D("288.00"),
    )
    assert bill.slab_lines == (
        SlabLine(D(0), D(100), D(100), D("3.50"), D("350.00")),
        SlabLine(D(100), D(300), D(200), D("4.50"), D("900.00")),
        SlabLine(D(300), None, D(50), D("6.00"), D("300.00")),
    )
    assert bill.currency == "INR"
    assert bill.table is None
    assert bill.as_dict()["total"] == "1888.00"


def test_seed_example_from_hand_written_json() -> None:
    tariff = Tariff.from_dict(json.loads(json.dumps(SEED_DICT)))
    assert tariff == SEED
    assert tariff.bill(D(350)).total == D("1888.00")
    stored = json.loads(json.dumps(SEED.as_dict()))
    assert Tariff.from_dict(stored) == SEED
    assert stored["slabs"][0] == {"upto": "100", "rate": "3.50"}


def test_seed_example_at_the_slab_edges() -> None:
    assert SEED.bill(D(0)).total == D("59.00")  # fixed only: 50 x 1.18
    assert SEED.bill(D(100)).energy_charge == D("350.00")
    assert SEED.bill(D(300)).energy_charge == D("1250.00")
    assert len(SEED.bill(D(300)).slab_lines) == 2
    assert SEED.bill(D(0)).slab_lines == ()


def test_whole_bill_tables_against_telescopic() -> None:
    # 450 kWh: the small table, 0 + 100 x 2.25 + 200 x 4.50 + 50 x 6.00.
    bill = TAMIL_NADU.bill(D(450))
    assert (bill.table, bill.energy_charge) == (0, D("1425.00"))
    assert TAMIL_NADU.bill(D(500)).energy_charge == D("1725.00")
    # 501 kWh: the whole consumption moves to the big table,
    # 0 + 300 x 4.50 + 100 x 6.00 + 1 x 8.00: one more kWh costs 233.
    bill = TAMIL_NADU.bill(D(501))
    assert (bill.table, bill.energy_charge) == (1, D("1958.00"))
    assert [line.rate for line in bill.slab_lines] == [D(0), D("4.50"), D(6), D(8)]
    # The big table alone, telescopic, at 450: 0 + 300 x 4.50 + 50 x 6.00.
    assert Tariff("INR", slabs=ABOVE_500).bill(D(450)).energy_charge == D("1650.00")
    assert Tariff.from_dict(json.loads(json.dumps(TAMIL_NADU.as_dict()))) == TAMIL_NADU


def test_table_slabs_may_stop_at_the_table_limit() -> None:
    tariff = Tariff(
        "INR",
        tables=(
            SlabTable(D(100), (Slab(D(100), D(1)),)),
            SlabTable(None, (Slab(None, D(2)),)),
        ),
    )
    assert tariff.bill(D(100)).energy_charge == D("100.00")
    assert tariff.bill(D(101)).energy_charge == D("202.00")


def test_fixed_charge_per_sanctioned_kw() -> None:
    tariff = Tariff(
        "INR",
        slabs=(Slab(None, D(5)),),
        fixed_charge=D(25),
        fixed_per_kw=D(120),
        sanctioned_kw=D(3),
        tax_percent=D(5),
    )
    bill = tariff.bill(D(0))
    # 25 + 120 x 3 = 385; 5 % of it 19.25.
    assert (bill.fixed_charge, bill.tax, bill.total) == (
        D("385.00"),
        D("19.25"),
        D("404.25"),
    )
    # Half a cycle: 192.50 fixed, tax 9.625 -> 9.63 (half-up).
    bill = tariff.bill(D(0), fixed_fraction=D("0.5"))
    assert (bill.fixed_charge, bill.tax, bill.total) == (
        D("192.50"),
        D("9.63"),
        D("202.13"),
    )
    # The fixed charge is not pro-rated by the energy.
    assert tariff.bill(D(1)).fixed_charge == D("385.00")


TOU = Tariff(
    "INR",
    slabs=(Slab(D(100), D("3.50")), Slab(None, D(5))),
    tou_bands=(
        TouBand("peak", 18, 22, D(8)),
        TouBand("night", 22, 6, D(2)),
    ),
)


def test_tou_energy_is_priced_at_its_rate_and_left_out_of_the_ladder() -> None:
    bill = TOU.bill(D(300), tou_kwh={"peak": D(40), "night": D(60)})
    # 200 kWh climb the slabs: 100 x 3.50 + 100 x 5; peak 40 x 8; night 60 x 2.
    assert [(line.kwh, line.amount) for line in bill.slab_lines] == [
        (D(100), D("350.00")),
        (D(100), D(500)),
    ]
    assert [(line.band, line.amount) for line in bill.tou_lines] == [
        ("peak", D(320)),
        ("night", D(120)),
    ]
    assert bill.energy_charge == D("1290.00")
    assert bill.energy_kwh == D(300)
    # Without TOU energy the ladder takes everything: 350 + 200 x 5.
    assert TOU.bill(D(300)).energy_charge == D("1350.00")
    assert TOU.bill(D(300), tou_kwh={"peak": D(0)}).tou_lines == ()


def test_tou_bands_by_hour_including_over_midnight() -> None:
    names = {
        hour: band.name if (band := TOU.band_for_hour(hour)) else None
        for hour in range(24)
    }
    assert [hour for hour, name in names.items() if name == "peak"] == [18, 19, 20, 21]
    assert [hour for hour, name in names.items() if name == "night"] == [
        *range(6),
        22,
        23,
    ]
    assert names[6] is None
    assert names[12] is None


def test_tables_are_chosen_by_the_total_including_tou() -> None:
    tariff = Tariff(
        "INR",
        tables=TAMIL_NADU.tables,
        tou_bands=(TouBand("peak", 18, 22, D(10)),),
    )
    bill = tariff.bill(D(501), tou_kwh={"peak": D(100)})
    # 501 kWh in total: the big table, 401 kWh on its ladder + 100 x 10.
    assert bill.table == 1
    assert bill.energy_charge == D("2356.00")  # 1350 + 1 x 6 + 1000


def test_tou_requests_are_checked() -> None:
    with pytest.raises(TariffError, match="exceeds the total"):
        TOU.bill(D(10), tou_kwh={"peak": D(8), "night": D(3)})
    with pytest.raises(TariffError, match="unknown TOU band 'evening'"):
        TOU.bill(D(10), tou_kwh={"evening": D(1)})
    with pytest.raises(TariffError, match="must not be negative"):
        TOU.bill(D(10), tou_kwh={"peak": D(-1)})


def test_bill_arguments_are_checked() -> None:
    with pytest.raises(TariffError, match="kwh must not be negative"):
        SEED.bill(D(-1))
    with pytest.raises(TariffError, match="finite"):
        SEED.bill(D("NaN"))
    with pytest.raises(TariffError, match=r"fixed_fraction must be 0\.\.1"):
        SEED.bill(D(1), fixed_fraction=D("1.5"))


def test_rounding_each_line_half_up_and_total_is_their_sum() -> None:
    tariff = Tariff("INR", slabs=(Slab(None, D("0.25")),), tax_percent=D(50))
    bill = tariff.bill(D("0.5"))
    assert bill.slab_lines[0].amount == D("0.125")  # rows stay exact
    assert bill.energy_charge == D("0.13")  # half-up (half-even would be 0.12)
    # Tax on the rounded lines: 50 % of 0.13 = 0.065 -> 0.07 (not 0.0625 -> 0.06).
    assert bill.tax == D("0.07")
    assert bill.total == D("0.20")
    assert round_money(D("2.675")) == D("2.68")
    assert round_money(D("-0")) == D("0.00")
    tariff = Tariff("INR", slabs=(Slab(None, D(0)),), fixed_charge=D("0.005"))
    assert tariff.bill(D(5)).total == D("0.01")


def _seed_with(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(json.dumps(SEED_DICT))
    return data | changes


def _slabs(*items: tuple[Any, Any]) -> list[dict[str, Any]]:
    return [{"upto": upto, "rate": rate} for upto, rate in items]


INVALID: list[tuple[dict[str, Any], str]] = [
    (_seed_with(slabs=[]), "slab list is empty"),
    (_seed_with(slabs=_slabs((300, 1), (100, 2), (None, 3))), "out of order"),
    (_seed_with(slabs=_slabs((100, 1), (100, 2), (None, 3))), "overlap"),
    (_seed_with(slabs=_slabs((100, 1), (None, 2), (300, 3))), "only the last slab"),
    (_seed_with(slabs=_slabs((100, 1), (300, 2))), "must be open-ended"),
    (_seed_with(slabs=_slabs((100, -1), (None, 2))), "rate must not be negative"),
    (_seed_with(slabs=_slabs((-5, 1), (None, 2))), "limit must not be negative"),
    (_seed_with(slabs=_slabs((0, 1), (None, 2))), "slab 1 ends at 0 kWh"),
    (_seed_with(slabs=_slabs((100, "NaN"), (None, 2))), "finite"),
    (_seed_with(slabs=_slabs((100, "abc"), (None, 2))), "not a number"),
    (_seed_with(slabs=[{"upto": None}]), "has no rate"),
    (
        _seed_with(slabs=[{"upto": 100, "rate": 1}, {"from": 101, "rate": 2}]),
        "slab 2 starts at 101 kWh but the previous slab ends at 100 kWh (a gap)",
    ),
    (
        _seed_with(slabs=[{"upto": 100, "rate": 1}, {"from": 90, "rate": 2}]),
        "an overlap",
    ),
    (_seed_with(tax_percent=101), "tax_percent must be 0..100"),
    (_seed_with(tax_percent=-1), "tax_percent must not be negative"),
    (_seed_with(fixed_charge=-50), "fixed_charge must not be negative"),
    (_seed_with(fixed_per_kw=10), "sanctioned_kw is 0"),
    (_seed_with(currency="₹"), "ISO 4217"),
    (_seed_with(currency="inr"), "ISO 4217"),
    (
        _seed_with(tables=[{"upto": None, "slabs": _slabs((None, 1))}]),
        "not both",
    ),
    (
        _seed_with(
            slabs=[],
            tables=[
                {"upto": 500, "slabs": _slabs((None, 1))},
                {"upto": 200, "slabs": _slabs((None, 2))},
                {"upto": None, "slabs": _slabs((None, 3))},
            ],
        ),
        "whole-bill tables out of order: table 2",
    ),
    (
        _seed_with(slabs=[], tables=[{"upto": 500, "slabs": _slabs((None, 1))}]),
        "last whole-bill table must be open-ended",
    ),
    (
        _seed_with(
            slabs=[],
            tables=[
                {"upto": None, "slabs": _slabs((None, 1))},
                {"upto": None, "slabs": _slabs((None, 2))},
            ],
        ),
        "only the last whole-bill table",
    ),
    (
        _seed_with(
            slabs=[],
            tables=[
                {"upto": 500, "slabs": _slabs((400, 1))},
                {"upto": None, "slabs": _slabs((None, 2))},
            ],
        ),
        "table 1: the last slab ends at 400 kWh; it must be open-ended or reach 500",
    ),
    (
        _seed_with(
            tou_bands=[
                {"name": "peak", "start": 17, "end": 22, "rate": 8},
                {"name": "night", "start": 21, "end": 6, "rate": 2},
            ]
        ),
        "TOU band 'night' overlaps 'peak' at 21:00",
    ),
    (
        _seed_with(tou_bands=[{"name": "peak", "start": 18, "end": 25, "rate": 8}]),
        "hours must be whole hours 0..24",
    ),
    (
        _seed_with(tou_bands=[{"name": "peak", "start": -1, "end": 5, "rate": 8}]),
        "hours must be whole hours 0..24",
    ),
    (
        _seed_with(tou_bands=[{"name": "peak", "start": 5, "end": 5, "rate": 8}]),
        "TOU band 'peak' starts and ends at 5",
    ),
    (
        _seed_with(tou_bands=[{"name": "peak", "start": 24, "end": 0, "rate": 8}]),
        "covers no hours",
    ),
    (
        _seed_with(
            tou_bands=[
                {"name": "peak", "start": 6, "end": 9, "rate": 8},
                {"name": "peak", "start": 18, "end": 22, "rate": 8},
            ]
        ),
        "TOU band 'peak' is given twice",
    ),
    (
        _seed_with(tou_bands=[{"name": "peak", "start": 6, "end": 9, "rate": -8}]),
        "rate must not be negative",
    ),
    (_seed_with(cycle={"type": "monthly", "day": 32}), "cycle day must be 1..31"),
    (_seed_with(cycle={"type": "monthly", "day": 0}), "cycle day must be 1..31"),
    (
        _seed_with(cycle={"type": "rolling", "days": 0, "anchor": "2025-01-01"}),
        "cycle days must be at least 1",
    ),
    (
        _seed_with(cycle={"type": "rolling", "days": 30, "anchor": "2025-02-30"}),
        "anchor must be a YYYY-MM-DD date",
    ),
    (_seed_with(cycle={"type": "weekly"}), "cycle type must be"),
]


@pytest.mark.parametrize(("data", "message"), INVALID)
def test_invalid_tariffs_are_rejected_with_a_clear_message(
    data: dict[str, Any], message: str
) -> None:
    with pytest.raises(TariffError) as caught:
        Tariff.from_dict(data)
    assert message in str(caught.value)


def test_invalid_tariffs_built_directly() -> None:
    with pytest.raises(TariffError, match="slab list is empty"):
        Tariff("INR")
    with pytest.raises(TariffError, match="must be a Decimal"):
        Tariff("INR", slabs=(Slab(None, 1.5),))  # type: ignore[arg-type]
    with pytest.raises(TariffError, match="cycle day"):
        MonthlyCycle(31.0)  # type: ignore[arg-type]
    with pytest.raises(TariffError, match="anchor must be a date"):
        RollingCycle(7, datetime(2025, 1, 1, tzinfo=UTC))
    with pytest.raises(TariffError, match="a tariff must be a mapping"):
        Tariff.from_dict([])
    # Lists are taken as tuples.
    slabs: Any = list(SEED.slabs)
    assert Tariff("INR", slabs=slabs, fixed_charge=D(50), tax_percent=D(18)) == SEED


# --- Billing cycles ----------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "february"), [(2025, date(2025, 2, 28)), (2028, date(2028, 2, 29))]
)
def test_cycle_day_31_is_clamped_in_short_months(year: int, february: date) -> None:
    rule = MonthlyCycle(31)
    january = Cycle(date(year, 1, 31), february)
    assert rule.containing(date(year, 2, 15)) == january
    assert rule.containing(february - timedelta(days=1)) == january
    cycle = rule.for_month(f"{year}-02")
    assert cycle == Cycle(february, date(year, 3, 31))
    assert rule.containing(february) == cycle
    assert rule.previous(cycle) == january
    assert rule.following(cycle) == Cycle(date(year, 3, 31), date(year, 4, 30))
    assert rule.for_month(f"{year}-04") == Cycle(date(year, 4, 30), date(year, 5, 31))
    assert cycle.days == (date(year, 3, 31) - february).days
    assert cycle.label == f"{year}-02"
    assert cycle.last_day == date(year, 3, 30)


def test_monthly_cycles_across_the_year_end() -> None:
    rule = MonthlyCycle(15)
    assert rule.containing(date(2025, 1, 10)) == Cycle(
        date(2024, 12, 15), date(2025, 1, 15)
    )
    first = MonthlyCycle().containing(date(2025, 12, 31))
    assert first == Cycle(date(2025, 12, 1), date(2026, 1, 1))
    assert MonthlyCycle().following(first).label == "2026-01"
    assert MonthlyCycle().previous(MonthlyCycle().for_month("2026-01")) == first
    assert len(list(first.dates())) == 31
    assert date(2025, 12, 31) in first
    assert datetime(2025, 12, 31, 23, 59, tzinfo=UTC) in first
    assert date(2026, 1, 1) not in first
    assert "2025-12-31" not in first


def test_rolling_cycles() -> None:
    rule = RollingCycle(30, date(2025, 1, 1))
    assert rule.containing(date(2025, 1, 30)) == Cycle(
        date(2025, 1, 1), date(2025, 1, 31)
    )
    assert rule.containing(date(2025, 1, 31)) == Cycle(
        date(2025, 1, 31), date(2025, 3, 2)
    )
    # Before the anchor too.
    assert rule.containing(date(2024, 12, 31)) == Cycle(
        date(2024, 12, 2), date(2025, 1, 1)
    )
    assert rule.previous(rule.containing(date(2025, 1, 1))).start == date(2024, 12, 2)
    # Cycles starting Jan 1, Jan 31, Mar 2: none starts in February.
    assert rule.for_month("2025-01") == Cycle(date(2025, 1, 1), date(2025, 1, 31))
    with pytest.raises(TariffError, match="no 30-day cycle starts in 2025-02"):
        rule.for_month("2025-02")
    assert rule.for_month("2025-03").start == date(2025, 3, 2)
    assert RollingCycle(7, date(2025, 1, 1)).for_month("2024-12").start == date(
        2024, 12, 4
    )
    assert BillingCycle.from_dict(rule.as_dict()) == rule


@pytest.mark.parametrize("month", ["2025-13", "2025-1", "25-01", "2025-00", "", "x"])
def test_bad_months_are_rejected(month: str) -> None:
    with pytest.raises(TariffError, match="month must be YYYY-MM"):
        MonthlyCycle().for_month(month)


BERLIN = ZoneInfo("Europe/Berlin")


def test_cycle_over_the_spring_dst_change_has_local_midnight_bounds() -> None:
    # Berlin goes from +01:00 to +02:00 on Sunday 30 March 2025 at 02:00.
    rule = RollingCycle(30, date(2025, 3, 15))
    cycle = rule.containing(datetime(2025, 3, 30, 1, 30, tzinfo=UTC), BERLIN)
    assert cycle == Cycle(date(2025, 3, 15), date(2025, 4, 14))
    assert cycle.days == 30
    start, end = cycle.bounds(BERLIN)
    assert (start.hour, start.minute, end.hour, end.minute) == (0, 0, 0, 0)
    assert start.utcoffset() == timedelta(hours=1)
    assert end.utcoffset() == timedelta(hours=2)
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=30 * 24 - 1)
    assert start.astimezone(UTC) == datetime(2025, 3, 14, 23, tzinfo=UTC)
    # 22:30 UTC on 13 April is 00:30 on the 14th in Berlin: the next cycle.
    late = datetime(2025, 4, 13, 22, 30, tzinfo=UTC)
    assert rule.containing(late, BERLIN) == rule.following(cycle)
    assert rule.containing(late) == cycle  # without a zone: the UTC date
    assert rule.containing(late.replace(tzinfo=None)) == cycle  # naive: local


def test_cycle_over_the_autumn_dst_change_is_an_hour_longer() -> None:
    cycle = MonthlyCycle(15).for_month("2025-10")
    start, end = cycle.bounds(BERLIN)
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(
        days=cycle.days, hours=1
    )
    assert (start.hour, end.hour) == (0, 0)


def test_bound_on_a_day_without_midnight_is_its_first_instant() -> None:
    # Chile springs forward at midnight: 8 September 2024 starts at 01:00.
    santiago = ZoneInfo("America/Santiago")
    start, end = Cycle(date(2024, 9, 8), date(2024, 10, 8)).bounds(santiago)
    assert (start.hour, start.utcoffset()) == (1, timedelta(hours=-3))
    assert start.astimezone(UTC) == datetime(2024, 9, 8, 4, tzinfo=UTC)
    assert end.hour == 0


# --- Properties --------------------------------------------------------------

RATES = st.decimals(min_value=0, max_value=20, places=2)
KWH = st.decimals(min_value=0, max_value=5000, places=3)
PERCENT = st.decimals(min_value=0, max_value=100, places=2)


@st.composite
def ladders(draw: st.DrawFn) -> tuple[Slab, ...]:
    """A valid telescopic ladder: 0..5 limits and an open-ended last slab."""
    limits = sorted(draw(st.sets(st.integers(1, 2000), max_size=5)))
    finite = tuple(Slab(D(limit), draw(RATES)) for limit in limits)
    return (*finite, Slab(None, draw(RATES)))


@st.composite
def tariffs(draw: st.DrawFn) -> Tariff:
    """Telescopic or whole-bill tariffs; each table dearer than the last at every kWh."""
    common: dict[str, Any] = {
        "fixed_charge": draw(st.decimals(min_value=0, max_value=500, places=2)),
        "tax_percent": draw(PERCENT),
    }
    ladder = draw(ladders())
    if draw(st.booleans()):
        return Tariff("INR", slabs=ladder, **common)
    limits = sorted(draw(st.sets(st.integers(1, 3000), min_size=1, max_size=3)))
    tables = []
    for limit in [*limits, None]:
        tables.append(SlabTable(None if limit is None else D(limit), ladder))
        ladder = tuple(Slab(slab.upto_kwh, slab.rate + draw(RATES)) for slab in ladder)
    return Tariff("INR", tables=tuple(tables), **common)


@PROPERTIES
@given(tariffs(), KWH, KWH)
def test_the_bill_never_decreases_as_kwh_grow(
    tariff: Tariff, a: Decimal, b: Decimal
) -> None:
    low, high = sorted((a, b))
    assert tariff.bill(low).total <= tariff.bill(high).total


@PROPERTIES
@given(tariffs(), KWH)
def test_lines_are_rounded_and_add_up_to_the_total(
    tariff: Tariff, kwh: Decimal
) -> None:
    bill = tariff.bill(kwh)
    assert bill.energy_charge + bill.fixed_charge + bill.tax == bill.total
    for line in (bill.energy_charge, bill.fixed_charge, bill.tax, bill.total):
        assert line.as_tuple().exponent == -2
    exact = sum((line.amount for line in bill.slab_lines), D(0))
    assert bill.energy_charge == round_money(exact)
    assert bill.tax == round_money(
        (bill.energy_charge + bill.fixed_charge) * bill.tax_percent / 100
    )
    assert sum((line.kwh for line in bill.slab_lines), D(0)) == kwh


@PROPERTIES
@given(ladders(), st.decimals(min_value=D("0.001"), max_value=1, places=3))
def test_telescopic_bills_are_continuous_at_slab_edges(
    ladder: tuple[Slab, ...], step: Decimal
) -> None:
    tariff = Tariff("INR", slabs=ladder)

    def exact(kwh: Decimal) -> Decimal:
        return sum((line.amount for line in tariff.bill(kwh).slab_lines), D(0))

    for below, above in itertools.pairwise(ladder):
        edge = below.upto_kwh
        assert edge is not None
        # Piecewise linear without a jump: each side moves at its own slab's rate.
        assert exact(edge) - exact(edge - step) == step * below.rate
        assert exact(edge + step) - exact(edge) == step * above.rate


@PROPERTIES
@given(tariffs())
def test_tariffs_survive_json(tariff: Tariff) -> None:
    assert Tariff.from_dict(json.loads(json.dumps(tariff.as_dict()))) == tariff


def _reverse(slabs: list[Slab]) -> list[Slab]:
    limits = [slab.upto_kwh for slab in slabs[:-1]][::-1]
    return [
        Slab(limit, slab.rate) for limit, slab in zip(limits, slabs, strict=False)
    ] + slabs[-1:]


def _repeat(slabs: list[Slab]) -> list[Slab]:
    return [slabs[0], *slabs]


def _negative(slabs: list[Slab]) -> list[Slab]:
    return [Slab(slabs[0].upto_kwh, -slabs[0].rate - D("0.01")), *slabs[1:]]


def _closed(slabs: list[Slab]) -> list[Slab]:
    return slabs[:-1] or [Slab(D(1), D(1))]


def _open_early(slabs: list[Slab]) -> list[Slab]:
    return [Slab(None, D(1)), *slabs]


MUTATIONS: list[Callable[[list[Slab]], list[Slab]]] = [
    _reverse,
    _repeat,
    _negative,
    _closed,
    _open_early,
]


@PROPERTIES
@given(
    st.lists(st.integers(1, 2000), min_size=2, max_size=6, unique=True).map(sorted),
    RATES,
    st.sampled_from(MUTATIONS),
)
def test_broken_ladders_are_rejected(
    limits: list[int], rate: Decimal, mutate: Callable[[list[Slab]], list[Slab]]
) -> None:
    slabs = [*(Slab(D(limit), rate) for limit in limits), Slab(None, rate)]
    Tariff("INR", slabs=tuple(slabs))  # valid
    with pytest.raises(TariffError):
        Tariff("INR", slabs=tuple(mutate(slabs)))


@PROPERTIES
@given(st.decimals(allow_nan=True, allow_infinity=True) | st.floats())
def test_tax_outside_0_to_100_is_rejected(tax: Decimal | float) -> None:
    data = _seed_with(tax_percent=str(tax))
    number = D(str(tax))
    if (
        number.is_finite()
        and 0 <= number <= 100
        and number.normalize(Context(prec=100)).as_tuple().exponent >= -MAX_PLACES
    ):
        assert Tariff.from_dict(data).tax_percent == D(str(tax))
    else:
        with pytest.raises(TariffError, match="tax_percent"):
            Tariff.from_dict(data)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=10,
)


@PROPERTIES
@given(
    st.fixed_dictionaries(
        {},
        optional=dict.fromkeys(
            ("currency", "slabs", "tables", "fixed_charge", "tax_percent", "tou_bands"),
            JSON,
        )
        | {"cycle": JSON},
    )
)
def test_garbage_raises_only_tariff_errors(data: dict[str, Any]) -> None:
    with contextlib.suppress(TariffError):
        Tariff.from_dict(data)


@PROPERTIES
@given(
    st.one_of(
        st.integers(1, 31).map(MonthlyCycle),
        st.builds(
            RollingCycle,
            st.integers(1, 120),
            st.dates(date(2000, 1, 1), date(2040, 1, 1)),
        ),
    ),
    st.dates(date(2001, 1, 1), date(2039, 1, 1)),
)
def test_cycles_tile_the_calendar(rule: BillingCycle, day: date) -> None:
    cycle = rule.containing(day)
    assert day in cycle
    assert cycle.days >= 1
    following = rule.following(cycle)
    assert following.start == cycle.end
    assert rule.previous(following) == cycle
    assert rule.previous(cycle).end == cycle.start
    if isinstance(rule, MonthlyCycle):
        assert 28 <= cycle.days <= 31
        assert rule.for_month(cycle.label) == cycle


# --- Regressions: crashes and a decreasing bill found by review -----------------


def test_an_absurd_energy_is_a_tariff_error() -> None:
    # Was decimal.InvalidOperation (the default context's 28 digits).
    tariff = Tariff("INR", slabs=(Slab(None, D("1.5")),))
    with pytest.raises(TariffError, match="kwh"):
        tariff.bill(D("1E+26"))
    with pytest.raises(TariffError, match="rate"):
        Tariff("INR", slabs=(Slab(None, D("1E+30")),))


def test_the_largest_legal_bill_is_exact() -> None:
    most = MAX_AMOUNT
    tariff = Tariff(
        "INR",
        slabs=(Slab(None, most),),
        fixed_charge=most,
        fixed_per_kw=most,
        sanctioned_kw=most,
        tax_percent=D(100),
    )
    bill = tariff.bill(most)
    assert bill.energy_charge == most * most
    assert bill.fixed_charge == most + most * most
    assert bill.total == 2 * (bill.energy_charge + bill.fixed_charge)


def test_a_table_cheaper_than_the_one_before_is_refused() -> None:
    # "up to 1 kWh @ 1.667, then open-ended @ 0" was accepted:
    # bill(0.003) = 0.01 > bill(1.001) = 0.00.
    with pytest.raises(TariffDecreasesError) as caught:
        Tariff(
            "INR",
            tables=(
                SlabTable(D(1), (Slab(D(1), D("1.667")),)),
                SlabTable(None, (Slab(None, D(0)),)),
            ),
        )
    assert (caught.value.table, caught.value.kwh) == (1, D(1))
    assert (caught.value.charge, caught.value.next_charge) == (D("1.667"), D(0))
    assert "decrease" in str(caught.value)


def test_with_tou_bands_a_table_must_not_be_cheaper_below_its_limit() -> None:
    # Table 2 costs more at 500 kWh but less at 100: with 400 kWh in a TOU band,
    # 501 kWh in total would put 101 kWh on table 2's cheaper first slab.
    tables = (
        SlabTable(D(500), (Slab(D(500), D(2)),)),
        SlabTable(None, (Slab(D(100), D(1)), Slab(None, D(10)))),
    )
    Tariff("INR", tables=tables)  # without TOU the slab energy is the total
    with pytest.raises(TariffDecreasesError) as caught:
        Tariff("INR", tables=tables, tou_bands=(TouBand("peak", 18, 22, D(3)),))
    assert caught.value.kwh == D(100)


@pytest.mark.parametrize(
    "call",
    [
        lambda: MonthlyCycle(1).for_month("9999-12"),
        lambda: MonthlyCycle(1).containing(date.max),
        lambda: RollingCycle(30, date(2020, 1, 1)).containing(date.max),
        lambda: RollingCycle(30, date(2020, 1, 1)).for_month("9999-12"),
        lambda: RollingCycle(10**9, date(2020, 1, 1)),
    ],
)
def test_cycles_off_the_calendar_are_tariff_errors(call: Callable[[], Any]) -> None:
    # Were ValueError (year 10000) and OverflowError (date and timedelta range).
    with pytest.raises(TariffError):
        call()


def test_amounts_with_absurd_decimal_places_are_refused() -> None:
    # 1E-999999 kWh cannot be billed exactly next to 1E+9 (a million digits):
    # refused when the tariff is built, not when a bill is asked for.
    with pytest.raises(TariffError, match="decimal places"):
        Tariff("INR", slabs=(Slab(D("1E-999999"), D(1)), Slab(None, D(1))))
    with pytest.raises(TariffError, match="decimal places"):
        SEED.bill(D("1E-51"))
    assert SEED.bill(D("1E-50")).total == SEED.bill(D(0)).total
    assert SEED.bill(D("0E-1000")).total == SEED.bill(D(0)).total  # zero is zero
