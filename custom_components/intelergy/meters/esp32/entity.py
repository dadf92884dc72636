"""ESP32 meter sensor and relay switch entities."""

from __future__ import annotations

from typing import Any

from homeassistant.components.sensor import SensorEntity
from homeassistant.components.switch import SwitchEntity
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import EntityDescription

from ...entity import IntelergyEntity
from .coordinator import Esp32Coordinator
from .descriptions import MeterSensorDescription


class MeterEntity(IntelergyEntity[Esp32Coordinator]):
    """Available while the meter is (its Last Will, its telemetry, the broker).

    Unique id ``<prefix>/<device_id>_<key>`` (the entry's unique id).
    """

    @property
    def available(self) -> bool:
        """The meter's availability, not a poll's success."""
        return self.coordinator.available


class MeterSensor(MeterEntity, SensorEntity):
    """A measurement of the meter."""

    entity_description: MeterSensorDescription

    @property
    def native_value(self) -> float | str | None:
        """The value of the last accepted reading."""
        return self.entity_description.value_fn(self.coordinator.data)


class MeterRelay(MeterEntity, SwitchEntity):
    """A relay of the meter: its state is what the meter last published, never assumed."""

    def __init__(
        self,
        coordinator: Esp32Coordinator,
        description: EntityDescription,
        device_info: DeviceInfo,
        index: int,
    ) -> None:
        """Relay ``index`` (0-based, as on the topics)."""
        super().__init__(coordinator, description, device_info)
        self._index = index

    @property
    def is_on(self) -> bool | None:
        """As the meter said on ``…/relay/<n>`` (or in its telemetry)."""
        return self.coordinator.data.relays.get(self._index)

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Publish ``ON`` on ``…/relay/<n>/set``."""
        await self.coordinator.async_set_relay(self._index, True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Publish ``OFF`` on ``…/relay/<n>/set``."""
        await self.coordinator.async_set_relay(self._index, False)
