"""Anomaly detectors on synthetic traces whose answers are known."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
import json
import math
import random
from typing import Any

import pytest

from custom_components.intelergy.core.anomaly import (
    Anomaly,
    Detector,
    DetectorConfig,
    replay,
)

T0 = 1795392000.0  # 2026-11-23T00:00:00Z
DAY = 86_400.0
HOUR = 3600.0

type Row = tuple[float, float | None, float | None, float | None]


def utc_day(timestamp: float) -> date:
    """The UTC day of a timestamp (the tests' ``day_of``)."""
    return datetime.fromtimestamp(timestamp, UTC).date()


def seeded(seed: int) -> random.Random:
    """A reproducible generator for the traces' noise."""
    return random.Random(seed)  # noqa: S311 (noise, not crypto)


def steady(
    start: float,
    seconds: float,
    watts: float,
    *,
    step: float = 1.0,
    noise: float = 2.0,
    seed: int = 0,
) -> list[Row]:
    """``watts`` (plus noise) every ``step`` seconds for ``seconds``; 230 V."""
    rng = seeded(seed)
    return [
        (start + i * step, max(0.0, watts + rng.gauss(0.0, noise)), 230.0, None)
        for i in range(round(seconds / step))
    ]


def fridge(
    start: float,
    seconds: float,
    *,
    step: float = 5.0,
    seed: int = 1,
    open_door_at: float | None = None,
) -> list[Row]:
    """A fridge: ~120 W for ~15 min (a 350 W inrush first), ~0.8 W for ~30 min.

    Cycle lengths vary by up to a minute. ``open_door_at``: the cycle starting
    after that time runs for two hours.
    """
    rng = seeded(seed)
    rows: list[Row] = []
    edges: list[tuple[float, float]] = []  # (on from, off from)
    t = start
    while t < start + seconds:
        on = 900.0 + rng.uniform(-60, 60)
        if open_door_at is not None and t >= open_door_at:
            on, open_door_at = 2 * HOUR, None
        edges.append((t, t + on))
        t += on + 1800.0 + rng.uniform(-60, 60)
    index = 0
    for i in range(round(seconds / step)):
        now = start + i * step
        while index + 1 < len(edges) and now >= edges[index + 1][0]:
            index += 1
        on_from, off_from = edges[index]
        if on_from <= now < off_from:
            power = 350.0 if now - on_from < step else 120.0 + rng.gauss(0.0, 2.0)
        else:
            power = 0.8
        voltage = 230.0 + rng.gauss(0.0, 1.5)
        rows.append((now, power, voltage, power / voltage))
    return rows


def timeline(detector: Detector, rows: Iterable[Row]) -> list[tuple[float, Anomaly]]:
    """Every start and clear with the timestamp of the reading that reported it."""
    return [(row[0], event) for row in rows for event in detector.update(*row)]


def learned(config: DetectorConfig | None = None, watts: float = 150.0) -> Detector:
    """A detector that learned ``watts`` for two hours (1 s readings) from T0."""
    detector = Detector(config)
    assert detector.feed(steady(T0, 2 * HOUR, watts)) == []
    assert detector.baseline == pytest.approx(watts, abs=1.0)
    return detector


def test_fridge_cycling_all_day_raises_nothing() -> None:
    detector = Detector()
    assert detector.feed(fridge(T0, DAY)) == []
    assert detector.active == {}
    assert detector.baseline == pytest.approx(120.0, abs=1.0)  # inrush, idle ignored
    assert detector.typical_run_s == pytest.approx(900.0, abs=60.0)
    # 32 cycles of ~15 min at ~120 W (+ one inrush reading each): ~0.97 kWh.
    assert detector.energy_kwh == pytest.approx(0.97, abs=0.05)


def test_baseline_ignores_idle_readings_and_resists_outliers() -> None:
    rng = seeded(3)
    detector = Detector()
    rows: list[Row] = []
    for i in range(20_000):
        if i % 3 == 0:
            power = 0.0  # idle: not learned
        elif rng.random() < 0.05:
            power = 3000.0  # 5 % wild readings (never sustained)
        else:
            power = 150.0 + rng.gauss(0.0, 5.0)
        rows.append((T0 + i * 5, power, None, None))
    assert detector.feed(rows) == []
    assert detector.baseline == pytest.approx(150.0, abs=3.0)


def test_the_seed_claim_75_w_alerts_above_150_w() -> None:
    config = DetectorConfig()  # the defaults: k = 2, min_watts = 100
    detector = learned(config, watts=75.0)
    start = T0 + 2 * HOUR
    near = steady(start, 120, 145.0, noise=0.5)  # just under 2 x 75 W
    assert detector.feed(near) == []
    events = timeline(detector, steady(start + 120, 120, 160.0, noise=0.5))
    assert [(when, event.kind) for when, event in events] == [(start + 150, "spike")]
    assert events[0][1].threshold == pytest.approx(150.0, abs=2.0)
    assert events[0][1].baseline == pytest.approx(75.0, abs=1.0)


def test_kettle_blip_is_debounced_and_a_boil_is_not() -> None:
    detector = learned(DetectorConfig(debounce_s=30.0, clear_s=30.0))
    blip = T0 + 2 * HOUR
    assert detector.feed(steady(blip, 5, 2150.0, seed=4)) == []  # 5 s: never 30 s
    assert detector.feed(steady(blip + 5, 95, 150.0, seed=5)) == []
    boil = blip + 100
    rows = steady(boil, 180, 2150.0, seed=6) + steady(boil + 180, 120, 150.0, seed=7)
    events = timeline(detector, rows)
    assert [(when, event.kind, event.active) for when, event in events] == [
        (boil + 30, "spike", True),  # sustained for 30 s
        (boil + 210, "spike", False),  # below the threshold for 30 s
    ]
    started, cleared = events[0][1], events[1][1]
    assert started.started == cleared.started == boil  # when it crossed
    assert started.threshold == pytest.approx(300.0, abs=2.0)
    assert started.baseline == pytest.approx(150.0, abs=1.0)
    assert started.value > 2140.0
    assert cleared.value >= started.value  # the peak of the whole boil
    assert cleared.ended == boil + 210
    # Three minutes of kettle barely move the baseline.
    assert detector.baseline == pytest.approx(150.0, abs=1.0)


def test_no_spike_before_the_baseline_has_enough_data() -> None:
    config = DetectorConfig(warmup_readings=30, warmup_s=HOUR)
    detector = Detector(config)
    # Plenty of readings, but spanning 50 minutes: still cold.
    assert detector.feed(steady(T0, 50 * 60, 150.0)) == []
    assert detector.baseline is None
    assert detector.feed(steady(T0 + 50 * 60, 300, 2000.0)) == []  # no spike
    assert detector.feed(steady(T0 + 55 * 60, 300, 150.0)) == []
    assert detector.baseline is None
    detector.update(T0 + HOUR, 150.0)  # one hour since the first "on" reading
    assert detector.baseline == pytest.approx(150.0, abs=2.0)
    events = detector.feed(steady(T0 + HOUR + 1, 300, 2000.0))
    assert [event.kind for event in events] == ["spike"]


def test_cold_start_also_needs_enough_readings() -> None:
    detector = Detector(DetectorConfig(warmup_readings=30, warmup_s=HOUR))
    # One "on" reading every 10 minutes for 4 hours: 25 readings.
    rows: list[Row] = [(T0 + i * 600, 150.0, None, None) for i in range(25)]
    assert detector.feed(rows) == []
    assert detector.baseline is None
    detector.feed([(T0 + i * 600, 150.0, None, None) for i in range(25, 30)])
    assert detector.baseline == 150.0


def test_heater_stuck_on_past_max_run() -> None:
    config = DetectorConfig(max_run_s=4 * HOUR, run_factor=None, off_s=60.0)
    detector = Detector(config)
    start = T0 + 600
    rows = (
        steady(T0, 600, 0.0, step=10, noise=0)
        + steady(start, 10 * HOUR, 2000.0, step=10, seed=8)
        + steady(start + 10 * HOUR, 600, 0.0, step=10, noise=0)
    )
    events = timeline(detector, rows)
    assert [(when, event.kind, event.active) for when, event in events] == [
        (start + 4 * HOUR + 10, "long_run", True),  # first reading past 4 h
        (start + 10 * HOUR + 60, "long_run", False),  # off for off_s
    ]
    begun, ended = events[0][1], events[1][1]
    assert (begun.value, begun.threshold, begun.baseline) == (
        4 * HOUR + 10,
        4 * HOUR,
        None,
    )
    assert begun.started == start + 4 * HOUR + 10
    assert ended.value == 10 * HOUR - 10  # up to the last "on" reading
    assert ended.ended == start + 10 * HOUR + 60


def test_heater_stuck_on_past_its_learned_run_length() -> None:
    detector = Detector(DetectorConfig(run_factor=3.0, min_runs=5))
    rows: list[Row] = []
    for cycle in range(6):  # the thermostat: 20 min on, 40 off
        at = T0 + cycle * HOUR
        rows += steady(at, 1200, 2000.0, step=10, seed=cycle)
        rows += steady(at + 1200, 2400, 0.0, step=10, noise=0)
    assert detector.feed(rows) == []
    assert detector.typical_run_s == 1190.0  # readings 0..1190 s of each run
    stuck = T0 + 6 * HOUR
    events = timeline(detector, steady(stuck, 10 * HOUR, 2000.0, step=10, seed=9))
    assert len(events) == 1
    when, event = events[0]
    assert when == stuck + 3580  # the first reading past 3 x 1190 s
    assert (event.kind, event.threshold, event.baseline) == ("long_run", 3570, 1190)
    assert detector.active["long_run"].value == 10 * HOUR - 10
    # The stuck run is not learned as a typical run.
    detector.feed(steady(stuck + 10 * HOUR, 600, 0.0, step=10, noise=0))
    assert detector.typical_run_s == 1190.0
    assert detector.active == {}


@pytest.mark.parametrize(("max_run_s", "alert_after"), [(3000, 3010), (5000, 3580)])
def test_the_shorter_of_the_two_run_limits_applies(
    max_run_s: float, alert_after: float
) -> None:
    detector = Detector(DetectorConfig(max_run_s=max_run_s, run_factor=3.0))
    rows: list[Row] = []
    for cycle in range(5):  # typical run 1190 s: 3570 s learned
        rows += steady(T0 + cycle * HOUR, 1200, 2000.0, step=10, seed=cycle)
        rows += steady(T0 + cycle * HOUR + 1200, 2400, 0.0, step=10, noise=0)
    stuck = T0 + 5 * HOUR
    events = timeline(detector, rows + steady(stuck, 2 * HOUR, 2000.0, step=10))
    assert [when - stuck for when, _ in events] == [alert_after]
    assert events[0][1].threshold == min(max_run_s, 3570)


def test_a_single_reading_is_no_run_to_learn_from() -> None:
    detector = Detector()
    rows: list[Row] = [(T0 + i * 10, 0.0, None, None) for i in range(10)]
    rows.append((T0 + 100, 50.0, None, None))  # one reading on: length 0
    rows += [(T0 + 110 + i * 10, 0.0, None, None) for i in range(10)]
    assert detector.feed(rows) == []
    state = detector.as_dict()
    assert (state["run"], state["runs"]) == (None, [])


def test_fridge_door_left_open_runs_too_long() -> None:
    detector = Detector()
    door = T0 + 12 * HOUR
    events = timeline(detector, fridge(T0, DAY, open_door_at=door))
    assert [(event.kind, event.active) for _, event in events] == [
        ("long_run", True),
        ("long_run", False),
    ]
    assert events[0][1].threshold == pytest.approx(3 * 900, abs=180)
    assert events[1][1].value == pytest.approx(2 * HOUR, abs=10)


def test_brown_out_and_over_voltage() -> None:
    config = DetectorConfig(voltage_low=200.0, voltage_high=250.0)
    detector = Detector(config)
    sag = T0 + 60
    rows: list[Row] = [(T0 + i, None, 230.0, None) for i in range(60)]
    rows.append((sag, None, 180.0, None))  # one reading: not sustained
    rows += [(sag + i, None, 230.0, None) for i in range(1, 60)]
    rows += [(sag + 60 + i, None, 178.0 if i == 5 else 180.0, None) for i in range(120)]
    rows += [(sag + 180 + i, None, 230.0, None) for i in range(60)]
    surge = sag + 240
    rows += [(surge + i, None, 262.0, None) for i in range(30)]
    rows += [(surge + 30 + i, None, 231.0, None) for i in range(60)]
    events = timeline(detector, rows)
    assert [(when, event.active, event.threshold) for when, event in events] == [
        (sag + 70, True, 200.0),  # 10 s below 200 V
        (sag + 210, False, 200.0),  # back in range for 30 s
        (surge + 10, True, 250.0),
        (surge + 60, False, 250.0),
    ]
    assert {event.kind for _, event in events} == {"voltage"}
    assert events[0][1].started == sag + 60
    assert events[1][1].value == 178.0  # the lowest
    assert events[3][1].value == 262.0


def test_over_current() -> None:
    detector = Detector(DetectorConfig(current_max=16.0))
    rows: list[Row] = [(T0 + i, 3000.0, 230.0, 13.0) for i in range(60)]
    rows += [(T0 + 60 + i, 4500.0, 230.0, 19.0 + i / 100) for i in range(60)]
    rows += [(T0 + 120 + i, 3000.0, 230.0, 13.0) for i in range(60)]
    events = timeline(detector, rows)
    assert [(when, event.kind, event.active) for when, event in events] == [
        (T0 + 70, "current", True),
        (T0 + 150, "current", False),
    ]
    assert events[1][1].value == pytest.approx(19.59)
    assert events[1][1].threshold == 16.0


def test_limits_can_be_turned_off() -> None:
    config = DetectorConfig(
        voltage_low=None, voltage_high=None, current_max=None, daily_factor=None
    )
    detector = Detector(config)
    rows: list[Row] = [(T0 + i, 100.0, 120.0 + i, 99.0) for i in range(300)]
    assert detector.feed(rows) == []
    for day in range(20):
        assert (
            detector.end_of_day(T0 + day * DAY, f"2026-11-{day + 1:02d}", 1 + day) == []
        )
    only_high = Detector(DetectorConfig(voltage_low=None, voltage_high=250.0))
    rows = [(T0 + i, None, 100.0 if i < 60 else 260.0, None) for i in range(120)]
    assert [e.threshold for e in only_high.feed(rows)] == [250.0]


def test_dropouts_and_unavailable_states_raise_nothing() -> None:
    rng = seeded(10)
    rows: list[Row] = []
    for now, power, voltage, current in fridge(T0, DAY):
        if T0 + 5 * HOUR <= now < T0 + 5 * HOUR + 1500:
            rows.append((now, None, None, None))  # 25 min unavailable
        elif rng.random() < 0.1:
            rows.append((now, None, None, None))  # dropouts
        elif rng.random() < 0.01:
            rows.append((now, math.nan, math.inf, math.nan))
        else:
            rows.append((now, power, voltage, current))
    detector = Detector()
    assert detector.feed(rows) == []
    assert detector.typical_run_s == pytest.approx(900.0, abs=60.0)


def test_dropouts_do_not_flap_an_active_spike() -> None:
    detector = learned()
    boil = T0 + 2 * HOUR
    rows = steady(boil, 300, 2150.0) + steady(boil + 300, 120, 150.0)
    # Every third reading unavailable, and one whole minute.
    rows = [
        (row[0], None, None, None)
        if i % 3 == 0 or boil + 100 <= row[0] < boil + 160
        else row
        for i, row in enumerate(rows)
    ]
    events = timeline(detector, rows)
    assert [(when, event.active) for when, event in events] == [
        (boil + 31, True),  # reading boil + 30 was unavailable
        (boil + 331, False),
    ]
    assert events[0][1].started == boil + 1


def test_unavailable_is_not_off_and_a_long_gap_does_not_end_the_run() -> None:
    config = DetectorConfig(max_run_s=HOUR, run_factor=None, off_s=60.0, max_gap_s=300)
    detector = Detector(config)
    start = T0
    rows = steady(start, 600, 2000.0, step=10)
    # Two minutes unavailable (longer than off_s): not off, and counted.
    rows += [(start + 600 + i * 10, None, None, None) for i in range(12)]
    rows += steady(start + 720, 480, 2000.0, step=10)
    # Ten minutes unavailable (longer than max_gap_s): a gap, not counted.
    rows += [(start + 1200 + i * 10, None, None, None) for i in range(60)]
    rows += steady(start + 1800, 4 * HOUR, 2000.0, step=10)
    rows += steady(start + 1800 + 4 * HOUR, 600, 0.0, step=10, noise=0)
    events = timeline(detector, rows)
    # Observed on-time: 1190 s before the gap, then 10 s a reading after it.
    assert [(when, event.active) for when, event in events] == [
        (start + 1800 + 2420, True),  # 1190 + 2420 = 3610 s > 1 h
        (start + 1800 + 4 * HOUR + 60, False),  # one clear, no restart
    ]


def test_a_gap_restarts_a_pending_debounce_but_a_short_dropout_does_not() -> None:
    detector = learned(DetectorConfig(debounce_s=30.0, max_gap_s=300.0))
    spike = T0 + 2 * HOUR
    rows = steady(spike, 20, 2000.0)  # 20 s: pending
    after = spike + 20 + 600  # ten minutes without any reading
    rows += steady(after, 60, 2000.0)
    events = timeline(detector, rows)
    assert [(when, event.started) for when, event in events] == [(after + 30, after)]
    # A dropout of 4 minutes (< max_gap_s) is not a gap: the debounce carries on.
    detector = learned(DetectorConfig(debounce_s=30.0, max_gap_s=300.0))
    rows = steady(spike, 20, 2000.0) + steady(spike + 260, 60, 2000.0)
    events = timeline(detector, rows)
    assert [(when, event.started) for when, event in events] == [(spike + 260, spike)]


def test_the_run_timer_pauses_over_a_gap() -> None:
    config = DetectorConfig(max_run_s=HOUR, run_factor=None, max_gap_s=300.0)
    detector = Detector(config)
    start = T0
    rows = steady(start, 2400, 2000.0, step=10)  # 40 min: on_s 2390 s
    resume = start + 2400 + 1800  # 30 min without readings
    rows += steady(resume, 1800, 2000.0, step=10)
    events = timeline(detector, rows)
    # The gap is not counted: 2390 + 1220 s > 1 h at resume + 1220.
    assert [when for when, _ in events] == [resume + 1220]
    # The run is finished, but a run with a gap is no sample of the run length.
    detector.feed(steady(resume + 1800, 600, 0.0, step=10, noise=0))
    assert detector.active == {}
    assert detector.as_dict()["runs"] == []


def test_idle_after_a_gap_ends_the_run_off_s_later() -> None:
    detector = Detector(DetectorConfig(off_s=60.0, max_gap_s=300.0))
    detector.feed(steady(T0, 600, 100.0, step=10))
    detector.update(T0 + 600, 0.0)  # idle: the run may be ending
    detector.update(T0 + 1200, 0.0)  # after a gap: the off timer starts again
    assert detector.as_dict()["run"] is not None
    detector.update(T0 + 1260, 0.0)
    assert detector.as_dict()["run"] is None
    assert detector.as_dict()["runs"] == [590.0]


def test_out_of_order_readings_are_ignored() -> None:
    detector = learned()
    detector.update(T0 + 2 * HOUR, 150.0, 230.0, 0.7)
    before = detector.as_dict()
    assert detector.update(T0, 5000.0, 100.0, 40.0) == []
    assert detector.as_dict() == before


def test_daily_energy_above_factor_times_the_median_of_14_days() -> None:
    config = DetectorConfig(daily_factor=1.5, daily_days=14, daily_min_days=7)
    detector = Detector(config)
    totals = [2.0, 2.2, 1.8, 2.1, 1.9, 2.0, 2.3, 1.7, 2.0, 2.4, 1.6, 2.0, 2.05, 1.95]
    # A week of history first: no judgement before daily_min_days.
    for day, kwh in enumerate(totals):
        end = T0 + (day + 1) * DAY
        assert detector.end_of_day(end, utc_day(end - 1), kwh) == []
    assert len(detector.as_dict()["days"]) == 14
    end = T0 + 15 * DAY
    (event,) = detector.end_of_day(end, utc_day(end - 1), 3.5)
    assert (event.kind, event.value, event.active) == ("daily_energy", 3.5, True)
    assert event.baseline == 2.0  # the median of the 14 days
    assert event.threshold == 3.0
    assert event.started == end
    # Kept at 14: the oldest day went.
    assert len(detector.as_dict()["days"]) == 14
    assert detector.as_dict()["days"][-1] == ["2026-12-07", 3.5]
    # Another high day keeps the episode (no flapping), with its peak.
    assert detector.end_of_day(end + DAY, "2026-12-08", 3.8) == []
    assert detector.active["daily_energy"].value == 3.8
    (cleared,) = detector.end_of_day(end + 2 * DAY, "2026-12-09", 2.1)
    assert (cleared.active, cleared.value, cleared.ended) == (False, 3.8, end + 2 * DAY)
    assert cleared.started == end


def test_daily_check_needs_enough_days_and_a_minimum() -> None:
    detector = Detector(DetectorConfig(daily_min_days=7, daily_min_kwh=0.1))
    for day in range(6):
        detector.end_of_day(T0 + day * DAY, f"2026-11-{day + 1:02d}", 2.0)
    assert detector.end_of_day(T0 + 6 * DAY, "2026-11-07", 50.0) == []  # 6 days only
    tiny = Detector(DetectorConfig(daily_min_days=1, daily_min_kwh=0.1))
    tiny.end_of_day(T0, "2026-11-01", 0.01)
    assert tiny.end_of_day(T0 + DAY, "2026-11-02", 0.09) == []  # 9 x, but < 0.1 kWh


def test_a_day_closed_again_replaces_it_and_an_earlier_day_is_ignored() -> None:
    detector = Detector(DetectorConfig(daily_min_days=1))
    detector.end_of_day(T0, "2026-11-01", 2.0)
    assert [e.kind for e in detector.end_of_day(T0 + DAY, "2026-11-02", 9.0)] == [
        "daily_energy"
    ]
    # A restart closes the same day again, with the right total: it clears.
    (cleared,) = detector.end_of_day(T0 + DAY + 60, "2026-11-02", 2.5)
    assert not cleared.active
    assert detector.as_dict()["days"] == [["2026-11-01", 2.0], ["2026-11-02", 2.5]]
    assert detector.end_of_day(T0, date(2026, 10, 31), 99.0) == []
    assert detector.as_dict()["days"] == [["2026-11-01", 2.0], ["2026-11-02", 2.5]]


def test_daily_energy_integrated_from_power_in_a_replay() -> None:
    start = T0 + 12 * HOUR  # day 0 is partial: not judged
    rows: list[Row] = [
        (start + i * 60, 100.0 if i * 60 < 9 * DAY - 12 * HOUR else 180.0, None, None)
        for i in range(round((10 * DAY - 12 * HOUR + 600) / 60))
    ]
    # Days 1-8 at 100 W (2.4 kWh), day 9 at 180 W (4.32 kWh > 1.5 x 2.4).
    episodes = replay(rows, DetectorConfig(daily_min_days=7), day_of=utc_day)
    assert len(episodes) == 1
    (event,) = episodes
    assert event.kind == "daily_energy"
    assert event.active
    assert event.value == pytest.approx(4.32)
    assert event.baseline == pytest.approx(2.4)
    assert event.threshold == pytest.approx(3.6)
    assert event.started == T0 + 10 * DAY
    detector = Detector(DetectorConfig(daily_min_days=7))
    detector.feed(rows, day_of=utc_day)
    assert [round(total, 6) for _, total in detector.as_dict()["days"]] == [2.4] * 8 + [
        4.32
    ]
    # Day 10: readings at 00:00 ... 00:09, nine minutes so far.
    assert detector.energy_kwh == pytest.approx(180 * 540 / 3_600_000)
    detector.reset_energy()
    assert detector.energy_kwh == 0.0


def household(seed: int = 11) -> list[Row]:
    """Two days of a fridge plug (10 s readings) with one of every anomaly.

    Day 0 (~1.5 kWh with a 15 minute heater) is high, day 1 (~1.15 kWh) is not.
    """
    rows = fridge(T0, 2 * DAY + 600, step=10.0, seed=seed, open_door_at=T0 + 26 * HOUR)
    rng = seeded(seed)
    result: list[Row] = []
    for now, fridge_w, volts, amps in rows:
        hour = (now - T0) / HOUR
        power = 2120.0 + rng.gauss(0, 10) if 20 <= hour < 20.25 else fridge_w  # heater
        voltage = 185.0 if 30 <= hour < 30.05 else volts  # brown-out
        current = 18.0 if 34 <= hour < 34 + 1 / 60 else amps  # over-current
        if 38 <= hour < 38 + 1 / 3 or rng.random() < 0.05:
            power = voltage = current = None  # outage, dropouts
        result.append((now, power, voltage, current))
    return result


HOUSEHOLD_CONFIG = DetectorConfig(daily_factor=1.3, daily_min_days=3)


def live(detector: Detector, rows: Iterable[Row]) -> Iterator[Anomaly]:
    """As Home Assistant would: each reading, and the day's end at midnight."""
    for row in rows:
        if row[0] % DAY == 0 and row[0] != T0:
            yield from detector.end_of_day(row[0], utc_day(row[0] - 1))
        yield from detector.update(*row)


def primed() -> Detector:
    """The household's detector with three earlier days of ~1 kWh."""
    detector = Detector(HOUSEHOLD_CONFIG)
    for day, kwh in enumerate((0.95, 1.0, 1.05)):
        detector.end_of_day(T0 - (2 - day) * DAY, utc_day(T0 - (3 - day) * DAY), kwh)
    return detector


def test_a_restart_mid_trace_changes_nothing() -> None:
    rows = household()
    uninterrupted = list(live(primed(), rows))
    assert sorted({(e.kind, e.active) for e in uninterrupted}) == [
        (kind, active)
        for kind in ("current", "daily_energy", "long_run", "spike", "voltage")
        for active in (False, True)
    ]
    # Halfway, through JSON.
    half = len(rows) // 2
    first = primed()
    events = list(live(first, rows[:half]))
    second = Detector(HOUSEHOLD_CONFIG, json.loads(json.dumps(first.as_dict())))
    events += live(second, rows[half:])
    assert events == uninterrupted
    # Restarted every 97 readings: in every state (pending, active, clearing).
    detector, events = primed(), []
    for at in range(0, len(rows), 97):
        events += live(detector, rows[at : at + 97])
        detector = Detector.from_dict(
            json.loads(json.dumps(detector.as_dict())), HOUSEHOLD_CONFIG
        )
    assert events == uninterrupted
    assert detector.as_dict() == second.as_dict()


def test_replay_reports_one_anomaly_per_episode() -> None:
    rows = household()
    episodes = replay(rows, HOUSEHOLD_CONFIG, state=primed().as_dict())
    assert [(e.kind, e.active) for e in episodes] == [
        ("spike", False),
        ("long_run", False),
        ("voltage", False),
        ("current", False),
    ]
    spike = episodes[0]
    assert spike.started == pytest.approx(T0 + 20 * HOUR, abs=20)
    # 15 minutes, cleared 30 s later (or a little more: dropouts).
    assert spike.ended == pytest.approx(T0 + 20 * HOUR + 900 + 30, abs=60)
    assert spike.value > 2100


def test_replay_fills_a_history_of_changes() -> None:
    config = DetectorConfig(max_run_s=4 * HOUR, run_factor=None)
    on = T0 + 600
    changes = [(T0, 0.0), (on, 2000.0)]  # recorder rows: only changes
    assert replay(changes, config, until=on + 5 * HOUR) == []
    (event,) = replay(changes, config, fill_s=60, until=on + 5 * HOUR)
    assert (event.kind, event.active, event.value) == ("long_run", True, 5 * HOUR)
    assert event.started == on + 4 * HOUR + 60
    # A row that is unavailable is not repeated, nor is a value after it.
    unavailable = [(T0, 2000.0), (T0 + 60, None)]
    assert replay(unavailable, config, fill_s=60, until=T0 + 5 * HOUR) == []
    # Rows between changes are filled in too.
    changes = [(T0, 2000.0), (T0 + 5 * HOUR, 0.0), (T0 + 6 * HOUR, 0.0)]
    (event,) = replay(changes, config, fill_s=60)
    assert (event.active, event.value) == (False, 5 * HOUR - 60)
    assert event.ended == T0 + 5 * HOUR + 60  # idle for off_s: the 0 W row repeated


def test_replay_from_a_state_reports_an_episode_that_started_before() -> None:
    detector = learned()
    detector.feed(steady(T0 + 2 * HOUR, 60, 2000.0))
    assert "spike" in detector.active
    (event,) = replay(steady(T0 + 2 * HOUR + 60, 60, 150.0), state=detector.as_dict())
    assert (event.kind, event.active, event.ended) == (
        "spike",
        False,
        T0 + 2 * HOUR + 90,
    )


def shape(value: Any) -> Any:
    """The structure of a state: numbers as 0, strings by their length."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(item) for item in value]
    if isinstance(value, str):
        return len(value)
    return (
        0 if isinstance(value, int | float) and not isinstance(value, bool) else value
    )


def test_state_size_does_not_grow_with_readings() -> None:
    rows = fridge(T0, 51_000 * 180.0, step=180.0, seed=12)  # 106 days
    detector = Detector()
    events = detector.feed(rows[:10_000], day_of=utc_day)
    at = 10_000
    while detector.as_dict()["run"] is not None:  # compare off with off
        events += detector.update(*rows[at])
        at += 1
    at_10k = detector.as_dict()
    events += detector.feed(rows[at:50_000], day_of=utc_day)
    at = 50_000
    while detector.as_dict()["run"] is not None:
        events += detector.update(*rows[at])
        at += 1
    at_50k = detector.as_dict()
    assert events == []
    assert len(at_10k["runs"]) == 15
    assert len(at_10k["days"]) == 14
    assert shape(at_50k) == shape(at_10k)  # the same fields, the same list lengths
    size_10k, size_50k = len(json.dumps(at_10k)), len(json.dumps(at_50k))
    # Only the digits of the numbers differ.
    assert abs(size_50k - size_10k) < 0.05 * size_10k


def test_a_broken_or_foreign_state_starts_again_where_it_is_broken() -> None:
    detector = learned()
    detector.feed(steady(T0 + 2 * HOUR, 60, 2000.0))  # a spike, active
    state = detector.as_dict()
    assert Detector(None, {**state, "version": 99}).baseline is None
    assert Detector(None, {}).as_dict() == Detector().as_dict()
    broken = {
        **state,
        "baseline": {**state["baseline"], "count": 1.5},
        "power": {"last": "yesterday"},
        "voltage": {"active": "yes"},
        "current": [],
        "run": {"start": True},
        "runs": "many",
        "days": [[1]],
        "active": {
            "spike": state["active"]["spike"],
            "voltage": {"kind": "volts"},
            "bogus": {"kind": "spike"},
        },
    }
    restored = Detector(None, broken)
    assert restored.baseline is None
    assert restored.active.keys() == {"spike"}
    fresh = Detector().as_dict()
    for part in ("power", "voltage", "current", "run", "runs", "days"):
        assert restored.as_dict()[part] == fresh[part]
    assert restored.as_dict()["spike"] == state["spike"]
    assert (
        Detector(
            None, {**state, "baseline": {**state["baseline"], "seed": "x"}}
        ).baseline
        is None
    )
    assert Detector(None, {**state, "baseline": {"level": 2.0}}).baseline is None


def test_an_active_anomaly_without_its_episode_is_dropped_and_vice_versa() -> None:
    detector = learned()
    detector.feed(steady(T0 + 2 * HOUR, 60, 2000.0))
    state = detector.as_dict()
    # The spike's hold lost: the anomaly cannot clear, so it goes.
    restored = Detector(None, {**state, "spike": {}})
    assert restored.active == {}
    # The anomaly lost: the hold starts the episode again.
    restored = Detector(None, {**state, "active": {}})
    assert restored.active == {}
    events = restored.feed(steady(T0 + 2 * HOUR + 60, 60, 2000.0))
    assert [e.started for e in events] == [T0 + 2 * HOUR + 60]
    # A long run without its run.
    heater = Detector(DetectorConfig(max_run_s=60.0))
    heater.feed(steady(T0, 120, 2000.0, step=10))
    assert "long_run" in heater.active
    assert Detector(heater.config, {**heater.as_dict(), "run": None}).active == {}


@pytest.mark.parametrize(
    "settings",
    [
        {"k": 1.0},
        {"debounce_s": -1.0},
        {"limit_debounce_s": -1.0},
        {"learn_halflife_s": 0.0},
        {"huber_c": 0.0},
        {"max_gap_s": 0.0},
        {"warmup_readings": 0},
        {"daily_days": 0},
        {"min_runs": 20, "run_history": 15},
        {"daily_min_days": 15, "daily_days": 14},
        {"voltage_low": 250.0, "voltage_high": 200.0},
    ],
)
def test_settings_that_cannot_work_are_refused(settings: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"must|cannot|more"):
        DetectorConfig(**settings)


# --- Regressions: absurd readings once made the state invalid JSON -------------


def test_absurd_readings_keep_the_state_finite() -> None:
    # 1.7e308 W every 10 s: the integrated energy overflowed to inf and then NaN,
    # which HA's Store (strict JSON) cannot save.
    detector = Detector()
    for i in range(20_000):
        detector.update(T0 + 10 * i, 1.7e308, 1.7e308, 1.7e308)
    state = detector.as_dict()
    json.dumps(state, allow_nan=False)
    assert detector.energy_kwh == 0.0  # absurd readings are skipped
    assert detector.active == {}


def test_a_reading_without_a_real_time_is_skipped() -> None:
    # A NaN timestamp was stored as the last reading's time.
    detector = Detector()
    assert detector.update(math.nan, 100.0) == []
    assert detector.update(math.inf, 100.0, 300.0, 20.0) == []
    json.dumps(detector.as_dict(), allow_nan=False)
    assert detector.as_dict() == Detector().as_dict()


def test_a_day_energy_that_is_not_a_real_number_is_not_kept() -> None:
    # end_of_day(kwh=inf) kept inf among the days.
    detector = Detector()
    detector.update(T0, 1000.0)
    detector.update(T0 + 60, 1000.0)
    assert detector.end_of_day(T0 + 120, "2026-11-23", math.inf) == []
    assert detector.as_dict()["days"] == [["2026-11-23", pytest.approx(1000 / 30_000)]]
    assert detector.end_of_day(math.nan, "2026-11-24", 1.0) == []
    json.dumps(detector.as_dict(), allow_nan=False)


def test_a_stored_state_with_non_finite_numbers_starts_those_parts_again() -> None:
    state = learned().as_dict()
    state["baseline"]["level"] = math.inf
    state["power"]["kwh"] = math.nan
    restored = Detector(None, state)
    assert restored.baseline is None
    json.dumps(restored.as_dict(), allow_nan=False)


@pytest.mark.parametrize("name", ["k", "min_watts", "debounce_s", "max_gap_s"])
def test_settings_that_are_not_real_numbers_are_refused(name: str) -> None:
    # NaN passed every check (every comparison with NaN is false).
    for value in (math.nan, math.inf):
        with pytest.raises(ValueError, match="finite"):
            DetectorConfig(**{name: value})
