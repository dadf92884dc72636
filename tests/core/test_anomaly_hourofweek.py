"""Use at an unusual time: the hour-of-week profile, on synthetic weeks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo

from hypothesis import given, settings, strategies as st

from custom_components.intelergy.core.anomaly import Detector, DetectorConfig
from custom_components.intelergy.core.anomaly.hourofweek import HOURS, Week

MONDAY = 1795392000.0  # 2026-11-23T00:00:00Z, a Monday
WEEK = 7 * 86400
STEP = 300.0  # 5-minute readings
ON = DetectorConfig(unusual_time=True)

type Schedule = Callable[[int, int], bool]  # (weekday, hour) -> on


def evenings(weekday: int, hour: int) -> bool:
    """A TV: on every evening 19:00-22:00."""
    return 19 <= hour < 22


def live(
    weeks: int,
    schedule: Schedule,
    config: DetectorConfig = ON,
    tz: tzinfo | None = None,
    start: float = MONDAY,
) -> tuple[Detector, float]:
    """``weeks`` weeks of 5-minute readings (200 W on, 0.5 W off); detector, end."""
    detector = Detector(config, tz=tz)
    zone = tz or ZoneInfo("UTC")
    now = start
    end = start + weeks * WEEK
    while now < end:
        local = datetime.fromtimestamp(now, zone)
        power = 200.0 if schedule(local.weekday(), local.hour) else 0.5
        assert not detector.update(now, power)  # nothing unusual while learning
        now += STEP
    return detector, now


def switch_on(detector: Detector, at: float, minutes: float) -> list[str]:
    """On for ``minutes`` (minute readings), then off for 20; the events' kinds."""
    events = []
    for second in range(0, int(minutes * 60), 60):
        events += detector.update(at + second, 200.0)
    off = at + minutes * 60
    for second in range(0, 20 * 60 + 1, 60):
        events += detector.update(off + second, 0.5)
    return [f"{e.kind}:{'start' if e.active else 'clear'}" for e in events]


def test_a_tv_at_three_am_is_unusual_after_three_weeks() -> None:
    detector, end = live(3, evenings)
    # Monday 03:05: the TV is never on at night.
    events = []
    for second in range(0, 11 * 60, 60):
        events += detector.update(end + 3 * 3600 + 300 + second, 200.0)
    [anomaly] = events
    assert anomaly.kind == "unusual_time"
    assert anomaly.started == end + 3 * 3600 + 300
    assert anomaly.baseline == 0.0  # never on around then
    assert anomaly.threshold == ON.unusual_fraction
    assert anomaly.value == 200.0


def test_no_alarm_during_the_cold_start() -> None:
    detector, end = live(2, evenings)
    assert switch_on(detector, end + 3 * 3600 + 300, 30) == []


def test_the_usual_hours_and_the_hours_next_to_them_are_not_unusual() -> None:
    detector, end = live(3, evenings)
    day = end
    assert switch_on(detector, day + 20 * 3600 + 300, 30) == []  # usual
    day += 86400
    assert switch_on(detector, day + 18 * 3600 + 300, 30) == []  # an hour early
    day += 86400
    assert switch_on(detector, day + 22 * 3600 + 300, 30) == []  # an hour late
    day += 86400
    assert switch_on(detector, day + 17 * 3600 + 300, 30) == [
        "unusual_time:start",
        "unusual_time:clear",
    ]


def test_debounce_and_clear() -> None:
    detector, end = live(3, evenings)
    assert switch_on(detector, end + 3 * 3600 + 300, 4) == []  # under 5 minutes
    # Long enough: starts at 5 minutes, clears 15 minutes after it went off.
    at = end + 86400 + 3 * 3600 + 300
    events = []
    for second in range(0, 10 * 60, 60):
        events += detector.update(at + second, 200.0)
    [started] = events
    assert started.started == at
    off = at + 10 * 60
    events = []
    for second in range(0, 14 * 60 + 1, 60):
        events += detector.update(off + second, 0.5)
    assert events == []
    [cleared] = detector.update(off + 15 * 60, 0.5)
    assert (cleared.active, cleared.ended) == (False, off + 15 * 60)


def test_off_by_default() -> None:
    detector, end = live(3, evenings, DetectorConfig())
    assert switch_on(detector, end + 3 * 3600 + 300, 30) == []
    assert detector.as_dict()["week"] is None
    assert detector.usual_share(end) is None


def test_the_learned_share_per_hour() -> None:
    # On throughout every 08:00 hour, off otherwise.
    detector, end = live(
        4, lambda weekday, hour: hour == 8, DetectorConfig(unusual_time=True)
    )
    assert detector.usual_share(end + 8 * 3600) == 1.0
    assert detector.usual_share(end + 9 * 3600) == 0.0


def test_local_hours() -> None:
    kolkata = ZoneInfo("Asia/Kolkata")  # +05:30
    detector, end = live(3, evenings, tz=kolkata, start=MONDAY - 5.5 * 3600)
    # 19:00-22:00 in Kolkata is 13:30-16:30 UTC: usual there, not at 19:00 UTC.
    assert detector.usual_share(end + 20 * 3600) == 1.0
    assert detector.usual_share(end + 20 * 3600 + 5.5 * 3600) == 0.0
    assert switch_on(detector, end + 20 * 3600 + 300, 30) == []


def test_the_state_restores_and_an_old_one_loads() -> None:
    detector, end = live(3, evenings)
    state = detector.as_dict()
    restored = Detector(ON, state)
    assert restored.as_dict() == state
    events = switch_on(restored, end + 3 * 3600 + 300, 10)
    assert events == ["unusual_time:start", "unusual_time:clear"]
    # Stored before the check existed: it starts learning, the rest is kept.
    older = {k: v for k, v in state.items() if k not in {"week", "unusual"}}
    fresh = Detector(ON, older)
    assert fresh.baseline == detector.baseline
    assert fresh.usual_share(end + 20 * 3600) is None
    assert switch_on(fresh, end + 3 * 3600 + 300, 30) == []


def test_an_unreadable_week_starts_again() -> None:
    detector, _end = live(1, evenings)
    state = detector.as_dict()
    for broken in (
        {**state["week"], "usual": [0.5] * 167},
        {**state["week"], "usual": [2.0] * HOURS},
        {**state["week"], "seen": [-1] * HOURS},
        {**state["week"], "index": 168},
        {**state["week"], "on_s": float("nan")},
        "week",
    ):
        assert Week.parse(broken, ON) is None
    assert Week.parse(state["week"], ON) is not None


@settings(max_examples=15, deadline=None)
@given(
    start=st.integers(min_value=0, max_value=23),
    length=st.integers(min_value=1, max_value=6),
    probe=st.integers(min_value=0, max_value=23),
)
def test_unusual_exactly_when_no_hour_near_was_used(
    start: int, length: int, probe: int
) -> None:
    """A daily schedule: use at ``probe`` is unusual iff none of probe +-1 was used."""
    used = {(start + i) % 24 for i in range(length)}
    detector, end = live(3, lambda weekday, hour: hour in used)
    near = {(probe + d) % 24 for d in (-1, 0, 1)}
    # Probe on Wednesday of the next week: yesterday's and tomorrow's hours are
    # seen 3 weeks too (the first Monday 00:00's neighbour is Sunday 23:00).
    events = switch_on(detector, end + 2 * 86400 + probe * 3600 + 300, 10)
    expected = [] if near & used else ["unusual_time:start", "unusual_time:clear"]
    assert events == expected
