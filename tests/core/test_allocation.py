"""A fair cost per device: marginal pricing, fixed lines, exact to the cent."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.intelergy.core.allocation import HourUse, allocate
from custom_components.intelergy.core.tariff import (
    Slab,
    SlabTable,
    Tariff,
    TariffError,
    TouBand,
)

D = Decimal
PROPERTIES = settings(max_examples=100, deadline=None, database=None)
SLABS = (Slab(D(100), D("3.50")), Slab(D(300), D("4.50")), Slab(None, D("6.00")))
PLAIN = Tariff("INR", slabs=SLABS, fixed_charge=D(50))


def hour(band: str | None = None, **kwh: int | str) -> HourUse:
    return HourUse(band, {name: D(value) for name, value in kwh.items()})


def test_each_kwh_at_the_rate_it_was_bought_at() -> None:
    hours = [hour(fridge=80), hour(heater=40)]
    shared = allocate(PLAIN, hours, fixed="household")
    # fridge: 80 x 3.50; heater: 20 x 3.50 + 20 x 4.50 (it climbed the ladder)
    assert shared.per_sensor == {"fridge": D("280.00"), "heater": D("160.00")}
    assert shared.household == D("50.00")
    assert shared.bill.total == D("490.00")
    by_energy = allocate(PLAIN, hours, fixed="energy")
    # + 50 x 80 / 120 = 33.33 and 16.67 (the cent to the larger remainder)
    assert by_energy.per_sensor == {"fridge": D("313.33"), "heater": D("176.67")}
    assert by_energy.household == D("0.00")
    assert by_energy.exact["fridge"] == Fraction(280) + Fraction(100, 3)


def test_an_hour_across_a_slab_edge_is_split_at_the_edge() -> None:
    hours = [hour(base=60), hour(a=50, b=50)]
    shared = allocate(PLAIN, hours, fixed="household")
    # The second hour: 40 x 3.50 + 60 x 4.50 = 410, half each.
    assert shared.per_sensor == {
        "base": D("210.00"),
        "a": D("205.00"),
        "b": D("205.00"),
    }


def test_tou_hours_at_their_band_rate_and_tables_by_energy() -> None:
    tariff = Tariff("INR", slabs=SLABS, tou_bands=(TouBand("peak", 18, 22, D(9)),))
    shared = allocate(tariff, [hour(a=10), hour("peak", b=2)], fixed="household")
    assert shared.per_sensor == {"a": D("35.00"), "b": D("18.00")}
    with pytest.raises(TariffError, match="unknown TOU band"):
        allocate(tariff, [hour("night", a=1)], fixed="household")
    tables = Tariff(
        "INR",
        tables=(
            SlabTable(D(100), (Slab(D(100), D(1)),)),
            SlabTable(None, (Slab(D(100), D(1)), Slab(None, D(3)))),
        ),
        tou_bands=(TouBand("peak", 18, 22, D(9)),),
    )
    # 150 kWh of slab energy: 100 + 50 x 3 = 250, shared by slab energy only.
    shared = allocate(
        tables, [hour(a=50), hour(b=100), hour("peak", b=1)], fixed="household"
    )
    assert shared.per_sensor == {"a": D("83.33"), "b": D("175.67")}
    assert sum(shared.per_sensor.values()) == shared.bill.total


def test_every_line_is_shared_and_adds_up_to_the_bill() -> None:
    tariff = Tariff(
        "INR",
        slabs=SLABS,
        fixed_charge=D(50),
        tax_percent=D(18),
        duty_percent=D(6),
        duty_per_kwh=D("0.10"),
        fac_per_kwh=D("0.35"),
        meter_rent=D(20),
        minimum_charge=D(300),
        rebate_per_kwh=D("0.50"),
        rebate_flat=D(10),
        rebate_limit=D(30),
        taxed_lines=(
            "energy",
            "fixed",
            "duty",
            "fac",
            "meter_rent",
            "minimum",
            "rebate",
        ),
    )
    hours = [hour(a=20, b=10), hour(c=0), hour(b=30)]
    for mode in ("energy", "household"):
        shared = allocate(tariff, hours, fixed=mode)  # type: ignore[arg-type]
        assert {line.key for line in shared.bill.lines} >= {"minimum", "rebate"}
        assert sum(shared.per_sensor.values()) + shared.household == shared.bill.total
        assert shared.per_sensor["c"] == D("0.00")
    # The per-kWh rebate is given in time order until the limit (30 - 10 flat):
    # a's 20 kWh take 6.67 of the first hour's 15... exactly, by Fractions.
    household = allocate(tariff, hours, fixed="household")
    assert household.exact["a"] > 0
    assert household.household_exact > 0


def test_no_energy_at_all_keeps_the_fixed_lines_on_the_household() -> None:
    shared = allocate(PLAIN, [hour(a=0, b=0)], fixed="energy")
    assert shared.per_sensor == {"a": D("0.00"), "b": D("0.00")}
    assert shared.household == D("50.00")
    empty = allocate(PLAIN, [], fixed="energy")
    assert (empty.per_sensor, empty.household) == ({}, D("50.00"))


def test_bad_requests_are_refused() -> None:
    with pytest.raises(TariffError, match="fixed must be"):
        allocate(PLAIN, [], fixed="sensor")  # type: ignore[arg-type]
    with pytest.raises(TariffError, match="not an HourUse"):
        allocate(PLAIN, [{"a": D(1)}], fixed="energy")  # type: ignore[list-item]
    with pytest.raises(TariffError, match="sensor names must be non-empty"):
        allocate(PLAIN, [HourUse(None, {"": D(1)})], fixed="energy")
    with pytest.raises(TariffError, match="must not be negative"):
        allocate(PLAIN, [hour(a=-1)], fixed="energy")


NAMES = ("fridge", "heater", "pump", "tv")
RATE = st.integers(0, 900).map(lambda cents: D(cents) / 100)


@st.composite
def rising_tariffs(draw: st.DrawFn) -> Tariff:
    """Telescopic slabs with rising whole-cent rates: every line is exact."""
    rates = sorted(draw(st.lists(RATE, min_size=1, max_size=3)))
    limits = sorted(
        draw(
            st.sets(
                st.integers(1, 60), min_size=len(rates) - 1, max_size=len(rates) - 1
            )
        )
    )
    slabs = tuple(
        Slab(None if limit is None else D(limit), rate)
        for limit, rate in zip([*limits, None], rates, strict=True)
    )
    return Tariff(
        "INR",
        slabs=slabs,
        fixed_charge=draw(RATE),
        duty_per_kwh=draw(RATE),
        fac_per_kwh=draw(RATE),
        rebate_per_kwh=min(rates[0], draw(RATE)),
        rebate_limit=draw(st.none() | RATE),
        tou_bands=(TouBand("peak", 18, 22, draw(RATE) + rates[0]),),
    )


HOURS = st.lists(
    st.tuples(
        st.sampled_from([None, None, "peak"]),
        st.dictionaries(st.sampled_from(NAMES), st.integers(0, 9), max_size=4),
    ),
    max_size=12,
)


def as_hours(raw: list[tuple[str | None, dict[str, int]]]) -> list[HourUse]:
    return [HourUse(band, {k: D(v) for k, v in kwh.items()}) for band, kwh in raw]


@PROPERTIES
@given(tariff=rising_tariffs(), raw=HOURS, tax=st.decimals(0, 30, places=1))
def test_shares_add_up_and_unused_sensors_cost_nothing(
    tariff: Tariff, raw: list[tuple[str | None, dict[str, int]]], tax: Decimal
) -> None:
    taxed = Tariff.from_dict({**tariff.as_dict(), "tax_percent": str(tax)})
    hours = as_hours(raw)
    for mode in ("energy", "household"):
        shared = allocate(taxed, hours, fixed=mode)  # type: ignore[arg-type]
        assert sum(shared.per_sensor.values()) + shared.household == shared.bill.total
        assert sum(shared.exact.values()) + shared.household_exact == shared.bill.total
        for sensor, amount in shared.per_sensor.items():
            used = sum(h.kwh.get(sensor, D(0)) for h in hours)
            if not used:
                assert amount == 0
            assert abs(Fraction(amount) - shared.exact[sensor]) < 1
        # The order of the sensors changes nothing.
        reordered = [
            HourUse(h.band, dict(reversed(list(h.kwh.items())))) for h in hours
        ]
        again = allocate(taxed, reordered, fixed=mode)  # type: ignore[arg-type]
        assert again.per_sensor == shared.per_sensor
        assert again.household == shared.household


@PROPERTIES
@given(
    tariff=rising_tariffs(),
    raw=HOURS,
    where=st.integers(0, 11),
    sensor=st.sampled_from(NAMES),
    more=st.integers(1, 9),
)
def test_more_energy_never_costs_a_sensor_less(
    tariff: Tariff,
    raw: list[tuple[str | None, dict[str, int]]],
    where: int,
    sensor: str,
    more: int,
) -> None:
    hours = as_hours(raw) or [HourUse(None, {})]
    index = where % len(hours)
    bigger = list(hours)
    kwh = dict(bigger[index].kwh)
    kwh[sensor] = kwh.get(sensor, D(0)) + more
    bigger[index] = HourUse(bigger[index].band, kwh)
    for mode in ("energy", "household"):
        before = allocate(tariff, hours, fixed=mode)  # type: ignore[arg-type]
        after = allocate(tariff, bigger, fixed=mode)  # type: ignore[arg-type]
        assert after.exact[sensor] >= before.exact.get(sensor, Fraction(0))
        # The cent rounding can move an amount by a cent at most.
        assert after.per_sensor[sensor] >= before.per_sensor.get(sensor, D(0)) - D(
            "0.01"
        )
