"""Helpers shared by every kind's tests: entity and diagnostics snapshots.

Each kind's ``test_snapshots.py`` sets its entry up as its other tests do, on a
frozen clock, then compares every entity of the entry (registry entry and state)
and the entry's diagnostics with ``__snapshots__/test_snapshots.ambr`` next to it
(syrupy with Home Assistant's serializer: the ``snapshot`` fixture of
tests/conftest.py, as Home Assistant core does). What changes from run to run is masked: the entry id
(``<entry_id>``), a simulator's port (``<port>``), times taken from a clock that
moved a varying amount (``<time>``), the entry's creation and modification times;
HA's snapshot extension already leaves out registry ids and state timestamps.
Regenerate after an intended change with ``pytest <folder> --snapshot-update``
and review the ``.ambr`` diff.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
import re
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import CLIENT_ID
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props
from syrupy.types import PropertyMatcher, PropertyPath, SerializableData

# The frozen clock's start (ahead of the real time the fixtures started at, so HA's
# clock only moves on).
SNAPSHOT_TIME = datetime(2030, 1, 7, 10, 2, 30, tzinfo=UTC)
# The entry's own times, as diagnostics show them (the registry entries' are
# dropped by HA's snapshot extension).
VOLATILE = props("created_at", "modified_at")


class Mask:
    """What varies between runs, and how it reads in a snapshot."""

    def __init__(
        self,
        entry: ConfigEntry[Any],
        ports: Iterable[int] = (),
        times: Iterable[str] = (),
    ) -> None:
        """Mask ``entry``'s id, ``ports`` (a simulator's, on 127.0.0.1) and ``times``.

        ``times``: dotted paths (``source.counters.seen_at``) of values read from a
        clock that moves by a varying amount during the test.
        """
        self.ports = set(ports)
        self.times = set(times)
        words = {re.escape(entry.entry_id): "<entry_id>"}
        for port in self.ports:
            # As a URL or a title has it, and slugified in an entity id.
            words[rf"(?<=127\.0\.0\.1:){port}\b"] = "<port>"
            words[rf"(?<=127_0_0_1_){port}(?=_|\b)"] = "<port>"
        self._pattern = re.compile("|".join(f"({word})" for word in words))
        self._replacements = list(words.values())

    def text(self, text: str) -> str:
        """``text`` with every volatile value replaced."""
        return self._pattern.sub(
            lambda found: self._replacements[(found.lastindex or 1) - 1], text
        )

    def matcher(self) -> PropertyMatcher:
        """A syrupy matcher applying the mask to every value of a snapshot."""

        def match(*, data: SerializableData, path: PropertyPath) -> SerializableData:
            if self.times and ".".join(str(name) for name, _ in path) in self.times:
                return "<time>"
            if isinstance(data, str):
                return self.text(data)
            if (
                isinstance(data, int)
                and data in self.ports
                and path
                and path[-1][0] == "port"
            ):
                return "<port>"
            return data

        return match


def assert_entities_match(
    hass: HomeAssistant,
    snapshot: SnapshotAssertion,
    entry: ConfigEntry[Any],
    *,
    ports: Iterable[int] = (),
) -> None:
    """Every entity of ``entry``: its registry entry and its state (``None`` if disabled)."""
    mask = Mask(entry, ports)
    entities = er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    assert entities, "the entry has no entities"
    names = [mask.text(entity.entity_id) for entity in entities]
    assert sorted(names) == snapshot(name="entity_ids", matcher=mask.matcher())
    for name, entity in zip(names, entities, strict=True):
        state = hass.states.get(entity.entity_id)
        assert entity == snapshot(name=f"{name}-entry", matcher=mask.matcher())
        assert state == snapshot(name=f"{name}-state", matcher=mask.matcher())


async def admin_client(
    hass: HomeAssistant, hass_client: ClientSessionGenerator
) -> ClientSessionGenerator:
    """``hass_client`` with an admin's access token issued now.

    The fixture's token dates from the test's start and expires 30 minutes later
    by HA's clock, which a frozen clock moved on (or set ahead) may have passed.
    """
    users = await hass.auth.async_get_users()
    admin = next(u for u in users if u.is_admin and not u.system_generated)
    refresh = await hass.auth.async_create_refresh_token(
        admin, CLIENT_ID, credential=next(iter(admin.credentials), None)
    )
    token = hass.auth.async_create_access_token(refresh)

    async def client() -> Any:
        return await hass_client(token)

    return client


async def assert_diagnostics_match(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    snapshot: SnapshotAssertion,
    entry: ConfigEntry[Any],
    *,
    ports: Iterable[int] = (),
    times: Iterable[str] = (),
) -> None:
    """The entry's diagnostics as the download gives them (``times``: see ``Mask``)."""
    mask = Mask(entry, ports, times)
    client = await admin_client(hass, hass_client)
    diagnostics = await get_diagnostics_for_config_entry(hass, client, entry)
    assert diagnostics == snapshot(matcher=mask.matcher(), exclude=VOLATILE)
