"""Shelly config-flow paths against simulated devices on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from ipaddress import ip_address
import json
from pathlib import Path
import socket
from typing import Any
from unittest.mock import patch

from aiohttp import web
from aioshelly.exceptions import DeviceConnectionError
from homeassistant.config_entries import SOURCE_USER, SOURCE_ZEROCONF
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import area_registry as ar, device_registry as dr
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.intelergy.const import CONF_KIND, DOMAIN, KIND_SHELLY
from custom_components.intelergy.meters.shelly.const import (
    CONF_GEN,
    CONF_HOST,
    CONF_PASSWORD,
    CONF_PORT,
    CONF_USERNAME,
)
from simulators import shelly as shelly_simulator
from simulators.shelly import GEN1_PLUG_S, GEN4_POWER_STRIP, ShellySimulator
from tests.conftest import running, shelly_entry, shelly_mac


async def start(hass: HomeAssistant) -> dict[str, Any]:
    """Menu -> Shelly: the host form."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "shelly"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "shelly"
    return result


async def submit(
    hass: HomeAssistant, flow: dict[str, Any], data: dict[str, Any]
) -> Any:
    result = await hass.config_entries.flow.async_configure(flow["flow_id"], data)
    await hass.async_block_till_done()
    return result


def zeroconf(
    sim: ShellySimulator, name: str, host: str = "127.0.0.1"
) -> ZeroconfServiceInfo:
    """What HA's zeroconf integration hands a flow for a Shelly's _http._tcp record."""
    return ZeroconfServiceInfo(
        ip_address=ip_address(host),
        ip_addresses=[ip_address(host)],
        port=sim.port,
        hostname=f"{name}.local.",
        type="_http._tcp.local.",
        name=f"{name}._http._tcp.local.",
        properties={"gen": str(sim.gen)} if sim.gen > 1 else {},
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
async def not_a_shelly(socket_enabled: None) -> AsyncGenerator[int]:
    """An HTTP server whose /shelly is JSON, but not a Shelly's."""

    async def not_shelly(_: web.Request) -> web.Response:
        return web.json_response({"hello": "world"})

    app = web.Application()
    app.router.add_get("/shelly", not_shelly)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield runner.addresses[0][1]
    await runner.cleanup()


async def test_gen1_by_host_with_room(
    hass: HomeAssistant, gen1_sim: ShellySimulator
) -> None:
    form = await start(hass)
    result = await submit(
        hass,
        form,
        {CONF_HOST: "127.0.0.1", CONF_PORT: gen1_sim.port, "room": "Kitchen"},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Kitchen kettle"
    entry = result["result"]
    assert entry.unique_id == shelly_mac(gen1_sim)
    # The room was applied to the device once, then dropped from the entry.
    assert entry.data == {
        CONF_KIND: KIND_SHELLY,
        CONF_HOST: "127.0.0.1",
        CONF_PORT: gen1_sim.port,
        CONF_GEN: 1,
    }
    area = ar.async_get(hass).async_get_area_by_name("Kitchen")
    assert area is not None
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, shelly_mac(gen1_sim)), entry.entry_id
    )
    assert device is not None
    assert device.area_id == area.id

    # The same device again: aborted.
    form = await start(hass)
    result = await submit(
        hass, form, {CONF_HOST: "127.0.0.1", CONF_PORT: gen1_sim.port}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_existing_area_is_reused(
    hass: HomeAssistant, gen4_sim: ShellySimulator
) -> None:
    area = ar.async_get(hass).async_create("Living room")
    form = await start(hass)
    result = await submit(
        hass,
        form,
        {CONF_HOST: "127.0.0.1", CONF_PORT: gen4_sim.port, "room": "Living room"},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Test Name"
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, shelly_mac(gen4_sim)), result["result"].entry_id
    )
    assert device is not None
    assert device.area_id == area.id
    assert len(ar.async_get(hass).async_list_areas()) == 1


async def test_connection_errors(hass: HomeAssistant, not_a_shelly: int) -> None:
    form = await start(hass)
    result = await submit(hass, form, {CONF_HOST: "127.0.0.1", CONF_PORT: free_port()})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}
    result = await submit(
        hass, result, {CONF_HOST: "127.0.0.1", CONF_PORT: not_a_shelly}
    )
    assert result["errors"] == {"base": "not_shelly"}
    result = await submit(hass, result, {CONF_HOST: "bad host name!", CONF_PORT: 80})
    assert result["errors"] == {"base": "invalid_host"}


