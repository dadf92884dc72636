"""Home Assistant and two host meters on a broker with TLS, passwords and the ACL.

The broker is ``house.py``'s: TLS only with a test CA, a password per client, the
ACL the firmware ships. Home Assistant's MQTT integration logs in over TLS as
``homeassistant`` (the CA's certificate in its entry, as its UI stores it); each
host meter (the firmware's core) over TLS with its own credentials. Home
Assistant discovers both meters (their retained ``online``), shows their
readings, switches a relay through one of them, and receives the backlog each
buffered while the broker was down.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
import contextlib
from pathlib import Path
import time

from homeassistant.components import mqtt
from homeassistant.components.mqtt.models import ReceiveMessage
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant, callback
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.intelergy.const import DOMAIN
from custom_components.intelergy.core.esp32.client import parse_backlog
from tests.mosquitto import Mosquitto, mosquitto_binary

from .house import HOME_ASSISTANT, METERS, House, secure_broker
from .meter import meter_process, stop_meter

pytestmark = [
    pytest.mark.skipif(
        mosquitto_binary() is None,
        reason="mosquitto is not installed (scripts/setup installs it)",
    ),
    pytest.mark.timeout(300),  # the first test may build the firmware
]

TIMEOUT = 15.0  # seconds for any one step
OUTAGE = 2.0  # seconds without a broker


@pytest.fixture(autouse=True)
def quick_mqtt(monkeypatch: pytest.MonkeyPatch) -> None:
    """HA's MQTT client: no batching of (un)subscribes, reconnects every 0.2 s."""
    from homeassistant.components.mqtt import client  # noqa: PLC0415

    for name in (
        "INITIAL_SUBSCRIBE_COOLDOWN",
        "SUBSCRIBE_COOLDOWN",
        "UNSUBSCRIBE_COOLDOWN",
    ):
        monkeypatch.setattr(client, name, 0.01)
    monkeypatch.setattr(client, "RECONNECT_INTERVAL_SECONDS", 0.2)


def entity_of(hass: HomeAssistant, platform: str, key: str, unique: str) -> str:
    """The entity id of a meter's entity ``key`` (unique id ``<unique>_<key>``)."""
    entity_id = er.async_get(hass).async_get_entity_id(
        platform, DOMAIN, f"{unique}_{key}"
    )
    assert entity_id, key
    return entity_id


async def until(hass: HomeAssistant, what: str, condition: Callable[[], bool]) -> None:
    """Let HA run (real time) until ``condition()``; fail after ``TIMEOUT`` s."""
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} within {TIMEOUT:g} s")
        await asyncio.sleep(0.02)
        await hass.async_block_till_done()


