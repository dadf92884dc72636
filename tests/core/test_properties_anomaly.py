"""The anomaly detector on absurd streams: its state is always strict JSON.

Any sequence of readings (power, voltage, current from every float: huge, NaN,
infinities, -0.0, negative; timestamps that jump, stall or are not finite) and
day ends (energies of every float) leaves a state that ``json.dumps(...,
allow_nan=False)`` takes, as Home Assistant's Store does, and from which a new
detector carries on exactly where the first one stopped.
"""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

from custom_components.intelergy.core.anomaly import (
    MAX_READING,
    Anomaly,
    Detector,
    DetectorConfig,
)

T0 = 1795392000.0  # 2026-11-23T00:00:00Z
MANY = settings(
    max_examples=2000,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Learns after 3 readings, judges runs after 1 and days after 1: every detector
# (baseline, spike, run, limits, daily) is reached within a short stream.
QUICK = DetectorConfig(
    warmup_readings=3,
    warmup_s=0.0,
    min_runs=1,
    daily_min_days=1,
    debounce_s=0.0,
    clear_s=0.0,
    limit_debounce_s=0.0,
    off_s=0.0,
)
VALUES = (
    st.none()
    | st.floats()  # NaN, infinities, -0.0, subnormals, +-1.8e308
    | st.sampled_from(
        [math.nan, math.inf, -math.inf, 1.7e308, -1.7e308, MAX_READING, 1e13]
    )
    | st.floats(min_value=-10, max_value=5000)  # realistic power
    | st.floats(min_value=150, max_value=300)  # realistic voltage
)
STEPS = (
    st.floats(min_value=0, max_value=600)
    | st.sampled_from([0.0, 1e-9, 300.0, 301.0, 86_400.0, 1e12])
    | st.sampled_from([math.nan, math.inf, -5.0])  # stalls, nonsense, going back
)
EVENTS = st.lists(
    st.tuples(st.just("reading"), STEPS, VALUES, VALUES, VALUES)
    | st.tuples(st.just("day"), STEPS, VALUES),
    max_size=40,
)


def play(detector: Detector, events: list[tuple[Any, ...]]) -> list[Anomaly]:
    """Feed ``events`` (time steps from ``T0``), every anomaly that came out."""
    now, day, found = T0, 0, []
    for kind, step, *values in events:
        at = now + step
        if math.isfinite(at):
            now = max(now, at)  # the clock moves on (a NaN / inf step: this once)
        if kind == "reading":
            found += detector.update(at, *values)
        else:
            day += 1
            found += detector.end_of_day(at, f"2026-12-{day:02d}", values[0])
    return found


def assert_finite(value: Any) -> None:
    """Every number in a JSON-able tree is finite."""
    if isinstance(value, float):
        assert math.isfinite(value)
    elif isinstance(value, dict):
        for item in value.values():
            assert_finite(item)
    elif isinstance(value, list):
        for item in value:
            assert_finite(item)


@MANY
@given(st.sampled_from([QUICK, DetectorConfig()]), EVENTS, EVENTS)
def test_the_state_stays_strict_json_and_restores(
    config: DetectorConfig, first: list[tuple[Any, ...]], then: list[tuple[Any, ...]]
) -> None:
    detector = Detector(config)
    found = play(detector, first)
    state = detector.as_dict()
    text = json.dumps(state, allow_nan=False)  # what HA's Store writes
    assert_finite(state)
    for anomaly in found:
        for number in (anomaly.value, anomaly.threshold, anomaly.started):
            assert math.isfinite(number)
    restored = Detector(config, json.loads(text))
    assert restored.as_dict() == state
    # Both carry on alike: the restored one is where the first one stopped.
    assert play(restored, then) == play(detector, then)
    assert restored.as_dict() == detector.as_dict()
    json.dumps(detector.as_dict(), allow_nan=False)


@MANY
@given(
    st.sampled_from([QUICK, DetectorConfig()]),
    st.lists(st.floats(min_value=-(10**12), max_value=10**12), max_size=30),
)
def test_absurd_readings_change_nothing(
    config: DetectorConfig, powers: list[float]
) -> None:
    # The same stream with absurd readings slipped in: the same state.
    plain, noisy = Detector(config), Detector(config)
    for index, power in enumerate(powers):
        now = T0 + 30 * index
        assert noisy.update(now, 1e13, -math.inf, math.nan) == []
        assert noisy.update(math.nan, power, 230.0, 1.0) == []
        assert plain.update(now, power, 230.0, 1.0) == noisy.update(
            now, power, 230.0, 1.0
        )
    assert plain.as_dict() == noisy.as_dict()


@MANY
@given(
    st.fixed_dictionaries(
        {},
        optional={
            name: st.floats() | st.sampled_from([math.nan, math.inf, 0.0, -1.0])
            for name in ("k", "min_watts", "debounce_s", "max_gap_s", "voltage_low")
        },
    )
)
def test_settings_are_finite_or_refused(settings_: dict[str, float]) -> None:
    try:
        config = DetectorConfig(**settings_)
    except ValueError:
        return
    assert all(math.isfinite(value) for value in settings_.values())
    assert config.k > 1


@pytest.mark.parametrize("value", [math.nan, math.inf, 10**400])
def test_a_stored_number_that_is_not_finite_is_unreadable(value: Any) -> None:
    detector = Detector(QUICK)
    play(detector, [("reading", 0.0, 100.0, 230.0, 1.0)] * 5)
    state = detector.as_dict()
    state["power"]["value"] = value
    state["runs"] = [value]
    restored = Detector(QUICK, state)
    json.dumps(restored.as_dict(), allow_nan=False)
    assert restored.as_dict()["runs"] == []


def test_a_stored_negative_count_is_unreadable() -> None:
    """A damaged store's baseline is learned again; before, it divided by zero."""
    detector = Detector(QUICK)
    play(detector, [("reading", float(t), 100.0, 230.0, 1.0) for t in range(40)])
    state = detector.as_dict()
    assert state["baseline"]["count"] > 0
    state["baseline"]["count"] = -1
    restored = Detector(QUICK, state)
    assert restored.as_dict()["baseline"]["count"] == 0
    play(restored, [("reading", float(t), 100.0, 230.0, 1.0) for t in range(40, 80)])
    assert restored.as_dict()["baseline"]["count"] > 0
