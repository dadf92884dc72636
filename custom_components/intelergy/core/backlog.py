"""Hourly statistics rows from readings a meter buffered offline (no HA imports).

A meter that could not publish for hours sends its buffered readings when it is
back, in chunks. Home Assistant's recorder would put all that energy in the hour
the meter came back. Instead, each hour of the outage gets a long-term statistics
row whose ``sum`` continues from the last row the recorder compiled before the
outage (the *baseline*); the recorder's own rows after the outage continue from
that same baseline, so every hour's difference of sums is the energy used in
that hour.

Exactly once, in any order: an hour's row is never computed from one message.
Every reading ever received for an outage is kept, folded per hour into its
first and last point (``Episode``), and persisted; each message recomputes every
row of its outage from all of them. Re-sending a chunk, reordering chunks or
splitting them differently gives the same rows.

Between two known points the total is interpolated linearly: hours with no
reading at all (readings the meter's full buffer dropped) get an even share of
the energy across the gap instead of the first hour after it taking it all.

A reading that would need more power than the meter can meter since the point
before it (``max_power_w``) is refused, like a live one (core/counter.py).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
import math
from typing import Any, Final

HOUR: Final = 3600
# Outages older than this are forgotten (the recorder's 5-minute rows, which
# baselines come from, are purged after 10 days by default).
KEEP_SECONDS: Final = 14 * 86400
KEEP_EPISODES: Final = 50
MAX_HOURS: Final = 366 * 24


@dataclass(frozen=True, slots=True)
class HourRow:
    """A long-term statistics row: the hour's start (epoch s), state and sum (kWh)."""

    start: float
    state: float
    sum: float


def hour_start(timestamp: float) -> float:
    """The start of the hour holding ``timestamp`` (epoch seconds, UTC hours)."""
    return timestamp - timestamp % HOUR


