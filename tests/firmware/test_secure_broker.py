"""Meters on a broker run as a house should run it: TLS, a password each, the ACL.

Mosquitto listens on 127.0.0.1 with TLS only (a certificate of a test CA made in a
temporary directory), every client logs in (``allow_anonymous false``), and the
ACL is the one the firmware ships (``firmware/esp32-meter/mosquitto/acl``): each
meter, logged in under its device id, reads and writes only
``intelergy/<its id>/#``; Home Assistant reads everything and writes only relay
commands. Here: the host meters over TLS with their own credentials; a meter
with a wrong CA or a wrong password is refused and its log says why; with one
meter's credentials nobody can publish a reading, a relay state or an
availability for another meter, command another meter's relays or read its
commands. ``test_home_assistant_over_tls.py`` adds Home Assistant.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
import time

import pytest

from custom_components.intelergy.core.esp32.client import (
    parse_relay_state,
    parse_state,
)
from tests.mosquitto import mosquitto_binary

from .house import HOME_ASSISTANT, METERS, THIEF, secure_broker
from .meter import (
    Login,
    meter_process,
    start_meter,
    stderr_until,
    stop_meter,
    subscribed,
)

pytestmark = [
    pytest.mark.skipif(
        mosquitto_binary() is None,
        reason="mosquitto is not installed (scripts/setup installs it)",
    ),
    pytest.mark.timeout(300),  # the first test may build the firmware
]


async def test_wrong_ca_and_wrong_password_are_refused(
    socket_enabled: None, host_meter_binary: Path, tmp_path: Path
) -> None:
    async with secure_broker(tmp_path) as (house, broker):
        good = house.login("meter-a")
        cases = {
            # The broker's certificate is not signed by the CA the meter pins.
            "wrong CA": (
                Login("meter-a", good.password, house.stranger.cafile),
                "certificate verify failed",
            ),
            "wrong password": (
                Login("meter-a", "guess", good.cafile),
                "refused the connection: Connection Refused: not authorised.",
            ),
            "no password": (
                Login(cafile=good.cafile),
                "refused the connection: Connection Refused: not authorised.",
            ),
            # TLS only: a plain connection gets no MQTT answer.
            "no TLS": (Login("meter-a", good.password), "failed"),
        }
        processes = {
            name: await start_meter(
                host_meter_binary, broker, "meter-a", *login.meter_args()
            )
            for name, (login, _) in cases.items()
        }
        try:
            logs = {
                name: await stderr_until(processes[name], expected)
                for name, (_, expected) in cases.items()
            }
        finally:
            for process in processes.values():
                process.kill()
                await process.communicate()
        assert all(process.returncode == -9 for process in processes.values())
        broker_log = broker.log_tail(100000)  # (gone once the broker stops)
    # The one line a person reads in the meter's log.
    assert f"connection to mqtts://127.0.0.1:{broker.port} failed" in logs["wrong CA"]
    assert "certificate verify failed" in logs["wrong CA"]
    assert f"broker mqtts://127.0.0.1:{broker.port} refused" in logs["wrong password"]
    assert f"connection to mqtt://127.0.0.1:{broker.port}" in logs["no TLS"]
    # The meter never got in: the broker's log has no session of it.
    assert "u'meter-a'" not in broker_log
    assert "OpenSSL Error" in broker_log  # the meter that trusts another CA hung up


async def test_each_meter_is_confined_to_its_own_topics(
    socket_enabled: None, host_meter_binary: Path, tmp_path: Path
) -> None:
    async with (
        secure_broker(tmp_path) as (house, broker),
        subscribed(broker, "intelergy/#", house.login(HOME_ASSISTANT)) as ha,
        meter_process(
            host_meter_binary,
            broker,
            "meter-a",
            *house.login("meter-a").meter_args(),
            "--relays",
            "1",
        ) as meter_a,
        meter_process(
            host_meter_binary,
            broker,
            "meter-b",
            *house.login("meter-b").meter_args(),
            "--relays",
            "1",
        ) as meter_b,
    ):
        # Home Assistant reads every meter: availability (how set-up finds them),
        # state, relay states, the OTA report.
        for device in METERS:
            for suffix in ("availability", "state", "relay/0", "ota"):
                await ha.wait_for(
                    suffix, lambda m, t=f"intelergy/{device}/{suffix}": m.topic == t
                )

        # meter-c's credentials (say, read out of its flash) in another client.
        async with subscribed(
            broker, "intelergy/meter-b/relay/+/set", house.login(THIEF)
        ) as thief:
            # Subscribing to another meter's commands, or to everything, is
            # granted by Mosquitto 2.0 but delivers nothing of another meter.
            thief.client.subscribe("intelergy/#", qos=1)
            forged = json.dumps({"power": 99999, "energy": 0.001})
            thief.publish("intelergy/meter-b/state", forged)
            thief.publish("intelergy/meter-b/relay/0", "OFF", retain=True)
            thief.publish("intelergy/meter-b/availability", "offline", retain=True)
            thief.publish("intelergy/meter-b/relay/0/set", "OFF")  # a command for B
            thief.publish(f"intelergy/{THIEF}/state", forged)  # its own: allowed
            # Home Assistant may not publish a meter's messages either.
            ha.publish("intelergy/meter-a/state", forged)
            # Home Assistant commands meter-b: meter-b obeys, the thief sees nothing.
            ha.publish("intelergy/meter-b/relay/0/set", "OFF")
            index, relay = await ha.wait_for(
                "relay/0",
                lambda m: m.topic == "intelergy/meter-b/relay/0" and m.text == "OFF",
            )
            # Two more readings of each meter: whatever was let through is here.
            for device in (*METERS, *METERS):
                index, _ = await ha.wait_for(
                    "state",
                    lambda m, d=device: m.topic == f"intelergy/{d}/state",
                    after=index,
                )
            thief_topics = {m.topic for m in thief.messages}

        def texts(topic: str) -> list[str]:
            return [m.text for m in ha.messages if m.topic == topic]

        assert forged not in texts("intelergy/meter-b/state")
        assert forged not in texts("intelergy/meter-a/state")
        assert texts(f"intelergy/{THIEF}/state") == [forged]  # its own topic only
        # ON at connect, OFF by Home Assistant's command; the thief's OFF never came.
        b_relay = texts("intelergy/meter-b/relay/0")
        assert [parse_relay_state(text) for text in b_relay] == [True, False]
        assert relay.retain is False  # live, from meter-b itself
        assert texts("intelergy/meter-b/availability") == ["online"]
        # The thief got its own message back, never a command for meter-b.
        assert thief_topics == {f"intelergy/{THIEF}/state"}

        # A meter configured with meter-c's credentials and meter-b's device id:
        # the broker takes none of its messages (not even its Last Will), and the
        # real meter-b stays connected (the client id is the username).
        async with meter_process(
            host_meter_binary,
            broker,
            "meter-b",
            *house.login(THIEF).meter_args(),
            "--relays",
            "1",
        ) as impostor:
            await asyncio.sleep(1.5)  # three of its readings
            impostor.kill()
            await impostor.wait()
        index, _ = await ha.wait_for(
            "state",
            lambda m: m.topic == "intelergy/meter-b/state",
            after=len(ha.messages),
        )
        readings = [
            parse_state(text, time.time(), topic_device_id="meter-b")
            for text in texts("intelergy/meter-b/state")
        ]
        # Only the real meter-b's: relay 0 off since the command, one uptime line.
        assert [r.relays for r in readings[-4:]] == [(False,)] * 4
        uptimes = [r.uptime for r in readings if r.uptime is not None]
        assert uptimes == sorted(uptimes)
        assert texts("intelergy/meter-b/availability") == ["online"]
        assert texts("intelergy/meter-b/relay/0") == b_relay

        await stop_meter(meter_a)
        await stop_meter(meter_b)
        log = broker.log_tail(100000)  # (gone once the broker stops)
    assert f"Denied PUBLISH from {THIEF}" in log
    assert f"Denied PUBLISH from {HOME_ASSISTANT}" in log
    assert "Denied PUBLISH from meter-a" not in log
    assert "Denied PUBLISH from meter-b" not in log
