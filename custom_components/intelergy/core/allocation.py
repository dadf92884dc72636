"""A fair cost per device: each kWh at the price it was bought at.

No Home Assistant imports.

``allocate(tariff, hours, fixed=...)`` shares a cycle's bill between the sensors
that used its energy. ``hours``: one ``HourUse(band, kwh)`` per hour of the
cycle, in time order, with each sensor's kWh in that hour and the TOU band of
the hour (None: outside the bands, the energy climbs the slabs). The bill is
``tariff.bill(total, tou_kwh=energy per band, fixed_fraction=...)``, and the
rule is:

* **Energy at the marginal rate it was bought at.** With telescopic slabs the
  hours climb the ladder in time order: an hour costs ``C(s + h) - C(s)``,
  where ``s`` is the cycle's slab energy before it, ``h`` its own and ``C`` the
  ladder's cost from 0; an hour that crosses a slab edge is so split at the
  edge. A TOU hour costs its band's rate per kWh and does not climb. Within an
  hour, the cost is shared between its sensors in proportion to their kWh.
* **Whole-bill tables** are retroactive: the table the cycle's total selects
  reprices every kWh from 0, so the price at which an hour was "bought" means
  nothing. The slab part of the energy charge is then shared by each sensor's
  slab (non-TOU) energy; TOU hours still cost their band's rate.
* **Per-kWh lines** go with the energy: duty (``duty_percent`` of the sensor's
  energy charge + ``duty_per_kwh`` per kWh), FAC per kWh, and the rebate per kWh,
  which is given to the hours in time order while the rebate limit allows it
  (what the flat rebate leaves of the limit) and shared within an hour by kWh.
* **Fixed lines** (fixed charge, meter rent, the minimum charge's top-up, the
  flat rebate): with ``fixed="energy"`` shared by each sensor's share of the
  cycle's energy; with ``fixed="household"`` kept on a household line. A cycle
  without any energy keeps them on the household line either way.
* **Each line of the printed bill** (its rounded amount, ``Bill.lines``) is
  shared in proportion to the parties' exact contributions to it; the **tax** in
  proportion to each party's share of the taxed lines.
* **To the cent.** Each party's exact amount (``Allocation.exact``; the
  household's is ``household_exact``) is rounded by the largest remainder: every
  party gets the cents below its exact amount, and the cents left to reach the
  bill's total go one each to the largest remainders (ties: the household first,
  then the sensors by name, so the order of the input changes nothing). The
  sensors' amounts plus the household line add up to ``bill.total`` exactly.

**Arithmetic.** Exact throughout: kWh add up as Decimals in a context that
never rounds, amounts are ``Fraction``s. The hours go to buckets by price (a
band's rate, a slab's rate, the whole-bill tables' slab energy) and by whether
they still get the per-kWh rebate; within a bucket each sensor's kWh are only
added up, and priced once (the sum of ``kwh * rate`` is ``rate`` times the sum of
``kwh``). The few hours priced otherwise, one crossing a slab edge or the one
where the rebate limit is reached, are shared by kWh one by one.

Consequences: a sensor that used nothing costs 0 (every contribution of it is 0,
and a zero remainder never gets a cent); under telescopic slabs with rising
rates more energy for a sensor never lowers its exact amount while the bill's
lines are exact (each kWh's charge is at least the rebate per kWh, see
``Tariff``); rounding can move an amount by a cent. A sensor's amount may be
negative when the flat rebate it is given exceeds its charges.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import (
    MAX_EMAX,
    MIN_EMIN,
    Context,
    Decimal,
    DecimalException,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
    getcontext,
    localcontext,
)
from fractions import Fraction
import math
from typing import Literal

from .tariff import (
    CENT,
    LINE_KEYS,
    MAX_AMOUNT,
    MAX_PLACES,
    ONE,
    ZERO,
    Bill,
    Slab,
    Tariff,
    TariffError,
    check_amount,
)

HOUSEHOLD = ""  # the household line's key among the parties (no sensor is named "")
_FIXED_LINES = ("fixed", "meter_rent", "minimum")
# Exact Decimal sums of validated kWh (at most MAX_PLACES places, up to MAX_AMOUNT):
# never rounded (Inexact is trapped, as a guard).
_EXACT = Context(
    prec=1000,
    Emax=MAX_EMAX,
    Emin=MIN_EMIN,
    traps=[InvalidOperation, DivisionByZero, Overflow, Inexact],
)


@dataclass(frozen=True, slots=True)
class HourUse:
    """One hour of the cycle: its TOU band (None: slabs) and each sensor's kWh."""

    band: str | None
    kwh: Mapping[str, Decimal]


