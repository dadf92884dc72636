"""Projecting a billing cycle's energy and bill (no Home Assistant imports).

Input: the daily kWh of the cycle so far (local date -> kWh) and the dates of
the cycle still to come. The two must not share a date (a partial "today" is
either history or still to come: the caller decides). Three methods project
each remaining day:

* ``AVERAGE``: the average of the daily values;
* ``WEEKDAY``: the average of the history's days on the same weekday; a weekday
  missing from the history gets the overall average;
* ``TREND``: a least-squares line through the daily values (x = the date, so
  missing days are fine), never below 0 on any day.

The projected total is the energy used plus the projected days. The band
around it is +- one (sample) standard deviation of the daily values times
sqrt(remaining days), the same for every method; its low end is never below the
energy already used. With one day of history the band is the point itself.

Bad input raises ``ProjectionError`` (a ``ValueError``) and nothing else: no
history, a daily value that is not a number, negative, not finite or above
``MAX_DAILY_KWH`` (10^9 kWh: a broken sensor; the bound also keeps every sum
and the trend's arithmetic finite), a remaining date that is also in the
history, TOU shares outside 0..1. ``project_cost`` also passes on the tariff's
``TariffError`` for a projection beyond what a bill takes (``MAX_AMOUNT``).

**Slab forecast.** ``slab_crossing(position, projected)`` is the first day on
which the cumulative projected cycle energy (slab energy, as the position was
taken: see ``Tariff.slab_position``) reaches the current slab's limit
``to_kwh``: from then on the next kWh is priced in the next slab, as
``slab_position`` says of a cycle exactly at a limit. None when the slab is
open-ended, when the next slab is not dearer (``next_rate`` <= ``rate``: no
crossing worth a warning), or when no given day reaches the limit (not this
cycle). Whole-bill table edges are not forecast.

``SlabWatch`` turns the position and that forecast into events, once each, in a
JSON-able state (``as_dict`` / ``from_dict``; a state that cannot be read is a
fresh watch). ``update(cycle_start, slab_index, forecast_date)``:

* a ``cycle_start`` after the watch's starts a new cycle: everything is
  forgotten and ``slab_index`` is where the cycle stands (no event for it); one
  before it (a late reading of a past cycle) is ignored: no event, no change;
* ``entered`` for ``slab_index`` when it is above the highest slab seen in the
  cycle (one event however many slabs were skipped), at most once per slab and
  cycle; a lower index (a correction) changes nothing and emits nothing;
* ``forecast`` for the next slab (``slab_index`` + 1) with ``forecast_date``
  when one is given, that slab has neither been forecast nor entered in the
  cycle: once per cycle and slab, even if the forecast date moves later.

So the watch never emits two ``entered`` for one slab in a cycle, nor an event
for a slab at or below the highest already seen (a cheaper slab, on a rising
ladder). ``dearer=False`` (the slab entered is not dearer than the one before)
records the slab without an ``entered`` event.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from enum import StrEnum
import math
import statistics
from typing import Any, Literal

from .tariff import MAX_AMOUNT, ONE, Bill, SlabPosition, Tariff, TariffError

KWH_STEP = Decimal("0.001")  # projected kWh reach the tariff rounded to Wh
MAX_DAILY_KWH = 1e9  # a day's energy, kWh; more is a broken sensor


class ProjectionError(ValueError):
    """History or settings a projection cannot be made from (the message says why)."""


class Method(StrEnum):
    """How the remaining days are projected."""

    AVERAGE = "average"
    WEEKDAY = "weekday"
    TREND = "trend"


@dataclass(frozen=True, slots=True)
class Projection:
    """A cycle's projected energy (kWh): point estimate and band."""

    method: Method
    used_kwh: float
    projected_kwh: float
    low_kwh: float
    high_kwh: float
    remaining_days: int


@dataclass(frozen=True, slots=True)
class CostProjection:
    """The bills of a projection's point estimate and of its band's ends."""

    projection: Projection
    bill: Bill
    low: Bill
    high: Bill


