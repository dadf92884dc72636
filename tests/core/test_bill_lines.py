"""The lines of a printed bill: duty, FAC, meter rent, minimum, rebate, taxed lines."""

from __future__ import annotations

from decimal import Decimal
import json
from typing import Any

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.intelergy.core.tariff import (
    LINE_KEYS,
    Bill,
    BillLine,
    Slab,
    SlabTable,
    Tariff,
    TariffError,
    TouBand,
    compare,
)

D = Decimal
PROPERTIES = settings(max_examples=150, deadline=None, database=None)
SLABS = (Slab(D(100), D("3.50")), Slab(D(300), D("4.50")), Slab(None, D("6.00")))
SEED = Tariff("INR", slabs=SLABS, fixed_charge=D(50), tax_percent=D(18))
FULL = Tariff(
    "INR",
    slabs=SLABS,
    fixed_charge=D(50),
    tax_percent=D(18),
    duty_percent=D(6),
    duty_per_kwh=D("0.10"),
    fac_per_kwh=D("0.35"),
    meter_rent=D(20),
    rebate_per_kwh=D("0.50"),
    rebate_flat=D(10),
    rebate_limit=D(100),
    taxed_lines=("energy", "fixed", "duty", "fac", "meter_rent"),
)


def amounts(bill: Bill) -> dict[str, str]:
    return {line.key: str(line.amount) for line in bill.lines}


def test_every_line_of_a_real_bill() -> None:
    bill = FULL.bill(D(350))
    # duty 6 % of 1,550 + 0.10 x 350; FAC 0.35 x 350; rebate min(100, 10 + 175);
    # tax 18 % of 1,550 + 50 + 128 + 122.50 + 20 = 1,870.50.
    assert amounts(bill) == {
        "energy": "1550.00",
        "fixed": "50.00",
        "duty": "128.00",
        "fac": "122.50",
        "meter_rent": "20.00",
        "rebate": "-100.00",
        "tax": "336.69",
    }
    assert [line.key for line in bill.lines] == [
        key for key in LINE_KEYS if key != "minimum"
    ]
    assert str(bill.total) == "2107.19"
    assert bill.total == sum(line.amount for line in bill.lines)
    assert (bill.energy_charge, bill.fixed_charge, bill.tax) == (
        D("1550.00"),
        D("50.00"),
        D("336.69"),
    )
    duty = bill.lines[2]
    assert (duty.kwh, duty.rate, duty.percent) == (D(350), D("0.10"), D(6))
    assert bill.line("minimum") == D("0.00")
    assert str(bill.line("fac")) == "122.50"


def test_minimum_charge_tops_up_and_is_pro_rated() -> None:
    tariff = Tariff(
        "INR", slabs=SLABS, fixed_charge=D(50), minimum_charge=D(200), tax_percent=D(18)
    )
    bill = tariff.bill(D(10))
    assert amounts(bill) == {
        "energy": "35.00",
        "fixed": "50.00",
        "minimum": "115.00",
        "tax": "15.30",  # the top-up is not taxed by default
    }
    assert str(bill.total) == "215.30"
    half = tariff.bill(D(10), fixed_fraction=D("0.5"))
    assert amounts(half)["minimum"] == "40.00"  # 100 - 35 - 25
    assert "minimum" not in amounts(tariff.bill(D(100)))  # 350 + 50 >= 200
    taxed = Tariff(
        "INR",
        slabs=SLABS,
        minimum_charge=D(100),
        tax_percent=D(10),
        taxed_lines=("energy", "minimum"),
    )
    assert amounts(taxed.bill(D(10)))["tax"] == "10.00"


def test_rebate_never_makes_the_total_negative() -> None:
    tariff = Tariff("INR", slabs=(Slab(None, D(1)),), rebate_flat=D(100))
    bill = tariff.bill(D(10))
    assert amounts(bill) == {"energy": "10.00", "rebate": "-10.00"}
    assert str(bill.total) == "0.00"
    assert str(tariff.bill(D(0)).total) == "0.00"
    assert [line.key for line in tariff.bill(D(0)).lines] == ["energy"]
    # The flat part accrues with the cycle; the limit is the cycle's.
    limited = Tariff(
        "INR",
        slabs=(Slab(None, D(5)),),
        rebate_flat=D(20),
        rebate_per_kwh=D(1),
        rebate_limit=D(30),
    )
    assert amounts(limited.bill(D(20), fixed_fraction=D("0.25"))) == {
        "energy": "100.00",
        "rebate": "-25.00",
    }
    assert amounts(limited.bill(D(20)))["rebate"] == "-30.00"


def test_a_taxed_rebate_lowers_the_tax_but_never_below_zero() -> None:
    tariff = Tariff(
        "INR",
        slabs=(Slab(None, D(2)),),
        tax_percent=D(10),
        rebate_flat=D(5),
        taxed_lines=("energy", "rebate"),
    )
    assert amounts(tariff.bill(D(10))) == {
        "energy": "20.00",
        "rebate": "-5.00",
        "tax": "1.50",
    }
    only_rebate = Tariff(
        "INR",
        slabs=(Slab(None, D(2)),),
        fixed_charge=D(10),
        tax_percent=D(10),
        rebate_flat=D(5),
        taxed_lines=("rebate",),
    )
    assert "tax" not in amounts(only_rebate.bill(D(10)))


