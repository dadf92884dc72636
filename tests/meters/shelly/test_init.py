"""Shelly entries against the simulator: entities, switching, pushes, failures."""

from __future__ import annotations

from dataclasses import replace
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import (
    EVENT_HOMEASSISTANT_STOP,
    EVENT_STATE_CHANGED,
    EVENT_STATE_REPORTED,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
    Platform,
)
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
import pytest

from custom_components.intelergy.const import DOMAIN
from custom_components.intelergy.meters.shelly.const import CONF_PASSWORD
from simulators import shelly as shelly_sim
from simulators.shelly import GEN4_POWER_STRIP, ShellySimulator
from tests.conftest import running, shelly_entry, shelly_mac

from .common import (
    call_switch,
    entity_id,
    loaded,
    setup,
    state,
    tick,
    wait_for,
)


async def test_gen1_plug_s_entities(
    hass: HomeAssistant, gen1_sim: ShellySimulator
) -> None:
    entry, mac = await loaded(hass, gen1_sim)

    switch = hass.states.get(entity_id(hass, "switch", f"{mac}_0_relay"))
    assert switch is not None
    assert switch.state == STATE_ON
    assert switch.attributes["friendly_name"] == "Kitchen kettle"
    power = hass.states.get(entity_id(hass, "sensor", f"{mac}_0_power"))
    assert power is not None
    assert float(power.state) == pytest.approx(gen1_sim.loads[0])
    assert power.attributes["unit_of_measurement"] == "W"
    assert power.attributes["friendly_name"] == "Kitchen kettle Power"
    energy = hass.states.get(entity_id(hass, "sensor", f"{mac}_0_energy"))
    assert energy is not None
    assert float(energy.state) == pytest.approx(1530762 / 60 / 1000)
    assert energy.attributes["state_class"] == "total_increasing"
    assert energy.attributes["device_class"] == "energy"
    assert state(hass, "sensor", f"{mac}_temperature") == "28.71"
    assert state(hass, "binary_sensor", f"{mac}_0_overpower") == STATE_OFF
    assert state(hass, "binary_sensor", f"{mac}_overtemperature") == STATE_OFF
    registry = er.async_get(hass)
    # A Plug S does not measure voltage: no entity for it.
    assert registry.async_get_entity_id("sensor", DOMAIN, f"{mac}_0_voltage") is None
    for key in ("rssi", "uptime"):
        entry_ = registry.async_get(entity_id(hass, "sensor", f"{mac}_{key}"))
        assert entry_ is not None
        assert entry_.disabled_by is er.RegistryEntryDisabler.INTEGRATION
        assert entry_.entity_category is not None

    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, shelly_mac(gen1_sim)), entry.entry_id
    )
    assert device is not None
    assert device.name == "Kitchen kettle"
    assert device.manufacturer == "Shelly"
    assert device.model == "Shelly Plug S"
    assert device.model_id == "SHPLG-S"
    assert device.sw_version == "20230913-112316/v1.14.0-gcb84623"
    assert device.configuration_url == f"http://127.0.0.1:{gen1_sim.port}"
    assert (dr.CONNECTION_NETWORK_MAC, shelly_mac(gen1_sim)) in device.connections


async def test_gen1_relay_switching(
    hass: HomeAssistant, gen1_sim: ShellySimulator
) -> None:
    _entry, mac = await loaded(hass, gen1_sim)
    switch = entity_id(hass, "switch", f"{mac}_0_relay")

    await call_switch(hass, "turn_off", switch)
    assert gen1_sim.is_on(0) is False
    assert "GET /relay/0?turn=off" in gen1_sim.requests
    assert hass.states.get(switch).state == STATE_OFF  # type: ignore[union-attr]
    assert state(hass, "sensor", f"{mac}_0_power") == "0.0"

    await call_switch(hass, "turn_on", switch)
    assert gen1_sim.is_on(0) is True
    assert hass.states.get(switch).state == STATE_ON  # type: ignore[union-attr]


