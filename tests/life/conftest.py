"""The lives run against the real recorder and, for ESP32 meters, a real Mosquitto."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from freezegun.api import FrozenDateTimeFactory
import pytest

from tests.mosquitto import Mosquitto, mosquitto_binary
from tests.recorder import auto_enable_custom_integrations  # noqa: F401

from .common import T0, utc


@pytest.fixture
def at_t0(freezer: FrozenDateTimeFactory) -> None:
    """HA's clock at ``T0`` before anything is set up (it then only moves on)."""
    freezer.move_to(utc(T0))


@pytest.fixture(autouse=True)
def quick_subscribes(monkeypatch: pytest.MonkeyPatch) -> None:
    """HA's MQTT client batches (un)subscribes for 0.1-0.5 s; lives need not wait."""
    from homeassistant.components.mqtt import client  # noqa: PLC0415

    for name in (
        "INITIAL_SUBSCRIBE_COOLDOWN",
        "SUBSCRIBE_COOLDOWN",
        "UNSUBSCRIBE_COOLDOWN",
    ):
        monkeypatch.setattr(client, name, 0.01)


@pytest.fixture
async def broker(socket_enabled: None) -> AsyncGenerator[Mosquitto]:
    """A private broker (scripts/setup installs mosquitto)."""
    if mosquitto_binary() is None:  # pragma: no cover - scripts/setup installs it
        pytest.skip("mosquitto is not installed (scripts/setup installs it)")
    broker = Mosquitto()
    await broker.start()
    yield broker
    await broker.stop()
