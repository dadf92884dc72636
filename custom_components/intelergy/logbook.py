"""Logbook lines for Intelergy events."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.components.logbook.const import (
    LOGBOOK_ENTRY_ENTITY_ID,
    LOGBOOK_ENTRY_MESSAGE,
    LOGBOOK_ENTRY_NAME,
)
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.util import dt as dt_util

from .analytics.anomaly.const import EVENT_ANOMALY
from .analytics.billing.slabs import EVENT_SLAB_ENTERED, EVENT_SLAB_FORECAST
from .const import DOMAIN
from .core.anomaly import hint

UNITS = {
    "spike": "W",
    "current": "A",
    "voltage": "V",
    "long_run": "s",
    "daily_energy": "kWh",
}
WHAT = {
    "spike": "power spike",
    "current": "over-current",
    "voltage": "voltage out of range",
    "long_run": "running too long",
    "daily_energy": "unusual daily energy",
    "unusual_time": "on at an unusual time",
}
# The device category as the logbook names it ("other" is not named).
CATEGORY_NAMES = {
    "fridge": "fridge",
    "air_conditioner": "air conditioner",
    "water_heater": "water heater",
    "kettle": "kettle",
    "tv": "TV",
    "washing_machine": "washing machine",
    "pump": "pump",
    "computer": "computer",
}
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def describe(data: dict[str, Any], name: str) -> str:
    """'power spike: 2010 W (threshold 150 W)' or 'power spike cleared'.

    With a device category: 'kettle running too long: on for 12 min (limit
    10 min) - not switching off: boiling dry?'.
    """
    kind = data.get("kind", "")
    category = data.get("category")
    what = WHAT.get(kind, kind)
    if (device := CATEGORY_NAMES.get(str(category))) is not None:
        what = f"{device} {what}"
    if not data.get("active"):
        return f"{what} cleared"
    unit = UNITS.get(kind, "")
    value, threshold = data.get("value"), data.get("threshold")
    if kind == "long_run" and isinstance(value, int | float):
        text = f"{what}: on for {value / 60:.0f} min (limit {float(threshold or 0) / 60:.0f} min)"
    elif kind == "unusual_time":
        text = f"{what}: {_hour(data.get('started'))}"
        usual = data.get("baseline")
        if isinstance(usual, int | float):
            text += f" (usually on {usual:.0%} of that hour)"
    else:
        text = f"{what}: {value:g} {unit} (threshold {threshold:g} {unit})"
    if (meaning := hint(str(category), kind)) is not None:
        text += f" - {meaning}"
    return text


def _hour(started: object) -> str:
    """'Tue 03:00-04:00' (local) of an ISO timestamp; '' if it is none."""
    when = dt_util.parse_datetime(started) if isinstance(started, str) else None
    if when is None:
        return ""
    local = dt_util.as_local(when)
    return f"{WEEKDAYS[local.weekday()]} {local.hour:02d}:00-{(local.hour + 1) % 24:02d}:00"


def describe_slab(event_type: str, data: dict[str, Any]) -> str:
    """'entered slab 2 (100 to 300 kWh at 4.5 INR/kWh)', 'projected to enter … on …'."""
    low, high, rate = data.get("from_kwh"), data.get("to_kwh"), data.get("rate")
    span = f"above {low:g} kWh" if high is None else f"{low:g} to {high:g} kWh"
    unit = f"{data.get('currency', '')}/kWh"
    slab = f"slab {data.get('slab')} ({span} at {rate:g} {unit})"
    if event_type == EVENT_SLAB_FORECAST:
        return f"projected to enter {slab} on {data.get('date')}"
    return f"entered {slab}"


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[[str, str, Callable[[Event], dict[str, str]]], None],
) -> None:
    """Describe anomalies as they start and clear, and a bill's slab events."""

    @callback
    def describe_anomaly(event: Event) -> dict[str, str]:
        data = event.data
        entity_id = data.get("entity_id") or ""
        state = hass.states.get(entity_id)
        name = state.name if state else entity_id
        return {
            LOGBOOK_ENTRY_NAME: name,
            LOGBOOK_ENTRY_MESSAGE: describe(dict(data), name),
            LOGBOOK_ENTRY_ENTITY_ID: entity_id,
        }

    async_describe_event(DOMAIN, EVENT_ANOMALY, describe_anomaly)

    @callback
    def describe_slab_event(event: Event) -> dict[str, str]:
        data = dict(event.data)
        return {
            LOGBOOK_ENTRY_NAME: str(data.get("name", "")),
            LOGBOOK_ENTRY_MESSAGE: describe_slab(str(event.event_type), data),
        }

    async_describe_event(DOMAIN, EVENT_SLAB_FORECAST, describe_slab_event)
    async_describe_event(DOMAIN, EVENT_SLAB_ENTERED, describe_slab_event)