@dataclass(frozen=True, slots=True)
class Allocation:
    """Each sensor's cost and the household line; they add up to ``bill.total``.

    ``exact``: each sensor's amount before the cent rounding; ``household_exact``
    the household's.
    """

    per_sensor: dict[str, Decimal]
    household: Decimal
    bill: Bill
    exact: dict[str, Fraction]
    household_exact: Fraction


@dataclass(slots=True)
class Climb:
    """Hours folded so far: where the cycle stands, and each bucket's kWh.

    ``allocate(..., after=climb)`` with the hours after them gives the same
    allocation as all the hours at once: a cycle's past hours are folded once and
    kept (``analytics/billing/hourly.py``), and each refresh folds only the newer
    ones. Made by ``climb``; never changed once made (``climb`` copies it).
    """

    tariff: Tariff
    room0: Decimal | None  # the per-kWh rebate's room at the cycle's start
    hours: int = 0  # the hours folded (their numbers in errors go on)
    step: int = 0  # the slab the cycle's slab energy stands in
    climbed: Decimal = ZERO  # the cycle's slab energy
    room: Decimal | None = None  # what is left of ``room0``
    seen: dict[str, object] = field(default_factory=dict)  # sensors, as they came
    bands: dict[str, Decimal] = field(default_factory=dict)  # kWh by TOU band
    total: Decimal = ZERO
    # (rebate phase, "band" / "slab" / "special", a band's name, a slab's index
    # or None: tables) -> sensor -> kWh
    buckets: dict[tuple[int, str, str | int | None], dict[str, Decimal]] = field(
        default_factory=dict
    )
    special_energy: dict[str, Fraction] = field(default_factory=dict)
    special_rebate: dict[str, Fraction] = field(default_factory=dict)

    def copy(self) -> Climb:
        """A copy whose dicts can be added to."""
        return Climb(
            self.tariff,
            self.room0,
            self.hours,
            self.step,
            self.climbed,
            self.room,
            dict(self.seen),
            dict(self.bands),
            self.total,
            {slot: dict(bucket) for slot, bucket in self.buckets.items()},
            dict(self.special_energy),
            dict(self.special_rebate),
        )


def _rebates(tariff: Tariff, fixed_fraction: Decimal) -> tuple[Decimal, Decimal | None]:
    """The flat rebate given for ``fixed_fraction`` of the cycle, and the room left."""
    with localcontext(_EXACT):
        flat = tariff.rebate_flat * fixed_fraction
        if tariff.rebate_limit is None:
            return flat, None
        flat = min(flat, tariff.rebate_limit)
        return flat, tariff.rebate_limit - flat


def rebate_room(tariff: Tariff, fixed_fraction: Decimal) -> Decimal | None:
    """The per-kWh rebate's room at the cycle's start (None: no limit)."""
    return _rebates(tariff, fixed_fraction)[1]


