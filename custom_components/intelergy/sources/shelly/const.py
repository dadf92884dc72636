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
CONF_AREA_ID: Final = "area_id"
CONF_ROOM: Final = "room"

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
