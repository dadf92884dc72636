"""The Shelly simulator speaks Gen1 HTTP and Gen2+ RPC the way aioshelly expects."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
import contextlib
import json
from pathlib import Path
import signal
import sys
from typing import Any

from aiohttp import (
    ClientConnectorError,
    ClientSession,
    DigestAuthMiddleware,
    WSMsgType,
    encode_basic_auth,
)
from aioshelly.common import ConnectionOptions, get_info
from aioshelly.exceptions import DeviceConnectionError, InvalidAuthError, RpcCallError
from aioshelly.rpc_device import RpcDevice, RpcUpdateType
from aioshelly.rpc_device.wsrpc import AuthData
import pytest

from simulators.shelly import GEN1_PLUG_S, GEN4_POWER_STRIP, ShellySimulator

type StartSim = Callable[..., Awaitable[ShellySimulator]]
DEVICE_ID = "shellypstripg4-aabbccddeeff"
PASSWORD = "s3cret"
TIMEOUT = 2.0
REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
async def start_sim(socket_enabled: None) -> AsyncGenerator[StartSim]:
    """Start simulators on 127.0.0.1; all are stopped after the test."""
    sims: list[ShellySimulator] = []

    async def _start(fixture: str = GEN1_PLUG_S, **kwargs: Any) -> ShellySimulator:
        sim = ShellySimulator(fixture, **kwargs)
        sims.append(sim)
        await sim.start()
        return sim

    yield _start
    for sim in sims:
        await sim.stop()


@pytest.fixture
async def session(socket_enabled: None) -> AsyncGenerator[ClientSession]:
    """A plain aiohttp client session."""
    async with ClientSession() as client:
        yield client


@contextlib.asynccontextmanager
async def rpc_device(
    session: ClientSession, sim: ShellySimulator, password: str | None = None
) -> AsyncIterator[RpcDevice]:
    """An aioshelly RpcDevice for ``sim`` (not yet initialised), shut down after."""
    options = ConnectionOptions(
        "127.0.0.1",
        username="admin" if password is not None else None,
        password=password,
        port=sim.port,
    )
    device = await RpcDevice.create(session, None, options)
    try:
        yield device
    finally:
        await device.shutdown()


class Updates:
    """Collects aioshelly update callbacks and waits for the next one of a type."""

    def __init__(self, device: RpcDevice) -> None:
        """Subscribe to ``device``."""
        self.types: list[RpcUpdateType] = []
        self._event = asyncio.Event()
        device.subscribe_updates(self._on_update)

    def _on_update(self, _device: RpcDevice, update_type: RpcUpdateType) -> None:
        self.types.append(update_type)
        self._event.set()

    async def wait_for(self, update_type: RpcUpdateType) -> None:
        """Wait until an update of ``update_type`` arrives (clears the backlog)."""
        async with asyncio.timeout(TIMEOUT):
            while update_type not in self.types:
                self._event.clear()
                await self._event.wait()
        self.types.clear()


def basic(password: str, user: str = "admin") -> dict[str, str]:
    """An Authorization header for Gen1 basic auth."""
    return {"Authorization": encode_basic_auth(user, password)}


# --- Gen1 --------------------------------------------------------------------
async def test_gen1_endpoints_and_basic_auth(
    start_sim: StartSim, session: ClientSession
) -> None:
    sim = await start_sim(GEN1_PLUG_S, username="bob", password=PASSWORD)
    assert (sim.gen, sim.mac, sim.channels, sim.loads) == (
        1,
        "A4CF12F45678",
        1,
        [48.61],
    )

    async with session.get(f"{sim.url}/shelly") as resp:
        assert resp.status == 200
        shelly = await resp.json()
    assert shelly["auth"] is True
    assert shelly["type"] == "SHPLG-S"

    for path in ("/status", "/settings", "/relay/0"):
        async with session.get(f"{sim.url}{path}") as resp:
            assert resp.status == 401
            assert resp.headers["WWW-Authenticate"].startswith("Basic realm=")
        async with session.get(
            f"{sim.url}{path}", headers=basic("nope", "bob")
        ) as resp:
            assert resp.status == 401
        async with session.get(f"{sim.url}{path}", headers=basic(PASSWORD)) as resp:
            assert resp.status == 401  # right password, wrong user
    async with session.get(f"{sim.url}/status", headers=basic(PASSWORD, "bob")) as resp:
        assert resp.status == 200
        status = await resp.json()
    assert status["relays"][0]["ison"] is True
    assert status["meters"][0]["power"] == 48.61
    assert status["meters"][0]["total"] == 1530762
    async with session.get(
        f"{sim.url}/settings", headers=basic(PASSWORD, "bob")
    ) as resp:
        assert (await resp.json())["name"] == "Kitchen kettle"
    assert sim.requests[:2] == ["GET /shelly", "GET /status"]

    open_sim = await start_sim(GEN1_PLUG_S)
    async with session.get(f"{open_sim.url}/shelly") as resp:
        assert (await resp.json())["auth"] is False
    async with session.get(f"{open_sim.url}/status") as resp:
        assert resp.status == 200


async def test_gen1_relay_control_and_power_follows(
    start_sim: StartSim, session: ClientSession
) -> None:
    sim = await start_sim(GEN1_PLUG_S)

    async def relay(query: str = "", index: int = 0) -> tuple[int, Any]:
        async with session.get(f"{sim.url}/relay/{index}{query}") as resp:
            body = await resp.json() if resp.status == 200 else await resp.text()
            return resp.status, body

    async def meter() -> dict[str, Any]:
        async with session.get(f"{sim.url}/status") as resp:
            meter: dict[str, Any] = (await resp.json())["meters"][0]
            return meter

    status, body = await relay("?turn=off")
    assert status == 200
    assert body["ison"] is False
    assert body["source"] == "http"
    assert body["has_timer"] is False
    assert (await meter())["power"] == 0.0

    status, body = await relay("?turn=on")
    assert body["ison"] is True
    assert (await meter())["power"] == 48.61

    status, body = await relay("?turn=toggle")
    assert body["ison"] is False
    status, body = await relay()
    assert (status, body["ison"]) == (200, False)

    await sim.set_output(0, True)
    await sim.set_load(0, 2000)
    assert (await meter())["power"] == 2000.0

    assert (await relay("?turn=maybe"))[0] == 400
    assert (await relay("?turn=on", index=1))[0] == 404
    assert "GET /relay/0?turn=off" in sim.requests


async def test_gen1_energy_clock_and_reboot(
    start_sim: StartSim, session: ClientSession
) -> None:
    sim = await start_sim(GEN1_PLUG_S)
    await sim.advance(600)  # 48.61 W for 10 min = 486.1 watt-minutes
    async with session.get(f"{sim.url}/status") as resp:
        status = await resp.json()
    meter = status["meters"][0]
    assert meter["total"] == 1530762 + 486
    assert isinstance(meter["total"], int)
    assert meter["counters"] == [48.61, 48.61, 48.61]
    assert status["uptime"] == 1247036 + 600
    assert status["unixtime"] == 1762082665 + 600
    assert meter["timestamp"] == 1762086265 + 600  # local time, as Gen1 reports it
    assert status["time"] == "12:34"
    assert status["tmp"]["tC"] == 28.71

    await sim.set_output(0, False)
    await sim.advance(120)
    assert sim.status["meters"][0]["total"] == 1530762 + 486

    await sim.set_output(0, True)
    await sim.reboot()
    async with session.get(f"{sim.url}/status") as resp:
        status = await resp.json()
    assert status["meters"][0]["total"] == 0
    assert status["meters"][0]["counters"] == [0.0, 0.0, 0.0]
    assert status["uptime"] == 0
    assert status["relays"][0]["ison"] is True  # relays keep their state
    await sim.advance(60)
    assert sim.status["meters"][0]["total"] == 49


async def test_gen1_faults_failures_and_control(
    start_sim: StartSim, session: ClientSession
) -> None:
    sim = await start_sim(GEN1_PLUG_S)
    sim.set_overtemperature(True)
    sim.set_overpower(0, True)
    async with session.get(f"{sim.url}/status") as resp:
        status = await resp.json()
    assert status["overtemperature"] is True
    assert status["relays"][0]["overpower"] is True
    assert status["meters"][0]["overpower"] == 48.61

    sim.http_status = 503
    async with session.get(f"{sim.url}/shelly") as resp:
        assert resp.status == 503
    async with session.post(f"{sim.url}/simulator", json={"advance": 60}) as resp:
        assert resp.status == 200  # the control endpoint is never failed
    sim.http_status = None

    async with session.post(
        f"{sim.url}/simulator",
        json={
            "output": {"channel": 0, "on": False},
            "load": {"channel": 0, "watts": 1500},
        },
    ) as resp:
        status = (await resp.json())["status"]
    assert status["relays"][0]["ison"] is False
    assert status["meters"][0]["power"] == 0.0
    assert sim.loads == [1500.0]
    async with session.post(f"{sim.url}/simulator", json={"reboot": True}) as resp:
        assert (await resp.json())["status"]["uptime"] == 0


# --- Gen2+: HTTP RPC -----------------------------------------------------------
async def test_gen2_http_rpc_with_digest_auth(
    start_sim: StartSim, session: ClientSession
) -> None:
    sim = await start_sim(GEN4_POWER_STRIP, password=PASSWORD)
    assert (sim.gen, sim.mac, sim.channels) == (4, "AABBCCDDEEFF", 4)
    assert sim.loads == [60.0, 1.7, 60.0, 15.4]

    info = await get_info(session, "127.0.0.1", port=sim.port)
    assert info["auth_en"] is True
    assert info["id"] == DEVICE_ID
    async with session.get(f"{sim.url}/rpc/Shelly.GetDeviceInfo") as resp:
        assert resp.status == 200  # needs no auth

    async with session.get(f"{sim.url}/rpc/Shelly.GetStatus") as resp:
        assert resp.status == 401
        challenge = resp.headers["WWW-Authenticate"]
    assert challenge.startswith("Digest ")
    assert 'qop="auth"' in challenge
    assert f'realm="{DEVICE_ID}"' in challenge
    assert "algorithm=SHA-256" in challenge

    async with (
        ClientSession(middlewares=(DigestAuthMiddleware("admin", "wrong"),)) as bad,
        bad.get(f"{sim.url}/rpc/Shelly.GetStatus") as resp,
    ):
        assert resp.status == 401

    async with ClientSession(
        middlewares=(DigestAuthMiddleware("admin", PASSWORD),)
    ) as good:
        async with good.get(f"{sim.url}/rpc/Switch.Set?id=0&on=false") as resp:
            assert resp.status == 200
            assert await resp.json() == {"was_on": True}
        async with good.post(
            f"{sim.url}/rpc",
            json={
                "id": 7,
                "src": "tester",
                "method": "Switch.GetStatus",
                "params": {"id": 0},
            },
        ) as resp:
            frame = await resp.json()
        assert frame["id"] == 7
        assert (frame["src"], frame["dst"]) == (DEVICE_ID, "tester")
        switch = frame["result"]
        assert (switch["output"], switch["apower"], switch["current"]) == (
            False,
            0.0,
            0.0,
        )
        assert switch["source"] == "HTTP_in"
        assert switch["temperature"] == {"tC": 41.2, "tF": 106.2}

        async with good.get(f"{sim.url}/rpc/Switch.Toggle?id=2") as resp:
            assert await resp.json() == {"was_on": False}
        async with good.get(f"{sim.url}/rpc/Shelly.GetStatus") as resp:
            switch = (await resp.json())["switch:2"]
        assert (switch["output"], switch["apower"]) == (True, 60.0)
        assert switch["current"] == round(60 / 231.2, 3)

        async with good.get(
            f"{sim.url}/rpc/Shelly.GetComponents?dynamic_only=true"
        ) as resp:
            assert await resp.json() == {
                "components": [],
                "cfg_rev": 31,
                "offset": 0,
                "total": 0,
            }
        async with good.get(f"{sim.url}/rpc/Foo.Bar") as resp:
            assert resp.status == 404
            assert await resp.json() == {
                "code": 404,
                "message": "No handler for Foo.Bar",
            }
        async with good.get(f"{sim.url}/rpc/Switch.Set?id=0&on=maybe") as resp:
            assert resp.status == 500
            assert (await resp.json())["code"] == -103
        async with good.post(
            f"{sim.url}/rpc", json={"id": 8, "src": "t", "method": "Switch.GetStatus"}
        ) as resp:
            assert (await resp.json())["error"]["code"] == -103

    assert "GET /rpc/Switch.Set?id=0&on=false" in sim.requests
    assert "POST /rpc Switch.GetStatus" in sim.requests


# --- Gen2+: websocket ----------------------------------------------------------
async def test_gen2_websocket_via_aioshelly_without_auth(
    start_sim: StartSim, session: ClientSession
) -> None:
    sim = await start_sim(GEN4_POWER_STRIP)
    async with rpc_device(session, sim) as device:
        updates = Updates(device)
        await device.initialize()
        assert device.requires_auth is False
        assert device.shelly["auth_domain"] is None
        assert device.status["switch:3"]["apower"] == 15.4
        assert device.status["switch:0"]["apower"] == 60.0  # power follows the relay
        assert device.config["switch:1"]["name"] == "Switch 1 name"
        for method in ("Shelly.GetDeviceInfo", "Shelly.GetConfig", "Shelly.GetStatus"):
            assert f"WS {method}" in sim.requests
        assert "WS Shelly.GetComponents" in sim.requests

        await device.switch_set(1, False)
        await updates.wait_for(RpcUpdateType.STATUS)
        assert sim.is_on(1) is False
        assert device.status["switch:1"]["output"] is False
        assert device.status["switch:1"]["apower"] == 0.0
        assert "WS Switch.Set" in sim.requests

        with pytest.raises(RpcCallError) as err:
            await device.call_rpc("Foo.Bar")
        assert (err.value.code, err.value.message) == (404, "No handler for Foo.Bar")
        with pytest.raises(RpcCallError) as err:
            await device.call_rpc("Switch.Set", {"id": "x", "on": True})
        assert err.value.code == -103


async def test_gen2_websocket_auth(start_sim: StartSim, session: ClientSession) -> None:
    sim = await start_sim(GEN4_POWER_STRIP, password=PASSWORD)
    async with rpc_device(session, sim, PASSWORD) as device:
        await device.initialize()
        assert device.requires_auth is True
        assert device.status["sys"]["cfg_rev"] == 31
        await device.switch_set(3, False)  # every call carries a fresh nc
        await device.update_status()
        assert device.status["switch:3"]["output"] is False

    async with rpc_device(session, sim, "wrong") as device:
        with pytest.raises(InvalidAuthError):
            await device.initialize()
    async with rpc_device(session, sim) as device:  # no credentials at all
        with pytest.raises(InvalidAuthError):
            await device.initialize()


async def test_gen2_raw_websocket_frames(
    start_sim: StartSim, session: ClientSession
) -> None:
    sim = await start_sim(GEN4_POWER_STRIP, password=PASSWORD)
    async with session.ws_connect(f"{sim.url}/rpc") as ws:
        await ws.send_json({"id": 1, "src": "raw", "method": "Shelly.GetDeviceInfo"})
        reply = await ws.receive_json(timeout=TIMEOUT)
        assert (reply["id"], reply["src"], reply["dst"]) == (1, DEVICE_ID, "raw")
        assert reply["result"]["auth_en"] is True

        await ws.send_json(
            {"id": 2, "src": "raw", "method": "Switch.Toggle", "params": {"id": 1}}
        )
        reply = await ws.receive_json(timeout=TIMEOUT)
        assert reply["error"]["code"] == 401
        challenge = json.loads(reply["error"]["message"])
        assert challenge["auth_type"] == "digest"
        assert (challenge["realm"], challenge["algorithm"], challenge["nc"]) == (
            DEVICE_ID,
            "SHA-256",
            1,
        )
        assert isinstance(challenge["nonce"], int)
    assert sim.is_on(1) is True


async def test_gen2_pushes_on_set_output_and_advance(
    start_sim: StartSim, session: ClientSession
) -> None:
    sim = await start_sim(GEN4_POWER_STRIP, password=PASSWORD)
    async with rpc_device(session, sim, PASSWORD) as device:
        updates = Updates(device)
        await device.initialize()

        await sim.set_output(2, True)
        await updates.wait_for(RpcUpdateType.STATUS)
        switch = device.status["switch:2"]
        assert (switch["output"], switch["apower"], switch["source"]) == (
            True,
            60.0,
            "button",
        )

        await sim.set_load(1, 100.0)
        await updates.wait_for(RpcUpdateType.STATUS)
        assert device.status["switch:1"]["apower"] == 100.0

        total = device.status["switch:3"]["aenergy"]["total"]
        await sim.advance(60)
        await updates.wait_for(RpcUpdateType.STATUS)
        assert device.status["switch:3"]["aenergy"]["total"] == round(
            total + 15.4 * 60 / 3600, 3
        )
        assert device.status["switch:1"]["aenergy"]["total"] == round(
            4227.56 + 100 / 60, 3
        )

        sim.set_overtemperature(True)
        sim.set_overpower(0, True)
        await updates.wait_for(RpcUpdateType.STATUS)
        async with asyncio.timeout(TIMEOUT):
            while "overpower" not in device.status["switch:0"].get("errors", []):
                await updates.wait_for(RpcUpdateType.STATUS)
        assert device.status["switch:0"]["errors"] == ["overtemp", "overpower"]
        assert device.status["switch:1"]["errors"] == ["overtemp"]
    sim.set_overtemperature(False)
    sim.set_overpower(0, False)
    assert "errors" not in sim.status["switch:0"]


async def test_gen2_reboot_closes_websocket(
    start_sim: StartSim, session: ClientSession
) -> None:
    sim = await start_sim(GEN4_POWER_STRIP, password=PASSWORD)
    async with rpc_device(session, sim, PASSWORD) as device:
        updates = Updates(device)
        await device.initialize()
        await sim.reboot()
        await updates.wait_for(RpcUpdateType.DISCONNECTED)
        assert device.connected is False
    switch = sim.status["switch:3"]
    assert (switch["aenergy"]["total"], switch["output"], switch["source"]) == (
        0.0,
        True,
        "init",
    )
    assert sim.status["switch:2"]["output"] is False
    assert sim.status["sys"]["uptime"] == 0

    async with rpc_device(session, sim, PASSWORD) as device:  # Shelly.Reboot, over RPC
        updates = Updates(device)
        await device.initialize()
        await sim.advance(60)
        await device.trigger_reboot(delay_ms=0)
        await updates.wait_for(RpcUpdateType.DISCONNECTED)
    assert sim.status["sys"]["uptime"] == 0


async def test_gen2_offline_and_back_on_the_same_port(
    start_sim: StartSim, session: ClientSession
) -> None:
    sim = await start_sim(GEN4_POWER_STRIP)
    port = sim.port
    async with rpc_device(session, sim) as device:
        updates = Updates(device)
        await device.initialize()
        await sim.go_offline()
        assert sim.online is False
        await updates.wait_for(RpcUpdateType.DISCONNECTED)
    with pytest.raises(ClientConnectorError):
        await session.get(f"{sim.url}/shelly")
    with pytest.raises(DeviceConnectionError):
        await get_info(session, "127.0.0.1", port=port)

    await sim.go_online()
    assert (sim.online, sim.port) == (True, port)
    assert (await get_info(session, "127.0.0.1", port=port))["mac"] == sim.mac
    async with rpc_device(session, sim) as device:
        await device.initialize()
        assert device.connected


async def test_gen2_http_failures_and_control(
    start_sim: StartSim, session: ClientSession
) -> None:
    sim = await start_sim(GEN4_POWER_STRIP)
    sim.http_status = 500
    async with session.get(f"{sim.url}/rpc/Shelly.GetStatus") as resp:
        assert resp.status == 500
    async with rpc_device(session, sim) as device:
        with pytest.raises(DeviceConnectionError):
            await device.initialize()
    sim.http_status = None

    async with session.post(
        f"{sim.url}/simulator",
        json={
            "output": {"channel": 2, "on": True},
            "load": {"channel": 2, "watts": 1500},
            "advance": 3600,
        },
    ) as resp:
        switch = (await resp.json())["status"]["switch:2"]
    assert (switch["output"], switch["apower"]) == (True, 1500.0)
    assert switch["aenergy"]["total"] == round(336.76 + 1500, 3)
    assert switch["aenergy"]["by_minute"] == [25000.0, 25000.0, 25000.0]  # mWh
    assert sim.status["sys"]["uptime"] == 4658036 + 3600
    async with session.post(f"{sim.url}/simulator", json={"reboot": True}) as resp:
        assert (await resp.json())["status"]["switch:2"]["aenergy"]["total"] == 0.0


async def test_stop_is_idempotent(start_sim: StartSim) -> None:
    sim = await start_sim(GEN4_POWER_STRIP)
    await sim.stop()
    await sim.stop()
    assert sim.online is False


async def test_cli_serves_until_sigterm(socket_enabled: None) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "simulators.shelly",
        "--fixture",
        GEN4_POWER_STRIP,
        "--port",
        "0",
        "--tick",
        "0.1",
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        async with asyncio.timeout(10):
            line = (await proc.stdout.readline()).decode()
        assert " on http://127.0.0.1:" in line
        assert "Gen4" in line
    finally:
        proc.send_signal(signal.SIGTERM)
        async with asyncio.timeout(10):
            await proc.wait()
    assert proc.returncode == 0


async def test_gen2_rejects_replayed_and_foreign_auth(
    start_sim: StartSim, session: ClientSession
) -> None:
    sim = await start_sim(GEN4_POWER_STRIP, password=PASSWORD)
    async with session.ws_connect(f"{sim.url}/rpc") as ws:

        async def call(auth: dict[str, Any] | None) -> dict[str, Any]:
            frame: dict[str, Any] = {"id": 1, "src": "r", "method": "Sys.GetStatus"}
            if auth is not None:
                frame["auth"] = auth
            await ws.send_json(frame)
            msg = await ws.receive(timeout=TIMEOUT)
            assert msg.type is WSMsgType.TEXT
            reply: dict[str, Any] = json.loads(msg.data)
            return reply

        nonce = json.loads((await call(None))["error"]["message"])["nonce"]
        auth = sim_auth(sim, nonce, nc=1)
        assert "result" in await call(auth)
        assert (await call(auth))["error"]["code"] == 401  # same nc again: a replay
        assert "result" in await call(sim_auth(sim, nonce, nc=2))
        assert (await call(sim_auth(sim, 12345, nc=1)))["error"]["code"] == 401


def sim_auth(sim: ShellySimulator, nonce: int, nc: int) -> dict[str, Any]:
    """An in-frame auth object computed as aioshelly does."""
    data = AuthData(sim.realm, "admin", PASSWORD)
    data.update_challenge({"nonce": nonce, "nc": nc, "algorithm": "SHA-256"})
    return data.get_auth()
