"""simulators/phone.py: mobile_app's push service and the phone's answers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import json
from pathlib import Path
from typing import Any

from aiohttp import ClientSession, web
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from simulators.phone import NOTIFICATION_ACTION, PhoneSimulator

# What mobile_app's notify POSTs to the push_url (homeassistant/components/
# mobile_app/notify.py, _send_message), for a notification with two buttons.
PUSH = {
    "message": "long run: 2000.0 (threshold 1.0). Turn Kitchen kettle off?",
    "title": "Anomaly: Kitchen kettle Power",
    "data": {
        "actions": [
            {"action": "INTELERGY_OFF_01ABC", "title": "Turn off"},
            {"action": "INTELERGY_IGNORE_01ABC", "title": "Ignore"},
        ]
    },
    "push_token": "token",
    "registration_info": {"app_id": "io.test", "app_version": "1.0", "webhook_id": "hook"},
}  # fmt: skip


class FakeHomeAssistant:
    """Records what arrives at /api/webhook/<id>."""

    def __init__(self) -> None:
        """Nothing received yet."""
        self.received: list[tuple[str, dict[str, Any]]] = []

    async def webhook(self, request: web.Request) -> web.Response:
        """Record a webhook call; answer as mobile_app does (200, {})."""
        self.received.append((request.match_info["id"], await request.json()))
        return web.json_response({})


@pytest.fixture
async def fake_ha(socket_enabled: None) -> AsyncIterator[tuple[FakeHomeAssistant, str]]:
    """A server standing in for Home Assistant's webhook endpoint."""
    fake = FakeHomeAssistant()
    app = web.Application()
    app.router.add_post("/api/webhook/{id}", fake.webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield fake, f"http://127.0.0.1:{port}"
    await runner.cleanup()


@pytest.fixture
async def phone(socket_enabled: None, tmp_path: Path) -> AsyncIterator[PhoneSimulator]:
    """The phone on a free port, logging to a file, expecting push token "token"."""
    sim = PhoneSimulator(push_token="token", log=tmp_path / "notifications.json")
    await sim.start()
    yield sim
    await sim.stop()


async def test_push_list_and_answer(
    phone: PhoneSimulator, fake_ha: tuple[FakeHomeAssistant, str], tmp_path: Path
) -> None:
    fake, url = fake_ha
    phone.ha_url = url
    async with ClientSession() as session:
        async with session.post(f"{phone.url}/push", json=PUSH) as response:
            assert response.status == 201
            assert await response.json() == {"id": 1}
        async with session.get(f"{phone.url}/notifications") as response:
            listed = await response.json()
        assert [(n["id"], n["title"], n["message"]) for n in listed] == [
            (1, PUSH["title"], PUSH["message"])
        ]
        assert listed[0]["actions"] == PUSH["data"]["actions"]  # type: ignore[index]
        logged = json.loads((tmp_path / "notifications.json").read_text())
        assert logged == listed
        # Press "Turn off" by its title: the webhook id came with the push.
        body = {"button": "turn off"}
        async with session.post(f"{phone.url}/answer", json=body) as response:
            assert response.status == 200
            assert await response.json() == {
                "event_type": NOTIFICATION_ACTION,
                "event_data": {"action": "INTELERGY_OFF_01ABC"},
            }
        body = {"action": "INTELERGY_IGNORE_01ABC"}
        async with session.post(f"{phone.url}/answer", json=body) as response:
            assert response.status == 200
    assert fake.received == [
        ("hook", {"type": "fire_event", "data": {"event_type": NOTIFICATION_ACTION,
                                                 "event_data": {"action": action}}})
        for action in ("INTELERGY_OFF_01ABC", "INTELERGY_IGNORE_01ABC")
    ]  # fmt: skip


async def test_refusals(phone: PhoneSimulator) -> None:
    async with ClientSession() as session:
        wrong = {**PUSH, "push_token": "another"}
        async with session.post(f"{phone.url}/push", json=wrong) as response:
            assert response.status == 401
            assert "message" in await response.json()  # mobile_app reads it
        async with session.post(f"{phone.url}/push", data=b"not json") as response:
            assert response.status == 400
        # Nothing registered yet: no webhook to answer through.
        body = {"action": "X"}
        async with session.post(f"{phone.url}/answer", json=body) as response:
            assert response.status == 409
        async with session.post(f"{phone.url}/answer", json={"button": "Nope"}) as r:
            assert r.status == 400
    assert phone.notifications == []


async def test_the_registration_file(
    socket_enabled: None, fake_ha: tuple[FakeHomeAssistant, str], tmp_path: Path
) -> None:
    fake, url = fake_ha
    registration = tmp_path / "demo-phone.json"
    sim = PhoneSimulator(registration=registration)
    await sim.start()
    try:
        with pytest.raises(LookupError):
            await sim.answer("X")
        registration.write_text(json.dumps({"webhook_id": "w1", "ha_url": url}))
        await sim.answer("X")  # read when needed
    finally:
        await sim.stop()
    assert [hook for hook, _ in fake.received] == ["w1"]


async def test_home_assistant_notifies_the_phone_and_hears_its_answer(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    socket_enabled: None,
    tmp_path: Path,
) -> None:
    """The real loop: mobile_app's registration API, notify, and the webhook."""
    # notify (mobile_app loads it in the background) before the client freezes the
    # HTTP router: its dependency repairs registers views.
    assert await async_setup_component(hass, "notify", {})
    assert await async_setup_component(hass, "mobile_app", {"mobile_app": {}})
    await hass.async_block_till_done()
    client = await hass_client()
    sim = PhoneSimulator(str(client.make_url("")).rstrip("/"), push_token="demo")
    await sim.start()
    try:
        response = await client.post(
            "/api/mobile_app/registrations",
            json={
                "device_id": "demo-phone",
                "app_id": "io.intelergy.demo_phone",
                "app_name": "Demo",
                "app_version": "1.0",
                "device_name": "Demo phone",
                "manufacturer": "Intelergy",
                "model": "Simulated",
                "os_name": "Android",
                "os_version": "15",
                "supports_encryption": False,
                "app_data": {"push_url": f"{sim.url}/push", "push_token": "demo"},
            },
        )
        assert response.status == 201
        webhook_id = (await response.json())["webhook_id"]
        # The entry is set up, then mobile_app's notify platform adds the action.
        for _ in range(50):
            await hass.async_block_till_done()
            if hass.services.has_service("notify", "mobile_app_demo_phone"):
                break
            await asyncio.sleep(0.1)
        assert hass.services.has_service("notify", "mobile_app_demo_phone")

        await hass.services.async_call(
            "notify",
            "mobile_app_demo_phone",
            {"title": PUSH["title"], "message": PUSH["message"], "data": PUSH["data"]},
            blocking=True,
        )
        assert [n["title"] for n in sim.notifications] == [PUSH["title"]]
        assert sim.webhook_id == webhook_id  # learnt from the push

        events = async_capture_events(hass, NOTIFICATION_ACTION)
        fired = await sim.answer(sim.notifications[0]["actions"][0]["action"])
        await hass.async_block_till_done()
        assert [event.data for event in events] == [fired["event_data"]]
        assert events[0].data == {"action": "INTELERGY_OFF_01ABC"}
    finally:
        await sim.stop()
