"""The Gen1 HTTP client's errors, against the simulator's failure scripting."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

import aiohttp
from aiohttp import web
from aioshelly.exceptions import (
    DeviceConnectionError,
    DeviceConnectionTimeoutError,
    InvalidAuthError,
)
import pytest

from custom_components.intelergy.core.shelly.client import (
    Gen1Client,
    Gen1InvalidResponseError,
)
from simulators.shelly import GEN1_PLUG_S, ShellySimulator


@pytest.fixture
async def session(socket_enabled: None) -> AsyncGenerator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


async def test_basic_auth(session: aiohttp.ClientSession) -> None:
    sim = ShellySimulator(GEN1_PLUG_S, username="user", password="pw")
    await sim.start()
    try:
        with pytest.raises(InvalidAuthError):
            await Gen1Client(session, sim.host, sim.port).status()
        good = Gen1Client(session, sim.host, sim.port, username="user", password="pw")
        assert (await good.settings())["name"] == "Kitchen kettle"
        assert (await good.set_relay(0, False))["ison"] is False
        assert sim.is_on(0) is False
    finally:
        await sim.stop()


async def test_http_error_and_unreachable(session: aiohttp.ClientSession) -> None:
    sim = ShellySimulator(GEN1_PLUG_S)
    await sim.start()
    try:
        client = Gen1Client(session, sim.host, sim.port)
        sim.http_status = 500
        with pytest.raises(DeviceConnectionError):
            await client.status()
        sim.http_status = None
        await sim.go_offline()
        with pytest.raises(DeviceConnectionError):
            await client.status()
    finally:
        await sim.stop()


@pytest.fixture
async def odd_device(socket_enabled: None) -> AsyncGenerator[int]:
    """/status answers garbage, /settings a JSON list, /relay/0 never."""

    async def garbage(_: web.Request) -> web.Response:
        return web.Response(text="<html>not json</html>")

    async def a_list(_: web.Request) -> web.Response:
        return web.json_response([1, 2, 3])

    release = asyncio.Event()

    async def never(_: web.Request) -> web.Response:
        await release.wait()  # until the test is over
        return web.json_response({})

    app = web.Application()
    app.router.add_get("/status", garbage)
    app.router.add_get("/settings", a_list)
    app.router.add_get("/relay/0", never)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield runner.addresses[0][1]
    release.set()
    await runner.cleanup()


async def test_invalid_answers_and_timeout(
    session: aiohttp.ClientSession, odd_device: int
) -> None:
    client = Gen1Client(session, "127.0.0.1", odd_device, timeout=0.2)
    with pytest.raises(Gen1InvalidResponseError, match="not JSON"):
        await client.status()
    with pytest.raises(Gen1InvalidResponseError, match="not a JSON object"):
        await client.settings()
    with pytest.raises(DeviceConnectionTimeoutError):
        await client.set_relay(0, True)


async def test_json_nested_too_deep_is_an_invalid_response(
    session: aiohttp.ClientSession,
) -> None:
    # json.loads raised RecursionError, which is no ShellyError: the coordinator
    # logged it as an unexpected error with a traceback at every poll.
    async def deep(_: web.Request) -> web.Response:
        return web.Response(text="[" * 100_000 + "]" * 100_000)

    app = web.Application()
    app.router.add_get("/status", deep)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        client = Gen1Client(session, "127.0.0.1", runner.addresses[0][1])
        with pytest.raises(Gen1InvalidResponseError, match="not JSON"):
            await client.status()
    finally:
        await runner.cleanup()