def climb(
    tariff: Tariff,
    hours: Sequence[HourUse],
    *,
    fixed_fraction: Decimal = ONE,
    after: Climb | None = None,
) -> Climb:
    """``hours`` folded, after ``after``'s (a new ``Climb``; ``after`` unchanged).

    ``TariffError`` for a bad hour, or for ``after`` made for another tariff or
    another rebate room (the room depends on ``fixed_fraction`` when the rebate
    has a limit and a flat part).
    """
    room0 = _rebates(tariff, fixed_fraction)[1]
    if after is None:
        state = Climb(tariff, room0, room=room0)
    elif after.tariff != tariff or after.room0 != room0:
        raise TariffError("hours folded for another tariff or rebate room")
    else:
        state = after.copy()
    outer = getcontext()  # the hours are checked as outside the exact sums
    with localcontext(_EXACT):
        _fold(tariff, hours, state, outer)
    return state


def allocate(
    tariff: Tariff,
    hours: Sequence[HourUse],
    *,
    fixed: Literal["energy", "household"],
    fixed_fraction: Decimal = ONE,
    after: Climb | None = None,
) -> Allocation:
    """The cycle's bill shared between its sensors (see the module's rule).

    ``after``: the cycle's earlier hours, already folded (``climb``).
    """
    if fixed not in {"energy", "household"}:
        raise TariffError(f"fixed must be 'energy' or 'household', not {fixed!r}")
    state = climb(tariff, hours, fixed_fraction=fixed_fraction, after=after)
    bill = tariff.bill(state.total, tou_kwh=state.bands, fixed_fraction=fixed_fraction)
    contributions, sensors = _contributions(
        tariff, state, bill=bill, fixed=fixed, fixed_fraction=fixed_fraction
    )
    shares: dict[str, dict[str, Fraction]] = {}  # line key -> party -> share
    for line in bill.lines:
        if line.key == "tax" or not line.amount:
            continue
        weights = contributions[line.key]
        whole = sum(weights.values(), Fraction(0))
        amount = Fraction(line.amount)
        shares[line.key] = (
            _shared(amount, weights, whole) if whole else {HOUSEHOLD: amount}
        )
    if tax := Fraction(bill.line("tax")):
        base: dict[str, Fraction] = {}
        for key in tariff.taxed_lines:
            for party, share in shares.get(key, {}).items():
                base[party] = base.get(party, Fraction(0)) + share
        whole = sum(base.values(), Fraction(0))
        shares["tax"] = _shared(tax, base, whole)
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


def _shared(
    amount: Fraction, weights: Mapping[str, Fraction], whole: Fraction
) -> dict[str, Fraction]:
    """``amount * weight / whole`` by party (one reduction each)."""
    top = amount.numerator * whole.denominator
    bottom = amount.denominator * whole.numerator
    return {
        party: Fraction(top * weight.numerator, bottom * weight.denominator)
        for party, weight in weights.items()
    }


def _hour_kwh(kwh: Mapping[str, Decimal]) -> Decimal | None:
    """The hour's kWh, exact, if every name and amount is plainly valid; else None.

    A quick check for the whole hour: None sends it to ``_check_hour``.
    """
    if not isinstance(kwh, dict):
        return None
    values = kwh.values()
    if not set(map(type, kwh)) <= {str} or HOUSEHOLD in kwh:
        return None
    if not set(map(type, values)) <= {Decimal}:
        return None
    try:
        with localcontext(_EXACT):
            h = sum(values, ZERO)
    except DecimalException:
        return None
    # A finite sum: every amount is finite; its exponent is the least of theirs.
    exponent = h.as_tuple().exponent
    if not isinstance(exponent, int) or exponent < -MAX_PLACES:
        return None
    if values and (min(values) < ZERO or max(values) > MAX_AMOUNT):
        return None
    return h


def _check_hour(number: int, kwh: Mapping[str, Decimal]) -> None:
    """``TariffError`` for the hour's first bad sensor name or amount."""
    for sensor, value in kwh.items():
        if not isinstance(sensor, str) or sensor == HOUSEHOLD:
            raise TariffError(f"sensor names must be non-empty: {sensor!r}")
        check_amount(value, f"kWh of {sensor!r} in hour {number}")


