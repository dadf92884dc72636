"""ELNET entities as data: what each reads from ``ElnetData`` and how HA sees it.

The Energy dashboard's pickers offer statistics: its energy pickers every
statistic in kWh, its cost pickers every statistic. So only the lifetime *Grid* /
*Generator* / *Solar energy* are ``total_increasing``; the day's and month's
energy and the *Balance* (no cost total) have no state class, hence no
statistics, and are not offered there (the balance's days left are read from its
recorded states, meters/elnet/coordinator.py). The costs keep theirs (``total``
with ``last_reset``: a grid's cost), *Present load* its mean (a grid's power).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.components.binary_sensor import BinarySensorEntityDescription
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory, UnitOfEnergy, UnitOfPower, UnitOfTime

from ...core.elnet.client import PowerSource
from .coordinator import ElnetData


@dataclass(frozen=True, kw_only=True)
class ElnetSensorDescription(SensorEntityDescription):
    """A sensor reading one value from ``ElnetData``."""

    value_fn: Callable[[ElnetData], float | str | datetime | None]
    # Start of the counting period, for monetary totals that reset (day / month).
    last_reset_fn: Callable[[ElnetData], datetime] | None = None
    # State attributes (None: none).
    attributes_fn: Callable[[ElnetData], dict[str, Any] | None] | None = None


@dataclass(frozen=True, kw_only=True)
class ElnetBinarySensorDescription(BinarySensorEntityDescription):
    """A binary sensor reading one flag from ``ElnetData``."""

    value_fn: Callable[[ElnetData], bool]


def _start_of_day(data: ElnetData) -> datetime:
    return data.live.updated_on.replace(hour=0, minute=0, second=0, microsecond=0)


def _start_of_month(data: ElnetData) -> datetime:
    return _start_of_day(data).replace(day=1)


def _prepaid_why(data: ElnetData) -> dict[str, Any] | None:
    """Why *Balance days left* / *Balance runs out* are unknown, and until when."""
    if data.prepaid_reason is None:
        return None
    if data.prepaid_available_from is None:
        return {"reason": data.prepaid_reason}
    return {
        "reason": data.prepaid_reason,
        "available_from": data.prepaid_available_from,
    }


def _energy(
    key: str,
    value_fn: Callable[[ElnetData], float],
    *,
    enabled: bool = True,
    lifetime: bool = False,
) -> ElnetSensorDescription:
    """Energy in kWh; only a lifetime total is ``total_increasing`` (statistics)."""
    return ElnetSensorDescription(
        key=key,
        translation_key=key,
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING if lifetime else None,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        entity_registry_enabled_default=enabled,
        value_fn=value_fn,
    )


def _cost(
    key: str,
    value_fn: Callable[[ElnetData], float],
    last_reset_fn: Callable[[ElnetData], datetime],
) -> ElnetSensorDescription:
    return ElnetSensorDescription(
        key=key,
        translation_key=key,
        device_class=SensorDeviceClass.MONETARY,
        state_class=SensorStateClass.TOTAL,
        suggested_display_precision=2,
        value_fn=value_fn,
        last_reset_fn=last_reset_fn,
    )


def _sanctioned(
    key: str, value_fn: Callable[[ElnetData], float]
) -> ElnetSensorDescription:
    return ElnetSensorDescription(
        key=key,
        translation_key=key,
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=value_fn,
    )


SENSORS: tuple[ElnetSensorDescription, ...] = (
    # No state class: a balance is no cost total (see the module).
    ElnetSensorDescription(
        key="balance",
        translation_key="balance",
        device_class=SensorDeviceClass.MONETARY,
        suggested_display_precision=2,
        value_fn=lambda d: d.live.balance,
    ),
    ElnetSensorDescription(
        key="balance_days_left",
        translation_key="balance_days_left",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.DAYS,
        suggested_display_precision=1,
        value_fn=lambda d: None if d.prepaid is None else d.prepaid.days_left,
        attributes_fn=_prepaid_why,
    ),
    ElnetSensorDescription(
        key="balance_depletion",
        translation_key="balance_depletion",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda d: None if d.prepaid is None else d.prepaid.depletes_at,
        attributes_fn=_prepaid_why,
    ),
    ElnetSensorDescription(
        key="present_load",
        translation_key="present_load",
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        suggested_display_precision=2,
        value_fn=lambda d: d.live.present_load_kw,
    ),
    _energy("grid_energy", lambda d: d.live.grid_kwh, lifetime=True),
    _energy("generator_energy", lambda d: d.live.generator_kwh, lifetime=True),
    _energy("solar_energy", lambda d: d.live.solar_kwh, enabled=False, lifetime=True),
    _energy("grid_energy_today", lambda d: d.home.grid_kwh_today),
    _energy("generator_energy_today", lambda d: d.home.generator_kwh_today),
    _energy("solar_energy_today", lambda d: d.home.solar_kwh_today, enabled=False),
    _energy("grid_energy_month", lambda d: d.home.grid_kwh_month),
    _energy("generator_energy_month", lambda d: d.home.generator_kwh_month),
    _energy("solar_energy_month", lambda d: d.home.solar_kwh_month, enabled=False),
    _cost("grid_cost_today", lambda d: d.home.grid_cost_today, _start_of_day),
    _cost("generator_cost_today", lambda d: d.home.generator_cost_today, _start_of_day),
    _cost("grid_cost_month", lambda d: d.home.grid_cost_month, _start_of_month),
    _cost(
        "generator_cost_month", lambda d: d.home.generator_cost_month, _start_of_month
    ),
    _sanctioned("sanctioned_grid_load", lambda d: d.live.sanctioned_grid_kw),
    _sanctioned("sanctioned_generator_load", lambda d: d.live.sanctioned_generator_kw),
    ElnetSensorDescription(
        key="power_source",
        translation_key="power_source",
        device_class=SensorDeviceClass.ENUM,
        options=[str(source) for source in PowerSource],
        value_fn=lambda d: str(d.source),
    ),
    ElnetSensorDescription(
        key="generator_since",
        translation_key="generator_since",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda d: d.generator_since,
    ),
    # Changes on every reading (30 s): disabled by default, as Home Assistant's
    # own integrations keep such timestamps, or it fills the logbook.
    ElnetSensorDescription(
        key="last_update",
        translation_key="last_update",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda d: d.live.updated_on,
    ),
)

BINARY_SENSORS: tuple[ElnetBinarySensorDescription, ...] = (
    ElnetBinarySensorDescription(
        key="low_balance",
        translation_key="low_balance",
        value_fn=lambda d: d.low_balance,
    ),
    ElnetBinarySensorDescription(
        key="relay",
        translation_key="relay",
        device_class=BinarySensorDeviceClass.POWER,
        value_fn=lambda d: d.home.relay_on,
    ),
    ElnetBinarySensorDescription(
        key="stale",
        translation_key="stale",
        device_class=BinarySensorDeviceClass.PROBLEM,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda d: d.stale,
    ),
)
