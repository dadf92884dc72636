"""An anomaly monitor on a power sensor: learning, alerting, events, triggers, restarts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import automation
from homeassistant.components.device_automation import DeviceAutomationType
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNKNOWN
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_get_device_automations,
)

from custom_components.intelergy.const import DOMAIN

from .common import ATTRS, POWER, add_monitor, run


def entity(hass: HomeAssistant, entry: Any, key: str, platform: str) -> str:
    found = er.async_get(hass).async_get_entity_id(
        platform, DOMAIN, f"{entry.entry_id}_{key}"
    )
    assert found
    return found


async def test_learns_then_alerts_on_a_sustained_spike(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, events: list[Event]
) -> None:
    hass.states.async_set(POWER, "0", ATTRS)
    entry = await add_monitor(hass)
    assert entry.title == "Anomalies: Kettle power"
    problem = entity(hass, entry, "anomaly", "binary_sensor")
    baseline = entity(hass, entry, "baseline", "sensor")
    assert hass.states.get(problem).state == STATE_OFF  # type: ignore[union-attr]
    cold = hass.states.get(baseline)
    assert cold is not None
    assert cold.state == STATE_UNKNOWN
    # Unknown, and why: nothing learned yet (the kettle is off).
    assert cold.attributes["status"] == "waiting"
    assert cold.attributes["readings"] == 0
    assert cold.attributes["readings_needed"] == 30
    assert cold.attributes["ready_after"] is None

    start = dt_util.utcnow()
    await run(hass, freezer, 75, 1800)  # half an hour: readings enough, not time
    learning = hass.states.get(baseline)
    assert learning is not None
    assert learning.state == STATE_UNKNOWN
    assert learning.attributes["status"] == "learning"
    assert learning.attributes["readings"] == 30
    # The readings are in: known an hour after the first one.
    ready = dt_util.parse_datetime(learning.attributes["ready_after"])
    assert ready == start + timedelta(hours=1)

    await run(hass, freezer, 75, 1900)  # an hour of a 75 W load: the baseline
    learned = hass.states.get(baseline)
    assert learned is not None
    assert float(learned.state) == pytest.approx(75, abs=1)
    assert learned.attributes["status"] == "learned"
    assert "readings" not in learned.attributes
    await run(hass, freezer, 200, 20)  # a short blip: below the 30 s debounce
    await run(hass, freezer, 75, 120)
    assert events == []
    await run(hass, freezer, 200, 60)  # sustained: a spike
    state = hass.states.get(problem)
    assert state is not None
    assert state.state == STATE_ON
    assert state.attributes["kind"] == "spike"
    assert state.attributes["threshold"] == pytest.approx(150, abs=2)
    [event] = events
    assert event.data["kind"] == "spike"
    assert event.data["active"] is True
    assert event.data["entity_id"] == POWER
    assert event.data["config_entry_id"] == entry.entry_id
    assert event.data["value"] >= 199
    await run(hass, freezer, 75, 120)
    assert hass.states.get(problem).state == STATE_OFF  # type: ignore[union-attr]
    assert [e.data["active"] for e in events] == [True, False]


async def test_unavailable_readings_raise_nothing(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, events: list[Event]
) -> None:
    hass.states.async_set(POWER, "0", ATTRS)
    await add_monitor(hass)
    await run(hass, freezer, 75, 3700)
    for value in ("unavailable", "unknown", "oops", "nan"):
        hass.states.async_set(POWER, value, ATTRS)
        await hass.async_block_till_done()
    await run(hass, freezer, 75, 600)
    assert events == []


async def test_learned_state_survives_a_restart(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    hass.states.async_set(POWER, "0", ATTRS)
    entry = await add_monitor(hass)
    await run(hass, freezer, 75, 3700)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    baseline = entity(hass, entry, "baseline", "sensor")
    assert float(hass.states.get(baseline).state) == pytest.approx(75, abs=1)  # type: ignore[union-attr]
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()


async def test_long_run_with_a_fixed_maximum(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, events: list[Event]
) -> None:
    hass.states.async_set(POWER, "0", ATTRS)
    entry = await add_monitor(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["step_id"] == "anomaly"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            "k": 2.0,
            "min_watts": 100.0,
            "debounce_s": 30.0,
            "max_run_minutes": 60.0,
            "run_factor": 3.0,
            "voltage_low": 207.0,
            "voltage_high": 253.0,
            "current_max": 16.0,
            "daily_factor": 1.5,
        },
    )
    await hass.async_block_till_done()
    # A heater stuck on: constant power, no state changes; the monitor's tick
    # moves the run timer on.
    hass.states.async_set(POWER, "1500", ATTRS)
    await run(hass, freezer, 0, 0)
    for _ in range(130):
        freezer.tick(30)
        from pytest_homeassistant_custom_component.common import (  # noqa: PLC0415
            async_fire_time_changed,
        )

        async_fire_time_changed(hass)
        await hass.async_block_till_done()
    kinds = [(e.data["kind"], e.data["active"]) for e in events]
    assert ("long_run", True) in kinds


async def test_device_triggers_on_the_monitored_device(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    # The power sensor belongs to an Intelergy device (a meter entry; the device
    # triggers are offered on devices Intelergy owns).
    meter = MockConfigEntry(domain=DOMAIN, data={"kind": "esp32"})
    meter.add_to_hass(hass)
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=meter.entry_id, identifiers={(DOMAIN, "kettle")}, name="Kettle"
    )
    er.async_get(hass).async_get_or_create(
        "sensor", DOMAIN, "kettle_power", suggested_object_id="kettle_power",
        device_id=device.id,
    )  # fmt: skip
    hass.states.async_set(POWER, "0", ATTRS)
    entry = await add_monitor(hass)
    problem = entity(hass, entry, "anomaly", "binary_sensor")
    assert er.async_get(hass).async_get(problem).device_id == device.id  # type: ignore[union-attr]

    triggers = await async_get_device_automations(
        hass, DeviceAutomationType.TRIGGER, device.id
    )
    ours = sorted(t["type"] for t in triggers if t["domain"] == DOMAIN)
    assert ours == ["anomaly_cleared", "anomaly_detected", "running_too_long"]

    assert await async_setup_component(
        hass,
        automation.DOMAIN,
        {
            automation.DOMAIN: {
                "triggers": {
                    "trigger": "device",
                    "domain": DOMAIN,
                    "device_id": device.id,
                    "type": "anomaly_detected",
                },
                "actions": {
                    "event": "kettle_alarm",
                    "event_data": {"kind": "{{ trigger.event.data.kind }}"},
                },
            }
        },
    )
    fired: list[Event] = []
    hass.bus.async_listen("kettle_alarm", fired.append)
    await run(hass, freezer, 75, 3700)
    await run(hass, freezer, 300, 60)
    await hass.async_block_till_done()
    assert [e.data["kind"] for e in fired] == ["spike"]