def test_each_line_is_rounded_on_its_own_half_up() -> None:
    tariff = Tariff(
        "INR",
        slabs=(Slab(None, D("0.125")),),
        duty_percent=D(10),
        fac_per_kwh=D("0.005"),
        meter_rent=D("0.125"),
    )
    bill = tariff.bill(D(1))
    # energy 0.125 -> 0.13; duty 0.0125 -> 0.01; fac 0.005 -> 0.01; rent 0.13
    assert amounts(bill) == {
        "energy": "0.13",
        "duty": "0.01",
        "fac": "0.01",
        "meter_rent": "0.13",
    }
    assert str(bill.total) == "0.28"


def test_old_tariffs_load_bill_and_store_as_before() -> None:
    old: dict[str, Any] = {
        "currency": "INR",
        "slabs": [
            {"upto": "100", "rate": "3.50"},
            {"upto": "300", "rate": "4.50"},
            {"upto": None, "rate": "6.00"},
        ],
        "tables": [],
        "fixed_charge": "50",
        "fixed_per_kw": "0",
        "sanctioned_kw": "0",
        "tax_percent": "18",
        "tou_bands": [],
        "cycle": {"type": "monthly", "day": 1},
    }
    tariff = Tariff.from_dict(old)
    assert tariff == SEED
    assert tariff.as_dict() == old  # no new keys at their defaults
    bill = tariff.bill(D(350))
    assert amounts(bill) == {"energy": "1550.00", "fixed": "50.00", "tax": "288.00"}
    assert "lines" not in bill.as_dict()
    assert bill.as_dict(lines=True)["lines"][0] == {
        "key": "energy",
        "amount": "1550.00",
        "kwh": "350",
    }


def test_new_fields_round_trip_through_json() -> None:
    data = json.loads(json.dumps(FULL.as_dict()))
    assert data["taxed_lines"] == ["energy", "fixed", "duty", "fac", "meter_rent"]
    assert data["rebate_limit"] == "100"
    assert Tariff.from_dict(data) == FULL
    bill = FULL.bill(D(350))
    lines = bill.as_dict()["lines"]
    assert lines[-2] == {
        "key": "rebate",
        "amount": "-100.00",
        "kwh": "350",
        "rate": "0.50",
    }
    assert lines[-1] == {"key": "tax", "amount": "336.69", "percent": "18"}
    assert "lines" not in bill.as_dict(lines=False)
    with pytest.raises(TariffError, match="taxed_lines must be a list"):
        Tariff.from_dict({**data, "taxed_lines": "energy"})
    with pytest.raises(TariffError, match="rebate_limit is not a number"):
        Tariff.from_dict({**data, "rebate_limit": "lots"})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"duty_percent": D(101)}, "duty_percent must be 0..100"),
        ({"fac_per_kwh": D(-1)}, "fac_per_kwh must not be negative"),
        ({"meter_rent": 3.5}, "meter_rent must be a Decimal"),
        ({"rebate_limit": D(-1)}, "rebate_limit must not be negative"),
        ({"taxed_lines": ("energy", "tax")}, "taxed_lines must name lines"),
        ({"taxed_lines": ("energy", "energy")}, "names a line twice"),
        ({"taxed_lines": "energy"}, "taxed_lines must name lines"),
        ({"rebate_per_kwh": D(4)}, "exceeds the cheapest charge per kWh"),
        (
            {"rebate_per_kwh": D(1), "taxed_lines": ("rebate",)},
            "taxed rebate per kWh exceeds",
        ),
    ],
)
def test_invalid_lines_are_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(TariffError, match=message):
        Tariff("INR", slabs=(Slab(None, D(3)),), **changes)


def test_the_cheapest_rate_counts_every_table_and_band() -> None:
    tables = (
        SlabTable(D(100), (Slab(D(100), D(2)),)),
        SlabTable(None, (Slab(None, D(3)),)),
    )
    Tariff("INR", tables=tables, rebate_per_kwh=D(2))
    with pytest.raises(TariffError, match="cheapest"):
        Tariff("INR", tables=tables, rebate_per_kwh=D("2.01"))
    band = (TouBand("night", 0, 6, D(1)),)
    with pytest.raises(TariffError, match="cheapest"):
        Tariff("INR", slabs=(Slab(None, D(3)),), tou_bands=band, rebate_per_kwh=D(2))
    # Duty and FAC count in the cheapest charge.
    Tariff(
        "INR",
        slabs=(Slab(None, D(1)),),
        fac_per_kwh=D("0.5"),
        duty_percent=D(50),
        rebate_per_kwh=D(2),
    )