def _fold(
    tariff: Tariff, hours: Sequence[HourUse], state: Climb, outer: Context
) -> None:
    """The hours into ``state``'s buckets, in time order (in the exact context).

    The hours go to buckets by (rebate phase, price): a band's rate, a slab's
    rate, or the whole-bill tables' slab energy; in a bucket each sensor's kWh is
    only added up (exactly), and priced once. An hour crossing a slab edge, or
    the one where the rebate limit is reached, is priced by itself.
    """
    per_kwh = tariff.rebate_per_kwh
    ladder = tariff.slabs
    edges = [slab.upto_kwh for slab in ladder]
    buckets = state.buckets
    step, climbed, room = state.step, state.climbed, state.room
    for number, hour in enumerate(hours, start=state.hours):
        if not isinstance(hour, HourUse) or not isinstance(hour.kwh, Mapping):
            raise TariffError(f"hour {number} is not an HourUse: {hour!r}")
        kwh = hour.kwh
        h = _hour_kwh(kwh)
        if h is None:  # something to refuse, or amounts the quick check leaves out
            with localcontext(outer):
                _check_hour(number, kwh)
            h = sum(kwh.values(), ZERO)
        if not kwh:
            continue
        state.seen.update(kwh)
        # The same additions, in the same order, as kWh by kWh.
        state.total = sum(kwh.values(), state.total)
        band = hour.band
        if band is not None:
            state.bands[band] = sum(kwh.values(), state.bands.get(band, ZERO))
        if not h:
            continue
        crossing = False
        kind: str | int | None  # a band's name, a slab's index, None: tables
        if band is not None:
            kind = band
        elif ladder:
            while (edge := edges[step]) is not None and climbed >= edge:
                step += 1
            crossing = edge is not None and climbed + h > edge
            kind = step
        else:
            kind = None
        phase = 0  # 0: the per-kWh rebate in full; 1: none left
        given = per_kwh * h  # the hour's per-kWh rebate
        if room is not None:
            if given <= room:
                room -= given
            elif room:
                given, room, crossing = room, ZERO, True  # the limit reached
            else:
                given, phase = ZERO, 1
        if crossing:  # priced by itself
            _price_hour(
                tariff,
                hour,
                h=h,
                climbed=climbed,
                rebate=given,
                energy=state.special_energy,
                rebates=state.special_rebate,
            )
            slot: tuple[int, str, str | int | None] = (phase, "special", kind)
        else:
            slot = (phase, "band" if band is not None else "slab", kind)
        if band is None and ladder:
            climbed += h
        bucket = buckets.get(slot)
        if bucket is None:
            bucket = buckets[slot] = {}
        get = bucket.get
        for sensor, value in kwh.items():
            bucket[sensor] = get(sensor, ZERO) + value
    state.hours += len(hours)
    state.step, state.climbed, state.room = step, climbed, room


