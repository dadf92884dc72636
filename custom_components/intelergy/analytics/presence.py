"""``intelergy.devices_left_on``: what is still drawing power, for "nobody is home".

Every load of Intelergy's metered devices (a plug, a strip's outlet, a meter:
the dashboard's loads, ``dashboard/household.py``, grouped by unique-id prefix)
that has a relay which is on and whose power is above its standby level. The
standby level is the load's learned *standby power* sensor (translation key
``standby_power`` or a strip's ``outlet_`` / ``named_`` variant, same prefix)
when it has a number, else the call's ``standby_watts`` (5 W by default).

The cost per hour is the power x the *Price of the next kWh* of the billing
entry that bills the load's energy sensor, or None when no bill does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Final

from homeassistant.const import Platform, UnitOfPower
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    State,
    SupportsResponse,
)
from homeassistant.helpers import (
    config_validation as cv,
    device_registry as dr,
    entity_registry as er,
)
from homeassistant.util.unit_conversion import PowerConverter
import probatio

from ..const import DOMAIN
from ..dashboard.household import Entity, Load, entries, households, loads_of, role
from .anomaly.const import METERED_KINDS
from .anomaly.monitor import number

SERVICE_DEVICES_LEFT_ON: Final = "devices_left_on"
ATTR_EXCLUDE: Final = "exclude"
ATTR_STANDBY_WATTS: Final = "standby_watts"
DEFAULT_STANDBY_WATTS: Final = 5.0
STANDBY_ROLE: Final = "standby_power"
PRICE_KEY: Final = "next_kwh_price"

LEFT_ON_SCHEMA: Final = probatio.Schema(
    {
        probatio.Optional(ATTR_EXCLUDE, default=list): probatio.All(
            cv.ensure_list, [cv.string]
        ),
        probatio.Optional(
            ATTR_STANDBY_WATTS, default=DEFAULT_STANDBY_WATTS
        ): probatio.All(probatio.Coerce(float), probatio.Range(min=0)),
    }
)


def watts(state: State | None) -> float | None:
    """A power state in W, or None when it is not a number of a power unit."""
    if state is None or (value := number(state)) is None:
        return None
    unit = state.attributes.get("unit_of_measurement", UnitOfPower.WATT)
    if unit not in PowerConverter.VALID_UNITS:
        return None
    return PowerConverter.convert(value, unit, UnitOfPower.WATT)


def standby_sensors(
    loads: Sequence[Load], entities: Iterable[Entity]
) -> dict[str, str]:
    """The learned standby sensor of each load, by the load's prefix.

    A standby sensor belongs to the load with the longest prefix its unique id
    starts with (``<mac>_1_…`` is outlet 1's, not outlet 10's).
    """
    found: dict[str, str] = {}
    for entity in entities:
        if entity.domain != Platform.SENSOR or role(entity) != STANDBY_ROLE:
            continue
        owners = [
            load.prefix
            for load in loads
            if entity.unique_id.startswith(f"{load.prefix}_")
        ]
        if owners:
            found.setdefault(max(owners, key=len), entity.entity_id)
    return found


def prices(hass: HomeAssistant, registry: er.EntityRegistry) -> dict[str, str]:
    """The *Price of the next kWh* sensor of the bill of each billed energy sensor."""
    found: dict[str, str] = {}
    for entry, house in households(hass):
        price = next(
            (
                e.entity_id
                for e in er.async_entries_for_config_entry(registry, entry.entry_id)
                if e.domain == Platform.SENSOR
                and e.translation_key == PRICE_KEY
                and not e.disabled
            ),
            None,
        )
        if price is None:
            continue
        for energy in house.entities:
            found.setdefault(energy, price)
    return found


def price_of(hass: HomeAssistant, entity_id: str | None) -> tuple[float, str] | None:
    """The price sensor's value and currency (its unit's ``INR`` of ``INR/kWh``)."""
    state = None if entity_id is None else hass.states.get(entity_id)
    if state is None or (value := number(state)) is None:
        return None
    unit = str(state.attributes.get("unit_of_measurement") or "")
    currency, _, per = unit.partition("/")
    if per and per != "kWh":
        return None
    return value, currency or hass.config.currency


def devices_left_on(
    hass: HomeAssistant, exclude: Iterable[str], default_standby: float
) -> dict[str, Any]:
    """The response of ``intelergy.devices_left_on`` (docs/actions.md)."""
    registry = er.async_get(hass)
    devices = dr.async_get(hass)
    excluded = set(exclude)
    billed = prices(hass, registry)
    found: list[dict[str, Any]] = []
    for entry in entries(hass, *METERED_KINDS):
        for device in dr.async_entries_for_config_entry(devices, entry.entry_id):
            if device.disabled or device.id in excluded:
                continue
            own = [
                e
                for e in er.async_entries_for_device(registry, device.id)
                if e.platform == DOMAIN and not e.disabled
            ]
            loads, _ = loads_of(own, {})
            standby = standby_sensors(loads, own)
            name = device.name_by_user or device.name or device.id
            for load in loads:
                row = _left_on(hass, load, standby.get(load.prefix), default_standby)
                if row is None or excluded & {row["power_entity"], row["relay_entity"]}:
                    continue
                if load.energy is not None and load.energy.entity_id in excluded:
                    continue
                outlet = load.name() if len(loads) > 1 else None
                energy = None if load.energy is None else load.energy.entity_id
                price_entity = None if energy is None else billed.get(energy)
                price = price_of(hass, price_entity)
                found.append(
                    {
                        "name": f"{name} {outlet}" if outlet else name,
                        "device_id": device.id,
                        **row,
                        "energy_entity": energy,
                        "price_entity": price_entity if price else None,
                        "cost_per_hour": None
                        if price is None
                        else round(row["power_w"] / 1000 * price[0], 2),
                        "currency": None if price is None else price[1],
                    }
                )
    found.sort(key=lambda row: (-row["power_w"], row["name"].casefold()))
    costs = [row["cost_per_hour"] for row in found if row["cost_per_hour"] is not None]
    return {
        "devices": found,
        "count": len(found),
        "total_power_w": round(sum(row["power_w"] for row in found), 1),
        "total_cost_per_hour": round(sum(costs), 2) if costs else None,
        "currency": next((r["currency"] for r in found if r["currency"]), None),
    }


def _left_on(
    hass: HomeAssistant, load: Load, standby_entity: str | None, default: float
) -> dict[str, Any] | None:
    """The load's row when its relay is on and it draws more than its standby."""
    if load.power is None or load.relay is None:
        return None
    relay = hass.states.get(load.relay.entity_id)
    power = watts(hass.states.get(load.power.entity_id))
    if relay is None or relay.state != "on" or power is None:
        return None
    learned = None if standby_entity is None else watts(hass.states.get(standby_entity))
    standby = default if learned is None else learned
    if power <= standby:
        return None
    return {
        "power_entity": load.power.entity_id,
        "relay_entity": load.relay.entity_id,
        "power_w": round(power, 1),
        "standby_w": round(standby, 1),
        "standby_entity": standby_entity if learned is not None else None,
    }


async def _async_devices_left_on(call: ServiceCall) -> ServiceResponse:
    return devices_left_on(
        call.hass, call.data[ATTR_EXCLUDE], call.data[ATTR_STANDBY_WATTS]
    )


def async_setup_presence_actions(hass: HomeAssistant) -> None:
    """Register ``intelergy.devices_left_on`` (it needs no loaded entry)."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_DEVICES_LEFT_ON,
        _async_devices_left_on,
        schema=LEFT_ON_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
