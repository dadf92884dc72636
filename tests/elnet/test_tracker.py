"""The pure ELNET tracker: events and persisted state, no Home Assistant."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from custom_components.intelergy.sources.elnet.client import (
    HomeData,
    LiveUpdate,
    PowerSource,
    parse_home_data,
    parse_live_updates,
)
from custom_components.intelergy.sources.elnet.tracker import (
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
    assert stored["source"] == "generator"
    assert stored["low_balance_notified"] is True
    assert stored["balance"] == stored["day_start_balance"] == 50.0


def test_registers_never_go_back(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO")
    tracker = ElnetTracker(100)
    feed(tracker, 0, grid_kwh=100.0, generator_kwh=10.0)
    feed(tracker, 1, grid_kwh=0.0, generator_kwh=10.5)  # glitch on EB only
    assert tracker.last_live is not None
    assert (tracker.last_live.grid_kwh, tracker.last_live.generator_kwh) == (
        100.0,
        10.5,
    )
    assert "Holding grid_kwh at 100.0 kWh: the server reports 0.0" in caplog.text
    feed(tracker, 1.5, grid_kwh=0.0)
    assert caplog.text.count("Holding grid_kwh") == 1  # once per episode
    # The hold survives a restart, and real progress is taken again.
    restored = ElnetTracker.from_dict(100, tracker.as_dict())
    feed(restored, 2, grid_kwh=99.0)
    assert restored.last_live is not None
    assert restored.last_live.grid_kwh == 100.0
    feed(restored, 3, grid_kwh=100.2)
    assert restored.last_live.grid_kwh == 100.2
    assert "grid_kwh advances again from 100.2 kWh" in caplog.text
