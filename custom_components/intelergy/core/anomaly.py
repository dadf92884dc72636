"""Anomaly detectors for one power stream (no Home Assistant imports).

One ``Detector`` watches one stream (a plug, a circuit, a whole meter) and
reports five kinds of anomaly, each one an episode that starts and clears:

* ``spike``: power above ``k`` times the learned baseline *and* at least
  ``min_watts``, sustained for ``debounce_s`` (WattBuddy's seed: a 75 W
  baseline alerts above 150 W, so ``k`` = 2);
* ``long_run``: the device stays on longer than ``max_run_s``, or than
  ``run_factor`` times its typical run (the median of its last
  ``run_history`` completed runs), whichever is shorter;
* ``voltage``: voltage outside [``voltage_low``, ``voltage_high``];
* ``current``: current above ``current_max``;
* ``daily_energy``: a day's energy above ``daily_factor`` times the median of
  the previous (up to) ``daily_days`` days.

**The baseline: a robust (Huber-clipped) EWMA.** Every reading must cost O(1)
time and a stream's memory must stay bounded, for years. An exact running
median over a window needs the window (thousands of readings to span a few
hours) and O(log n) per reading; a fixed histogram needs a range and bin width
chosen up front for streams from 5 W to 10 kW; a P² quantile estimator is O(1)
but estimates the median of *everything* seen and never forgets, so it cannot
follow a device that ages or a season that changes. The baseline is instead
an exponentially weighted mean of the power while the device is on (readings
at or below ``idle_watts`` are ignored), each reading's pull clipped to
``huber_c`` times a scale, the scale being an EWMA of the absolute deviation
clipped the same way. A 2 kW reading on a 150 W baseline therefore pulls it
no more than a reading ``huber_c`` scales away would (a 3-minute kettle moves
it well under a watt), and only a level that persists is adopted: the scale
widens while the deviations last, so a real change of the load is followed
rather than alerted about forever (150 W stuck at 2 kW: the spike clears after
~18 hours of it with the default 6-hour half-life). The weights are
time-based: a reading weighs ``1 - 2^(-dt / learn_halflife_s)``, so a 1 s and
a 60 s meter learn at the same speed; while that weight is below ``1/n`` (for
the first ~1.4 half-lives of on-time) the n-th reading weighs ``1/n`` instead,
a clipped running mean that converges fast and without the bias of a cold
EWMA. It is seeded by the median
and median absolute deviation of the first ``warmup_readings`` "on" readings
(held only until then), so a compressor's inrush or a kettle among the very
first readings does not linger. State: a handful of numbers.

**Cold start.** No spike is reported until the baseline has learned from at
least ``warmup_readings`` "on" readings spanning at least ``warmup_s`` of wall
time (defaults 30 readings and one hour). The learned run length needs
``min_runs`` completed runs, the daily check ``daily_min_days`` finished days.

**Debounce and clearing.** A spike, voltage or current anomaly starts at the
reading where its condition has held continuously for ``debounce_s`` (spike)
or ``limit_debounce_s`` (voltage, current) and clears at the reading where it
has not held for ``clear_s``; ``started`` is when the condition began, so a
kettle that crosses the threshold at t starts an episode with ``started`` = t
reported at t + 30 s. A device is "off" (its run ends) once its power has
stayed at or below ``idle_watts`` for ``off_s``; shorter idle dips belong to
the run. A ``long_run`` starts at the reading where the run passes its limit
and clears when the run ends.

**Missing readings and gaps.** ``None`` (and NaN or infinite) values are
skipped, and so are absurd ones, beyond +-``MAX_READING`` (10^12 W, V or A: no
stream comes near; a broken sensor or a parsing error does): they alert nothing,
they are not "off", they do not clear anything and they do not interrupt a
debounce, which simply continues with the next real reading. A reading whose
timestamp is not finite is skipped as a whole. The bound is what keeps the state
finite: the integrated energy, the baseline and every peak are then at most a
few times 10^12 per reading and can grow for millennia without overflowing, so
``as_dict()`` is always strict JSON (Home Assistant's Store refuses NaN and
infinity). When two real readings are more than ``max_gap_s`` apart (a
dropout, Home Assistant restarting) nothing is assumed about the gap: a
pending debounce (to start or to clear) starts again from the reading after
the gap, while an active anomaly whose condition still holds stays active
(no cleared-then-restarted flapping); the run timer is paused, not reset (the
gap's time is not counted; on both sides of the gap it is the same run), but
a run with a gap while it was on is not used to learn the typical run length,
as its length is uncertain (idle before and after the gap, the run was already
over: an idle device still needs ``off_s`` of idle readings after the gap to
end its run); the gap's energy is not integrated. A source that reports only
changes (Home Assistant's states) must therefore be fed its last value again
at least every ``max_gap_s`` (a constant 2 kW heater sends no new state);
``replay()`` does that for recorder history with ``fill_s``.

**Daily energy.** ``end_of_day()`` takes the day's kWh from the caller (an
energy sensor is more accurate than sampled power) or, without one, what the
detector integrated from power since the last call (each reading's power held
until the next one, over intervals up to ``max_gap_s``; the interval across
the day's end is split at the ``end_of_day()`` timestamp). The day is compared
with the median of the previous days and then kept, anomalous or not (the
median shrugs off a few); only the last ``daily_days`` daily totals are kept.

**Persistence.** ``as_dict()`` is the whole learned and running state as JSON
(baseline, debounces, the run, the last runs and days, active anomalies):
``Detector(config, state)`` carries on exactly where it stopped, so a restart
neither relearns nor re-alerts. The configuration is not part of the state. A
stored number that is not finite makes its part unreadable (that part starts
again), like any other wrong value.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date
import math
from statistics import median
from typing import Any, Final, Literal, TypeGuard, get_args

type AnomalyKind = Literal["spike", "long_run", "voltage", "current", "daily_energy"]
type ReadingRow = (
    tuple[float, float | None] | tuple[float, float | None, float | None, float | None]
)

KINDS: Final[tuple[AnomalyKind, ...]] = get_args(AnomalyKind.__value__)
STATE_VERSION: Final = 1
MAX_READING: Final = 1e12  # W, V, A: a reading beyond +- this is skipped
SCALE_FLOOR_W: Final = 0.5  # the baseline's scale never drops below this ...
SCALE_FLOOR_RATIO: Final = 0.01  # ... nor below 1 % of the baseline
_START: Final = 1
_CLEAR: Final = 2


@dataclass(frozen=True, slots=True)
class DetectorConfig:
    """What counts as an anomaly for one stream, and how it is learned.

    Units: W, V, A, s, kWh. ``None`` turns a check off (``max_run_s`` and
    ``run_factor`` are two independent limits for the same ``long_run``).
    The defaults: WattBuddy's seed for spikes (a 75 W baseline alerts above
    150 W: ``k`` = 2), ``min_watts`` so that a 5 W charger drawing 11 W is no
    spike; EN 50160's 230 V +/- 10 % (a 120 V grid must set its own range);
    16 A, a common socket and circuit rating; a run three times its typical
    length; a day 1.5 times the median of the last two weeks.
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
    ``long_run``, the day's kWh for ``daily_energy``. ``threshold``: the limit
    it crossed (for ``voltage`` the bound it is outside of). ``baseline``: the
    learned W for ``spike``, the typical run (s) for ``long_run``, the median
    day (kWh) for ``daily_energy``, else ``None``. ``started``: when the
    condition began; ``ended``: the reading that cleared it.
    """

    kind: AnomalyKind
    value: float
    threshold: float
    baseline: float | None
    started: float
    active: bool = True
    ended: float | None = None


@dataclass(slots=True)
class _Baseline:
    """The robust EWMA of "on" power and what the cold-start rule needs."""

    level: float = 0.0  # W
    scale: float = 0.0  # W, the clipped mean absolute deviation; 0: not seeded
    count: int = 0  # "on" readings learned
    first: float | None = None  # timestamp of the first one
    ready: bool = False  # the cold-start rule was met
    seed: list[float] = field(default_factory=list)  # the first readings

    def learn(
        self, now: float, power: float, weight: float, config: DetectorConfig
    ) -> None:
        """Take one "on" reading; ``weight``: its time-based EWMA weight."""
        self.count += 1
        if self.first is None:
            self.first = now
        if self.scale == 0:
            # Seeded by the median and median absolute deviation of the first
            # readings: an inrush or a kettle among them changes nothing.
            self.seed.append(power)
            if len(self.seed) >= config.warmup_readings:
                self.level = median(self.seed)
                spread = median(abs(value - self.level) for value in self.seed)
                self.scale = max(
                    spread, SCALE_FLOOR_W, SCALE_FLOOR_RATIO * abs(self.level)
                )
                self.seed = []
        else:
            alpha = max(1.0 / self.count, weight)
            limit = config.huber_c * self.scale
            residual = power - self.level
            self.level += alpha * min(max(residual, -limit), limit)
            self.scale += alpha * (min(abs(residual), limit) - self.scale)
            self.scale = max(
                self.scale, SCALE_FLOOR_W, SCALE_FLOOR_RATIO * abs(self.level)
            )
        if not self.ready and self.scale > 0 and now - self.first >= config.warmup_s:
            self.ready = True


@dataclass(slots=True)
class _Hold:
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
    ) -> int:
        """Take a reading (``hit``: the condition holds); ``_START``, ``_CLEAR``, 0.

        ``severity`` ranks the readings of an episode: the peak is the most severe.
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
                return _START
            return 0
        if not self.active:
            self.since = None
            return 0
        if self.clear_since is None or gap:
            self.clear_since = now
        if now - self.clear_since >= config.clear_s:
            self.active = False
            self.since = self.clear_since = None
            return _CLEAR
        return 0


