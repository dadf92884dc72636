"""Blueprints inside Home Assistant: a phone, the blueprint installed, an automation."""

from __future__ import annotations

import asyncio
from pathlib import Path
import shutil
from types import SimpleNamespace
from typing import Any

from homeassistant.components import automation
from homeassistant.components.mobile_app.const import (
    DATA_CONFIG_ENTRIES,
    DATA_DEVICES,
    DATA_NOTIFY,
)
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_mock_service,
)

BLUEPRINTS = (
    Path(__file__).resolve().parents[2] / "blueprints" / "automation" / "intelergy"
)


async def phone(hass: HomeAssistant) -> tuple[dr.DeviceEntry, list[ServiceCall]]:
    """A phone with the HA app (as mobile_app keeps it); its notify calls recorded."""
    entry = MockConfigEntry(
        domain="mobile_app",
        data={
            "webhook_id": "phone-hook",
            "device_name": "Phone",
            "app_data": {"push_token": "t", "push_url": "https://push.invalid"},
        },
    )
    entry.add_to_hass(hass)
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={("mobile_app", "phone-id")},
        name="Phone",
    )
    hass.data["mobile_app"] = {
        DATA_DEVICES: {"phone-hook": device},
        DATA_CONFIG_ENTRIES: {"phone-hook": entry},
        DATA_NOTIFY: SimpleNamespace(
            registered_targets={"mobile_app_phone": "phone-hook"}
        ),
    }
    return device, async_mock_service(hass, "notify", "mobile_app_phone")


async def use_blueprint(hass: HomeAssistant, name: str, **inputs: Any) -> None:
    """Install ``name``.yaml where HA looks for blueprints and automate with it."""
    target = Path(hass.config.path("blueprints", "automation", "intelergy"))

    def install() -> None:
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(BLUEPRINTS / f"{name}.yaml", target / f"{name}.yaml")

    await hass.async_add_executor_job(install)
    assert await async_setup_component(
        hass,
        automation.DOMAIN,
        {
            automation.DOMAIN: {
                "id": name,
                "use_blueprint": {
                    "path": f"intelergy/{name}.yaml",
                    "input": inputs,
                },
            }
        },
    )
    await hass.async_block_till_done()
    state = hass.states.get(f"automation.{name}") or next(
        iter(hass.states.async_all(automation.DOMAIN)), None
    )
    assert state is not None, f"{name}: no automation was created"
    assert state.state == "on", f"{name}: {state.attributes}"


async def stop_automations(hass: HomeAssistant) -> None:
    """Turn every automation off: a run waiting for an answer is stopped."""
    if hass.services.has_service("automation", "turn_off"):
        await hass.services.async_call(
            "automation", "turn_off", {"entity_id": "all"}, blocking=True
        )
        await hass.async_block_till_done()


async def settle(hass: HomeAssistant) -> None:
    """Let the automation run without waiting for a wait_for_trigger to end."""
    for _ in range(100):
        await asyncio.sleep(0)
