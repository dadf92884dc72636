"""Billing sensors as data: what each reads from ``BillingData``.

The costs are monetary totals that restart with their period (``state_class``
total, ``last_reset`` at the period's start): *Cost this cycle* is what the
Energy dashboard takes as a grid connection's cost entity, and its long-term
statistics continue across cycles.

The energy sensors have no state class, so the recorder keeps no long-term
statistics of them: the Energy dashboard's energy pickers list every statistic
of an energy unit (they filter on the statistic's unit class, not on the
entity), and a bill's *Energy this cycle* is a figure of the bill, not a meter
to feed the dashboard (its meters are). Their states are recorded as any
sensor's; nothing of the billing reads their statistics.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import UnitOfEnergy
from homeassistant.util import dt as dt_util

from ...core.prediction import CostProjection
from ...core.tariff import Bill, SlabLine, TouLine
from .coordinator import BillingData

# Attributes that change with every refresh stay out of the recorder's database.
UNRECORDED: frozenset[str] = frozenset(
    {
        "energy_kwh",
        "energy_charge",
        "fixed_charge",
        "tax",
        "slabs",
        "tou",
        "low",
        "high",
        "low_kwh",
        "high_kwh",
        "methods",
    }
)


@dataclass(frozen=True, kw_only=True)
class BillingSensorDescription(SensorEntityDescription):
    """A sensor reading one figure of the cycle so far."""

    value_fn: Callable[[BillingData], float | Decimal | None]
    last_reset_fn: Callable[[BillingData], datetime] | None = None
    attributes_fn: Callable[[BillingData], dict[str, Any]] | None = None
    monetary: bool = False  # the unit is the tariff's currency


def slab_rows(lines: Sequence[SlabLine]) -> list[dict[str, Any]]:
    """Slab rows as attributes and responses show them (money to the cent)."""
    return [
        {
            "from_kwh": float(line.from_kwh),
            "to_kwh": None if line.to_kwh is None else float(line.to_kwh),
            "kwh": round(float(line.kwh), 3),
            "rate": float(line.rate),
            "amount": round(float(line.amount), 2),
        }
        for line in lines
    ]


def tou_rows(lines: Sequence[TouLine]) -> list[dict[str, Any]]:
    """Time-of-use rows as attributes and responses show them."""
    return [
        {
            "band": line.band,
            "kwh": round(float(line.kwh), 3),
            "rate": float(line.rate),
            "amount": round(float(line.amount), 2),
        }
        for line in lines
    ]


def _cycle_start(data: BillingData) -> datetime:
    return data.so_far.cycle_start


def _day_start(data: BillingData) -> datetime:
    return data.so_far.day_start


def _cycle(data: BillingData) -> dict[str, Any]:
    """The cycle's dates and where it is counted from.

    Its start, or its first statistics in a partial first cycle.
    """
    so_far = data.so_far
    return {
        "cycle_start": so_far.cycle.start.isoformat(),
        "cycle_end": so_far.cycle.last_day.isoformat(),
        "counted_from": dt_util.as_local(so_far.counted_from).isoformat(),
    }


def _breakdown(data: BillingData) -> dict[str, Any]:
    bill: Bill = data.so_far.bill
    return {
        **_cycle(data),
        "energy_kwh": round(float(bill.energy_kwh), 3),
        "energy_charge": float(bill.energy_charge),
        "fixed_charge": float(bill.fixed_charge),
        "tax_percent": float(bill.tax_percent),
        "tax": float(bill.tax),
        "slabs": slab_rows(bill.slab_lines),
        "tou": tou_rows(bill.tou_lines),
    }


def _projected(fn: Callable[[CostProjection], Any]) -> Callable[[BillingData], Any]:
    def value(data: BillingData) -> Any:
        return None if data.projection is None else fn(data.projection)

    return value


def _cost_band(data: BillingData) -> dict[str, Any]:
    """The projected bill's band, in the tariff's currency."""
    projection = data.projection
    if projection is None:
        return {}
    return {
        "method": str(projection.projection.method),
        "low": float(projection.low.total),
        "high": float(projection.high.total),
    }


def _energy_band(data: BillingData) -> dict[str, Any]:
    """The projected energy's band, in kWh."""
    projection = data.projection
    if projection is None:
        return {}
    return {
        "method": str(projection.projection.method),
        "low_kwh": round(projection.projection.low_kwh, 3),
        "high_kwh": round(projection.projection.high_kwh, 3),
    }


def _money(key: str, **kwargs: Any) -> BillingSensorDescription:
    return BillingSensorDescription(
        key=key,
        translation_key=key,
        device_class=SensorDeviceClass.MONETARY,
        suggested_display_precision=2,
        monetary=True,
        **kwargs,
    )


def _energy(key: str, **kwargs: Any) -> BillingSensorDescription:
    return BillingSensorDescription(
        key=key,
        translation_key=key,
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        **kwargs,
    )


SENSORS: tuple[BillingSensorDescription, ...] = (
    _energy(
        "energy_cycle",
        value_fn=lambda data: round(data.so_far.energy_kwh, 3),
        attributes_fn=_cycle,
    ),
    _money(
        "cost_today",
        state_class=SensorStateClass.TOTAL,
        value_fn=lambda data: data.so_far.today.total,
        last_reset_fn=_day_start,
    ),
    _money(
        "cost_cycle",
        state_class=SensorStateClass.TOTAL,
        value_fn=lambda data: data.so_far.bill.total,
        last_reset_fn=_cycle_start,
        attributes_fn=_breakdown,
    ),
    _money(
        "projected_cost",
        value_fn=_projected(lambda projection: projection.bill.total),
        attributes_fn=_cost_band,
    ),
    _energy(
        "projected_energy",
        value_fn=_projected(
            lambda projection: round(projection.projection.projected_kwh, 3)
        ),
        attributes_fn=_energy_band,
    ),
)


def sensor_cost(key: str, entity_id: str, name: str) -> BillingSensorDescription:
    """*Cost this cycle* of one billed sensor: its share of the cycle's cost."""
    return BillingSensorDescription(
        key=f"sensor_cost_{key}",
        translation_key="sensor_cost",
        translation_placeholders={"sensor": name},
        device_class=SensorDeviceClass.MONETARY,
        state_class=SensorStateClass.TOTAL,
        suggested_display_precision=2,
        monetary=True,
        value_fn=lambda data: data.so_far.sensor_cost.get(entity_id),
        last_reset_fn=_cycle_start,
        attributes_fn=lambda data: {
            "entity_id": entity_id,
            "energy_kwh": round(data.so_far.sensor_kwh.get(entity_id, 0.0), 3),
        },
    )
