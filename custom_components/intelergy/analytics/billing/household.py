"""A billing entry's household: its tariff, billed sensors and their areas.

The entry's options keep the tariff under ``CONF_TARIFF`` as a dated schedule
(``TariffSchedule.as_dict()``: ``{"versions": [{"effective", "tariff"}]}``); an
entry saved before versions existed holds a plain ``Tariff.as_dict()`` there,
read as one version in force since ever (``TariffSchedule.from_stored``). Both
forms are read, so no migration rewrites the stored options.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from homeassistant.components.sensor import (
    ATTR_STATE_CLASS,
    SensorDeviceClass,
    SensorStateClass,
)
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import ATTR_DEVICE_CLASS, ATTR_UNIT_OF_MEASUREMENT
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    area_registry as ar,
    device_registry as dr,
    entity_registry as er,
)
from homeassistant.util import dt as dt_util
from homeassistant.util.unit_conversion import EnergyConverter

from ...const import CONF_KIND, DOMAIN, KIND_BILLING
from ...core import schedule as schedule_module
from ...core.prediction import Method
from ...core.schedule import TariffSchedule, TariffVersion
from ...core.tariff import Tariff
from .const import CONF_ENTITIES, CONF_METHOD, CONF_TARIFF, DEFAULT_METHOD

TOTALS = (SensorStateClass.TOTAL, SensorStateClass.TOTAL_INCREASING)


@dataclass(frozen=True, slots=True)
class Household:
    """What a billing entry bills: dated tariffs and the energy sensors they price."""

    title: str
    schedule: TariffSchedule
    entities: tuple[str, ...]
    method: Method

    @property
    def tariff(self) -> Tariff:
        """The tariff in force today (local date): what the dashboard shows."""
        return self.schedule.in_force(today())


def today() -> date:
    """Home Assistant's local date."""
    return dt_util.now().date()


def version_date(day: date) -> date:
    """``day`` as the date class ``TariffSchedule`` checks its versions against.

    ``TariffSchedule`` takes exactly its module's ``date``; a frozen test clock
    (freezegun) swaps that class for a fake one, and ``date.min`` for a fake
    date of yet another class. Dates of versions are built here, with the
    class the module holds at the time, so both run alike.
    """
    kind: type[date] = vars(schedule_module)["date"]
    return kind(day.year, day.month, day.day)


def single(tariff: Tariff) -> TariffSchedule:
    """One version, in force since ever (``TariffSchedule.single``, see above)."""
    return TariffSchedule((TariffVersion(version_date(date.min), tariff),))


def stored_schedule(options: Mapping[str, Any]) -> TariffSchedule:
    """The entry's tariff versions, from either stored form (see the module).

    What ``TariffSchedule.from_stored`` reads, the plain form through ``single``.
    """
    data = options[CONF_TARIFF]
    if isinstance(data, Mapping) and "versions" in data:
        return TariffSchedule.from_dict(data)
    return single(Tariff.from_dict(data))


def household(entry: ConfigEntry[Any]) -> Household:
    """The household of a billing entry (options hold the tariff and sensors)."""
    options = entry.options
    return Household(
        title=entry.title,
        schedule=stored_schedule(options),
        entities=tuple(options[CONF_ENTITIES]),
        method=Method(options.get(CONF_METHOD, DEFAULT_METHOD)),
    )


def billing_entries(hass: HomeAssistant) -> list[ConfigEntry[Any]]:
    """Every Intelergy billing entry."""
    return [
        entry
        for entry in hass.config_entries.async_entries(DOMAIN)
        if entry.data.get(CONF_KIND) == KIND_BILLING
    ]


def is_energy_total(hass: HomeAssistant, entity_id: str) -> bool:
    """An energy sensor with a cumulative state class (what the recorder sums).

    From its state, or from the entity registry while it has none yet.
    """
    if not entity_id.startswith("sensor."):
        return False
    if (state := hass.states.get(entity_id)) is not None:
        device_class = state.attributes.get(ATTR_DEVICE_CLASS)
        state_class = state.attributes.get(ATTR_STATE_CLASS)
        unit = state.attributes.get(ATTR_UNIT_OF_MEASUREMENT)
    elif (entry := er.async_get(hass).async_get(entity_id)) is not None:
        device_class = entry.device_class or entry.original_device_class
        state_class = (entry.capabilities or {}).get(ATTR_STATE_CLASS)
        unit = entry.unit_of_measurement
    else:
        return False
    return (
        device_class == SensorDeviceClass.ENERGY
        and state_class in TOTALS
        and unit in EnergyConverter.VALID_UNITS
    )


@dataclass(frozen=True, slots=True)
class Meter:
    """A billed sensor as responses show it: name and area."""

    entity_id: str
    name: str
    area_id: str | None
    area: str | None


def meters(hass: HomeAssistant, entity_ids: Iterable[str]) -> list[Meter]:
    """Name and area of each sensor: its own area, else its device's."""
    entities = er.async_get(hass)
    devices = dr.async_get(hass)
    areas = ar.async_get(hass)
    found = []
    for entity_id in entity_ids:
        area_id = None
        name = entity_id
        if (entry := entities.async_get(entity_id)) is not None:
            area_id = entry.area_id
            if area_id is None and entry.device_id is not None:
                device = devices.async_get(entry.device_id)
                area_id = None if device is None else device.area_id
            name = entry.name or entry.original_name or entity_id
        if (state := hass.states.get(entity_id)) is not None:
            name = state.name
        area = areas.async_get_area(area_id) if area_id else None
        found.append(
            Meter(
                entity_id,
                name,
                area_id if area else None,
                area.name if area else None,
            )
        )
    return found
