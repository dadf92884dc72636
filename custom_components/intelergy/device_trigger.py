"""Device triggers of anomaly monitors: detected, cleared, running too long.

Each trigger is the ``intelergy_anomaly`` event of the monitored device, filtered:
the automation editor offers them on every device an anomaly monitor watches (a
monitor entry's, or a meter's built-in one: the meter's own device).
"""

from __future__ import annotations

from typing import Any, Final

from homeassistant.components.device_automation import DEVICE_TRIGGER_BASE_SCHEMA
from homeassistant.components.homeassistant.triggers import event as event_trigger
from homeassistant.const import CONF_DEVICE_ID, CONF_DOMAIN, CONF_PLATFORM, CONF_TYPE
from homeassistant.core import CALLBACK_TYPE, HomeAssistant
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
from .const import DOMAIN

TRIGGER_TYPES: Final = (TRIGGER_DETECTED, TRIGGER_CLEARED, TRIGGER_RUNNING_TOO_LONG)
TRIGGER_SCHEMA: Final = DEVICE_TRIGGER_BASE_SCHEMA.extend(
    {probatio.Required(CONF_TYPE): probatio.In(TRIGGER_TYPES)}
)
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


async def async_get_triggers(
    hass: HomeAssistant, device_id: str
) -> list[dict[str, str]]:
    """The three triggers, on a device an anomaly monitor watches."""
    if device_id not in monitored_devices(hass):
        return []
    return [
        {
            CONF_PLATFORM: "device",
            CONF_DEVICE_ID: device_id,
            CONF_DOMAIN: DOMAIN,
            CONF_TYPE: trigger_type,
        }
        for trigger_type in TRIGGER_TYPES
    ]


async def async_attach_trigger(
    hass: HomeAssistant,
    config: ConfigType,
    action: TriggerActionType,
    trigger_info: TriggerInfo,
) -> CALLBACK_TYPE:
    """Listen for the matching ``intelergy_anomaly`` events of the device."""
    event_config = event_trigger.TRIGGER_SCHEMA(
        {
            CONF_PLATFORM: "event",
            event_trigger.CONF_EVENT_TYPE: EVENT_ANOMALY,
            "event_data": {
                CONF_DEVICE_ID: config[CONF_DEVICE_ID],
                **EVENT_DATA[config[CONF_TYPE]],
            },
        }
    )
    return await event_trigger.async_attach_trigger(
        hass, event_config, action, trigger_info, platform_type="device"
    )
