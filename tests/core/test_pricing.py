"""Where the cycle stands on its ladder and the price of the next kWh."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.intelergy.core.tariff import (
    Slab,
    SlabPosition,
    SlabTable,
    Tariff,
    TariffError,
    TouBand,
)

D = Decimal
SLABS = (Slab(D(100), D("3.50")), Slab(D(300), D("4.50")), Slab(None, D("6.00")))
SEED = Tariff("INR", slabs=SLABS, fixed_charge=D(50), tax_percent=D(18))
TABLES = Tariff(
    "INR",
    tables=(
        SlabTable(D(500), (Slab(D(100), D(0)), Slab(D(500), D("4.50")))),
        SlabTable(None, (Slab(D(100), D(0)), Slab(D(500), D(6)), Slab(None, D(8)))),
    ),
)


def test_slab_position_on_a_telescopic_ladder() -> None:
    assert SEED.slab_position(D(0)) == SlabPosition(
        0, D(0), D(100), D("3.50"), D(100), None, D("4.50")
    )
    assert SEED.slab_position(D("99.5")).kwh_left == D("0.5")
    at_limit = SEED.slab_position(D(100))  # the next kWh is the 101st
    assert (at_limit.index, at_limit.from_kwh, at_limit.to_kwh) == (1, D(100), D(300))
    top = SEED.slab_position(D(350))
    assert (top.index, top.to_kwh, top.kwh_left, top.next_rate) == (
        2,
        None,
        None,
        None,
    )
    # TOU energy is left out of the ladder.
    assert SEED.slab_position(D(350), D(300)).index == 0
    with pytest.raises(TariffError, match="exceeds the total"):
        SEED.slab_position(D(1), D(2))
    with pytest.raises(TariffError, match="cycle_kwh must not be negative"):
        SEED.slab_position(D(-1))


def test_slab_position_in_whole_bill_tables() -> None:
    low = TABLES.slab_position(D(450))
    assert (low.table, low.index, low.rate, low.kwh_left) == (0, 1, D("4.50"), D(50))
    high = TABLES.slab_position(D(501))
    assert (high.table, high.index, high.rate) == (1, 2, D(8))


def test_next_kwh_price_with_tax() -> None:
    assert SEED.next_kwh_price(D(50)) == D("4.13")  # 3.50 x 1.18
    assert SEED.next_kwh_price(D(100)) == D("5.31")  # 4.50 x 1.18
    assert SEED.next_kwh_price(D(1000)) == D("7.08")
    # Tables: the table the cycle selects, not the retroactive jump at its edge.
    assert TABLES.next_kwh_price(D(499)) == D("4.50")
    assert TABLES.next_kwh_price(D(501)) == D(8)


def test_next_kwh_price_with_every_per_kwh_line_and_bands() -> None:
    tariff = Tariff(
        "INR",
        slabs=SLABS,
        tax_percent=D(10),
        duty_percent=D(6),
        duty_per_kwh=D("0.10"),
        fac_per_kwh=D("0.35"),
        rebate_per_kwh=D("0.50"),
        rebate_flat=D(10),
        rebate_limit=D(60),
        meter_rent=D(20),
        minimum_charge=D(500),
        taxed_lines=("energy", "duty"),
        tou_bands=(TouBand("peak", 18, 22, D(8)),),
    )
    # 3.50 + (0.10 + 0.21) + 0.35 - 0.50, tax 10 % of 3.50 + 0.31
    assert tariff.next_kwh_price(D(0)) == D("3.50") + D("0.31") + D("0.35") - D(
        "0.50"
    ) + D("0.381")
    # The rebate stops at its limit: 10 + 0.50 x 100 = 60.
    assert tariff.next_kwh_price(D(100)) == D("4.50") + D("0.37") + D("0.35") + D(
        "0.487"
    )
    assert tariff.next_kwh_price(D(99), band="peak") == D(8) + D("0.58") + D(
        "0.35"
    ) - D("0.50") + D("0.858")
    with pytest.raises(TariffError, match="unknown TOU band"):
        tariff.next_kwh_price(D(0), band="night")
    with pytest.raises(TariffError, match="cycle_kwh must be a Decimal"):
        tariff.next_kwh_price(1.5, band="peak")  # type: ignore[arg-type]
    # TOU energy does not climb.
    assert tariff.next_kwh_price(D(150), tou_kwh=D(100)) < tariff.next_kwh_price(D(150))


@settings(max_examples=150, deadline=None, database=None)
@given(
    kwh=st.decimals(0, 1000, places=3),
    step=st.decimals("0.001", "0.5", places=3),
    tax=st.decimals(0, 30, places=1),
    fac=st.decimals(0, 2, places=2),
)
def test_next_kwh_price_is_the_slope_of_the_exact_bill(
    kwh: Decimal, step: Decimal, tax: Decimal, fac: Decimal
) -> None:
    tariff = Tariff("INR", slabs=SLABS, tax_percent=tax, fac_per_kwh=fac)
    position = tariff.slab_position(kwh)
    step = min(step, position.kwh_left or step)

    def exact(energy: Decimal) -> Decimal:
        bill = tariff.bill(energy)
        charge = sum(line.amount for line in bill.slab_lines)
        return charge * (1 + tax / 100) + fac * energy  # FAC is not taxed here

    slope = (exact(kwh + step) - exact(kwh)) / step
    assert tariff.next_kwh_price(kwh) == slope
