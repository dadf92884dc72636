"""What every kind's config and options steps share: fields, the room, option forms."""

from __future__ import annotations

from typing import Any, Final, Literal

from homeassistant.config_entries import ConfigFlowResult, OptionsFlow
from homeassistant.core import HomeAssistant
from homeassistant.helpers import area_registry as ar, selector
import probatio

from .const import CONF_AREA_ID, CONF_ROOM

ROOM_FIELD: Final = {probatio.Optional(CONF_ROOM): selector.TextSelector()}


def number_box(
    low: float,
    high: float | None = None,
    step: float | Literal["any"] = "any",
    unit: str | None = None,
) -> selector.NumberSelector:
    """A number typed into a box, within ``low``..``high``."""
    config = selector.NumberSelectorConfig(
        min=low, step=step, mode=selector.NumberSelectorMode.BOX
    )
    if high is not None:
        config["max"] = high
    if unit:
        config["unit_of_measurement"] = unit
    return selector.NumberSelector(config)


def whole_number(low: int, high: int, unit: str | None = None) -> Any:
    """A whole number typed into a box (stored as ``int``)."""
    return probatio.All(number_box(low, high, 1, unit), probatio.Coerce(int))


def with_area(
    hass: HomeAssistant, data: dict[str, Any], room: str | None
) -> dict[str, Any]:
    """``data`` with the id of the area called ``room`` (created when missing)."""
    if room and room.strip():
        data[CONF_AREA_ID] = ar.async_get(hass).async_get_or_create(room.strip()).id
    return data


class KindOptionsFlow(OptionsFlow):
    """An options step that is one plain form over the entry's options."""

    def _options_form(
        self,
        *,
        step_id: str,
        schema: probatio.Schema,
        values: dict[str, Any],
        user_input: dict[str, Any] | None,
    ) -> ConfigFlowResult:
        """Store ``user_input``, or show ``schema`` filled with ``values``."""
        if user_input is not None:
            return self.async_create_entry(data=user_input)
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(schema, values),
        )
