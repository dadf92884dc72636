"""PZEM-004T entries against the Modbus simulator: flow, entities, failures, reset."""

from __future__ import annotations

from datetime import timedelta
import logging
import socket
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    ConfigEntryState,
)
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import (
    area_registry as ar,
    device_registry as dr,
    entity_registry as er,
)
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.intelergy.const import DOMAIN
from simulators.pzem import PzemSimulator

from .common import add


def entity(hass: HomeAssistant, platform: str, entry: MockConfigEntry, key: str) -> str:
    found = er.async_get(hass).async_get_entity_id(
        platform, DOMAIN, f"{entry.unique_id}_{key}"
    )
    assert found, key
    return found


def value(hass: HomeAssistant, platform: str, entry: Any, key: str) -> str:
    state = hass.states.get(entity(hass, platform, entry, key))
    assert state is not None
    return state.state


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def poll(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float
) -> None:
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_set_up_over_modbus_tcp(hass: HomeAssistant, sim: PzemSimulator) -> None:
    result = await add(
        hass,
        "tcp",
        {"host": "127.0.0.1", "port": sim.port, "slave": 1, "room": "Utility"},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"PZEM-004T 127.0.0.1:{sim.port} #1"
    entry = result["result"]
    assert entry.unique_id == f"127.0.0.1:{sim.port}:1"
    assert "area_id" not in entry.data
    expected = {
        "voltage": "230.1",
        "current": "2.345",
        "power": "539.5",
        "energy": "12.345",
        "frequency": "50.0",
        "power_factor": "0.98",
    }
    assert {k: value(hass, "sensor", entry, k) for k in expected} == expected
    assert value(hass, "binary_sensor", entry, "power_alarm") == STATE_OFF
    energy = hass.states.get(entity(hass, "sensor", entry, "energy"))
    assert energy is not None
    assert energy.attributes["state_class"] == "total_increasing"
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, entry.unique_id), entry.entry_id
    )
    assert device is not None
    assert (device.manufacturer, device.model) == ("Peacefair", "PZEM-004T v3")
    area = ar.async_get(hass).async_get_area_by_name("Utility")
    assert area is not None
    assert device.area_id == area.id
    # Named after its room and kind, not its address (that is the entry's title).
    assert device.name == "Utility PZEM-004T"
    power = hass.states.get(entity(hass, "sensor", entry, "power"))
    assert power is not None
    assert power.attributes["friendly_name"] == "Utility PZEM-004T Power"
    # Secondary quantities are diagnostic, as on every kind (quantities.py).
    registry = er.async_get(hass)
    for key, category in (
        ("voltage", None),
        ("current", None),
        ("frequency", "diagnostic"),
        ("power_factor", "diagnostic"),
    ):
        found = registry.async_get(entity(hass, "sensor", entry, key))
        assert found is not None
        assert found.entity_category == category, key
    # A restart keeps the name: the room is the device's area by then.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, entry.unique_id), entry.entry_id
    )
    assert device is not None
    assert device.name == "Utility PZEM-004T"

    result = await add(hass, "tcp", {"host": "127.0.0.1", "port": sim.port, "slave": 1})
    assert result["reason"] == "already_configured"


async def test_named_after_its_kind_without_a_room(
    hass: HomeAssistant, sim: PzemSimulator
) -> None:
    result = await add(hass, "tcp", {"host": "127.0.0.1", "port": sim.port, "slave": 1})
    entry = result["result"]
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, entry.unique_id), entry.entry_id
    )
    assert device is not None
    assert device.name == "PZEM-004T"


async def test_rtu_over_tcp_gateway(hass: HomeAssistant, socket_enabled: None) -> None:
    sim = PzemSimulator(framing="rtu_over_tcp", slave=7)
    await sim.start()
    try:
        result = await add(
            hass, "rtu_over_tcp", {"host": "127.0.0.1", "port": sim.port, "slave": 7}
        )
        assert result["type"] is FlowResultType.CREATE_ENTRY
        assert value(hass, "sensor", result["result"], "power") == "539.5"
        assert await hass.config_entries.async_unload(result["result"].entry_id)
    finally:
        await sim.stop()


async def test_flow_errors(hass: HomeAssistant, sim: PzemSimulator) -> None:
    result = await add(
        hass, "tcp", {"host": "127.0.0.1", "port": free_port(), "slave": 1}
    )
    assert result["errors"] == {"base": "cannot_connect"}
    sim.exception_code = 4
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"host": "127.0.0.1", "port": sim.port, "slave": 1}
    )
    assert result["errors"] == {"base": "no_pzem"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"host": "", "port": sim.port, "slave": 1}
    )
    assert result["errors"] == {"base": "invalid_settings"}
    result = await add(
        hass,
        "serial",
        {"serial_port": "/dev/does-not-exist", "baudrate": 9600, "slave": 1},
    )
    assert result["step_id"] == "pzem_serial"
    assert result["errors"] == {"base": "cannot_connect"}


