"""A fair cost per device: marginal pricing, fixed lines, exact to the cent."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from fractions import Fraction
from typing import Literal

from hypothesis import given, settings, strategies as st
import pytest

# The hour-by-hour reference below shares the ladder's cost (_cost) and the cent
# rounding (_to_cents) with allocate: its pricing by hour is what it checks.
from custom_components.intelergy.core.allocation import (
    _FIXED_LINES,
    HOUSEHOLD,
    Allocation,
    HourUse,
    _cost,
    _to_cents,
    allocate,
    climb,
)
from custom_components.intelergy.core.tariff import (
    CENT,
    LINE_KEYS,
    ONE,
    ZERO,
    Bill,
    Slab,
    SlabTable,
    Tariff,
    TariffError,
    TouBand,
    check_amount,
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
    # Hours folded for one tariff (or rebate room) are not continued under another.
    earlier = climb(PLAIN, [hour(a=1)])
    with pytest.raises(TariffError, match="hour 1 is not an HourUse"):
        allocate(PLAIN, [{"a": D(1)}], fixed="energy", after=earlier)  # type: ignore[list-item]
    other = replace(PLAIN, fixed_charge=PLAIN.fixed_charge + 1)
    with pytest.raises(TariffError, match="another tariff or rebate room"):
        allocate(other, [hour(a=1)], fixed="energy", after=earlier)
    limited = replace(PLAIN, rebate_flat=D(10), rebate_limit=D(20))
    half = climb(limited, [hour(a=1)], fixed_fraction=D("0.5"))
    with pytest.raises(TariffError, match="another tariff or rebate room"):
        allocate(limited, [hour(a=1)], fixed="energy", fixed_fraction=ONE, after=half)
    assert allocate(
        limited, [hour(a=1)], fixed="energy", fixed_fraction=D("0.5"), after=half
    ) == allocate(
        limited, [hour(a=1), hour(a=1)], fixed="energy", fixed_fraction=D("0.5")
    )


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


# --- A reference: the rule hour by hour, every amount a Fraction ----------------


def reference_allocate(
    tariff: Tariff,
    hours: Sequence[HourUse],
    *,
    fixed: Literal["energy", "household"],
    fixed_fraction: Decimal = ONE,
) -> Allocation:
    """The straightforward rule, hour by hour in Fractions (the original)."""
    if fixed not in {"energy", "household"}:
        raise TariffError(f"fixed must be 'energy' or 'household', not {fixed!r}")
    sensors: dict[str, Fraction] = {}
    bands: dict[str, Decimal] = {}
    total = ZERO
    for number, hour in enumerate(hours):
        if not isinstance(hour, HourUse) or not isinstance(hour.kwh, Mapping):
            raise TariffError(f"hour {number} is not an HourUse: {hour!r}")
        for sensor, kwh in hour.kwh.items():
            if not isinstance(sensor, str) or sensor == HOUSEHOLD:
                raise TariffError(f"sensor names must be non-empty: {sensor!r}")
            check_amount(kwh, f"kWh of {sensor!r} in hour {number}")
            sensors[sensor] = sensors.get(sensor, Fraction(0)) + Fraction(kwh)
            total += kwh
            if hour.band is not None:
                bands[hour.band] = bands.get(hour.band, ZERO) + kwh
    bill = tariff.bill(total, tou_kwh=bands, fixed_fraction=fixed_fraction)
    contributions = _reference_contributions(
        tariff,
        hours=hours,
        bill=bill,
        sensors=sensors,
        fixed=fixed,
        fixed_fraction=fixed_fraction,
    )
    shares: dict[str, dict[str, Fraction]] = {}  # line key -> party -> share
    for line in bill.lines:
        if line.key == "tax" or not line.amount:
            continue
        weights = contributions[line.key]
        whole = sum(weights.values(), Fraction(0))
        amount = Fraction(line.amount)
        shares[line.key] = (
            {party: amount * weight / whole for party, weight in weights.items()}
            if whole
            else {HOUSEHOLD: amount}
        )
    if tax := Fraction(bill.line("tax")):
        base: dict[str, Fraction] = {}
        for key in tariff.taxed_lines:
            for party, share in shares.get(key, {}).items():
                base[party] = base.get(party, Fraction(0)) + share
        whole = sum(base.values(), Fraction(0))
        shares["tax"] = {party: tax * share / whole for party, share in base.items()}
    exact = dict.fromkeys([HOUSEHOLD, *sensors], Fraction(0))
    for per_party in shares.values():
        for party, share in per_party.items():
            exact[party] += share
    cents = _to_cents(exact, int(bill.total / CENT))
    return Allocation(
        per_sensor={sensor: cents[sensor] * CENT for sensor in sensors},
        household=cents[HOUSEHOLD] * CENT,
        bill=bill,
        exact={sensor: exact[sensor] for sensor in sensors},
        household_exact=exact[HOUSEHOLD],
    )


def _reference_contributions(
    tariff: Tariff,
    *,
    hours: Sequence[HourUse],
    bill: Bill,
    sensors: Mapping[str, Fraction],
    fixed: str,
    fixed_fraction: Decimal,
) -> dict[str, dict[str, Fraction]]:
    """Each line's exact contributions by party (before the bill's rounding)."""
    lines: dict[str, dict[str, Fraction]] = {key: {} for key in LINE_KEYS}

    def add(key: str, party: str, amount: Fraction) -> None:
        lines[key][party] = lines[key].get(party, Fraction(0)) + amount

    rates = {band.name: Fraction(band.rate) for band in tariff.tou_bands}
    per_kwh = Fraction(tariff.rebate_per_kwh)
    flat = Fraction(tariff.rebate_flat) * Fraction(fixed_fraction)
    limit = None if tariff.rebate_limit is None else Fraction(tariff.rebate_limit)
    if limit is not None:
        flat = min(flat, limit)
    room = None if limit is None else limit - flat  # left for the per-kWh rebate
    energy: dict[str, Fraction] = {}
    slab_kwh: dict[str, Fraction] = {}
    climbed = Fraction(0)
    ladder = tariff.slabs
    for hour in hours:
        used = {s: Fraction(kwh) for s, kwh in hour.kwh.items() if kwh}
        h = sum(used.values(), Fraction(0))
        if not h:
            continue
        if hour.band is not None:
            rate = rates[hour.band]
            for sensor, kwh in used.items():
                energy[sensor] = energy.get(sensor, Fraction(0)) + kwh * rate
        else:
            for sensor, kwh in used.items():
                slab_kwh[sensor] = slab_kwh.get(sensor, Fraction(0)) + kwh
            if ladder:  # telescopic: the hour's cost where the cycle stands
                cost = _cost(ladder, climbed + h) - _cost(ladder, climbed)
                climbed += h
                for sensor, kwh in used.items():
                    energy[sensor] = energy.get(sensor, Fraction(0)) + cost * kwh / h
        rebate = per_kwh * h if room is None else min(per_kwh * h, room)
        if room is not None:
            room -= rebate
        for sensor, kwh in used.items():
            add("rebate", sensor, rebate * kwh / h)
            add("fac", sensor, Fraction(tariff.fac_per_kwh) * kwh)
            add("duty", sensor, Fraction(tariff.duty_per_kwh) * kwh)
    if not ladder:  # whole-bill tables: the slab part by slab energy
        slab_charge = sum(
            (Fraction(row.amount) for row in bill.slab_lines), Fraction(0)
        )
        slab_total = sum(slab_kwh.values(), Fraction(0))
        for sensor, kwh in slab_kwh.items():  # each > 0: hours keep kWh > 0 only
            energy[sensor] = (
                energy.get(sensor, Fraction(0)) + slab_charge * kwh / slab_total
            )
    percent = Fraction(tariff.duty_percent) / 100
    for sensor, charge in energy.items():
        add("energy", sensor, charge)
        add("duty", sensor, percent * charge)
    whole = sum(sensors.values(), Fraction(0))
    fixed_weights = (
        {sensor: kwh / whole for sensor, kwh in sensors.items() if kwh}
        if fixed == "energy" and whole
        else {HOUSEHOLD: Fraction(1)}
    )
    for key in _FIXED_LINES:
        lines[key] = dict(fixed_weights)
    for party, weight in fixed_weights.items():
        add("rebate", party, flat * weight)
    return lines


KWH = st.integers(0, 3000).map(lambda wh: D(wh) / 1000)
MANY_HOURS = st.lists(
    st.tuples(
        st.sampled_from([None, None, None, "peak"]),
        st.dictionaries(st.sampled_from(NAMES), KWH, max_size=4),
    ),
    max_size=40,
)


@PROPERTIES
@given(
    tariff=rising_tariffs(),
    raw=MANY_HOURS,
    tax=st.decimals(0, 30, places=1),
    flat=RATE,
    fraction=st.decimals(0, 1, places=3),
    tables=st.booleans(),
    cut=st.integers(0, 40),
)
def test_the_same_as_the_reference_hour_by_hour(
    tariff: Tariff,
    raw: list[tuple[str | None, dict[str, Decimal]]],
    tax: Decimal,
    flat: Decimal,
    fraction: Decimal,
    tables: bool,
    cut: int,
) -> None:
    """Bucket pricing equals the hour-by-hour reference; so does a climb continued.

    ``cut``: the hours before it folded first (``climb``), as a refresh keeps the
    cycle's past hours, then ``allocate(..., after=...)`` with the rest.
    """
    data = {**tariff.as_dict(), "tax_percent": str(tax), "rebate_flat": str(flat)}
    taxed = Tariff.from_dict(data)
    if tables:
        taxed = replace(
            taxed,
            slabs=(),
            tables=(
                SlabTable(D(5), (Slab(None, D("9.5")),)),
                SlabTable(None, (Slab(D(5), D(10)), Slab(None, D("12.25")))),
            ),
        )
    hours = [HourUse(band, kwh) for band, kwh in raw]
    for mode in ("energy", "household"):
        new = allocate(taxed, hours, fixed=mode, fixed_fraction=fraction)  # type: ignore[arg-type]
        old = reference_allocate(taxed, hours, fixed=mode, fixed_fraction=fraction)  # type: ignore[arg-type]
        assert new == old
        assert list(new.exact) == list(old.exact)
        earlier = climb(taxed, hours[:cut], fixed_fraction=fraction)
        before = earlier.copy()
        continued = allocate(
            taxed,
            hours[cut:],
            fixed=mode,  # type: ignore[arg-type]
            fixed_fraction=fraction,
            after=earlier,
        )
        assert continued == new
        assert list(continued.per_sensor) == list(new.per_sensor)
        assert earlier == before  # allocate leaves the folded hours as they were
        assert [str(v) for v in new.per_sensor.values()] == [
            str(v) for v in old.per_sensor.values()
        ]
