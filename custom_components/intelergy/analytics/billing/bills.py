"""Bills, the cycle so far and projections, read from the recorder (see ``ledger``)."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal

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
from ...core.tariff import Bill, Cycle, Tariff, local_midnight
from .statistics import async_changes, async_sums_at


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
    """The priced parts of [start, end) (an end after ``now`` stops at ``now``)."""
    parts = plan(tariff.cycle, tz, boundary(start), min(boundary(end), now))
    sums = await async_sums_at(hass, entity_ids, instants(parts), now)
    bands = await async_bands(hass, tariff, entity_ids, parts, tz)
    return price(tariff, parts, sums, bands, now)


@dataclass(frozen=True, slots=True)
class CycleSoFar:
    """The current cycle up to now: bill, today, per sensor, daily history."""

    now: datetime
    cycle: Cycle
    cycle_start: datetime  # statistics boundaries (local midnights, see boundary)
    cycle_end: datetime
    day_start: datetime
    bill: Bill  # the cycle's bill so far (fixed charge accrued)
    today: Charges  # what today added to it
    sensor_kwh: dict[str, float]
    sensor_cost: dict[str, Decimal]
    daily: dict[date, float]  # complete days of the cycle
    remaining: list[date]  # today and the days still to come
    tou_share: dict[str, float]  # share of the energy so far in each TOU band

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
    """The current cycle, from the statistics (right after a restart too)."""
    cycle = tariff.cycle.containing(now, tz)
    cycle_start, cycle_end = cycle_bounds(cycle, tz)
    today = now.astimezone(tz).date()
    # Complete days only: a prefix of the cycle.
    days = [day for day in day_bounds(cycle.start, today, tz) if day[2] <= now]
    end = max(now, cycle_start)  # in a half-hour zone a cycle starts at 00:30
    day_start = min(max(cycle_start, boundary(local_midnight(today, tz))), end)
    whole = Part(cycle, cycle_start, cycle_end, cycle_start, end)
    since_midnight = Part(cycle, cycle_start, cycle_end, day_start, end)
    needed = {cycle_start, day_start, end}
    needed.update(t for _, start, stop in days for t in (start, stop))
    sums = await async_sums_at(hass, entity_ids, sorted(needed), now)
    bands = await async_bands(hass, tariff, entity_ids, [whole, since_midnight], tz)
    so_far = price_part(tariff, whole, sums, bands.get(cycle), now)
    energy = float(so_far.bill.energy_kwh)
    return CycleSoFar(
        now=now,
        cycle=cycle,
        cycle_start=cycle_start,
        cycle_end=cycle_end,
        day_start=day_start,
        bill=so_far.bill,
        today=price_part(tariff, since_midnight, sums, bands.get(cycle), now).charges,
        sensor_kwh=so_far.sensor_kwh,
        sensor_cost=so_far.sensor_cost,
        daily=daily_kwh(sums, days),
        remaining=[
            cycle.start + timedelta(days=offset)
            for offset in range(len(days), cycle.days)
        ],
        tou_share={
            line.band: float(line.kwh) / energy
            for line in so_far.bill.tou_lines
            if energy
        },
    )


def projections(
    so_far: CycleSoFar, tariff: Tariff, methods: Sequence[Method]
) -> dict[Method, CostProjection] | None:
    """The cycle's projected energy and bill by each method.

    None before the cycle's first complete day (nothing to project from).
    """
    if not so_far.daily or not so_far.remaining:
        return None
    used = so_far.energy_kwh  # the whole cycle so far, today included

    def at_least_used(projection: Projection) -> Projection:
        """Never below the energy already used (today's is not in ``daily``)."""
        return replace(
            projection,
            used_kwh=max(projection.used_kwh, used),
            projected_kwh=max(projection.projected_kwh, used),
            low_kwh=max(projection.low_kwh, used),
            high_kwh=max(projection.high_kwh, used),
        )

    return {
        method: project_cost(
            at_least_used(project(so_far.daily, so_far.remaining, method)),
            tariff,
            tou_share=so_far.tou_share,
        )
        for method in methods
    }