async def test_gen1_energy_rises_and_survives_a_reboot(
    hass: HomeAssistant, gen1_sim: ShellySimulator, freezer: FrozenDateTimeFactory
) -> None:
    _entry, mac = await loaded(hass, gen1_sim)
    start = float(state(hass, "sensor", f"{mac}_0_energy"))

    await gen1_sim.set_load(0, 1200.0)
    await gen1_sim.advance(3600)  # one hour at 1.2 kW, on HA's clock too
    await tick(hass, freezer, 3600)
    after_hour = float(state(hass, "sensor", f"{mac}_0_energy"))
    assert after_hour == pytest.approx(start + 1.2, abs=0.01)

    await gen1_sim.reboot()  # the counter starts again at 0
    await tick(hass, freezer, 10)
    assert float(state(hass, "sensor", f"{mac}_0_energy")) == pytest.approx(after_hour)
    await gen1_sim.advance(1800)
    await tick(hass, freezer, 1800)
    assert float(state(hass, "sensor", f"{mac}_0_energy")) == pytest.approx(
        after_hour + 0.6, abs=0.01
    )


async def test_gen1_offline_and_back(
    hass: HomeAssistant,
    gen1_sim: ShellySimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    entry, mac = await loaded(hass, gen1_sim)
    source = entry.runtime_data

    await gen1_sim.go_offline()
    caplog.clear()
    with caplog.at_level(logging.INFO):
        await tick(hass, freezer, 10)
        assert state(hass, "switch", f"{mac}_0_relay") == STATE_UNAVAILABLE
        assert state(hass, "sensor", f"{mac}_0_power") == STATE_UNAVAILABLE
        for _ in range(6):  # backing off: 5, 10, 20, 40 ... seconds
            await tick(hass, freezer, 60)
        errors = [
            r
            for r in caplog.records
            if r.levelno >= logging.WARNING and r.name.startswith("custom_components")
        ]
        assert len(errors) == 1, errors
        assert "127.0.0.1" in errors[0].getMessage()

        await gen1_sim.go_online()
        await tick(hass, freezer, 300)
        assert state(hass, "switch", f"{mac}_0_relay") == STATE_ON
        assert any("recovered" in r.getMessage() for r in caplog.records)
    assert entry.runtime_data is source  # recovered without a reload


async def test_gen4_power_strip_entities_and_push(
    hass: HomeAssistant, gen4_sim: ShellySimulator
) -> None:
    _entry, mac = await loaded(hass, gen4_sim)

    names = {
        channel: hass.states.get(entity_id(hass, "switch", f"{mac}_{channel}_relay"))
        for channel in range(4)
    }
    # Numbered as the strip numbers them (switch:0..3), beside its own names.
    assert names[0].attributes["friendly_name"] == "Test Name Outlet 0"  # type: ignore[union-attr]
    assert names[1].attributes["friendly_name"] == "Test Name Switch 1 name"  # type: ignore[union-attr]
    assert names[2].state == STATE_OFF  # type: ignore[union-attr]
    # The supply's voltage once, for the strip (switch:0's); each outlet's own is
    # there, disabled by default.
    voltage = hass.states.get(entity_id(hass, "sensor", f"{mac}_voltage"))
    assert voltage is not None
    assert voltage.state == "232.5"
    assert voltage.attributes["friendly_name"] == "Test Name Voltage"
    registry = er.async_get(hass)
    for key in ("voltage", "current", "power_factor", "frequency"):
        outlet = registry.async_get(entity_id(hass, "sensor", f"{mac}_3_{key}"))
        assert outlet is not None
        assert outlet.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    assert state(hass, "sensor", f"{mac}_3_energy") == "18.440297"

    # The button on the strip: the change arrives as a NotifyStatus push.
    requests = len(gen4_sim.requests)
    await gen4_sim.set_output(2, True)
    await wait_for(hass, lambda: state(hass, "switch", f"{mac}_2_relay") == STATE_ON)
    assert float(state(hass, "sensor", f"{mac}_2_power")) == gen4_sim.loads[2]
    assert len(gen4_sim.requests) == requests  # nothing was polled


async def test_gen4_switching_from_home_assistant(
    hass: HomeAssistant, gen4_sim: ShellySimulator
) -> None:
    _entry, mac = await loaded(hass, gen4_sim)
    switch = entity_id(hass, "switch", f"{mac}_0_relay")

    await call_switch(hass, "turn_off", switch)
    await wait_for(hass, lambda: hass.states.get(switch).state == STATE_OFF)  # type: ignore[union-attr]
    assert gen4_sim.is_on(0) is False
    assert "WS Switch.Set" in gen4_sim.requests


async def test_gen4_with_login(hass: HomeAssistant, socket_enabled: None) -> None:
    sim = ShellySimulator(GEN4_POWER_STRIP, password="secret")
    async with running(hass, sim):
        _, mac = await loaded(hass, sim, **{CONF_PASSWORD: "secret"})
        assert state(hass, "switch", f"{mac}_0_relay") == STATE_ON


async def test_gen4_wrong_password_starts_reauth(
    hass: HomeAssistant, socket_enabled: None
) -> None:
    sim = ShellySimulator(GEN4_POWER_STRIP, password="secret")
    async with running(hass, sim):
        entry = shelly_entry(hass, sim, **{CONF_PASSWORD: "old"})
        assert not await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        assert entry.state is ConfigEntryState.SETUP_ERROR
        flows = hass.config_entries.flow.async_progress()
        assert [flow["context"]["source"] for flow in flows] == ["reauth"]
        assert flows[0]["step_id"] == "shelly_reauth"


async def test_gen4_offline_and_back(
    hass: HomeAssistant,
    gen4_sim: ShellySimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _entry, mac = await loaded(hass, gen4_sim)
    switch = f"{mac}_0_relay"

    caplog.clear()
    await gen4_sim.go_offline()
    await wait_for(hass, lambda: state(hass, "switch", switch) == STATE_UNAVAILABLE)
    for _ in range(4):
        await tick(hass, freezer, 60)
    assert state(hass, "switch", switch) == STATE_UNAVAILABLE
    warnings = [
        r
        for r in caplog.records
        if r.levelno >= logging.WARNING and r.name.startswith("custom_components")
    ]
    assert len(warnings) == 1, warnings

    await gen4_sim.go_online()
    await tick(hass, freezer, 300)
    await wait_for(hass, lambda: state(hass, "switch", switch) == STATE_ON)
    # pushes flow again on the new connection
    await gen4_sim.set_output(0, False)
    await wait_for(hass, lambda: state(hass, "switch", switch) == STATE_OFF)


async def test_unload_closes_the_websocket(
    hass: HomeAssistant, gen4_sim: ShellySimulator
) -> None:
    entry = shelly_entry(hass, gen4_sim)
    await setup(hass, entry)
    assert entry.runtime_data.coordinator.backend.device.connected  # type: ignore[union-attr]
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.NOT_LOADED


async def test_command_to_unreachable_device_fails_cleanly(
    hass: HomeAssistant, gen1_sim: ShellySimulator
) -> None:
    _entry, mac = await loaded(hass, gen1_sim)
    await gen1_sim.go_offline()
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            Platform.SWITCH,
            "turn_off",
            {"entity_id": entity_id(hass, "switch", f"{mac}_0_relay")},
            blocking=True,
        )
    assert err.value.translation_key == "shelly_command_failed"
    assert "127.0.0.1" in str(err.value)


async def test_another_device_at_the_address(
    hass: HomeAssistant, gen1_sim: ShellySimulator, gen4_sim: ShellySimulator
) -> None:
    # The entry is for the strip, but DHCP gave its address to the plug.
    entry = shelly_entry(hass, gen4_sim)
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, "port": gen1_sim.port, "gen": 1}
    )
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert "different device" in str(entry.reason)
    issue_id = f"shelly_wrong_device_{entry.entry_id}"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "shelly_wrong_device"

    # Back at its address: set up, and the repair issue goes away.
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, "port": gen4_sim.port, "gen": 4}
    )
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


