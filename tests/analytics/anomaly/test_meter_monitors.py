"""Anomaly monitors built into meters: one per power sensor, no discovery, no duplicates.

Intelergy's Shelly, ESP32 and PZEM entries run a monitor per power sensor
themselves (analytics/anomaly/meter.py): its entities on the meter's device, its
events naming the meter's device and power sensor, its state in the entry's
``anomaly`` store part. The meters' options (switch, thresholds) are tested in
tests/meters/<kind>/test_options.py.
"""

from __future__ import annotations

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import automation
from homeassistant.components.device_automation import DeviceAutomationType
from homeassistant.config_entries import SOURCE_IGNORE, SOURCE_USER, ConfigEntryState
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNKNOWN
from homeassistant.core import Event, HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_get_device_automations,
)

from custom_components.intelergy.const import CONF_KIND, DOMAIN
from simulators.pzem import PzemSimulator
from simulators.shelly import ShellySimulator
from tests.conftest import shelly_entry, shelly_mac

from .common import pzem_entry, run_meter


def entity(hass: HomeAssistant, platform: str, unique_id: str) -> str:
    found = er.async_get(hass).async_get_entity_id(platform, DOMAIN, unique_id)
    assert found, unique_id
    return found


def ours(hass: HomeAssistant, entry: MockConfigEntry, key: str) -> list[str]:
    """The unique ids of ``entry``'s entities ending in ``_<key>``."""
    return sorted(
        e.unique_id
        for e in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        if e.unique_id.endswith(f"_{key}")
    )