@contextlib.asynccontextmanager
async def home_assistant_on(
    hass: HomeAssistant, broker: Mosquitto, house: House
) -> AsyncIterator[MockConfigEntry]:
    """HA's MQTT integration over TLS as ``homeassistant``; unloaded before the broker."""
    login = house.login(HOME_ASSISTANT)
    assert login.cafile is not None
    entry = MockConfigEntry(
        domain="mqtt",
        data={
            "broker": broker.host,
            "port": broker.port,
            "username": login.username,
            "password": login.password,
            # The CA's certificate itself, as HA's MQTT set-up stores an upload.
            "certificate": login.cafile.read_text(),
        },
        options={"birth_message": {}},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    try:
        yield entry
    finally:
        for ours in hass.config_entries.async_entries(DOMAIN):
            if ours.state is ConfigEntryState.LOADED:
                await hass.config_entries.async_unload(ours.entry_id)
        await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()


async def test_home_assistant_and_meters_over_tls_with_their_own_credentials(
    hass: HomeAssistant,
    mock_hass_config: None,
    socket_enabled: None,
    host_meter_binary: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with (
        secure_broker(tmp_path) as (house, broker),
        home_assistant_on(hass, broker, house),
        contextlib.AsyncExitStack() as stack,
    ):
        backlogs: list[ReceiveMessage] = []

        @callback
        def backlog(message: ReceiveMessage) -> None:
            backlogs.append(message)

        stack.callback(await mqtt.async_subscribe(hass, "intelergy/+/backlog", backlog))
        meters = {}
        for device in METERS:
            state_dir = tmp_path / device
            state_dir.mkdir()
            meters[device] = await stack.enter_async_context(
                meter_process(
                    host_meter_binary,
                    broker,
                    device,
                    *house.login(device).meter_args(),
                    "--state-dir",
                    str(state_dir),
                    "--backoff-max",
                    "1",
                )
            )

        # --- discovery: both meters offered, through the TLS connection ---------
        def offered() -> dict[str, str]:
            return {
                flow["context"]["title_placeholders"]["name"]: flow["flow_id"]
                for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
            }

        await until(hass, "both meters offered", lambda: set(offered()) == set(METERS))
        for device, flow_id in offered().items():
            result = await hass.config_entries.flow.async_configure(flow_id, {})
            assert result["type"] is FlowResultType.CREATE_ENTRY, result
            assert result["result"].unique_id == f"intelergy/{device}"
        await hass.async_block_till_done()

        def state(device: str, platform: str, key: str) -> str | None:
            found = hass.states.get(
                entity_of(hass, platform, key, f"intelergy/{device}")
            )
            return None if found is None else found.state

        def known(device: str, platform: str, key: str) -> bool:
            try:
                value = state(device, platform, key)
            except AssertionError:  # no such entity (yet)
                return False
            return value not in (None, STATE_UNKNOWN, STATE_UNAVAILABLE)

        # --- telemetry of every meter ----------------------------------------
        for device in METERS:
            await until(
                hass, f"{device}'s power", lambda d=device: known(d, "sensor", "power")
            )
            await until(
                hass,
                f"{device}'s energy",
                lambda d=device: known(d, "sensor", "energy"),
            )
            await until(
                hass,
                f"{device}'s relay 1",
                lambda d=device: known(d, "switch", "relay_1"),
            )
            power = float(state(device, "sensor", "power") or 0)
            assert power == pytest.approx(1103.0, rel=0.05)  # 3 W + 100 W + 1000 W

        # --- a relay command, from HA through the broker to meter-a -------------
        assert state("meter-a", "switch", "relay_1") == STATE_ON
        await hass.services.async_call(
            "switch",
            "turn_off",
            {"entity_id": entity_of(hass, "switch", "relay_1", "intelergy/meter-a")},
            blocking=True,
        )
        await until(
            hass,
            "meter-a's relay 1 off",
            lambda: state("meter-a", "switch", "relay_1") == STATE_OFF,
        )
        await until(
            hass,
            "meter-a without relay 1's load",
            lambda: float(state("meter-a", "sensor", "power") or 0) < 500,
        )
        assert state("meter-b", "switch", "relay_1") == STATE_ON  # the other one: not

        # --- the broker goes down: each meter buffers, then sends its backlog ----
        await broker.stop()
        await asyncio.sleep(OUTAGE)
        await broker.restart()
        await until(
            hass,
            "a backlog from each meter",
            lambda: {m.topic.split("/")[1] for m in backlogs} == set(METERS),
        )
        for message in backlogs:
            device = message.topic.split("/")[1]
            readings = parse_backlog(
                message.payload, time.time(), topic_device_id=device
            )
            assert len(readings) >= int(OUTAGE / 0.5) - 1
            assert all(r.boot == 1 for r in readings)
            if device == "meter-a":
                assert all(r.relays == (True, False) for r in readings)
        # Live again after the backlog.
        for device in METERS:
            await until(
                hass, f"{device} back", lambda d=device: known(d, "sensor", "power")
            )

        # The integration took each backlog (no recorder here to write it into).
        for device in METERS:
            assert f"intelergy/{device}: backlog of" in caplog.text

        for device, process in meters.items():
            log = await stop_meter(process)
            assert "not authorised" not in log, (device, log)
            assert "certificate verify failed" not in log, (device, log)
