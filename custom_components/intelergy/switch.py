"""switch platform: the relays each source describes."""

from __future__ import annotations

from homeassistant.const import Platform

from .entity import platform_setup

# Coordinator-driven entities do not poll; the devices take concurrent commands.
PARALLEL_UPDATES = 0

async_setup_entry = platform_setup(Platform.SWITCH)
