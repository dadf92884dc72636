"""The simulated ESP32 meter against the MQTT contract, through a real Mosquitto.

The pure parts (readings, shapes, the offline buffer, backlog chunks) are tested
in-process; the MQTT behaviour runs the meter's CLI as a subprocess (its network
loop lives in threads) against a private broker from ``tests/mosquitto.py``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
import contextlib
from dataclasses import dataclass
import json
from pathlib import Path
import sys
import time
from typing import Any

from paho.mqtt.client import Client, ConnectFlags, MQTTMessage, MQTTv311
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
import pytest

from custom_components.intelergy.core.esp32.client import (
    MAX_BACKLOG_BYTES,
    MAX_STATE_BYTES,
    parse_backlog,
    parse_state,
)
from simulators.esp32_meter import (
    BACKLOG_CHUNK,
    BASE_LOAD_W,
    SHAPES,
    SimulatedMeter,
    backlog_chunks,
)
from tests.mosquitto import Mosquitto, mosquitto_binary

ROOT = Path(__file__).resolve().parents[2]
NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z
INTERVAL = 0.5  # seconds between the subprocess meter's readings
TIMEOUT = 5.0  # seconds to wait for any one message

needs_mosquitto = pytest.mark.skipif(
    mosquitto_binary() is None,
    reason="mosquitto is not installed (scripts/setup installs it; or apt/brew install mosquitto)",
)


# --- the meter, in-process and without a broker --------------------------------
@pytest.mark.parametrize("shape", SHAPES)
def test_every_shape_parses_and_integrates_energy(shape: str) -> None:
    meter = SimulatedMeter("kitchen-meter", shape=shape, loads=[100.0, 1000.0], seed=1)
    first = parse_state(
        json.dumps(meter.reading(NOW)), NOW, topic_device_id="kitchen-meter"
    )
    assert first.device_id == "kitchen-meter"
    assert first.timestamp == pytest.approx(NOW)
    assert first.energy == 0.0
    assert first.power == pytest.approx(1103.0, rel=0.02)
    assert first.voltage == pytest.approx(230.0, abs=3)
    assert first.current == pytest.approx(1103.0 / 230.0, rel=0.05)
    assert first.relays == (True, True)
    hour = parse_state(json.dumps(meter.reading(NOW + 3600)), NOW + 3600)
    assert hour.energy == pytest.approx(1.103, abs=1e-6)
    assert hour.timestamp == pytest.approx(NOW + 3600)
    if shape == "canonical":
        assert hour.uptime == 3600
        assert hour.interval == 5.0
        assert hour.power_factor == pytest.approx(0.95, abs=0.03)
        assert hour.frequency == pytest.approx(50.0, abs=0.1)
        assert hour.rssi is not None
        assert -70 < hour.rssi < -50


def test_shapes_use_the_field_names_found_in_the_wild() -> None:
    camel = SimulatedMeter("m1", shape="camel").reading(NOW)
    assert {"deviceId", "power", "energy"} <= camel.keys()
    assert isinstance(camel["timestamp"], float)
    snake = SimulatedMeter("m1", shape="snake").reading(NOW)
    assert {"device_id", "power_w", "energy_kwh"} <= snake.keys()
    assert snake["timestamp"] == "2026-01-01T00:00:00.000Z"
    # The contract's interval field starts at 1 s: a faster meter leaves it out.
    assert "interval" not in SimulatedMeter("m1", interval=0.5).reading(NOW)


def test_relays_set_the_load_and_energy_never_goes_down() -> None:
    meter = SimulatedMeter("m1", relays=2, loads=[100.0, 1000.0], energy_kwh=12.3)
    meter.reading(NOW)
    meter.set_relay(1, False, now=NOW + 1800)  # half an hour at 1103 W
    reading = meter.reading(NOW + 3600)  # then half an hour at 103 W
    assert reading["relays"] == [True, False]
    assert reading["power"] == pytest.approx(103.0, rel=0.02)
    assert reading["energy"] == pytest.approx(12.3 + 1.103 / 2 + 0.103 / 2, abs=1e-6)
    meter.set_relay(0, False, now=NOW + 3600)
    assert meter.load_w() == BASE_LOAD_W
    # A clock that steps back adds nothing and takes nothing away.
    earlier = meter.reading(NOW + 100)
    assert earlier["energy"] == reading["energy"]


def test_readings_are_buffered_while_disconnected_and_bounded() -> None:
    meter = SimulatedMeter("m1", buffer_size=3)
    for second in range(5):
        meter.tick(NOW + second)  # never started: not connected
    assert meter.buffered == 3
    assert meter.dropped == 2
    assert meter.published == 0
    chunks = meter.drain_backlog()
    assert meter.buffered == 0
    assert [r["timestamp"] for r in chunks[0]] == [NOW + 2, NOW + 3, NOW + 4]


def test_backlog_goes_out_in_chunks_of_at_most_500_oldest_first() -> None:
    meter = SimulatedMeter("kitchen-meter", interval=1.0, relays=16, shape="snake")
    for second in range(1234):
        meter.tick(NOW + second)
    chunks = meter.drain_backlog()
    assert [len(chunk) for chunk in chunks] == [BACKLOG_CHUNK, BACKLOG_CHUNK, 234]
    timestamps: list[float] = []
    for chunk in chunks:
        payload = json.dumps(chunk)
        assert len(payload.encode()) <= MAX_BACKLOG_BYTES
        readings = parse_backlog(payload, NOW + 1234, topic_device_id="kitchen-meter")
        timestamps.extend(r.timestamp for r in readings if r.timestamp is not None)
    assert timestamps == [NOW + second for second in range(1234)]
    assert len(json.dumps(meter.reading(NOW + 1234))) <= MAX_STATE_BYTES
    assert backlog_chunks([]) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"device_id": "a/b"}, "device id"),
        ({"device_id": "m1", "shape": "kebab"}, "shape"),
        ({"device_id": "m1", "relays": 2, "loads": [1.0]}, "loads"),
        ({"device_id": "m1", "relays": 17}, "relays"),
        ({"device_id": "m1", "prefix": "a/#"}, "prefix"),
    ],
)
def test_bad_settings_are_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SimulatedMeter(**kwargs)


# --- over MQTT ------------------------------------------------------------------
@dataclass
class Message:
    """One message the test's subscriber received."""

    topic: str
    payload: bytes
    retain: bool
    received: float  # epoch seconds

    @property
    def text(self) -> str:
        """The payload as text."""
        return self.payload.decode()