def project(
    daily: Mapping[date, float],
    remaining: Iterable[date],
    method: Method = Method.AVERAGE,
) -> Projection:
    """The cycle's projected total kWh by ``method``.

    ``ProjectionError`` without history, for a daily value that is not a number
    from 0 to ``MAX_DAILY_KWH``, or for a remaining date that is also in the
    history.
    """
    days = sorted(set(remaining))
    values = _check(daily, days)
    used = math.fsum(values)
    match method:
        case Method.AVERAGE:
            future = _average(values) * len(days)
        case Method.WEEKDAY:
            future = math.fsum(_weekday_profile(daily, days))
        case Method.TREND:
            future = math.fsum(_trend(daily, days))
    projected = used + future
    spread = _spread(values) * math.sqrt(len(days))
    return Projection(
        method=method,
        used_kwh=used,
        projected_kwh=projected,
        low_kwh=max(used, projected - spread),
        high_kwh=projected + spread,
        remaining_days=len(days),
    )


def project_average(
    daily: Mapping[date, float], remaining: Iterable[date]
) -> Projection:
    """``project`` with ``Method.AVERAGE``."""
    return project(daily, remaining, Method.AVERAGE)


def project_weekday(
    daily: Mapping[date, float], remaining: Iterable[date]
) -> Projection:
    """``project`` with ``Method.WEEKDAY``."""
    return project(daily, remaining, Method.WEEKDAY)


def project_trend(daily: Mapping[date, float], remaining: Iterable[date]) -> Projection:
    """``project`` with ``Method.TREND``."""
    return project(daily, remaining, Method.TREND)


def project_cost(
    projection: Projection,
    tariff: Tariff,
    *,
    tou_share: Mapping[str, float] | None = None,
    fixed_fraction: Decimal = ONE,
) -> CostProjection:
    """The projection's bills through ``tariff`` (point, low and high).

    kWh are rounded half-up to Wh first. ``tou_share``: the fraction of the
    energy used in each TOU band (e.g. from the cycle so far), applied to the
    projected totals (rounded down to Wh, so the parts never exceed the total).
    """
    shares = dict(tou_share or {})
    if any(not 0 <= share <= 1 for share in shares.values()) or (
        math.fsum(shares.values()) > 1
    ):
        raise ProjectionError(f"TOU shares must be 0..1 and sum to at most 1: {shares}")

    def bill(kwh: float) -> Bill:
        total = _to_decimal(kwh, ROUND_HALF_UP)
        tou = {
            name: _to_decimal(kwh * share, ROUND_DOWN) for name, share in shares.items()
        }
        while sum(tou.values(), Decimal(0)) > total:  # float noise at the edge
            name = max(tou, key=lambda key: tou[key])
            tou[name] -= KWH_STEP
        return tariff.bill(total, tou_kwh=tou, fixed_fraction=fixed_fraction)

    return CostProjection(
        projection=projection,
        bill=bill(projection.projected_kwh),
        low=bill(projection.low_kwh),
        high=bill(projection.high_kwh),
    )


def _check(daily: Mapping[date, float], remaining: list[date]) -> list[float]:
    if not daily:
        raise ProjectionError("no daily history to project from")
    values = [_daily(value) for value in daily.values()]
    if both := sorted(set(daily).intersection(remaining)):
        raise ProjectionError(
            f"dates both used and remaining: {', '.join(map(str, both))}"
        )
    return values


def _daily(value: object) -> float:
    """A daily value as a float from 0 to ``MAX_DAILY_KWH``, else ``ProjectionError``."""
    number = math.nan
    if isinstance(value, int | float) and not isinstance(value, bool):
        with suppress(OverflowError):  # an int too large for a float stays NaN
            number = float(value)
    if not 0 <= number <= MAX_DAILY_KWH:  # NaN too
        raise ProjectionError(
            f"daily kWh must be finite, not negative and at most "
            f"{MAX_DAILY_KWH:g}: {value!r}"
        )
    return number


def _average(values: list[float]) -> float:
    return math.fsum(values) / len(values)


def _spread(values: list[float]) -> float:
    return statistics.stdev(values) if len(values) > 1 else 0.0


def _weekday_profile(daily: Mapping[date, float], days: list[date]) -> list[float]:
    by_weekday: dict[int, list[float]] = {}
    for day, value in daily.items():
        by_weekday.setdefault(day.weekday(), []).append(float(value))
    overall = _average([float(value) for value in daily.values()])
    return [
        _average(by_weekday[day.weekday()]) if day.weekday() in by_weekday else overall
        for day in days
    ]


