"""Anomaly monitor config-flow steps: which sensors, and options; a meter's section.

A monitor entry watches any integration's power sensor. Intelergy's own meters
(Shelly, ESP32, PZEM) run a monitor per power sensor themselves (meter.py),
switched and tuned in their options (``meter_section()``); a monitor entry for
one of their sensors takes that monitor's place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.config_entries import ConfigFlow, ConfigFlowResult
from homeassistant.data_entry_flow import section
from homeassistant.helpers import selector
import probatio

from ...const import CONF_KIND, KIND_ANOMALY
from ...core.anomaly import CATEGORIES, category_config
from ...core.anomaly.categories import OTHER
from ...flow_helpers import KindOptionsFlow, number_box
from .const import (
    CONF_CATEGORY,
    CONF_CURRENT_ENTITY,
    CONF_CURRENT_MAX,
    CONF_DAILY_FACTOR,
    CONF_DEBOUNCE,
    CONF_ENERGY_ENTITY,
    CONF_K,
    CONF_MAX_RUN_MINUTES,
    CONF_MIN_WATTS,
    CONF_MONITOR,
    CONF_MONITOR_SECTION,
    CONF_POWER_ENTITY,
    CONF_RUN_FACTOR,
    CONF_UNUSUAL_TIME,
    CONF_VOLTAGE_ENTITY,
    CONF_VOLTAGE_HIGH,
    CONF_VOLTAGE_LOW,
)
from .meter import meter_settings


def _sensor(device_class: SensorDeviceClass) -> selector.EntitySelector:
    return selector.EntitySelector(
        selector.EntitySelectorConfig(domain="sensor", device_class=device_class.value)
    )


USER_SCHEMA: Final = probatio.Schema(
    {
        probatio.Required(CONF_POWER_ENTITY): _sensor(SensorDeviceClass.POWER),
        probatio.Optional(CONF_VOLTAGE_ENTITY): _sensor(SensorDeviceClass.VOLTAGE),
        probatio.Optional(CONF_CURRENT_ENTITY): _sensor(SensorDeviceClass.CURRENT),
        probatio.Optional(CONF_ENERGY_ENTITY): _sensor(SensorDeviceClass.ENERGY),
    }
)


def form_defaults(category: str | None) -> dict[str, float]:
    """The thresholds of the options form for a device ``category`` (its defaults).

    In the form's units: minutes of longest run; 0 for a check that is off.
    """
    config = category_config(category)
    return {
        CONF_K: config.k,
        CONF_MIN_WATTS: config.min_watts,
        CONF_DEBOUNCE: config.debounce_s,
        CONF_MAX_RUN_MINUTES: (config.max_run_s or 0.0) / 60,
        CONF_RUN_FACTOR: config.run_factor or 0.0,
        CONF_VOLTAGE_LOW: config.voltage_low or 0.0,
        CONF_VOLTAGE_HIGH: config.voltage_high or 0.0,
        CONF_CURRENT_MAX: config.current_max or 0.0,
        CONF_DAILY_FACTOR: config.daily_factor or 0.0,
    }


# The thresholds of a device of no particular category.
DEFAULTS: Final[dict[str, float]] = form_defaults(OTHER)
# The thresholds a category sets (the others are the same for every category).
CATEGORY_KEYS: Final = frozenset(
    key
    for key in DEFAULTS
    if any(form_defaults(category)[key] != DEFAULTS[key] for category in CATEGORIES)
)
CATEGORY_SELECTOR: Final = selector.SelectSelector(
    selector.SelectSelectorConfig(
        options=list(CATEGORIES),
        mode=selector.SelectSelectorMode.DROPDOWN,
        translation_key="anomaly_category",
    )
)
OPTIONS_SCHEMA: Final = probatio.Schema(
    {
        probatio.Required(CONF_CATEGORY, default=OTHER): CATEGORY_SELECTOR,
        probatio.Required(CONF_K, default=DEFAULTS[CONF_K]): number_box(
            1.1, 20, 0.1, "x"
        ),
        probatio.Required(CONF_MIN_WATTS, default=DEFAULTS[CONF_MIN_WATTS]): number_box(
            0, 100000, 1, "W"
        ),
        probatio.Required(CONF_DEBOUNCE, default=DEFAULTS[CONF_DEBOUNCE]): number_box(
            0, 3600, 1, "s"
        ),
        probatio.Required(
            CONF_MAX_RUN_MINUTES, default=DEFAULTS[CONF_MAX_RUN_MINUTES]
        ): number_box(0, 10080, 1, "min"),
        probatio.Required(
            CONF_RUN_FACTOR, default=DEFAULTS[CONF_RUN_FACTOR]
        ): number_box(0, 100, 0.1, "x"),
        probatio.Required(
            CONF_VOLTAGE_LOW, default=DEFAULTS[CONF_VOLTAGE_LOW]
        ): number_box(0, 1000, 1, "V"),
        probatio.Required(
            CONF_VOLTAGE_HIGH, default=DEFAULTS[CONF_VOLTAGE_HIGH]
        ): number_box(0, 1000, 1, "V"),
        probatio.Required(
            CONF_CURRENT_MAX, default=DEFAULTS[CONF_CURRENT_MAX]
        ): number_box(0, 1000, 0.1, "A"),
        probatio.Required(
            CONF_DAILY_FACTOR, default=DEFAULTS[CONF_DAILY_FACTOR]
        ): number_box(0, 100, 0.1, "x"),
        probatio.Required(CONF_UNUSUAL_TIME, default=False): selector.BooleanSelector(),
    }
)


# A meter's built-in monitor: on, with the thresholds of a monitor entry.
METER_SCHEMA: Final = probatio.Schema(
    {
        probatio.Required(CONF_MONITOR, default=True): selector.BooleanSelector(),
        **OPTIONS_SCHEMA.schema,
    }
)


def options_with_defaults(options: Mapping[str, Any]) -> dict[str, Any]:
    """The entry's options, its category's defaults filled in, for the options form."""
    category = options.get(CONF_CATEGORY) or OTHER
    values: dict[str, Any] = {
        key: options.get(key, value) for key, value in form_defaults(category).items()
    }
    return {
        CONF_CATEGORY: category,
        **values,
        CONF_UNUSUAL_TIME: bool(options.get(CONF_UNUSUAL_TIME, False)),
    }


def settle(submitted: Mapping[str, Any], before: Mapping[str, Any]) -> dict[str, Any]:
    """Submitted options, the thresholds a category sets left to the category.

    A threshold a category sets that was submitted at the default of the
    category chosen before (``before``'s: the form showed it, the user did not
    change it) or of the one chosen now follows the category: it is not
    stored, so the category fills it in (choosing another category and saving
    moves every untouched threshold to its defaults). Any other value is the
    user's and wins whatever the category.
    """
    old = form_defaults(before.get(CONF_CATEGORY) or OTHER)
    new = form_defaults(submitted.get(CONF_CATEGORY) or OTHER)
    return {
        key: value
        for key, value in submitted.items()
        if key not in CATEGORY_KEYS or value not in (old[key], new[key])
    }


def meter_input(
    user_input: dict[str, Any] | None, options: Mapping[str, Any]
) -> dict[str, Any] | None:
    """A meter's submitted options, its monitor section ``settle``d."""
    if user_input is None or not isinstance(
        submitted := user_input.get(CONF_MONITOR_SECTION), Mapping
    ):
        return user_input
    return {
        **user_input,
        CONF_MONITOR_SECTION: settle(submitted, meter_settings(options)),
    }


