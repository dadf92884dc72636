"""The firmware's host build (``intelergy-meter``) as a meter on a real Mosquitto.

The same C++ core as on the ESP32 (sampler, energy counter, relays, over-current
cut-off, MQTT session with its offline buffer), on libmosquitto, with simulated
sensors behind the real front ends. The meter runs as a subprocess against a
private broker on 127.0.0.1 (``tests/mosquitto.py``); the test cuts the broker and
brings it back, and reads everything with the integration's own parser.
"""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path
import time

import pytest

from custom_components.intelergy.core.esp32.client import (
    parse_backlog,
    parse_relay_state,
    parse_state,
)
from tests.mosquitto import mosquitto_binary

from .meter import (
    INTERVAL,
    broker_running,
    meter_process,
    readings,
    stop_meter,
    subscribed,
)

OUTAGE = 2.0  # seconds without a broker

pytestmark = [
    pytest.mark.skipif(
        mosquitto_binary() is None,
        reason="mosquitto is not installed (scripts/setup installs it)",
    ),
    # The first test may build the firmware (scripts/test has built it already).
    pytest.mark.timeout(300),
]


async def test_outage_backlog_arrives_complete_and_in_order(
    socket_enabled: None, host_meter_binary: Path, tmp_path: Path
) -> None:
    device = "fw-meter"
    async with (
        broker_running() as broker,
        meter_process(
            host_meter_binary,
            broker,
            device,
            "--sensor",
            "adc",
            "--state-dir",
            str(tmp_path),
            "--energy",
            "12.3",
            "--backoff-max",
            "2",
        ) as meter,
    ):
        async with subscribed(broker, f"intelergy/{device}/#") as before:
            # Subscribed after the meter connected: what comes first is retained.
            _, online = await before.wait_for("availability")
            assert (online.text, online.retain) == ("online", True)
            _, relay = await before.wait_for("relay/1")
            assert (parse_relay_state(relay.payload), relay.retain) == (True, True)
            _, state = await before.wait_for("state")
            first = parse_state(state.payload, time.time(), topic_device_id=device)
            assert first.device_id == device
            assert first.boot == 1  # the first start with this state directory
            assert first.dropped is None  # nothing lost
            assert first.relays == (True, True)
            assert first.energy is not None
            assert first.energy >= 12.3
            assert first.power == pytest.approx(
                1103.0, rel=0.03
            )  # 3 W + 100 W + 1000 W
            assert first.voltage == pytest.approx(230.0, abs=4.0)
            assert first.frequency == pytest.approx(50.0, abs=0.2)
            assert first.power_factor == pytest.approx(0.95, abs=0.05)

            # A relay command round-trips; anything else is ignored.
            before.client.publish(f"intelergy/{device}/relay/1/set", "bogus", qos=1)
            before.client.publish(f"intelergy/{device}/relay/0/set", "OFF", qos=1)
            index, relay = await before.wait_for(
                "relay/0", lambda m: m.text == "OFF", after=0
            )
            assert relay.retain is False  # delivered live
            _, state = await before.wait_for(
                "state",
                lambda m: parse_state(m.payload, time.time()).relays == (False, True),
                after=index,
            )
            switched = parse_state(state.payload, time.time())
            assert switched.power == pytest.approx(1003.0, rel=0.03)  # 3 W + 1000 W

            # The broker goes away for a while, then comes back on the same port.
            await asyncio.sleep(2 * INTERVAL)
            await broker.stop()
        await asyncio.sleep(OUTAGE)
        await broker.restart()
        back = time.time()
        async with subscribed(broker, f"intelergy/{device}/#") as after:
            index, message = await after.wait_for("backlog")
            backlog = parse_backlog(
                message.payload, time.time(), topic_device_id=device
            )
            assert len(backlog) >= int(OUTAGE / INTERVAL)
            assert all(r.relays == (False, True) for r in backlog)
            assert all((r.boot, r.dropped) == (1, None) for r in backlog)
            # State resumes after the backlog, and after the meter's online.
            _, online = await after.wait_for("availability", after=0)
            assert online.text == "online"
            _, resumed = await after.wait_for("state", after=index)
            last = parse_state(resumed.payload, time.time(), topic_device_id=device)
            assert last.timestamp is not None
            assert backlog[-1].timestamp is not None
            assert last.timestamp > backlog[-1].timestamp >= back - 2 * INTERVAL

            # Complete and in order: every reading before, during and after the
            # outage, one interval apart, energy never going down.
            received = readings(before.messages + after.messages, device)
            times = sorted({r.timestamp for r in received if r.timestamp is not None})
            gaps = [b - a for a, b in itertools.pairwise(times)]
            assert max(gaps) < 1.5 * INTERVAL, gaps
            assert min(gaps) > 0.5 * INTERVAL, gaps
            by_time = sorted(
                (r.timestamp, r.energy)
                for r in received
                if r.timestamp is not None and r.energy is not None
            )
            energies = [energy for _, energy in by_time]
            assert energies == sorted(energies)
            sent = [r.timestamp for r in backlog]
            assert sent == sorted(sent)

            # SIGTERM: offline (retained), a clean exit.
            stderr = await stop_meter(meter)
            _, offline = await after.wait_for(
                "availability", lambda m: m.text == "offline"
            )
            assert offline.text == "offline"
    assert "ignored command 'bogus' on intelergy/fw-meter/relay/1/set" in stderr
    assert ", 0 dropped," in stderr
    assert "1 commands ignored" in stderr