def _trend(daily: Mapping[date, float], days: list[date]) -> list[float]:
    """Least squares y = mean_y + slope * (x - mean_x), x = the date's ordinal."""
    xs = [float(day.toordinal()) for day in daily]
    ys = [float(value) for value in daily.values()]
    mean_x, mean_y = _average(xs), _average(ys)
    var_x = math.fsum((x - mean_x) ** 2 for x in xs)
    slope = (
        math.fsum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
        / var_x
        if var_x
        else 0.0
    )
    return [max(0.0, mean_y + slope * (day.toordinal() - mean_x)) for day in days]


def _to_decimal(kwh: float, rounding: str) -> Decimal:
    """Energy for the tariff; above ``MAX_AMOUNT`` or not finite: ``TariffError``."""
    if not math.isfinite(kwh) or kwh > MAX_AMOUNT:
        raise TariffError(f"kwh must be a finite number up to {MAX_AMOUNT:f}: {kwh}")
    return Decimal(repr(max(kwh, 0.0))).quantize(KWH_STEP, rounding=rounding)


# --- Slab forecast ----------------------------------------------------------------


def slab_crossing(
    position: SlabPosition, projected_kwh_by_day: Sequence[tuple[date, Decimal]]
) -> date | None:
    """The first day the projected cycle energy reaches the slab's limit.

    ``projected_kwh_by_day``: (day, cumulative projected kWh at the day's end) in
    day order. None if the slab is open-ended, the next one is not dearer, or no
    day reaches the limit (see the module).
    """
    limit = position.to_kwh
    if (
        limit is None
        or position.next_rate is None
        or position.next_rate <= position.rate
    ):
        return None
    for day, kwh in projected_kwh_by_day:
        if kwh >= limit:
            return day
    return None


@dataclass(frozen=True, slots=True)
class SlabEvent:
    """``forecast``: ``slab`` is projected to be entered on ``date``; ``entered``."""

    kind: Literal["forecast", "entered"]
    cycle_start: date
    slab: int
    date: date | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form (the event's data)."""
        return {
            "kind": self.kind,
            "cycle_start": self.cycle_start.isoformat(),
            "slab": self.slab,
            "date": None if self.date is None else self.date.isoformat(),
        }


@dataclass(slots=True)
class SlabWatch:
    """The slab events of a cycle, each once (see the module)."""

    cycle_start: date | None = None
    highest: int = 0
    forecast: set[int] = field(default_factory=set)
    entered: set[int] = field(default_factory=set)

    def update(
        self,
        cycle_start: date,
        slab_index: int,
        forecast_date: date | None,
        *,
        dearer: bool = True,
    ) -> list[SlabEvent]:
        """The events of this reading: none, ``entered``, ``forecast`` or both."""
        if self.cycle_start is not None and cycle_start < self.cycle_start:
            return []  # a reading of a past cycle: its events are gone
        if self.cycle_start != cycle_start:
            self.cycle_start = cycle_start
            self.highest = slab_index
            self.forecast = set()
            self.entered = set()
        events: list[SlabEvent] = []
        if slab_index > self.highest:
            self.highest = slab_index
            if dearer and slab_index not in self.entered:
                events.append(SlabEvent("entered", cycle_start, slab_index))
            self.entered.add(slab_index)
        target = slab_index + 1
        if (
            forecast_date is not None
            and target > self.highest
            and target not in self.forecast
        ):
            self.forecast.add(target)
            events.append(SlabEvent("forecast", cycle_start, target, forecast_date))
        return events

    def as_dict(self) -> dict[str, Any]:
        """JSON-able state."""
        return {
            "cycle_start": None
            if self.cycle_start is None
            else self.cycle_start.isoformat(),
            "highest": self.highest,
            "forecast": sorted(self.forecast),
            "entered": sorted(self.entered),
        }

    @classmethod
    def from_dict(cls, data: Any) -> SlabWatch:
        """The state from ``as_dict()``; anything unreadable is a fresh watch."""
        try:
            start = data["cycle_start"]
            watch = cls(
                None if start is None else date.fromisoformat(start),
                _index(data["highest"]),
                {_index(item) for item in data["forecast"]},
                {_index(item) for item in data["entered"]},
            )
        except TypeError, KeyError, ValueError:
            return cls()
        return watch


def _index(value: Any) -> int:
    if type(value) is not int or value < 0:
        raise ValueError(value)
    return value
