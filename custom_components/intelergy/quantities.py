"""How every source presents the same electrical quantities to Home Assistant.

Device class, state class, unit and display precision per quantity, so that a
Shelly's power and an ESP32 meter's power look the same in HA and in the
Energy dashboard. Sources add their own ``value_fn``.

Power, energy, voltage and current are a meter's primary values. Power factor
and frequency are secondary: diagnostic entities (on the device's page, recorded
as usual, left off auto-generated dashboards). A strip shows what is the same on
every outlet once, for the device (meters/shelly/descriptions.py).
"""

from __future__ import annotations

from typing import Any, Final

from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import (
    SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
    EntityCategory,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfEnergy,
    UnitOfFrequency,
    UnitOfPower,
)

_MEASUREMENT: Final = SensorStateClass.MEASUREMENT
QUANTITIES: Final[dict[str, dict[str, Any]]] = {
    "power": {
        "device_class": SensorDeviceClass.POWER,
        "state_class": _MEASUREMENT,
        "native_unit_of_measurement": UnitOfPower.WATT,
        "suggested_display_precision": 1,
    },
    # Cumulative, never going down: what the Energy dashboard takes.
    "energy": {
        "device_class": SensorDeviceClass.ENERGY,
        "state_class": SensorStateClass.TOTAL_INCREASING,
        "native_unit_of_measurement": UnitOfEnergy.KILO_WATT_HOUR,
        "suggested_display_precision": 3,
    },
    "voltage": {
        "device_class": SensorDeviceClass.VOLTAGE,
        "state_class": _MEASUREMENT,
        "native_unit_of_measurement": UnitOfElectricPotential.VOLT,
        "suggested_display_precision": 1,
    },
    "current": {
        "device_class": SensorDeviceClass.CURRENT,
        "state_class": _MEASUREMENT,
        "native_unit_of_measurement": UnitOfElectricCurrent.AMPERE,
        "suggested_display_precision": 3,
    },
    # Reported from -1 to 1: no unit.
    "power_factor": {
        "device_class": SensorDeviceClass.POWER_FACTOR,
        "state_class": _MEASUREMENT,
        "suggested_display_precision": 2,
        "entity_category": EntityCategory.DIAGNOSTIC,
    },
    # The supply's, the same on every meter of the house.
    "frequency": {
        "device_class": SensorDeviceClass.FREQUENCY,
        "state_class": _MEASUREMENT,
        "native_unit_of_measurement": UnitOfFrequency.HERTZ,
        "suggested_display_precision": 2,
        "entity_category": EntityCategory.DIAGNOSTIC,
    },
    "rssi": {
        "device_class": SensorDeviceClass.SIGNAL_STRENGTH,
        "state_class": _MEASUREMENT,
        "native_unit_of_measurement": SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
        "entity_category": EntityCategory.DIAGNOSTIC,
    },
}


def quantity(key: str) -> dict[str, Any]:
    """Entity description fields for ``key`` (also its key and translation key)."""
    return {"key": key, "translation_key": key, **QUANTITIES[key]}
