"""Constants of anomaly monitors: entries of their own, and those built into meters."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from ...const import KIND_ESP32, KIND_PZEM, KIND_SHELLY

CONF_POWER_ENTITY: Final = "power_entity"
CONF_VOLTAGE_ENTITY: Final = "voltage_entity"
CONF_CURRENT_ENTITY: Final = "current_entity"
CONF_ENERGY_ENTITY: Final = "energy_entity"

# Options (DetectorConfig fields the user tunes; minutes where people think in minutes).
CONF_K: Final = "k"
CONF_MIN_WATTS: Final = "min_watts"
CONF_DEBOUNCE: Final = "debounce_s"
CONF_MAX_RUN_MINUTES: Final = "max_run_minutes"
CONF_RUN_FACTOR: Final = "run_factor"
CONF_VOLTAGE_LOW: Final = "voltage_low"
CONF_VOLTAGE_HIGH: Final = "voltage_high"
CONF_CURRENT_MAX: Final = "current_max"
CONF_DAILY_FACTOR: Final = "daily_factor"
# The kind of device: fills in the thresholds above that are not set.
CONF_CATEGORY: Final = "category"
# The hour-of-week check (unusual_time), off by default.
CONF_UNUSUAL_TIME: Final = "unusual_time"

# A meter's options: its built-in monitor, a section of the options form holding
# the switch and the thresholds above.
CONF_MONITOR_SECTION: Final = "anomaly_monitor"
CONF_MONITOR: Final = "monitor"
# Kinds whose devices measure power: each runs a monitor per power sensor.
METERED_KINDS: Final = frozenset({KIND_SHELLY, KIND_ESP32, KIND_PZEM})

EVENT_ANOMALY: Final = "intelergy_anomaly"
# A power sensor that keeps its value reports no state change: the detector is
# fed the last values on this tick so debounces and run timers move on.
TICK: Final = timedelta(seconds=30)
SAVE_DELAY: Final = 30

TRIGGER_DETECTED: Final = "anomaly_detected"
TRIGGER_CLEARED: Final = "anomaly_cleared"
TRIGGER_RUNNING_TOO_LONG: Final = "running_too_long"
