"""Billing: a household's tariff priced over any energy sensors' statistics.

One entry per tariff / household. Its sensors (energy and cost this cycle, cost
today, the projected bill, each billed sensor's cost) are read from the
recorder's long-term statistics, so they are right after a restart; the actions
(``actions.py``) price any period, project the cycle, report energy and write
PDF invoices from the same statistics.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from homeassistant.const import Platform
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryError, ConfigEntryNotReady
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.event import async_track_entity_registry_updated_event

from ...const import DOMAIN
from ...core.tariff import TariffError
from ...models import EntryKind, IntelergyConfigEntry
from .const import CONF_ENTITIES
from .coordinator import BillingCoordinator
from .descriptions import SENSORS, sensor_cost
from .entity import BillingSensor
from .flow import BillingConfigFlow, BillingOptionsFlow
from .household import household, meters
from .statistics import recorder_loaded

PLATFORMS: Final = (Platform.SENSOR,)


@dataclass(slots=True)
class BillingData:
    """Runtime data of a billing entry."""

    coordinator: BillingCoordinator
    info: DeviceInfo
    billed: tuple[tuple[str, str, str], ...]  # (key, entity id, name)

    @property
    def platforms(self) -> Sequence[Platform]:
        """Sensors only."""
        return PLATFORMS

    def entities(self, platform: Platform) -> Sequence[Entity]:
        """The household's sensors and one cost sensor per billed sensor."""
        descriptions = [
            *SENSORS,
            *(
                sensor_cost(key, entity_id, name)
                for key, entity_id, name in self.billed
            ),
        ]
        return [
            BillingSensor(self.coordinator, description, self.info)
            for description in descriptions
        ]

    def diagnostics(self) -> dict[str, Any]:
        """The tariff, the billed sensors and the cycle so far."""
        coordinator = self.coordinator
        house = coordinator.household
        data = coordinator.data
        so_far = None if data is None else data.so_far
        return {
            "tariff": house.tariff.as_dict(),
            "entities": list(house.entities),
            "method": str(house.method),
            "last_update_success": coordinator.last_update_success,
            "cycle": None
            if so_far is None
            else {
                "start": so_far.cycle.start.isoformat(),
                "end": so_far.cycle.end.isoformat(),
                "counted_from": so_far.counted_from.isoformat(),
                "statistics_start": None
                if so_far.statistics_start is None
                else so_far.statistics_start.isoformat(),
                "energy_kwh": so_far.energy_kwh,
                "bill": so_far.bill.as_dict(),
                "complete_days": len(so_far.daily),
            },
        }


async def async_setup_source(
    hass: HomeAssistant, entry: IntelergyConfigEntry
) -> BillingData:
    """Read the statistics once; then after every 5-minute compile."""
    if not recorder_loaded(hass):
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN, translation_key="billing_no_recorder"
        )
    try:
        house = household(entry)
    except (TariffError, KeyError, ValueError) as err:
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="billing_invalid_tariff",
            translation_placeholders={"error": str(err)},
        ) from err
    coordinator = BillingCoordinator(hass, entry, house)
    await coordinator.async_config_entry_first_refresh()
    entry.async_on_unload(coordinator.async_start())
    entry.async_on_unload(_follow_renames(hass, entry, house.entities))
    registry = er.async_get(hass)
    billed = []
    for meter in meters(hass, house.entities):
        registered = registry.async_get(meter.entity_id)
        key = meter.entity_id if registered is None else registered.id
        billed.append((key, meter.entity_id, meter.name))
    info = DeviceInfo(
        identifiers={(DOMAIN, f"billing_{entry.entry_id}")},
        entry_type=DeviceEntryType.SERVICE,
        manufacturer="Intelergy",
        model="Electricity bill",
        name=entry.title,
    )
    return BillingData(coordinator, info, tuple(billed))


def _follow_renames(
    hass: HomeAssistant, entry: IntelergyConfigEntry, entity_ids: Sequence[str]
) -> CALLBACK_TYPE:
    """A billed sensor renamed (new entity id): the entry follows and reloads.

    The recorder renames the sensor's statistics along with it.
    """

    @callback
    def _renamed(event: Event[er.EventEntityRegistryUpdatedData]) -> None:
        data = event.data
        if data["action"] != "update" or "old_entity_id" not in data:
            return
        old, new = data["old_entity_id"], data["entity_id"]
        entities = [new if e == old else e for e in entry.options[CONF_ENTITIES]]
        hass.config_entries.async_update_entry(
            entry, options={**entry.options, CONF_ENTITIES: entities}
        )
        hass.config_entries.async_schedule_reload(entry.entry_id)

    return async_track_entity_registry_updated_event(hass, entity_ids, _renamed)


ENTRY_KIND: Final = EntryKind(
    setup=async_setup_source,
    config_flow=BillingConfigFlow,
    options_flow=BillingOptionsFlow,
)
