"""ELNET in the logbook: quiet while readings arrive, an entry when something happens.

Home Assistant's logbook leaves out sensors with a unit, a state class or a
numeric device class (homeassistant/components/logbook/helpers.py,
``is_sensor_continuous``); a timestamp sensor is none of those, so *Last meter
update* (a new time every reading) is disabled by default, and *Balance runs
out* moves only when its estimate moves by an hour.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.logbook.helpers import async_determine_event_types
from homeassistant.components.logbook.processor import EventProcessor
from homeassistant.components.recorder import Recorder, get_instance
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.intelergy.const import DOMAIN
from simulators.elnet import GENERATOR, ElnetSimulator
from tests.conftest import ELNET_SERIAL
from tests.recorder import HOUR, auto_enable_custom_integrations  # noqa: F401

from .common import entity_id, poll, setup

START = HOUR + timedelta(minutes=1)


async def logbook(hass: HomeAssistant, entity_ids: list[str]) -> list[dict[str, Any]]:
    """The logbook's entries for ``entity_ids`` since ``START``, as its panel reads them."""
    processor = EventProcessor(
        hass,
        async_determine_event_types(hass, entity_ids, None),
        entity_ids,
        None,
        None,
        timestamp=True,
        include_entity_name=False,
    )
    entries: list[dict[str, Any]] = await get_instance(hass).async_add_executor_job(
        processor.get_events, START, dt_util.utcnow() + timedelta(seconds=1)
    )
    return entries


async def test_readings_leave_the_logbook_quiet(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    elnet_sim: ElnetSimulator,
    elnet_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    freezer.move_to(START)
    assert await async_setup_component(hass, "logbook", {})
    await setup(hass, elnet_entry)
    entity_ids = [
        entry.entity_id
        for entry in er.async_entries_for_config_entry(
            er.async_get(hass), elnet_entry.entry_id
        )
    ]
    # Ten minutes of readings every 30 s: registers, balance, costs and
    # UpdatedOn move on every one.
    for _ in range(20):
        freezer.tick(timedelta(seconds=30))
        elnet_sim.advance(30, load_kw=1.5)
        await poll(hass, elnet_entry)
    await async_wait_recording_done(hass)
    assert await logbook(hass, entity_ids) == []

    # Something that happens: the supply goes over to the generator.
    freezer.tick(timedelta(seconds=30))
    elnet_sim.set_supply(GENERATOR)
    elnet_sim.advance(30)
    await poll(hass, elnet_entry)
    await async_wait_recording_done(hass)
    entries = await logbook(hass, entity_ids)
    started = elnet_sim.updated_on.replace(tzinfo=dt_util.get_default_time_zone())
    assert [(e["entity_id"], e["state"]) for e in entries] == [
        (entity_id(hass, "sensor", "power_source"), "generator"),
        (
            entity_id(hass, "sensor", "generator_since"),
            dt_util.as_utc(started).isoformat(),
        ),
    ]


async def test_last_meter_update_would_log_every_reading(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    elnet_sim: ElnetSimulator,
    elnet_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Why it is disabled: enabled, it writes an entry per reading."""
    freezer.move_to(START)
    assert await async_setup_component(hass, "logbook", {})
    er.async_get(hass).async_get_or_create(
        "sensor",
        DOMAIN,
        f"{ELNET_SERIAL}_last_update",
        config_entry=elnet_entry,
        disabled_by=None,
    )
    await setup(hass, elnet_entry)
    for _ in range(5):
        freezer.tick(timedelta(seconds=30))
        elnet_sim.advance(30)
        await poll(hass, elnet_entry)
    await async_wait_recording_done(hass)
    entries = await logbook(hass, [entity_id(hass, "sensor", "last_update")])
    assert len(entries) == 5