async def test_energy_totals_survive_restart_and_stop(
    hass: HomeAssistant,
    gen1_sim: ShellySimulator,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    entry, mac = await loaded(hass, gen1_sim)
    energy = f"{mac}_0_energy"
    before = float(state(hass, "sensor", energy))

    await gen1_sim.reboot()
    await gen1_sim.set_load(0, 600.0)
    await gen1_sim.advance(3600)  # +0.6 kWh after the reboot
    await tick(hass, freezer, 10)
    assert float(state(hass, "sensor", energy)) == pytest.approx(before + 0.6)

    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await hass.async_block_till_done()
    stored = hass_storage[f"intelergy.shelly.{entry.entry_id}"]["data"]
    assert stored["channels"]["0"]["offset"] == pytest.approx(before * 1000)

    # Home Assistant starts again: the total carries on from the store.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert float(state(hass, "sensor", energy)) == pytest.approx(before + 0.6)

    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert f"intelergy.shelly.{entry.entry_id}" not in hass_storage


async def test_pushed_counter_glitch_is_held(
    hass: HomeAssistant,
    gen4_sim: ShellySimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _entry, mac = await loaded(hass, gen4_sim)
    energy = f"{mac}_3_energy"
    before = float(state(hass, "sensor", energy))

    # The counter reads 0 while the device keeps running (no reboot).
    gen4_sim._energy_j[3] = 0.0
    await gen4_sim.advance(1)
    await wait_for(hass, lambda: "lower without a restart" in caplog.text)
    assert float(state(hass, "sensor", energy)) == pytest.approx(before)
    assert caplog.text.count("lower without a restart") == 1


async def test_malformed_push_is_ignored(
    hass: HomeAssistant,
    gen4_sim: ShellySimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _entry, mac = await loaded(hass, gen4_sim)
    await gen4_sim._push({"switch:0": {"id": 0, "output": "maybe"}})
    await wait_for(hass, lambda: "ignoring a pushed status" in caplog.text)
    assert state(hass, "switch", f"{mac}_0_relay") == STATE_ON


async def test_channel_no_longer_reported(
    hass: HomeAssistant, gen4_sim: ShellySimulator
) -> None:
    entry, mac = await loaded(hass, gen4_sim)
    coordinator = entry.runtime_data.coordinator  # type: ignore[attr-defined]
    data = coordinator.data
    coordinator.async_set_updated_data(
        replace(data, status=replace(data.status, channels=data.status.channels[:1]))
    )
    await hass.async_block_till_done()
    assert state(hass, "switch", f"{mac}_0_relay") == STATE_ON
    for platform, key in (
        ("switch", "3_relay"),
        ("sensor", "3_power"),
        ("binary_sensor", "3_overpower"),
    ):
        assert state(hass, platform, f"{mac}_{key}") == STATE_UNAVAILABLE
    entity = next(
        e
        for e in hass.data["entity_components"]["sensor"].entities
        if e.unique_id == f"{mac}_3_power"
    )
    assert entity.native_value is None


async def test_a_one_outlet_gen2_plug_shows_power_energy_and_voltage(
    hass: HomeAssistant, socket_enabled: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Current, power factor and frequency are there, off by default (as HA's Shelly).

    They move with power or hardly at all, and each enabled one is a recorder row
    per push (``benchmarks/household.py``).
    """
    strip = shelly_sim.load_fixture(GEN4_POWER_STRIP)
    for channel in (1, 2, 3):  # its first outlet alone: a plug
        strip["status"].pop(f"switch:{channel}")
        strip["config"].pop(f"switch:{channel}")
    monkeypatch.setattr(shelly_sim, "load_fixture", lambda _name: strip)
    sim = ShellySimulator(GEN4_POWER_STRIP)
    async with running(hass, sim):
        _entry, mac = await loaded(hass, sim)
        registry = er.async_get(hass)
        for key, enabled in (
            ("power", True),
            ("energy", True),
            ("voltage", True),
            ("current", False),
            ("power_factor", False),
            ("frequency", False),
        ):
            found = registry.async_get(entity_id(hass, "sensor", f"{mac}_0_{key}"))
            assert found is not None, key
            assert (found.disabled_by is None) is enabled, key
            if not enabled:
                assert found.disabled_by is er.RegistryEntryDisabler.INTEGRATION
                assert hass.states.get(found.entity_id) is None
        assert float(state(hass, "sensor", f"{mac}_0_voltage")) > 0
        assert float(state(hass, "sensor", f"{mac}_0_power")) == sim.loads[0]
        await hass.config_entries.async_unload(_entry.entry_id)


async def test_a_push_writes_only_the_states_it_changes(
    hass: HomeAssistant, gen4_sim: ShellySimulator
) -> None:
    """An outlet's new load rewrites its power and relay, nothing else.

    A push reaches every entity of the strip; those whose state, availability
    and attributes stay the same are not written again (no ``state_reported``),
    as HA's MQTT entities (``entity.shown``).
    """
    _entry, mac = await loaded(hass, gen4_sim)
    await hass.async_block_till_done()
    written: list[str] = []

    @callback
    def _written(event: Event[Any]) -> None:
        written.append(event.data["entity_id"])

    hass.bus.async_listen(EVENT_STATE_CHANGED, _written)
    hass.bus.async_listen(
        EVENT_STATE_REPORTED, _written, event_filter=callback(lambda _data: True)
    )
    await gen4_sim.set_output(2, True)
    await wait_for(hass, lambda: state(hass, "switch", f"{mac}_2_relay") == STATE_ON)
    await hass.async_block_till_done()
    assert entity_id(hass, "switch", f"{mac}_2_relay") in written
    assert entity_id(hass, "sensor", f"{mac}_2_power") in written
    unchanged = [
        entity_id(hass, "sensor", f"{mac}_{key}")
        for key in ("voltage", "0_power", "0_energy", "1_power", "3_energy")
    ]
    assert not set(unchanged) & set(written), written