async def test_polling_failure_and_recovery(
    hass: HomeAssistant,
    sim: PzemSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    result = await add(hass, "tcp", {"host": "127.0.0.1", "port": sim.port, "slave": 1})
    entry = result["result"]
    sim.power = 2000.0
    sim.advance(1800)  # +1 kWh, over the same half hour of HA's clock
    await poll(hass, freezer, 1800)
    assert value(hass, "sensor", entry, "power") == "2000.0"
    assert float(value(hass, "sensor", entry, "energy")) == pytest.approx(13.345)

    caplog.clear()
    sim.exception_code = 4  # slave device failure
    await poll(hass, freezer, 10)
    assert value(hass, "sensor", entry, "power") == STATE_UNAVAILABLE
    await sim.stop()  # and then the gateway is gone
    for _ in range(5):
        await poll(hass, freezer, 60)
    errors = [
        r for r in caplog.records
        if r.levelno >= logging.WARNING and r.name.startswith("custom_components")
    ]  # fmt: skip
    assert len(errors) == 1, errors
    sim.exception_code = None
    sim.alarm = True
    await sim.start(port=sim.port)
    await poll(hass, freezer, 300)
    assert value(hass, "sensor", entry, "power") == "2000.0"
    assert value(hass, "binary_sensor", entry, "power_alarm") == STATE_ON
    assert "recovered" in caplog.text


async def test_reset_energy_action(
    hass: HomeAssistant, sim: PzemSimulator, freezer: FrozenDateTimeFactory
) -> None:
    result = await add(hass, "tcp", {"host": "127.0.0.1", "port": sim.port, "slave": 1})
    entry = result["result"]
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, entry.unique_id), entry.entry_id
    )
    assert device is not None
    await hass.services.async_call(
        DOMAIN, "reset_energy", {"device_id": device.id}, blocking=True
    )
    assert sim.resets == 1
    assert sim.energy_wh == 0
    # The sensor keeps its total; what the meter counts next is added.
    assert float(value(hass, "sensor", entry, "energy")) == pytest.approx(12.345)
    sim.advance(3600)  # 539.5 W for an hour
    freezer.tick(timedelta(hours=1))
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    assert float(value(hass, "sensor", entry, "energy")) == pytest.approx(
        12.8845, abs=0.002
    )

    sim.exception_code = 4
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            DOMAIN, "reset_energy", {"device_id": device.id}, blocking=True
        )
    assert err.value.translation_key == "pzem_reset_failed"


async def test_reset_energy_refusals(hass: HomeAssistant, sim: PzemSimulator) -> None:
    result = await add(hass, "tcp", {"host": "127.0.0.1", "port": sim.port, "slave": 1})
    entry = result["result"]
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "reset_energy", {"device_id": "nope"}, blocking=True
        )
    assert err.value.translation_key == "unknown_device"
    other = MockConfigEntry(domain="light")
    other.add_to_hass(hass)
    lamp = dr.async_get(hass).async_get_or_create(
        config_entry_id=other.entry_id, identifiers={("light", "lamp")}, name="Lamp"
    )
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "reset_energy", {"device_id": lamp.id}, blocking=True
        )
    assert err.value.translation_key == "not_a_pzem"
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, entry.unique_id), entry.entry_id
    )
    assert device is not None
    assert await hass.config_entries.async_unload(entry.entry_id)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "reset_energy", {"device_id": device.id}, blocking=True
        )
    assert err.value.translation_key == "entry_not_loaded"


async def test_reconfigure(hass: HomeAssistant, sim: PzemSimulator) -> None:
    result = await add(hass, "tcp", {"host": "127.0.0.1", "port": sim.port, "slave": 1})
    entry = result["result"]
    moved = PzemSimulator(framing="tcp", slave=2)
    await moved.start()
    try:
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_RECONFIGURE, "entry_id": entry.entry_id}
        )
        assert result["step_id"] == "pzem_reconfigure"
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"host": "127.0.0.1", "port": free_port(), "slave": 2}
        )
        assert result["errors"] == {"base": "cannot_connect"}
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"host": "127.0.0.1", "port": moved.port, "slave": 2}
        )
        await hass.async_block_till_done()
        assert result["reason"] == "reconfigure_successful"
        assert entry.unique_id == f"127.0.0.1:{moved.port}:2"
        assert entry.state is ConfigEntryState.LOADED
        assert await hass.config_entries.async_unload(entry.entry_id)
    finally:
        await moved.stop()


async def test_not_ready_when_silent(hass: HomeAssistant, sim: PzemSimulator) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="PZEM",
        unique_id="x",
        data={
            "kind": "pzem",
            "transport": "tcp",
            "host": "127.0.0.1",
            "port": sim.port,
            "slave": 1,
        },
    )
    entry.add_to_hass(hass)
    sim.exception_code = 4
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert "Could not read the PZEM-004T" in str(entry.reason)
