"""Projections from absurd daily values: only ``ProjectionError`` / ``TariffError``.

Daily kWh of every float (huge, NaN, infinities, negative) and integer (too
large for a float), any remaining dates, every method. Invariants: every figure
is finite, used <= low <= projected <= high, and the bills keep that order.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
import math
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st

from custom_components.intelergy.core.prediction import (
    MAX_DAILY_KWH,
    Method,
    ProjectionError,
    project,
    project_cost,
)
from custom_components.intelergy.core.tariff import (
    MAX_AMOUNT,
    Slab,
    Tariff,
    TariffError,
    TouBand,
)

D = Decimal
MANY = settings(
    max_examples=2000,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
START = date(2026, 3, 1)
TARIFF = Tariff(
    "INR",
    slabs=(Slab(D(100), D("3.50")), Slab(None, D("6.00"))),
    fixed_charge=D(50),
    tax_percent=D(18),
    tou_bands=(TouBand("peak", 18, 22, D(9)),),
)
DAILY = (
    st.floats(min_value=0, max_value=60)
    | st.floats()
    | st.sampled_from([MAX_DAILY_KWH, 1.7e308, -0.0, 10**400, math.nan, True])
    | st.integers()
)


@MANY
@given(
    st.dictionaries(st.integers(0, 40), DAILY, max_size=12),
    st.sets(st.integers(30, 400), max_size=40),
    st.sampled_from(list(Method)),
    st.floats(min_value=0, max_value=1) | st.sampled_from([math.nan, 1.5, -0.1]),
)
def test_any_history_projects_or_raises_typed_errors(
    offsets: dict[int, Any], ahead: set[int], method: Method, share: float
) -> None:
    daily = {START + timedelta(days=offset): value for offset, value in offsets.items()}
    remaining = [START + timedelta(days=offset) for offset in ahead]
    try:
        result = project(daily, remaining, method)
    except ProjectionError:
        assert (
            not daily
            or set(daily) & set(remaining)
            or not all(
                isinstance(value, int | float)
                and not isinstance(value, bool)
                and 0 <= value <= MAX_DAILY_KWH
                for value in daily.values()
            )
        )
        return
    figures = (result.used_kwh, result.low_kwh, result.projected_kwh, result.high_kwh)
    assert all(math.isfinite(figure) for figure in figures)
    assert 0 <= result.used_kwh <= result.low_kwh <= result.projected_kwh
    assert result.projected_kwh <= result.high_kwh
    assert result.remaining_days == len(ahead)
    try:
        cost = project_cost(result, TARIFF, tou_share={"peak": share})
    except ProjectionError:  # the share, not the projection
        assert not 0 <= share <= 1
        return
    except TariffError:  # beyond what a bill takes
        assert result.high_kwh > MAX_AMOUNT
        return
    assert cost.low.total <= cost.bill.total <= cost.high.total
