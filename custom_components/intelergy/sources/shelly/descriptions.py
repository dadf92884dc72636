"""Shelly entities as data: what each reads from ``ShellyData`` and how HA sees it.

Channel entities read one ``ChannelStatus`` (and the channel's lifetime energy);
device entities read the whole ``ShellyData``. An entity exists only when the
device reports its value in the first status (a Plug S has no voltage meter).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from homeassistant.components.binary_sensor import BinarySensorEntityDescription
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.components.switch import SwitchEntityDescription
from homeassistant.components.switch.const import SwitchDeviceClass
from homeassistant.const import (
    SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
    EntityCategory,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfEnergy,
    UnitOfFrequency,
    UnitOfPower,
    UnitOfTemperature,
)

from .coordinator import ShellyData
from .status import ChannelStatus

type ChannelValue = Callable[[ChannelStatus, ShellyData], float | None]


@dataclass(frozen=True, kw_only=True)
class ChannelSensorDescription(SensorEntityDescription):
    """A sensor of one relay channel."""

    value_fn: ChannelValue


@dataclass(frozen=True, kw_only=True)
class DeviceSensorDescription(SensorEntityDescription):
    """A sensor of the whole device."""

    value_fn: Callable[[ShellyData], float | datetime | None]


@dataclass(frozen=True, kw_only=True)
class ChannelBinarySensorDescription(BinarySensorEntityDescription):
    """A problem flag of one relay channel."""

    value_fn: Callable[[ChannelStatus], bool]


@dataclass(frozen=True, kw_only=True)
class DeviceBinarySensorDescription(BinarySensorEntityDescription):
    """A problem flag of the whole device."""

    value_fn: Callable[[ShellyData], bool]


def _energy(channel: ChannelStatus, data: ShellyData) -> float | None:
    return data.energy_kwh.get(channel.id)


def _measurement(
    key: str,
    device_class: SensorDeviceClass,
    unit: str | None,
    precision: int,
    value_fn: ChannelValue,
) -> ChannelSensorDescription:
    return ChannelSensorDescription(
        key=key,
        translation_key=key,
        device_class=device_class,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=unit,
        suggested_display_precision=precision,
        value_fn=value_fn,
    )


CHANNEL_SENSORS: tuple[ChannelSensorDescription, ...] = (
    _measurement(
        "power",
        SensorDeviceClass.POWER,
        UnitOfPower.WATT,
        1,
        lambda channel, _: channel.power,
    ),
    ChannelSensorDescription(
        key="energy",
        translation_key="energy",
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=3,
        value_fn=_energy,
    ),
    _measurement(
        "voltage",
        SensorDeviceClass.VOLTAGE,
        UnitOfElectricPotential.VOLT,
        1,
        lambda channel, _: channel.voltage,
    ),
    _measurement(
        "current",
        SensorDeviceClass.CURRENT,
        UnitOfElectricCurrent.AMPERE,
        3,
        lambda channel, _: channel.current,
    ),
    # Gen2+ report the power factor from -1 to 1: no unit.
    _measurement(
        "power_factor",
        SensorDeviceClass.POWER_FACTOR,
        None,
        2,
        lambda channel, _: channel.power_factor,
    ),
    _measurement(
        "frequency",
        SensorDeviceClass.FREQUENCY,
        UnitOfFrequency.HERTZ,
        1,
        lambda channel, _: channel.frequency,
    ),
)

DEVICE_SENSORS: tuple[DeviceSensorDescription, ...] = (
    DeviceSensorDescription(
        key="temperature",
        translation_key="device_temperature",
        device_class=SensorDeviceClass.TEMPERATURE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        suggested_display_precision=1,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda data: data.status.temperature,
    ),
    DeviceSensorDescription(
        key="rssi",
        translation_key="rssi",
        device_class=SensorDeviceClass.SIGNAL_STRENGTH,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda data: data.status.rssi,
    ),
    # The uptime as the moment the device started: a timestamp changes only on a
    # reboot, where a seconds counter would write a new state every poll.
    DeviceSensorDescription(
        key="uptime",
        translation_key="last_restart",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda data: data.booted_at,
    ),
)

CHANNEL_BINARY_SENSORS: tuple[ChannelBinarySensorDescription, ...] = (
    ChannelBinarySensorDescription(
        key="overpower",
        translation_key="overpower",
        device_class=BinarySensorDeviceClass.PROBLEM,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda channel: channel.overpower,
    ),
)

DEVICE_BINARY_SENSORS: tuple[DeviceBinarySensorDescription, ...] = (
    DeviceBinarySensorDescription(
        key="overtemperature",
        translation_key="overtemperature",
        device_class=BinarySensorDeviceClass.PROBLEM,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda data: data.status.overtemperature,
    ),
)

RELAY = SwitchEntityDescription(
    key="relay",
    translation_key="relay",
    device_class=SwitchDeviceClass.OUTLET,
)
