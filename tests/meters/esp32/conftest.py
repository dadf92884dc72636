"""ESP32 meter tests run HA's MQTT integration against a real Mosquitto on 127.0.0.1.

The broker (and the quick subscribes HA's MQTT client gets on it) comes from
tests/conftest.py: tests/life runs ESP32 meters too.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

from homeassistant.core import HomeAssistant
import pytest

from tests.mosquitto import Mosquitto

from .common import Link, mqtt_link


@pytest.fixture
async def link(
    hass: HomeAssistant, broker: Mosquitto, mock_hass_config: None
) -> AsyncGenerator[Link]:
    """HA's MQTT integration connected to ``broker`` (real clock)."""
    async for link in mqtt_link(hass, broker):
        yield link
