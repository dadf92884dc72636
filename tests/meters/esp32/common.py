"""Helpers of the ESP32 meter tests: a real broker, HA's MQTT entry, the meter's side."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
import contextlib
from dataclasses import dataclass, field
from datetime import timedelta
import json
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import mqtt
from homeassistant.components.mqtt.models import ReceiveMessage
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.intelergy.const import CONF_KIND, DOMAIN, KIND_ESP32
from custom_components.intelergy.meters.esp32.const import (
    CONF_DEVICE_ID,
    CONF_FIELDS,
    CONF_INTERVAL,
    CONF_PREFIX,
    CONF_RELAYS,
)
from tests.mosquitto import Mosquitto

DEVICE = "kitchen-meter"
BASE = f"intelergy/{DEVICE}"
UNIQUE = f"intelergy/{DEVICE}"
PROBE = "intelergy-test/probe"


def meter_entry(
    hass: HomeAssistant,
    *,
    relays: int = 2,
    device_id: str = DEVICE,
    options: dict[str, Any] | None = None,
) -> MockConfigEntry:
    """An ESP32 meter entry under the default prefix."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=f"ESP32 meter {device_id}",
        unique_id=f"intelergy/{device_id}",
        data={
            CONF_KIND: KIND_ESP32,
            CONF_DEVICE_ID: device_id,
            CONF_PREFIX: "intelergy",
            CONF_INTERVAL: 5,
            CONF_RELAYS: relays,
            CONF_FIELDS: [],
        },
        options=options or {},
    )
    entry.add_to_hass(hass)
    return entry


@dataclass
class Link:
    """HA's MQTT client on a real broker, and ways to know a message has arrived.

    ``sync()`` publishes a numbered probe on a topic HA subscribed to at the start
    and waits for it: every message published before it has been handled (one
    connection, delivered in order). ``settle()`` does the same on a new topic,
    so every subscription made before it (HA debounces them) is live too.
    """

    hass: HomeAssistant
    broker: Mosquitto
    freezer: FrozenDateTimeFactory | None = None
    sent: list[tuple[str, str]] = field(default_factory=list)
    _count: int = 0
    _seen: set[str] = field(default_factory=set)
    _unsubscribe: list[Callable[[], None]] = field(default_factory=list)

    @callback
    def _probe(self, message: ReceiveMessage) -> None:
        payload = message.payload
        self._seen.add(payload if isinstance(payload, str) else payload.decode())

    async def _round_trip(self, topic: str) -> None:
        self._count += 1
        token = str(self._count)
        # Up to 120 s of a frozen clock: after a jump HA may reconnect first.
        for attempt in range(12000):
            if attempt % 10 == 0:  # (re)publish until the subscription is live
                # HA's client may be reconnecting (a clock jump outran its
                # keep-alive): the next attempt publishes again.
                with contextlib.suppress(HomeAssistantError):
                    await mqtt.async_publish(self.hass, topic, token)
            await self.wait()
            if token in self._seen:
                break
        else:
            raise AssertionError(f"probe {token} on {topic} did not come back")
        await self.hass.async_block_till_done()

    async def sync(self) -> None:
        """Wait until everything published so far has been handled."""
        await self._round_trip(PROBE)

    async def settle(self) -> None:
        """Wait until every subscription made so far is live, then ``sync()``."""
        topic = f"{PROBE}/{self._count + 1}"
        unsubscribe = await mqtt.async_subscribe(self.hass, topic, self._probe)
        try:
            await self._round_trip(topic)
        finally:
            unsubscribe()

    async def wait(self) -> None:
        """Let the loop poll the sockets for a moment (a frozen clock moves 10 ms)."""
        if self.freezer is not None:
            self.freezer.tick(0.01)
            async_fire_time_changed(self.hass)
            await asyncio.sleep(0)
        else:
            await asyncio.sleep(0.002)
        await self.hass.async_block_till_done()

    async def later(self, seconds: float) -> None:
        """Run the timers due within ``seconds`` (HA's clock is not moved)."""
        async_fire_time_changed(
            self.hass, dt_util.utcnow() + timedelta(seconds=seconds)
        )
        await self.hass.async_block_till_done()

    async def publish(self, topic: str, payload: Any, *, retain: bool = False) -> None:
        """Publish as the meter (dicts and lists as JSON) and wait for HA to handle it."""
        text = payload if isinstance(payload, str | bytes) else json.dumps(payload)
        await mqtt.async_publish(self.hass, f"{BASE}/{topic}", text, 1, retain)
        await self.sync()

    async def capture(self, topic: str) -> None:
        """Record what HA publishes on ``topic`` (a filter) in ``sent``."""

        @callback
        def record(message: ReceiveMessage) -> None:
            payload = message.payload
            self.sent.append(
                (
                    message.topic,
                    payload if isinstance(payload, str) else payload.decode(),
                )
            )

        self._unsubscribe.append(await mqtt.async_subscribe(self.hass, topic, record))
        await self.settle()

    def close(self) -> None:
        """Drop the test's own subscriptions."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()


async def mqtt_link(
    hass: HomeAssistant, broker: Mosquitto, freezer: FrozenDateTimeFactory | None = None
) -> AsyncGenerator[Link]:
    """HA's MQTT integration on ``broker``; unloads everything before the broker stops."""
    # No birth message: after a reconnect HA publishes it from a task of its own,
    # which fails when a test has just cut the broker again.
    entry = MockConfigEntry(
        domain="mqtt",
        data={"broker": broker.host, "port": broker.port},
        options={"birth_message": {}},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    link = Link(hass, broker, freezer)
    link._unsubscribe.append(await mqtt.async_subscribe(hass, PROBE, link._probe))
    await link.settle()
    yield link
    for ours in hass.config_entries.async_entries(DOMAIN):
        if ours.state is ConfigEntryState.LOADED:
            await hass.config_entries.async_unload(ours.entry_id)
    link.close()
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def set_up(link: Link, **kwargs: Any) -> MockConfigEntry:
    """A loaded meter entry whose subscriptions are live at the broker."""
    entry = meter_entry(link.hass, **kwargs)
    assert await link.hass.config_entries.async_setup(entry.entry_id)
    await link.settle()
    assert entry.state is ConfigEntryState.LOADED
    return entry


def entity_of(
    hass: HomeAssistant, platform: str, key: str, unique: str = UNIQUE
) -> str:
    """The entity id of the meter's entity ``key``."""
    entity_id = er.async_get(hass).async_get_entity_id(
        platform, DOMAIN, f"{unique}_{key}"
    )
    assert entity_id, key
    return entity_id


def state_of(hass: HomeAssistant, platform: str, key: str, unique: str = UNIQUE) -> str:
    """The state of the meter's entity ``key``."""
    state = hass.states.get(entity_of(hass, platform, key, unique))
    assert state is not None
    return state.state
