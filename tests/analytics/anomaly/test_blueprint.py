"""The anomaly cut-off blueprint inside Home Assistant: notify the phone, cut the relay."""

from __future__ import annotations

import asyncio
from pathlib import Path
import shutil
from types import SimpleNamespace
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import automation
from homeassistant.components.mobile_app.const import (
    DATA_CONFIG_ENTRIES,
    DATA_DEVICES,
    DATA_NOTIFY,
)
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_mock_service,
)

from custom_components.intelergy.const import DOMAIN
from simulators.pzem import PzemSimulator

from .common import ATTRS, POWER, add_monitor, pzem_entry, run, run_meter

BLUEPRINT = (
    Path(__file__).resolve().parents[3]
    / "blueprints" / "automation" / "intelergy" / "anomaly_cutoff.yaml"
)  # fmt: skip
RELAY = "switch.kettle_relay"


async def phone_and_blueprint(hass: HomeAssistant) -> dict[str, Any]:
    """A phone with the HA app (as mobile_app keeps it) and the blueprint installed."""
    phone_entry = MockConfigEntry(
        domain="mobile_app",
        data={
            "webhook_id": "phone-hook",
            "device_name": "Phone",
            "app_data": {"push_token": "t", "push_url": "https://push.invalid"},
        },
    )
    phone_entry.add_to_hass(hass)
    phone = dr.async_get(hass).async_get_or_create(
        config_entry_id=phone_entry.entry_id,
        identifiers={("mobile_app", "phone-id")},
        name="Phone",
    )
    hass.data["mobile_app"] = {
        DATA_DEVICES: {"phone-hook": phone},
        DATA_CONFIG_ENTRIES: {"phone-hook": phone_entry},
        DATA_NOTIFY: SimpleNamespace(
            registered_targets={"mobile_app_phone": "phone-hook"}
        ),
    }
    notified = async_mock_service(hass, "notify", "mobile_app_phone")
    target = Path(hass.config.path("blueprints", "automation", "intelergy"))

    def install() -> None:
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(BLUEPRINT, target / BLUEPRINT.name)

    await hass.async_add_executor_job(install)
    return {"phone": phone, "notified": notified}


async def phone_and_kettle(hass: HomeAssistant) -> dict[str, Any]:
    """The phone, the blueprint, and a kettle a monitor entry watches."""
    things = await phone_and_blueprint(hass)
    meter = MockConfigEntry(domain=DOMAIN, data={"kind": "esp32"})
    meter.add_to_hass(hass)
    kettle = dr.async_get(hass).async_get_or_create(
        config_entry_id=meter.entry_id, identifiers={(DOMAIN, "kettle")}, name="Kettle"
    )
    er.async_get(hass).async_get_or_create(
        "sensor", DOMAIN, "kettle_power", suggested_object_id="kettle_power",
        device_id=kettle.id,
    )  # fmt: skip
    hass.states.async_set(POWER, "0", ATTRS)
    await add_monitor(hass)
    return {**things, "kettle": kettle}


@pytest.fixture
async def setup_phone_and_kettle(hass: HomeAssistant) -> dict[str, Any]:
    """The phone and kettle, and a relay whose turn_off is recorded."""
    things = await phone_and_kettle(hass)
    things["off"] = async_mock_service(hass, "switch", "turn_off")
    hass.states.async_set(RELAY, "on")
    return things


async def use_blueprint(
    hass: HomeAssistant, things: dict[str, Any], minutes: int, relay: str = RELAY
) -> None:
    assert await async_setup_component(
        hass,
        automation.DOMAIN,
        {
            automation.DOMAIN: {
                "use_blueprint": {
                    "path": "intelergy/anomaly_cutoff.yaml",
                    "input": {
                        "monitored_device": things["kettle"].id,
                        "kinds": ["spike", "long_run"],
                        "notify_device": things["phone"].id,
                        "relay": relay,
                        "auto_off_minutes": minutes,
                    },
                }
            }
        },
    )
    await hass.async_block_till_done()


async def settle(hass: HomeAssistant) -> None:
    """Let callbacks and the automation run, without waiting for it to finish.

    (``async_block_till_done`` would wait for the blueprint's wait_for_trigger.)
    """
    for _ in range(20):
        await asyncio.sleep(0)


