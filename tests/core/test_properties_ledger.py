"""The ledger on absurd sums and weights: only ``LedgerError`` / ``TariffError``.

Floats of every kind (huge, NaN, infinities, -0.0, subnormals) as statistics
sums, energies and allocation weights; Decimal extremes as amounts. Invariants:
energy is never negative and grows with the sum, a share is never of the wrong
sign and the shares add up to the amount, a priced part's sensor costs add up to
its total.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
import itertools
import math

from hypothesis import HealthCheck, given, settings, strategies as st

from custom_components.intelergy.core.ledger import (
    KWH_STEP,
    MAX_SHARED,
    LedgerError,
    allocate,
    band_energy,
    bill_at,
    cycle_kwh,
    energy_between,
    plan,
    price_part,
    to_kwh,
)
from custom_components.intelergy.core.tariff import (
    CENT,
    MAX_AMOUNT,
    MonthlyCycle,
    Slab,
    Tariff,
    TariffError,
    TouBand,
)

D = Decimal
MANY = settings(
    max_examples=3000,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
FLOATS = (
    st.floats()
    | st.sampled_from(
        [math.nan, math.inf, -math.inf, -0.0, 1e25, 1.7e308, 5e-324, float(MAX_AMOUNT)]
    )
    | st.floats(min_value=0, max_value=5000)
)
AMOUNTS = (
    st.decimals(allow_nan=True, allow_infinity=True)
    | st.decimals(min_value=-(10**6), max_value=10**6, places=2)
    | st.sampled_from(
        [D("1E+26"), D("1E+999999"), D("-1E+999999"), D("NaN"), D("-Infinity")]
    )
    | st.sampled_from([MAX_SHARED, -MAX_SHARED, MAX_SHARED + CENT])
)
SEED = Tariff(
    "INR",
    slabs=(Slab(D(100), D("3.50")), Slab(D(300), D("4.50")), Slab(None, D("6.00"))),
    fixed_charge=D(50),
    tax_percent=D(18),
    tou_bands=(TouBand("peak", 18, 22, D(8)),),
)


@MANY
@given(FLOATS, FLOATS)
def test_energy_is_taken_clamped_or_refused(a: float, b: float) -> None:
    results = []
    for value in sorted((a, b)) if not (math.isnan(a) or math.isnan(b)) else (a, b):
        try:
            kwh = to_kwh(value)
        except LedgerError:
            assert not math.isfinite(value) or value > MAX_AMOUNT
            continue
        assert math.isfinite(value)
        assert value <= MAX_AMOUNT
        assert D(0) <= kwh <= MAX_AMOUNT
        assert kwh.as_tuple().exponent == KWH_STEP.as_tuple().exponent
        assert abs(kwh - D(repr(max(value, 0.0)))) <= KWH_STEP / 2
        results.append(kwh)
    if len(results) == 2 and not (math.isnan(a) or math.isnan(b)):
        assert results[0] <= results[1]  # more energy never reads as less


@MANY
@given(AMOUNTS, st.dictionaries(st.text(max_size=3), FLOATS, max_size=6))
def test_shares_add_up_or_the_input_is_refused(
    amount: Decimal, weights: dict[str, float]
) -> None:
    try:
        shares = allocate(amount, weights)
    except LedgerError:
        assert (
            not amount.is_finite()
            or abs(amount) > MAX_SHARED
            or not all(math.isfinite(weight) for weight in weights.values())
        )
        return
    assert amount.is_finite()
    assert abs(amount) <= MAX_SHARED
    assert shares.keys() == weights.keys()
    if not weights:
        return
    rounded = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    assert sum(shares.values()) == rounded  # exactly, to the cent
    cents = int(abs(rounded) * 100)
    parts = {key: Fraction(max(weight, 0.0)) for key, weight in weights.items()}
    if not any(parts.values()):  # nothing to go by: equal shares
        parts = dict.fromkeys(parts, Fraction(1))
    whole = sum(parts.values())
    for key, share in shares.items():
        assert share == share.quantize(CENT)
        assert share * amount >= 0  # never of the other sign
        # Largest remainder: each share is its exact share rounded down or up.
        exact = cents * parts[key] / whole
        assert math.floor(exact) <= int(abs(share) * 100) <= math.ceil(exact)


TODAY = datetime(2026, 3, 10, tzinfo=UTC)


@settings(MANY, max_examples=1500)
@given(
    st.dictionaries(
        st.sampled_from(["sensor.a", "sensor.b", "sensor.c"]),
        st.fixed_dictionaries(
            {},
            optional={
                "start": FLOATS | st.none(),
                "day": FLOATS | st.none(),
                "end": FLOATS | st.none(),
            },
        ),
        max_size=3,
    ),
    st.dictionaries(st.just("peak"), FLOATS, max_size=1),
)
def test_a_part_is_priced_and_shared_or_a_tariff_error(
    readings: dict[str, dict[str, float | None]], tou: dict[str, float]
) -> None:
    cycle_start = datetime(2026, 3, 1, tzinfo=UTC)
    instants = {
        "start": cycle_start,
        "day": TODAY,
        "end": TODAY + timedelta(days=1),
    }
    sums = {
        sensor: {instants[name]: value for name, value in values.items()}
        for sensor, values in readings.items()
    }
    (part,) = plan(MonthlyCycle(1), UTC, TODAY, TODAY + timedelta(days=1))
    bands = dict.fromkeys((TODAY, TODAY + timedelta(days=1)), tou)
    try:
        priced = price_part(SEED, part, sums, bands)
    except TariffError:  # LedgerError included: absurd or NaN energy
        fed = [
            cycle_kwh(sums, part, part.start),
            cycle_kwh(sums, part, part.end),
            *(value for value in tou.values() if not value <= 0),
        ]
        weights = [
            energy_between(at.get(part.start), at.get(part.end)) for at in sums.values()
        ]
        assert any(not math.isfinite(value) or value > MAX_AMOUNT for value in fed) or (
            not all(math.isfinite(weight) for weight in weights)
        )
        return
    charges = priced.charges
    assert charges.total >= 0
    assert charges.kwh >= 0
    assert all(kwh >= 0 for kwh in priced.sensor_kwh.values())
    if any(kwh > 0 for kwh in priced.sensor_kwh.values()):
        # the part's cost is shared among its sensors by energy, to the cent
        assert sum(priced.sensor_cost.values(), D(0)) == charges.total
    else:  # no energy (or no sensor): nobody is charged a share
        assert priced.sensor_cost == dict.fromkeys(sums, D(0))
    assert all(cost >= 0 for cost in priced.sensor_cost.values())
    # A sensor that used nothing in the part is charged nothing.
    for sensor, kwh in priced.sensor_kwh.items():
        if kwh == 0:
            assert priced.sensor_cost[sensor] == 0


@MANY
@given(FLOATS, st.dictionaries(st.sampled_from(["peak", "night"]), FLOATS, max_size=2))
def test_bill_at_any_energy_is_a_bill_or_a_tariff_error(
    kwh: float, tou: dict[str, float]
) -> None:
    try:
        bill = bill_at(SEED, kwh, tou)
    except LedgerError:  # absurd energy
        fed = [kwh, *(value for value in tou.values() if not value <= 0)]
        assert any(not math.isfinite(value) or value > MAX_AMOUNT for value in fed)
        return
    except TariffError:  # a band the tariff does not have
        assert "night" in tou
        return
    assert bill.total >= 0
    assert bill.energy_kwh == to_kwh(kwh)
    assert sum((line.kwh for line in bill.tou_lines), D(0)) <= bill.energy_kwh


@MANY
@given(
    st.lists(
        st.tuples(st.floats(min_value=1.767e9, max_value=1.8e9) | FLOATS, FLOATS),
        max_size=8,
    )
)
def test_band_energy_is_never_negative_or_a_ledger_error(
    rows: list[tuple[float, float]],
) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    cuts = [start + timedelta(days=days) for days in (1, 30, 400)]
    try:
        result = band_energy(SEED, rows, UTC, start, cuts)
    except LedgerError:
        assert not all(math.isfinite(a) and math.isfinite(b) for a, b in rows)
        return
    assert sorted(result) == cuts
    for totals in result.values():
        assert all(value >= 0 for value in totals.values())


@settings(max_examples=300, deadline=None, database=None)
@given(
    st.integers(min_value=-48, max_value=31 * 24 + 48),  # statistics start, hours
    st.lists(st.floats(min_value=0, max_value=50), min_size=31, max_size=31),
    st.lists(st.integers(min_value=0, max_value=31 * 24), max_size=6),
)
def test_a_partial_first_cycle_adds_up_and_costs_nothing_before_it(
    first: int, usage: list[float], cuts: list[int]
) -> None:
    """Statistics starting anywhere: the parts add up, nothing before costs.

    Consecutive parts add up to the whole cycle's bill, and a part before the
    statistics start costs nothing (issue 14).
    """
    march = datetime(2026, 3, 1, tzinfo=UTC)
    hour = timedelta(hours=1)
    known = march + first * hour
    ((whole),) = plan(MonthlyCycle(1), UTC, march, march + 31 * 24 * hour, known)
    edges = sorted({whole.start, whole.end, *(march + c * hour for c in cuts)})

    def sum_at(when: datetime) -> float | None:
        """A day's row ends at its midnight; none before the statistics start."""
        ends = [(march + (day + 1) * 24 * hour, kwh) for day, kwh in enumerate(usage)]
        counted = [kwh for end, kwh in ends if known < end <= when]
        return math.fsum(counted) if counted else None

    data = {"sensor.a": {when: sum_at(when) for when in edges}}
    parts = [
        plan(MonthlyCycle(1), UTC, a, b, known)[0] for a, b in itertools.pairwise(edges)
    ]
    priced = [price_part(SEED, part, data) for part in parts]
    bill = price_part(SEED, whole, data).charges
    assert sum((p.charges.total for p in priced), D(0)) == bill.total
    assert sum((p.charges.fixed_charge for p in priced), D(0)) == bill.fixed_charge
    for part, one in zip(parts, priced, strict=True):
        if part.end <= known:
            assert one.charges.total == 0
    assert bill.fixed_charge <= SEED.fixed_per_cycle