async def test_gen4_with_login(hass: HomeAssistant, socket_enabled: None) -> None:
    sim = ShellySimulator(GEN4_POWER_STRIP, password="secret")
    async with running(hass, sim):
        form = await start(hass)
        result = await submit(hass, form, {CONF_HOST: "127.0.0.1", CONF_PORT: sim.port})
        assert result["type"] is FlowResultType.FORM
        assert result["step_id"] == "shelly_credentials"
        assert (
            result["description_placeholders"]["model"] == "Shelly Power Strip 4 Gen4"
        )
        # Gen2+ always log in as admin: no user name field.
        assert [str(key) for key in result["data_schema"].schema] == [CONF_PASSWORD]
        result = await submit(hass, result, {CONF_PASSWORD: "wrong"})
        assert result["errors"] == {"base": "invalid_auth"}
        result = await submit(hass, result, {CONF_PASSWORD: "secret"})
        assert result["type"] is FlowResultType.CREATE_ENTRY
        assert result["data"][CONF_PASSWORD] == "secret"
        assert CONF_USERNAME not in result["data"]


async def test_gen1_with_login(hass: HomeAssistant, socket_enabled: None) -> None:
    sim = ShellySimulator(GEN1_PLUG_S, username="user", password="secret")
    async with running(hass, sim):
        form = await start(hass)
        result = await submit(hass, form, {CONF_HOST: "127.0.0.1", CONF_PORT: sim.port})
        assert result["step_id"] == "shelly_credentials"
        result = await submit(
            hass, result, {CONF_USERNAME: "admin", CONF_PASSWORD: "secret"}
        )
        assert result["errors"] == {"base": "invalid_auth"}
        result = await submit(
            hass, result, {CONF_USERNAME: "user", CONF_PASSWORD: "secret"}
        )
        assert result["type"] is FlowResultType.CREATE_ENTRY
        assert result["data"][CONF_USERNAME] == "user"


@pytest.fixture
async def sensor_sim(
    hass: HomeAssistant,
    socket_enabled: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncGenerator[ShellySimulator]:
    """A Gen1 device without a relay (a sensor, say): nothing to meter or switch."""
    dump = json.loads((shelly_simulator.FIXTURES / f"{GEN1_PLUG_S}.json").read_text())
    dump["status"]["relays"] = []
    (tmp_path / "gen1_sensor.json").write_text(json.dumps(dump))
    monkeypatch.setattr(shelly_simulator, "FIXTURES", tmp_path)
    async with running(hass, ShellySimulator("gen1_sensor")) as sim:
        yield sim


async def test_unsupported_device(
    hass: HomeAssistant, sensor_sim: ShellySimulator
) -> None:
    form = await start(hass)
    result = await submit(
        hass, form, {CONF_HOST: "127.0.0.1", CONF_PORT: sensor_sim.port}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "unsupported_device"
    assert result["description_placeholders"] == {"model": "Shelly Plug S"}


async def test_unsupported_device_not_offered(
    hass: HomeAssistant, sensor_sim: ShellySimulator
) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_ZEROCONF},
        data=zeroconf(sensor_sim, "shellyht-F45678"),
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "unsupported_device"


async def test_discovered_device_failing_its_check(
    hass: HomeAssistant, gen1_sim: ShellySimulator
) -> None:
    with patch(
        "custom_components.intelergy.meters.shelly.flow.Gen1Backend.refresh",
        side_effect=DeviceConnectionError("reset by peer"),
    ):
        result = await hass.config_entries.flow.async_init(
            DOMAIN,
            context={"source": SOURCE_ZEROCONF},
            data=zeroconf(gen1_sim, "shellyplug-s-F45678"),
        )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "cannot_connect"


async def test_unexpected_error(hass: HomeAssistant, gen1_sim: ShellySimulator) -> None:
    form = await start(hass)
    with patch(
        "custom_components.intelergy.meters.shelly.flow.Gen1Backend.refresh",
        side_effect=RuntimeError("boom"),
    ):
        result = await submit(
            hass, form, {CONF_HOST: "127.0.0.1", CONF_PORT: gen1_sim.port}
        )
    assert result["errors"] == {"base": "unknown"}


async def test_zeroconf_discovery(
    hass: HomeAssistant, gen1_sim: ShellySimulator
) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_ZEROCONF},
        data=zeroconf(gen1_sim, "shellyplug-s-F45678"),
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "shelly_confirm"
    assert result["description_placeholders"] == {
        "model": "Shelly Plug S",
        "name": shelly_mac(gen1_sim),
        "host": f"127.0.0.1:{gen1_sim.port}",
    }
    flows = hass.config_entries.flow.async_progress()
    assert flows[0]["context"]["title_placeholders"] == {"name": "shellyplug-s-F45678"}
    result = await submit(hass, result, {"room": "Kitchen"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Kitchen kettle"
    assert ar.async_get(hass).async_get_area_by_name("Kitchen") is not None


async def test_zeroconf_with_login(hass: HomeAssistant, socket_enabled: None) -> None:
    sim = ShellySimulator(GEN4_POWER_STRIP, password="secret")
    async with running(hass, sim):
        result = await hass.config_entries.flow.async_init(
            DOMAIN,
            context={"source": SOURCE_ZEROCONF},
            data=zeroconf(sim, "ShellyPowerStripG4-AABBCCDDEEFF"),
        )
        assert result["step_id"] == "shelly_confirm"
        assert result["description_placeholders"]["name"] == "Test Name"
        assert {str(key) for key in result["data_schema"].schema} == {
            CONF_PASSWORD,
            "room",
        }
        result = await submit(hass, result, {CONF_PASSWORD: "nope"})
        assert result["errors"] == {"base": "invalid_auth"}
        result = await submit(hass, result, {CONF_PASSWORD: "secret"})
        assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_zeroconf_known_device_moved(
    hass: HomeAssistant, gen1_sim: ShellySimulator
) -> None:
    entry = shelly_entry(hass, gen1_sim)
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, CONF_PORT: free_port(), CONF_HOST: "127.0.0.1"}
    )
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_ZEROCONF},
        data=zeroconf(gen1_sim, "shellyplug-s-F45678"),
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_PORT] == gen1_sim.port


