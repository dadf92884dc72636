"""The detectors' settings and what they report."""

from __future__ import annotations

from dataclasses import dataclass, fields
import math
from typing import Final, Literal, get_args

type AnomalyKind = Literal[
    "spike", "long_run", "voltage", "current", "daily_energy", "unusual_time"
]

KINDS: Final[tuple[AnomalyKind, ...]] = get_args(AnomalyKind.__value__)


@dataclass(frozen=True, slots=True)
class DetectorConfig:
    """What counts as an anomaly for one stream, and how it is learned.

    Units: W, V, A, s, kWh. ``None`` turns a check off (``max_run_s`` and
    ``run_factor`` are two independent limits for the same ``long_run``).
    The defaults: WattBuddy's seed for spikes (a 75 W baseline alerts above
    150 W: ``k`` = 2), ``min_watts`` so that a 5 W charger drawing 11 W is no
    spike; EN 50160's 230 V +/- 10 % (a 120 V grid must set its own range);
    16 A, a common socket and circuit rating; a run three times its typical
    length; a day 1.5 times the median of the last two weeks. Standby: the
    lower quartile of the last 24 hours' lowest power, once 6 hours are in.
    Unusual time (off unless ``unusual_time``): on for 5 minutes in an hour of
    the week (and the hours either side) in which the device was on less than
    5 % of the time, once each of them was seen in 3 weeks.
    """

    k: float = 2.0  # spike: power > k x baseline ...
    min_watts: float = 100.0  # ... and power >= min_watts
    debounce_s: float = 30.0  # spike: sustained this long
    clear_s: float = 30.0  # spike, voltage, current: clear after this long
    idle_watts: float = 5.0  # at or below: idle (off), not learned
    warmup_readings: int = 30  # cold start: learned "on" readings ...
    warmup_s: float = 3600.0  # ... spanning at least this long
    learn_halflife_s: float = 6 * 3600.0  # baseline memory, in on-time
    huber_c: float = 3.0  # a reading pulls by at most huber_c x scale
    max_run_s: float | None = None  # long_run: a fixed maximum run ...
    run_factor: float | None = 3.0  # ... or this times the typical run
    run_history: int = 15  # runs kept for the typical run (their median)
    min_runs: int = 5  # completed runs before the typical run is used
    off_s: float = 60.0  # idle this long: the run ended
    voltage_low: float | None = 207.0  # EN 50160: 230 V - 10 %
    voltage_high: float | None = 253.0  # EN 50160: 230 V + 10 %
    current_max: float | None = 16.0  # a common socket/circuit rating
    limit_debounce_s: float = 10.0  # voltage, current: sustained this long
    daily_factor: float | None = 1.5  # day > daily_factor x median ...
    daily_min_kwh: float = 0.1  # ... and at least this much
    daily_days: int = 14  # days kept for the median
    daily_min_days: int = 7  # days before the daily check starts
    max_gap_s: float = 300.0  # readings further apart: a gap
    standby_hours: int = 24  # standby: the lowest power of each of these hours ...
    standby_min_hours: int = 6  # ... once this many are in (the cold start)
    unusual_time: bool = False  # unusual_time: the hour-of-week check, off by default
    unusual_fraction: float = 0.05  # on less than this share of the hour usually
    unusual_min_weeks: int = 3  # hours of the week seen before it is judged
    unusual_halflife_weeks: float = 8.0  # the hour-of-week memory
    unusual_debounce_s: float = 300.0  # on at an unusual time this long
    unusual_clear_s: float = 900.0  # clear after off (or usual) this long

    def __post_init__(self) -> None:
        """Reject settings that cannot work (NaN and infinity among them)."""
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(f"{item.name} must be a finite number, not {value}")
        if self.k <= 1:
            raise ValueError("k must be above 1")
        if min(self.debounce_s, self.clear_s, self.warmup_s, self.off_s) < 0:
            raise ValueError("durations cannot be negative")
        if self.limit_debounce_s < 0:
            raise ValueError("limit_debounce_s cannot be negative")
        if min(self.learn_halflife_s, self.max_gap_s, self.huber_c) <= 0:
            raise ValueError("learn_halflife_s, max_gap_s, huber_c must be positive")
        if min(self.warmup_readings, self.run_history, self.min_runs) < 1:
            raise ValueError("warmup_readings, run_history, min_runs must be >= 1")
        if self.daily_days < 1:
            raise ValueError("daily_days must be >= 1")
        if min(self.standby_hours, self.standby_min_hours, self.unusual_min_weeks) < 1:
            raise ValueError("standby hours and unusual_min_weeks must be >= 1")
        if self.standby_min_hours > self.standby_hours:
            raise ValueError("more standby hours required than kept")
        if not 0 < self.unusual_fraction < 1:
            raise ValueError("unusual_fraction must be between 0 and 1")
        if self.unusual_halflife_weeks <= 0:
            raise ValueError("unusual_halflife_weeks must be positive")
        if min(self.unusual_debounce_s, self.unusual_clear_s) < 0:
            raise ValueError("durations cannot be negative")
        if self.min_runs > self.run_history or self.daily_min_days > self.daily_days:
            raise ValueError("more runs or days required than kept")
        if (
            self.voltage_low is not None
            and self.voltage_high is not None
            and self.voltage_low >= self.voltage_high
        ):
            raise ValueError("voltage_low must be below voltage_high")


@dataclass(frozen=True, slots=True)
class Anomaly:
    """One anomaly episode, as it started or as it cleared.

    ``value``: the most extreme reading of the episode so far (the peak W or A,
    the voltage furthest outside the range), the run's length (s) for
    ``long_run``, the day's kWh for ``daily_energy``, the peak W for
    ``unusual_time``. ``threshold``: the limit it crossed (for ``voltage`` the
    bound it is outside of; for ``unusual_time`` ``unusual_fraction``).
    ``baseline``: the learned W for ``spike``, the typical run (s) for
    ``long_run``, the median day (kWh) for ``daily_energy``, the share of that
    hour of the week the device is usually on (the most of it and the hours
    either side) for ``unusual_time``, else ``None``. ``started``: when the
    condition began; ``ended``: the reading that cleared it.
    """

    kind: AnomalyKind
    value: float
    threshold: float
    baseline: float | None
    started: float
    active: bool = True
    ended: float | None = None
