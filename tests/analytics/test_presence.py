"""``intelergy.devices_left_on``: relays on, drawing more than standby, with their cost."""

from __future__ import annotations

import asyncio
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
import probatio
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.intelergy.const import DOMAIN
from simulators.shelly import ShellySimulator
from tests.analytics.billing.common import billing_entry

W = {"device_class": "power", "unit_of_measurement": "W"}


def add_load(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    device: dr.DeviceEntry,
    prefix: str,
    slug: str,
    *,
    power: str,
    relay: str = "on",
    variant: str = "",
    standby: str | None = None,
) -> None:
    """A load's power, energy, relay (and learned standby) as a meter registers them."""
    registry = er.async_get(hass)
    label = slug.replace("_", " ").title()
    keys = {"power": "sensor", "energy": "sensor", "relay": "switch"}
    if standby is not None:
        keys["standby_power"] = "sensor"
    for key, domain in keys.items():
        registry.async_get_or_create(
            domain, DOMAIN, f"{prefix}_{key}",
            config_entry=entry, device_id=device.id,
            suggested_object_id=f"{slug}_{key}",
            translation_key=f"{variant}{key}" if key != "relay" else "relay",
            original_name=None if variant == "" else label if key == "relay"
            else f"{label} {key}",
        )  # fmt: skip
    hass.states.async_set(f"sensor.{slug}_power", power, W)
    hass.states.async_set(f"switch.{slug}_relay", relay)
    hass.states.async_set(
        f"sensor.{slug}_energy", "12.5", {"device_class": "energy", "unit_of_measurement": "kWh"}
    )  # fmt: skip
    if standby is not None:
        hass.states.async_set(f"sensor.{slug}_standby_power", standby, W)


def bill_for(hass: HomeAssistant, energy: str, price: str = "5.310") -> None:
    """A bill of ``energy`` whose next kWh costs ``price`` INR."""
    bill = billing_entry(hass, [energy])
    er.async_get(hass).async_get_or_create(
        "sensor", DOMAIN, f"{bill.entry_id}_next_kwh_price", config_entry=bill,
        suggested_object_id="home_price_of_the_next_kwh", translation_key="next_kwh_price",
    )  # fmt: skip
    hass.states.async_set(
        "sensor.home_price_of_the_next_kwh", price, {"unit_of_measurement": "INR/kWh"}
    )


async def make_house(hass: HomeAssistant) -> dict[str, Any]:
    """A kettle (billed), a fridge, a TV in standby and a lamp switched off.

    Their devices by initial (``k``, ``f``, ``t``, ``l``) and the ``meter`` entry.
    """
    assert await async_setup_component(hass, DOMAIN, {})
    await hass.config.async_update(currency="INR")
    meter = MockConfigEntry(domain=DOMAIN, data={"kind": "shelly"})
    meter.add_to_hass(hass)
    devices = dr.async_get(hass)
    made = {}
    for key, name in (("k", "Kettle"), ("f", "Fridge"), ("t", "TV"), ("l", "Lamp")):
        made[key] = devices.async_get_or_create(
            config_entry_id=meter.entry_id, identifiers={(DOMAIN, key)}, name=name
        )
    add_load(hass, meter, made["k"], "k_0", "kettle", power="1800")
    add_load(hass, meter, made["f"], "f_0", "fridge", power="95.5")
    add_load(hass, meter, made["t"], "t_0", "tv", power="3.2")
    add_load(hass, meter, made["l"], "l_0", "lamp", power="40", relay="off")
    bill_for(hass, "sensor.kettle_energy")
    return {"meter": meter, **made}


@pytest.fixture
async def house(hass: HomeAssistant) -> dict[str, Any]:
    """``make_house``'s household."""
    return await make_house(hass)


async def left_on(hass: HomeAssistant, **data: Any) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN, "devices_left_on", data, blocking=True, return_response=True
    )
    assert isinstance(response, dict)
    return response


