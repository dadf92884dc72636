"""Anomaly monitor config-flow pieces: which sensors, and the detector's settings."""

from __future__ import annotations

from typing import Any, Final

from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.helpers import selector
import probatio

from .const import (
    CONF_CURRENT_ENTITY,
    CONF_CURRENT_MAX,
    CONF_DAILY_FACTOR,
    CONF_DEBOUNCE,
    CONF_ENERGY_ENTITY,
    CONF_K,
    CONF_MAX_RUN_MINUTES,
    CONF_MIN_WATTS,
    CONF_POWER_ENTITY,
    CONF_RUN_FACTOR,
    CONF_VOLTAGE_ENTITY,
    CONF_VOLTAGE_HIGH,
    CONF_VOLTAGE_LOW,
)


def _sensor(device_class: SensorDeviceClass) -> selector.EntitySelector:
    return selector.EntitySelector(
        selector.EntitySelectorConfig(domain="sensor", device_class=device_class.value)
    )


def _number(low: float, high: float, step: float, unit: str | None = None) -> Any:
    config = selector.NumberSelectorConfig(
        min=low, max=high, step=step, mode=selector.NumberSelectorMode.BOX
    )
    if unit:
        config["unit_of_measurement"] = unit
    return selector.NumberSelector(config)


USER_SCHEMA: Final = probatio.Schema(
    {
        probatio.Required(CONF_POWER_ENTITY): _sensor(SensorDeviceClass.POWER),
        probatio.Optional(CONF_VOLTAGE_ENTITY): _sensor(SensorDeviceClass.VOLTAGE),
        probatio.Optional(CONF_CURRENT_ENTITY): _sensor(SensorDeviceClass.CURRENT),
        probatio.Optional(CONF_ENERGY_ENTITY): _sensor(SensorDeviceClass.ENERGY),
    }
)
CONFIRM_SCHEMA: Final = probatio.Schema({})
DEFAULTS: Final[dict[str, float]] = {
    CONF_K: 2.0,
    CONF_MIN_WATTS: 100.0,
    CONF_DEBOUNCE: 30.0,
    CONF_MAX_RUN_MINUTES: 0.0,
    CONF_RUN_FACTOR: 3.0,
    CONF_VOLTAGE_LOW: 207.0,
    CONF_VOLTAGE_HIGH: 253.0,
    CONF_CURRENT_MAX: 16.0,
    CONF_DAILY_FACTOR: 1.5,
}
OPTIONS_SCHEMA: Final = probatio.Schema(
    {
        probatio.Required(CONF_K, default=DEFAULTS[CONF_K]): _number(1.1, 20, 0.1, "x"),
        probatio.Required(CONF_MIN_WATTS, default=DEFAULTS[CONF_MIN_WATTS]): _number(
            0, 100000, 1, "W"
        ),
        probatio.Required(CONF_DEBOUNCE, default=DEFAULTS[CONF_DEBOUNCE]): _number(
            0, 3600, 1, "s"
        ),
        probatio.Required(
            CONF_MAX_RUN_MINUTES, default=DEFAULTS[CONF_MAX_RUN_MINUTES]
        ): _number(0, 10080, 1, "min"),
        probatio.Required(CONF_RUN_FACTOR, default=DEFAULTS[CONF_RUN_FACTOR]): _number(
            1.1, 100, 0.1, "x"
        ),
        probatio.Required(
            CONF_VOLTAGE_LOW, default=DEFAULTS[CONF_VOLTAGE_LOW]
        ): _number(0, 1000, 1, "V"),
        probatio.Required(
            CONF_VOLTAGE_HIGH, default=DEFAULTS[CONF_VOLTAGE_HIGH]
        ): _number(0, 1000, 1, "V"),
        probatio.Required(
            CONF_CURRENT_MAX, default=DEFAULTS[CONF_CURRENT_MAX]
        ): _number(0, 1000, 0.1, "A"),
        probatio.Required(
            CONF_DAILY_FACTOR, default=DEFAULTS[CONF_DAILY_FACTOR]
        ): _number(1.1, 100, 0.1, "x"),
    }
)


def options_with_defaults(options: dict[str, Any]) -> dict[str, Any]:
    """The entry's options, defaults filled in, for the options form."""
    return {key: options.get(key, value) for key, value in DEFAULTS.items()}
