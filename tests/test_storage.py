"""EntryStore: one delayed save at a time, at once, prompt or lazy (storage.py)."""

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
from custom_components.intelergy.storage import (
    CLEAN,
    LAZY_DELAY,
    EntryStore,
    storage_key,
)


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


class _Plug(MeteredCoordinator[None]):
    """A volatile meter whose totals the recorder keeps (as a Shelly's)."""

    def energy_unique_ids(self) -> dict[int, str]:
        return {0: "plug_0_energy"}


async def test_a_meter_saves_at_once_after_a_decision_and_lazily_otherwise(
    hass: HomeAssistant, hass_storage: dict[str, Any], freezer: FrozenDateTimeFactory
) -> None:
    """First readings and decisions at once; counters that moved on lazily.

    A crash then finds the last decision in the store, and since it only
    counters that moved on: a persistent counter adds what it moved, a volatile
    one with energy sensors catches up from the recorder
    (``MeteredCoordinator._async_setup``). A volatile counter with nothing to
    catch up from is saved promptly.
    """
    entry = MockConfigEntry(domain=DOMAIN, data={})
    entry.add_to_hass(hass)
    cases = {
        "persistent": (MeteredCoordinator[None], CounterSemantics.PERSISTENT),
        "plug": (_Plug, CounterSemantics.VOLATILE),
        "volatile": (MeteredCoordinator[None], CounterSemantics.VOLATILE),
    }
    coordinators: dict[str, MeteredCoordinator[None]] = {}
    for name, (cls, semantics) in cases.items():
        coordinators[name] = cls(
            hass,
            entry,
            name=name,
            spec=CounterSpec(semantics, max_power_w=3600.0),
            store=EntryStore(hass, "meter", name, delay=10),
            stored=None,
        )

    def counters(name: str) -> float | None:
        found = hass_storage.get(storage_key("meter", name))
        return None if found is None else found["data"]["channels"]["0"]["counter"]

    def read(counter: float, seconds: float) -> None:
        now = dt_util.utcnow().timestamp()
        for coordinator in coordinators.values():
            update = coordinator.totalizer.update(now, 1000.0 + seconds, {0: counter})
            coordinator.counted(update, "test", "Wh")

    read(100.0, 0)  # each channel's first reading: its reference, at once
    await tick(hass, freezer, 1)
    assert {name: counters(name) for name in cases} == dict.fromkeys(cases, 100.0)

    await tick(hass, freezer, 59)
    read(150.0, 60)  # moved on
    await tick(hass, freezer, 11)
    assert {name: counters(name) for name in cases} == {
        "persistent": 100.0,
        "plug": 100.0,
        "volatile": 150.0,
    }
    await tick(hass, freezer, LAZY_DELAY)
    assert {name: counters(name) for name in cases} == dict.fromkeys(cases, 150.0)

    await tick(hass, freezer, 49)
    read(160.0, 120)  # moved on: lazy again
    await tick(hass, freezer, 10)
    read(20.0, 10)  # lower, uptime too: a restart (a new cycle or a carry-on)
    await tick(hass, freezer, 1)
    assert {name: counters(name) for name in cases} == dict.fromkeys(cases, 20.0)


async def test_only_a_save_at_shutdown_is_clean(
    hass: HomeAssistant, hass_storage: dict[str, Any], freezer: FrozenDateTimeFactory
) -> None:
    """``stale`` after loading: the store was last written by a delayed save."""
    store = EntryStore(hass, "meter", "entry1", delay=10)
    store.bind(lambda: {"n": 1})
    assert await store.async_load() is None
    assert not store.stale  # nothing saved: nothing to catch up with

    def saved() -> Any:
        return hass_storage[storage_key("meter", "entry1")]["data"]

    store.schedule_save()
    await tick(hass, freezer, 11)
    assert saved() == {"n": 1, CLEAN: False}
    loaded = EntryStore(hass, "meter", "entry1")
    assert await loaded.async_load() == {"n": 1, CLEAN: False}
    assert loaded.stale

    store.schedule_save(lazy=True)
    await store.async_save()  # unload / shutdown
    assert saved() == {"n": 1, CLEAN: True}
    await tick(hass, freezer, LAZY_DELAY + 1)  # the lazy save was taken over
    assert saved() == {"n": 1, CLEAN: True}
    loaded = EntryStore(hass, "meter", "entry1")
    assert await loaded.async_load() == {"n": 1, CLEAN: True}
    assert not loaded.stale
