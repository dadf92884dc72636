"""Constants of Shelly entries."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

CONF_HOST: Final = "host"
CONF_PORT: Final = "port"
CONF_USERNAME: Final = "username"
CONF_PASSWORD: Final = "password"  # noqa: S105 (a key, not a secret)
CONF_GEN: Final = "gen"
# One-shot: the area chosen in the flow's "room" field, applied at first set-up.

DEFAULT_PORT: Final = 80
# Gen2+ devices log in as "admin" only.
RPC_USERNAME: Final = "admin"

# Gen1 has no push here: /status is polled. Gen2+ pushes over its websocket; the
# poll is a safety net for values a device does not push.
GEN1_POLL_INTERVAL: Final = timedelta(seconds=10)
RPC_POLL_INTERVAL: Final = timedelta(seconds=60)
REQUEST_TIMEOUT: Final = 10.0
# Last-restart timestamps move only when the uptime disagrees by more than this.
UPTIME_TOLERANCE_SECONDS: Final = 60

# The most power a channel can meter (W): its rating, by model id. More energy
# than this could deliver between two readings is a glitch, never consumption
# (core/counter.py). Unknown models: 16 A at 230 V.
MAX_POWER_W: Final = {
    "SHPLG-S": 2500.0,  # Plug S: 10 A
    "SHPLG-1": 3500.0,  # Plug: 16 A
    "SHPLG2-1": 3500.0,
    "SHPLG-U1": 1800.0,  # Plug US: 15 A at 120 V
    "SNPL-00112EU": 2500.0,  # Plus Plug S: 10 A
    "SNPL-00116US": 1800.0,
    "S3PL-00112EU": 2760.0,  # Plug S Gen3: 12 A
    "S4PL-00416EU": 2500.0,  # Power Strip Gen4: 10 A for the strip
}
DEFAULT_MAX_POWER_W: Final = 3680.0
