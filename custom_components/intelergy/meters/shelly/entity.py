"""Shelly switch, sensor and binary sensor entities."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from homeassistant.components.binary_sensor import BinarySensorEntity
from homeassistant.components.sensor import SensorEntity
from homeassistant.components.switch import SwitchEntity
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import EntityDescription

from ...core.shelly.client import ChannelStatus
from ...entity import IntelergyEntity
from .const import CONF_GEN
from .coordinator import ShellyCoordinator
from .descriptions import (
    ChannelBinarySensorDescription,
    ChannelSensorDescription,
    DeviceBinarySensorDescription,
    DeviceSensorDescription,
)


def outlet_number(gen: int, channel: int) -> int:
    """An outlet's number as the device itself counts them.

    Gen2+ number their ``switch:<id>`` components from 0, Gen1 their channels from
    1 (``relays[0]`` is channel 1), as Home Assistant's own Shelly integration
    names them ("Output 0", "channel 1"). A default name then never repeats the
    number of a name given on the device ("Switch 1 name" is ``switch:1``).
    """
    return channel if gen >= 2 else channel + 1


def outlet_label(gen: int, channel: ChannelStatus) -> tuple[str, str]:
    """How a strip's outlet names its entities: (translation variant, placeholder).

    ``("named", "Lamp")`` for a name set on the device, else ``("outlet", "2")``
    with the outlet's number as the device counts it.
    """
    if channel.name:
        return "named", channel.name
    return "outlet", str(outlet_number(gen, channel.id))


class ShellyChannelEntity(IntelergyEntity[ShellyCoordinator]):
    """An entity of one relay channel.

    On a single-channel device it is named after what it measures ("Power"); on a
    strip after its outlet: the name set on the device ("Lamp power"), else the
    outlet's number as the device counts them ("Outlet 2 power": ``switch:2`` of a
    Gen2+ strip). On a strip an outlet's secondary values (``on_strip=False``:
    voltage, current, power factor, frequency) are disabled by default.
    """

    _named_after_device = False

    def __init__(
        self,
        coordinator: ShellyCoordinator,
        description: EntityDescription,
        device_info: DeviceInfo,
        *,
        mac: str,
        channel: ChannelStatus,
        multichannel: bool,
    ) -> None:
        """Entity of ``channel``; its unique id is ``<mac>_<channel>_<key>``."""
        super().__init__(coordinator, description, device_info, f"{mac}_{channel.id}")
        self._channel_id = channel.id
        if multichannel:
            gen = int(coordinator.config_entry.data[CONF_GEN])
            variant, name = outlet_label(gen, channel)
            self._attr_translation_key = f"{variant}_{description.translation_key}"
            self._attr_translation_placeholders = {"channel": name}
            if (
                isinstance(description, ChannelSensorDescription)
                and not description.on_strip
            ):
                self._attr_entity_registry_enabled_default = False
        elif self._named_after_device:
            self._attr_name = None

    @property
    def channel(self) -> ChannelStatus | None:
        """This channel in the last status."""
        for channel in self.coordinator.data.status.channels:
            if channel.id == self._channel_id:
                return channel
        return None

    @property
    def available(self) -> bool:
        """Unavailable while the device is unreachable."""
        return super().available and self.channel is not None


class ShellySwitch(ShellyChannelEntity, SwitchEntity):
    """The relay of a channel; its state always comes from the device."""

    # A single-channel device's relay takes the device's own name.
    _named_after_device = True

    @property
    def is_on(self) -> bool | None:
        """Relay state as last reported."""
        return None if (channel := self.channel) is None else channel.output

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Close the relay."""
        await self.coordinator.async_set_output(self._channel_id, True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Open the relay."""
        await self.coordinator.async_set_output(self._channel_id, False)


class ShellyChannelSensor(ShellyChannelEntity, SensorEntity):
    """A measurement of one channel."""

    entity_description: ChannelSensorDescription

    @property
    def native_value(self) -> float | None:
        """The value in the last status."""
        if (channel := self.channel) is None:
            return None
        return self.entity_description.value_fn(channel, self.coordinator.data)


class ShellyChannelBinarySensor(ShellyChannelEntity, BinarySensorEntity):
    """A problem flag of one channel."""

    entity_description: ChannelBinarySensorDescription

    @property
    def is_on(self) -> bool | None:
        """The flag in the last status."""
        if (channel := self.channel) is None:
            return None
        return self.entity_description.value_fn(channel)


class ShellyDeviceSensor(IntelergyEntity[ShellyCoordinator], SensorEntity):
    """A value of the whole device."""

    entity_description: DeviceSensorDescription

    @property
    def native_value(self) -> float | datetime | None:
        """The value in the last status."""
        return self.entity_description.value_fn(self.coordinator.data)


class ShellyDeviceBinarySensor(IntelergyEntity[ShellyCoordinator], BinarySensorEntity):
    """A problem flag of the whole device."""

    entity_description: DeviceBinarySensorDescription

    @property
    def is_on(self) -> bool:
        """The flag in the last status."""
        return self.entity_description.value_fn(self.coordinator.data)
