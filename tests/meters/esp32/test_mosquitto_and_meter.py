"""The simulated ESP32 meter against the MQTT contract, through a real Mosquitto.

The pure parts (readings, shapes, the offline buffer, backlog chunks) are tested
in-process; the MQTT behaviour runs the meter's CLI as a subprocess (its network
loop lives in threads) against a private broker from ``tests/mosquitto.py``, through
the MQTT end-to-end harness (``harness.py``, shared with tests/firmware).
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

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
from tests.mosquitto import mosquitto_binary

from .harness import (
    INTERVAL,
    broker_running,
    on_topic,
    simulated_meter,
    stop_meter,
    subscribed,
)

NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z

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
        simulated_meter(broker, device, "--energy", "12.3") as meter,
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
        simulated_meter(broker, "camel-meter", "--shape", "camel") as camel,
        simulated_meter(broker, "snake-meter", "--shape", "snake", "--relays", "0"),
        simulated_meter(broker, "plain-meter", "--prefix", "intelergy"),
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
