"""A prepaid balance's days left and depletion date (no Home Assistant imports).

ELNET meters price energy themselves and take it from a prepaid balance, so an
ELNET account gets no tariff: it gets this forecast instead.

The rule: the burn rate is what the balance *lost* over the recent window
(default 7 days) divided by the time the history covers. Recharges (the balance
going up) are left out rather than netted, so a recharge does not look like
negative spending. Days left = balance / daily burn; the depletion date is that
many days from now. Less than ``min_span`` of history (12 h), or no spending at
all, gives no forecast for days left (None); an empty or negative balance has 0
days left, depleted now.

Bad numbers: a balance that is not finite is a ``ValueError``; history points
that are not finite are left out. Finite extremes never raise: spending too
large to add up in a float counts as infinite (0 days left, depleted now); a
burn so slow that the days left are not a finite float gives no days left, and
a depletion date beyond the last one ``datetime`` can hold gives none.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
import math
from typing import Final

WINDOW: Final = timedelta(days=7)
MIN_SPAN: Final = timedelta(hours=12)
DAY_SECONDS: Final = 86400.0


@dataclass(frozen=True, slots=True)
class PrepaidForecast:
    """Burn rate (currency per day), days left and when the balance runs out."""

    balance: float
    daily_burn: float | None
    days_left: float | None
    depletes_at: datetime | None


def forecast(
    history: Iterable[tuple[datetime, float]],
    balance: float,
    now: datetime,
    *,
    window: timedelta = WINDOW,
    min_span: timedelta = MIN_SPAN,
) -> PrepaidForecast:
    """The forecast for ``balance`` from the balance ``history`` (time, balance).

    Only history in ``[now - window, now]`` counts; the current balance is the
    history's last point at ``now``.
    """
    if not math.isfinite(balance):
        raise ValueError(f"balance must be a finite number, not {balance}")
    if balance <= 0:
        return PrepaidForecast(balance, None, 0.0, now)
    start = now - window
    points = sorted(
        (when, value)
        for when, value in history
        if start <= when <= now and math.isfinite(value)
    )
    points.append((now, balance))
    span = (points[-1][0] - points[0][0]).total_seconds()
    if span < min_span.total_seconds():
        return PrepaidForecast(balance, None, None, None)
    drops = [max(0.0, before - after) for (_, before), (_, after) in pairwise(points)]
    try:
        spent = math.fsum(drops)
    except OverflowError:  # finite drops whose sum is not
        spent = math.inf
    burn = spent / span * DAY_SECONDS
    if burn <= 0:
        return PrepaidForecast(balance, 0.0, None, None)
    days = balance / burn
    if not math.isfinite(days):
        return PrepaidForecast(balance, burn, None, None)
    try:
        depletes_at: datetime | None = now + timedelta(days=days)
    except OverflowError:  # past datetime.max (or timedelta's range)
        depletes_at = None
    return PrepaidForecast(balance, burn, days, depletes_at)
