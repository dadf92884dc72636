"""Shelly entities as data: what each reads from ``ShellyData`` and how HA sees it.

Channel entities read one ``ChannelStatus`` (and the channel's lifetime energy);
device entities read the whole ``ShellyData``. An entity exists only when the
device reports its value in the first status (a Plug S has no voltage meter).

A strip is not a wall of tiles: each outlet shows its relay, power and energy;
what is the same on every outlet (the supply's voltage and frequency) is shown
once, for the device; an outlet's own voltage, current, power factor and
frequency exist but are disabled by default (``on_strip=False``). A single-outlet
plug shows its channel's values as the device's.
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
    EntityCategory,
    UnitOfTemperature,
)

from ...core.shelly.client import ChannelStatus
from ...quantities import quantity
from .coordinator import ShellyData

type ChannelValue = Callable[[ChannelStatus, ShellyData], float | None]
type DeviceValue = Callable[[ShellyData], float | datetime | None]


@dataclass(frozen=True, kw_only=True)
class ChannelSensorDescription(SensorEntityDescription):
    """A sensor of one relay channel.

    ``on_strip``: enabled by default on each outlet of a multi-channel device.
    """

    value_fn: ChannelValue
    on_strip: bool = True


@dataclass(frozen=True, kw_only=True)
class DeviceSensorDescription(SensorEntityDescription):
    """A sensor of the whole device."""

    value_fn: DeviceValue


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


CHANNEL_SENSORS: tuple[ChannelSensorDescription, ...] = (
    ChannelSensorDescription(
        **quantity("power"), value_fn=lambda channel, _: channel.power
    ),
    ChannelSensorDescription(**quantity("energy"), value_fn=_energy),
    ChannelSensorDescription(
        **quantity("voltage"),
        value_fn=lambda channel, _: channel.voltage,
        on_strip=False,
    ),
    # Current, power factor and frequency move with power or hardly at all: off by
    # default, as Home Assistant's Shelly integration has them (a row per push
    # less; benchmarks/household.py).
    ChannelSensorDescription(
        **quantity("current"),
        value_fn=lambda channel, _: channel.current,
        on_strip=False,
        entity_registry_enabled_default=False,
    ),
    ChannelSensorDescription(
        **quantity("power_factor"),
        value_fn=lambda channel, _: channel.power_factor,
        on_strip=False,
        entity_registry_enabled_default=False,
    ),
    ChannelSensorDescription(
        **quantity("frequency"),
        value_fn=lambda channel, _: channel.frequency,
        on_strip=False,
        entity_registry_enabled_default=False,
    ),
)


def _shared(value_fn: Callable[[ChannelStatus], float | None]) -> DeviceValue:
    """A strip's value that every outlet reports alike, from the first that has it.

    ``None`` on a single-channel device: its channel's own entity is the device's.
    """

    def value(data: ShellyData) -> float | None:
        channels = data.status.channels
        if len(channels) < 2:
            return None
        return next(
            (found for c in channels if (found := value_fn(c)) is not None), None
        )

    return value


DEVICE_SENSORS: tuple[DeviceSensorDescription, ...] = (
    # A strip's supply, once (unique ids <mac>_voltage, <mac>_frequency).
    DeviceSensorDescription(
        **quantity("voltage"), value_fn=_shared(lambda channel: channel.voltage)
    ),
    DeviceSensorDescription(
        **quantity("frequency"), value_fn=_shared(lambda channel: channel.frequency)
    ),
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
        **quantity("rssi"),
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
