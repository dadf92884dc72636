"""Bills of periods from cumulative energy sums (no Home Assistant imports).

**Energy.** The recorder keeps, for every energy sensor, a cumulative ``sum`` in
its statistics: counter resets are already folded in (a ``total_increasing``
sensor that drops starts a new meter cycle; a ``total`` sensor's ``last_reset``
does the same), and nothing is added while the sensor has no statistics. The
energy of a sensor in a period is therefore

    max(0, sum at the period's end - sum at its start)

where "the sum at t" is the sum of the last statistics row ending at or before
t (an hourly row belongs to the period in which it starts), and a sensor with no
row yet counts as 0 (as the recorder's own ``change`` and the Energy dashboard
do). Consequences, each tested:

* no double counting: consecutive periods telescope, so their energies add up
  to the energy of the whole; a short dip of a sensor and its recovery (a
  ``total_increasing`` sensor going down by less than 10 %, which the recorder
  does not take as a reset) cancel out inside a period instead of counting
  the recovery a second time, as clamping every hour at 0 would;
* gaps and unavailable periods add nothing; what was used meanwhile lands in
  the period in which the sensor reports again;
* nothing is ever negative: a period whose sum went down counts 0.

**Cost.** A tariff prices a whole billing cycle (slabs climb from 0 kWh in each
cycle); the fixed charge accrues with time, ``fixed_fraction`` = the share of
the cycle elapsed. ``B(t)`` is the bill of the cycle's energy from its start to
``t``. A period inside a cycle costs ``B(end) - B(start)``: what it added to the
cycle's bill, line by line. So a whole cycle costs exactly its bill, the costs of
consecutive periods add up, today's cost plus the rest of the cycle's is the
cycle's bill, and a period spanning cycles is the sum of its parts.

**A partial first cycle.** Nothing is known before the billed sensors' first
statistics (``Part.known_from``: the start of the hour of the earliest first row
of any of them; "now" when none has a row yet). A cycle that started before is
counted from there: its energy is what the statistics hold (nothing before), and
its fixed charge accrues from ``known_from`` only, for the share of the cycle
still to run from there (``Part.fraction``). So a fresh bill is not charged for
days nobody measured, and a period entirely before the statistics costs 0.

Per-sensor and per-area costs share a part's cost in proportion to their kWh,
to the cent (largest remainder), so they add up to the part's total whenever
the part has energy. A sensor with no energy gets no share; a part with no
energy at all (its cost is then fixed charge and tax only) shares nothing: each
sensor's cost is 0 and the cost stays with the household (``share_by_energy``).

**Bad input.** Sums come from the recorder as floats; a broken sensor can store
absurd ones. The rule: ``to_kwh`` clamps a negative energy to 0 (as above) and
raises ``LedgerError`` for one that is not finite or beyond the tariff's
``MAX_AMOUNT``; ``allocate`` clamps negative weights to 0 and raises
``LedgerError`` for a weight that is not finite, or an amount that is not finite
or beyond ``MAX_SHARED``. ``LedgerError`` is a ``TariffError``, so a caller that
handles an unusable tariff handles these too. Nothing else is raised for bad
numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from fractions import Fraction
import math
from typing import Final

from .tariff import (
    CENT,
    MAX_AMOUNT,
    ONE,
    ZERO,
    Bill,
    BillingCycle,
    Cycle,
    SlabLine,
    Tariff,
    TariffError,
    TouLine,
    local_midnight,
)

KWH_STEP = Decimal("0.001")  # energy reaches the tariff rounded to Wh
HOUR_SECONDS = 3600
MAX_SHARED: Final = Decimal(10) ** 24
"""The largest amount ``allocate`` shares: a bill within the tariff's range is far
below it, and its cents still fit the default 28-digit Decimal context exactly."""


class LedgerError(TariffError):
    """Energy or weights the ledger cannot price or share (see the module)."""


type Sums = Mapping[str, Mapping[datetime, float | None]]
"""Per sensor, its cumulative sum (kWh) at each instant; None: no statistics yet."""


def boundary(when: datetime) -> datetime:
    """The statistics boundary of ``when``: the next whole hour (or itself), in UTC.

    In UTC because arithmetic between two datetimes of the same zone is wall-clock
    time in Python: a DST cycle would gain or lose an hour.

    Hourly rows belong to the period in which they start, so a period starting at
    ``when`` starts, in hourly statistics, with the first row starting at or
    after it. Whole-hour time zones are unaffected; in a half-hour zone (India,
    UTC+5:30) local midnight becomes 00:30, as in the Energy dashboard.
    """
    hours = math.ceil(when.timestamp() / HOUR_SECONDS)
    return datetime.fromtimestamp(hours * HOUR_SECONDS, UTC)


def energy_between(start: float | None, end: float | None) -> float:
    """Energy (kWh) between two cumulative sums: never negative; none yet is 0.

    A difference that is not a number (NaN, inf - inf) counts 0, like a dip.
    """
    if end is None:
        return 0.0
    change = end - (start or 0.0)
    return change if change > 0 else 0.0


def to_kwh(value: float, rounding: str = ROUND_HALF_UP) -> Decimal:
    """Energy as the tariff takes it: Decimal kWh rounded to Wh, never negative.

    ``LedgerError`` when ``value`` is not finite or above ``MAX_AMOUNT`` kWh.
    """
    if not math.isfinite(value):
        raise LedgerError(f"energy must be a finite number of kWh, not {value}")
    kwh = Decimal(repr(max(value, 0.0)))
    if kwh > MAX_AMOUNT:
        raise LedgerError(f"energy must be at most {MAX_AMOUNT:f} kWh, not {value}")
    return kwh.quantize(KWH_STEP, rounding=rounding)


# --- Periods -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Part:
    """The piece of a period inside one billing cycle (statistics boundaries).

    ``known_from``: when the billed sensors' statistics start (see the module's
    partial first cycle); None: before the cycle, the whole cycle is known.
    """

    cycle: Cycle
    cycle_start: datetime
    cycle_end: datetime
    start: datetime
    end: datetime
    known_from: datetime | None = None

    @property
    def starts_cycle(self) -> bool:
        """Whether the part starts with its cycle (its bill is the cycle's so far)."""
        return self.start == self.cycle_start

    @property
    def complete(self) -> bool:
        """Whether the part is its whole cycle."""
        return self.starts_cycle and self.end == self.cycle_end

    @property
    def counted_from(self) -> datetime:
        """Where the cycle's known part starts: its start, or its first statistics."""
        if self.known_from is None:
            return self.cycle_start
        return min(max(self.known_from, self.cycle_start), self.cycle_end)

    @property
    def partial(self) -> bool:
        """Whether the cycle started before the statistics (a partial first cycle)."""
        return self.counted_from > self.cycle_start

    def fraction(self, when: datetime) -> Decimal:
        """The fixed charge's share of the cycle at ``when`` (0..1).

        The time from ``counted_from`` to ``when`` over the cycle's length: the
        share elapsed, not counting the time before the statistics.
        """
        total = (self.cycle_end - self.cycle_start).total_seconds()
        since = self.counted_from
        done = min(max(when, since), self.cycle_end) - since
        return min(ONE, Decimal(done.total_seconds()) / Decimal(total))


def cycle_bounds(cycle: Cycle, tz: tzinfo) -> tuple[datetime, datetime]:
    """The statistics boundaries of a cycle (its local midnights, see ``boundary``)."""
    start, end = cycle.bounds(tz)
    return boundary(start), boundary(end)


def plan(
    cycles: BillingCycle,
    tz: tzinfo,
    start: datetime,
    end: datetime,
    known_from: datetime | None = None,
) -> list[Part]:
    """The parts of [start, end) in each billing cycle it touches.

    ``start`` and ``end`` are statistics boundaries already (see ``boundary``;
    ``end`` may be "now"); ``known_from``: where the statistics start (``Part``).
    """
    parts: list[Part] = []
    if end <= start:
        return parts
    cycle = cycles.containing(start, tz)
    while True:
        cycle_start, cycle_end = cycle_bounds(cycle, tz)
        if cycle_start >= end:
            return parts
        if cycle_end > start:
            parts.append(
                Part(
                    cycle,
                    cycle_start,
                    cycle_end,
                    max(start, cycle_start),
                    min(end, cycle_end),
                    known_from,
                )
            )
        cycle = cycles.following(cycle)


def instants(parts: Iterable[Part]) -> list[datetime]:
    """Every instant whose sums the parts need, in order."""
    return sorted({t for p in parts for t in (p.cycle_start, p.start, p.end)})


def day_bounds(
    first: date, last: date, tz: tzinfo
) -> list[tuple[date, datetime, datetime]]:
    """Each local date from ``first`` to ``last`` with its statistics boundaries."""
    days = []
    day = first
    while day <= last:
        after = day + timedelta(days=1)
        days.append(
            (
                day,
                boundary(local_midnight(day, tz)),
                boundary(local_midnight(after, tz)),
            )
        )
        day = after
    return days


# --- Charges -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Charges:
    """What a period adds to its cycle's bill (or a sum of such), line by line."""

    currency: str
    kwh: Decimal = ZERO
    slabs: tuple[SlabLine, ...] = ()
    tou: tuple[TouLine, ...] = ()
    energy_charge: Decimal = ZERO
    fixed_charge: Decimal = ZERO
    tax: Decimal = ZERO
    total: Decimal = ZERO

    @classmethod
    def of(cls, later: Bill, earlier: Bill | None = None) -> Charges:
        """``later - earlier`` (``earlier`` None: the bill itself)."""
        if earlier is None:
            return cls(
                later.currency,
                later.energy_kwh,
                later.slab_lines,
                later.tou_lines,
                later.energy_charge,
                later.fixed_charge,
                later.tax,
                later.total,
            )
        return cls(
            later.currency,
            later.energy_kwh - earlier.energy_kwh,
            _slab_rows(later.slab_lines, earlier.slab_lines, -1),
            _tou_rows(later.tou_lines, earlier.tou_lines, -1),
            later.energy_charge - earlier.energy_charge,
            later.fixed_charge - earlier.fixed_charge,
            later.tax - earlier.tax,
            later.total - earlier.total,
        )

    def __add__(self, other: Charges) -> Charges:
        """Both periods' charges (slab and TOU rows merged by band and rate)."""
        return Charges(
            self.currency,
            self.kwh + other.kwh,
            _slab_rows(self.slabs, other.slabs, 1),
            _tou_rows(self.tou, other.tou, 1),
            self.energy_charge + other.energy_charge,
            self.fixed_charge + other.fixed_charge,
            self.tax + other.tax,
            self.total + other.total,
        )


def _slab_rows(
    first: Sequence[SlabLine], second: Sequence[SlabLine], sign: int
) -> tuple[SlabLine, ...]:
    rows: dict[tuple[Decimal, Decimal | None, Decimal], list[Decimal]] = {}
    for lines, factor in ((first, 1), (second, sign)):
        for line in lines:
            key = (line.from_kwh, line.to_kwh, line.rate)
            kwh, amount = rows.setdefault(key, [ZERO, ZERO])
            rows[key] = [kwh + factor * line.kwh, amount + factor * line.amount]
    return tuple(
        SlabLine(start, upto, kwh, rate, amount)
        for (start, upto, rate), (kwh, amount) in sorted(
            rows.items(), key=lambda item: (item[0][0], item[0][2])
        )
        if kwh or amount
    )


def _tou_rows(
    first: Sequence[TouLine], second: Sequence[TouLine], sign: int
) -> tuple[TouLine, ...]:
    rows: dict[tuple[str, Decimal], list[Decimal]] = {}
    for lines, factor in ((first, 1), (second, sign)):
        for line in lines:
            key = (line.band, line.rate)
            kwh, amount = rows.setdefault(key, [ZERO, ZERO])
            rows[key] = [kwh + factor * line.kwh, amount + factor * line.amount]
    return tuple(
        TouLine(band, kwh, rate, amount)
        for (band, rate), (kwh, amount) in rows.items()
        if kwh or amount
    )


def bill_at(
    tariff: Tariff,
    kwh: float,
    tou: Mapping[str, float] | None = None,
    fraction: Decimal = ONE,
) -> Bill:
    """The cycle's bill for ``kwh`` so far (``tou``: kWh in each band's hours).

    TOU energy is rounded down to Wh and never exceeds the total (see ``within``).
    """
    total = to_kwh(kwh)
    bands = {
        name: to_kwh(value, ROUND_DOWN)
        for name, value in (tou or {}).items()
        if not value <= 0  # NaN goes on, to be refused
    }
    return tariff.bill(total, tou_kwh=within(bands, total), fixed_fraction=fraction)


def within(bands: Mapping[str, Decimal], total: Decimal) -> dict[str, Decimal]:
    """TOU energy (whole Wh) cut from the top until it adds up to ``total`` at most.

    Dips and rounding at the edge can leave the bands above the total: the
    largest are lowered to one common level (in Wh; the first of them keep one Wh
    more where the total needs it), so they add up to the total exactly. The level
    is found by bisection, a few dozen steps whatever the amounts (cutting one Wh
    at a time would take a billion steps for a million kWh).
    """
    wh = {name: int(value / KWH_STEP) for name, value in bands.items()}
    budget = int(total / KWH_STEP)
    if sum(wh.values()) <= budget:
        return dict(bands)
    low, high = 0, max(wh.values())  # the highest level that fits the budget
    while low < high:
        middle = (low + high + 1) // 2
        if sum(min(value, middle) for value in wh.values()) <= budget:
            low = middle
        else:
            high = middle - 1
    capped = {name: min(value, low) for name, value in wh.items()}
    spare = budget - sum(capped.values())  # fewer than the bands cut to the level
    for name, value in wh.items():
        if spare and value > low:
            capped[name] += 1
            spare -= 1
    return {name: value * KWH_STEP for name, value in capped.items()}


def share_by_energy[K](amount: Decimal, kwh: Mapping[K, float]) -> dict[K, Decimal]:
    """``amount`` shared in proportion to energy (``allocate``), none without energy.

    With no energy at all nobody gets a share: each 0, the amount stays with the
    household. A sensor with no energy is never charged a share of a fixed charge.
    """
    if not any(value > 0 for value in kwh.values()):
        for key, value in kwh.items():  # the same refusal as ``allocate``
            if not math.isfinite(value):
                raise LedgerError(f"weight of {key!r} must be finite, not {value}")
        return dict.fromkeys(kwh, ZERO)
    return allocate(amount, kwh)


def allocate[K](amount: Decimal, weights: Mapping[K, float]) -> dict[K, Decimal]:
    """``amount`` shared in proportion to ``weights``, to the cent, adding up exactly.

    Largest remainder (ties to the earlier key); all-zero weights share equally; a
    negative weight counts 0. ``LedgerError`` for a weight that is not finite and
    for an amount that is not finite or beyond ``MAX_SHARED``.
    """
    if not amount.is_finite() or abs(amount) > MAX_SHARED:
        raise LedgerError(f"amount to share must be finite, at most 1E+24: {amount}")
    if not weights:
        return {}
    keys = list(weights)
    for key in keys:
        if not math.isfinite(weights[key]):
            raise LedgerError(f"weight of {key!r} must be finite, not {weights[key]}")
    parts = [Fraction(max(weights[key], 0.0)) for key in keys]
    if not any(parts):
        parts = [Fraction(1)] * len(keys)
    sign = -1 if amount < 0 else 1
    # Exactly half-up to the cent (a division first would round at 28 digits).
    cents = int(abs(amount).quantize(CENT, ROUND_HALF_UP).scaleb(2))
    whole = sum(parts)
    exact = [cents * part / whole for part in parts]
    shares = [int(value) for value in exact]
    order = sorted(range(len(keys)), key=lambda i: (shares[i] - exact[i], i))
    for index in order[: cents - sum(shares)]:
        shares[index] += 1
    return {key: sign * share * CENT for key, share in zip(keys, shares, strict=True)}


# --- TOU energy ------------------------------------------------------------------


def band_energy(
    tariff: Tariff,
    rows: Iterable[tuple[float, float]],
    tz: tzinfo,
    start: datetime,
    cuts: Iterable[datetime],
) -> dict[datetime, dict[str, float]]:
    """Energy (kWh) in each TOU band from ``start`` to each cut.

    ``rows``: (hour start timestamp, change in kWh) of hourly statistics, any
    sensor, any order. A row counts in the band of the local hour it starts in.
    Each band's total is clamped at 0 on its own (see the module's rule). A row
    with a timestamp or change that is not finite is a ``LedgerError``.
    """
    if not tariff.tou_bands:
        return {}
    band_of = [tariff.band_for_hour(hour) for hour in range(24)]
    stamps = sorted({cut.timestamp() for cut in cuts})
    low = start.timestamp()
    per_cut: list[dict[str, float]] = [{} for _ in stamps]
    for stamp, change in rows:
        if not (math.isfinite(stamp) and math.isfinite(change)):
            raise LedgerError(f"statistics row ({stamp}, {change}) is not finite")
        if stamp < low or not stamps or stamp >= stamps[-1]:
            continue
        band = band_of[datetime.fromtimestamp(stamp, tz).hour]
        if band is None:
            continue
        for index, cut in enumerate(stamps):
            if stamp < cut:
                bucket = per_cut[index]
                bucket[band.name] = bucket.get(band.name, 0.0) + change
    return {
        datetime.fromtimestamp(cut, UTC): {
            name: max(0.0, value) for name, value in totals.items()
        }
        for cut, totals in zip(stamps, per_cut, strict=True)
    }


def tou_at(
    bands: Mapping[datetime, Mapping[str, float]], when: datetime
) -> dict[str, float]:
    """The TOU energy at ``when`` from ``band_energy``'s result (none: {})."""
    return dict(bands.get(when, {}))


# --- Pricing ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PricedPart:
    """A part's charges, its cycle's bill at the part's end, and per-sensor shares."""

    part: Part
    charges: Charges
    bill: Bill  # the cycle's bill from its start to the part's end
    sensor_kwh: dict[str, float]
    sensor_cost: dict[str, Decimal]


def cycle_kwh(sums: Sums, part: Part, when: datetime) -> float:
    """The cycle's energy from its start to ``when``, every sensor."""
    return _sum(
        energy_between(at.get(part.cycle_start), at.get(when)) for at in sums.values()
    )


def price_part(
    tariff: Tariff,
    part: Part,
    sums: Sums,
    bands: Mapping[datetime, Mapping[str, float]] | None = None,
    now: datetime | None = None,
) -> PricedPart:
    """What ``part`` adds to its cycle's bill (see the module's rule).

    ``bands``: ``band_energy`` from the part's cycle start (TOU tariffs only);
    ``now``: the fixed charge accrues up to it at most.
    """
    bands = bands or {}

    def bill(when: datetime, accrued: datetime) -> Bill:
        """The bill of the energy up to ``when``, the fixed charge up to ``accrued``."""
        return bill_at(
            tariff,
            cycle_kwh(sums, part, when),
            tou_at(bands, when),
            part.fraction(accrued if now is None else min(accrued, now)),
        )

    later = bill(part.end, part.end)
    earlier = None if part.starts_cycle else bill(part.start, part.start)
    if earlier is not None and (
        later.energy_kwh < earlier.energy_kwh or later.total < earlier.total
    ):
        # A sensor dipped across the part: its energy adds nothing and takes
        # nothing back (the bill before the part is taken at the end's energy);
        # the fixed charge still accrues over the part. Comparing totals alone
        # let the accrual hide a dip: negative kWh and energy charges came out.
        earlier = bill(part.end, part.start)
    charges = Charges.of(later, earlier)
    sensor_kwh = {
        sensor: energy_between(at.get(part.start), at.get(part.end))
        for sensor, at in sums.items()
    }
    return PricedPart(
        part, charges, later, sensor_kwh, share_by_energy(charges.total, sensor_kwh)
    )


@dataclass(slots=True)
class Statement:
    """A period's priced parts and their totals.

    ``known_from``: where the priced sensors' statistics start (None: they have
    none yet); the parts before it cost nothing (see the module).
    """

    currency: str
    parts: list[PricedPart] = field(default_factory=list)
    known_from: datetime | None = None

    @property
    def charges(self) -> Charges:
        """Every part's charges added up."""
        total = Charges(self.currency)
        for part in self.parts:
            total += part.charges
        return total

    @property
    def sensor_kwh(self) -> dict[str, float]:
        """Each sensor's energy over the period."""
        totals: dict[str, float] = {}
        for part in self.parts:
            for sensor, kwh in part.sensor_kwh.items():
                totals[sensor] = totals.get(sensor, 0.0) + kwh
        return totals

    @property
    def sensor_cost(self) -> dict[str, Decimal]:
        """Each sensor's share of the period's cost."""
        totals: dict[str, Decimal] = {}
        for part in self.parts:
            for sensor, cost in part.sensor_cost.items():
                totals[sensor] = totals.get(sensor, ZERO) + cost
        return totals


def price(
    tariff: Tariff,
    parts: Sequence[Part],
    sums: Sums,
    bands: Mapping[Cycle, Mapping[datetime, Mapping[str, float]]] | None = None,
    now: datetime | None = None,
) -> Statement:
    """Every part priced (``bands``: each cycle's ``band_energy``)."""
    statement = Statement(tariff.currency)
    for part in parts:
        statement.parts.append(
            price_part(tariff, part, sums, (bands or {}).get(part.cycle), now)
        )
    return statement


def daily_kwh(
    sums: Sums, days: Iterable[tuple[date, datetime, datetime]]
) -> dict[date, float]:
    """Each day's energy, every sensor (days from ``day_bounds``)."""
    return {
        day: _sum(energy_between(at.get(start), at.get(end)) for at in sums.values())
        for day, start, end in days
    }


def _sum(values: Iterable[float]) -> float:
    """``math.fsum``, but inf where the sum overflows (refused later, typed)."""
    try:
        return math.fsum(values)
    except OverflowError:
        return math.inf
