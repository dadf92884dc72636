"""Bills, the cycle so far and projections, read from the recorder (see ``ledger``).

Everything is counted from the billed sensors' first statistics at the earliest
(``async_first_statistics``): a cycle that started before them (the first cycle
after a sensor or the integration is new) is a partial first cycle, counted
from there (energy, the fixed charge's accrual, complete days, the projection).

**The rates in force.** Every bill is priced by the entry's dated tariff
versions (``core.schedule``): a cycle inside one version is billed by that
version exactly as by a single tariff (``ledger``'s rule); a cycle straddling a
revision is cut at the version dates (local midnights, as statistics
boundaries: 00:30 in a half-hour zone) and ``TariffSchedule.bill`` prices each
segment's energy — the sums at its boundaries, the same mechanism as the
cycle's — and TOU energy by the segment's own bands, pro rata. A bill "up to
t" gives each segment its energy up to t (none for segments after t), so a
period's cost is still ``B(end) - B(start)``, line by line. Functions take a
``Tariff`` (one version since ever) or a ``TariffSchedule``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, tzinfo
from decimal import ROUND_DOWN, Decimal
from itertools import pairwise
import math

from homeassistant.core import HomeAssistant

from ...core.ledger import (
    Charges,
    Part,
    PricedPart,
    Statement,
    Sums,
    bill_at,
    boundary,
    cycle_bounds,
    cycle_kwh,
    daily_kwh,
    day_bounds,
    energy_between,
    instants,
    plan,
    share_by_energy,
    to_kwh,
    tou_at,
    within,
)
from ...core.prediction import (
    CostProjection,
    Method,
    Projection,
    project,
    project_cost,
)
from ...core.schedule import Segment, TariffSchedule
from ...core.tariff import (
    LINE_KEYS,
    ONE,
    ZERO,
    Bill,
    BillLine,
    Cycle,
    Tariff,
    local_midnight,
)
from .household import single
from .statistics import async_band_energy, async_first_statistics, async_sums_at


async def async_bands(
    hass: HomeAssistant,
    tariff: Tariff,
    entity_ids: Collection[str],
    parts: Sequence[Part],
    tz: tzinfo,
) -> dict[Cycle, dict[datetime, dict[str, float]]]:
    """TOU energy from each part's cycle start to its bounds (TOU tariffs only).

    One read covers every part, aggregated in the database (``statistics``).
    """
    if not tariff.tou_bands or not parts:
        return {}
    cuts: dict[Cycle, tuple[datetime, set[datetime]]] = {}
    for part in parts:
        _, bounds = cuts.setdefault(part.cycle, (part.cycle_start, set()))
        bounds.update((part.start, part.end))
    return await async_band_energy(hass, tariff, entity_ids, cuts, tz)


type Rates = Tariff | TariffSchedule
"""A tariff (in force since ever) or dated tariff versions."""

type Bands = Mapping[datetime, Mapping[str, float]]


def as_schedule(rates: Rates) -> TariffSchedule:
    """``rates`` as tariff versions (a tariff: one version since ever)."""
    return rates if isinstance(rates, TariffSchedule) else single(rates)


@dataclass(frozen=True, slots=True)
class Span:
    """A cycle's segment under one tariff version, on statistics boundaries."""

    segment: Segment
    start: datetime
    end: datetime


def spans(schedule: TariffSchedule, cycle: Cycle, tz: tzinfo) -> tuple[Span, ...]:
    """The cycle's segments (``TariffSchedule.segments``) with their boundaries.

    A segment starts and ends at local midnights' statistics boundaries, as
    the cycle does (``cycle_bounds``).
    """
    return tuple(
        Span(
            segment,
            boundary(local_midnight(segment.start, tz)),
            boundary(local_midnight(segment.end, tz)),
        )
        for segment in schedule.segments(cycle)
    )


@dataclass(frozen=True, slots=True)
class Priced(PricedPart):
    """A priced part, with what it adds to each line of its cycle's bill."""

    lines: tuple[BillLine, ...] = ()


def part_lines(priced: PricedPart) -> tuple[BillLine, ...]:
    """What a priced part adds to each line (``Priced``), else its bill's lines."""
    return priced.lines if isinstance(priced, Priced) else priced.bill.lines


