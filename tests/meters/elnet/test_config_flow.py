"""Every ELNET config-flow path (menu, user, reauth, reconfigure, options) against the simulator."""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.intelergy.const import CONF_KIND, DOMAIN, KIND_ELNET
from simulators.elnet import ElnetSimulator
from tests.conftest import ELNET_SERIAL, ELNET_TOKEN


async def start_elnet_flow(hass: HomeAssistant) -> dict[str, Any]:
    """Open the menu and pick ELNET; return the form."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "user"
    assert result["menu_options"] == [
        "shelly",
        "esp32",
        "pzem",
        "elnet",
        "anomaly",
        "billing",
    ]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "elnet"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "elnet"
    assert result["errors"] == {}
    return result


async def test_user_flow_creates_entry(
    hass: HomeAssistant, elnet_sim: ElnetSimulator
) -> None:
    form = await start_elnet_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        form["flow_id"], {"url": elnet_sim.url + "/", "token": ELNET_TOKEN}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"ELNET meter {ELNET_SERIAL}"
    assert result["data"] == {
        CONF_KIND: KIND_ELNET,
        "url": elnet_sim.url,
        "token": ELNET_TOKEN,
    }
    entry = result["result"]
    assert entry.unique_id == ELNET_SERIAL
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


@pytest.mark.parametrize(
    ("script", "url", "error"),
    [
        ({}, "meters.example.com", "invalid_url"),
        ({"token": "other"}, None, "invalid_auth"),
        ({"http_status": 500}, None, "cannot_connect"),
        ({"api_status": "Failed"}, None, "api_error"),
        ({"raw_body": "[]"}, None, "invalid_response"),
    ],
)
async def test_user_flow_errors_then_recovers(
    hass: HomeAssistant,
    elnet_sim: ElnetSimulator,
    script: dict[str, Any],
    url: str | None,
    error: str,
) -> None:
    form = await start_elnet_flow(hass)
    for attribute, value in script.items():
        setattr(elnet_sim, attribute, value)
    result = await hass.config_entries.flow.async_configure(
        form["flow_id"], {"url": url or elnet_sim.url, "token": ELNET_TOKEN}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}

    fresh = ElnetSimulator(ELNET_TOKEN)
    elnet_sim.__dict__.update(
        {k: v for k, v in fresh.__dict__.items() if k not in ("_runner", "url")}
    )
    result = await hass.config_entries.flow.async_configure(
        form["flow_id"], {"url": elnet_sim.url, "token": ELNET_TOKEN}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_user_flow_unreachable(hass: HomeAssistant, socket_enabled: None) -> None:
    sim = ElnetSimulator()
    url = await sim.start()
    await sim.stop()  # nothing listens on that port any more
    form = await start_elnet_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        form["flow_id"], {"url": url, "token": "x"}
    )
    assert result["errors"] == {"base": "cannot_connect"}


async def test_user_flow_unexpected_error(
    hass: HomeAssistant, elnet_sim: ElnetSimulator
) -> None:
    form = await start_elnet_flow(hass)
    # No local stand-in makes the client raise something it never should.
    with patch(
        "custom_components.intelergy.core.elnet.client.ElnetClient.fetch",
        side_effect=RuntimeError("boom"),
    ):
        result = await hass.config_entries.flow.async_configure(
            form["flow_id"], {"url": elnet_sim.url, "token": ELNET_TOKEN}
        )
    assert result["errors"] == {"base": "unknown"}


async def test_duplicate_meter_aborts(
    hass: HomeAssistant, elnet_sim: ElnetSimulator, elnet_entry: MockConfigEntry
) -> None:
    form = await start_elnet_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        form["flow_id"], {"url": elnet_sim.url, "token": ELNET_TOKEN}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_reauth(
    hass: HomeAssistant, elnet_sim: ElnetSimulator, elnet_entry: MockConfigEntry
) -> None:
    await hass.config_entries.async_setup(elnet_entry.entry_id)
    elnet_sim.token = "new-token"
    result = await elnet_entry.start_reauth_flow(hass)
    assert result["step_id"] == "elnet_reauth"
    assert result["description_placeholders"]["meter"] == ELNET_SERIAL

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"token": "still-wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"token": "new-token"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert elnet_entry.data["token"] == "new-token"
    await hass.async_block_till_done()
    assert elnet_entry.state is ConfigEntryState.LOADED


async def test_reauth_other_meter_refused(
    hass: HomeAssistant, elnet_sim: ElnetSimulator, elnet_entry: MockConfigEntry
) -> None:
    elnet_sim.home["Meter_SN"] = "999"
    result = await elnet_entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"token": ELNET_TOKEN}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_meter"


async def test_reconfigure(
    hass: HomeAssistant, elnet_sim: ElnetSimulator, elnet_entry: MockConfigEntry
) -> None:
    moved = ElnetSimulator(ELNET_TOKEN)
    new_url = await moved.start()
    try:
        result = await elnet_entry.start_reconfigure_flow(hass)
        assert result["step_id"] == "elnet_reconfigure"
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"url": "not a url"}
        )
        assert result["errors"] == {"base": "invalid_url"}
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"url": new_url}
        )
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "reconfigure_successful"
        assert elnet_entry.data["url"] == new_url
        await hass.async_block_till_done()
        assert elnet_entry.state is ConfigEntryState.LOADED
        assert "HomeData" in moved.requests
    finally:
        await hass.config_entries.async_unload(elnet_entry.entry_id)
        await moved.stop()


async def test_reconfigure_other_meter_refused(
    hass: HomeAssistant, elnet_sim: ElnetSimulator, elnet_entry: MockConfigEntry
) -> None:
    other = ElnetSimulator(ELNET_TOKEN)
    other.home["Meter_SN"] = "555"
    url = await other.start()
    try:
        result = await elnet_entry.start_reconfigure_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"url": url}
        )
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "wrong_meter"
        assert elnet_entry.data["url"] == elnet_sim.url
    finally:
        await other.stop()


async def test_options_flow_reloads_with_new_interval(
    hass: HomeAssistant, elnet_sim: ElnetSimulator, elnet_entry: MockConfigEntry
) -> None:
    await hass.config_entries.async_setup(elnet_entry.entry_id)
    assert elnet_entry.runtime_data.coordinator.update_interval.total_seconds() == 30

    result = await hass.config_entries.options.async_init(elnet_entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "elnet"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"scan_interval": 90, "low_balance_threshold": 2000}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert elnet_entry.options == {"scan_interval": 90, "low_balance_threshold": 2000}
    await hass.async_block_till_done()
    coordinator = elnet_entry.runtime_data.coordinator
    assert coordinator.update_interval.total_seconds() == 90
    assert coordinator.tracker.low_balance_threshold == 2000
    # The new threshold applies at once: 1787.42 < 2000.
    assert coordinator.data.low_balance is True
