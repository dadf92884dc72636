"""The pure ELNET tracker: events and persisted state, no Home Assistant."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.intelergy.core.counter import DecisionKind
from custom_components.intelergy.core.elnet.client import (
    HomeData,
    LiveUpdate,
    PowerSource,
    parse_home_data,
    parse_live_updates,
)
from custom_components.intelergy.core.elnet.tracker import (
    EVENT_DAILY_SUMMARY,
    EVENT_LOW_BALANCE,
    EVENT_POWER_SOURCE_CHANGED,
    EVENT_RECHARGE,
    STALE_AFTER,
    ElnetTracker,
)
from simulators.elnet import load_fixture

T0 = datetime(2025, 7, 25, 15, 56, 59, tzinfo=UTC)
LIVE = parse_live_updates(load_fixture("GetLiveUpdates"))
HOME = parse_home_data(load_fixture("HomeData"))


def reading(minutes: float, **changes: Any) -> tuple[LiveUpdate, HomeData]:
    """The captured reading ``minutes`` later, with ``changes`` to LiveUpdate/HomeData."""
    live_fields = {k: v for k, v in changes.items() if hasattr(LIVE, k)}
    home_fields = {k: v for k, v in changes.items() if k not in live_fields}
    live = replace(LIVE, updated_on=T0 + timedelta(minutes=minutes), **live_fields)
    return live, replace(HOME, **home_fields)


def feed(tracker: ElnetTracker, minutes: float, **changes: Any) -> list[Any]:
    live, home = reading(minutes, **changes)
    return tracker.update(live, home, T0 + timedelta(minutes=minutes))


def test_grid_generator_grid_session_summary() -> None:
    tracker = ElnetTracker(low_balance_threshold=100)
    assert feed(tracker, 0) == []
    assert tracker.source is PowerSource.GRID

    [event] = feed(
        tracker,
        1,
        source=PowerSource.GENERATOR,
        generator_kwh=477.24,
        generator_cost_month=636.05,
    )
    assert event.event_type == EVENT_POWER_SOURCE_CHANGED
    assert event.data == {"from": "grid", "to": "generator"}
    assert tracker.session is not None
    assert tracker.session.started == T0 + timedelta(minutes=1)

    assert feed(tracker, 31, source=PowerSource.GENERATOR, generator_kwh=477.74) == []
    [event] = feed(
        tracker,
        91,
        source=PowerSource.GRID,
        generator_kwh=478.74,
        generator_cost_month=669.05,
    )
    assert event.data == {
        "from": "generator",
        "to": "grid",
        "generator_started": (T0 + timedelta(minutes=1)).isoformat(),
        "generator_ended": (T0 + timedelta(minutes=91)).isoformat(),
        "duration_seconds": 5400,
        "energy_kwh": 1.5,
        "cost": 33.0,
        "average_kw": 1.0,
    }
    assert tracker.session is None


def test_session_cost_unknown_after_month_rollover() -> None:
    tracker = ElnetTracker(100)
    feed(tracker, 0, source=PowerSource.GENERATOR, generator_cost_month=636.05)
    # Same UpdatedOn: not a new reading, the session stays open.
    assert feed(tracker, 0, source=PowerSource.GRID, generator_cost_month=0.0) == []
    assert tracker.session is not None
    [event] = feed(tracker, 10, source=PowerSource.GRID, generator_cost_month=2.0)
    assert event.data["cost"] is None
    assert event.data["duration_seconds"] == 600


def test_stale_reading_cannot_flip_source() -> None:
    tracker = ElnetTracker(100)
    feed(tracker, 0)
    live, home = reading(0, source=PowerSource.GENERATOR)
    assert tracker.update(live, home, T0 + STALE_AFTER) == []
    assert tracker.source is PowerSource.GRID
    assert tracker.last_live is not live
    assert tracker.is_stale(T0 + STALE_AFTER)
    assert not tracker.is_stale(T0 + STALE_AFTER - timedelta(seconds=1))
    # An older UpdatedOn (server clock went back) is not new either.
    live, home = reading(-5, source=PowerSource.GENERATOR)
    assert tracker.update(live, home, T0 + STALE_AFTER) == []
    assert tracker.source is PowerSource.GRID


def test_recharge_detected_from_balance_jump() -> None:
    tracker = ElnetTracker(100)
    feed(tracker, 0, balance=500.0)
    assert feed(tracker, 1, balance=499.4) == []
    assert feed(tracker, 2, balance=500.3) == []  # under RECHARGE_MIN_AMOUNT: noise
    [event] = feed(tracker, 3, balance=1500.3)
    assert event.event_type == EVENT_RECHARGE
    assert event.data == {"amount": 1000.0, "balance": 1500.3}


def test_low_balance_once_per_crossing() -> None:
    tracker = ElnetTracker(100)
    feed(tracker, 0, balance=150.0)
    [event] = feed(tracker, 1, balance=99.0)
    assert event.event_type == EVENT_LOW_BALANCE
    assert event.data == {"balance": 99.0, "threshold": 100}
    assert tracker.low_balance
    assert feed(tracker, 2, balance=90.0) == []
    assert feed(tracker, 3, balance=80.0) == []
    events = feed(tracker, 4, balance=600.0)
    assert [e.event_type for e in events] == [EVENT_RECHARGE]
    assert not tracker.low_balance
    [event] = feed(tracker, 5, balance=50.0)
    assert event.event_type == EVENT_LOW_BALANCE


def test_first_reading_already_low_notifies_once_across_restart() -> None:
    tracker = ElnetTracker(100)
    assert [e.event_type for e in feed(tracker, 0, balance=10.0)] == [EVENT_LOW_BALANCE]
    restored = ElnetTracker.from_dict(100, tracker.as_dict())
    assert feed(restored, 1, balance=9.0) == []


def test_generator_session_survives_restart() -> None:
    tracker = ElnetTracker(100)
    feed(tracker, 0)
    feed(tracker, 5, source=PowerSource.GENERATOR, generator_kwh=477.24)
    stored = tracker.as_dict()
    assert stored["session"]["started"] == (T0 + timedelta(minutes=5)).isoformat()

    restored = ElnetTracker.from_dict(100, stored)
    # After the restart the first reading is still on the generator: no event,
    # and the session keeps its true start.
    assert feed(restored, 65, source=PowerSource.GENERATOR, generator_kwh=478.0) == []
    [event] = feed(restored, 125, source=PowerSource.GRID, generator_kwh=479.24)
    assert event.data["generator_started"] == (T0 + timedelta(minutes=5)).isoformat()
    assert event.data["duration_seconds"] == 120 * 60
    assert event.data["energy_kwh"] == 2.0


def test_first_reading_on_generator_opens_a_session() -> None:
    tracker = ElnetTracker(100)
    assert feed(tracker, 0, source=PowerSource.GENERATOR) == []
    assert tracker.session is not None
    assert tracker.session.started == T0


def test_daily_summary() -> None:
    tracker = ElnetTracker(100)
    assert tracker.end_of_day(date(2025, 7, 25)) is None  # nothing seen yet
    feed(tracker, 0, balance=1800.0)
    feed(
        tracker,
        60,
        balance=1700.0,
        grid_kwh_today=12.0,
        generator_kwh_today=1.0,
        grid_cost_today=99.96,
        generator_cost_today=22.0,
        fixed_charges_today=3.0,
    )
    event = tracker.end_of_day(date(2025, 7, 25))
    assert event is not None
    assert event.event_type == EVENT_DAILY_SUMMARY
    assert event.data == {
        "date": "2025-07-25",
        "grid_kwh": 12.0,
        "generator_kwh": 1.0,
        "solar_kwh": 0.0,
        "grid_cost": 99.96,
        "generator_cost": 22.0,
        "fixed_charges": 3.0,
        "cost": 124.96,
        "balance_start": 1800.0,
        "balance_end": 1700.0,
        "balance_change": -100.0,
    }
    # The next day starts from the balance at midnight.
    assert tracker.day_start_balance == 1700.0


@pytest.mark.parametrize(
    "data",
    [
        {"source": "nuclear"},
        {"session": {"started": "yesterday", "start_kwh": 1, "start_cost_month": 2}},
        {"session": {"started": T0.isoformat()}},
        {"balance": "lots"},
        {"registers": ["grid_kwh"]},
        {"registers": {"grid_kwh": "x"}},
        {"last_updated_on": "2025-07-25T15:56:59"},  # naive: not comparable
        {"last_advance": 12},
        {
            "session": {
                "started": "2025-07-25T15:56:59",
                "start_kwh": 1,
                "start_cost_month": 2,
            }
        },
        {"energy": ["x"]},
        {"energy": {"channels": {"0": {"offset": "x", "counter": 1}}}},
    ],
)
def test_broken_storage_starts_afresh(data: dict[str, Any]) -> None:
    restored = ElnetTracker.from_dict(100, data)
    assert restored.as_dict() == ElnetTracker(100).as_dict()


def test_state_round_trip() -> None:
    tracker = ElnetTracker(100)
    feed(tracker, 0, balance=50.0, source=PowerSource.GENERATOR)
    stored = tracker.as_dict()
    assert ElnetTracker.from_dict(100, stored).as_dict() == stored
    assert stored["last_updated_on"] == stored["last_advance"] == T0.isoformat()
    channel = stored["energy"]["channels"]["0"]
    assert (channel["offset"], channel["counter"]) == (0.0, 48808.72)
    assert channel["at"] == T0.timestamp()  # the meter's clock
    assert stored["source"] == "generator"
    assert stored["low_balance_notified"] is True
    assert stored["balance"] == stored["day_start_balance"] == 50.0


def test_register_glitch_is_held_and_never_counted() -> None:
    # Formerly "registers never go back" under the ad-hoc hold (never below the
    # highest value seen). The intent stays: a glitch is never counted and the
    # total never goes down. The totalizer reports the hold once, as a decision
    # the coordinator logs, instead of logging here.
    tracker = ElnetTracker(100)
    feed(tracker, 0, grid_kwh=100.0, generator_kwh=10.0)
    feed(tracker, 1, grid_kwh=0.0, generator_kwh=10.5)  # glitch on EB only
    assert tracker.last_live is not None
    assert (tracker.last_live.grid_kwh, tracker.last_live.generator_kwh) == (
        100.0,
        10.5,
    )
    [decision] = tracker.decisions
    assert (decision.kind, decision.channel) == (DecisionKind.HELD_LOW, 0)
    assert ElnetTracker.describe(decision).startswith(
        "grid_kwh: energy counter 0: held low (100 -> 0 kWh, total 100 kWh)"
    )
    feed(tracker, 1.5, grid_kwh=0.0, generator_kwh=10.5)
    assert tracker.decisions == []  # once per episode
    assert tracker.last_live.grid_kwh == 100.0
    # The counters survive a restart, and real progress is taken again.
    restored = ElnetTracker.from_dict(100, tracker.as_dict())
    feed(restored, 2, grid_kwh=99.0, generator_kwh=10.5)
    assert restored.last_live is not None
    assert restored.last_live.grid_kwh == 100.0
    feed(restored, 3, grid_kwh=100.2, generator_kwh=10.6)
    assert restored.last_live.grid_kwh == 100.2
    assert restored.energy.stats["glitches"] == 1
    assert restored.energy.stats["continuations"] == 0


def test_register_lower_for_five_minutes_continues() -> None:
    # Where the old hold differs: it showed 100 until the new meter passed 100,
    # losing everything the new meter counted up to there. Now a register that
    # stays lower for 5 minutes (of the meter's clock) is a continuation.
    tracker = ElnetTracker(100)
    feed(tracker, 0, grid_kwh=100.0)
    feed(tracker, 1, grid_kwh=3.0)  # the meter was replaced: a new register
    assert [d.kind for d in tracker.decisions] == [DecisionKind.HELD_LOW]
    feed(tracker, 4, grid_kwh=3.1)
    assert tracker.decisions == []
    assert tracker.last_live is not None
    assert tracker.last_live.grid_kwh == 100.0  # held: not yet confirmed
    feed(tracker, 6, grid_kwh=3.2)
    [decision] = tracker.decisions
    assert decision.kind is DecisionKind.CONTINUATION
    # The total carries on from where it was (the held readings' rise counted at
    # most once: the totalizer leaves out the first interval of a held track).
    continued = tracker.last_live.grid_kwh
    assert 100.0 <= continued <= 100.2 + 1e-9
    assert decision.total == pytest.approx(continued)
    feed(tracker, 60, grid_kwh=4.2)  # from here every kWh counts exactly once
    assert tracker.last_live.grid_kwh == pytest.approx(continued + 1.0)


def test_implausible_jump_is_never_counted() -> None:
    tracker = ElnetTracker(100)
    feed(tracker, 0, generator_kwh=10.0)
    # 5000 kWh in a minute: more than MAX_SUPPLY_POWER_W could deliver.
    feed(tracker, 1, generator_kwh=5010.0)
    [decision] = tracker.decisions
    assert decision.kind is DecisionKind.REJECTED_JUMP
    assert tracker.last_live is not None
    assert tracker.last_live.generator_kwh == 10.0
    assert "more than 50000 W could deliver" in ElnetTracker.describe(decision)
    feed(tracker, 2, generator_kwh=10.01)  # back on track: it was a glitch
    assert tracker.last_live.generator_kwh == 10.01
    # A register that keeps going from the new level is a new track: the total
    # continues, the jump itself is never counted.
    for minute in range(3, 10):
        feed(tracker, minute, generator_kwh=5010.0 + minute / 100)
    assert tracker.energy.stats["new_tracks"] == 1
    track = tracker.last_live.generator_kwh
    assert 10.01 <= track <= 10.01 + 0.06 + 1e-9
    # Plausible use over a long gap is counted: 50 kWh in 2 hours.
    feed(tracker, 129, generator_kwh=5060.09)
    assert tracker.last_live.generator_kwh == pytest.approx(track + 50.0)


def test_stale_flip_after_restart_fires_nothing() -> None:
    tracker = ElnetTracker(100)
    feed(tracker, 0)
    feed(tracker, 1, grid_kwh=48809.0)
    stored = tracker.as_dict()
    assert stored["last_updated_on"] == (T0 + timedelta(minutes=1)).isoformat()
    assert stored["last_advance"] == (T0 + timedelta(minutes=1)).isoformat()

    # After a restart the server still answers the same UpdatedOn, now claiming
    # the generator (and a glitched register): not new, nothing fires.
    restored = ElnetTracker.from_dict(100, stored)
    live, home = reading(1, source=PowerSource.GENERATOR, grid_kwh=0.0)
    assert restored.update(live, home, T0 + timedelta(minutes=3)) == []
    assert restored.source is PowerSource.GRID
    assert restored.session is None
    assert restored.decisions == []
    # It is shown (nothing else is), with the accepted source and the totals.
    assert restored.last_live is not None
    assert restored.last_live.source is PowerSource.GRID
    assert restored.last_live.grid_kwh == 48809.0
    assert restored.last_live.balance == live.balance
    # Staleness carries on across the restart.
    assert not restored.is_stale(T0 + timedelta(minutes=10))
    assert restored.is_stale(T0 + timedelta(minutes=1) + STALE_AFTER)
    # The next real reading is taken, and the flip is real then.
    [event] = feed(restored, 2, source=PowerSource.GENERATOR, grid_kwh=48809.0)
    assert event.data == {"from": "grid", "to": "generator"}
    assert restored.session is not None


OLD_LAYOUT: dict[str, Any] = {  # stored before the totalizer and UpdatedOn
    "source": "grid",
    "session": None,
    "low_balance_notified": False,
    "balance": 1787.42,
    "day_start_balance": 1790.0,
    "registers": {"grid_kwh": 48808.72, "generator_kwh": 477.24, "solar_kwh": 0.0},
}


def test_old_layout_registers_migrate_without_loss_or_double() -> None:
    restored = ElnetTracker.from_dict(100, OLD_LAYOUT)
    assert restored.last_updated_on is None  # so the first reading is new
    assert restored.source is PowerSource.GRID
    # Until the first reading, the old registers are kept as they were.
    assert restored.as_dict()["registers"] == OLD_LAYOUT["registers"]
    again = ElnetTracker.from_dict(100, restored.as_dict())
    assert again.legacy_registers == OLD_LAYOUT["registers"]
    # Home Assistant was down for a day (the upgrade): the 30 kWh used meanwhile
    # are counted once, not rejected as a jump and not doubled.
    feed(again, 24 * 60, grid_kwh=48838.72, generator_kwh=477.24)
    assert again.decisions == []
    assert again.last_live is not None
    assert again.last_live.grid_kwh == 48838.72
    assert again.last_live.generator_kwh == 477.24
    stored = again.as_dict()
    assert "registers" not in stored  # the counters took over
    assert stored["energy"]["channels"]["0"]["counter"] == 48838.72
    feed(again, 24 * 60 + 1, grid_kwh=48838.8)
    assert again.last_live.grid_kwh == 48838.8


def test_old_layout_held_register_stays_held() -> None:
    # The old rule held grid_kwh at 48808.72 while the server said less: the
    # total starts there, so the entity never goes down after the upgrade.
    restored = ElnetTracker.from_dict(100, OLD_LAYOUT)
    live, home = reading(0, grid_kwh=48800.0)
    assert restored.update(live, home, T0) == []
    [decision] = restored.decisions
    assert (decision.kind, decision.old, decision.new) == (
        DecisionKind.HELD_LOW,
        48808.72,
        48800.0,
    )
    assert restored.last_live is not None
    assert restored.last_live.grid_kwh == 48808.72
    feed(restored, 1, grid_kwh=48808.9)  # the glitch ends: real progress counts
    assert restored.last_live.grid_kwh == 48808.9


def test_old_layout_stale_first_reading_shows_no_less_than_the_hold() -> None:
    restored = ElnetTracker.from_dict(100, {**OLD_LAYOUT, "last_updated_on": None})
    restored.last_updated_on = T0  # as if persisted: the reading is not new
    live, home = reading(0, grid_kwh=48800.0)
    assert restored.update(live, home, T0) == []
    assert restored.last_live is not None
    assert restored.last_live.grid_kwh == 48808.72
    assert restored.legacy_registers  # still waiting for a real reading


def test_energy_survives_broken_event_state() -> None:
    tracker = ElnetTracker(100)
    feed(tracker, 0, grid_kwh=100.0)
    for minute, value in ((10, 3.0), (13, 3.2), (16, 3.5)):  # a replaced meter
        feed(tracker, minute, grid_kwh=value)
    assert tracker.energy.stats["continuations"] == 1
    total = tracker.energy.total(0)
    assert total is not None
    assert total > 100.0
    stored = tracker.as_dict()
    stored["session"] = {"started": "yesterday"}
    restored = ElnetTracker.from_dict(100, stored)
    assert restored.source is None  # the event state starts afresh
    assert restored.energy.total(0) == total  # the energy does not


def test_registers_never_shown_lower() -> None:
    # The entities' promise to the Energy dashboard, over any mix of glitches,
    # replacements and jumps: the shown register never goes down.
    tracker = ElnetTracker(100)
    shown: list[float] = []
    values = [10.0, 10.2, 0.0, 10.3, 2.0, 2.1, 2.2, 2.3, 9000.0, 2.4, 2.5, 1.0]
    for minute, value in enumerate(values):
        feed(tracker, minute * 2, grid_kwh=value)
        assert tracker.last_live is not None
        shown.append(tracker.last_live.grid_kwh)
    assert shown == sorted(shown)


@settings(max_examples=300, deadline=None, database=None)
@given(
    st.lists(
        st.tuples(
            st.floats(min_value=0.05, max_value=180.0),  # minutes since the last
            st.one_of(
                st.floats(min_value=0.0, max_value=1e6),
                st.sampled_from([0.0, 100.0, 100.01, 99.99]),
            ),
        ),
        min_size=1,
        max_size=25,
    ),
    st.booleans(),
)
def test_shown_register_never_goes_down(
    readings: list[tuple[float, float]], restart_midway: bool
) -> None:
    tracker = ElnetTracker(100)
    minutes, shown = 0.0, 0.0
    for index, (step, value) in enumerate(readings):
        if restart_midway and index == len(readings) // 2:
            tracker = ElnetTracker.from_dict(100, tracker.as_dict())
        minutes += step
        feed(tracker, minutes, grid_kwh=value)
        assert tracker.last_live is not None
        assert tracker.last_live.grid_kwh >= shown
        shown = tracker.last_live.grid_kwh