def line_changes(later: Bill, earlier: Bill | None) -> tuple[BillLine, ...]:
    """``later``'s lines minus ``earlier``'s, by key, in the bill's order.

    A line with no change is left out, except energy; the basis (rate,
    percent) is ``later``'s, its kWh the change.
    """
    if earlier is None:
        return later.lines
    found = {line.key: line for line in later.lines}
    before = {line.key: line for line in earlier.lines}
    lines = []
    for key in LINE_KEYS:
        line, old = found.get(key), before.get(key)
        amount = (ZERO if line is None else line.amount) - (
            ZERO if old is None else old.amount
        )
        if not amount and key != "energy":
            continue
        basis = line or old or BillLine(key, ZERO)  # energy: on every bill
        kwh = basis.kwh
        if kwh is not None:
            kwh = (kwh if line is not None else ZERO) - (
                ZERO if old is None or old.kwh is None else old.kwh
            )
        lines.append(BillLine(key, amount, kwh, basis.rate, basis.percent))
    return tuple(lines)


def add_lines(parts: Sequence[PricedPart]) -> tuple[BillLine, ...]:
    """Every part's lines added up by key (a period's lines), in the bill's order.

    The basis is kept where every part has the same (rates, percents); kWh
    are added.
    """
    totals: dict[str, list[BillLine]] = {}
    for priced in parts:
        for line in part_lines(priced):
            totals.setdefault(line.key, []).append(line)
    lines = []
    for key in LINE_KEYS:
        if not (found := totals.get(key)):
            continue
        amount = sum((line.amount for line in found), ZERO)
        kwhs = [line.kwh for line in found]
        rates = {line.rate for line in found}
        percents = {line.percent for line in found}
        lines.append(
            BillLine(
                key,
                amount,
                None if None in kwhs else sum((k for k in kwhs if k), ZERO),
                rates.pop() if len(rates) == 1 else None,
                percents.pop() if len(percents) == 1 else None,
            )
        )
    return tuple(lines)


@dataclass(frozen=True, slots=True)
class CycleRates:
    """How one cycle is priced: its spans, each one's TOU energy.

    One span: the cycle's own ``band_energy`` (from the cycle's start, as
    ``ledger`` prices it); several: each span's from its own start, by its
    version's bands.
    """

    cycle: Cycle
    schedule: TariffSchedule
    spans: tuple[Span, ...]
    bands: tuple[Bands, ...]

    def bill(self, sums: Sums, part: Part, when: datetime, fraction: Decimal) -> Bill:
        """The cycle's bill of the energy up to ``when`` (fixed lines by ``fraction``)."""
        if len(self.spans) == 1:
            return bill_at(
                self.spans[0].segment.tariff,
                cycle_kwh(sums, part, when),
                tou_at(self.bands[0], when),
                fraction,
            )
        energy: list[Decimal] = []
        tou: list[dict[str, Decimal]] = []
        for span, bands in zip(self.spans, self.bands, strict=True):
            if when <= span.start:
                energy.append(ZERO)
                tou.append({})
                continue
            upto = min(when, span.end)
            kwh = to_kwh(
                _fsum(
                    energy_between(at.get(span.start), at.get(upto))
                    for at in sums.values()
                )
            )
            found = {
                name: to_kwh(value, ROUND_DOWN)
                for name, value in tou_at(bands, upto).items()
                if not value <= 0
            }
            energy.append(kwh)
            tou.append(within(found, kwh))
        return self.schedule.bill(self.cycle, energy, tou, fixed_fraction=fraction)

    def price(self, part: Part, sums: Sums, now: datetime | None = None) -> Priced:
        """What ``part`` adds to its cycle's bill, line by line (``ledger``'s rule)."""

        def bill(when: datetime, accrued: datetime) -> Bill:
            moment = accrued if now is None else min(accrued, now)
            return self.bill(sums, part, when, part.fraction(moment))

        later = bill(part.end, part.end)
        earlier = None if part.starts_cycle else bill(part.start, part.start)
        if earlier is not None and (
            later.energy_kwh < earlier.energy_kwh or later.total < earlier.total
        ):
            earlier = bill(part.end, part.start)  # a dip: see ``ledger.price_part``
        charges = Charges.of(later, earlier)
        sensor_kwh = {
            sensor: energy_between(at.get(part.start), at.get(part.end))
            for sensor, at in sums.items()
        }
        return Priced(
            part,
            charges,
            later,
            sensor_kwh,
            share_by_energy(charges.total, sensor_kwh),
            line_changes(later, earlier),
        )


