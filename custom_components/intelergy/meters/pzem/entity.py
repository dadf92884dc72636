"""PZEM-004T sensor and alarm entities."""

from __future__ import annotations

from homeassistant.components.binary_sensor import BinarySensorEntity
from homeassistant.components.sensor import SensorEntity

from ...entity import IntelergyEntity
from .coordinator import PzemCoordinator
from .descriptions import PzemSensorDescription


class PzemEntity(IntelergyEntity[PzemCoordinator]):
    """An entity of the meter; unique id ``<entry unique id>_<key>``."""


class PzemSensor(PzemEntity, SensorEntity):
    """A measurement of the meter."""

    entity_description: PzemSensorDescription

    @property
    def native_value(self) -> float:
        """The value of the last reading."""
        return self.entity_description.value_fn(self.coordinator.data)


class PzemAlarm(PzemEntity, BinarySensorEntity):
    """On while the power is above the meter's alarm threshold."""

    @property
    def is_on(self) -> bool:
        """The alarm register of the last reading."""
        return self.coordinator.data.reading.alarm
