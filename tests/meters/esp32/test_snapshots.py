"""Entity and diagnostics snapshots of an ESP32 meter entry on a real Mosquitto.

HA's MQTT integration runs against the broker on 127.0.0.1 (``broker``) on a
clock frozen once the broker is up (``mqtt_link`` with the freezer: each wait
moves it 10 ms; the broker's own start needs a running clock); the entry is set
up as tests/meters/esp32/test_meter.py sets it up and the meter publishes one
canonical reading stamped at the frozen clock's start.
tests/common.py says what is masked.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from tests.common import (
    SNAPSHOT_TIME,
    assert_diagnostics_match,
    assert_entities_match,
)
from tests.mosquitto import Mosquitto

from .common import Link, mqtt_link, set_up

READING = {
    "timestamp": SNAPSHOT_TIME.timestamp(),
    "voltage": 231.2,
    "current": 4.35,
    "power": 998.1,
    "energy": 12.5,
    "power_factor": 0.99,
    "frequency": 50.02,
    "rssi": -71,
    "uptime": 3600,
    "boot": 3,
    "relays": [True, False],
}


@pytest.fixture
async def link(
    hass: HomeAssistant,
    broker: Mosquitto,
    mock_hass_config: None,
    freezer: FrozenDateTimeFactory,
) -> AsyncGenerator[Link]:
    """HA's MQTT on the broker, on the frozen clock (overrides the conftest one)."""
    freezer.move_to(SNAPSHOT_TIME)
    async for link in mqtt_link(hass, broker, freezer):
        yield link


async def meter(link: Link) -> MockConfigEntry:
    """A loaded meter entry that has sent one reading."""
    entry = await set_up(link)
    await link.publish("state", READING)
    return entry


async def test_entities(
    hass: HomeAssistant, snapshot: SnapshotAssertion, link: Link
) -> None:
    entry = await meter(link)
    assert_entities_match(hass, snapshot, entry)


async def test_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    snapshot: SnapshotAssertion,
    link: Link,
) -> None:
    entry = await meter(link)
    # When HA handled the reading: the start plus 10 ms per wait for the broker.
    handled = ("source.counters.seen_at", "source.counters.channels.0.at")
    await assert_diagnostics_match(hass, hass_client, snapshot, entry, times=handled)
