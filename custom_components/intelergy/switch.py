"""switch platform: the relays each source describes."""

from __future__ import annotations

from homeassistant.const import Platform

from .entity import platform_setup

# One relay command at a time per device (a platform per entry): a strip or a meter
# handles one request at a time, and commands sent together would time out there.
PARALLEL_UPDATES = 1

async_setup_entry = platform_setup(Platform.SWITCH)