async def test_energy_survives_restarts_and_crashes_and_overcurrent_trips(
    socket_enabled: None, host_meter_binary: Path, tmp_path: Path
) -> None:
    device = "fw-energy"
    # A 100 kW load behind relay 0 (about 28 Wh a second: the PZEM's 1 Wh resolution
    # shows), the cut-off at 500 A: not reached yet.
    args = ("--sensor", "pzem", "--relays", "1", "--loads", "100000")
    args += ("--state-dir", str(tmp_path), "--overcurrent", "500")
    async with (
        broker_running() as broker,
        subscribed(broker, f"intelergy/{device}/#") as sub,
    ):
        energies: list[float] = []
        boots: list[int | None] = []
        for run, ending in enumerate(("clean", "crash", "clean")):
            async with meter_process(host_meter_binary, broker, device, *args) as meter:
                index = len(sub.messages)
                for _ in range(3):
                    index, state = await sub.wait_for("state", after=index)
                    reading = parse_state(state.payload, time.time())
                    assert reading.energy is not None
                    assert reading.uptime is not None
                    if run and len(energies) < 3 * run + 1:
                        # A new process: uptime starts over, energy does not go down.
                        assert reading.uptime < 2.0
                        assert reading.energy >= energies[-1]
                        # At most the counter's reserve (10 Wh) above, plus what the
                        # load used meanwhile.
                        assert reading.energy <= energies[-1] + 0.010 + 0.2
                    energies.append(reading.energy)
                    boots.append(reading.boot)
                if ending == "crash":
                    meter.kill()  # no goodbye: the broker publishes the Last Will
                    await meter.wait()
                    _, will = await sub.wait_for(
                        "availability", lambda m: m.text == "offline", after=index
                    )
                    assert will.retain is False
                else:
                    await stop_meter(meter)
        assert energies == sorted(energies)
        assert energies[-1] > energies[0]
        # Every start counted in the state directory, a crash too: ``boot`` changes
        # exactly when the meter restarted.
        assert boots == [1] * 3 + [2] * 3 + [3] * 3

        # Over-current: 100 kW at 230 V is 458 A; with the limit at 300 A the
        # relay trips at the first measurement, locally, and says so.
        args = ("--sensor", "pzem", "--relays", "2", "--loads", "100000,60")
        async with meter_process(
            host_meter_binary, broker, device, *args, "--overcurrent", "300"
        ) as meter:
            # Tripped at the first measurement, before connecting: announced with
            # the relays' state (only this run has relay 0 off and two relays).
            _, relay = await sub.wait_for("relay/0", lambda m: m.text == "OFF")
            assert relay.retain is False  # delivered live
            index, state = await sub.wait_for(
                "state",
                lambda m: parse_state(m.payload, time.time()).relays == (False, False),
            )
            tripped = parse_state(state.payload, time.time())
            assert tripped.power == pytest.approx(3.0, rel=0.1)  # the base load
            # No state directory: a counter in memory proves nothing, none is sent.
            assert tripped.boot is None
            # Home Assistant switches the small load back on: it stays on.
            sub.client.publish(f"intelergy/{device}/relay/1/set", "ON", qos=1)
            await sub.wait_for("relay/1", lambda m: m.text == "ON", after=index)
            _, state = await sub.wait_for(
                "state",
                lambda m: parse_state(m.payload, time.time()).relays == (False, True),
                after=index,
            )
            assert parse_state(state.payload, time.time()).power == pytest.approx(
                63.0, rel=0.1
            )
            stderr = await stop_meter(meter)
        assert "over-current" in stderr
        assert "1 over-current trips" in stderr


async def test_dropped_readings_are_counted_in_state(
    socket_enabled: None, host_meter_binary: Path, tmp_path: Path
) -> None:
    device = "fw-dropped"
    async with (
        broker_running() as broker,
        meter_process(
            host_meter_binary,
            broker,
            device,
            "--state-dir",
            str(tmp_path),
            "--buffer",
            "2",
            "--backoff-max",
            "1",
        ) as meter,
    ):
        async with subscribed(broker, f"intelergy/{device}/#") as before:
            _, state = await before.wait_for("state")
            assert parse_state(state.payload, time.time()).dropped is None
            await broker.stop()
        await asyncio.sleep(OUTAGE)  # about four readings for a buffer of two
        await broker.restart()
        async with subscribed(broker, f"intelergy/{device}/#") as after:
            index, message = await after.wait_for("backlog")
            backlog = parse_backlog(message.payload, time.time())
            assert len(backlog) <= 2
            _, resumed = await after.wait_for("state", after=index)
            reading = parse_state(resumed.payload, time.time(), topic_device_id=device)
            assert reading.boot == 1
            assert reading.dropped is not None
            assert reading.dropped >= 1
            stderr = await stop_meter(meter)
    assert f", {reading.dropped} dropped," in stderr
    assert "boot 1" in stderr
