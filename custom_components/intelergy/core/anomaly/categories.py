"""Device categories: the detector defaults that suit a kind of device, and its words.

A category fills in ``DetectorConfig`` fields the user did not set (explicit
settings win); ``other`` is ``DetectorConfig()``'s defaults. Why each one,
in docs/anomaly.md ("Device categories").
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Final, Literal, get_args

from .model import DetectorConfig

type Category = Literal[
    "fridge",
    "air_conditioner",
    "water_heater",
    "kettle",
    "tv",
    "washing_machine",
    "pump",
    "computer",
    "other",
]
CATEGORIES: Final[tuple[Category, ...]] = get_args(Category.__value__)
OTHER: Final[Category] = "other"

# The fields each category sets (DetectorConfig units: W, s; None: check off).
DEFAULTS: Final[dict[Category, dict[str, Any]]] = {
    # Cycles all day and defrosts (a long run, a heater burst): no run limit, a
    # higher spike bar; a door left open or a failing seal shows in the day.
    "fridge": {
        "k": 3.0,
        "debounce_s": 120.0,
        "max_run_s": None,
        "run_factor": None,
        "daily_factor": 1.3,
    },
    # Runs for hours on a hot day, and the weather swings the days.
    "air_conditioner": {
        "min_watts": 300.0,
        "debounce_s": 120.0,
        "max_run_s": 12 * 3600.0,
        "run_factor": None,
        "daily_factor": 2.0,
    },
    # A fixed resistive load its thermostat cuts within an hour or two.
    "water_heater": {
        "k": 1.5,
        "min_watts": 500.0,
        "max_run_s": 2 * 3600.0,
        "run_factor": 2.0,
    },
    # Boils in minutes at its full power (its baseline): over 10 minutes it is
    # boiling dry or its switch failed.
    "kettle": {
        "k": 4.0,
        "min_watts": 500.0,
        "debounce_s": 10.0,
        "max_run_s": 600.0,
        "daily_factor": 3.0,
    },
    # Left on for hours; viewing varies day to day.
    "tv": {
        "max_run_s": 8 * 3600.0,
        "run_factor": None,
        "daily_factor": 2.0,
    },
    # Its heater draws ten times its motor: only far beyond that is a spike;
    # programmes differ in length, washing days are not every day.
    "washing_machine": {
        "k": 12.0,
        "min_watts": 2500.0,
        "debounce_s": 60.0,
        "max_run_s": 4 * 3600.0,
        "run_factor": None,
        "daily_factor": None,
    },
    # A fixed motor load that fills a tank in minutes: running for an hour is a
    # dry run, a leak or a stuck float switch.
    "pump": {
        "k": 1.5,
        "max_run_s": 3600.0,
    },
    # Often on all day; bursts under load.
    "computer": {
        "k": 2.5,
        "min_watts": 150.0,
        "debounce_s": 60.0,
        "max_run_s": None,
        "run_factor": None,
    },
    "other": {},
}

# What an anomaly may mean on such a device (the logbook's hint).
HINTS: Final[dict[tuple[str, str], str]] = {
    ("fridge", "daily_energy"): "door left open or a failing seal?",
    ("fridge", "spike"): "compressor struggling?",
    ("air_conditioner", "long_run"): "left on?",
    ("air_conditioner", "daily_energy"): "filter or refrigerant?",
    ("water_heater", "long_run"): "thermostat stuck?",
    ("water_heater", "spike"): "element or wiring fault?",
    ("kettle", "long_run"): "not switching off: boiling dry?",
    ("tv", "long_run"): "left on?",
    ("tv", "unusual_time"): "left on?",
    ("washing_machine", "long_run"): "programme stuck?",
    ("pump", "long_run"): "dry running, a leak or a stuck float switch?",
    ("pump", "spike"): "blocked or seized?",
    ("computer", "daily_energy"): "not sleeping?",
}


def category_config(category: str | None, **explicit: Any) -> DetectorConfig:
    """``DetectorConfig`` with ``category``'s defaults, ``explicit`` fields winning.

    An unknown category is ``other``.
    """
    fields: dict[str, Any] = {}
    for known, values in DEFAULTS.items():
        if known == category:
            fields = values
    return replace(DetectorConfig(), **(fields | explicit))


def hint(category: str | None, kind: str) -> str | None:
    """What an anomaly of ``kind`` may mean on a device of ``category``."""
    return HINTS.get((str(category), kind))
