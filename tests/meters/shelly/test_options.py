"""A Shelly's options: its outlets' anomaly monitors, on by default, off, re-tuned."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from homeassistant.components.device_automation import DeviceAutomationType
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, section
from homeassistant.helpers import entity_registry as er
import probatio
from pytest_homeassistant_custom_component.common import async_get_device_automations

from custom_components.intelergy.analytics.anomaly.flow import METER_SCHEMA
from custom_components.intelergy.const import DOMAIN
from simulators.shelly import ShellySimulator

from .common import entity_id, loaded

STRINGS = (
    Path(__file__).resolve().parents[3] / "custom_components/intelergy/strings.json"
)
THRESHOLDS = {
    "k": 3.0,
    "min_watts": 50.0,
    "debounce_s": 60.0,
    "max_run_minutes": 120.0,
    "run_factor": 4.0,
    "voltage_low": 108.0,
    "voltage_high": 132.0,
    "current_max": 15.0,
    "daily_factor": 2.0,
}


def monitor_section(result: dict[str, Any]) -> tuple[probatio.Marker, section]:
    [(key, value)] = result["data_schema"].schema.items()
    assert isinstance(value, section)
    return key, value


def suggested(schema: probatio.Schema) -> dict[str, Any]:
    return {
        str(key): key.description["suggested_value"]
        for key in schema.schema
        if key.description
    }


async def configure(hass: HomeAssistant, entry_id: str, **values: Any) -> None:
    result = await hass.config_entries.options.async_init(entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"anomaly_monitor": values}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()


async def test_the_form_is_the_anomaly_monitor(
    hass: HomeAssistant, gen1_sim: ShellySimulator
) -> None:
    entry, _mac = await loaded(hass, gen1_sim)
    assert entry.supports_options
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "shelly"
    key, folded = monitor_section(result)
    assert str(key) == "anomaly_monitor"
    assert folded.options == {"collapsed": False}
    # On by default, with a monitor entry's default thresholds.
    assert suggested(folded.schema) == {
        "monitor": True,
        "category": "other",
        "unusual_time": False,
        "k": 2.0,
        "min_watts": 100.0,
        "debounce_s": 30.0,
        "max_run_minutes": 0.0,
        "run_factor": 3.0,
        "voltage_low": 207.0,
        "voltage_high": 253.0,
        "current_max": 16.0,
        "daily_factor": 1.5,
    }
    translated = json.loads(STRINGS.read_text())["options"]["step"]["shelly"]
    fields = {str(k) for k in METER_SCHEMA.schema}
    texts = translated["sections"]["anomaly_monitor"]
    assert set(texts["data"]) == set(texts["data_description"]) == fields


async def test_thresholds_apply_to_every_outlet(
    hass: HomeAssistant, gen1_sim: ShellySimulator
) -> None:
    entry, _mac = await loaded(hass, gen1_sim)
    await configure(hass, entry.entry_id, monitor=True, **THRESHOLDS)
    # The form's own defaults: no device category, no unusual-time check.
    defaults = {"category": "other", "unusual_time": False}
    assert entry.options == {
        "anomaly_monitor": {"monitor": True, **defaults, **THRESHOLDS}
    }
    [monitor] = entry.runtime_data.anomaly_monitors
    config = monitor.detector.config
    assert (config.k, config.min_watts, config.max_run_s) == (3.0, 50.0, 7200.0)
    assert (config.voltage_low, config.voltage_high) == (108.0, 132.0)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    _key, folded = monitor_section(result)
    assert suggested(folded.schema) == {"monitor": True, **defaults, **THRESHOLDS}


async def test_switched_off_and_on_again(
    hass: HomeAssistant, gen1_sim: ShellySimulator
) -> None:
    entry, mac = await loaded(hass, gen1_sim)
    problem = entity_id(hass, "binary_sensor", f"{mac}_0_anomaly")
    device = er.async_get(hass).async_get(problem).device_id  # type: ignore[union-attr]
    assert device is not None

    await configure(hass, entry.entry_id, monitor=False, **THRESHOLDS)
    assert entry.runtime_data.anomaly_monitors == ()
    registry = er.async_get(hass)
    for platform, key in (("binary_sensor", "anomaly"), ("sensor", "baseline")):
        assert registry.async_get_entity_id(platform, DOMAIN, f"{mac}_0_{key}") is None
    assert hass.states.get(problem) is None
    triggers = await async_get_device_automations(
        hass, DeviceAutomationType.TRIGGER, device
    )
    assert [t for t in triggers if t["domain"] == DOMAIN] == []
    # The plug's own entities stay.
    assert entity_id(hass, "sensor", f"{mac}_0_power")

    await configure(hass, entry.entry_id, monitor=True, **THRESHOLDS)
    assert len(entry.runtime_data.anomaly_monitors) == 1
    assert entity_id(hass, "binary_sensor", f"{mac}_0_anomaly") == problem
