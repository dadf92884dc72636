"""When the device is usually on, by hour of the week, and use at an unusual time.

**The rule.** The week has 168 hours (Monday 00:00-01:00 local time is hour
0). For each, ``usual`` is the share of that hour the device was on
(power above ``idle_watts``), averaged over the weeks with exponential decay:
when a local hour ends and at least half of it was observed, its on-share
``f`` updates its hour of the week, ``usual += alpha * (f - usual)``, with
``alpha = max(1 / n, 1 - 2^(-1 / unusual_halflife_weeks))`` for the hour's
``n``-th observed week (a plain mean at first, then an 8-week half-life).

Use is **unusual** in an hour when that hour of the week and the hours either
side (an hour late or early is still usual) were each observed in at least
``unusual_min_weeks`` weeks (the cold start: 3 weeks) and the device was on
less than ``unusual_fraction`` (5 %) of each of them. An ``unusual_time``
anomaly starts once the device has been on at an unusual hour for
``unusual_debounce_s`` (5 min), and clears after it has been off (or the hour
has become a usual one) for ``unusual_clear_s`` (15 min: a heater's thermostat
cycles do not make it flap).

**Memory.** 168 shares and 168 counts (capped), the hour being counted; O(1)
per reading: the local hour is looked up only when a reading falls outside the
hour being counted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any, Final

from ..numbers import finite_number
from .model import DetectorConfig

HOURS: Final = 168
SEEN_CAP: Final = 1000  # weeks counted per hour (alpha stops at the decay by then)


def hour_of_week(timestamp: float, tz: tzinfo) -> int:
    """The local hour of the week of ``timestamp``: Monday 00:00-01:00 is 0."""
    local = datetime.fromtimestamp(timestamp, tz)
    return local.weekday() * 24 + local.hour


@dataclass(slots=True)
class Week:
    """The usual on-share per hour of the week and the hour being counted."""

    usual: list[float] = field(default_factory=lambda: [0.0] * HOURS)
    seen: list[int] = field(default_factory=lambda: [0] * HOURS)
    start: float = 0.0  # the hour being counted: its start ...
    end: float = 0.0  # ... and end (epoch s; 0: none yet)
    index: int = 0  # its hour of the week
    on_s: float = 0.0  # observed on in it
    seen_s: float = 0.0  # observed in it
    unusual: bool = False  # whether being on in it is unusual (fixed for the hour)

    def take(
        self,
        now: float,
        on: bool,
        step: tuple[float, bool],
        config: DetectorConfig,
        tz: tzinfo,
    ) -> None:
        """Take a power reading in time order (``step``: ``(dt, gap)`` since the last)."""
        dt, gap = step
        if not self.start <= now < self.end:
            self._next_hour(now, config, tz)
        elif not gap:
            self.seen_s += dt
            if on:
                self.on_s += dt

    def _next_hour(self, now: float, config: DetectorConfig, tz: tzinfo) -> None:
        if self.end and now >= self.end and self.seen_s >= 1800:
            index = self.index
            seen = self.seen[index] = min(self.seen[index] + 1, SEEN_CAP)
            alpha = max(
                1.0 / seen, -(2.0 ** (-1.0 / config.unusual_halflife_weeks)) + 1
            )
            share = min(self.on_s / self.seen_s, 1.0)
            self.usual[index] += alpha * (share - self.usual[index])
        local = datetime.fromtimestamp(now, tz)
        into = local.minute * 60 + local.second + local.microsecond / 1e6
        self.start = now - into
        self.end = self.start + 3600
        self.index = local.weekday() * 24 + local.hour
        self.on_s = self.seen_s = 0.0
        self.unusual = self.judge(self.index, config) is not None

    def judge(self, index: int, config: DetectorConfig) -> float | None:
        """The usual on-share around ``index`` if being on then is unusual, else None."""
        near = [(index + step) % HOURS for step in (-1, 0, 1)]
        if any(self.seen[i] < config.unusual_min_weeks for i in near):
            return None
        usual = max(self.usual[i] for i in near)
        return usual if usual < config.unusual_fraction else None

    def as_dict(self) -> dict[str, Any]:
        """JSON-able."""
        return {
            "usual": list(self.usual),
            "seen": list(self.seen),
            "start": self.start,
            "end": self.end,
            "index": self.index,
            "on_s": self.on_s,
            "seen_s": self.seen_s,
        }

    @classmethod
    def parse(cls, data: object, config: DetectorConfig) -> Week | None:
        """From ``as_dict()`` output; ``None`` if unreadable."""
        if not isinstance(data, Mapping):
            return None
        usual, seen = data.get("usual"), data.get("seen")
        if not (isinstance(usual, list) and isinstance(seen, list)):
            return None
        if len(usual) != HOURS or len(seen) != HOURS:
            return None
        shares = [finite_number(value) for value in usual]
        if any(share is None or not 0 <= share <= 1 for share in shares):
            return None
        if any(
            isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= SEEN_CAP
            for n in seen
        ):
            return None
        numbers = [
            finite_number(data.get(key)) for key in ("start", "end", "on_s", "seen_s")
        ]
        index = data.get("index")
        if (
            any(number is None or number < 0 for number in numbers)
            or isinstance(index, bool)
            or not isinstance(index, int)
            or not 0 <= index < HOURS
        ):
            return None
        start, end, on_s, seen_s = (float(n or 0.0) for n in numbers)
        week = cls(
            [float(s or 0.0) for s in shares],
            list(seen),
            start,
            end,
            index,
            on_s,
            seen_s,
        )
        week.unusual = week.judge(index, config) is not None
        return week