@dataclass(slots=True)
class Episode:
    """One outage: its baseline and every reading received for it.

    ``baseline``: (time, state, sum): the end of the recorder's last row before
    the outage with its state and sum; ``first`` is set for a meter that had no
    statistics yet (its sums start at 0 at the first reading ever seen, which
    stays the reference when earlier readings arrive later).
    """

    baseline: tuple[float, float, float] | None
    # hour start -> [first ts, total at first, last ts, total at last]
    hours: dict[int, list[float]] = field(default_factory=dict)
    first: tuple[float, float] | None = None  # meters with no statistics yet
    refused: int = 0  # readings refused as implausible
    gap_logged: bool = False

    def points(self) -> list[tuple[float, float]]:
        """Every known point in time order, the baseline first."""
        points = [(p[0], p[1]) for p in self.hours.values()]
        points += [(p[2], p[3]) for p in self.hours.values() if p[2] != p[0]]
        if self.baseline is not None:
            points.append((self.baseline[0], self.baseline[1]))
        points.sort()
        return points

    def add(
        self, readings: Iterable[tuple[float, float]], allowance_kwh: Any
    ) -> list[tuple[float, float]]:
        """Merge readings (time, total kWh); returns those refused as implausible.

        ``allowance_kwh(seconds)``: the most the meter can use in that time. A
        reading is refused when it is more than that above the known point
        before it (or, for the first reading of a meter without statistics, it
        is the reference and cannot be judged).
        """
        refused: list[tuple[float, float]] = []
        for ts, total in sorted(readings):
            if not (math.isfinite(ts) and math.isfinite(total)):
                continue
            points = self.points()
            index = bisect_left(points, (ts, -math.inf))
            if index > 0:
                before_ts, before_total = points[index - 1]
                if total - before_total > allowance_kwh(ts - before_ts):
                    refused.append((ts, total))
                    self.refused += 1
                    continue
            if self.baseline is None and self.first is None:
                self.first = (ts, total)
            key = int(hour_start(ts))
            hour = self.hours.get(key)
            if hour is None:
                self.hours[key] = [ts, total, ts, total]
                continue
            if ts < hour[0] or (ts == hour[0] and total > hour[1]):
                hour[0], hour[1] = ts, total
            if ts > hour[2] or (ts == hour[2] and total > hour[3]):
                hour[2], hour[3] = ts, total
        return refused

    def gap(self) -> tuple[float, float, float] | None:
        """(from, to, kWh) when over an hour passed between baseline and a reading."""
        if self.baseline is None or not self.hours:
            return None
        start, state, _ = self.baseline
        later = [p for p in self.points() if p[0] > start]
        if not later or later[0][0] - start <= HOUR:
            return None
        return start, later[0][0], max(later[0][1] - state, 0.0)

    def rows(self, now: float) -> list[HourRow]:
        """The rows of every hour from the baseline's to the last reading's.

        The hour of ``now`` is left out: the recorder compiles it from live
        states. States never go down; the sum follows the state.
        """
        points = self.points()
        if not points or not self.hours:
            return []
        if self.baseline is not None:
            _, state0, sum0 = self.baseline
        else:  # ``first`` is set with the first reading
            state0, sum0 = (self.first or points[0])[1], 0.0
        # Monotone: a point lower than one before it does not pull the state down.
        times: list[float] = []
        states: list[float] = []
        for ts, total in points:
            value = max(total, states[-1]) if states else total
            if times and ts == times[-1]:
                states[-1] = value
                continue
            times.append(ts)
            states.append(value)
        last_hour = min(hour_start(times[-1]), hour_start(now) - HOUR)
        rows: list[HourRow] = []
        # No outage is older than the recorder's statistics it continues from
        # (a year); a corrupt stored time must not make this loop for ever.
        hour = max(hour_start(times[0]), last_hour - MAX_HOURS * HOUR)
        while hour <= last_hour:
            state = _interpolate(times, states, hour + HOUR)
            rows.append(HourRow(hour, state, sum0 + state - state0))
            hour += HOUR
        return rows

    def last_point(self) -> tuple[float, float]:
        """The newest reading (time, monotone total)."""
        points = self.points()
        return points[-1][0], max(total for _, total in points)

    def as_dict(self) -> dict[str, Any]:
        """JSON-able."""
        return {
            "baseline": None if self.baseline is None else list(self.baseline),
            "first": None if self.first is None else list(self.first),
            "hours": {str(k): v for k, v in self.hours.items()},
            "refused": self.refused,
            "gap_logged": self.gap_logged,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Episode:
        """From ``as_dict()``; raises ``ValueError`` / ``TypeError`` when unreadable."""
        baseline = data.get("baseline")
        first = data.get("first")
        return cls(
            None if baseline is None else _floats(baseline, 3),  # type: ignore[arg-type]
            {int(k): list(_floats(v, 4)) for k, v in data["hours"].items()},
            None if first is None else _floats(first, 2),  # type: ignore[arg-type]
            int(data.get("refused", 0)),
            bool(data.get("gap_logged", False)),
        )


class BacklogLedger:
    """Every outage's readings, persisted, keyed by the baseline row's start."""

    def __init__(self, stored: Mapping[str, Any] | None = None) -> None:
        """Empty, or from ``as_dict()`` (unreadable episodes are dropped)."""
        self.episodes: dict[str, Episode] = {}
        for key, value in (stored or {}).items():
            try:
                self.episodes[str(key)] = Episode.from_dict(value)
            except AttributeError, KeyError, OverflowError, TypeError, ValueError:
                continue

    def episode(self, key: str, baseline: tuple[float, float, float] | None) -> Episode:
        """The outage whose baseline row is ``key`` (created with ``baseline``)."""
        if (episode := self.episodes.get(key)) is None:
            episode = self.episodes[key] = Episode(baseline)
        return episode

    def prune(self, now: float) -> None:
        """Forget outages whose last reading is older than ``KEEP_SECONDS``."""
        keep = {
            key: episode
            for key, episode in self.episodes.items()
            if episode.hours and episode.last_point()[0] > now - KEEP_SECONDS
        }
        newest = sorted(keep, key=lambda k: keep[k].last_point()[0])[-KEEP_EPISODES:]
        self.episodes = {key: keep[key] for key in newest}

    def as_dict(self) -> dict[str, Any]:
        """JSON-able."""
        return {key: episode.as_dict() for key, episode in self.episodes.items()}


def _interpolate(times: Sequence[float], states: Sequence[float], at: float) -> float:
    """The state at ``at``, linear between known points, flat outside them."""
    index = bisect_left(times, at)
    if index >= len(times):
        return states[-1]
    if times[index] == at or index == 0:
        return states[index]
    t0, t1 = times[index - 1], times[index]
    s0, s1 = states[index - 1], states[index]
    return s0 + (s1 - s0) * (at - t0) / (t1 - t0)


def _floats(value: Any, size: int) -> tuple[float, ...]:
    values = tuple(float(v) for v in value)
    if len(values) != size or not all(math.isfinite(v) for v in values):
        raise ValueError(value)
    return values
