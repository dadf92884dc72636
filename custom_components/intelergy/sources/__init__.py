"""Source kinds, each in its own package; adding one is a package and a line here."""

from __future__ import annotations

from typing import Final

from ..const import KIND_ELNET, KIND_SHELLY
from ..models import SourceKind
from . import elnet, shelly

SOURCES: Final[dict[str, SourceKind]] = {
    KIND_ELNET: elnet.SOURCE_KIND,
    KIND_SHELLY: shelly.SOURCE_KIND,
}