def test_a_bill_built_by_hand_gets_its_classic_lines() -> None:
    bill = Bill(
        currency="USD",
        energy_kwh=D(3),
        slab_lines=(),
        tou_lines=(),
        energy_charge=D("1.00"),
        fixed_charge=D("0.00"),
        tax_percent=D(5),
        tax=D("0.05"),
        total=D("1.05"),
    )
    assert bill.lines == (
        BillLine("energy", D("1.00"), kwh=D(3)),
        BillLine("tax", D("0.05"), percent=D(5)),
    )


def test_a_hand_built_bill_with_a_fixed_charge_and_tou_rows_by_name() -> None:
    bill = Bill(
        currency="USD",
        energy_kwh=D(0),
        slab_lines=(),
        tou_lines=(),
        energy_charge=D("0.00"),
        fixed_charge=D("2.00"),
        tax_percent=D(0),
        tax=D("0.00"),
        total=D("2.00"),
    )
    assert [line.key for line in bill.lines] == ["energy", "fixed"]
    tariff = Tariff("INR", slabs=SLABS, tou_bands=(TouBand("peak", 18, 22, D(9)),))
    assert tariff.tou_lines({"peak": D(2)})[0].amount == D(18)
    with pytest.raises(TariffError, match="tou_kwh must be a mapping"):
        tariff.tou_lines([("peak", D(2))])  # type: ignore[arg-type]


def test_compare_bills_against_the_first() -> None:
    rows = compare({"now": SEED.bill(D(350)), "new": FULL.bill(D(350))})
    assert [(row["name"], str(row["difference"])) for row in rows] == [
        ("now", "0.00"),
        ("new", "219.19"),
    ]
    assert rows[1]["lines"]["fac"] == D("122.50")
    assert compare({}) == []
    usd = Tariff("USD", slabs=(Slab(None, D(1)),)).bill(D(1))
    with pytest.raises(TariffError, match="is in USD"):
        compare({"a": SEED.bill(D(1)), "b": usd})


CHARGE = st.decimals(min_value=0, max_value=50, places=2)


@st.composite
def tariffs(draw: st.DrawFn) -> Tariff:
    rates = sorted(draw(st.lists(CHARGE, min_size=1, max_size=3)))
    limits = sorted(
        draw(
            st.sets(
                st.integers(1, 500), min_size=len(rates) - 1, max_size=len(rates) - 1
            )
        )
    )
    slabs = tuple(
        Slab(D(limit) if limit is not None else None, rate)
        for limit, rate in zip([*limits, None], rates, strict=True)
    )
    taxable = ["energy", "fixed", "duty", "fac", "meter_rent", "minimum"]
    return Tariff(
        "INR",
        slabs=slabs,
        fixed_charge=draw(CHARGE),
        tax_percent=draw(st.decimals(0, 30, places=1)),
        duty_percent=draw(st.decimals(0, 20, places=1)),
        duty_per_kwh=draw(CHARGE),
        fac_per_kwh=draw(CHARGE),
        meter_rent=draw(CHARGE),
        minimum_charge=draw(st.decimals(0, 5000, places=2)),
        rebate_per_kwh=min(rates[0], draw(CHARGE)),
        rebate_flat=draw(CHARGE),
        rebate_limit=draw(st.none() | st.decimals(0, 1000, places=2)),
        taxed_lines=tuple(draw(st.lists(st.sampled_from(taxable), unique=True))),
    )


@PROPERTIES
@given(
    tariff=tariffs(),
    kwh=st.decimals(0, 2000, places=3),
    more=st.decimals(0, 100, places=3),
    fraction=st.decimals(0, 1, places=4),
)
def test_lines_add_up_in_order_and_bills_never_fall_by_more_than_a_cent(
    tariff: Tariff, kwh: Decimal, more: Decimal, fraction: Decimal
) -> None:
    bill = tariff.bill(kwh, fixed_fraction=fraction)
    keys = [line.key for line in bill.lines]
    assert keys[0] == "energy"
    assert keys == sorted(keys, key=LINE_KEYS.index)
    assert all(line.amount for line in bill.lines[1:])
    assert all(line.amount == line.amount.quantize(D("0.01")) for line in bill.lines)
    assert bill.total == sum(line.amount for line in bill.lines)
    assert bill.total >= 0
    later = tariff.bill(kwh + more, fixed_fraction=fraction)
    if not tariff.rebate_per_kwh:
        assert later.total >= bill.total
    elif not tariff.minimum_charge:
        assert later.total >= bill.total - D("0.01")


def test_under_a_minimum_charge_a_rebate_per_kwh_lowers_the_bill() -> None:
    tariff = Tariff(
        "INR",
        slabs=(Slab(None, D(2)),),
        minimum_charge=D(100),
        rebate_per_kwh=D(1),
    )
    # The top-up absorbs the energy charge, not the subsidy (see the module).
    assert str(tariff.bill(D(10)).total) == "90.00"
    assert str(tariff.bill(D(20)).total) == "80.00"
    assert str(tariff.bill(D(60)).total) == "60.00"