def _contributions(
    tariff: Tariff,
    state: Climb,
    *,
    bill: Bill,
    fixed: str,
    fixed_fraction: Decimal,
) -> tuple[dict[str, dict[str, Fraction]], dict[str, Fraction]]:
    """Each line's exact contributions by party, and each sensor's kWh."""
    lines: dict[str, dict[str, Fraction]] = {key: {} for key in LINE_KEYS}

    def add(key: str, party: str, amount: Fraction) -> None:
        lines[key][party] = lines[key].get(party, Fraction(0)) + amount

    ladder = tariff.slabs
    with localcontext(_EXACT):
        totals: dict[str, Decimal] = dict.fromkeys(state.seen, ZERO)
        for bucket in state.buckets.values():
            for sensor, value in bucket.items():
                totals[sensor] += value
        slab_kwh: dict[str, Decimal] = {}  # whole-bill tables: slab energy
        rebate_kwh: dict[str, Decimal] = {}  # energy with the per-kWh rebate
        energy: dict[str, Fraction] = dict(state.special_energy)
        rates = {band.name: Fraction(band.rate) for band in tariff.tou_bands}
        slab_rates = [Fraction(slab.rate) for slab in ladder]
        for (phase, what, kind), bucket in state.buckets.items():
            if what != "special" and phase == 0:
                for sensor, value in bucket.items():
                    rebate_kwh[sensor] = rebate_kwh.get(sensor, ZERO) + value
            if kind is None and not ladder and what in {"slab", "special"}:
                for sensor, value in bucket.items():
                    slab_kwh[sensor] = slab_kwh.get(sensor, ZERO) + value
            if what == "special" or kind is None:
                continue
            rate = rates[kind] if isinstance(kind, str) else slab_rates[kind]
            for sensor, value in bucket.items():
                charge = rate * Fraction(value)
                energy[sensor] = energy.get(sensor, Fraction(0)) + charge
    per_kwh = Fraction(tariff.rebate_per_kwh)
    flat = Fraction(_rebates(tariff, fixed_fraction)[0])
    for sensor, value in rebate_kwh.items():
        add("rebate", sensor, per_kwh * Fraction(value))
    for sensor, share in state.special_rebate.items():
        add("rebate", sensor, share)
    fac = Fraction(tariff.fac_per_kwh)
    duty = Fraction(tariff.duty_per_kwh)
    sensors = {sensor: Fraction(value) for sensor, value in totals.items()}
    for sensor, kwh in sensors.items():
        if kwh:
            add("fac", sensor, fac * kwh)
            add("duty", sensor, duty * kwh)
    if not ladder:  # whole-bill tables: the slab part by slab energy
        slab_charge = sum(
            (Fraction(row.amount) for row in bill.slab_lines), Fraction(0)
        )
        slab_total = sum(map(Fraction, slab_kwh.values()), Fraction(0))
        for sensor, value in slab_kwh.items():
            if value:
                energy[sensor] = (
                    energy.get(sensor, Fraction(0))
                    + slab_charge * Fraction(value) / slab_total
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
    return lines, sensors


def _price_hour(
    tariff: Tariff,
    hour: HourUse,
    *,
    h: Decimal,
    climbed: Decimal,
    rebate: Decimal,
    energy: dict[str, Fraction],
    rebates: dict[str, Fraction],
) -> None:
    """One hour by itself, shared by kWh: its energy charge and ``rebate``."""
    whole = Fraction(h)
    used = {s: Fraction(kwh) for s, kwh in hour.kwh.items() if kwh}
    if hour.band is not None:
        rate = Fraction(next(b.rate for b in tariff.tou_bands if b.name == hour.band))
        for sensor, kwh in used.items():
            energy[sensor] = energy.get(sensor, Fraction(0)) + kwh * rate
    elif tariff.slabs:  # the hour's cost where the cycle stands
        start = Fraction(climbed)
        cost = _cost(tariff.slabs, start + whole) - _cost(tariff.slabs, start)
        for sensor, kwh in used.items():
            energy[sensor] = energy.get(sensor, Fraction(0)) + cost * kwh / whole
    given = Fraction(rebate)
    for sensor, kwh in used.items():
        rebates[sensor] = rebates.get(sensor, Fraction(0)) + given * kwh / whole


def _cost(slabs: Sequence[Slab], kwh: Fraction) -> Fraction:
    """The cost of ``kwh`` climbing a telescopic ladder from 0."""
    cost, low = Fraction(0), Fraction(0)
    for slab in slabs:
        rate = Fraction(slab.rate)
        if slab.upto_kwh is None or kwh <= slab.upto_kwh:
            return cost + (kwh - low) * rate  # kwh > low: else an earlier return
        upto = Fraction(slab.upto_kwh)
        cost += (upto - low) * rate
        low = upto
    raise AssertionError("the last slab is open-ended")  # pragma: no cover


def _to_cents(exact: Mapping[str, Fraction], total: int) -> dict[str, int]:
    """Largest remainder: floors, then a cent each to the largest remainders."""
    cents = {party: math.floor(value * 100) for party, value in exact.items()}
    order = sorted(
        exact, key=lambda party: (-(exact[party] * 100 - cents[party]), party)
    )
    for party in order[: total - sum(cents.values())]:
        cents[party] += 1
    return cents
