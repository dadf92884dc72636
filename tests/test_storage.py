"""EntryStore: one delayed save at a time, prompt or lazy (storage.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.intelergy.storage import LAZY_DELAY, EntryStore, storage_key


async def tick(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float
) -> None:
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


async def test_lazy_saves_wait_and_prompt_ones_bring_them_forward(
    hass: HomeAssistant, hass_storage: dict[str, Any], freezer: FrozenDateTimeFactory
) -> None:
    store = EntryStore(hass, "meter", "entry1", delay=10)
    key = storage_key("meter", "entry1")
    counter = {"n": 0}
    store.bind(lambda: {"n": counter["n"]})

    def saved() -> int | None:
        found = hass_storage.get(key)
        return None if found is None else found["data"]["n"]

    # A counter that only moved on: saved within LAZY_DELAY, not within delay.
    counter["n"] = 1
    store.schedule_save(lazy=True)
    await tick(hass, freezer, 11)
    assert saved() is None
    counter["n"] = 2
    store.schedule_save(lazy=True)  # still the one timer
    await tick(hass, freezer, LAZY_DELAY - 11 + 1)
    assert saved() == 2

    # A decision (prompt) brings a pending lazy save forward; a lazy one after it
    # does not put it off.
    counter["n"] = 3
    store.schedule_save(lazy=True)
    await tick(hass, freezer, 5)
    counter["n"] = 4
    store.schedule_save()
    store.schedule_save(lazy=True)
    await tick(hass, freezer, 11)
    assert saved() == 4

    # Shutdown saves at once.
    counter["n"] = 5
    store.schedule_save(lazy=True)
    await store.async_save()
    assert saved() == 5
