"""Left on while nobody is home: one notification, its buttons cut the relays.

A run waits up to ``answer_minutes`` for the phone's answer: while it waits,
``hass.async_block_till_done()`` would wait with it (and so did the simulator's
teardown, which unloads the entries): the tests let the run go with ``settle``
and stop the automations before the simulator goes (``plug_sim``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    async_fire_time_changed,
    async_mock_service,
)

from custom_components.intelergy.const import DOMAIN
from simulators.shelly import ShellySimulator
from tests.analytics.test_presence import bill_for, make_house
from tests.conftest import shelly_entry

from .common import phone, settle, stop_automations, use_blueprint


@pytest.fixture
async def plug_sim(
    hass: HomeAssistant, gen1_sim: ShellySimulator
) -> AsyncGenerator[ShellySimulator]:
    """The simulated plug; automations (and a waiting run) stop before it does."""
    yield gen1_sim
    await stop_automations(hass)


@pytest.fixture
async def house(hass: HomeAssistant) -> dict[str, Any]:
    """The presence tests' household (``make_house``)."""
    return await make_house(hass)


async def test_turn_all_off_cuts_a_real_plug(
    hass: HomeAssistant, plug_sim: ShellySimulator
) -> None:
    await hass.config.async_update(currency="INR")
    await plug_sim.set_load(0, 1850)
    plug = shelly_entry(hass, plug_sim)
    assert await async_setup_component(hass, DOMAIN, {})
    await hass.async_block_till_done()
    [plug_device] = dr.async_entries_for_config_entry(dr.async_get(hass), plug.entry_id)
    bill_for(hass, "sensor.kitchen_kettle_energy")
    hass.states.async_set("person.asha", "home")
    hass.states.async_set("person.ravi", "not_home")
    device, notified = await phone(hass)
    await use_blueprint(
        hass, "left_on", persons=["person.asha", "person.ravi"], delay=0,
        phones=[device.id],
    )  # fmt: skip
    hass.states.async_set("person.asha", "Work")  # the last one leaves
    await settle(hass)
    [call] = notified
    assert plug_device.name == "Kitchen kettle"
    assert call.data["title"] == "Left on: 1 device, nobody home"
    assert call.data["message"] == (
        "Kitchen kettle: 1,850 W, 9.82 INR/h\nTotal 1,850 W, 9.82 INR/h."
    )
    buttons = call.data["data"]["actions"]
    assert [b["title"] for b in buttons] == ["Turn all off"]
    assert plug_sim.is_on(0)
    hass.bus.async_fire("mobile_app_notification_action", {"action": "OTHER"})
    await settle(hass)
    assert plug_sim.is_on(0)  # another notification's answer
    hass.states.async_set("person.ravi", "home")
    hass.states.async_set("person.ravi", "not_home")  # empty again: still one run
    await settle(hass)
    assert len(notified) == 1
    hass.bus.async_fire(
        "mobile_app_notification_action", {"action": buttons[0]["action"]}
    )
    for _ in range(200):  # the relay command goes over HTTP to the plug
        await settle(hass)
        if not plug_sim.is_on(0):
            break
        await asyncio.sleep(0.005)
    assert plug_sim.is_on(0) is False
    assert "GET /relay/0?turn=off" in plug_sim.requests


async def test_zone_home_and_exclusions(
    hass: HomeAssistant, house: dict[str, Any]
) -> None:
    """Without people: zone.home at 0; the excluded fridge is not listed."""
    hass.states.async_set("zone.home", "2")
    device, notified = await phone(hass)
    await use_blueprint(
        hass, "left_on", delay=0, exclude_devices=[house["f"].id], phones=[device.id]
    )
    hass.states.async_set("zone.home", "1")
    await settle(hass)
    assert notified == []  # someone is still home
    hass.states.async_set("zone.home", "0")
    await settle(hass)
    [call] = notified
    assert call.data["title"] == "Left on: 1 device, nobody home"
    assert call.data["message"] == (
        "Kettle: 1,800 W, 9.56 INR/h\nTotal 1,800 W, 9.56 INR/h."
    )
    assert [b["title"] for b in call.data["data"]["actions"]] == ["Turn all off"]


async def test_a_button_per_device(
    hass: HomeAssistant, house: dict[str, Any], freezer: FrozenDateTimeFactory
) -> None:
    """Two on: "Turn off <name>" for each and "Turn all off"; one answer is enough."""
    hass.states.async_set("person.asha", "home")
    device, notified = await phone(hass)
    created = async_mock_service(hass, "persistent_notification", "create")
    turned_off = async_mock_service(hass, "switch", "turn_off")
    await use_blueprint(
        hass, "left_on", persons=["person.asha"], delay=5, phones=[device.id],
        persistent=True,
    )  # fmt: skip
    hass.states.async_set("person.asha", "not_home")
    await settle(hass)
    assert notified == []  # not empty for 5 minutes yet
    freezer.tick(timedelta(minutes=5, seconds=1))
    async_fire_time_changed(hass)
    await settle(hass)
    [call] = notified
    assert call.data["title"] == "Left on: 2 devices, nobody home"
    assert call.data["message"] == (
        "Kettle: 1,800 W, 9.56 INR/h\nFridge: 96 W\nTotal 1,896 W, 9.56 INR/h."
    )
    assert [c.data["message"] for c in created] == [call.data["message"]]
    buttons = call.data["data"]["actions"]
    assert [b["title"] for b in buttons] == [
        "Turn off Kettle", "Turn off Fridge", "Turn all off"
    ]  # fmt: skip
    assert len({b["action"] for b in buttons}) == 3
    hass.bus.async_fire(
        "mobile_app_notification_action", {"action": buttons[1]["action"]}
    )
    await settle(hass)
    assert [c.data["entity_id"] for c in turned_off] == [["switch.fridge_relay"]]
    hass.bus.async_fire(
        "mobile_app_notification_action", {"action": buttons[2]["action"]}
    )
    await settle(hass)
    assert len(turned_off) == 1  # the run ended with the first answer


async def test_no_answer_in_time(
    hass: HomeAssistant, house: dict[str, Any], freezer: FrozenDateTimeFactory
) -> None:
    """After ``answer_minutes`` the buttons do nothing (and the run is over)."""
    hass.states.async_set("zone.home", "1")
    device, notified = await phone(hass)
    turned_off = async_mock_service(hass, "switch", "turn_off")
    await use_blueprint(hass, "left_on", delay=0, answer_minutes=10, phones=[device.id])
    hass.states.async_set("zone.home", "0")
    async_fire_time_changed(hass)  # "for 0 minutes" is a timer (time is frozen)
    await settle(hass)
    [call] = notified
    freezer.tick(timedelta(minutes=10, seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()  # returns: the run timed out
    hass.bus.async_fire(
        "mobile_app_notification_action",
        {"action": call.data["data"]["actions"][-1]["action"]},
    )
    await hass.async_block_till_done()
    assert turned_off == []


async def test_nothing_on_no_message(hass: HomeAssistant) -> None:
    """zone.home at 0 with nothing drawing power: no notification."""
    assert await async_setup_component(hass, DOMAIN, {})
    hass.states.async_set("zone.home", "1")
    device, notified = await phone(hass)
    await use_blueprint(hass, "left_on", delay=0, phones=[device.id])
    hass.states.async_set("zone.home", "0")
    async_fire_time_changed(hass)  # "for 0 minutes" is a timer
    await hass.async_block_till_done()  # the run ends at its condition
    [automation_state] = hass.states.async_all("automation")
    assert automation_state.attributes["last_triggered"] is not None  # it ran
    assert notified == []
