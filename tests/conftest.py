"""Shared fixtures: custom integrations enabled, simulators and a broker on 127.0.0.1.

A fixture used by tests of more than one kind (or by tests/life) lives here; one
kind's own fixtures live in its folder's conftest.py.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Generator, Iterator
from contextlib import asynccontextmanager
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.amber import AmberSnapshotExtension
from syrupy.location import PyTestLocation

from custom_components.intelergy.const import CONF_KIND, DOMAIN, KIND_ELNET, KIND_SHELLY
from custom_components.intelergy.meters.elnet.const import CONF_TOKEN, CONF_URL
from custom_components.intelergy.meters.shelly.const import (
    CONF_GEN,
    CONF_HOST,
    CONF_PORT,
)
from simulators.elnet import ElnetSimulator
from simulators.shelly import GEN1_PLUG_S, GEN4_POWER_STRIP, ShellySimulator
from tests.databases import BACKENDS, Servers, fresh_database
from tests.mosquitto import Mosquitto, mosquitto_binary

ELNET_TOKEN = "test-token"
ELNET_SERIAL = "1124094"


# --- Databases: tests marked ``databases`` run on SQLite, PostgreSQL and MariaDB -----


def pytest_configure(config: pytest.Config) -> None:
    """The ``databases`` marker (tests/databases.py)."""
    config.addinivalue_line(
        "markers", "databases: run the recorder-backed tests on every database"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A marked test that uses the recorder: once per back-end (``db``)."""
    if (
        metafunc.definition.get_closest_marker("databases") is not None
        and "db" in metafunc.fixturenames  # through recorder_db_url
    ):
        metafunc.parametrize("db", BACKENDS)


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that share a session-wide server run on one xdist worker.

    scripts/test runs pytest on two workers (``--dist loadgroup``): the browser tests
    share one scripts/develop on fixed ports, and the PostgreSQL / MariaDB runs share
    one pair of private servers, so each of those sets stays on a single worker.
    """
    for item in items:
        if "tests/e2e/" in item.nodeid:
            item.add_marker(pytest.mark.xdist_group("e2e"))
        elif (
            getattr(item, "callspec", None) is not None
            and item.callspec.params.get("db", "sqlite") != "sqlite"
        ):
            item.add_marker(pytest.mark.xdist_group("databases"))


@pytest.fixture
def db() -> str:
    """The recorder's back-end: SQLite unless a ``databases`` test is parametrized."""
    return "sqlite"


@pytest.fixture(scope="session")
def database_servers() -> Iterator[Servers]:
    """The private PostgreSQL / MariaDB servers, started on first use."""
    servers = Servers()
    yield servers
    servers.stop()


@pytest.fixture
def recorder_db_url(
    recorder_db_url: str,
    db: str,
    database_servers: Servers,
    request: pytest.FixtureRequest,
) -> Generator[str]:
    """The plugin's database (``--dburl``, SQLite), or a fresh one on ``db``'s server."""
    if db == "sqlite":
        yield recorder_db_url
        return
    request.getfixturevalue("socket_enabled")  # the server is on 127.0.0.1
    server = database_servers.get(db)
    if isinstance(server, str):
        print(f"skipped on {db}: {server}")  # noqa: T201
        pytest.skip(f"{db}: {server}")
    yield from fresh_database(server)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Load custom_components/intelergy in every test."""


class SnapshotExtension(HomeAssistantSnapshotExtension):
    """HA's snapshot serializer, the files in syrupy's ``__snapshots__`` next to the test.

    The serializer leaves out what HA makes up anew each run: registry ids, the
    entry id a registry entry points to, state timestamps and contexts.
    """

    @classmethod
    def dirname(cls, *, test_location: PyTestLocation) -> str:
        """``__snapshots__`` (HA core keeps them in ``snapshots``)."""
        return AmberSnapshotExtension.dirname(test_location=test_location)


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Syrupy's snapshot with HA's serializer.

    pytest-homeassistant-custom-component's fixture of the same name loses to
    syrupy's own; HA core declares it in its conftest, as here.
    """
    return snapshot.use_extension(SnapshotExtension)


