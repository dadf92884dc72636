"""The lives run against the real recorder and, for ESP32 meters, a real Mosquitto.

The broker is tests/conftest.py's ``broker`` fixture (tests/meters/esp32 uses it too).
"""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
import pytest

from tests.recorder import auto_enable_custom_integrations  # noqa: F401

from .common import T0, utc


@pytest.fixture
def at_t0(freezer: FrozenDateTimeFactory) -> None:
    """HA's clock at ``T0`` before anything is set up (it then only moves on)."""
    freezer.move_to(utc(T0))
