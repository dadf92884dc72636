"""EntryStore: one delayed save at a time, prompt or lazy (storage.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.intelergy.const import DOMAIN
from custom_components.intelergy.core.counter import CounterSemantics, CounterSpec
from custom_components.intelergy.meters.coordinator import MeteredCoordinator
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


async def test_a_meter_saves_lazily_only_a_counter_its_device_keeps(
    hass: HomeAssistant, hass_storage: dict[str, Any], freezer: FrozenDateTimeFactory
) -> None:
    """A counter that starts from 0 at boot is saved promptly (a power cut).

    A power cut takes Home Assistant and a plug down together: what the plug
    counted after the last save is gone with its counter, so its counters are
    saved within ``delay``; a persistent counter's within ``LAZY_DELAY``.
    """
    entry = MockConfigEntry(domain=DOMAIN, data={})
    entry.add_to_hass(hass)
    saved: dict[CounterSemantics, str] = {}
    coordinators = {}
    for semantics in (CounterSemantics.VOLATILE, CounterSemantics.PERSISTENT):
        store = EntryStore(hass, "meter", semantics.value, delay=10)
        saved[semantics] = storage_key("meter", semantics.value)
        coordinators[semantics] = MeteredCoordinator[None](
            hass,
            entry,
            name=semantics.value,
            spec=CounterSpec(semantics, max_power_w=3600.0),
            store=store,
            stored=None,
        )
    for coordinator in coordinators.values():
        now = dt_util.utcnow().timestamp()
        for n, counter in enumerate((100.0, 150.0)):
            update = coordinator.totalizer.update(
                now + 60 * n, 1000.0 + 60 * n, {0: counter}
            )
            assert update.changed
            assert not update.decisions
            coordinator.counted(update, "test", "Wh")
    await tick(hass, freezer, 11)
    assert saved[CounterSemantics.VOLATILE] in hass_storage
    assert saved[CounterSemantics.PERSISTENT] not in hass_storage
    await tick(hass, freezer, LAZY_DELAY)
    assert saved[CounterSemantics.PERSISTENT] in hass_storage
