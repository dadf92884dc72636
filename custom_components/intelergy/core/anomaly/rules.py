"""The checks: debounced conditions, limits, runs, daily totals, episodes."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace
from statistics import median
from typing import Final

from .model import Anomaly, AnomalyKind, DetectorConfig

START: Final = 1
CLEAR: Final = 2


@dataclass(slots=True)
class Hold:
    """A debounced condition: pending, active, pending clear."""

    since: float | None = None  # the condition holds since (pending or active)
    clear_since: float | None = None  # active, and the condition failed since
    active: bool = False
    peak: float = 0.0  # the most extreme value of the episode ...
    severity: float = 0.0  # ... and how far past the limit it was
    last: float | None = None  # the last real reading

    def step(
        self,
        now: float,
        hit: bool,
        value: float,
        severity: float,
        *,
        debounce: float,
        config: DetectorConfig,
        clear: float | None = None,
    ) -> int:
        """Take a reading (``hit``: the condition holds); ``START``, ``CLEAR``, 0.

        ``severity`` ranks the readings of an episode: the peak is the most
        severe. ``clear``: how long the condition must fail to clear (else
        ``clear_s``).
        """
        gap = self.last is not None and now - self.last > config.max_gap_s
        self.last = now
        if hit:
            self.clear_since = None
            if self.since is None or (gap and not self.active):
                self.since, self.peak, self.severity = now, value, severity
            elif severity > self.severity:
                self.peak, self.severity = value, severity
            if not self.active and now - self.since >= debounce:
                self.active = True
                return START
            return 0
        if not self.active:
            self.since = None
            return 0
        if self.clear_since is None or gap:
            self.clear_since = now
        if now - self.clear_since >= (config.clear_s if clear is None else clear):
            self.active = False
            self.since = self.clear_since = None
            return CLEAR
        return 0


def voltage_outside(voltage: float, config: DetectorConfig) -> float:
    """How far ``voltage`` is outside [``voltage_low``, ``voltage_high``]; 0 inside."""
    low, high = config.voltage_low, config.voltage_high
    if low is not None and voltage < low:
        return low - voltage
    if high is not None and voltage > high:
        return voltage - high
    return 0.0


def limit_crossed(kind: AnomalyKind, peak: float, config: DetectorConfig) -> float:
    """The limit a ``voltage`` or ``current`` episode that peaked at ``peak`` crossed."""
    low = config.voltage_low
    if kind == "current":
        threshold = config.current_max
    elif low is not None and peak < low:
        threshold = low
    else:
        threshold = config.voltage_high
    # A limit that is None never holds: "or 0.0" only satisfies the type.
    return threshold or 0.0


@dataclass(slots=True)
class Run:
    """The device's current run (on since ``start``)."""

    start: float
    on_s: float = 0.0  # observed time since start, gaps left out
    length: float = 0.0  # on_s at the last "on" reading
    idle_since: float | None = None  # idle since (the run may be ending)
    gapped: bool = False  # a gap fell inside: not a sample of the run length


