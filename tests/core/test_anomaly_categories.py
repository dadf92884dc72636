"""Device categories: the defaults they fill in, explicit settings winning."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from custom_components.intelergy.core.anomaly import (
    CATEGORIES,
    DetectorConfig,
    category_config,
    hint,
    replay,
)
from custom_components.intelergy.core.anomaly.categories import DEFAULTS


def test_other_and_unknown_are_the_plain_defaults() -> None:
    assert category_config("other") == DetectorConfig()
    assert category_config(None) == DetectorConfig()
    assert category_config("toaster") == DetectorConfig()


@pytest.mark.parametrize("category", CATEGORIES)
def test_every_category_is_a_valid_configuration(category: str) -> None:
    config = category_config(category)
    for field, value in DEFAULTS[category].items():  # type: ignore[index]
        assert asdict(config)[field] == value


def test_explicit_settings_win() -> None:
    config = category_config("kettle", k=2.5, max_run_s=None)
    assert (config.k, config.max_run_s) == (2.5, None)
    assert config.debounce_s == 10.0  # the kettle's, not set


def test_the_defaults_say_what_the_brief_says() -> None:
    fridge, kettle = category_config("fridge"), category_config("kettle")
    assert (fridge.max_run_s, fridge.run_factor) == (None, None)  # cycles
    assert fridge.daily_factor is not None
    assert kettle.k > DetectorConfig().k
    assert kettle.max_run_s == 600.0
    ac = category_config("air_conditioner")
    assert ac.max_run_s is not None
    assert ac.max_run_s >= 8 * 3600
    for category in ("water_heater", "pump"):
        limit = category_config(category).max_run_s
        assert limit is not None
        assert limit <= 2 * 3600


def kettle_left_on() -> list[tuple[float, float]]:
    """A kettle at 2 kW for 20 minutes (readings every 10 s)."""
    return [(1_800_000_000.0 + 10 * i, 2000.0) for i in range(121)]


def test_a_kettle_on_for_twenty_minutes_runs_too_long() -> None:
    [anomaly] = replay(kettle_left_on(), category_config("kettle"))
    assert (anomaly.kind, anomaly.threshold) == ("long_run", 600.0)
    assert replay(kettle_left_on(), category_config("other")) == []


def test_hints() -> None:
    assert hint("kettle", "long_run") == "not switching off: boiling dry?"
    assert hint("kettle", "spike") is None
    assert hint(None, "long_run") is None