@dataclass(slots=True)
class _Run:
    """The device's current run (on since ``start``)."""

    start: float
    on_s: float = 0.0  # observed time since start, gaps left out
    length: float = 0.0  # on_s at the last "on" reading
    idle_since: float | None = None  # idle since (the run may be ending)
    gapped: bool = False  # a gap fell inside: not a sample of the run length


class Detector:
    """Every anomaly detector for one power stream, fed reading by reading."""

    __slots__ = (
        "_active",
        "_baseline",
        "_current",
        "_days",
        "_kwh",
        "_kwh_ahead",
        "_last_power",
        "_last_time",
        "_rate",
        "_run",
        "_runs",
        "_spike",
        "_typical",
        "_voltage",
        "config",
    )

    def __init__(
        self,
        config: DetectorConfig | None = None,
        state: Mapping[str, Any] | None = None,
    ) -> None:
        """Start learning, or carry on from ``as_dict()`` output.

        An unreadable part of ``state`` starts again on its own; a state of
        another version is ignored.
        """
        self.config = config or DetectorConfig()
        self._rate = math.log(2) / self.config.learn_halflife_s
        self._baseline = _Baseline()
        self._spike = _Hold()
        self._voltage = _Hold()
        self._current = _Hold()
        self._last_time: float | None = None
        self._last_power = 0.0
        self._kwh = 0.0
        self._kwh_ahead = 0.0  # s after the last reading already integrated
        self._run: _Run | None = None
        self._runs: deque[float] = deque(maxlen=self.config.run_history)
        self._days: deque[tuple[str, float]] = deque(maxlen=self.config.daily_days)
        self._active: dict[AnomalyKind, Anomaly] = {}
        self._typical: float | None = None
        if state and state.get("version") == STATE_VERSION:
            self._load(state)

    @classmethod
    def from_dict(
        cls, state: Mapping[str, Any], config: DetectorConfig | None = None
    ) -> Detector:
        """A detector carrying on from ``as_dict()`` output."""
        return cls(config, state)

    @property
    def baseline(self) -> float | None:
        """The learned "on" power (W); ``None`` during the cold start."""
        return self._baseline.level if self._baseline.ready else None

    @property
    def typical_run_s(self) -> float | None:
        """The median of the last completed runs (s); ``None`` until ``min_runs``."""
        return self._typical

    @property
    def energy_kwh(self) -> float:
        """The energy integrated from power since the last ``end_of_day()``."""
        return self._kwh

    @property
    def active(self) -> dict[AnomalyKind, Anomaly]:
        """The active anomalies by kind, with the episode's peak so far."""
        result = dict(self._active)
        for kind, hold in self._holds():
            if kind in result:
                result[kind] = replace(result[kind], value=hold.peak)
        if "long_run" in result and self._run is not None:
            result["long_run"] = replace(result["long_run"], value=self._run.length)
        return result

    def _holds(self) -> tuple[tuple[AnomalyKind, _Hold], ...]:
        return (
            ("spike", self._spike),
            ("voltage", self._voltage),
            ("current", self._current),
        )

    def update(
        self,
        timestamp: float,
        power: float | None,
        voltage: float | None = None,
        current: float | None = None,
    ) -> list[Anomaly]:
        """Take one reading; the anomalies that started or cleared at it.

        ``timestamp``: epoch seconds. ``power`` (W), ``voltage`` (V), ``current``
        (A): ``None``, NaN or infinite when unavailable, which is skipped, as is
        a value beyond +-``MAX_READING`` (see the module); a timestamp that is
        not finite skips the whole reading. Power at or below ``idle_watts``
        (also negative) is idle. A reading older than the last one of the same
        quantity is ignored.
        """
        events: list[Anomaly] = []
        if not math.isfinite(timestamp):
            return events
        if _real(power):
            self._take_power(timestamp, power, events)
        config = self.config
        if _real(voltage):
            low, high = config.voltage_low, config.voltage_high
            severity = 0.0  # how far outside the range
            if low is not None and voltage < low:
                severity = low - voltage
            elif high is not None and voltage > high:
                severity = voltage - high
            self._take_limit(
                "voltage",
                self._voltage,
                timestamp,
                voltage,
                hit=severity > 0,
                severity=severity,
                events=events,
            )
        if _real(current) and config.current_max is not None:
            self._take_limit(
                "current",
                self._current,
                timestamp,
                current,
                hit=current > config.current_max,
                severity=current,
                events=events,
            )
        return events

    def _take_power(self, now: float, power: float, events: list[Anomaly]) -> None:
        config = self.config
        last = self._last_time
        if last is not None and now < last:
            return  # out of order
        dt = config.max_gap_s if last is None else now - last
        gap = last is None or dt > config.max_gap_s
        if not gap and dt > self._kwh_ahead:
            self._kwh += self._last_power * (dt - self._kwh_ahead) / 3_600_000
        self._last_time, self._last_power, self._kwh_ahead = now, power, 0.0
        baseline = self._baseline
        # The spike, judged by the baseline before this reading is learned.
        if baseline.ready:
            threshold = max(config.k * baseline.level, config.min_watts)
            hit = power > config.k * baseline.level and power >= config.min_watts
            change = self._spike.step(
                now, hit, power, power, debounce=config.debounce_s, config=config
            )
            if change == _START:
                self._start("spike", threshold, baseline.level, self._spike, events)
            elif change == _CLEAR:
                self._clear("spike", self._spike.peak, now, events)
        else:
            self._spike.last = now
        on = power > config.idle_watts
        if on:
            weight = -math.expm1(-min(dt, config.max_gap_s) * self._rate)
            baseline.learn(now, power, weight, config)
        self._take_run(now, on, dt, gap, events)

    def _take_run(
        self, now: float, on: bool, dt: float, gap: bool, events: list[Anomaly]
    ) -> None:
        run = self._run
        if run is not None:
            if not gap:
                run.on_s += dt
            elif on or run.idle_since is None:
                run.gapped = True  # on before or after the gap: length unknown
        if on:
            if run is None:
                run = self._run = _Run(now)
            run.length = run.on_s
            run.idle_since = None
            limit = self._run_limit()
            if (
                limit is not None
                and run.length > limit
                and "long_run" not in self._active
            ):
                anomaly = Anomaly("long_run", run.length, limit, self._typical, now)
                self._active["long_run"] = anomaly
                events.append(anomaly)
            return
        if run is None:
            return
        if run.idle_since is None or gap:
            run.idle_since = now
        if now - run.idle_since >= self.config.off_s:
            self._run = None
            if "long_run" in self._active:
                self._clear("long_run", run.length, now, events)
            elif not run.gapped and run.length > 0:
                self._runs.append(run.length)
                if len(self._runs) >= self.config.min_runs:
                    self._typical = median(self._runs)

    def _run_limit(self) -> float | None:
        limit = self.config.max_run_s
        if self.config.run_factor is not None and self._typical is not None:
            learned = self.config.run_factor * self._typical
            if limit is None or learned < limit:
                limit = learned
        return limit

    def _take_limit(
        self,
        kind: AnomalyKind,
        hold: _Hold,
        now: float,
        value: float,
        *,
        hit: bool,
        severity: float,
        events: list[Anomaly],
    ) -> None:
        if hold.last is not None and now < hold.last:
            return  # out of order
        config = self.config
        change = hold.step(
            now, hit, value, severity, debounce=config.limit_debounce_s, config=config
        )
        if change == _START:
            low = config.voltage_low
            if kind == "current":
                threshold = config.current_max
            elif low is not None and hold.peak < low:
                threshold = low
            else:
                threshold = config.voltage_high
            # A limit that is None never holds: "or 0.0" only satisfies the type.
            self._start(kind, threshold or 0.0, None, hold, events)
        elif change == _CLEAR:
            self._clear(kind, hold.peak, now, events)

    def _start(
        self,
        kind: AnomalyKind,
        threshold: float,
        baseline: float | None,
        hold: _Hold,
        events: list[Anomaly],
    ) -> None:
        started = hold.since if hold.since is not None else hold.last or 0.0
        anomaly = Anomaly(kind, hold.peak, threshold, baseline, started)
        self._active[kind] = anomaly
        events.append(anomaly)

    def _clear(
        self, kind: AnomalyKind, value: float, now: float, events: list[Anomaly]
    ) -> None:
        anomaly = self._active.pop(kind)
        events.append(replace(anomaly, value=value, active=False, ended=now))

    def end_of_day(
        self, timestamp: float, day: date | str, kwh: float | None = None
    ) -> list[Anomaly]:
        """Close ``day`` with its energy; a ``daily_energy`` start or clear.

        ``timestamp``: when the day ended. ``kwh``: the day's energy, or
        ``None`` for what the detector integrated from power since the last
        call, the last reading's power counted up to ``timestamp``; a ``kwh``
        that is not finite or beyond +-``MAX_READING`` counts as ``None``. The
        integrated energy starts again at 0 either way. The same day closed
        again replaces its total; an earlier day is ignored, and so is a call
        whose ``timestamp`` is not finite.
        """
        if not math.isfinite(timestamp):
            return []
        key = day if isinstance(day, str) else day.isoformat()
        self._integrate_until(timestamp)
        energy = kwh if _real(kwh) else self._kwh
        self._kwh = 0.0
        if self._days and key < self._days[-1][0]:
            return []
        if self._days and key == self._days[-1][0]:
            self._days.pop()
        config = self.config
        events: list[Anomaly] = []
        high, threshold, typical = False, 0.0, 0.0
        if config.daily_factor is not None and len(self._days) >= config.daily_min_days:
            typical = median(total for _, total in self._days)
            threshold = config.daily_factor * typical
            high = energy > threshold and energy >= config.daily_min_kwh
        active = self._active.get("daily_energy")
        if high and active is None:
            anomaly = Anomaly("daily_energy", energy, threshold, typical, timestamp)
            self._active["daily_energy"] = anomaly
            events.append(anomaly)
        elif high and active is not None and energy > active.value:
            self._active["daily_energy"] = replace(active, value=energy)
        elif not high and active is not None:
            self._clear("daily_energy", active.value, timestamp, events)
        self._days.append((key, energy))
        return events

    def reset_energy(self, timestamp: float | None = None) -> None:
        """Forget the energy integrated so far (a partial day, not to be judged).

        ``timestamp``: forget it up to then (the last power held until then).
        """
        if timestamp is not None:
            self._integrate_until(timestamp)
        self._kwh = 0.0

    def _integrate_until(self, timestamp: float) -> None:
        """Count the last reading's power up to ``timestamp`` (within a gap)."""
        last = self._last_time
        if (
            last is not None
            and self._kwh_ahead < timestamp - last <= self.config.max_gap_s
        ):
            self._kwh += (
                self._last_power * (timestamp - last - self._kwh_ahead) / 3_600_000
            )
            self._kwh_ahead = timestamp - last

    def feed(
        self,
        readings: Iterable[ReadingRow],
        *,
        day_of: Callable[[float], date | str] | None = None,
        fill_s: float | None = None,
        until: float | None = None,
    ) -> list[Anomaly]:
        """Run ``update()`` over readings sorted by time; every start and clear.

        Readings are ``(timestamp, power)`` or ``(timestamp, power, voltage,
        current)``. ``day_of`` maps a timestamp to its (local) day: at the
        first reading of a new day the finished day is closed with the
        integrated energy (the interval up to that reading counts to it); the
        first day seen is partial and is not judged. ``fill_s``: the readings
        are a history of changes (as the recorder stores them), each holding
        until the next; it is repeated every ``fill_s`` seconds in between,
        and after the last one until ``until``. A reading with no value at all
        (unavailable) is not repeated.
        """
        events: list[Anomaly] = []
        today: date | str | None = None
        judged = False
        for now, power, voltage, current in _filled(readings, fill_s, until):
            if day_of is not None:
                day = day_of(now)
                if today is not None and day != today:
                    if judged:
                        events += self.end_of_day(now, today)
                    else:
                        self.reset_energy(now)
                    judged = True
                today = day
            events += self.update(now, power, voltage, current)
        return events

    def as_dict(self) -> dict[str, Any]:
        """The whole state as JSON-able data (not the configuration)."""
        return {
            "version": STATE_VERSION,
            "baseline": asdict(self._baseline),
            "power": {
                "last": self._last_time,
                "value": self._last_power,
                "kwh": self._kwh,
                "kwh_ahead": self._kwh_ahead,
            },
            "spike": asdict(self._spike),
            "voltage": asdict(self._voltage),
            "current": asdict(self._current),
            "run": None if self._run is None else asdict(self._run),
            "runs": list(self._runs),
            "days": [[day, total] for day, total in self._days],
            "active": {kind: asdict(a) for kind, a in self._active.items()},
        }

    def _load(self, state: Mapping[str, Any]) -> None:
        baseline = _parse(_Baseline, state.get("baseline"))
        if baseline is not None:
            self._baseline = baseline
        try:
            power = state["power"]
            last, value, kwh = power["last"], _num(power["value"]), _num(power["kwh"])
            ahead = _num(power.get("kwh_ahead", 0.0))
            self._last_time = None if last is None else _num(last)
            self._last_power, self._kwh, self._kwh_ahead = value, kwh, ahead
        except KeyError, TypeError, ValueError:
            pass
        self._spike = _parse(_Hold, state.get("spike")) or _Hold()
        self._voltage = _parse(_Hold, state.get("voltage")) or _Hold()
        self._current = _parse(_Hold, state.get("current")) or _Hold()
        self._run = _parse(_Run, state.get("run"))
        try:
            self._runs.extend(_num(length) for length in state["runs"])
        except KeyError, TypeError, ValueError:
            self._runs.clear()
        if len(self._runs) >= self.config.min_runs:
            self._typical = median(self._runs)
        try:
            self._days.extend((str(day), _num(total)) for day, total in state["days"])
        except KeyError, TypeError, ValueError:
            self._days.clear()
        active = state.get("active")
        for kind, data in (active if isinstance(active, Mapping) else {}).items():
            anomaly = _parse(Anomaly, data)
            if kind in KINDS and anomaly is not None and anomaly.kind == kind:
                self._active[kind] = anomaly
        # An active anomaly whose episode the state lost cannot clear: drop it.
        for kind, hold in self._holds():
            if not hold.active:
                self._active.pop(kind, None)
            elif kind not in self._active:
                hold.active = False  # nothing to clear: the episode starts again
                hold.since = hold.clear_since = None
        if self._run is None:
            self._active.pop("long_run", None)


