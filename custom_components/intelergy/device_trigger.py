"""Device triggers: anomalies, and a bill's slabs.

Anomaly monitors (detected, cleared, running too long): each trigger is the
``intelergy_anomaly`` event of the monitored device, filtered; the automation
editor offers them on every device an anomaly monitor watches (a monitor
entry's, or a meter's built-in one: the meter's own device).

Electricity bills (slab forecast, slab entered): the ``intelergy_slab_forecast``
and ``intelergy_slab_entered`` events of the bill's device, offered on the device
of every loaded billing entry.
"""

from __future__ import annotations

from typing import Any, Final

from homeassistant.components.device_automation import DEVICE_TRIGGER_BASE_SCHEMA
from homeassistant.components.homeassistant.triggers import event as event_trigger
from homeassistant.const import CONF_DEVICE_ID, CONF_DOMAIN, CONF_PLATFORM, CONF_TYPE
from homeassistant.core import CALLBACK_TYPE, HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.trigger import TriggerActionType, TriggerInfo
from homeassistant.helpers.typing import ConfigType
import probatio

from .analytics.anomaly.const import (
    EVENT_ANOMALY,
    TRIGGER_CLEARED,
    TRIGGER_DETECTED,
    TRIGGER_RUNNING_TOO_LONG,
)
from .analytics.anomaly.monitor import Monitored
from .analytics.billing.slabs import EVENT_SLAB_ENTERED, EVENT_SLAB_FORECAST
from .const import CONF_KIND, DOMAIN, KIND_BILLING

TRIGGER_TYPES: Final = (TRIGGER_DETECTED, TRIGGER_CLEARED, TRIGGER_RUNNING_TOO_LONG)
TRIGGER_SLAB_FORECAST: Final = "slab_forecast"
TRIGGER_SLAB_ENTERED: Final = "slab_entered"
BILLING_TRIGGER_TYPES: Final = (TRIGGER_SLAB_FORECAST, TRIGGER_SLAB_ENTERED)
TRIGGER_SCHEMA: Final = DEVICE_TRIGGER_BASE_SCHEMA.extend(
    {probatio.Required(CONF_TYPE): probatio.In(TRIGGER_TYPES + BILLING_TRIGGER_TYPES)}
)
# The event of each trigger type.
EVENT_TYPES: Final = {
    **dict.fromkeys(TRIGGER_TYPES, EVENT_ANOMALY),
    TRIGGER_SLAB_FORECAST: EVENT_SLAB_FORECAST,
    TRIGGER_SLAB_ENTERED: EVENT_SLAB_ENTERED,
}
# What each trigger type matches in the event's data.
EVENT_DATA: Final[dict[str, dict[str, Any]]] = {
    TRIGGER_DETECTED: {"active": True},
    TRIGGER_CLEARED: {"active": False},
    TRIGGER_RUNNING_TOO_LONG: {"active": True, "kind": "long_run"},
}


def monitored_devices(hass: HomeAssistant) -> set[str]:
    """The devices loaded anomaly monitors watch (monitor entries', meters')."""
    return {
        monitor.device_id
        for entry in hass.config_entries.async_loaded_entries(DOMAIN)
        if isinstance(data := getattr(entry, "runtime_data", None), Monitored)
        for monitor in data.anomaly_monitors
        if monitor.device_id is not None
    }


def billing_devices(hass: HomeAssistant) -> set[str]:
    """The devices of loaded billing entries."""
    registry = dr.async_get(hass)
    return {
        device.id
        for entry in hass.config_entries.async_loaded_entries(DOMAIN)
        if entry.data.get(CONF_KIND) == KIND_BILLING
        and (
            device := registry.async_get_device_by_identifier(
                (DOMAIN, f"billing_{entry.entry_id}"), entry.entry_id
            )
        )
        is not None
    }


async def async_get_triggers(
    hass: HomeAssistant, device_id: str
) -> list[dict[str, str]]:
    """Anomaly triggers on a monitored device, slab triggers on a bill's."""
    types: tuple[str, ...] = ()
    if device_id in monitored_devices(hass):
        types += TRIGGER_TYPES
    if device_id in billing_devices(hass):
        types += BILLING_TRIGGER_TYPES
    return [
        {
            CONF_PLATFORM: "device",
            CONF_DEVICE_ID: device_id,
            CONF_DOMAIN: DOMAIN,
            CONF_TYPE: trigger_type,
        }
        for trigger_type in types
    ]


async def async_attach_trigger(
    hass: HomeAssistant,
    config: ConfigType,
    action: TriggerActionType,
    trigger_info: TriggerInfo,
) -> CALLBACK_TYPE:
    """Listen for the trigger type's events of the device."""
    trigger_type = config[CONF_TYPE]
    event_config = event_trigger.TRIGGER_SCHEMA(
        {
            CONF_PLATFORM: "event",
            event_trigger.CONF_EVENT_TYPE: EVENT_TYPES[trigger_type],
            "event_data": {
                CONF_DEVICE_ID: config[CONF_DEVICE_ID],
                **EVENT_DATA.get(trigger_type, {}),
            },
        }
    )
    return await event_trigger.async_attach_trigger(
        hass, event_config, action, trigger_info, platform_type="device"
    )
