"""PZEM-004T entities as data: what each reads from ``PzemData``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.binary_sensor import BinarySensorEntityDescription
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.components.sensor import SensorEntityDescription

from ...quantities import quantity
from .coordinator import PzemData


@dataclass(frozen=True, kw_only=True)
class PzemSensorDescription(SensorEntityDescription):
    """A sensor reading one value of ``PzemData``."""

    value_fn: Callable[[PzemData], float]


SENSORS: tuple[PzemSensorDescription, ...] = (
    PzemSensorDescription(**quantity("voltage"), value_fn=lambda d: d.reading.voltage),
    PzemSensorDescription(**quantity("current"), value_fn=lambda d: d.reading.current),
    PzemSensorDescription(**quantity("power"), value_fn=lambda d: d.reading.power),
    PzemSensorDescription(**quantity("energy"), value_fn=lambda d: d.energy_kwh),
    PzemSensorDescription(
        **quantity("frequency"), value_fn=lambda d: d.reading.frequency
    ),
    PzemSensorDescription(
        **quantity("power_factor"), value_fn=lambda d: d.reading.power_factor
    ),
)

ALARM = BinarySensorEntityDescription(
    key="power_alarm",
    translation_key="power_alarm",
    device_class=BinarySensorDeviceClass.PROBLEM,
)
