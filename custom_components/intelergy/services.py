"""Service actions of the integration, registered once in ``async_setup``."""

from __future__ import annotations

from typing import Final

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv, device_registry as dr
import probatio

from .analytics.anomaly.actions import async_setup_anomaly_actions
from .analytics.billing.actions import async_setup_billing_actions
from .analytics.presence import async_setup_presence_actions
from .const import CONF_KIND, DOMAIN, KIND_PZEM

SERVICE_RESET_ENERGY: Final = "reset_energy"
ATTR_DEVICE_ID: Final = "device_id"
RESET_ENERGY_SCHEMA: Final = probatio.Schema(
    {probatio.Required(ATTR_DEVICE_ID): cv.string}
)


async def _async_reset_energy(call: ServiceCall) -> None:
    """Reset a PZEM-004T's energy register (Modbus function 0x42)."""
    hass = call.hass
    device_id = call.data[ATTR_DEVICE_ID]
    device = dr.async_get(hass).async_get(device_id)
    if device is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="unknown_device",
            translation_placeholders={"device_id": device_id},
        )
    for entry_id in device.config_entries:
        entry = hass.config_entries.async_get_entry(entry_id)
        if (
            entry is None
            or entry.domain != DOMAIN
            or entry.data[CONF_KIND] != KIND_PZEM
        ):
            continue
        if entry.state is not ConfigEntryState.LOADED:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="entry_not_loaded",
                translation_placeholders={"title": entry.title},
            )
        await entry.runtime_data.coordinator.async_reset_energy()
        return
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="not_a_pzem",
        translation_placeholders={
            "device": device.name_by_user or device.name or device_id
        },
    )


def async_setup_services(hass: HomeAssistant) -> None:
    """Register the actions (they exist whether or not an entry is loaded)."""
    hass.services.async_register(
        DOMAIN, SERVICE_RESET_ENERGY, _async_reset_energy, schema=RESET_ENERGY_SCHEMA
    )
    async_setup_anomaly_actions(hass)
    async_setup_billing_actions(hass)
    async_setup_presence_actions(hass)
