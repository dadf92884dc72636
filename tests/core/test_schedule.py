"""Dated tariff versions and the pro-rata bill of a cycle straddling a revision."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
import json
from typing import Any

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.intelergy.core.schedule import (
    Segment,
    TariffSchedule,
    TariffVersion,
    round_fraction,
)
from custom_components.intelergy.core.tariff import (
    Cycle,
    MonthlyCycle,
    RollingCycle,
    Slab,
    SlabTable,
    Tariff,
    TariffError,
    TouBand,
)

D = Decimal
PROPERTIES = settings(max_examples=100, deadline=None, database=None)
ROLLING = RollingCycle(30, date(2026, 3, 1))
CYCLE = Cycle(date(2026, 3, 1), date(2026, 3, 31))
OLD = Tariff(
    "INR",
    slabs=(Slab(D(100), D(3)), Slab(None, D(5))),
    fixed_charge=D(30),
    tax_percent=D(18),
    cycle=ROLLING,
)
NEW = Tariff(
    "INR",
    slabs=(Slab(D(100), D(4)), Slab(None, D(6))),
    fixed_charge=D(60),
    tax_percent=D(12),
    cycle=ROLLING,
)
REVISED = TariffSchedule(
    (TariffVersion(date(2026, 3, 11), NEW), TariffVersion(date(2026, 1, 1), OLD))
)


def test_versions_are_sorted_and_in_force_from_their_date() -> None:
    assert [v.effective for v in REVISED.versions] == [
        date(2026, 1, 1),
        date(2026, 3, 11),
    ]
    assert REVISED.in_force(date(2025, 1, 1)) is OLD  # before the first: the first
    assert REVISED.in_force(date(2026, 3, 10)) is OLD
    assert REVISED.in_force(date(2026, 3, 11)) is NEW
    assert REVISED.currency == "INR"
    assert REVISED.cycle == ROLLING


def test_segments_cut_the_cycle_at_the_revision() -> None:
    first, second = REVISED.segments(CYCLE)
    assert (first.start, first.end, first.tariff, first.days) == (
        date(2026, 3, 1),
        date(2026, 3, 11),
        OLD,
        10,
    )
    assert (second.start, second.end, second.tariff, second.days) == (
        date(2026, 3, 11),
        date(2026, 3, 31),
        NEW,
        20,
    )
    assert first.fraction == D(1) / 3
    assert second.fraction == D(2) / 3
    (whole,) = REVISED.segments(Cycle(date(2026, 3, 31), date(2026, 4, 30)))
    assert whole == Segment(date(2026, 3, 31), date(2026, 4, 30), NEW, D(1))
    # A revision that changes nothing does not cut the cycle.
    same = REVISED.with_version(date(2026, 3, 20), NEW)
    assert len(same.segments(Cycle(date(2026, 3, 11), date(2026, 4, 10)))) == 1
    with pytest.raises(TariffError, match="has no days"):
        REVISED.segments(Cycle(date(2026, 3, 1), date(2026, 3, 1)))


def test_a_straddling_cycle_is_billed_pro_rata() -> None:
    # 10 days of 30 at the old rates, 20 at the new: slab limits 33.3 and 66.7.
    bill = REVISED.bill(CYCLE, [D(50), D(100)])
    # old: 33.33 x 3 + 16.67 x 5 = 183.33; new: 66.67 x 4 + 33.33 x 6 = 466.67
    assert str(bill.energy_charge) == "650.00"
    assert str(bill.fixed_charge) == "50.00"  # 30 / 3 + 60 x 2 / 3
    # tax: (183.33 + 10) x 18 % + (466.67 + 40) x 12 % = 34.80 + 60.80
    assert str(bill.tax) == "95.60"
    assert str(bill.total) == "795.60"
    assert bill.energy_kwh == D(150)
    assert bill.table is None
    assert bill.tax_percent == D(12)  # they differ: the last segment's
    assert bill.lines[-1].percent is None
    assert len(bill.slab_lines) == 4
    assert bill.slab_lines[0].to_kwh == D(100) / 3
    assert bill.slab_lines[3].rate == D(6)


def test_per_kwh_lines_at_each_segments_rates_and_fixed_lines_by_days() -> None:
    common: dict[str, Any] = {
        "slabs": (Slab(None, D(1)),),
        "cycle": ROLLING,
        "tax_percent": D(10),
    }
    before = Tariff(
        "INR",
        fac_per_kwh=D("0.30"),
        meter_rent=D(30),
        duty_percent=D(10),
        rebate_per_kwh=D("0.5"),
        rebate_limit=D(3),
        **common,
    )
    after = Tariff(
        "INR",
        fac_per_kwh=D("0.60"),
        meter_rent=D(60),
        duty_percent=D(10),
        minimum_charge=D(300),
        rebate_per_kwh=D("0.5"),
        rebate_limit=D(3),
        taxed_lines=("energy", "fac"),
        **common,
    )
    schedule = TariffSchedule(
        (TariffVersion(date.min, before), TariffVersion(date(2026, 3, 16), after))
    )
    bill = schedule.bill(CYCLE, [D(10), D(20)])
    lines = {line.key: str(line.amount) for line in bill.lines}
    # fac 10 x 0.30 + 20 x 0.60; rent 15 + 30; minimum 150 - 30; rebate
    # min(1.5, 5) + min(1.5, 10).
    assert lines == {
        "energy": "30.00",
        "duty": "3.00",
        "fac": "15.00",
        "meter_rent": "45.00",
        "minimum": "120.00",
        "rebate": "-3.00",
        # 10 % of the energy before (10.00) + 10 % of energy and FAC after
        # (20.00 + 12.00): each version taxes its own lines.
        "tax": "4.20",
    }
    duty = bill.lines[1]
    assert (duty.percent, duty.rate) == (D(10), D(0))
    fac = bill.lines[2]
    assert fac.rate is None  # the versions' rates differ


def test_whole_bill_tables_are_chosen_by_scaled_limits() -> None:
    tables = (
        SlabTable(D(300), (Slab(D(300), D(2)),)),
        SlabTable(None, (Slab(D(300), D(3)), Slab(None, D(5)))),
    )
    tariff = Tariff("INR", tables=tables, cycle=ROLLING)
    other = Tariff("INR", tables=tables, cycle=ROLLING, fixed_charge=D(3))
    schedule = TariffSchedule(
        (TariffVersion(date.min, tariff), TariffVersion(date(2026, 3, 11), other))
    )
    # Segment 1 (1/3): table limit 100: 100 kWh stays in table 1 at 2.
    # Segment 2 (2/3): limit 200: 201 kWh takes table 2: 200 x 3 + 1 x 5.
    bill = schedule.bill(CYCLE, [D(100), D(201)])
    assert str(bill.energy_charge) == "805.00"
    assert str(bill.fixed_charge) == "2.00"


def test_tou_energy_in_a_straddling_cycle() -> None:
    band = (TouBand("peak", 18, 22, D(10)),)
    before = Tariff("INR", slabs=(Slab(None, D(1)),), tou_bands=band, cycle=ROLLING)
    after = Tariff("INR", slabs=(Slab(None, D(2)),), tou_bands=band, cycle=ROLLING)
    schedule = TariffSchedule(
        (TariffVersion(date.min, before), TariffVersion(date(2026, 3, 11), after))
    )
    bill = schedule.bill(CYCLE, [D(10), D(10)], [{"peak": D(1)}, {}])
    assert str(bill.energy_charge) == "39.00"  # 9 + 10 + 20
    assert [line.band for line in bill.tou_lines] == ["peak"]
    with pytest.raises(TariffError, match="exceeds the segment"):
        schedule.bill(CYCLE, [D(1), D(10)], [{"peak": D(2)}, {}])
    with pytest.raises(TariffError, match="unknown TOU band"):
        schedule.bill(CYCLE, [D(1), D(10)], [{"off": D(0)}, {}])
    with pytest.raises(TariffError, match="2 tariff segments"):
        schedule.bill(CYCLE, [D(1)])
    with pytest.raises(TariffError, match=r"fixed_fraction must be 0\.\.1"):
        schedule.bill(CYCLE, [D(1), D(1)], fixed_fraction=D(2))
    with pytest.raises(TariffError, match="energy of the segment"):
        schedule.bill(CYCLE, [D(-1), D(1)])


def test_a_cycle_inside_one_version_bills_as_its_tariff() -> None:
    cycle = Cycle(date(2026, 4, 1), date(2026, 5, 1))
    assert REVISED.bill(cycle, [D(350)], [{}]) == NEW.bill(D(350))
    assert REVISED.bill(cycle, [D(350)], fixed_fraction=D("0.5")) == NEW.bill(
        D(350), fixed_fraction=D("0.5")
    )


def test_invalid_schedules_are_refused() -> None:
    with pytest.raises(TariffError, match="at least one version"):
        TariffSchedule(())
    with pytest.raises(TariffError, match="two tariff versions on"):
        TariffSchedule((TariffVersion(date.min, OLD), TariffVersion(date.min, NEW)))
    usd = Tariff("USD", slabs=(Slab(None, D(1)),), cycle=ROLLING)
    with pytest.raises(TariffError, match="is in USD, not INR"):
        TariffSchedule((TariffVersion(date.min, OLD), TariffVersion(date.max, usd)))
    monthly = Tariff("INR", slabs=(Slab(None, D(1)),), cycle=MonthlyCycle(5))
    with pytest.raises(TariffError, match="changes the billing cycle"):
        TariffSchedule((TariffVersion(date.min, OLD), TariffVersion(date.max, monthly)))
    with pytest.raises(TariffError, match="not a dated tariff version"):
        TariffSchedule((OLD,))  # type: ignore[arg-type]
    with pytest.raises(TariffError, match="not a dated tariff version"):
        TariffSchedule((TariffVersion("2026-01-01", OLD),))  # type: ignore[arg-type]
    with pytest.raises(TariffError, match="not a tariff"):
        TariffSchedule((TariffVersion(date.min, {}),))  # type: ignore[arg-type]


def test_stored_forms_old_and_new() -> None:
    data = json.loads(json.dumps(REVISED.as_dict()))
    assert data["versions"][0]["effective"] == "2026-01-01"
    assert data["versions"][1]["tariff"] == NEW.as_dict()
    assert TariffSchedule.from_dict(data) == REVISED
    assert TariffSchedule.from_stored(data) == REVISED
    plain = TariffSchedule.from_stored(OLD.as_dict())
    assert plain == TariffSchedule.single(OLD)
    assert plain.versions[0].effective == date.min
    assert plain.as_dict()["versions"][0]["effective"] == "0001-01-01"
    for bad, message in (
        ([], "must be {'versions'"),
        ({"versions": {}}, "must be {'versions'"),
        ({"versions": [1]}, "version 1 must be a mapping"),
        ({"versions": [{"effective": "2026-13-01"}]}, "YYYY-MM-DD"),
        ({"versions": [{"effective": 20260101}]}, "YYYY-MM-DD"),
        ({"versions": [{"effective": "2026-01-01", "tariff": None}]}, "mapping"),
    ):
        with pytest.raises(TariffError, match=message):
            TariffSchedule.from_dict(bad)
    with pytest.raises(TariffError, match="a tariff must be a mapping"):
        TariffSchedule.from_stored(None)


def test_editing_today_adds_or_replaces_a_version() -> None:
    today = date(2026, 3, 11)
    edited = REVISED.with_version(today, OLD)
    assert [v.effective for v in edited.versions] == [date(2026, 1, 1), today]
    assert edited.in_force(today) is OLD
    added = REVISED.with_version(date(2026, 5, 1), OLD)
    assert len(added.versions) == 3
    # Past cycles keep their version.
    past = Cycle(date(2026, 1, 30), date(2026, 3, 1))
    assert added.bill(past, [D(10)]) == REVISED.bill(past, [D(10)])


def test_round_fraction_is_half_up_away_from_zero() -> None:
    assert round_fraction(Fraction(1, 200)) == D("0.01")
    assert round_fraction(Fraction(-1, 200)) == D("-0.01")
    assert round_fraction(Fraction(1, 300)) == D("0.00")
    assert str(round_fraction(Fraction(0))) == "0.00"


@PROPERTIES
@given(
    days=st.integers(1, 29),
    milli=st.integers(0, 2_000_000),
    limit=st.integers(1, 500),
    low=st.decimals(0, 10, places=2),
    high=st.decimals(0, 10, places=2),
    tax=st.decimals(0, 30, places=1),
)
def test_same_rates_either_side_of_a_revision_bill_as_one_tariff(
    days: int, milli: int, limit: int, low: Decimal, high: Decimal, tax: Decimal
) -> None:
    # A revision that only adds an unused TOU band: energy split by days bills
    # as the whole cycle under one tariff (the ladder scales with the energy).
    slabs = (Slab(D(limit), low), Slab(None, high))
    one = Tariff("INR", slabs=slabs, fixed_charge=D(30), tax_percent=tax, cycle=ROLLING)
    two = Tariff(
        "INR",
        slabs=slabs,
        fixed_charge=D(30),
        tax_percent=tax,
        cycle=ROLLING,
        tou_bands=(TouBand("unused", 0, 1, D(1)),),
    )
    start = date(2026, 3, 1)
    schedule = TariffSchedule(
        (TariffVersion(start, one), TariffVersion(start + timedelta(days=days), two))
    )
    total = D(milli * 30) / 1000
    parts = [total * days / 30, total * (30 - days) / 30]
    bill = schedule.bill(CYCLE, parts)
    assert bill.energy_kwh == total
    assert bill.total == one.bill(total).total
    assert [line.amount for line in bill.lines] == [
        line.amount for line in one.bill(total).lines
    ]
