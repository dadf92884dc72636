"""Constants of ESP32 (MQTT contract) meter entries."""

from __future__ import annotations

from typing import Final

CONF_DEVICE_ID: Final = "device_id"
CONF_PREFIX: Final = "prefix"
CONF_INTERVAL: Final = "interval"
CONF_RELAYS: Final = "relays"
# Fields the meter has reported so far: their sensors are created at set-up.
CONF_FIELDS: Final = "fields"

CONF_MAX_POWER: Final = "max_power"
CONF_THROTTLE: Final = "throttle"
CONF_THROTTLE_SECONDS: Final = "throttle_seconds"
CONF_THROTTLE_POWER: Final = "throttle_power"
CONF_THROTTLE_ENERGY: Final = "throttle_energy"

DEFAULT_PREFIX: Final = "intelergy"
DEFAULT_INTERVAL: Final = 5
# A new meter starts with recorder write throttling on (benchmarks/RESULTS.md:
# half the state rows and ~40 % less CPU per meter); an entry without the option
# (one made before) keeps it off.
DEFAULT_THROTTLE: Final = True
DEFAULT_THROTTLE_SECONDS: Final = 60
DEFAULT_THROTTLE_POWER: Final = 50.0
DEFAULT_THROTTLE_ENERGY: Final = 0.001
MAX_RELAYS: Final = 16
# No telemetry for this many intervals: the meter is unavailable.
SILENCE_INTERVALS: Final = 3
# The most power a meter on this contract meters (W): a PZEM-004T's 100 A at
# 260 V. More energy than this between two readings is a glitch, never
# consumption (core/counter.py).
MAX_POWER_W: Final = 26000.0
