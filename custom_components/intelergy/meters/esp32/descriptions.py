"""ESP32 meter entities as data: what each reads from ``MeterData``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.components.switch import SwitchEntityDescription
from homeassistant.components.switch.const import SwitchDeviceClass
from homeassistant.const import EntityCategory

from ...core.esp32.ota import RESULTS
from ...quantities import quantity
from .coordinator import MeterData


@dataclass(frozen=True, kw_only=True)
class MeterSensorDescription(SensorEntityDescription):
    """A sensor reading one value of the last accepted reading."""

    value_fn: Callable[[MeterData], float | str | None]


def _field(name: str) -> Callable[[MeterData], float | None]:
    def value(data: MeterData) -> float | None:
        return None if data.reading is None else getattr(data.reading, name)

    return value


# Power and energy always exist (a reading has at least one of them); the others
# are created when the meter first reports them.
ALWAYS: tuple[str, ...] = ("power", "energy")
SENSORS: dict[str, MeterSensorDescription] = {
    key: MeterSensorDescription(
        **quantity(key),
        value_fn=(lambda data: data.energy) if key == "energy" else _field(key),
    )
    for key in (
        "power",
        "energy",
        "voltage",
        "current",
        "power_factor",
        "frequency",
        "rssi",
    )
}
# What the meter's offline buffer dropped since it booted (the contract's
# ``dropped``): created when a meter first reports it.
SENSORS["dropped"] = MeterSensorDescription(
    key="dropped",
    translation_key="dropped_readings",
    state_class=SensorStateClass.MEASUREMENT,
    entity_category=EntityCategory.DIAGNOSTIC,
    value_fn=lambda data: None if data.reading is None else data.reading.dropped or 0,
)

# The last signed update's outcome (…/ota): created when a meter first reports it.
# A token a newer firmware reports and this contract does not name is "other".
FIRMWARE_RESULTS: Final = (*sorted(RESULTS), "other")
SENSORS["firmware_update"] = MeterSensorDescription(
    key="firmware_update",
    translation_key="firmware_update",
    device_class=SensorDeviceClass.ENUM,
    options=list(FIRMWARE_RESULTS),
    entity_category=EntityCategory.DIAGNOSTIC,
    value_fn=lambda data: (
        None
        if data.ota is None
        else data.ota.result
        if data.ota.known_result
        else "other"
    ),
)


def relay_description(index: int) -> SwitchEntityDescription:
    """The switch of relay ``index``: "Relay 0" for ``…/relay/0``.

    Numbered as the meter numbers them (its topics, its firmware's settings), as a
    Shelly's outlets are (meters/shelly/entity.py, ``outlet_number``).
    """
    return SwitchEntityDescription(
        key=f"relay_{index}",
        translation_key="numbered_relay",
        translation_placeholders={"number": str(index)},
        device_class=SwitchDeviceClass.OUTLET,
    )
