"""The tariff engine on hostile input: only ``TariffError``, and bills never fall.

Decimal extremes (1E+26 kWh, 1E-999999, NaN, sNaN, huge integers), arbitrary
whole-bill tables (most of them *not* monotonic) with and without time-of-use
bands, cycles at the ends of the calendar. Invariants: a legal request gets an
exact bill, a refused tariff really could bill less for more energy, and an
accepted one never does.
"""

from __future__ import annotations

from datetime import UTC, date, timedelta
from decimal import MAX_EMAX, MIN_EMIN, Context, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings, strategies as st

from custom_components.intelergy.core.tariff import (
    MAX_AMOUNT,
    MAX_CYCLE_DAYS,
    MAX_PLACES,
    BillingCycle,
    MonthlyCycle,
    RollingCycle,
    Slab,
    SlabTable,
    Tariff,
    TariffDecreasesError,
    TariffError,
    TouBand,
    climb,
    local_midnight,
    round_money,
)

D = Decimal
WIDE = Context(prec=500, Emax=MAX_EMAX, Emin=MIN_EMIN)
MANY = settings(
    max_examples=2000,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

EXTREMES = [
    D("1E+26"),
    D("1E+999999"),
    D("1E-999999"),
    D("1E-999999999999999999"),
    D("-0"),
    D("0E-1000"),
    D("NaN"),
    D("sNaN"),
    D("Infinity"),
    D("-Infinity"),
    MAX_AMOUNT,
    MAX_AMOUNT + D("0.001"),
    MAX_AMOUNT - D("1E-40"),
    -MAX_AMOUNT,
]
# Anything a caller could pass as an amount: Decimals of any size, wrong types too.
ANY_AMOUNT: st.SearchStrategy[Any] = (
    st.decimals(allow_nan=True, allow_infinity=True)
    | st.sampled_from(EXTREMES)
    | st.integers()
    | st.integers(min_value=10**20, max_value=10**400)
    | st.floats()
    | st.none()
    | st.booleans()
)
RATES = st.decimals(min_value=0, max_value=30, places=2) | st.sampled_from(
    [D(0), MAX_AMOUNT, D("0.000001")]
)
KWH = st.decimals(min_value=0, max_value=3000, places=3)


@st.composite
def ladder(draw: st.DrawFn, up_to: int | None = None) -> tuple[Slab, ...]:
    """A valid telescopic ladder (open-ended, or reaching ``up_to``)."""
    top = 2000 if up_to is None else up_to
    limits = sorted(draw(st.sets(st.integers(1, top), max_size=3)))
    slabs = [Slab(D(limit), draw(RATES)) for limit in limits]
    if up_to is not None and limits and limits[-1] == up_to and draw(st.booleans()):
        return tuple(slabs)  # a table's ladder may stop at the table's limit
    return (*slabs, Slab(None, draw(RATES)))


@st.composite
def raw_tariffs(draw: st.DrawFn) -> dict[str, Any]:
    """Tariff arguments: any table rates (monotonic or not), TOU bands or not."""
    arguments: dict[str, Any] = {
        "fixed_charge": draw(st.decimals(min_value=0, max_value=500, places=2)),
        "tax_percent": draw(st.decimals(min_value=0, max_value=100, places=2)),
    }
    if draw(st.booleans()):
        arguments["tou_bands"] = (TouBand("peak", 18, 22, draw(RATES)),)
    if draw(st.integers(0, 3)) == 0:
        arguments["slabs"] = draw(ladder())
        return arguments
    limits = sorted(draw(st.sets(st.integers(1, 2500), min_size=1, max_size=3)))
    arguments["tables"] = (
        *(SlabTable(D(limit), draw(ladder(limit))) for limit in limits),
        SlabTable(None, draw(ladder())),
    )
    return arguments


def cost(slabs: tuple[Slab, ...], kwh: Decimal) -> Decimal:
    """The exact energy charge of ``kwh`` climbing ``slabs``."""
    return sum((line.amount for line in climb(slabs, kwh)), D(0))


def assert_bill_sound(tariff: Tariff, kwh: Decimal) -> None:
    bill = tariff.bill(kwh)
    for line in (bill.energy_charge, bill.fixed_charge, bill.tax, bill.total):
        assert line.is_finite()
        assert line >= 0
        assert line.as_tuple().exponent == -2
    assert bill.total == bill.energy_charge + bill.fixed_charge + bill.tax
    exact = sum((line.amount for line in bill.slab_lines), D(0))
    assert bill.energy_charge == round_money(exact)


def assert_refusal_is_real(
    arguments: dict[str, Any], err: TariffDecreasesError
) -> None:
    """Just past the refused table's limit, the bill would really fall."""
    tables = arguments["tables"]
    below, above = tables[err.table - 1], tables[err.table]
    assert below.upto_kwh == err.limit
    assert 0 < err.kwh <= err.limit
    assert cost(below.slabs, err.kwh) == err.charge > err.next_charge
    assert cost(above.slabs, err.kwh) == err.next_charge
    bands = arguments.get("tou_bands", ())
    step = (err.charge - err.next_charge) / (2 * (MAX_AMOUNT + 1))
    if not bands:
        assert err.kwh == err.limit  # the slab energy is the total
        assert cost(above.slabs, err.limit + step) < cost(below.slabs, err.limit)
    else:  # the rest of the total in the TOU band, at its rate
        rate = bands[0].rate
        at_limit = err.charge + (err.limit - err.kwh) * rate
        past_it = err.next_charge + (err.limit - err.kwh + step) * rate
        assert past_it < at_limit


@MANY
@given(
    raw_tariffs(),
    KWH,
    KWH,
    st.decimals(min_value=0, max_value=1, places=3),
    st.integers(0, 2),
    st.booleans(),
)
def test_more_energy_never_costs_less_or_the_tariff_is_refused(
    arguments: dict[str, Any],
    a: Decimal,
    b: Decimal,
    share: Decimal,
    table: int,
    at_limit: bool,
) -> None:
    refused: TariffDecreasesError | None = None
    try:
        tariff = Tariff("INR", **arguments)
    except TariffDecreasesError as err:
        refused = err
    if refused is not None:
        assert_refusal_is_real(arguments, refused)
        return
    low, high = sorted((a, b))
    if at_limit and len(tariff.tables) > 1:
        # Where a decrease would hide: from a table's limit to just past it.
        limit = tariff.tables[table % (len(tariff.tables) - 1)].upto_kwh
        assert limit is not None
        low, high = limit, limit + min(high - low, D(1)) + D("0.001")
    tou_low = tou_high = None
    if tariff.tou_bands:
        # ``share`` of the energy in the TOU band; both parts grow (or stay).
        down = D("0.001")
        peak = (low * share).quantize(down, "ROUND_DOWN")
        tou_low = {"peak": peak}
        tou_high = {"peak": peak + ((high - low) * share).quantize(down, "ROUND_DOWN")}
    first = tariff.bill(low, tou_kwh=tou_low)
    second = tariff.bill(high, tou_kwh=tou_high)
    assert first.energy_charge <= second.energy_charge
    assert first.total <= second.total


def legal(value: Any, top: Decimal) -> bool:
    """What ``Tariff.bill`` promises to take: a Decimal or int, 0..top, <= 50 places."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        return False
    number = D(value)
    if not number.is_finite() or not 0 <= number <= top:
        return False
    return number == 0 or number.normalize(WIDE).as_tuple().exponent >= -MAX_PLACES


@settings(MANY, max_examples=1500)
@given(raw_tariffs(), ANY_AMOUNT, ANY_AMOUNT)
def test_any_request_gets_an_exact_bill_or_a_tariff_error(
    arguments: dict[str, Any], kwh: Any, fraction: Any
) -> None:
    try:
        tariff = Tariff("INR", **arguments)
    except TariffError:
        return
    try:
        bill = tariff.bill(kwh, fixed_fraction=fraction)
    except TariffError:
        # Refused only when one of them is not legal: a legal request is billed.
        assert not (legal(kwh, MAX_AMOUNT) and legal(fraction, D(1)))
        return
    assert legal(kwh, MAX_AMOUNT)
    assert legal(fraction, D(1))
    assert bill.energy_kwh == kwh
    # Exact: the rows are kWh x rate with nothing rounded, the lines add up.
    for line in bill.slab_lines:
        # Exactly (a 28-digit kWh x a rate can need more digits than the default
        # context's 28: 9.862518234387890344538357206 x 0.02).
        assert line.amount == WIDE.multiply(line.kwh, line.rate)
    assert_bill_sound(tariff, kwh)


# Numbers as hand-written JSON could spell them.
NUMBER_TEXT = (
    ANY_AMOUNT.filter(lambda value: not isinstance(value, bool)).map(str)
    | st.sampled_from(["1e999999999999999999999", "-0", " 5 ", "0x10", "", "١٢"])
    | ANY_AMOUNT
)


@settings(MANY, max_examples=1500)
@given(
    st.fixed_dictionaries(
        {"currency": st.just("INR")},
        optional={
            "fixed_charge": NUMBER_TEXT,
            "fixed_per_kw": NUMBER_TEXT,
            "sanctioned_kw": NUMBER_TEXT,
            "tax_percent": NUMBER_TEXT,
            "slabs": st.lists(
                st.fixed_dictionaries(
                    {"rate": NUMBER_TEXT}, optional={"upto": NUMBER_TEXT}
                ),
                max_size=3,
            ),
        },
    )
)
def test_hand_written_numbers_give_a_tariff_or_a_tariff_error(
    data: dict[str, Any],
) -> None:
    try:
        tariff = Tariff.from_dict(data)
    except TariffError:
        return
    for amount in (tariff.fixed_charge, tariff.fixed_per_kw, tariff.sanctioned_kw):
        assert amount.is_finite()
        assert 0 <= amount <= MAX_AMOUNT
    # Whatever it holds, a valid tariff bills every legal energy.
    assert_bill_sound(tariff, D(0))
    assert_bill_sound(tariff, MAX_AMOUNT)


ZONES = st.sampled_from(
    [
        UTC,
        ZoneInfo("Pacific/Kiritimati"),
        ZoneInfo("Etc/GMT+12"),
        ZoneInfo("Asia/Kolkata"),
    ]
)
MONTHS = (
    st.dates().map(lambda day: f"{day:%Y-%m}")
    | st.sampled_from(
        [
            "9999-12",
            "0001-01",
            "0000-01",
            "2025-13",
            "\u0662\u0660\u0662\u0665-\u0660\u0661",
        ]
    )
    | st.text(st.characters(categories=["Nd"]) | st.just("-"), max_size=8)
)


@settings(MANY, max_examples=1500)
@given(
    st.integers(-5, 40).map(lambda day: ("monthly", day))
    | st.tuples(st.integers(-5, 500), st.dates()).map(lambda r: ("rolling", *r)),
    st.dates(),
    MONTHS,
    ZONES,
)
def test_cycles_hold_their_dates_or_raise_tariff_errors(
    rule: tuple[Any, ...], day: date, month: str, zone: Any
) -> None:
    try:
        cycles: BillingCycle = (
            MonthlyCycle(rule[1]) if rule[0] == "monthly" else RollingCycle(*rule[1:])
        )
    except TariffError:
        assert not (
            1 <= rule[-1] <= 31
            if rule[0] == "monthly"
            else 1 <= rule[1] <= MAX_CYCLE_DAYS
        )
        return
    for call in (
        lambda: cycles.containing(day),
        lambda: cycles.previous(cycles.containing(day)),
        lambda: cycles.following(cycles.containing(day)),
    ):
        try:
            cycle = call()
        except TariffError:
            continue
        assert 1 <= cycle.days <= max(31, MAX_CYCLE_DAYS)
    try:
        cycle = cycles.containing(day)
    except TariffError:
        # Only within a cycle's length of the calendar's ends.
        assert day - date.min < timedelta(days=MAX_CYCLE_DAYS) or (
            date.max - day < timedelta(days=MAX_CYCLE_DAYS)
        )
    else:
        assert day in cycle
        try:
            start, end = cycle.bounds(zone)
        except TariffError:
            pass
        else:
            assert start < end
    try:
        chosen = cycles.for_month(month)
    except TariffError:
        return
    assert f"{chosen.start:%Y-%m}" == month


@MANY
@given(st.dates(), ZONES)
def test_local_midnight_is_on_its_date_or_a_tariff_error(day: date, zone: Any) -> None:
    try:
        midnight = local_midnight(day, zone)
    except TariffError:
        assert (
            day in (date.min, date.max)
            or abs((day - date.min).days) < 2
            or ((date.max - day).days < 2)
        )
        return
    assert midnight.date() == day
    assert midnight.utcoffset() is not None
