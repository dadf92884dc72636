"""Constants shared by every Intelergy source."""

from __future__ import annotations

import logging
from typing import Final

DOMAIN: Final = "intelergy"
LOGGER: Final = logging.getLogger(__package__)

# Config entry data: which source kind the entry belongs to.
CONF_KIND: Final = "kind"
KIND_ELNET: Final = "elnet"
KIND_SHELLY: Final = "shelly"
KIND_ESP32: Final = "esp32"
KIND_PZEM: Final = "pzem"
KIND_ANOMALY: Final = "anomaly"
KIND_BILLING: Final = "billing"

# Flow field: the room (area) a new device goes in; kept in the entry data as
# CONF_AREA_ID until set-up applies it to the device once.
CONF_ROOM: Final = "room"
CONF_AREA_ID: Final = "area_id"
