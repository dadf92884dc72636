"""A PZEM-004T's options: its anomaly monitor, on by default, off, re-tuned."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, section
from homeassistant.helpers import entity_registry as er

from custom_components.intelergy.const import DOMAIN
from simulators.pzem import PzemSimulator

from .common import add


async def meter(hass: HomeAssistant, sim: PzemSimulator) -> Any:
    result = await add(hass, "tcp", {"host": "127.0.0.1", "port": sim.port, "slave": 1})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    return result["result"]


async def test_on_by_default_then_switched_off(
    hass: HomeAssistant, sim: PzemSimulator
) -> None:
    entry = await meter(hass, sim)
    prefix = entry.unique_id
    registry = er.async_get(hass)
    problem = registry.async_get_entity_id("binary_sensor", DOMAIN, f"{prefix}_anomaly")
    baseline = registry.async_get_entity_id("sensor", DOMAIN, f"{prefix}_baseline")
    assert problem is not None
    assert baseline is not None
    power = registry.async_get_entity_id("sensor", DOMAIN, f"{prefix}_power")
    [monitor] = entry.runtime_data.anomaly_monitors
    assert monitor.power_entity == power

    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "pzem"
    [(key, folded)] = result["data_schema"].schema.items()
    assert str(key) == "anomaly_monitor"
    assert isinstance(folded, section)
    values = {
        str(k): k.description["suggested_value"]
        for k in folded.schema.schema
        if k.description
    }
    assert values["monitor"] is True
    # A whole-house meter: over-current only above 63 A, spikes above 4x.
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {"anomaly_monitor": {**values, "k": 4.0, "current_max": 63.0}},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    [monitor] = entry.runtime_data.anomaly_monitors
    assert (monitor.detector.config.k, monitor.detector.config.current_max) == (
        4.0,
        63.0,
    )

    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"anomaly_monitor": {**values, "monitor": False}}
    )
    await hass.async_block_till_done()
    assert entry.runtime_data.anomaly_monitors == ()
    assert registry.async_get(problem) is None
    assert registry.async_get(baseline) is None
    assert registry.async_get(power) is not None  # type: ignore[arg-type]
