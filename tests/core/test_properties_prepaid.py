"""Prepaid forecasts from absurd balances: never a crash, never a bad figure.

Balances and histories of every float (huge, NaN, infinities, -0.0). Only a
balance that is not finite is refused (``ValueError``); otherwise days left are
None or a finite number >= 0 and the depletion date is None or not in the past.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import math

from hypothesis import given, settings, strategies as st

from custom_components.intelergy.core.prepaid import forecast

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
BALANCES = (
    st.floats()
    | st.floats(min_value=-100, max_value=5000)
    | st.sampled_from([1e308, 1.7e308, -1.7e308, 5e-324, 1e10, -0.0, math.nan])
)


@settings(max_examples=3000, deadline=None, database=None)
@given(
    st.lists(
        st.tuples(st.floats(min_value=0, max_value=8 * 86400), BALANCES), max_size=10
    ),
    BALANCES,
)
def test_any_balance_gives_a_sound_forecast(
    points: list[tuple[float, float]], balance: float
) -> None:
    history = [(NOW - timedelta(seconds=ago), value) for ago, value in points]
    try:
        result = forecast(history, balance, NOW)
    except ValueError:
        assert not math.isfinite(balance)
        return
    assert math.isfinite(balance)
    assert result.daily_burn is None or result.daily_burn >= 0
    assert result.days_left is None or (
        math.isfinite(result.days_left) and result.days_left >= 0
    )
    assert result.depletes_at is None or result.depletes_at >= NOW
    if balance <= 0:
        assert (result.days_left, result.depletes_at) == (0.0, NOW)
    if result.days_left == 0:
        assert result.depletes_at == NOW
