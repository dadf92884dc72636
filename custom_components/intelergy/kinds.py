"""Entry kinds: each in its own package (meters/ or analytics/); adding one is its package and a line here.

The order is the order of the "Add entry" menu.
"""

from __future__ import annotations

from typing import Final

from .analytics import anomaly, billing
from .const import (
    KIND_ANOMALY,
    KIND_BILLING,
    KIND_ELNET,
    KIND_ESP32,
    KIND_PZEM,
    KIND_SHELLY,
)
from .meters import elnet, esp32, pzem, shelly
from .models import EntryKind

ENTRY_KINDS: Final[dict[str, EntryKind]] = {
    KIND_SHELLY: shelly.ENTRY_KIND,
    KIND_ESP32: esp32.ENTRY_KIND,
    KIND_PZEM: pzem.ENTRY_KIND,
    KIND_ELNET: elnet.ENTRY_KIND,
    KIND_ANOMALY: anomaly.ENTRY_KIND,
    KIND_BILLING: billing.ENTRY_KIND,
}
