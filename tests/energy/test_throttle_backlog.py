"""The write-throttling rule and the hourly rows of a backlog."""

from __future__ import annotations

import pytest

from custom_components.intelergy.energy.backlog import HourRow, hour_start, hourly_rows
from custom_components.intelergy.energy.throttle import WriteThrottle

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


def test_rows_spread_energy_over_the_hours_it_was_used() -> None:
    readings = [
        (T0 + 1200, 10.2),  # 10:20
        (T0 + 3000, 10.5),  # 10:50
        (T0 + 3600 + 600, 11.0),  # 11:10
        (T0 + 3 * 3600 + 300, 12.5),  # 13:05 (12:00 had no reading)
    ]
    rows = hourly_rows(readings, baseline=(10.0, 100.0), now=T0 + 5 * 3600)
    assert rows == [
        HourRow(T0, 10.5, pytest.approx(100.5)),  # type: ignore[arg-type]
        HourRow(T0 + 3600, 11.0, pytest.approx(101.0)),  # type: ignore[arg-type]
        HourRow(T0 + 7200, 11.0, pytest.approx(101.0)),  # type: ignore[arg-type]
        HourRow(T0 + 10800, 12.5, pytest.approx(102.5)),  # type: ignore[arg-type]
    ]


def test_rows_leave_the_running_hour_to_the_recorder() -> None:
    readings = [(T0 + 60, 1.0), (T0 + 3700, 2.0)]
    rows = hourly_rows(readings, baseline=(0.5, 3.0), now=T0 + 3800)
    assert rows == [HourRow(T0, 1.0, 3.5)]
    assert hourly_rows([], baseline=(0.0, 0.0), now=T0) == []


def test_rows_never_go_down() -> None:
    readings = [(T0 + 60, 9.0), (T0 + 3700, 10.5)]  # 9.0: below the baseline
    rows = hourly_rows(readings, baseline=(10.0, 50.0), now=T0 + 3 * 3600)
    assert [(r.state, r.sum) for r in rows] == [(10.0, 50.0), (10.5, 50.5)]


def test_hour_start() -> None:
    assert hour_start(T0 + 3599.9) == T0
    assert hour_start(T0) == T0
