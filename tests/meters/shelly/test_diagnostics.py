"""Shelly diagnostics while the device is offline: what is known, never a 500."""

from __future__ import annotations

import json

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.intelergy.meters.shelly.coordinator import RpcBackend
from simulators.shelly import ShellySimulator
from tests.conftest import shelly_mac

from .common import loaded, tick, wait_for


async def test_gen2_diagnostics_while_not_initialized(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    gen4_sim: ShellySimulator,
) -> None:
    # aioshelly raises NotInitialized for status/config/name once a reconnect
    # attempt has reset the device: diagnostics answered HTTP 500 exactly then.
    entry, _ = await loaded(hass, gen4_sim)
    backend = entry.runtime_data.coordinator.backend
    assert isinstance(backend, RpcBackend)
    online = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert online["source"]["connected"] is True

    await gen4_sim.go_offline()
    await wait_for(hass, lambda: not backend.device.initialized)

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    source = diagnostics["source"]
    assert source["connected"] is False
    assert source["last_update_success"] is False
    # The identity as it was when the entry was set up, redacted the same way.
    assert (online["source"]["identity_from"], source["identity_from"]) == (
        "device",
        "setup",
    )
    assert source["identity"] == online["source"]["identity"]
    assert source["identity"]["model"] == "S4PL-00416EU"
    assert source["identity"]["mac"] == "**REDACTED**"
    # The last status received is still there, marked as such by "connected".
    assert len(source["status"]["channels"]) == 4
    assert source["energy_kwh"] == online["source"]["energy_kwh"]
    text = json.dumps(diagnostics)
    assert gen4_sim.mac not in text
    assert shelly_mac(gen4_sim) not in text


async def test_gen1_diagnostics_while_offline(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    gen1_sim: ShellySimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    # A failed poll forgets /settings, so the Gen1 identity raised RuntimeError.
    entry, _ = await loaded(hass, gen1_sim)
    online = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert online["source"]["connected"] is True

    await gen1_sim.go_offline()
    await tick(hass, freezer, 10)
    assert not entry.runtime_data.coordinator.last_update_success

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    source = diagnostics["source"]
    assert source["connected"] is False
    assert source["identity_from"] == "setup"
    assert source["identity"] == online["source"]["identity"]
    assert source["identity"]["name"] == "Kitchen kettle"
    assert source["status"]["channels"][0]["output"] is True
    assert source["energy_kwh"]["0"] == pytest.approx(1530762 / 60 / 1000)