async def test_lists_what_draws_more_than_standby(
    hass: HomeAssistant, house: dict[str, Any]
) -> None:
    response = await left_on(hass)
    assert response == {
        "devices": [
            {
                "name": "Kettle",
                "device_id": house["k"].id,
                "power_entity": "sensor.kettle_power",
                "relay_entity": "switch.kettle_relay",
                "power_w": 1800.0,
                "standby_w": 5.0,
                "standby_entity": None,
                "energy_entity": "sensor.kettle_energy",
                "price_entity": "sensor.home_price_of_the_next_kwh",
                "cost_per_hour": 9.56,  # 1.8 kW x 5.31 INR/kWh
                "currency": "INR",
            },
            {
                "name": "Fridge",
                "device_id": house["f"].id,
                "power_entity": "sensor.fridge_power",
                "relay_entity": "switch.fridge_relay",
                "power_w": 95.5,
                "standby_w": 5.0,
                "standby_entity": None,
                "energy_entity": "sensor.fridge_energy",
                "price_entity": None,  # no bill bills the fridge's energy
                "cost_per_hour": None,
                "currency": None,
            },
        ],
        "count": 2,
        "total_power_w": 1895.5,
        "total_cost_per_hour": 9.56,
        "currency": "INR",
    }


async def test_exclude_by_device_or_entity(
    hass: HomeAssistant, house: dict[str, Any]
) -> None:
    by_device = await left_on(hass, exclude=[house["f"].id])
    assert [d["name"] for d in by_device["devices"]] == ["Kettle"]
    by_relay = await left_on(hass, exclude=["switch.kettle_relay", "sensor.nothing"])
    assert [d["name"] for d in by_relay["devices"]] == ["Fridge"]
    by_power = await left_on(hass, exclude="sensor.fridge_power")
    assert [d["name"] for d in by_power["devices"]] == ["Kettle"]


async def test_standby_level(hass: HomeAssistant, house: dict[str, Any]) -> None:
    low = await left_on(hass, standby_watts=2)
    assert [d["name"] for d in low["devices"]] == ["Kettle", "Fridge", "TV"]
    high = await left_on(hass, standby_watts=100)
    assert [d["name"] for d in high["devices"]] == ["Kettle"]
    with pytest.raises(probatio.Invalid):
        await left_on(hass, standby_watts=-1)


async def test_a_learned_standby_wins(
    hass: HomeAssistant, house: dict[str, Any]
) -> None:
    """A strip's outlets with their learned standby (outlet 1 is not outlet 10)."""
    devices = dr.async_get(hass)
    strip = devices.async_get_or_create(
        config_entry_id=house["meter"].entry_id, identifiers={(DOMAIN, "s")},
        name="Strip",
    )  # fmt: skip
    add_load(hass, house["meter"], strip, "s_1", "tv_box", power="3.0",
             variant="outlet_", standby="1.5")  # fmt: skip
    add_load(hass, house["meter"], strip, "s_10", "router", power="40.0",
             variant="outlet_", standby="60")  # fmt: skip
    response = await left_on(hass)
    [box] = [d for d in response["devices"] if d["device_id"] == strip.id]
    assert box["name"] == "Strip Tv Box"
    assert box["power_w"] == 3.0
    assert box["standby_w"] == 1.5
    assert box["standby_entity"] == "sensor.tv_box_standby_power"
    # An unknown learned standby: the default level again (3 W is under 5 W).
    hass.states.async_set("sensor.tv_box_standby_power", "unknown", W)
    hass.states.async_set("sensor.router_standby_power", "unavailable", W)
    again = await left_on(hass)
    assert [d["name"] for d in again["devices"] if d["device_id"] == strip.id] == [
        "Strip Router"
    ]


async def test_a_real_plug(hass: HomeAssistant, gen1_sim: ShellySimulator) -> None:
    """A simulated Shelly Plug S drawing 1.2 kW, and after it is switched off."""
    from tests.conftest import shelly_entry  # noqa: PLC0415

    await gen1_sim.set_load(0, 1200)
    plug = shelly_entry(hass, gen1_sim)
    assert await async_setup_component(hass, DOMAIN, {})  # sets the plug up
    await hass.async_block_till_done()
    assert plug.state is ConfigEntryState.LOADED
    [row] = (await left_on(hass))["devices"]
    assert row["power_w"] == 1200.0
    relay = row["relay_entity"]
    assert hass.states.get(relay).state == "on"  # type: ignore[union-attr]
    await hass.services.async_call(
        "switch", "turn_off", {"entity_id": relay}, blocking=True
    )
    for _ in range(200):
        await hass.async_block_till_done()
        if not gen1_sim.is_on(0) and hass.states.get(relay).state == "off":  # type: ignore[union-attr]
            break
        await asyncio.sleep(0.005)
    assert (await left_on(hass))["devices"] == []
