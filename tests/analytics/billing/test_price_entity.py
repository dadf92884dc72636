"""*Price of the next kWh* is what the Energy dashboard takes as a grid's price entity."""

from __future__ import annotations

from datetime import UTC, datetime

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.energy import data as energy_data
from homeassistant.components.energy.validate import async_validate
from homeassistant.components.recorder import Recorder
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from tests.recorder import auto_enable_custom_integrations  # noqa: F401

from .common import (
    billing_entry,
    energy_sensor,
    import_rows,
    setup_integration,
    usage_rows,
)

OCT = datetime(2026, 10, 1, tzinfo=UTC)
NOW = datetime(2026, 10, 3, 10, 2, tzinfo=UTC)


def grid(price: str) -> dict[str, object]:
    return {
        "type": "grid",
        "stat_energy_from": "sensor.main",
        "stat_energy_to": None,
        "stat_cost": None,
        "entity_energy_price": price,
        "number_energy_price": None,
        "stat_compensation": None,
        "entity_energy_price_export": None,
        "number_energy_price_export": None,
        "cost_adjustment_day": 0.0,
    }


async def test_the_energy_dashboard_accepts_the_price(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    await hass.config.async_set_time_zone("UTC")
    freezer.move_to(NOW)
    energy_sensor(hass, "sensor.main", state=1058.0)
    await import_rows(hass, "sensor.main", usage_rows(OCT, [1.0] * 58))
    entry = billing_entry(hass, ["sensor.main"])
    await setup_integration(hass, entry)
    assert await async_setup_component(hass, "energy", {})
    await async_wait_recording_done(hass)
    price = er.async_get(hass).async_get_entity_id(
        "sensor", "intelergy", f"{entry.entry_id}_next_kwh_price"
    )
    assert price is not None
    state = hass.states.get(price)
    assert state is not None
    # 58 kWh: the first slab, 3.50 + 18 % GST.
    assert state.state == "4.13"
    assert state.attributes["unit_of_measurement"] == "INR/kWh"
    assert "device_class" not in state.attributes
    manager = await energy_data.async_get_manager(hass)
    await manager.async_update({"energy_sources": [grid(price)]})
    await hass.async_block_till_done()
    validation = (await async_validate(hass)).as_dict()
    assert validation["energy_sources"] == [[]], validation
    # The validator does look at the entity: a cost sensor in its place is refused.
    cost = er.async_get(hass).async_get_entity_id(
        "sensor", "intelergy", f"{entry.entry_id}_cost_cycle"
    )
    assert cost is not None
    await manager.async_update({"energy_sources": [grid(cost)]})
    validation = (await async_validate(hass)).as_dict()
    assert [issue["type"] for issue in validation["energy_sources"][0]] == [
        "entity_unexpected_unit_energy_price"
    ]