def _fsum(values: Iterable[float]) -> float:
    """``math.fsum``, inf where it overflows (``to_kwh`` refuses it, typed)."""
    try:
        return math.fsum(values)
    except OverflowError:
        return math.inf


def _needed(parts: Sequence[Part], rates: Mapping[Cycle, CycleRates]) -> set[datetime]:
    """The instants whose sums the parts' bills need (a straddling cycle's spans' edges too)."""
    needed = set(instants(parts))
    for part in parts:
        found = rates[part.cycle].spans
        if len(found) > 1:
            needed.update(
                t for span in found for t in (span.start, span.end) if t < part.end
            )
    return needed


async def async_cycle_rates(
    hass: HomeAssistant,
    schedule: TariffSchedule,
    entity_ids: Collection[str],
    parts: Sequence[Part],
    tz: tzinfo,
) -> dict[Cycle, CycleRates]:
    """How each part's cycle is priced, with the TOU energy its bills need.

    A cycle of one span reads its bands as before (``async_bands``: one read
    per tariff); a straddling cycle's spans are read per version, each from its
    own start to the parts' bounds inside it.
    """
    spans_of = {part.cycle: spans(schedule, part.cycle, tz) for part in parts}
    whole: dict[Tariff, list[Part]] = {}
    cut: dict[Tariff, dict[tuple[Cycle, int], tuple[datetime, set[datetime]]]] = {}
    for part in parts:
        found = spans_of[part.cycle]
        if len(found) == 1:
            whole.setdefault(found[0].segment.tariff, []).append(part)
            continue
        for index, span in enumerate(found):
            if span.segment.tariff.tou_bands and part.end > span.start:
                _, bounds = cut.setdefault(span.segment.tariff, {}).setdefault(
                    (part.cycle, index), (span.start, set())
                )
                bounds.update(
                    min(max(t, span.start), span.end) for t in (part.start, part.end)
                )
    cycle_bands: dict[Cycle, dict[datetime, dict[str, float]]] = {}
    for tariff, its_parts in whole.items():
        cycle_bands.update(await async_bands(hass, tariff, entity_ids, its_parts, tz))
    span_bands: dict[tuple[Cycle, int], dict[datetime, dict[str, float]]] = {}
    for tariff, span_cuts in cut.items():
        span_bands.update(
            await async_band_energy(hass, tariff, entity_ids, span_cuts, tz)
        )
    rates = {}
    for cycle, found in spans_of.items():
        bands: tuple[Bands, ...] = (
            (cycle_bands.get(cycle, {}),)
            if len(found) == 1
            else tuple(span_bands.get((cycle, i), {}) for i in range(len(found)))
        )
        rates[cycle] = CycleRates(cycle, schedule, found, bands)
    return rates


async def async_statement(
    hass: HomeAssistant,
    rates: Rates,
    entity_ids: Collection[str],
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    tz: tzinfo,
) -> Statement:
    """The priced parts of [start, end) (an end after ``now`` stops at ``now``).

    Counted from the sensors' first statistics (nothing before them, see
    ``ledger``); each cycle at the rates in force (see the module). Its parts
    are ``Priced``: with their lines.
    """
    schedule = as_schedule(rates)
    first = await async_first_statistics(hass, entity_ids)
    known_from = now if first is None else first
    parts = plan(
        schedule.cycle, tz, boundary(start), min(boundary(end), now), known_from
    )
    by_cycle = await async_cycle_rates(hass, schedule, entity_ids, parts, tz)
    sums = await async_sums_at(hass, entity_ids, sorted(_needed(parts, by_cycle)), now)
    statement = Statement(schedule.currency)
    statement.parts.extend(
        by_cycle[part.cycle].price(part, sums, now) for part in parts
    )
    statement.known_from = first
    return statement


