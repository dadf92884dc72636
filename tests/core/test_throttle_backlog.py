"""The write-throttling rule and the hourly rows of a backlog."""

from __future__ import annotations

import json

import pytest

from custom_components.intelergy.core.backlog import (
    BacklogLedger,
    Episode,
    HourRow,
    hour_start,
)
from custom_components.intelergy.core.throttle import WriteThrottle

T0 = 1795428000.0  # 2026-11-23T10:00:00Z


def test_throttle_writes_first_then_on_time_or_change() -> None:
    throttle = WriteThrottle(seconds=60, power_w=50, energy_kwh=0.001)
    assert throttle.due() is None
    assert throttle.should_write(T0, 100.0, 1.0)
    assert throttle.due() == T0 + 60
    assert not throttle.should_write(T0 + 5, 120.0, 1.0005)  # small moves: held
    assert not throttle.should_write(T0 + 10, 150.0, 1.0009)  # exactly 50 W: held
    assert throttle.should_write(T0 + 15, 151.0, 1.0009)  # more than 50 W
    assert throttle.should_write(T0 + 20, 151.0, 1.0019)  # >= 0.001 kWh
    assert not throttle.should_write(T0 + 25, 151.0, 1.0019)
    assert throttle.should_write(T0 + 80, 151.0, 1.0019)  # 60 s since the last write


def test_throttle_fields_appearing_or_vanishing() -> None:
    throttle = WriteThrottle()
    assert throttle.should_write(T0, None, 1.0)
    assert throttle.should_write(T0 + 1, 10.0, 1.0)  # power appears
    assert not throttle.should_write(T0 + 2, 10.0, 1.0)
    assert throttle.should_write(T0 + 3, None, 1.0)  # and goes
    throttle.wrote(T0 + 100, 5.0, 2.0)
    assert throttle.due() == T0 + 160


def allow_all(_seconds: float) -> float:
    return float("inf")


def episode(
    readings: list[tuple[float, float]],
    baseline: tuple[float, float, float] | None,
) -> Episode:
    result = Episode(baseline)
    result.add(readings, allow_all)
    return result


def test_rows_spread_energy_over_the_hours_it_was_used() -> None:
    readings = [
        (T0 + 1200, 10.2),  # 10:20
        (T0 + 3000, 10.5),  # 10:50
        (T0 + 3600 + 600, 11.0),  # 11:10
        (T0 + 3 * 3600 + 300, 12.5),  # 13:05 (12:00 had no reading)
    ]
    # The baseline: the recorder's row that ended at 10:05 (10.0 kWh, sum 100).
    rows = episode(readings, (T0 + 300, 10.0, 100.0)).rows(now=T0 + 5 * 3600)
    # 11:00 is 5/6 of the way from 10:50 to 11:10; 12:00 and 13:00 share the
    # 1.5 kWh from 11:10 to 13:05 by time (a gap with no reading at all).
    at_11 = 10.5 + 0.5 * 10 / 20
    at_12 = 11.0 + 1.5 * 50 / 115
    at_13 = 11.0 + 1.5 * 110 / 115
    assert [r.start for r in rows] == [T0, T0 + 3600, T0 + 7200, T0 + 10800]
    assert [r.state for r in rows] == pytest.approx([at_11, at_12, at_13, 12.5])
    assert [r.sum for r in rows] == pytest.approx(
        [90 + at_11, 90 + at_12, 90 + at_13, 102.5]
    )


def test_rows_leave_the_running_hour_to_the_recorder() -> None:
    readings = [(T0 + 60, 1.0), (T0 + 3700, 2.0)]
    rows = episode(readings, (T0, 0.5, 3.0)).rows(now=T0 + 3800)
    assert rows == [
        HourRow(
            T0,
            pytest.approx(1.0 + 1.0 * 3540 / 3640),
            pytest.approx(3.5 + 1.0 * 3540 / 3640),
        )
    ]  # type: ignore[arg-type]
    assert Episode(None).rows(now=T0) == []


def test_rows_never_go_down() -> None:
    readings = [(T0 + 60, 9.0), (T0 + 3700, 10.5)]  # 9.0: below the baseline
    # 9.0 is taken as 10.0 (held at the baseline); 11:00 interpolates from 10:01.
    rows = episode(readings, (T0, 10.0, 50.0)).rows(now=T0 + 3 * 3600)
    assert [(r.state, r.sum) for r in rows] == [
        (
            pytest.approx(10.0 + 0.5 * 3540 / 3640),
            pytest.approx(50.0 + 0.5 * 3540 / 3640),
        ),
        (10.5, 50.5),
    ]


def test_first_statistics_start_at_the_first_reading_ever_seen() -> None:
    later = episode([(T0 + 1800, 5.0), (T0 + 5400, 6.0)], None)
    assert later.first == (T0 + 1800, 5.0)
    later.add([(T0 + 600, 4.5)], allow_all)  # an earlier chunk, late
    assert later.first == (T0 + 1800, 5.0)  # the reference stays
    rows = later.rows(now=T0 + 4 * 3600)
    # 11:00 is halfway from 5.0 (10:30) to 6.0 (11:30); 10:10 is below 0.
    assert [round(r.sum, 6) for r in rows] == [0.5, 1.0]


def test_implausible_backlog_readings_are_refused() -> None:
    result = Episode((T0, 10.0, 0.0))
    refused = result.add(
        [(T0 + 60, 10.01), (T0 + 120, 1e9), (T0 + 180, 10.02)],
        lambda seconds: 25.0 * (seconds * 1.5 + 60) / 3600,
    )
    assert refused == [(T0 + 120, 1e9)]
    assert result.refused == 1
    assert max(r.state for r in result.rows(now=T0 + 7200)) == pytest.approx(10.02)


def test_ledger_survives_its_store_and_forgets_old_outages() -> None:
    ledger = BacklogLedger()
    ledger.episode("1", (T0, 1.0, 2.0)).add([(T0 + 60, 1.5)], allow_all)
    ledger.episode("first", None).add([(T0 - 30 * 86400, 0.5)], allow_all)
    restored = BacklogLedger(json.loads(json.dumps(ledger.as_dict())))
    assert restored.as_dict() == ledger.as_dict()
    restored.prune(now=T0 + 3600)
    assert list(restored.episodes) == ["1"]
    assert BacklogLedger({"x": {"hours": {"a": [1]}}, "y": 3}).episodes == {}


def test_hour_start() -> None:
    assert hour_start(T0 + 3599.9) == T0
    assert hour_start(T0) == T0


def test_corrupt_stored_backlogs_are_dropped_or_bounded() -> None:
    stored = {
        "inf": {"baseline": None, "hours": {}, "refused": float("inf")},
        "old": {"baseline": [0.0, 1.0, 0.0], "hours": {"0": [60.0, 1.5, 60.0, 1.5]}},
    }
    ledger = BacklogLedger(stored)
    assert list(ledger.episodes) == ["old"]
    rows = ledger.episodes["old"].rows(now=T0)  # 1970: bounded, not 490,000 hours
    assert 0 < len(rows) <= 366 * 24 + 1
