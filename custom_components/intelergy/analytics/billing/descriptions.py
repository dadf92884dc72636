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
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import UnitOfEnergy, UnitOfPower
from homeassistant.util import dt as dt_util

from ...core.prediction import CostProjection
from ...core.tariff import Bill, SlabLine, TouLine
from .coordinator import BillingData
from .slabs import SlabFigures, slab_attributes

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
        "slab",
        "from_kwh",
        "to_kwh",
        "rate",
        "next_rate",
        "table",
        "band",
        "band_rate",
        "includes",
        "kwh_left",
    }
)


@dataclass(frozen=True, kw_only=True)
class BillingSensorDescription(SensorEntityDescription):
    """A sensor reading one figure of the cycle so far."""

    value_fn: Callable[[BillingData], float | Decimal | date | None]
    last_reset_fn: Callable[[BillingData], datetime] | None = None
    attributes_fn: Callable[[BillingData], dict[str, Any]] | None = None
    monetary: bool = False  # the unit is the tariff's currency
    price: bool = False  # the unit is the tariff's currency per kWh


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


def _slabs(
    fn: Callable[[SlabFigures], Any],
) -> Callable[[BillingData], Any]:
    def value(data: BillingData) -> Any:
        return None if data.slabs is None else fn(data.slabs)

    return value


def _price_attributes(data: BillingData) -> dict[str, Any]:
    """The slab (or band) the next kWh is priced in, and what the price holds."""
    figures = data.slabs
    if figures is None:
        return {}
    position = figures.position
    band = figures.band
    return {
        **slab_attributes(figures.ladder, position.index),
        "table": None if position.table is None else position.table + 1,
        "band": None if band is None else band.name,
        "band_rate": None if band is None else float(band.rate),
        "includes": list(figures.includes),
    }


def _slab_attributes(data: BillingData) -> dict[str, Any]:
    """The slab the cycle stands in, and the next slab's rate."""
    figures = data.slabs
    if figures is None:
        return {}
    position = figures.position
    return {
        **slab_attributes(figures.ladder, position.index),
        "next_rate": None if position.next_rate is None else float(position.next_rate),
        "table": None if position.table is None else position.table + 1,
    }


def _next_slab_attributes(data: BillingData) -> dict[str, Any]:
    """The slab the projection enters on the forecast day."""
    figures = data.slabs
    if figures is None or figures.crossing is None:
        return {}
    return slab_attributes(figures.ladder, figures.position.index + 1)


def _household_share(data: BillingData) -> Decimal:
    """What the sensors' costs leave of the cycle's bill."""
    if data.allocation is not None:
        return data.allocation.household
    so_far = data.so_far
    return so_far.bill.total - sum(so_far.sensor_cost.values(), Decimal(0))


def _standby_power(data: BillingData) -> float | None:
    """Every monitored device's learned standby power, W; unknown before any."""
    standby = data.standby
    if standby is None or not standby["devices"]:
        return None
    return float(standby["power_w"])


def _standby_cost(data: BillingData) -> float | None:
    """The standby kWh this month at the price of the next kWh (this refresh's).

    The same figure as ``energy_report``'s, from the price this refresh placed
    rather than the price sensor's state, which the refresh then writes.
    """
    standby = data.standby
    if standby is None or not standby["devices"] or data.slabs is None:
        return None
    return round(float(standby["kwh"]) * round(float(data.slabs.price), 6), 2)


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
    BillingSensorDescription(
        key="next_kwh_price",
        translation_key="next_kwh_price",
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=3,
        price=True,
        value_fn=_slabs(lambda figures: round(float(figures.price), 6)),
        attributes_fn=_price_attributes,
    ),
    _energy(
        "slab_kwh_left",
        value_fn=_slabs(
            lambda figures: (
                None
                if figures.position.kwh_left is None
                else round(float(figures.position.kwh_left), 3)
            )
        ),
        attributes_fn=_slab_attributes,
    ),
    BillingSensorDescription(
        key="next_slab_date",
        translation_key="next_slab_date",
        device_class=SensorDeviceClass.DATE,
        value_fn=_slabs(lambda figures: figures.crossing),
        attributes_fn=_next_slab_attributes,
    ),
    _money(
        "household_share",
        state_class=SensorStateClass.TOTAL,
        value_fn=_household_share,
        last_reset_fn=_cycle_start,
        attributes_fn=lambda data: {"fixed_share": data.fixed_share},
    ),
    # What a switch-off saves (``household_standby``): estimates, not metered, so
    # no state class: no long-term statistics, nothing for the Energy dashboard.
    BillingSensorDescription(
        key="household_standby_power",
        translation_key="household_standby_power",
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.WATT,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        value_fn=_standby_power,
    ),
    _money("household_standby_cost", value_fn=_standby_cost),
)


def _sensor_cost(entity_id: str) -> Callable[[BillingData], Decimal | None]:
    def value(data: BillingData) -> Decimal | None:
        if data.allocation is not None:
            return data.allocation.per_sensor.get(entity_id, Decimal("0.00"))
        return data.so_far.sensor_cost.get(entity_id)

    return value


def sensor_cost(key: str, entity_id: str, name: str) -> BillingSensorDescription:
    """*Cost this cycle* of one billed sensor: its fair share (``hourly``).

    Each hour's energy at the price it was bought at, the fixed lines by energy
    or on the household's line; by energy alone when that cannot be computed.
    """
    return BillingSensorDescription(
        key=f"sensor_cost_{key}",
        translation_key="sensor_cost",
        translation_placeholders={"sensor": name},
        device_class=SensorDeviceClass.MONETARY,
        state_class=SensorStateClass.TOTAL,
        suggested_display_precision=2,
        monetary=True,
        value_fn=_sensor_cost(entity_id),
        last_reset_fn=_cycle_start,
        attributes_fn=lambda data: {
            "entity_id": entity_id,
            "energy_kwh": round(data.so_far.sensor_kwh.get(entity_id, 0.0), 3),
        },
    )
