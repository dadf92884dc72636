"""binary sensor platform: the entities each source describes."""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .models import IntelergyConfigEntry

# Coordinator-driven entities do not poll on their own.
PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: IntelergyConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the entities the entry's source describes for this platform."""
    async_add_entities(entry.runtime_data.entities(Platform.BINARY_SENSOR))