def replay(
    readings: Iterable[ReadingRow],
    config: DetectorConfig | None = None,
    *,
    state: Mapping[str, Any] | None = None,
    day_of: Callable[[float], date | str] | None = None,
    fill_s: float | None = None,
    until: float | None = None,
) -> list[Anomaly]:
    """The anomalies in a history, one per episode, in the order they started.

    A fresh detector (or one carrying on from ``state``) is fed the readings
    as ``Detector.feed()`` does (see there for ``day_of``, ``fill_s`` and
    ``until``). An episode that cleared is reported as it cleared (``active``
    false, ``ended`` set); one still active at the end as it stands.
    """
    detector = Detector(config, state)
    events = detector.feed(readings, day_of=day_of, fill_s=fill_s, until=until)
    episodes: list[Anomaly] = []
    open_at: dict[AnomalyKind, int] = {}
    for event in events:
        if event.active:
            open_at[event.kind] = len(episodes)
            episodes.append(event)
        elif (index := open_at.pop(event.kind, None)) is not None:
            episodes[index] = event
        else:
            episodes.append(event)  # started before the history (from ``state``)
    active = detector.active
    for kind, index in open_at.items():
        episodes[index] = active[kind]
    return episodes


def _filled(
    readings: Iterable[ReadingRow], fill_s: float | None, until: float | None
) -> Iterator[tuple[float, float | None, float | None, float | None]]:
    """The readings as 4-tuples, each repeated every ``fill_s`` until the next."""
    held: tuple[float, float | None, float | None, float | None] | None = None
    for row in readings:
        reading = (row[0], row[1], None, None) if len(row) == 2 else row
        if held is not None and fill_s:
            yield from _repeat(held, reading[0], fill_s, last=False)
        yield reading
        held = reading
    if held is not None and fill_s and until is not None:
        yield from _repeat(held, until, fill_s, last=True)