async def test_zeroconf_skips_devices_of_core_shelly(
    hass: HomeAssistant, gen1_sim: ShellySimulator
) -> None:
    """A plug set up in HA's Shelly integration is not offered again (same matchers)."""
    core = MockConfigEntry(
        domain="shelly", unique_id=shelly_mac(gen1_sim).replace(":", "").upper()
    )
    core.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_ZEROCONF},
        data=zeroconf(gen1_sim, "shellyplug-s-F45678"),
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_in_shelly"
    # Added by hand it still is: the user chose it.
    result = await submit(
        hass, await start(hass), {CONF_HOST: "127.0.0.1", CONF_PORT: gen1_sim.port}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_zeroconf_aborts(hass: HomeAssistant, gen1_sim: ShellySimulator) -> None:
    info = zeroconf(gen1_sim, "shellyplug-s-F45678", host="fe80::1")
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=info
    )
    assert result["reason"] == "ipv6_not_supported"
    info = zeroconf(gen1_sim, "shellyplug-s-F45678")
    info.port = free_port()
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=info
    )
    assert result["reason"] == "cannot_connect"


async def test_reauth(hass: HomeAssistant, socket_enabled: None) -> None:
    sim = ShellySimulator(GEN4_POWER_STRIP, password="new")
    async with running(hass, sim):
        entry = shelly_entry(hass, sim, **{CONF_PASSWORD: "old"})
        result = await entry.start_reauth_flow(hass)
        assert result["step_id"] == "shelly_reauth"
        result = await submit(hass, result, {CONF_PASSWORD: "older"})
        assert result["errors"] == {"base": "invalid_auth"}
        result = await submit(hass, result, {CONF_PASSWORD: "new"})
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "reauth_successful"
        assert entry.data[CONF_PASSWORD] == "new"
        assert entry.data[CONF_KIND] == KIND_SHELLY


async def test_reauth_device_gone(
    hass: HomeAssistant, gen1_sim: ShellySimulator
) -> None:
    entry = shelly_entry(hass, gen1_sim)
    await gen1_sim.go_offline()
    result = await entry.start_reauth_flow(hass)
    assert result["reason"] == "cannot_connect"


async def test_reconfigure(
    hass: HomeAssistant, gen1_sim: ShellySimulator, gen4_sim: ShellySimulator
) -> None:
    entry = shelly_entry(hass, gen1_sim)
    # The same device behind another port (a second simulator of the same dump).
    moved = ShellySimulator(GEN1_PLUG_S)
    async with running(hass, moved):
        result = await entry.start_reconfigure_flow(hass)
        assert result["step_id"] == "shelly_reconfigure"
        result = await submit(
            hass, result, {CONF_HOST: "127.0.0.1", CONF_PORT: free_port()}
        )
        assert result["errors"] == {"base": "cannot_connect"}
        result = await submit(
            hass, result, {CONF_HOST: "127.0.0.1", CONF_PORT: gen4_sim.port}
        )
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "another_device"

        result = await entry.start_reconfigure_flow(hass)
        result = await submit(
            hass, result, {CONF_HOST: "127.0.0.1", CONF_PORT: moved.port}
        )
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "reconfigure_successful"
        assert entry.data[CONF_PORT] == moved.port


async def test_shelly_has_options(
    hass: HomeAssistant, gen1_sim: ShellySimulator
) -> None:
    """Its options hold the built-in anomaly monitor (tests/meters/shelly/test_options.py)."""
    entry = shelly_entry(hass, gen1_sim)
    assert entry.supports_options is True
