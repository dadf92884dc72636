"""What an entry keeps in ``.storage``: one store per entry, saved late, removed with it.

Every kind that persists state (a meter's counter model, ELNET's tracker, an
anomaly monitor's baseline) keeps it in ``.storage/intelergy.<kind>.<entry_id>``
through an ``EntryStore``: one delayed save at a time (not one timer per
reading), an immediate save at shutdown, and removal when the entry is deleted
(``async_remove_entry_store``, every kind's default removal).

A save is at once (a channel's first reading, a decision: reset, glitch,
new cycle; a held track's move), prompt (``delay``: a backlog, a tracker's
reading) or lazy (``LAZY_DELAY``: counters that only moved on, a monitor's
learning). A lazy save costs a crash nothing of the energy: the counters
first catch up with the last totals the recorder has (``stale``: the store
was not written at shutdown; ``meters/coordinator.py``), so a counter the
device keeps adds what it moved since, and one that a power cut resets with
Home Assistant (a plug's) counts its new cycle on top of what was shown. What a crash can lose
is a few minutes of a monitor's learning (``benchmarks/household.py``: a file
write per meter every 10 s was Intelergy's largest CPU cost in a household).
What an entry
keeps apart from its own state (``PARTS``: a meter's built-in anomaly monitors)
is in ``.storage/intelergy.<kind>.<entry_id>.<part>``, removed with it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store

from .const import CONF_KIND, DOMAIN
from .models import IntelergyConfigEntry

STORAGE_VERSION: Final = 1
# Written with every save: True by ``async_save`` (at unload and shutdown, or a
# kind that saves each change at once), False by a delayed save. A store read
# back with False is what a crash or a power cut left behind (``stale``).
CLEAN: Final = "final"
LAZY_DELAY: Final = 300.0  # s: a save nothing is waiting for
# What an entry may keep beside its own state, each in a store of its own.
PART_ANOMALY: Final = "anomaly"  # a meter's built-in anomaly monitors
PARTS: Final = (PART_ANOMALY,)


def storage_key(kind: str, entry_id: str, part: str | None = None) -> str:
    """The ``.storage`` key of an entry's state (or of one of its ``PARTS``)."""
    key = f"{DOMAIN}.{kind}.{entry_id}"
    return key if part is None else f"{key}.{part}"


class EntryStore:
    """An entry's store and the function that gives what to save."""

    def __init__(
        self,
        hass: HomeAssistant,
        kind: str,
        entry_id: str,
        delay: float = 10,
        part: str | None = None,
    ) -> None:
        """The store of ``kind``'s entry ``entry_id`` (or its ``part``); saves late.

        ``delay``: seconds from the first change to the save.
        """
        self.store = Store[dict[str, Any]](
            hass, STORAGE_VERSION, storage_key(kind, entry_id, part)
        )
        self.delay = delay
        self._data: Callable[[], dict[str, Any]] | None = None
        self._due: float | None = None  # the loop time of the save scheduled
        self.stale = False  # async_load: saved, but not by the last shutdown

    async def async_load(self) -> dict[str, Any] | None:
        """What was saved, or ``None``; ``stale`` tells whether it is a crash's."""
        data = await self.store.async_load()
        self.stale = isinstance(data, dict) and data.get(CLEAN) is not True
        return data

    def bind(self, data: Callable[[], dict[str, Any]]) -> None:
        """``data()`` is what every save writes."""
        self._data = data

    def schedule_save(self, *, lazy: bool = False, at_once: bool = False) -> None:
        """Save within ``delay`` s (``lazy``: ``LAZY_DELAY``; ``at_once``: now).

        One timer at a time: a sooner save brings a later one forward; nothing
        puts a save off.
        """
        if self._data is None:
            return
        delay = 0.0 if at_once else LAZY_DELAY if lazy else self.delay
        now = self.store.hass.loop.time()
        if self._due is not None and self._due <= now + delay:
            return
        self._due = now + delay
        data = self._data

        def _data() -> dict[str, Any]:
            self._due = None
            return {**data(), CLEAN: False}

        self.store.async_delay_save(_data, delay)

    async def async_save(self) -> None:
        """Save now: the entry unloads, Home Assistant stops (a clean save)."""
        if self._data is not None:
            self._due = None
            await self.store.async_save({**self._data(), CLEAN: True})


async def async_remove_entry_store(
    hass: HomeAssistant, entry: IntelergyConfigEntry
) -> None:
    """Delete what a removed entry kept, its parts too (every kind's default removal)."""
    for part in (None, *PARTS):
        await Store[dict[str, Any]](
            hass,
            STORAGE_VERSION,
            storage_key(entry.data[CONF_KIND], entry.entry_id, part),
        ).async_remove()