def meter_section(*, collapsed: bool) -> dict[Any, Any]:
    """A meter's options-form field for its built-in monitor: one section.

    Optional: options saved without it (by an older form, or the API) leave the
    monitor on with the default thresholds.
    """
    return {
        probatio.Optional(CONF_MONITOR_SECTION): section(
            METER_SCHEMA, {"collapsed": collapsed}
        )
    }


def meter_values(options: Mapping[str, Any]) -> dict[str, Any]:
    """The section's values in a meter's options, defaults filled in."""
    settings = meter_settings(options)
    return {
        CONF_MONITOR_SECTION: {
            CONF_MONITOR: settings.get(CONF_MONITOR, True),
            **options_with_defaults(settings),
        }
    }


class AnomalyConfigFlow(ConfigFlow):
    """Steps of an anomaly monitor: the sensors to watch."""

    async def async_step_anomaly(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The power sensor to watch (any integration's)."""
        if user_input is not None:
            return await self._async_create_monitor(user_input)
        return self.async_show_form(step_id="anomaly", data_schema=USER_SCHEMA)

    async def _async_create_monitor(self, data: dict[str, Any]) -> ConfigFlowResult:
        power = data[CONF_POWER_ENTITY]
        await self.async_set_unique_id(f"anomaly:{power}", raise_on_progress=False)
        self._abort_if_unique_id_configured()
        state = self.hass.states.get(power)
        return self.async_create_entry(
            title=f"Anomalies: {state.name if state else power}",
            data={CONF_KIND: KIND_ANOMALY, **{k: v for k, v in data.items() if v}},
            options=options_with_defaults({}),
        )


class AnomalyOptionsFlow(KindOptionsFlow):
    """A monitor's detector thresholds."""

    async def async_step_anomaly(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The device category and the detectors' thresholds."""
        options = dict(self.config_entry.options)
        return self._options_form(
            step_id="anomaly",
            schema=OPTIONS_SCHEMA,
            values=options_with_defaults(options),
            user_input=None if user_input is None else settle(user_input, options),
        )
