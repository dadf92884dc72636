"""ESP32 meter config-flow pieces: schemas and checks of ids and prefixes."""

from __future__ import annotations

from typing import Any, Final, Literal

from homeassistant.helpers import selector
import probatio

from ...core.esp32.client import valid_device_id
from .const import (
    CONF_DEVICE_ID,
    CONF_INTERVAL,
    CONF_MAX_POWER,
    CONF_PREFIX,
    CONF_RELAYS,
    CONF_ROOM,
    CONF_THROTTLE,
    CONF_THROTTLE_ENERGY,
    CONF_THROTTLE_POWER,
    CONF_THROTTLE_SECONDS,
    DEFAULT_INTERVAL,
    DEFAULT_PREFIX,
    DEFAULT_THROTTLE_ENERGY,
    DEFAULT_THROTTLE_POWER,
    DEFAULT_THROTTLE_SECONDS,
    MAX_POWER_W,
    MAX_RELAYS,
)


def _number(
    low: float, high: float, step: float | Literal["any"], unit: str | None = None
) -> Any:
    config = selector.NumberSelectorConfig(
        min=low, max=high, step=step, mode=selector.NumberSelectorMode.BOX
    )
    if unit:
        config["unit_of_measurement"] = unit
    return selector.NumberSelector(config)


INTERVAL_FIELD: Final = {
    probatio.Required(CONF_INTERVAL, default=DEFAULT_INTERVAL): probatio.All(
        _number(1, 3600, 1, "s"), probatio.Coerce(int)
    )
}
ROOM_FIELD: Final = {probatio.Optional(CONF_ROOM): selector.TextSelector()}
USER_SCHEMA: Final = probatio.Schema(
    {
        probatio.Required(CONF_DEVICE_ID): selector.TextSelector(),
        probatio.Required(CONF_PREFIX, default=DEFAULT_PREFIX): selector.TextSelector(),
        **INTERVAL_FIELD,
        probatio.Required(CONF_RELAYS, default=0): probatio.All(
            _number(0, MAX_RELAYS, 1), probatio.Coerce(int)
        ),
        **ROOM_FIELD,
    }
)
CONFIRM_SCHEMA: Final = probatio.Schema({**INTERVAL_FIELD, **ROOM_FIELD})
RECONFIGURE_SCHEMA: Final = probatio.Schema(
    {probatio.Required(CONF_PREFIX, default=DEFAULT_PREFIX): selector.TextSelector()}
)
OPTIONS_SCHEMA: Final = probatio.Schema(
    {
        **INTERVAL_FIELD,
        probatio.Required(CONF_THROTTLE, default=False): selector.BooleanSelector(),
        probatio.Required(
            CONF_THROTTLE_SECONDS, default=DEFAULT_THROTTLE_SECONDS
        ): probatio.All(_number(5, 3600, 1, "s"), probatio.Coerce(int)),
        probatio.Required(CONF_THROTTLE_POWER, default=DEFAULT_THROTTLE_POWER): _number(
            0, 100000, "any", "W"
        ),
        probatio.Required(
            CONF_THROTTLE_ENERGY, default=DEFAULT_THROTTLE_ENERGY
        ): _number(0, 100, "any", "kWh"),
        probatio.Required(CONF_MAX_POWER, default=MAX_POWER_W): _number(
            100, 1_000_000, "any", "W"
        ),
    }
)


def valid_prefix(prefix: str) -> bool:
    """Whether ``prefix`` is one or more plain topic levels (no wildcard, no gap)."""
    return (
        bool(prefix)
        and prefix.isascii()
        and all(
            level and not any(c in level for c in "+# ") for level in prefix.split("/")
        )
    )


def check_ids(device_id: str, prefix: str) -> dict[str, str]:
    """Form errors for a device id and a topic prefix (empty when both are fine)."""
    errors: dict[str, str] = {}
    if not valid_device_id(device_id):
        errors[CONF_DEVICE_ID] = "invalid_device_id"
    if not valid_prefix(prefix):
        errors[CONF_PREFIX] = "invalid_prefix"
    return errors


def options_with_defaults(options: dict[str, Any], interval: int) -> dict[str, Any]:
    """The entry's options, defaults filled in, for the options form."""
    return {
        CONF_INTERVAL: options.get(CONF_INTERVAL, interval),
        CONF_THROTTLE: options.get(CONF_THROTTLE, False),
        CONF_THROTTLE_SECONDS: options.get(
            CONF_THROTTLE_SECONDS, DEFAULT_THROTTLE_SECONDS
        ),
        CONF_THROTTLE_POWER: options.get(CONF_THROTTLE_POWER, DEFAULT_THROTTLE_POWER),
        CONF_THROTTLE_ENERGY: options.get(
            CONF_THROTTLE_ENERGY, DEFAULT_THROTTLE_ENERGY
        ),
        CONF_MAX_POWER: options.get(CONF_MAX_POWER, MAX_POWER_W),
    }