async def async_energy(
    hass: HomeAssistant,
    entity_ids: Collection[str],
    edges: Sequence[datetime],
    now: datetime,
) -> tuple[dict[str, list[float]], dict[str, float]]:
    """Each sensor's energy (kWh) between consecutive ``edges``, and over them all.

    ``edges``: sorted statistics boundaries (see ``boundary``; the last may be
    now). Each period's energy is ``energy_between`` its edges' sums, as a bill's
    sensor energy is: a report's bucket and the bill of the same period agree.
    The whole is its own period: where a sensor's sum went down and up again
    (a net meter), its buckets can add up to more than the whole.
    """
    if not edges:
        return {e: [] for e in entity_ids}, dict.fromkeys(entity_ids, 0.0)
    sums = await async_sums_at(hass, entity_ids, edges, now)
    buckets = {
        sensor: [
            energy_between(at.get(start), at.get(stop))
            for start, stop in pairwise(edges)
        ]
        for sensor, at in sums.items()
    }
    totals = {
        sensor: energy_between(at.get(edges[0]), at.get(edges[-1]))
        for sensor, at in sums.items()
    }
    return buckets, totals


@dataclass(frozen=True, slots=True)
class CycleSoFar:
    """The current cycle up to now: bill, today, per sensor, daily history."""

    now: datetime
    cycle: Cycle
    cycle_start: datetime  # statistics boundaries (local midnights, see boundary)
    cycle_end: datetime
    counted_from: datetime  # the cycle's start, or its first statistics (ledger)
    day_start: datetime
    bill: Bill  # the cycle's bill so far (fixed charge accrued)
    today: Charges  # what today added to it
    sensor_kwh: dict[str, float]
    sensor_cost: dict[str, Decimal]
    daily: dict[date, float]  # complete days of the cycle's known part
    remaining: list[date]  # the days after the last complete one (today first)
    tou_share: dict[str, float]  # share of the energy so far in each TOU band
    statistics_start: datetime | None = None  # the sensors' first statistics
    lead_kwh: float = 0.0  # known energy before the first complete day
    fixed_share: Decimal = ONE  # the known part's share of the fixed charge
    segment_kwh: tuple[float, ...] = ()  # a straddling cycle: each span's so far

    @property
    def energy_kwh(self) -> float:
        """The cycle's energy so far, every billed sensor."""
        return float(self.bill.energy_kwh)


async def async_cycle_so_far(
    hass: HomeAssistant,
    rates: Rates,
    entity_ids: Collection[str],
    now: datetime,
    tz: tzinfo,
) -> CycleSoFar:
    """The current cycle, from the statistics (right after a restart too).

    Its known part starts with the sensors' first statistics when the cycle
    started before them; complete days are those of the known part. Priced at
    the rates in force (see the module).
    """
    schedule = as_schedule(rates)
    cycle = schedule.cycle.containing(now, tz)
    cycle_start, cycle_end = cycle_bounds(cycle, tz)
    first = await async_first_statistics(hass, entity_ids)
    today = now.astimezone(tz).date()
    end = max(now, cycle_start)  # in a half-hour zone a cycle starts at 00:30
    day_start = min(max(cycle_start, boundary(local_midnight(today, tz))), end)
    known_from = now if first is None else first
    whole = Part(cycle, cycle_start, cycle_end, cycle_start, end, known_from)
    since_midnight = Part(cycle, cycle_start, cycle_end, day_start, end, known_from)
    counted_from = whole.counted_from
    # Complete days of the known part only: no day before the statistics.
    days = [
        day
        for day in day_bounds(cycle.start, today, tz)
        if day[2] <= now and day[1] >= counted_from
    ]
    rates_of = await async_cycle_rates(
        hass, schedule, entity_ids, [whole, since_midnight], tz
    )
    priced = rates_of[cycle]
    needed = {cycle_start, day_start, end} | _needed([whole], rates_of)
    needed.update(t for _, start, stop in days for t in (start, stop))
    sums = await async_sums_at(hass, entity_ids, sorted(needed), now)
    so_far = priced.price(whole, sums, now)
    energy = float(so_far.bill.energy_kwh)
    lead = 0.0
    if days and days[0][1] > cycle_start:  # the part day the statistics began
        lead = math.fsum(
            energy_between(at.get(cycle_start), at.get(days[0][1]))
            for at in sums.values()
        )
    last = days[-1][0] if days else None
    return CycleSoFar(
        now=now,
        cycle=cycle,
        cycle_start=cycle_start,
        cycle_end=cycle_end,
        counted_from=counted_from,
        day_start=day_start,
        bill=so_far.bill,
        today=priced.price(since_midnight, sums, now).charges,
        sensor_kwh=so_far.sensor_kwh,
        sensor_cost=so_far.sensor_cost,
        daily=daily_kwh(sums, days),
        remaining=[
            day
            for day in cycle.dates()
            if (day > last if last is not None else day >= today)
        ],
        tou_share=_tou_share(so_far.bill, energy),
        statistics_start=first,
        lead_kwh=lead,
        fixed_share=whole.fraction(cycle_end),
        segment_kwh=()
        if len(priced.spans) == 1
        else tuple(
            _fsum(
                energy_between(at.get(span.start), at.get(min(end, span.end)))
                for at in sums.values()
            )
            if end > span.start
            else 0.0
            for span in priced.spans
        ),
    )


