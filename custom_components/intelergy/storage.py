"""What an entry keeps in ``.storage``: one store per entry, saved late, removed with it.

Every kind that persists state (a meter's counter model, ELNET's tracker, an
anomaly monitor's baseline) keeps it in ``.storage/intelergy.<kind>.<entry_id>``
through an ``EntryStore``: one delayed save at a time (not one timer per
reading), an immediate save at shutdown, and removal when the entry is deleted
(``async_remove_entry_store``, every kind's default removal). What an entry
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
        self._scheduled = False

    async def async_load(self) -> dict[str, Any] | None:
        """What was saved, or ``None``."""
        return await self.store.async_load()

    def bind(self, data: Callable[[], dict[str, Any]]) -> None:
        """``data()`` is what every save writes."""
        self._data = data

    def schedule_save(self) -> None:
        """Save within ``delay`` s: one timer, however many changes come meanwhile."""
        if self._scheduled or self._data is None:
            return
        self._scheduled = True
        data = self._data

        def _data() -> dict[str, Any]:
            self._scheduled = False
            return data()

        self.store.async_delay_save(_data, self.delay)

    async def async_save(self) -> None:
        """Save now (the entry unloads, Home Assistant stops)."""
        if self._data is not None:
            await self.store.async_save(self._data())


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
