"""Bills, the cycle so far and projections, read from the recorder (see ``ledger``).

Everything is counted from the billed sensors' first statistics at the earliest
(``async_first_statistics``): a cycle that started before them (the first cycle
after a sensor or the integration is new) is a partial first cycle, counted
from there (energy, the fixed charge's accrual, complete days, the projection).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, tzinfo
from decimal import Decimal
from itertools import pairwise
import math

from homeassistant.core import HomeAssistant

from ...core.ledger import (
    Charges,
    Part,
    Statement,
    band_energy,
    boundary,
    cycle_bounds,
    daily_kwh,
    day_bounds,
    energy_between,
    instants,
    plan,
    price,
    price_part,
)
from ...core.prediction import (
    CostProjection,
    Method,
    Projection,
    project,
    project_cost,
)
from ...core.tariff import ONE, Bill, Cycle, Tariff, local_midnight
from .statistics import async_changes, async_first_statistics, async_sums_at


async def async_bands(
    hass: HomeAssistant,
    tariff: Tariff,
    entity_ids: Collection[str],
    parts: Sequence[Part],
    tz: tzinfo,
) -> dict[Cycle, dict[datetime, dict[str, float]]]:
    """TOU energy from each part's cycle start to its bounds (TOU tariffs only).

    One read of hourly statistics covers every part.
    """
    if not tariff.tou_bands or not parts:
        return {}
    first = min(part.cycle_start for part in parts)
    last = max(part.end for part in parts)
    changes = await async_changes(hass, entity_ids, first, last, "hour")
    # Bands are of the household: every sensor's hours added up first.
    per_hour: dict[float, float] = {}
    for found in changes.values():
        for stamp, _, change in found:
            per_hour[stamp] = per_hour.get(stamp, 0.0) + change
    rows = sorted(per_hour.items())
    stamps = [stamp for stamp, _ in rows]
    cuts: dict[Cycle, tuple[datetime, set[datetime]]] = {}
    for part in parts:
        start, bounds = cuts.setdefault(part.cycle, (part.cycle_start, set()))
        bounds.update((part.start, part.end))
    bands: dict[Cycle, dict[datetime, dict[str, float]]] = {}
    for cycle, (start, bounds) in cuts.items():
        low = bisect_left(stamps, start.timestamp())
        high = bisect_left(stamps, max(bounds).timestamp())
        bands[cycle] = band_energy(tariff, rows[low:high], tz, start, bounds)
    return bands


async def async_statement(
    hass: HomeAssistant,
    tariff: Tariff,
    entity_ids: Collection[str],
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    tz: tzinfo,
) -> Statement:
    """The priced parts of [start, end) (an end after ``now`` stops at ``now``).

    Counted from the sensors' first statistics (nothing before them, see ``ledger``).
    """
    first = await async_first_statistics(hass, entity_ids)
    known_from = now if first is None else first
    parts = plan(tariff.cycle, tz, boundary(start), min(boundary(end), now), known_from)
    sums = await async_sums_at(hass, entity_ids, instants(parts), now)
    bands = await async_bands(hass, tariff, entity_ids, parts, tz)
    statement = price(tariff, parts, sums, bands, now)
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

    @property
    def energy_kwh(self) -> float:
        """The cycle's energy so far, every billed sensor."""
        return float(self.bill.energy_kwh)


async def async_cycle_so_far(
    hass: HomeAssistant,
    tariff: Tariff,
    entity_ids: Collection[str],
    now: datetime,
    tz: tzinfo,
) -> CycleSoFar:
    """The current cycle, from the statistics (right after a restart too).

    Its known part starts with the sensors' first statistics when the cycle
    started before them; complete days are those of the known part.
    """
    cycle = tariff.cycle.containing(now, tz)
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
    needed = {cycle_start, day_start, end}
    needed.update(t for _, start, stop in days for t in (start, stop))
    sums = await async_sums_at(hass, entity_ids, sorted(needed), now)
    bands = await async_bands(hass, tariff, entity_ids, [whole, since_midnight], tz)
    so_far = price_part(tariff, whole, sums, bands.get(cycle), now)
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
        today=price_part(tariff, since_midnight, sums, bands.get(cycle), now).charges,
        sensor_kwh=so_far.sensor_kwh,
        sensor_cost=so_far.sensor_cost,
        daily=daily_kwh(sums, days),
        remaining=[
            day
            for day in cycle.dates()
            if (day > last if last is not None else day >= today)
        ],
        tou_share={
            line.band: float(line.kwh) / energy
            for line in so_far.bill.tou_lines
            if energy
        },
        statistics_start=first,
        lead_kwh=lead,
        fixed_share=whole.fraction(cycle_end),
    )


def projections(
    so_far: CycleSoFar, tariff: Tariff, methods: Sequence[Method]
) -> dict[Method, CostProjection] | None:
    """The cycle's projected energy and bill by each method.

    None before the first complete day of the cycle's known part (nothing to
    project from). A partial first cycle projects its known part: the energy
    before the first complete day (``lead_kwh``) is added as used, the fixed
    charge is the known part's share, so the projection is what *Cost this
    cycle* will read at the cycle's end.
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

    return {
        method: project_cost(
            at_least_used(project(so_far.daily, so_far.remaining, method)),
            tariff,
            tou_share=so_far.tou_share,
            fixed_fraction=so_far.fixed_share,
        )
        for method in methods
    }
