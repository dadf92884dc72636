"""Source kinds, each in its own package; adding one is a package and a line here."""

from __future__ import annotations

from typing import Final

from ..const import (
    KIND_ANOMALY,
    KIND_BILLING,
    KIND_ELNET,
    KIND_ESP32,
    KIND_PZEM,
    KIND_SHELLY,
)
from ..models import SourceKind
from . import anomaly, billing, elnet, esp32, pzem, shelly

SOURCES: Final[dict[str, SourceKind]] = {
    KIND_ELNET: elnet.SOURCE_KIND,
    KIND_SHELLY: shelly.SOURCE_KIND,
    KIND_ESP32: esp32.SOURCE_KIND,
    KIND_PZEM: pzem.SOURCE_KIND,
    KIND_ANOMALY: anomaly.SOURCE_KIND,
    KIND_BILLING: billing.SOURCE_KIND,
}
