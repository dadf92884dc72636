"""Projecting a cycle's energy and bill: three methods, a band, the cost."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
import math

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.intelergy.core.prediction import (
    MAX_DAILY_KWH,
    Method,
    ProjectionError,
    project,
    project_average,
    project_cost,
    project_trend,
    project_weekday,
)
from custom_components.intelergy.core.tariff import Slab, Tariff, TariffError, TouBand

D = Decimal
MARCH = date(2025, 3, 1)
SEED = Tariff(
    "INR",
    slabs=(Slab(D(100), D("3.50")), Slab(D(300), D("4.50")), Slab(None, D("6.00"))),
    fixed_charge=D(50),
    tax_percent=D(18),
)


def days(start: date, count: int) -> list[date]:
    """``count`` consecutive dates from ``start``."""
    return [start + timedelta(days=offset) for offset in range(count)]


def series(start: date, values: list[float]) -> dict[date, float]:
    """Daily values on consecutive dates from ``start``."""
    return dict(zip(days(start, len(values)), values, strict=True))


def test_average_daily() -> None:
    daily = series(MARCH, [10, 12, 8, 10, 10, 10, 10, 10, 10, 10])
    result = project_average(daily, days(date(2025, 3, 11), 20))
    assert result.method is Method.AVERAGE
    assert result.used_kwh == 100
    assert result.projected_kwh == pytest.approx(300)  # 100 + 20 x 10
    assert result.remaining_days == 20
    spread = math.sqrt(8 / 9) * math.sqrt(20)  # sample sd x sqrt(days left)
    assert result.low_kwh == pytest.approx(300 - spread)
    assert result.high_kwh == pytest.approx(300 + spread)


def test_same_weekday_profile() -> None:
    # Two weeks from Monday 3 March: 5 kWh on weekdays, 20 at the weekend.
    daily = series(date(2025, 3, 3), ([5.0] * 5 + [20.0] * 2) * 2)
    assert date(2025, 3, 3).weekday() == 0
    monday_to_friday = days(date(2025, 3, 17), 5)
    result = project_weekday(daily, monday_to_friday)
    assert result.used_kwh == 130
    assert result.projected_kwh == pytest.approx(155)  # 130 + 5 x 5
    # The plain average would spread the weekend over the week.
    average = project_average(daily, monday_to_friday).projected_kwh
    assert average == pytest.approx(130 + 5 * 130 / 14)


def test_weekday_without_history_falls_back_to_the_average() -> None:
    daily = series(date(2025, 3, 3), [5, 6, 7, 8, 9])  # Monday to Friday
    # Saturday and Sunday: the average (7); Monday: the Monday value (5).
    result = project(daily, days(date(2025, 3, 8), 3), Method.WEEKDAY)
    assert result.projected_kwh == pytest.approx(35 + 7 + 7 + 5)


def test_linear_trend() -> None:
    daily = series(MARCH, [2 + 0.5 * day for day in range(10)])
    result = project_trend(daily, days(date(2025, 3, 11), 5))
    assert result.used_kwh == pytest.approx(42.5)
    assert result.projected_kwh == pytest.approx(42.5 + 7 + 7.5 + 8 + 8.5 + 9)
    # Missing days do not bend the line: x is the date.
    del daily[date(2025, 3, 4)], daily[date(2025, 3, 8)]
    result = project_trend(daily, days(date(2025, 3, 11), 5))
    assert result.used_kwh == pytest.approx(42.5 - 3.5 - 5.5)
    assert result.projected_kwh == pytest.approx(33.5 + 40)


def test_trend_is_never_negative_and_band_never_below_used() -> None:
    daily = series(MARCH, [10, 8, 6, 4, 2, 0])
    result = project_trend(daily, days(date(2025, 3, 7), 2))  # the line: -2, -4
    assert result.projected_kwh == 30 == result.used_kwh
    assert result.low_kwh == 30
    assert result.high_kwh == pytest.approx(30 + math.sqrt(14) * math.sqrt(2))


def test_one_day_or_no_day_left() -> None:
    result = project(series(MARCH, [4.0]), days(date(2025, 3, 2), 3), Method.TREND)
    assert (result.low_kwh, result.projected_kwh, result.high_kwh) == (16, 16, 16)
    daily = series(MARCH, [1.0, 3.0])
    for method in Method:
        result = project(daily, [], method)
        assert (result.low_kwh, result.projected_kwh, result.high_kwh) == (4, 4, 4)


def test_bad_input_is_rejected() -> None:
    with pytest.raises(ValueError, match="no daily history"):
        project({}, days(MARCH, 3))
    with pytest.raises(ValueError, match="not negative"):
        project({MARCH: -1.0}, [])
    with pytest.raises(ValueError, match="finite"):
        project({MARCH: math.nan}, [])
    with pytest.raises(ValueError, match="both used and remaining: 2025-03-01"):
        project({MARCH: 1.0}, [MARCH])


def test_projected_cost_of_the_seed_example() -> None:
    daily = series(MARCH, [10.0] * 10)
    result = project_average(daily, days(date(2025, 3, 11), 25))
    assert result.projected_kwh == 350
    cost = project_cost(result, SEED)
    assert cost.bill.total == D("1888.00")
    assert cost.low == cost.bill == cost.high  # no spread
    assert cost.projection is result


def test_projected_cost_band_and_tou_share() -> None:
    daily = series(MARCH, [8.0, 12.0] * 5)
    result = project_average(daily, days(date(2025, 3, 11), 20))
    cost = project_cost(result, SEED)
    assert cost.low.total < cost.bill.total < cost.high.total
    assert cost.bill.energy_kwh == D("300.000")
    tariff = Tariff(
        "INR",
        slabs=(Slab(None, D(5)),),
        tou_bands=(TouBand("peak", 18, 22, D(8)),),
    )
    cost = project_cost(result, tariff, tou_share={"peak": 0.25})
    # 300 kWh: 75 at the peak rate, 225 on the slab.
    assert [(line.band, line.kwh) for line in cost.bill.tou_lines] == [
        ("peak", D("75.000"))
    ]
    assert cost.bill.energy_charge == D("1725.00")  # 75 x 8 + 225 x 5
    with pytest.raises(ValueError, match="TOU shares"):
        project_cost(result, tariff, tou_share={"peak": 1.5})
    half = project_cost(result, SEED, fixed_fraction=D("0.5"))
    assert half.bill.fixed_charge == D("25.00")


@settings(max_examples=200, deadline=None, database=None)
@given(
    st.dictionaries(
        st.integers(0, 60),
        st.floats(0, 100, allow_nan=False, allow_infinity=False),
        min_size=1,
        max_size=40,
    ),
    st.integers(0, 30),
    st.sampled_from(list(Method)),
)
def test_band_holds_the_point_and_never_drops_below_used(
    offsets: dict[int, float], left: int, method: Method
) -> None:
    daily = {MARCH + timedelta(days=offset): value for offset, value in offsets.items()}
    remaining = days(MARCH + timedelta(days=61), left)
    result = project(daily, remaining, method)
    assert result.used_kwh == pytest.approx(sum(offsets.values()))
    assert result.used_kwh <= result.low_kwh <= result.projected_kwh <= result.high_kwh
    cost = project_cost(result, SEED)
    assert cost.low.total <= cost.bill.total <= cost.high.total


# --- Regressions: absurd daily values once overflowed ----------------------------


@pytest.mark.parametrize("method", list(Method))
def test_absurd_daily_values_are_projection_errors(method: Method) -> None:
    # Two days of 1.7e308 kWh: math.fsum raised OverflowError; the trend
    # projected inf, which project_cost turned into decimal.InvalidOperation.
    for value in (1.7e308, 10**400, MAX_DAILY_KWH * 2):
        with pytest.raises(ProjectionError, match="daily kWh"):
            project(series(MARCH, [value, value]), days(date(2025, 4, 1), 3), method)
    assert issubclass(ProjectionError, ValueError)


def test_a_projection_beyond_the_tariff_is_a_tariff_error() -> None:
    # The most a day may hold, for a long cycle: more than a bill can take.
    result = project(series(MARCH, [MAX_DAILY_KWH] * 2), days(date(2025, 4, 1), 60))
    assert math.isfinite(result.high_kwh)
    with pytest.raises(TariffError, match="kwh"):
        project_cost(result, SEED)