class Subscriber:
    """A paho client in the test collecting every message under ``topic``."""

    def __init__(self, broker: Mosquitto, topic: str) -> None:
        """Subscribe to ``topic`` on ``broker`` once started."""
        self.broker = broker
        self.topic = topic
        self.messages: list[Message] = []
        self._loop = asyncio.get_running_loop()
        self._changed = asyncio.Event()
        self._subscribed = asyncio.Event()
        self.client = Client(CallbackAPIVersion.VERSION2, protocol=MQTTv311)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message

    def _on_connect(
        self,
        client: Client,
        userdata: Any,
        flags: ConnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        client.subscribe(self.topic, qos=1)

    def _on_subscribe(
        self,
        client: Client,
        userdata: Any,
        mid: int,
        reason_codes: list[ReasonCode],
        properties: Properties | None,
    ) -> None:
        self._loop.call_soon_threadsafe(self._subscribed.set)

    def _on_message(self, client: Client, userdata: Any, message: MQTTMessage) -> None:
        received = Message(message.topic, message.payload, message.retain, time.time())
        self._loop.call_soon_threadsafe(self._add, received)

    def _add(self, message: Message) -> None:
        self.messages.append(message)
        self._changed.set()

    async def start(self) -> None:
        """Connect in paho's thread and return once subscribed."""
        self.client.connect_async(self.broker.host, self.broker.port)
        self.client.loop_start()
        await asyncio.wait_for(self._subscribed.wait(), TIMEOUT)

    def stop(self) -> None:
        """Disconnect and join paho's thread."""
        self.client.disconnect()
        self.client.loop_stop()

    def resubscribe(self) -> None:
        """Subscribe again: the broker re-sends the retained messages."""
        self.client.subscribe(self.topic, qos=1)

    async def wait_for(
        self,
        suffix: str,
        match: Callable[[Message], bool] = lambda _: True,
        *,
        after: int = 0,
    ) -> tuple[int, Message]:
        """The first message from index ``after`` on ``…/<suffix>`` that ``match``es."""
        index = after
        async with asyncio.timeout(TIMEOUT):
            while True:
                while index < len(self.messages):
                    message = self.messages[index]
                    index += 1
                    if message.topic.endswith(f"/{suffix}") and match(message):
                        return index, message
                self._changed.clear()
                await self._changed.wait()

    def payloads(self, suffix: str, after: int = 0) -> list[Message]:
        """Every message on ``…/<suffix>`` from index ``after``."""
        return [m for m in self.messages[after:] if m.topic.endswith(f"/{suffix}")]


def on_topic(topic: str) -> Callable[[Message], bool]:
    """A ``Subscriber.wait_for`` match: messages on exactly ``topic``."""
    return lambda message: message.topic == topic


@contextlib.asynccontextmanager
async def broker_running() -> AsyncIterator[Mosquitto]:
    """A private broker, stopped however the test ends."""
    broker = Mosquitto()
    await broker.start()
    try:
        yield broker
    finally:
        await broker.stop()


@contextlib.asynccontextmanager
async def subscribed(broker: Mosquitto, topic: str) -> AsyncIterator[Subscriber]:
    """A started ``Subscriber``, stopped however the test ends."""
    subscriber = Subscriber(broker, topic)
    try:
        await subscriber.start()
        yield subscriber
    finally:
        subscriber.stop()


@contextlib.asynccontextmanager
async def meter_process(
    broker: Mosquitto, device_id: str, *args: str
) -> AsyncIterator[asyncio.subprocess.Process]:
    """``python -m simulators.esp32_meter``, connected; killed however the test ends."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "simulators.esp32_meter",
        "--device-id",
        device_id,
        "--host",
        broker.host,
        "--port",
        str(broker.port),
        "--interval",
        str(INTERVAL),
        *args,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), TIMEOUT)
        assert b"connected" in line, line
        yield process
    finally:
        if process.returncode is None:
            process.kill()
        await process.communicate()


async def stop_meter(process: asyncio.subprocess.Process) -> str:
    """SIGTERM the meter; its stderr, once it exited 0."""
    process.terminate()
    _, stderr = await asyncio.wait_for(process.communicate(), TIMEOUT)
    assert process.returncode == 0, stderr.decode()
    return stderr.decode()


@needs_mosquitto
async def test_broker_restarts_on_the_same_port(socket_enabled: None) -> None:
    async with broker_running() as broker:
        port, states = broker.port, [broker.running]
        await broker.stop()
        states.append(broker.running)
        await broker.stop()  # idempotent
        await broker.restart()
        states.append(broker.running)
        assert states == [True, False, True]
        assert broker.port == port
        _, writer = await asyncio.open_connection(broker.host, broker.port)
        writer.close()
        await writer.wait_closed()


@needs_mosquitto
async def test_meter_over_mqtt_relays_outage_backlog_and_offline(
    socket_enabled: None,
) -> None:
    device = "kitchen-meter"
    async with (
        broker_running() as broker,
        meter_process(broker, device, "--energy", "12.3") as meter,
    ):
        async with subscribed(broker, f"intelergy/{device}/#") as sub:
            # Subscribed after the meter connected: what arrives first is retained.
            _, online = await sub.wait_for("availability")
            assert (online.text, online.retain) == ("online", True)
            _, relay = await sub.wait_for("relay/0")
            assert (relay.text, relay.retain) == ("ON", True)
            _, state = await sub.wait_for("state")
            reading = parse_state(state.payload, time.time(), topic_device_id=device)
            assert reading.relays == (True, True)
            assert reading.energy is not None
            assert reading.energy >= 12.3

            # Commands: OFF switches relay 0; anything else is ignored.
            sub.client.publish(f"intelergy/{device}/relay/1/set", "bogus", qos=1)
            sub.client.publish(f"intelergy/{device}/relay/0/set", "OFF", qos=1)
            index, relay = await sub.wait_for("relay/0", lambda m: m.text == "OFF")
            _, state = await sub.wait_for("state", after=index)
            assert parse_state(state.payload, time.time()).relays == (False, True)
            sub.resubscribe()
            _, relay = await sub.wait_for("relay/0", lambda m: m.retain, after=index)
            assert relay.text == "OFF"
            _, relay = await sub.wait_for("relay/1", lambda m: m.retain, after=index)
            assert relay.text == "ON"
            before_outage = parse_state(sub.payloads("state")[-1].payload, time.time())

        # Cut the broker for about three intervals, then bring it back.
        cut = time.time()
        await broker.stop()
        await asyncio.sleep(3 * INTERVAL)
        await broker.restart()
        back = time.time()
        # The meter retries after 1 s (refused), then 2 s later: a subscriber that
        # connects at once is there before it.
        async with subscribed(broker, f"intelergy/{device}/#") as sub:
            index, message = await sub.wait_for("backlog")
            backlog = parse_backlog(
                message.payload, time.time(), topic_device_id=device
            )
            times = [r.timestamp for r in backlog if r.timestamp is not None]
            assert len(times) == len(backlog) >= 3
            assert times == sorted(times)
            assert times[0] <= cut + INTERVAL + 0.2
            assert times[-1] >= back - INTERVAL - 0.2
            energies = [before_outage.energy] + [r.energy for r in backlog]
            assert all(e is not None for e in energies)
            assert energies == sorted(energies)  # type: ignore[type-var]
            assert all(r.relays == (False, True) for r in backlog)
            # State resumes after the backlog and after the meter's online.
            _, online = await sub.wait_for("availability")
            assert online.text == "online"
            _, state = await sub.wait_for("state", after=index)
            resumed = parse_state(state.payload, time.time(), topic_device_id=device)
            assert resumed.timestamp is not None
            assert resumed.timestamp > times[-1]
            assert resumed.energy is not None
            assert resumed.energy >= backlog[-1].energy  # type: ignore[operator]
            assert not sub.payloads("backlog", after=index)

            # SIGTERM: a clean disconnect that says offline first.
            stderr = await stop_meter(meter)
            _, offline = await sub.wait_for(
                "availability", lambda m: m.text == "offline"
            )
            assert offline.text == "offline"
        assert "ignored command 'bogus'" in stderr


@needs_mosquitto
async def test_every_shape_over_mqtt_and_the_last_will(socket_enabled: None) -> None:
    async with (
        broker_running() as broker,
        subscribed(broker, "intelergy/+/+") as sub,
        meter_process(broker, "camel-meter", "--shape", "camel") as camel,
        meter_process(broker, "snake-meter", "--shape", "snake", "--relays", "0"),
        meter_process(broker, "plain-meter", "--prefix", "intelergy"),
    ):
        for device in ("camel-meter", "snake-meter", "plain-meter"):
            _, state = await sub.wait_for(
                "state", on_topic(f"intelergy/{device}/state")
            )
            reading = parse_state(state.payload, time.time(), topic_device_id=device)
            assert reading.device_id == device
            assert reading.power is not None
            assert reading.energy is not None
        # Killed without a goodbye: the broker publishes the Last Will.
        camel.kill()
        await camel.wait()
        _, will = await sub.wait_for(
            "availability",
            lambda m: (
                m.topic == "intelergy/camel-meter/availability" and m.text == "offline"
            ),
        )
        assert will.retain is False  # delivered live
