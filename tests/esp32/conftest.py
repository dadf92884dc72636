"""ESP32 meter tests run HA's MQTT integration against a real Mosquitto on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from homeassistant.core import HomeAssistant
import pytest

from tests.mosquitto import Mosquitto, mosquitto_binary

from .common import Link, mqtt_link


@pytest.fixture(autouse=True)
def quick_subscribes(monkeypatch: pytest.MonkeyPatch) -> None:
    """HA's MQTT client batches (un)subscribes for 0.1-0.5 s; tests need not wait."""
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


@pytest.fixture
async def link(
    hass: HomeAssistant, broker: Mosquitto, mock_hass_config: None
) -> AsyncGenerator[Link]:
    """HA's MQTT integration connected to ``broker`` (real clock)."""
    async for link in mqtt_link(hass, broker):
        yield link
