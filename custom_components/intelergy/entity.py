"""Base entity shared by every source: device info, naming and availability."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import area_registry as ar, device_registry as dr
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType
from homeassistant.helpers.update_coordinator import (
    CoordinatorEntity,
    DataUpdateCoordinator,
)

from .const import CONF_AREA_ID
from .models import DynamicData, IntelergyConfigEntry


def async_register_device(
    hass: HomeAssistant, entry: IntelergyConfigEntry, info: DeviceInfo
) -> dr.DeviceEntry:
    """The entry's device; the area chosen in the flow is applied once.

    After that the area is the user's to change: the key leaves the entry data.
    """
    registry = dr.async_get(hass)
    device = registry.async_get_or_create(config_entry_id=entry.entry_id, **info)
    if area_id := entry.data.get(CONF_AREA_ID):
        registry.async_update_device(device.id, area_id=area_id)
        hass.config_entries.async_update_entry(
            entry, data={k: v for k, v in entry.data.items() if k != CONF_AREA_ID}
        )
    return device


def room_of(
    hass: HomeAssistant, entry: IntelergyConfigEntry, identifier: tuple[str, str]
) -> str | None:
    """The device's room: the area chosen in the flow, else the device's area now."""
    area_id = entry.data.get(CONF_AREA_ID)
    if area_id is None:
        device = dr.async_get(hass).async_get_device_by_identifier(
            identifier, entry.entry_id
        )
        area_id = None if device is None else device.area_id
    area = None if area_id is None else ar.async_get(hass).async_get_area(area_id)
    return None if area is None else area.name


type Shown = tuple[bool, StateType, Mapping[str, Any] | None]


def shown(entity: Entity) -> Shown:
    """What an entity's state shows: availability, state, extra attributes.

    Every update of a device reaches all its entities (a Gen2+ plug's push:
    about ten), and most show what they showed before. Writing them anyway
    costs Home Assistant's state machine and a ``state_reported`` event each:
    the largest part of a plug's CPU in ``benchmarks/household.py``. Like
    Home Assistant's MQTT entities, an entity writes its state when this
    changed, so its ``last_reported`` moves with its changes only.
    """
    return entity.available, entity.state, entity.extra_state_attributes


type PlatformSetup = Callable[
    [HomeAssistant, IntelergyConfigEntry, AddConfigEntryEntitiesCallback],
    Coroutine[Any, Any, None],
]


def platform_setup(platform: Platform) -> PlatformSetup:
    """A platform's ``async_setup_entry``: the entities the entry's source describes."""

    async def async_setup_entry(
        hass: HomeAssistant,
        entry: IntelergyConfigEntry,
        async_add_entities: AddConfigEntryEntitiesCallback,
    ) -> None:
        source = entry.runtime_data
        async_add_entities(source.entities(platform))
        if isinstance(source, DynamicData):
            source.listen_new_entities(platform, async_add_entities)

    return async_setup_entry


class IntelergyEntity[CoordinatorT: DataUpdateCoordinator[Any]](
    CoordinatorEntity[CoordinatorT]
):
    """An entity fed by a source's coordinator; unavailable when its update fails."""

    _attr_has_entity_name = True

    def __init__(
        self,
        coordinator: CoordinatorT,
        description: EntityDescription,
        device_info: DeviceInfo,
        unique_id_prefix: str | None = None,
    ) -> None:
        """Describe the entity and tie it to its device.

        Its unique id is ``<prefix>_<key>``. The prefix is the config entry's unique
        id (its entry id for an entry without one: billing), unless the caller
        gives another (a Shelly's channel entities: ``<mac>_<channel>``).
        """
        super().__init__(coordinator)
        if unique_id_prefix is None:
            entry = coordinator.config_entry
            assert entry is not None  # noqa: S101  (every source's coordinator has one)
            unique_id_prefix = (
                entry.entry_id if entry.unique_id is None else entry.unique_id
            )
        self.entity_description = description
        self._attr_device_info = device_info
        self._attr_unique_id = f"{unique_id_prefix}_{description.key}"
        self._shown: Shown | None = None

    async def async_added_to_hass(self) -> None:
        """Follow the coordinator; the state written next, when added, is shown."""
        await super().async_added_to_hass()
        self._shown = shown(self)

    @callback
    def _handle_coordinator_update(self) -> None:
        """Write the state when what it shows changed (``shown``)."""
        if (now := shown(self)) != self._shown:
            self._shown = now
            self.async_write_ha_state()