def _tou_share(bill: Bill, energy: float) -> dict[str, float]:
    """Each TOU band's share of the energy so far (a band's rows of every span)."""
    share: dict[str, float] = {}
    if energy:
        for line in bill.tou_lines:
            share[line.band] = share.get(line.band, 0.0) + float(line.kwh) / energy
    return share


def projections(
    so_far: CycleSoFar, rates: Rates, methods: Sequence[Method]
) -> dict[Method, CostProjection] | None:
    """The cycle's projected energy and bill by each method.

    None before the first complete day of the cycle's known part (nothing to
    project from). A partial first cycle projects its known part: the energy
    before the first complete day (``lead_kwh``) is added as used, the fixed
    charge is the known part's share, so the projection is what *Cost this
    cycle* will read at the cycle's end. A cycle straddling a revision: see
    ``project_straddling``.
    """
    if not so_far.daily or not so_far.remaining:
        return None
    used = so_far.energy_kwh  # the whole cycle so far, today included
    lead = so_far.lead_kwh

    def at_least_used(projection: Projection) -> Projection:
        """With the lead added; never below the energy already used.

        Today's energy and the lead are not in ``daily``.
        """
        return replace(
            projection,
            used_kwh=max(projection.used_kwh + lead, used),
            projected_kwh=max(projection.projected_kwh + lead, used),
            low_kwh=max(projection.low_kwh + lead, used),
            high_kwh=max(projection.high_kwh + lead, used),
        )

    schedule = as_schedule(rates)
    segments = schedule.segments(so_far.cycle)
    if len(segments) == 1:
        return {
            method: project_cost(
                at_least_used(project(so_far.daily, so_far.remaining, method)),
                segments[0].tariff,
                tou_share=so_far.tou_share,
                fixed_fraction=so_far.fixed_share,
            )
            for method in methods
        }
    return {
        method: project_straddling(
            at_least_used(project(so_far.daily, so_far.remaining, method)),
            schedule,
            so_far,
        )
        for method in methods
    }


def project_straddling(
    projection: Projection, schedule: TariffSchedule, so_far: CycleSoFar
) -> CostProjection:
    """A projection's bills in a cycle straddling a revision.

    Each segment keeps the energy it has so far (``segment_kwh``); the energy
    still to come (projected - used) is spread over the remaining days, so a
    segment gets it in proportion to its remaining days. TOU energy is the
    cycle's shares so far applied to each segment's energy (bands of that
    segment's version only), rounded down to Wh. The fixed lines accrue as
    the cycle so far's (``fixed_share``).
    """
    segments = schedule.segments(so_far.cycle)
    used = list(so_far.segment_kwh) or [0.0] * len(segments)
    days = [
        sum(1 for day in so_far.remaining if segment.start <= day < segment.end)
        for segment in segments
    ]
    total_days = sum(days)

    def bill(kwh: float) -> Bill:
        extra = max(kwh - so_far.energy_kwh, 0.0)
        energy = [
            to_kwh(done + (extra * share / total_days if total_days else 0.0))
            for done, share in zip(used, days, strict=True)
        ]
        tou = [
            within(
                {
                    band.name: to_kwh(
                        float(kwh_i) * so_far.tou_share.get(band.name, 0.0),
                        ROUND_DOWN,
                    )
                    for band in segment.tariff.tou_bands
                },
                kwh_i,
            )
            for segment, kwh_i in zip(segments, energy, strict=True)
        ]
        return schedule.bill(
            so_far.cycle, energy, tou, fixed_fraction=so_far.fixed_share
        )

    return CostProjection(
        projection=projection,
        bill=bill(projection.projected_kwh),
        low=bill(projection.low_kwh),
        high=bill(projection.high_kwh),
    )
