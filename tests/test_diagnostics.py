"""Diagnostics carry the state but never the token or the meter's identity."""

from __future__ import annotations

import json

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from simulators.elnet import ElnetSimulator
from simulators.shelly import GEN4_POWER_STRIP, ShellySimulator

from .conftest import ELNET_SERIAL, ELNET_TOKEN, running, shelly_entry, shelly_mac


async def test_elnet_diagnostics_redacted(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    elnet_sim: ElnetSimulator,
    elnet_entry: MockConfigEntry,
) -> None:
    assert await hass.config_entries.async_setup(elnet_entry.entry_id)
    await hass.async_block_till_done()
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, elnet_entry)

    text = json.dumps(diagnostics)
    assert ELNET_TOKEN not in text
    assert ELNET_SERIAL not in text
    assert elnet_sim.url not in text
    assert diagnostics["entry"]["data"]["token"] == "**REDACTED**"
    assert diagnostics["entry"]["data"]["kind"] == "elnet"
    source = diagnostics["source"]
    assert source["live"]["balance"] == 1787.42
    assert source["home"]["meter_serial"] == "**REDACTED**"
    assert source["source"] == "grid"
    assert source["stale"] is False
    assert source["update_interval_seconds"] == 30
    assert source["tracker"]["balance"] == 1787.42


async def test_shelly_diagnostics_redacted(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, socket_enabled: None
) -> None:
    sim = ShellySimulator(GEN4_POWER_STRIP, password="strip-secret")
    async with running(hass, sim):
        entry = shelly_entry(hass, sim, password="strip-secret")
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    text = json.dumps(diagnostics)
    assert "strip-secret" not in text
    assert sim.mac not in text
    assert shelly_mac(sim) not in text
    assert diagnostics["entry"]["data"]["password"] == "**REDACTED**"
    assert diagnostics["entry"]["data"]["host"] == "**REDACTED**"
    source = diagnostics["source"]
    assert source["identity"]["model"] == "S4PL-00416EU"
    assert source["identity"]["mac"] == "**REDACTED**"
    assert len(source["status"]["channels"]) == 4
    assert source["energy_kwh"]["3"] == pytest.approx(18.440297)
    assert source["last_update_success"] is True
