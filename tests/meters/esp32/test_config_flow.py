"""ESP32 meter config flows: by device id, discovered on MQTT, reconfigure, options."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import SOURCE_MQTT, SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import area_registry as ar, device_registry as dr
from homeassistant.helpers.service_info.mqtt import MqttServiceInfo
from homeassistant.util import dt as dt_util
import pytest

from custom_components.intelergy.const import CONF_KIND, DOMAIN, KIND_ESP32

from .common import Link, meter_entry


async def start(hass: HomeAssistant) -> dict[str, Any]:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "esp32"}
    )


def availability(topic: str, payload: str = "online") -> MqttServiceInfo:
    """What HA's MQTT discovery hands the flow for a manifest topic."""
    return MqttServiceInfo(
        topic=topic,
        payload=payload,
        qos=1,
        retain=True,
        subscribed_topic="intelergy/+/availability",
        timestamp=dt_util.utcnow().timestamp(),
    )


async def test_mqtt_not_set_up(hass: HomeAssistant) -> None:
    result = await start(hass)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "mqtt_not_configured"


async def test_by_device_id(hass: HomeAssistant, link: Link) -> None:
    result = await start(hass)
    assert result["step_id"] == "esp32"
    bad = {"device_id": "hall/meter", "prefix": "home/+/x", "interval": 5, "relays": 1}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], bad)
    assert result["errors"] == {
        "device_id": "invalid_device_id",
        "prefix": "invalid_prefix",
    }
    good = {
        "device_id": "hall-meter",
        "prefix": "/home/energy/",
        "interval": 10,
        "relays": 2,
        "room": "Hall",
    }
    result = await hass.config_entries.flow.async_configure(result["flow_id"], good)
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "ESP32 meter hall-meter"
    entry = result["result"]
    assert entry.unique_id == "home/energy/hall-meter"
    assert entry.data == {
        CONF_KIND: KIND_ESP32,
        "device_id": "hall-meter",
        "prefix": "home/energy",
        "interval": 10,
        "relays": 2,
        "fields": [],
    }
    # A new meter writes through the recorder throttle (benchmarks/RESULTS.md),
    # at the default rule; an entry made before, without the option, does not.
    assert entry.options == {"throttle": True}
    throttle = entry.runtime_data.coordinator.throttle
    assert throttle is not None
    assert (throttle.seconds, throttle.power_w, throttle.energy_kwh) == (
        60,
        50.0,
        0.001,
    )
    area = ar.async_get(hass).async_get_area_by_name("Hall")
    assert area is not None
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, "home/energy/hall-meter"), entry.entry_id
    )
    assert device is not None
    assert device.area_id == area.id
    # Named after its room and kind; its device id is its serial number.
    assert (device.name, device.serial_number) == ("Hall ESP32 meter", "hall-meter")

    result = await start(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], good)
    assert result["reason"] == "already_configured"


async def test_discovered_through_the_broker(hass: HomeAssistant, link: Link) -> None:
    # A meter announces itself (retained "online"): HA's MQTT discovery starts the flow.
    from homeassistant.components import mqtt  # noqa: PLC0415

    await mqtt.async_publish(
        hass, "intelergy/garage-meter/availability", "online", 1, True
    )
    for _ in range(1000):
        await link.wait()
        if hass.config_entries.flow.async_progress_by_handler(DOMAIN):
            break
    [flow] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["step_id"] == "esp32_confirm"
    assert flow["context"]["title_placeholders"] == {"name": "garage-meter"}
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {"interval": 5, "room": "Garage"}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == "intelergy/garage-meter"
    await mqtt.async_publish(hass, "intelergy/garage-meter/availability", "", 1, True)


@pytest.mark.parametrize(
    ("topic", "payload"),
    [
        ("intelergy/hall-meter/availability", "offline"),
        ("intelergy/hall meter/availability", "online"),
        ("intelergy/hall-meter/extra/availability", "online"),
    ],
)
async def test_discovery_refuses(hass: HomeAssistant, topic: str, payload: str) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_MQTT}, data=availability(topic, payload)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "invalid_discovery_info"


async def test_discovery_of_a_known_meter(hass: HomeAssistant) -> None:
    meter_entry(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_MQTT},
        data=availability("intelergy/kitchen-meter/availability"),
    )
    assert result["reason"] == "already_configured"


async def test_reconfigure_prefix(hass: HomeAssistant, link: Link) -> None:
    entry = meter_entry(hass)
    other = meter_entry(hass, device_id="kitchen-meter-2")
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "esp32_reconfigure"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"prefix": "a/#"}
    )
    assert result["errors"] == {"prefix": "invalid_prefix"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"prefix": "flat/energy"}
    )
    await hass.async_block_till_done()
    assert result["reason"] == "reconfigure_successful"
    assert entry.data["prefix"] == "flat/energy"
    assert entry.unique_id == "flat/energy/kitchen-meter"
    # The prefix unchanged: fine.
    result = await other.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"prefix": "intelergy"}
    )
    assert result["reason"] == "reconfigure_successful"
    # Onto another entry's topics: refused.
    again = meter_entry(hass)
    result = await again.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"prefix": "flat/energy"}
    )
    assert result["reason"] == "already_configured"
    assert again.data["prefix"] == "intelergy"


async def test_options(hass: HomeAssistant, link: Link) -> None:
    entry = meter_entry(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await link.settle()
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["step_id"] == "esp32"
    options = {
        "interval": 10,
        "throttle": True,
        "throttle_seconds": 60,
        "throttle_power": 25.0,
        "throttle_energy": 0.01,
        "max_power": 2300.0,  # a 10 A meter
    }
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], options
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    coordinator = entry.runtime_data.coordinator
    assert coordinator.throttle is not None
    assert coordinator.throttle.power_w == 25.0
    assert coordinator.interval == 10
    assert coordinator.totalizer.spec.max_power_w == 2300.0