@pytest.fixture
async def elnet_sim(socket_enabled: None) -> AsyncGenerator[ElnetSimulator]:
    """A real ELNET API server on 127.0.0.1 (``sim.url`` is its base URL)."""
    sim = ElnetSimulator(ELNET_TOKEN)
    await sim.start()
    yield sim
    await sim.stop()


@pytest.fixture
def elnet_entry(hass: HomeAssistant, elnet_sim: ElnetSimulator) -> MockConfigEntry:
    """An ELNET config entry pointing at the simulator (not yet set up)."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=f"ELNET meter {ELNET_SERIAL}",
        unique_id=ELNET_SERIAL,
        data={
            CONF_KIND: KIND_ELNET,
            CONF_URL: elnet_sim.url,
            CONF_TOKEN: ELNET_TOKEN,
        },
    )
    entry.add_to_hass(hass)
    return entry


def elnet_options(**options: Any) -> dict[str, Any]:
    """ELNET options with test-friendly defaults."""
    return {"scan_interval": 30, "low_balance_threshold": 200.0, **options}


async def unload_entries(hass: HomeAssistant) -> None:
    """Unload every loaded Intelergy entry (before its simulator goes away)."""
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.state is ConfigEntryState.LOADED:
            await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


@asynccontextmanager
async def running(
    hass: HomeAssistant, sim: ShellySimulator
) -> AsyncIterator[ShellySimulator]:
    """``sim`` serving on 127.0.0.1; entries are unloaded before it stops."""
    await sim.start()
    try:
        yield sim
    finally:
        await unload_entries(hass)
        await sim.stop()


@pytest.fixture
async def gen1_sim(
    hass: HomeAssistant, socket_enabled: None
) -> AsyncGenerator[ShellySimulator]:
    """A Gen1 Shelly Plug S on 127.0.0.1 (HTTP API, no login)."""
    async with running(hass, ShellySimulator(GEN1_PLUG_S)) as sim:
        yield sim


@pytest.fixture
async def gen4_sim(
    hass: HomeAssistant, socket_enabled: None
) -> AsyncGenerator[ShellySimulator]:
    """A Gen4 Shelly Power Strip on 127.0.0.1 (RPC over websocket, no login)."""
    async with running(hass, ShellySimulator(GEN4_POWER_STRIP)) as sim:
        yield sim


def shelly_mac(sim: ShellySimulator) -> str:
    """The entry unique id of a simulated device: its MAC as HA formats it."""
    mac = sim.mac.lower()
    return ":".join(mac[i : i + 2] for i in range(0, 12, 2))


def shelly_entry(
    hass: HomeAssistant, sim: ShellySimulator, **data: Any
) -> MockConfigEntry:
    """A Shelly config entry for ``sim`` (not yet set up)."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Shelly",
        unique_id=shelly_mac(sim),
        data={
            CONF_KIND: KIND_SHELLY,
            CONF_HOST: sim.host,
            CONF_PORT: sim.port,
            CONF_GEN: sim.gen,
            **data,
        },
    )
    entry.add_to_hass(hass)
    return entry


@pytest.fixture
def quick_subscribes(monkeypatch: pytest.MonkeyPatch) -> None:
    """HA's MQTT client batches (un)subscribes for 0.1-0.5 s; tests need not wait."""
    from homeassistant.components.mqtt import client  # noqa: PLC0415

    for name in (
        "INITIAL_SUBSCRIBE_COOLDOWN",
        "SUBSCRIBE_COOLDOWN",
        "UNSUBSCRIBE_COOLDOWN",
    ):
        monkeypatch.setattr(client, name, 0.01)


@pytest.fixture
async def broker(
    socket_enabled: None, quick_subscribes: None
) -> AsyncGenerator[Mosquitto]:
    """A private broker for ESP32 meters (tests/meters/esp32 and tests/life).

    HA's MQTT client connected to it does not batch its subscribes; scripts/setup
    installs mosquitto.
    """
    if mosquitto_binary() is None:  # pragma: no cover - scripts/setup installs it
        pytest.skip("mosquitto is not installed (scripts/setup installs it)")
    broker = Mosquitto()
    await broker.start()
    yield broker
    await broker.stop()