async def load(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_a_plug_watches_its_own_power_and_offers_nothing(
    hass: HomeAssistant, gen1_sim: ShellySimulator
) -> None:
    plug = shelly_entry(hass, gen1_sim)
    await load(hass, plug)
    # Nothing on the Discovered panel: the monitor is part of the plug.
    assert hass.config_entries.flow.async_progress_by_handler(DOMAIN) == []
    assert [e.data.get(CONF_KIND) for e in hass.config_entries.async_entries()] == [
        "shelly"
    ]
    mac = shelly_mac(gen1_sim).replace(":", "")
    registry = er.async_get(hass)
    problem = registry.async_get(entity(hass, "binary_sensor", f"{mac}_0_anomaly"))
    baseline = registry.async_get(entity(hass, "sensor", f"{mac}_0_baseline"))
    power = entity(hass, "sensor", f"{mac}_0_power")
    assert problem is not None
    assert baseline is not None
    device = registry.async_get(power).device_id  # type: ignore[union-attr]
    assert problem.device_id == baseline.device_id == device
    assert problem.config_entry_id == plug.entry_id
    assert hass.states.get(problem.entity_id).state == STATE_OFF  # type: ignore[union-attr]
    state = hass.states.get(baseline.entity_id)
    assert state is not None
    assert state.state == STATE_UNKNOWN
    # Why it is unknown, and until when.
    assert state.attributes["status"] in {"waiting", "learning"}
    assert state.attributes["readings_needed"] == 30
    [monitor] = plug.runtime_data.anomaly_monitors
    assert monitor.power_entity == power
    assert monitor.device_id == device
    assert "anomaly_monitors" in plug.runtime_data.diagnostics()
    triggers = await async_get_device_automations(
        hass, DeviceAutomationType.TRIGGER, device
    )
    assert sorted(t["type"] for t in triggers if t["domain"] == DOMAIN) == [
        "anomaly_cleared",
        "anomaly_detected",
        "running_too_long",
    ]


async def test_a_strip_watches_each_outlet(
    hass: HomeAssistant, gen4_sim: ShellySimulator
) -> None:
    strip = shelly_entry(hass, gen4_sim)
    await load(hass, strip)
    mac = shelly_mac(gen4_sim).replace(":", "")
    assert ours(hass, strip, "anomaly") == [f"{mac}_{i}_anomaly" for i in range(4)]
    assert ours(hass, strip, "baseline") == [f"{mac}_{i}_baseline" for i in range(4)]
    names = {
        hass.states.get(entity(hass, "binary_sensor", f"{mac}_{i}_anomaly")).name  # type: ignore[union-attr]
        for i in range(4)
    }
    assert len(names) == 4  # each named after its outlet
    powers = {m.power_entity for m in strip.runtime_data.anomaly_monitors}
    assert powers == {entity(hass, "sensor", f"{mac}_{i}_power") for i in range(4)}


async def test_a_meter_learns_alerts_and_triggers_its_device(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    pzem: PzemSimulator,
    events: list[Event],
) -> None:
    meter = pzem_entry(hass, pzem)
    await load(hass, meter)
    prefix = str(meter.unique_id)
    power = entity(hass, "sensor", f"{prefix}_power")
    problem = entity(hass, "binary_sensor", f"{prefix}_anomaly")
    baseline = entity(hass, "sensor", f"{prefix}_baseline")
    device = er.async_get(hass).async_get(power).device_id  # type: ignore[union-attr]
    assert device is not None
    assert await async_setup_component(
        hass,
        automation.DOMAIN,
        {
            automation.DOMAIN: {
                "triggers": {
                    "trigger": "device",
                    "domain": DOMAIN,
                    "device_id": device,
                    "type": "anomaly_detected",
                },
                "actions": {
                    "event": "meter_alarm",
                    # What the blueprint reads from the event.
                    "event_data": {
                        "kind": "{{ trigger.event.data.kind }}",
                        "name": "{{ state_attr(trigger.event.data.entity_id,"
                        " 'friendly_name') }}",
                        "value": "{{ trigger.event.data.value | round(1) }}",
                        "threshold": "{{ trigger.event.data.threshold | round(1) }}",
                    },
                },
            }
        },
    )
    fired: list[Event] = []
    hass.bus.async_listen("meter_alarm", fired.append)

    await run_meter(hass, freezer, 600)
    learning = hass.states.get(baseline)
    assert learning is not None
    assert learning.state == STATE_UNKNOWN
    assert learning.attributes["status"] == "learning"
    assert learning.attributes["readings"] == learning.attributes["readings_needed"]
    # The readings are in: an hour after the first one it is known.
    assert learning.attributes["ready_after"] is not None

    await run_meter(hass, freezer, 3300)  # an hour of 75 W: the baseline
    learned = hass.states.get(baseline)
    assert learned is not None
    assert float(learned.state) == pytest.approx(75, abs=1)
    assert learned.attributes == {
        "status": "learned",
        "unit_of_measurement": "W",
        "device_class": "power",
        "state_class": "measurement",
        "friendly_name": learned.attributes["friendly_name"],
    }
    assert events == []

    pzem.power, pzem.current = 2000.0, 8.7  # sustained: a spike
    await run_meter(hass, freezer, 90)
    assert hass.states.get(problem).state == STATE_ON  # type: ignore[union-attr]
    [event] = events
    assert event.data["config_entry_id"] == meter.entry_id
    assert event.data["device_id"] == device
    assert event.data["entity_id"] == power
    assert event.data["kind"] == "spike"
    assert event.data["active"] is True
    assert event.data["threshold"] == pytest.approx(150, abs=2)
    [alarm] = fired
    assert alarm.data["kind"] == "spike"
    assert alarm.data["name"] == hass.states.get(power).name  # type: ignore[union-attr]
    assert float(alarm.data["value"]) == pytest.approx(2000, abs=1)

    pzem.power, pzem.current = 75.0, 0.33
    await run_meter(hass, freezer, 120)
    assert hass.states.get(problem).state == STATE_OFF  # type: ignore[union-attr]
    assert [e.data["active"] for e in events] == [True, False]


async def test_learned_state_kept_apart_and_removed_with_the_meter(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    pzem: PzemSimulator,
    hass_storage: dict[str, Any],
) -> None:
    meter = pzem_entry(hass, pzem)
    await load(hass, meter)
    await run_meter(hass, freezer, 3900)
    assert await hass.config_entries.async_reload(meter.entry_id)
    await hass.async_block_till_done()
    key = f"intelergy.pzem.{meter.entry_id}.anomaly"
    stored = hass_storage[key]["data"]["monitors"]["power"]
    assert stored["baseline"]["ready"] is True
    # Restored, not relearned.
    [monitor] = meter.runtime_data.anomaly_monitors
    assert monitor.detector.baseline == pytest.approx(75, abs=1)
    assert await hass.config_entries.async_remove(meter.entry_id)
    await hass.async_block_till_done()
    assert key not in hass_storage
    assert f"intelergy.pzem.{meter.entry_id}" not in hass_storage


async def test_a_monitor_entry_of_a_meter_sensor_keeps_working(
    hass: HomeAssistant, gen1_sim: ShellySimulator
) -> None:
    """A sensor watched by a monitor entry (added before) gets no second monitor."""
    plug = shelly_entry(hass, gen1_sim)
    await load(hass, plug)
    mac = shelly_mac(gen1_sim).replace(":", "")
    power = entity(hass, "sensor", f"{mac}_0_power")
    assert await hass.config_entries.async_unload(plug.entry_id)
    old = MockConfigEntry(
        domain=DOMAIN,
        title="Anomalies: plug",
        unique_id=f"anomaly:{power}",
        data={CONF_KIND: "anomaly", "power_entity": power},
    )
    old.add_to_hass(hass)
    await load(hass, old)
    await load(hass, plug)
    assert plug.runtime_data.anomaly_monitors == ()
    assert ours(hass, plug, "anomaly") == []
    [problem] = [
        e
        for e in er.async_entries_for_device(
            er.async_get(hass),
            er.async_get(hass).async_get(power).device_id,  # type: ignore[arg-type,union-attr]
        )
        if e.domain == "binary_sensor" and e.unique_id.endswith("_anomaly")
    ]
    assert problem.config_entry_id == old.entry_id


async def test_a_monitor_entry_takes_over_and_hands_back(
    hass: HomeAssistant, gen1_sim: ShellySimulator
) -> None:
    """A monitor entry added for a meter's sensor replaces the meter's own monitor."""
    plug = shelly_entry(hass, gen1_sim)
    await load(hass, plug)
    mac = shelly_mac(gen1_sim).replace(":", "")
    power = entity(hass, "sensor", f"{mac}_0_power")
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "anomaly"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"power_entity": power}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    monitor_entry = result["result"]
    # The plug reloaded without its own: one Anomaly sensor on the device.
    assert plug.state is ConfigEntryState.LOADED
    assert plug.runtime_data.anomaly_monitors == ()
    assert ours(hass, plug, "anomaly") == []
    assert ours(hass, monitor_entry, "anomaly") == [f"{monitor_entry.entry_id}_anomaly"]

    assert await hass.config_entries.async_remove(monitor_entry.entry_id)
    await hass.async_block_till_done()
    assert plug.state is ConfigEntryState.LOADED
    assert len(plug.runtime_data.anomaly_monitors) == 1
    assert ours(hass, plug, "anomaly") == [f"{mac}_0_anomaly"]


async def test_an_ignored_offer_is_forgotten(
    hass: HomeAssistant, gen1_sim: ShellySimulator
) -> None:
    """Monitors were once offered per power sensor; an ignored offer is removed."""
    plug = shelly_entry(hass, gen1_sim)
    await load(hass, plug)
    power = entity(hass, "sensor", f"{shelly_mac(gen1_sim).replace(':', '')}_0_power")
    assert await hass.config_entries.async_unload(plug.entry_id)
    ignored = MockConfigEntry(
        domain=DOMAIN, source=SOURCE_IGNORE, unique_id=f"anomaly:{power}", data={}
    )
    ignored.add_to_hass(hass)
    await load(hass, plug)
    await hass.async_block_till_done()
    assert hass.config_entries.async_get_entry(ignored.entry_id) is None
    assert len(plug.runtime_data.anomaly_monitors) == 1
