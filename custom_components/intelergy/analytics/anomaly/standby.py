"""The household's standby ("always on") power and energy, for ``energy_report``.

Every running anomaly monitor (a monitor entry's, a meter's built-in ones) with
a learned standby power: its power, its standby energy this calendar month so
far (the standby power now x the hours since the month began: an estimate from
the present level, not a metered total) and, when the report's billing entry
has a *Price of the next kWh* sensor, its cost at that price (the marginal
price: what a kWh switched off saves now). What a switch-off saves.
"""

from __future__ import annotations

from typing import Any, Final

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util

from ...const import DOMAIN
from ..presence import price_of
from .entity import STANDBY_POWER, month_start, standby_kwh
from .monitor import AnomalyMonitor, Monitored

PRICE_KEY: Final = "next_kwh_price"  # the billing entry's price sensor


def monitors(hass: HomeAssistant) -> list[AnomalyMonitor]:
    """Every running monitor, of monitor entries and of meters."""
    return [
        monitor
        for entry in hass.config_entries.async_entries(DOMAIN)
        if entry.state is ConfigEntryState.LOADED
        and isinstance(entry.runtime_data, Monitored)
        for monitor in entry.runtime_data.anomaly_monitors
    ]


def price(hass: HomeAssistant, entry_id: str | None) -> tuple[float, str] | None:
    """The billing entry's price of the next kWh and its currency, if known."""
    if entry_id is None:
        return None
    registry = er.async_get(hass)
    entity_id = next(
        (
            e.entity_id
            for e in er.async_entries_for_config_entry(registry, entry_id)
            if e.domain == Platform.SENSOR and e.translation_key == PRICE_KEY
        ),
        None,
    )
    return price_of(hass, entity_id)


def household_standby(
    hass: HomeAssistant, billing_entry_id: str | None
) -> dict[str, Any]:
    """The ``standby`` block: per monitored device and in total (W, kWh, cost)."""
    now = dt_util.utcnow()
    cost = price(hass, billing_entry_id)
    registry = er.async_get(hass)
    devices: list[dict[str, Any]] = []
    for monitor in monitors(hass):
        watts = monitor.detector.standby
        kwh = standby_kwh(watts, now)
        if watts is None or kwh is None:
            continue  # still learning
        devices.append(
            {
                "entity_id": registry.async_get_entity_id(
                    Platform.SENSOR,
                    DOMAIN,
                    f"{monitor.unique_id_prefix}_{STANDBY_POWER.key}",
                ),
                "power_entity": monitor.power_entity,
                "category": monitor.category,
                "power_w": round(watts, 1),
                "kwh": round(kwh, 3),
                "cost": None if cost is None else round(kwh * cost[0], 2),
            }
        )
    devices.sort(key=lambda row: -row["power_w"])
    total_kwh = sum(row["kwh"] for row in devices)
    return {
        "since": dt_util.as_local(month_start(now)).isoformat(),
        "power_w": round(sum(row["power_w"] for row in devices), 1),
        "kwh": round(total_kwh, 3),
        "price": None if cost is None else cost[0],
        "currency": None if cost is None else cost[1],
        "cost": None if cost is None else round(total_kwh * cost[0], 2),
        "devices": devices,
    }