class Runs:
    """The device's current run and the lengths of its last completed runs."""

    __slots__ = ("_config", "current", "lengths", "typical")

    def __init__(self, config: DetectorConfig) -> None:
        """No run yet, none learned."""
        self._config = config
        self.current: Run | None = None
        self.lengths: deque[float] = deque(maxlen=config.run_history)
        self.typical: float | None = None  # their median, from min_runs on

    def relearn(self) -> None:
        """The typical run from the kept lengths, once there are ``min_runs``."""
        if len(self.lengths) >= self._config.min_runs:
            self.typical = median(self.lengths)

    def step(
        self,
        now: float,
        on: bool,
        dt: float,
        gap: bool,
        *,
        episodes: Episodes,
        events: list[Anomaly],
    ) -> None:
        """Take a power reading (``on``: above idle); a ``long_run`` start or clear.

        ``dt``: the time since the last reading; ``gap``: too long to count.
        """
        run = self.current
        if run is not None:
            if not gap:
                run.on_s += dt
            elif on or run.idle_since is None:
                run.gapped = True  # on before or after the gap: length unknown
        if on:
            if run is None:
                run = self.current = Run(now)
            run.length = run.on_s
            run.idle_since = None
            limit = self._limit()
            if (
                limit is not None
                and run.length > limit
                and "long_run" not in episodes.active
            ):
                anomaly = Anomaly("long_run", run.length, limit, self.typical, now)
                episodes.open(anomaly, events)
            return
        if run is None:
            return
        if run.idle_since is None or gap:
            run.idle_since = now
        if now - run.idle_since >= self._config.off_s:
            self.current = None
            if "long_run" in episodes.active:
                episodes.clear("long_run", run.length, now, events)
            elif not run.gapped and run.length > 0:
                self.lengths.append(run.length)
                self.relearn()

    def _limit(self) -> float | None:
        """How long a run may last; ``None``: no limit (yet)."""
        limit = self._config.max_run_s
        if self._config.run_factor is not None and self.typical is not None:
            learned = self._config.run_factor * self.typical
            if limit is None or learned < limit:
                limit = learned
        return limit


class Days:
    """The last days' energy totals, and a day judged against their median."""

    __slots__ = ("_config", "totals")

    def __init__(self, config: DetectorConfig) -> None:
        """No day kept yet."""
        self._config = config
        self.totals: deque[tuple[str, float]] = deque(maxlen=config.daily_days)

    def close(
        self,
        day: str,
        kwh: float,
        now: float,
        *,
        episodes: Episodes,
        events: list[Anomaly],
    ) -> None:
        """Keep ``kwh`` as ``day``'s total; a ``daily_energy`` start or clear.

        The day is judged against the median of the days before. The same day
        again replaces its total; an earlier day is ignored.
        """
        totals = self.totals
        if totals and day < totals[-1][0]:
            return
        if totals and day == totals[-1][0]:
            totals.pop()
        config = self._config
        high, threshold, typical = False, 0.0, 0.0
        if config.daily_factor is not None and len(totals) >= config.daily_min_days:
            typical = median(total for _, total in totals)
            threshold = config.daily_factor * typical
            high = kwh > threshold and kwh >= config.daily_min_kwh
        active = episodes.active.get("daily_energy")
        if high and active is None:
            anomaly = Anomaly("daily_energy", kwh, threshold, typical, now)
            episodes.open(anomaly, events)
        elif high and active is not None and kwh > active.value:
            episodes.active["daily_energy"] = replace(active, value=kwh)
        elif not high and active is not None:
            episodes.clear("daily_energy", active.value, now, events)
        totals.append((day, kwh))


class Episodes:
    """The active anomalies by kind: each one opened, then cleared, once."""

    __slots__ = ("active",)

    def __init__(self) -> None:
        """None active."""
        self.active: dict[AnomalyKind, Anomaly] = {}

    def open(self, anomaly: Anomaly, events: list[Anomaly]) -> None:
        """Make ``anomaly`` its kind's active episode, and report it."""
        self.active[anomaly.kind] = anomaly
        events.append(anomaly)

    def start(
        self,
        kind: AnomalyKind,
        hold: Hold,
        threshold: float,
        baseline: float | None,
        events: list[Anomaly],
    ) -> None:
        """Open the episode of ``hold``, which has just started."""
        started = hold.since if hold.since is not None else hold.last or 0.0
        self.open(Anomaly(kind, hold.peak, threshold, baseline, started), events)

    def clear(
        self, kind: AnomalyKind, value: float, now: float, events: list[Anomaly]
    ) -> None:
        """Close ``kind``'s episode at ``now``, with its final ``value``."""
        anomaly = self.active.pop(kind)
        events.append(replace(anomaly, value=value, active=False, ended=now))
