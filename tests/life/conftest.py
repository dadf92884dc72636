"""The lives run against the real recorder and, for ESP32 meters, a real Mosquitto.

The broker is tests/conftest.py's ``broker`` fixture (tests/meters/esp32 uses it too).
"""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.core import HomeAssistant
import pytest

from tests.recorder import auto_enable_custom_integrations  # noqa: F401

from .common import T0, Stage, utc


@pytest.fixture
def at_t0(freezer: FrozenDateTimeFactory) -> None:
    """HA's clock at ``T0`` before anything is set up (it then only moves on)."""
    freezer.move_to(utc(T0))


@pytest.fixture
def stage(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    at_t0: None,
    socket_enabled: None,
) -> Stage:
    """Where a polled source lives: the real recorder, HA's clock at ``T0``, sockets."""
    return Stage(hass, freezer)
