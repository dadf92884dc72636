"""ELNET sensor and binary sensor entities."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from homeassistant.components.binary_sensor import BinarySensorEntity
from homeassistant.components.sensor import SensorDeviceClass, SensorEntity
from homeassistant.helpers.device_registry import DeviceInfo

from ...entity import IntelergyEntity
from .coordinator import ElnetCoordinator
from .descriptions import ElnetBinarySensorDescription, ElnetSensorDescription


class ElnetSensor(IntelergyEntity[ElnetCoordinator], SensorEntity):
    """A value of the ELNET account."""

    entity_description: ElnetSensorDescription

    def __init__(
        self,
        coordinator: ElnetCoordinator,
        description: ElnetSensorDescription,
        device_info: DeviceInfo,
    ) -> None:
        """Monetary sensors are in Home Assistant's configured currency."""
        super().__init__(coordinator, description, device_info)
        if description.device_class is SensorDeviceClass.MONETARY:
            self._attr_native_unit_of_measurement = coordinator.hass.config.currency

    @property
    def native_value(self) -> float | str | datetime | None:
        """The value read from the last accepted reading."""
        return self.entity_description.value_fn(self.coordinator.data)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """The description's attributes (the prepaid sensors: why unknown)."""
        if (fn := self.entity_description.attributes_fn) is None:
            return None
        return fn(self.coordinator.data)

    @property
    def last_reset(self) -> datetime | None:
        """Start of the day / month for costs that reset."""
        if (fn := self.entity_description.last_reset_fn) is None:
            return None
        return fn(self.coordinator.data)


class ElnetBinarySensor(IntelergyEntity[ElnetCoordinator], BinarySensorEntity):
    """A flag of the ELNET account."""

    entity_description: ElnetBinarySensorDescription

    @property
    def is_on(self) -> bool:
        """The flag read from the last accepted reading."""
        return self.entity_description.value_fn(self.coordinator.data)
