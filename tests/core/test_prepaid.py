"""A prepaid balance's days left from its recent burn rate (no Home Assistant)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import math

import pytest

from custom_components.intelergy.core.prepaid import forecast

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)


def hourly(
    start_balance: float, per_hour: float, hours: int
) -> list[tuple[datetime, float]]:
    """A balance spent at a steady rate, one point an hour, ending an hour ago."""
    return [
        (NOW - timedelta(hours=hours - i), start_balance - per_hour * i)
        for i in range(hours)
    ]


def test_steady_spending() -> None:
    history = hourly(1000.0, 5.0, 72)  # 120 a day
    balance = 1000.0 - 5.0 * 72
    result = forecast(history, balance, NOW)
    assert result.daily_burn == pytest.approx(120.0)
    assert result.days_left == pytest.approx(balance / 120.0)
    assert result.depletes_at == NOW + timedelta(days=balance / 120.0)


def test_a_recharge_is_not_negative_spending() -> None:
    history = hourly(500.0, 5.0, 48)
    # A recharge of 2000 in the middle: the balance jumps, spending goes on.
    history = [
        (when, value + (2000.0 if i >= 24 else 0.0))
        for i, (when, value) in enumerate(history)
    ]
    result = forecast(history, 500.0 - 5.0 * 48 + 2000.0, NOW)
    # 47 of the 48 hours show their 5 spent; the recharge's hour shows a rise.
    assert result.daily_burn == pytest.approx(47 * 5.0 / 48 * 24)


def test_only_the_window_counts() -> None:
    old = [(NOW - timedelta(days=20), 9000.0), (NOW - timedelta(days=19), 100.0)]
    result = forecast([*old, *hourly(1000.0, 1.0, 48)], 952.0, NOW)
    assert result.daily_burn == pytest.approx(24.0)


def test_no_forecast_without_enough_history_or_spending() -> None:
    assert forecast(hourly(100.0, 1.0, 6), 94.0, NOW).days_left is None
    idle = forecast(hourly(100.0, 0.0, 48), 100.0, NOW)
    assert idle.daily_burn == 0.0
    assert idle.days_left is None
    assert idle.depletes_at is None


def test_empty_balance_is_depleted_now() -> None:
    result = forecast(hourly(10.0, 1.0, 24), -3.0, NOW)
    assert result.days_left == 0.0
    assert result.depletes_at == NOW


def test_bad_values() -> None:
    with pytest.raises(ValueError, match="finite"):
        forecast([], math.nan, NOW)
    history = [*hourly(100.0, 1.0, 48), (NOW - timedelta(hours=3), math.inf)]
    assert forecast(history, 52.0, NOW).daily_burn == pytest.approx(24.0)


def test_a_depletion_date_beyond_the_calendar_is_not_given() -> None:
    # A huge balance spent slowly: timedelta(days=1e10) was OverflowError.
    history = [(NOW - timedelta(days=1), 1e10 + 1.0)]
    result = forecast(history, 1e10, NOW)
    assert result.daily_burn == pytest.approx(1.0)
    assert result.days_left == pytest.approx(1e10)
    assert result.depletes_at is None


def test_spending_too_large_to_add_up_is_not_a_crash() -> None:
    # math.fsum raised OverflowError ("intermediate overflow").
    history = [
        (NOW - timedelta(hours=hours), balance)
        for hours, balance in ((30, 1e308), (29, 0.0), (28, 1e308), (27, 0.0))
    ]
    result = forecast(history, 1.0, NOW)
    assert result.days_left == 0.0
    assert result.depletes_at == NOW