def _repeat(
    held: tuple[float, float | None, float | None, float | None],
    end: float,
    fill_s: float,
    *,
    last: bool,
) -> Iterator[tuple[float, float | None, float | None, float | None]]:
    """``held`` again every ``fill_s`` before ``end`` (up to it if ``last``)."""
    if held[1] is None and held[2] is None and held[3] is None:
        return
    step = 1
    while (now := held[0] + step * fill_s) < end or (last and now == end):
        yield (now, held[1], held[2], held[3])
        step += 1


def _real(value: float | None) -> TypeGuard[float]:
    """A reading to take: a number within +-``MAX_READING`` (not None, NaN, inf)."""
    return value is not None and abs(value) <= MAX_READING


def _num(value: object) -> float:
    """A stored finite number; anything else is a ``TypeError``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(value)
    try:
        number = float(value)
    except OverflowError:  # an int too large for a float
        raise TypeError(value) from None
    if not math.isfinite(number):
        raise TypeError(value)
    return number


def _field(annotation: str, value: object) -> Any:  # checked, of the field's type
    """A stored field checked against its annotation; ``TypeError`` if wrong."""
    if annotation == "bool":
        if not isinstance(value, bool):
            raise TypeError(value)
        return value
    if annotation == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(value)
        return value
    if annotation == "list[float]":
        if not isinstance(value, list):
            raise TypeError(value)
        return [_num(item) for item in value]
    if annotation == "AnomalyKind":
        if value not in KINDS:
            raise TypeError(value)
        return value
    if value is None and annotation.endswith("| None"):
        return None
    return _num(value)


def _parse[T: (_Baseline, _Hold, _Run, Anomaly)](
    cls: type[T], data: object
) -> T | None:
    """A state dataclass from its ``asdict()`` form; ``None`` if unreadable.

    A missing field takes its default (``as_dict()`` of an older build).
    """
    if not isinstance(data, Mapping):
        return None
    try:
        return cls(
            **{
                item.name: _field(str(item.type), data[item.name])
                for item in fields(cls)
                if item.name in data
            }
        )
    except TypeError:
        return None
