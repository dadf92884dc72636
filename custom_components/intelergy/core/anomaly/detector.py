"""The detector of one power stream, and a history replayed through one."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import UTC, date, tzinfo
import math
from typing import Any

from .hourofweek import Week, hour_of_week
from .model import Anomaly, AnomalyKind, DetectorConfig
from .readings import ReadingRow, filled, real
from .rules import CLEAR, START, limit_crossed, voltage_outside
from .state import State


class Detector:
    """Every anomaly detector for one power stream, fed reading by reading."""

    __slots__ = ("_rate", "_state", "_tz", "config")

    def __init__(
        self,
        config: DetectorConfig | None = None,
        state: Mapping[str, Any] | None = None,
        tz: tzinfo | None = None,
    ) -> None:
        """Start learning, or carry on from ``as_dict()`` output.

        An unreadable part of ``state`` starts again on its own; a state of
        another version is ignored. ``tz``: the local time of the hours of the
        week (``unusual_time``); UTC if not given.
        """
        self.config = config or DetectorConfig()
        self._tz = tz or UTC
        self._rate = math.log(2) / self.config.learn_halflife_s
        self._state = State(self.config, state)

    @classmethod
    def from_dict(
        cls, state: Mapping[str, Any], config: DetectorConfig | None = None
    ) -> Detector:
        """A detector carrying on from ``as_dict()`` output."""
        return cls(config, state)

    def as_dict(self) -> dict[str, Any]:
        """The whole state as JSON-able data (not the configuration)."""
        return self._state.as_dict()

    @property
    def baseline(self) -> float | None:
        """The learned "on" power (W); ``None`` during the cold start."""
        baseline = self._state.baseline
        return baseline.level if baseline.ready else None

    @property
    def typical_run_s(self) -> float | None:
        """The median of the last completed runs (s); ``None`` until ``min_runs``."""
        return self._state.runs.typical

    @property
    def standby(self) -> float | None:
        """The standby ("always on") power (W); ``None`` during its cold start."""
        return self._state.standby.watts(self.config.standby_min_hours)

    def usual_share(self, timestamp: float) -> float | None:
        """The learned share of ``timestamp``'s hour of the week the device is on.

        ``None`` while the unusual-time check is off or that hour was never seen.
        """
        week = self._state.week
        if week is None or not math.isfinite(timestamp):
            return None
        index = hour_of_week(timestamp, self._tz)
        return week.usual[index] if week.seen[index] else None

    @property
    def energy_kwh(self) -> float:
        """The energy integrated from power since the last ``end_of_day()``."""
        return self._state.energy.kwh

    @property
    def active(self) -> dict[AnomalyKind, Anomaly]:
        """The active anomalies by kind, with the episode's peak so far."""
        result = dict(self._state.episodes.active)
        for kind, hold in self._state.holds():
            if kind in result:
                result[kind] = replace(result[kind], value=hold.peak)
        run = self._state.runs.current
        if "long_run" in result and run is not None:
            result["long_run"] = replace(result["long_run"], value=run.length)
        return result

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
        a value beyond +-``MAX_READING`` (see the package); a timestamp that is
        not finite skips the whole reading. Power at or below ``idle_watts``
        (also negative) is idle. A reading older than the last one of the same
        quantity is ignored.
        """
        events: list[Anomaly] = []
        if not math.isfinite(timestamp):
            return events
        if real(power):
            self._take_power(timestamp, power, events)
        config = self.config
        if real(voltage):
            severity = voltage_outside(voltage, config)
            self._take_limit(
                "voltage", timestamp, voltage, severity, hit=severity > 0, events=events
            )
        if real(current) and config.current_max is not None:
            hit = current > config.current_max
            self._take_limit(
                "current", timestamp, current, current, hit=hit, events=events
            )
        return events

    def _take_power(self, now: float, power: float, events: list[Anomaly]) -> None:
        config, state = self.config, self._state
        step = state.energy.take(now, power, config.max_gap_s)
        if step is None:
            return  # out of order
        dt, gap = step
        baseline, spike, episodes = state.baseline, state.spike, state.episodes
        # The spike, judged by the baseline before this reading is learned.
        if baseline.ready:
            threshold = max(config.k * baseline.level, config.min_watts)
            hit = power > config.k * baseline.level and power >= config.min_watts
            change = spike.step(
                now, hit, power, power, debounce=config.debounce_s, config=config
            )
            if change == START:
                episodes.start("spike", spike, threshold, baseline.level, events)
            elif change == CLEAR:
                episodes.clear("spike", spike.peak, now, events)
        else:
            spike.last = now
        on = power > config.idle_watts
        state.standby.take(now, power, config.standby_hours)
        if (week := state.week) is not None:
            self._take_week(week, now, power, on=on, step=step, events=events)
        if on:
            weight = -math.expm1(-min(dt, config.max_gap_s) * self._rate)
            baseline.learn(now, power, weight, config)
        state.runs.step(now, on, dt, gap, episodes=episodes, events=events)

    def _take_week(
        self,
        week: Week,
        now: float,
        power: float,
        *,
        on: bool,
        step: tuple[float, bool],
        events: list[Anomaly],
    ) -> None:
        """The hour-of-week profile learns; an ``unusual_time`` start or clear."""
        config, state = self.config, self._state
        week.take(now, on, step, config, self._tz)
        hold = state.unusual
        change = hold.step(
            now,
            on and week.unusual,
            power,
            power,
            debounce=config.unusual_debounce_s,
            config=config,
            clear=config.unusual_clear_s,
        )
        if change == START:
            usual = week.judge(week.index, config)
            state.episodes.start(
                "unusual_time", hold, config.unusual_fraction, usual, events
            )
        elif change == CLEAR:
            state.episodes.clear("unusual_time", hold.peak, now, events)

    def _take_limit(
        self,
        kind: AnomalyKind,
        now: float,
        value: float,
        severity: float,
        *,
        hit: bool,
        events: list[Anomaly],
    ) -> None:
        state, config = self._state, self.config
        hold = state.voltage if kind == "voltage" else state.current
        if hold.last is not None and now < hold.last:
            return  # out of order
        change = hold.step(
            now, hit, value, severity, debounce=config.limit_debounce_s, config=config
        )
        if change == START:
            threshold = limit_crossed(kind, hold.peak, config)
            state.episodes.start(kind, hold, threshold, None, events)
        elif change == CLEAR:
            state.episodes.clear(kind, hold.peak, now, events)

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
        state = self._state
        integrated = state.energy.reset(timestamp, self.config.max_gap_s)
        events: list[Anomaly] = []
        energy = kwh if real(kwh) else integrated
        state.days.close(key, energy, timestamp, episodes=state.episodes, events=events)
        return events

    def reset_energy(self, timestamp: float | None = None) -> None:
        """Forget the energy integrated so far (a partial day, not to be judged).

        ``timestamp``: forget it up to then (the last power held until then).
        """
        self._state.energy.reset(timestamp, self.config.max_gap_s)

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
        for now, power, voltage, current in filled(readings, fill_s, until):
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


def replay(
    readings: Iterable[ReadingRow],
    config: DetectorConfig | None = None,
    *,
    state: Mapping[str, Any] | None = None,
    day_of: Callable[[float], date | str] | None = None,
    fill_s: float | None = None,
    until: float | None = None,
    tz: tzinfo | None = None,
) -> list[Anomaly]:
    """The anomalies in a history, one per episode, in the order they started.

    A fresh detector (or one carrying on from ``state``) is fed the readings
    as ``Detector.feed()`` does (see there for ``day_of``, ``fill_s`` and
    ``until``; ``tz``: the local time of the hours of the week). An episode that cleared is reported as it cleared (``active``
    false, ``ended`` set); one still active at the end as it stands.
    """
    detector = Detector(config, state, tz)
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
