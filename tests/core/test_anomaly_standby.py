"""The standby ("always on") power: the lower quartile of the hours' lowest power."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from custom_components.intelergy.core.anomaly import Detector, DetectorConfig
from custom_components.intelergy.core.anomaly.standby import Standby

T0 = 1_800_000_000.0 - 1_800_000_000.0 % 3600  # an hour's start (UTC)


def feed_hours(detector: Detector, hours: list[list[float]], step: float = 60) -> None:
    """Each hour's readings, evenly spread over it; then one reading of the next."""
    for h, readings in enumerate(hours):
        for i, power in enumerate(readings):
            detector.update(T0 + h * 3600 + i * step, power)
    detector.update(T0 + len(hours) * 3600, 0.0)  # closes the last hour


def fridge_hour(standby: float) -> list[float]:
    """A fridge's hour: the compressor on a third of the time at 120 W."""
    return [120.0 if i % 3 == 0 else standby for i in range(60)]


def test_unknown_until_six_hours_are_in() -> None:
    detector = Detector()
    feed_hours(detector, [fridge_hour(1.5)] * 5)
    assert detector.standby is None
    detector.update(T0 + 6 * 3600, 0.0)  # the sixth hour (0 W all along) closes
    assert detector.standby is not None


def test_a_fridge_standby_is_its_idle_draw() -> None:
    detector = Detector()
    feed_hours(detector, [fridge_hour(1.5)] * 24)
    assert detector.standby == 1.5


def test_a_device_always_on_has_its_lowest_steady_power_as_standby() -> None:
    detector = Detector()
    # A router: 7-9 W all day, never idle.
    feed_hours(detector, [[8.0 + (i % 3 - 1) for i in range(60)]] * 24)
    assert detector.standby == 7.0


def test_one_outage_hour_does_not_make_it_zero() -> None:
    detector = Detector()
    hours = [fridge_hour(2.0)] * 23 + [[0.0] * 60]  # switched off for an hour
    feed_hours(detector, hours)
    assert detector.standby == 2.0


def test_a_tv_on_most_of_the_day_still_shows_its_standby() -> None:
    detector = Detector()
    # On (90 W) for 17 of 24 hours, the other 7 at its 0.5 W standby.
    hours = [[90.0] * 60] * 17 + [[0.5] * 60] * 7
    feed_hours(detector, hours)
    assert detector.standby == 0.5


def test_negative_power_counts_as_zero() -> None:
    detector = Detector()
    feed_hours(detector, [[-3.0] * 60] * 8)
    assert detector.standby == 0.0


def test_standby_survives_a_restart_and_an_old_state_loads() -> None:
    detector = Detector()
    feed_hours(detector, [fridge_hour(1.5)] * 10)
    state = detector.as_dict()
    assert Detector(DetectorConfig(), state).standby == 1.5
    older = {key: value for key, value in state.items() if key != "standby"}
    restored = Detector(DetectorConfig(), older)  # stored before standby existed
    assert restored.standby is None
    assert restored.baseline == detector.baseline


def test_a_stored_list_longer_than_kept_is_cut_to_the_last_hours() -> None:
    state = Detector().as_dict()
    state["standby"] = {"hour": T0, "low": 1.0, "lows": [5.0] * 100 + [1.0] * 24}
    detector = Detector(DetectorConfig(), state)
    assert detector.as_dict()["standby"]["lows"] == [1.0] * 24


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.floats(min_value=0, max_value=5000, allow_nan=False), min_size=1, max_size=60
    ),
    st.integers(min_value=1, max_value=48),
)
def test_memory_is_bounded_and_standby_is_a_kept_hour_low(
    lows: list[float], keep: int
) -> None:
    standby = Standby()
    for hour, power in enumerate(lows):
        standby.take(T0 + hour * 3600, power, keep)
    standby.take(T0 + len(lows) * 3600, 0.0, keep)
    assert len(standby.lows) == min(len(lows), keep)
    assert standby.lows == lows[-keep:]
    watts = standby.watts(1)
    assert watts in standby.lows
    # The lower quartile: at most a quarter of the hours below it.
    assert sum(low < watts for low in standby.lows) <= len(standby.lows) // 4
