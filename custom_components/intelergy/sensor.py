"""sensor platform: the entities each source describes."""

from __future__ import annotations

from homeassistant.const import Platform

from .entity import platform_setup

# Coordinator-driven entities do not poll on their own.
PARALLEL_UPDATES = 0

async_setup_entry = platform_setup(Platform.SENSOR)
