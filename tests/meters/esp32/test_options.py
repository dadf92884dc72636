"""An ESP32 meter's options: its anomaly monitor, folded under the meter's own."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, section
from homeassistant.helpers import entity_registry as er

from custom_components.intelergy.const import DOMAIN

from .common import UNIQUE, Link, entity_of, set_up


async def test_monitor_on_by_default_then_switched_off(
    hass: HomeAssistant, link: Link
) -> None:
    entry = await set_up(link)
    problem = entity_of(hass, "binary_sensor", "anomaly")
    assert entity_of(hass, "sensor", "baseline")
    [monitor] = entry.runtime_data.anomaly_monitors
    assert monitor.power_entity == entity_of(hass, "sensor", "power")
    registry = er.async_get(hass)
    assert (
        registry.async_get(problem).device_id  # type: ignore[union-attr]
        == registry.async_get(entity_of(hass, "sensor", "power")).device_id  # type: ignore[union-attr]
    )

    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["step_id"] == "esp32"
    schema = result["data_schema"].schema
    fields = [str(key) for key in schema]
    assert fields[-1] == "anomaly_monitor"
    folded = schema[next(k for k in schema if str(k) == "anomaly_monitor")]
    assert isinstance(folded, section)
    assert folded.options == {"collapsed": True}
    values = {
        str(k): k.description["suggested_value"]
        for k in folded.schema.schema
        if k.description
    }
    assert values["monitor"] is True
    own = {
        "interval": 5,
        "throttle": False,
        "throttle_seconds": 60,
        "throttle_power": 50.0,
        "throttle_energy": 0.001,
        "max_power": 26000.0,
    }
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**own, "anomaly_monitor": {**values, "monitor": False}}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await link.settle()
    assert entry.runtime_data.anomaly_monitors == ()
    assert registry.async_get(problem) is None
    assert registry.async_get_entity_id("sensor", DOMAIN, f"{UNIQUE}_baseline") is None
    assert entry.runtime_data.coordinator.interval == 5