async def spike(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    await run(hass, freezer, 75, 3700)  # learn the kettle's warm-keeping 75 W
    for step in range(6):  # then 2 kW for a minute
        hass.states.async_set(POWER, str(2000 + step % 2), ATTRS)
        freezer.tick(10)
        async_fire_time_changed(hass)
        await settle(hass)


async def test_turn_off_from_the_notification(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    setup_phone_and_kettle: dict[str, Any],
) -> None:
    things = setup_phone_and_kettle
    await use_blueprint(hass, things, minutes=0)
    await spike(hass, freezer)
    [call] = things["notified"]
    assert isinstance(call, ServiceCall)
    assert call.data["target"] == ["phone-hook"] or call.data["target"] == "phone-hook"
    assert "spike" in call.data["message"]
    actions = call.data["data"]["actions"]
    assert [a["title"] for a in actions] == ["Turn off", "Ignore"]
    assert things["off"] == []
    # The user taps "Turn off" on the phone.
    hass.bus.async_fire(
        "mobile_app_notification_action", {"action": actions[0]["action"]}
    )
    await hass.async_block_till_done()
    [off] = things["off"]
    assert off.data["entity_id"] == [RELAY] or off.data["entity_id"] == RELAY


async def test_ignore_leaves_the_relay_on(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    setup_phone_and_kettle: dict[str, Any],
) -> None:
    things = setup_phone_and_kettle
    await use_blueprint(hass, things, minutes=5)
    await spike(hass, freezer)
    [call] = things["notified"]
    hass.bus.async_fire(
        "mobile_app_notification_action",
        {"action": call.data["data"]["actions"][1]["action"]},
    )
    await settle(hass)
    freezer.tick(600)
    async_fire_time_changed(hass)
    await settle(hass)
    assert things["off"] == []


async def test_turns_off_by_itself_without_an_answer(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    setup_phone_and_kettle: dict[str, Any],
) -> None:
    things = setup_phone_and_kettle
    await use_blueprint(hass, things, minutes=5)
    await spike(hass, freezer)
    assert len(things["notified"]) == 1
    assert things["off"] == []
    freezer.tick(301)
    async_fire_time_changed(hass)
    await settle(hass)
    assert len(things["off"]) == 1


async def test_cuts_a_real_shelly_relay(hass: HomeAssistant, gen1_sim: Any) -> None:
    """The same loop with the relay of a (simulated) Shelly Plug S behind it.

    The anomaly is injected as the monitor announces it (its event), so the
    plug's HTTP polling runs on the real clock.
    """
    from tests.conftest import shelly_entry, shelly_mac  # noqa: PLC0415

    plug = shelly_entry(hass, gen1_sim)
    assert await hass.config_entries.async_setup(plug.entry_id)
    await hass.async_block_till_done()
    relay = er.async_get(hass).async_get_entity_id(
        "switch", DOMAIN, f"{shelly_mac(gen1_sim).replace(':', '')}_0_relay"
    )
    assert relay is not None
    assert hass.states.get(relay).state == "on"  # type: ignore[union-attr]

    things = await phone_and_kettle(hass)
    notified, kettle, phone = things["notified"], things["kettle"], things["phone"]
    await use_blueprint(
        hass, {"kettle": kettle, "phone": phone}, minutes=0, relay=relay
    )
    hass.bus.async_fire(
        "intelergy_anomaly",
        {
            "device_id": kettle.id,
            "entity_id": POWER,
            "kind": "spike",
            "active": True,
            "value": 2010.0,
            "baseline": 75.0,
            "threshold": 150.0,
        },
    )
    await settle(hass)
    [call] = notified
    hass.bus.async_fire(
        "mobile_app_notification_action",
        {"action": call.data["data"]["actions"][0]["action"]},
    )
    for _ in range(200):  # the relay command goes over HTTP to the plug
        await settle(hass)
        if not gen1_sim.is_on(0):
            break
        await asyncio.sleep(0.005)
    assert gen1_sim.is_on(0) is False
    assert "GET /relay/0?turn=off" in gen1_sim.requests


async def test_a_meters_built_in_monitor(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, pzem: PzemSimulator
) -> None:
    """The blueprint on a PZEM's device: its monitor is part of the meter."""
    things = await phone_and_blueprint(hass)
    things["off"] = async_mock_service(hass, "switch", "turn_off")
    hass.states.async_set(RELAY, "on")
    meter = pzem_entry(hass, pzem)
    assert await hass.config_entries.async_setup(meter.entry_id)
    await hass.async_block_till_done()
    power = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{meter.unique_id}_power"
    )
    assert power is not None
    device = dr.async_get(hass).async_get(
        er.async_get(hass).async_get(power).device_id  # type: ignore[arg-type,union-attr]
    )
    await use_blueprint(hass, {**things, "kettle": device}, minutes=0)
    await run_meter(hass, freezer, 3700)  # learn the meter's 75 W
    pzem.power, pzem.current = 2000.0, 8.7
    coordinator = meter.runtime_data.coordinator
    for _ in range(3):  # 2 kW for 90 s (the automation then waits for an answer)
        polls = pzem.requests
        freezer.tick(30)
        async_fire_time_changed(hass)
        for _ in range(5000):  # the poll goes over a real socket
            await asyncio.sleep(0)
            if pzem.requests > polls and coordinator.data.reading.power == 2000:
                break
        await settle(hass)
    [call] = things["notified"]
    name = hass.states.get(power).name  # type: ignore[union-attr]
    assert call.data["title"] == f"Anomaly: {name}"
    assert call.data["message"].startswith("spike: 2000")
    hass.bus.async_fire(
        "mobile_app_notification_action",
        {"action": call.data["data"]["actions"][0]["action"]},
    )
    await hass.async_block_till_done()
    [off] = things["off"]
    assert off.data["entity_id"] == [RELAY] or off.data["entity_id"] == RELAY
