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

from .analytics.anomaly.const import EVENT_ANOMALY
from .analytics.billing.slabs import EVENT_SLAB_ENTERED, EVENT_SLAB_FORECAST
from .const import DOMAIN

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
}


def describe(data: dict[str, Any], name: str) -> str:
    """'power spike: 2010 W (threshold 150 W)' or 'power spike cleared'."""
    kind = data.get("kind", "")
    what = WHAT.get(kind, kind)
    if not data.get("active"):
        return f"{what} cleared"
    unit = UNITS.get(kind, "")
    value, threshold = data.get("value"), data.get("threshold")
    if kind == "long_run" and isinstance(value, int | float):
        return f"{what}: on for {value / 60:.0f} min (limit {float(threshold or 0) / 60:.0f} min)"
    return f"{what}: {value:g} {unit} (threshold {threshold:g} {unit})"


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
