"""Anomaly monitor config-flow steps: which sensors (or an offered one), and options."""

from __future__ import annotations

from typing import Any, Final

from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.config_entries import ConfigFlow, ConfigFlowResult
from homeassistant.helpers import selector
import probatio

from ...const import CONF_KIND, KIND_ANOMALY
from ...flow_helpers import KindOptionsFlow, number_box
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
        ): number_box(1.1, 100, 0.1, "x"),
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
        ): number_box(1.1, 100, 0.1, "x"),
    }
)


def options_with_defaults(options: dict[str, Any]) -> dict[str, Any]:
    """The entry's options, defaults filled in, for the options form."""
    return {key: options.get(key, value) for key, value in DEFAULTS.items()}


class AnomalyConfigFlow(ConfigFlow):
    """Steps of an anomaly monitor: a sensor picked, or one offered by discovery."""

    _monitor: dict[str, Any]

    async def async_step_anomaly(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The power sensor to watch (any integration's)."""
        if user_input is not None:
            return await self._async_create_monitor(user_input)
        return self.async_show_form(step_id="anomaly", data_schema=USER_SCHEMA)

    async def async_step_integration_discovery(
        self, discovery_info: dict[str, Any]
    ) -> ConfigFlowResult:
        """An Intelergy power sensor without a monitor: offer one."""
        await self.async_set_unique_id(f"anomaly:{discovery_info[CONF_POWER_ENTITY]}")
        self._abort_if_unique_id_configured()
        self._monitor = dict(discovery_info)
        state = self.hass.states.get(discovery_info[CONF_POWER_ENTITY])
        self.context["title_placeholders"] = {
            "name": state.name if state else discovery_info[CONF_POWER_ENTITY]
        }
        return await self.async_step_anomaly_confirm()

    async def async_step_anomaly_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Confirm a monitor offered for an Intelergy device."""
        if user_input is not None:
            return await self._async_create_monitor(self._monitor)
        return self.async_show_form(
            step_id="anomaly_confirm",
            data_schema=CONFIRM_SCHEMA,
            description_placeholders=dict(self.context["title_placeholders"]),
        )

    async def _async_create_monitor(self, data: dict[str, Any]) -> ConfigFlowResult:
        power = data[CONF_POWER_ENTITY]
        # A monitor added by hand replaces the one offered for the same sensor.
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
        """The detectors' thresholds."""
        return self._options_form(
            step_id="anomaly",
            schema=OPTIONS_SCHEMA,
            values=options_with_defaults(dict(self.config_entry.options)),
            user_input=user_input,
        )
