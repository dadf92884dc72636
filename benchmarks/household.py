"""A big household in one Home Assistant, side by side with HA's own integrations.

One Home Assistant in this process (``async_test_home_assistant``) with the
recorder on a temporary SQLite file (commit every 5 s, its default), HTTP and
MQTT on a private Mosquitto; every device is simulated on 127.0.0.1 in a second
process (``benchmarks/household_devices.py``), so this process's CPU time is
Home Assistant's alone: 100 Shelly Plus Plug S (Gen2+: RPC websocket with
``NotifyStatus`` pushes, one every 10 s as the load moves), 50 Shelly Plug S
(Gen1, polled every 10 s), 50 ESP32 meters (a reading every 5 s on the broker),
10 PZEM-004T (Modbus TCP, polled every 10 s), one ELNET account (every 30 s), a
bill over every energy sensor and, on every meter, Intelergy's anomaly monitors
(on by default: one per power stream).

What runs, in order:

1. start-up: recorder + HTTP + MQTT (HA without Intelergy's entries), then the
   whole household's entries set up at once, as HA's start does (wall and CPU);
2. the household window: 50 Gen2+ + 50 Gen1 plugs, 50 meters, 10 PZEM, ELNET
   and the bill together, ``--window`` s: CPU, event-loop latency, rows per kind;
3. the soak: the same household with the devices ``--speed`` times as chatty
   (pushes and readings; timestamps stay real, so each message carries less
   energy) for ``--soak`` s: resident memory sampled every 10 s and event-loop
   latency under load. HA's timers cannot be sped up in a live process, so the
   polled devices (Gen1, PZEM, ELNET) keep their real rate; a "simulated hour"
   here is an hour's worth of pushes and readings, not of timers;
4. ``--rounds`` rounds of windows, one group loaded at a time, interleaved:
   idle (HA alone), Intelergy's 100 Gen2+ plugs, HA's Shelly integration on the
   same 100 plugs, Intelergy's 50 meters, HA's MQTT sensors on the same 50
   meters (7 per meter with ``value_template``, as ``benchmarks/mqtt_ingest.py``),
   Intelergy's meters with write throttling, the 50 Gen1 plugs, the PZEMs with
   ELNET. Each group's CPU is its window's minus the idle window's rate of the
   same round (HA's own timers, the recorder's commits, MQTT's keep-alive).

CPU is ``time.process_time()`` (every thread: the recorder's inserts count);
memory is VmRSS; latency is how late a 100 ms ``asyncio.sleep`` heartbeat wakes
(p50 / p99 / max); state rows are the recorder's ``states`` rows written in the
window per entity of the group (joined on ``states_meta``), scaled to a day;
statistics rows per day are the recorder's rule (a 5-minute and an hourly row
per sensor with a state class: 288 + 24), counted from the group's states.

    PYTHONPATH=. .venv/bin/python benchmarks/household.py   (about 8 minutes)
    ... benchmarks/household.py --plugs 10 --gen1 5 --meters 5 --pzem 2 \
        --window 10 --soak 20 --rounds 1   (a quick look)
    ... benchmarks/household.py --profile   (where the household's CPU goes)
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Iterable
import contextlib
import cProfile
from dataclasses import dataclass, field
import gc
import io
import json
import logging
import os
from pathlib import Path
import platform
import pstats
import statistics
import sys
import tempfile
import time
from typing import Any

from homeassistant import loader
from homeassistant.components.recorder.const import (
    EVENT_RECORDER_5MIN_STATISTICS_GENERATED,
)
from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er, recorder as recorder_helper
from homeassistant.helpers.recorder import get_instance, session_scope
from homeassistant.helpers.storage import Store
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_test_home_assistant,
)
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from sqlalchemy import text

from benchmarks.billing import SEED
from benchmarks.mqtt_ingest import THROTTLE_OPTIONS, builtin_sensors, set_up_mqtt
from custom_components.intelergy.const import (
    CONF_KIND,
    DOMAIN,
    KIND_BILLING,
    KIND_ELNET,
    KIND_ESP32,
    KIND_PZEM,
    KIND_SHELLY,
)
from custom_components.intelergy.meters.esp32.const import (
    CONF_THROTTLE,
    DEFAULT_THROTTLE,
)
from tests.mosquitto import Mosquitto

PREFIX = "intelergy"
HEARTBEAT = 0.1  # s
DAY, HOUR = 86_400, 3_600
STAT_ROWS_PER_DAY = 288 + 24  # 5-minute and hourly rows of one sensor
TARIFF: dict[str, Any] = SEED  # the billing benchmark's slab tariff
GOAL_LATENCY_MS = 50.0
GOAL_START_S = 1.0
COMPILED = [0.0]  # when the recorder last finished compiling statistics
WARM_UP_READINGS = 32  # a monitor's cold start is 30 "on" readings
PLUG_TICK = 10.0  # s between two pushes of a plug (household_devices.py)
PROFILED = ("household", "ours_gen2", "core_gen2", "esp32", "mqtt", "gen1", "restart")


def rss_mb() -> float:
    """This process's resident set size, MB (VmRSS)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def machine() -> str:
    """The machine, for RESULTS.md."""
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kb / 1024 / 1024:.1f} GB RAM"
    return (
        f"{model}, {os.cpu_count()} cores{memory}; {platform.system()} "
        f"{platform.release()}; Python {platform.python_version()}"
    )


# --- measurements ---------------------------------------------------------------
class Saves:
    """Intelergy's store writes (each a JSON file written and renamed), counted."""

    written = 0

    @classmethod
    def install(cls) -> None:
        """Wrap HA's ``Store`` write."""
        write = Store._write_prepared_data  # noqa: SLF001

        def counted(store: Store[Any], mode: str, data: Any) -> None:
            if store.key.startswith(DOMAIN):
                cls.written += 1
            write(store, mode, data)

        Store._write_prepared_data = counted  # type: ignore[method-assign]  # noqa: SLF001


class Heartbeat:
    """A 100 ms sleep on HA's loop; how late each wakes up, ms."""

    def __init__(self) -> None:
        """Not running until ``start()``."""
        self.samples: list[float] = []
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Beat until ``stop()``."""
        self._task = asyncio.get_running_loop().create_task(self._beat())

    async def _beat(self) -> None:
        while True:
            started = time.monotonic()
            await asyncio.sleep(HEARTBEAT)
            self.samples.append((time.monotonic() - started - HEARTBEAT) * 1000)

    async def stop(self) -> None:
        """Stop beating."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def take(self) -> list[float]:
        """The samples since the last ``take()``."""
        samples, self.samples = self.samples, []
        return samples


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    """p50, p99, max (ms)."""
    if not samples:
        return (float("nan"),) * 3
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered), p99, ordered[-1]


@dataclass
class Window:
    """One measured stretch of time with one group loaded."""

    name: str
    seconds: float
    cpu: float
    latency: tuple[float, float, float]
    rows: dict[str, int]  # entity id -> state rows written
    rss: float
    saves: int = 0  # Intelergy store writes
    compiled: bool = False  # the recorder compiled statistics meanwhile


@dataclass
class Group:
    """Entries (or YAML sensors) that are loaded together, and what they read."""

    name: str
    devices: int
    entries: list[MockConfigEntry] = field(default_factory=list)
    key: str = ""
    entity_ids: set[str] = field(default_factory=set)
    windows: list[Window] = field(default_factory=list)
    setups: list[tuple[float, float]] = field(default_factory=list)  # wall, cpu


async def count_rows(hass: HomeAssistant, start: float, end: float) -> dict[str, int]:
    """State rows written between ``start`` and ``end`` (epoch s), per entity id."""

    def query() -> dict[str, int]:
        with session_scope(hass=hass, read_only=True) as session:
            result = session.execute(
                text(
                    "SELECT sm.entity_id, COUNT(*) FROM states s JOIN states_meta sm "
                    "ON s.metadata_id = sm.metadata_id WHERE s.last_updated_ts >= "
                    ":start AND s.last_updated_ts < :end GROUP BY sm.entity_id"
                ),
                {"start": start, "end": end},
            )
            return {str(entity_id): int(count) for entity_id, count in result}

    rows: dict[str, int] = await get_instance(hass).async_add_executor_job(query)
    return rows


async def measure(
    hass: HomeAssistant,
    heartbeat: Heartbeat,
    name: str,
    seconds: float,
    profile: bool = False,
) -> Window:
    """CPU, latency and rows of ``seconds`` of whatever is loaded now."""
    await async_wait_recording_done(hass)
    await asyncio.sleep(1.0)  # set-up's stragglers
    await async_wait_recording_done(hass)
    gc.collect()
    await asyncio.sleep(2 * HEARTBEAT)  # the beat that the collection delayed
    heartbeat.take()
    profiler = cProfile.Profile() if profile else None
    start, cpu, saves = time.time(), time.process_time(), Saves.written
    if profiler is not None:
        profiler.enable()
    await asyncio.sleep(seconds)
    if profiler is not None:
        profiler.disable()
    cpu, end = time.process_time() - cpu, time.time()
    if profiler is not None:
        print_profile(profiler, name)
    latency = percentiles(heartbeat.take())
    saves = Saves.written - saves
    await async_wait_recording_done(hass)
    compiled = COMPILED[0] > start
    rows = await count_rows(hass, start, end)
    return Window(name, end - start, cpu, latency, rows, rss_mb(), saves, compiled)


# --- the household's entries ------------------------------------------------------
def mac_id(mac: str) -> str:
    """A MAC as Intelergy's Shelly entries name it (aa:bb:…)."""
    mac = mac.lower()
    return ":".join(mac[i : i + 2] for i in range(0, 12, 2))


def shelly_entry(port: int, mac: str, gen: int) -> MockConfigEntry:
    """Intelergy's entry for one Shelly."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"Shelly {mac[-4:]}",
        unique_id=mac_id(mac),
        data={
            CONF_KIND: KIND_SHELLY,
            "host": "127.0.0.1",
            "port": port,
            "gen": gen,
        },
    )


def core_shelly_entry(port: int, mac: str) -> MockConfigEntry:
    """HA's Shelly integration's entry for one Gen2+ plug (as its flow writes it)."""
    return MockConfigEntry(
        domain="shelly",
        title=f"Plug {mac[-4:]}",
        unique_id=mac,
        data={
            "host": "127.0.0.1",
            "port": port,
            "sleep_period": 0,
            "model": "SNPL-00112EU",
            "gen": 2,
        },
    )


def esp32_entry(device_id: str) -> MockConfigEntry:
    """Intelergy's entry for one ESP32 meter (its 7 sensors and its relay)."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"ESP32 meter {device_id}",
        unique_id=f"{PREFIX}/{device_id}",
        data={
            CONF_KIND: KIND_ESP32,
            "device_id": device_id,
            "prefix": PREFIX,
            "interval": 5,
            "relays": 1,
            "fields": ["voltage", "current", "power_factor", "frequency", "rssi"],
        },
        options={CONF_THROTTLE: DEFAULT_THROTTLE},  # as the flow makes a new one
    )


def pzem_entry(port: int) -> MockConfigEntry:
    """Intelergy's entry for one PZEM-004T behind a Modbus TCP gateway."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"PZEM {port}",
        unique_id=f"127.0.0.1:{port}:1",
        data={
            CONF_KIND: KIND_PZEM,
            "transport": "tcp",
            "host": "127.0.0.1",
            "port": port,
            "slave": 1,
        },
    )


def elnet_entry(url: str, token: str) -> MockConfigEntry:
    """Intelergy's entry for the ELNET account."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="ELNET meter",
        unique_id="bench-elnet",
        data={CONF_KIND: KIND_ELNET, "url": url, "token": token},
        options={"scan_interval": 30, "low_balance_threshold": 200.0},
    )


def bill_entry(entity_ids: list[str]) -> MockConfigEntry:
    """Intelergy's bill over ``entity_ids``."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Household bill",
        data={CONF_KIND: KIND_BILLING, "name": "Household bill"},
        options={"entities": entity_ids, "tariff": TARIFF, "method": "average"},
    )


class Bench:
    """HA, its groups, the device process."""

    def __init__(
        self,
        hass: HomeAssistant,
        args: argparse.Namespace,
        devices: dict[str, Any],
        config_dir: Path,
    ) -> None:
        """Build every group's entries (none added to HA yet)."""
        self.hass = hass
        self.args = args
        self.devices = devices
        self.config_dir = config_dir
        self.heartbeat = Heartbeat()
        gen2, gen1 = devices["gen2"], devices["gen1"]
        meters: list[str] = devices["meters"]
        self.ours_gen2 = Group(
            "Intelergy Gen2+ plugs",
            len(gen2),
            [shelly_entry(port, mac, 2) for port, mac in gen2],
        )
        self.core_gen2 = Group(
            "HA Shelly Gen2+ plugs",
            len(gen2),
            [core_shelly_entry(port, mac) for port, mac in gen2],
        )
        self.gen1 = Group(
            "Intelergy Gen1 plugs",
            len(gen1),
            [shelly_entry(port, mac, 1) for port, mac in gen1],
        )
        self.esp32 = Group(
            "Intelergy ESP32 meters", len(meters), [esp32_entry(m) for m in meters]
        )
        self.esp32_throttled = Group(
            "Intelergy ESP32, throttled", len(meters), self.esp32.entries
        )
        self.compiles: list[Window] = []
        self.mqtt = Group("HA MQTT sensors (meters)", len(meters))
        for key in ("ours_gen2", "core_gen2", "gen1", "esp32", "mqtt"):
            getattr(self, key).key = key
        self.pzem_elnet = Group(
            "Intelergy PZEM + ELNET",
            len(devices["pzem"]) + 1,
            [pzem_entry(port) for port in devices["pzem"]]
            + [elnet_entry(devices["elnet"], devices["elnet_token"])],
        )
        self.household_size = len(gen2) // 2 + len(gen1)
        self.household = Group(
            "Household (Intelergy)",
            self.household_size + len(meters) + len(self.pzem_elnet.entries),
            self.ours_gen2.entries[: len(gen2) // 2]
            + self.gen1.entries
            + self.esp32.entries
            + self.pzem_elnet.entries,
        )
        self.bill: MockConfigEntry | None = None
        self.idle = Group("idle (HA, recorder, MQTT)", 0)
        self.base_start = (0.0, 0.0)
        self.bill_refresh_cpu = 0.0
        self.soak: dict[str, Any] = {}
        self.rss_after_setup = 0.0
        self.rss_after_warm_up = 0.0
        self.restart = Group("restart", 0)  # rounds(): the household set up again
        self.send: Any = None

    # --- set-up -------------------------------------------------------------------
    async def set_up_base(self, broker: Mosquitto) -> None:
        """Recorder, HTTP, MQTT, Intelergy and Shelly components; no device entry."""
        hass = self.hass
        wall, cpu = time.monotonic(), time.process_time()
        recorder_helper.async_initialize_recorder(hass)
        db_url = f"sqlite:///{self.config_dir / 'home-assistant_v2.db'}"
        if not await async_setup_component(
            hass, "recorder", {"recorder": {"db_url": db_url}}
        ):
            raise RuntimeError("the recorder did not set up")
        await set_up_mqtt(hass, broker)
        await hass.async_block_till_done()
        self.base_start = (time.monotonic() - wall, time.process_time() - cpu)
        hass.bus.async_listen(
            EVENT_RECORDER_5MIN_STATISTICS_GENERATED,
            lambda _event: COMPILED.__setitem__(0, time.time()),
        )
        Saves.install()
        hass.data.pop(loader.DATA_CUSTOM_COMPONENTS)  # custom integrations on
        if not await async_setup_component(hass, DOMAIN, {}):
            raise RuntimeError("intelergy did not set up")
        # HA's Shelly depends on bluetooth and network; neither is used by a
        # plug on Wi-Fi (BLE scanning is off by default), so neither is started.
        hass.config.components.update({"bluetooth", "network"})
        if not await async_setup_component(hass, "shelly", {}):
            raise RuntimeError("shelly did not set up")
        for group in (self.ours_gen2, self.core_gen2, self.gen1, self.pzem_elnet):
            for entry in group.entries:
                entry.add_to_hass(hass)
        for entry in self.esp32.entries:
            entry.add_to_hass(hass)
        await hass.async_block_till_done()

    async def load(self, group: Group, entries: Iterable[ConfigEntry]) -> None:
        """Set ``entries`` up at once, as HA's start does; wall and CPU noted."""
        hass = self.hass
        entries = list(entries)
        wall, cpu = time.monotonic(), time.process_time()
        await asyncio.gather(
            *(hass.config_entries.async_setup(entry.entry_id) for entry in entries)
        )
        await hass.async_block_till_done()
        group.setups.append((time.monotonic() - wall, time.process_time() - cpu))
        failed = [e.title for e in entries if e.state is not ConfigEntryState.LOADED]
        if failed:
            raise RuntimeError(f"{group.name}: not loaded: {', '.join(failed[:5])}")
        registry = er.async_get(hass)
        for entry in entries:
            group.entity_ids.update(
                item.entity_id
                for item in er.async_entries_for_config_entry(registry, entry.entry_id)
            )

    async def unload(self, entries: Iterable[ConfigEntry]) -> None:
        """Unload ``entries``."""
        await asyncio.gather(
            *(self.hass.config_entries.async_unload(e.entry_id) for e in entries)
        )
        await self.hass.async_block_till_done()

    async def mqtt_sensors(self, on: bool) -> None:
        """HA's MQTT sensors for the meters (YAML), in or out by ``mqtt.reload``."""
        sensors = (
            [s for m in self.devices["meters"] for s in builtin_sensors(m)]
            if on
            else []
        )
        (self.config_dir / "configuration.yaml").write_text(
            json.dumps({"mqtt": {"sensor": sensors}})
        )
        wall, cpu = time.monotonic(), time.process_time()
        await self.hass.services.async_call("mqtt", "reload", blocking=True)
        await self.hass.async_block_till_done()
        if on:
            self.mqtt.setups.append(
                (time.monotonic() - wall, time.process_time() - cpu)
            )
            registry = er.async_get(self.hass)
            self.mqtt.entity_ids.update(
                item.entity_id
                for item in registry.entities.values()
                if item.platform == "mqtt"
            )

    async def esp32_throttle(self, on: bool) -> None:
        """Throttling on or off in every meter entry's options (entries unloaded)."""
        for entry in self.esp32.entries:
            options = dict(THROTTLE_OPTIONS) if on else {}
            self.hass.config_entries.async_update_entry(entry, options=options)

    # --- the phases ---------------------------------------------------------------
    async def household_phase(self) -> None:
        """Start-up with the household, its window, the bill's refresh, the soak."""
        hass = self.hass
        await self.load(self.household, self.household.entries)
        energy = sorted(
            entity_id
            for entity_id in self.household.entity_ids
            if entity_id.startswith("sensor.")
            and (state := hass.states.get(entity_id)) is not None
            and state.attributes.get("device_class") == "energy"
            and state.attributes.get("state_class") == "total_increasing"
        )
        self.bill = bill_entry(energy)
        self.bill.add_to_hass(hass)
        await self.load(self.household, [self.bill])
        self.household.entries.append(self.bill)
        self.rss_after_setup = rss_mb()
        print(
            f"household set up: {len(self.household.entries)} entries, "
            f"{len(self.household.entity_ids)} entities, bill over {len(energy)} "
            f"energy sensors; RSS {self.rss_after_setup:.0f} MB",
            flush=True,
        )
        await self.warm_up()
        coordinator = self.bill.runtime_data.coordinator
        cpu = time.process_time()
        for _ in range(3):
            await coordinator.async_refresh()
        self.bill_refresh_cpu = (time.process_time() - cpu) / 3
        window = await self.window("household", "household" in self.args.profile)
        self.household.windows.append(window)
        print(f"  household window: {window.cpu:.2f} s CPU in {window.seconds:.0f} s")

    async def warm_up(self) -> None:
        """Every meter's anomaly monitors past their cold start's 30 readings.

        A monitor's baseline sensor shows its learning progress (``readings`` of
        30) while it learns: a state row and a new attributes row at each of its
        first 30 readings, once in a device's life. The figures are for a
        household that has been running, so every Intelergy device gets its 30
        readings first: the pushed and published ones at ``--speed``, the polled
        ones by refreshing their coordinators.
        """
        rest = self.ours_gen2.entries[len(self.devices["gen2"]) // 2 :]
        await self.load(Group("warm-up", 0), rest)
        await self.send(f"speed {self.args.speed:g}")
        polled = [
            entry.runtime_data.coordinator
            for entry in self.gen1.entries + self.pzem_elnet.entries[:-1]
        ]
        wall = time.monotonic()
        for _ in range(WARM_UP_READINGS):
            await asyncio.gather(*(c.async_refresh() for c in polled))
            await asyncio.sleep(0.2)
        readings = WARM_UP_READINGS + 2
        pushed = readings * PLUG_TICK / self.args.speed
        await asyncio.sleep(max(0.0, pushed - (time.monotonic() - wall)))
        await self.send("speed 1")
        await self.unload(rest)
        self.rss_after_warm_up = rss_mb()
        print(
            f"  warm-up: {time.monotonic() - wall:.0f} s, RSS "
            f"{self.rss_after_warm_up:.0f} MB",
            flush=True,
        )

    async def soak_phase(self, send: Any) -> None:
        """The household with chattier devices: memory and latency under load."""
        hass, args = self.hass, self.args
        if args.soak <= 0:
            return
        await send(f"speed {args.speed:g}")
        gc.collect()
        await asyncio.sleep(2 * HEARTBEAT)
        self.heartbeat.take()
        samples = [(0.0, rss_mb())]
        start, cpu = time.monotonic(), time.process_time()
        while (elapsed := time.monotonic() - start) < args.soak:
            await asyncio.sleep(min(10.0, args.soak - elapsed))
            samples.append((time.monotonic() - start, rss_mb()))
        cpu = time.process_time() - cpu
        await send("speed 1")
        latency = percentiles(self.heartbeat.take())
        seconds = time.monotonic() - start
        simulated_h = seconds * args.speed / HOUR
        half = len(samples) // 2
        self.soak = {
            "seconds": seconds,
            "simulated_h": simulated_h,
            "rss": samples,
            "cpu": cpu,
            "latency": latency,
            "first_half": samples[half][1] - samples[0][1],
            "second_half": samples[-1][1] - samples[half][1],
        }
        await async_wait_recording_done(hass)
        print(
            f"  soak: {seconds:.0f} s at {args.speed:g}x = {simulated_h:.1f} h of "
            f"pushes and readings; RSS {samples[0][1]:.0f} -> {samples[-1][1]:.0f} MB",
            flush=True,
        )

    async def window(self, name: str, profile: bool = False) -> Window:
        """A window without the recorder's 5-minute statistics compile in it.

        The compile (every sensor with a state class, every 5 minutes) lands in
        whichever window is open then: such a window is kept aside as the
        compile's cost with that group loaded, and measured again.
        """
        window = await measure(
            self.hass, self.heartbeat, name, self.args.window, profile
        )
        if window.compiled:
            self.compiles.append(window)
            window = await measure(
                self.hass, self.heartbeat, name, self.args.window, profile
            )
        return window

    async def rounds(self) -> None:
        """One group at a time, interleaved, ``--rounds`` times."""
        hass, args = self.hass, self.args
        await self.unload(self.household.entries)
        # HA's start with the household already installed: the devices, entities
        # and stores are there, the entries set up at once (the first set-up above
        # also registered every device and entity). A restarted HA's recorder has
        # nothing queued: the unload's 2,000 "unavailable" states and the soak's
        # backlog are written first, so the set-up does not race them.
        await async_wait_recording_done(hass)
        self.restart = Group("restart", len(self.household.entries))
        profiler = cProfile.Profile() if "restart" in args.profile else None
        if profiler is not None:
            profiler.enable()
        await self.load(self.restart, self.household.entries)
        if profiler is not None:
            profiler.disable()
            print_profile(profiler, "restart")
        await self.unload(self.household.entries)
        for number in range(args.rounds):
            print(f"round {number + 1}/{args.rounds}", flush=True)
            self.idle.windows.append(await self.window("idle"))
            plan: list[tuple[Group, Any, Any]] = [
                (self.ours_gen2, self.ours_gen2.entries, None),
                (self.core_gen2, self.core_gen2.entries, None),
                (self.esp32, self.esp32.entries, False),
                (self.mqtt, None, None),
                (self.esp32_throttled, self.esp32.entries, True),
                (self.gen1, self.gen1.entries, None),
                (self.pzem_elnet, self.pzem_elnet.entries, None),
            ]
            for group, entries, throttle in plan:
                if throttle is not None:
                    await self.esp32_throttle(throttle)
                if entries is None:
                    await self.mqtt_sensors(True)
                else:
                    await self.load(group, entries)
                if not group.entity_ids:
                    raise RuntimeError(f"{group.name}: no entities")
                profile = group.key in args.profile and number == 0
                group.windows.append(await self.window(group.name, profile))
                if entries is None:
                    await self.mqtt_sensors(False)
                else:
                    await self.unload(entries)
                window = group.windows[-1]
                if args.detail and number == 0:
                    print_detail(hass, group, window)
                print(
                    f"  {group.name:<28} {window.cpu:6.2f} s CPU in "
                    f"{window.seconds:.0f} s",
                    flush=True,
                )
        await self.esp32_throttle(False)


def print_detail(hass: HomeAssistant, group: Group, window: Window) -> None:
    """State rows per device-day of each kind of entity of ``group``."""
    registry = er.async_get(hass)
    kinds: dict[str, int] = {}
    for entity_id, count in window.rows.items():
        if entity_id not in group.entity_ids:
            continue
        item = registry.async_get(entity_id)
        kind = (
            entity_id.split(".")[0]
            + "."
            + (
                (item.translation_key or item.original_name or item.unique_id)
                if item
                else entity_id
            )
        )
        kinds[kind] = kinds.get(kind, 0) + count
    scale = DAY / window.seconds / max(group.devices, 1)
    print(f"  rows per device-day of {group.name}:")
    for kind, count in sorted(kinds.items(), key=lambda item: -item[1])[:15]:
        print(f"    {kind:<45} {count * scale:10,.0f}")


def print_profile(profiler: cProfile.Profile, name: str) -> None:
    """A window's top functions by own time, and by cumulative time."""
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats(order).print_stats(30)
        print(f"--- profile of the {name} window, by {order}")
        print(out.getvalue())


# --- the report -------------------------------------------------------------------
def per_device_hour(bench: Bench, group: Group) -> list[float]:
    """CPU s per device-hour of each of ``group``'s windows (idle subtracted)."""
    values = []
    for window, idle in zip(group.windows, bench.idle.windows, strict=False):
        extra = window.cpu - idle.cpu / idle.seconds * window.seconds
        values.append(extra / window.seconds * HOUR / group.devices)
    return values


def rows_per_device_day(group: Group, window: Window, ids: set[str]) -> float:
    """State rows per device-day of ``ids`` in ``window``."""
    rows = sum(count for entity_id, count in window.rows.items() if entity_id in ids)
    return rows / window.seconds * DAY / group.devices


def stat_rows_per_device_day(hass: HomeAssistant, group: Group, ids: set[str]) -> float:
    """Statistics rows per device-day: sensors with a state class x (288 + 24)."""
    sensors = 0
    for entity_id in ids:
        state = hass.states.get(entity_id)
        if state is not None and state.attributes.get("state_class"):
            sensors += 1
    return sensors * STAT_ROWS_PER_DAY / max(group.devices, 1)


def kind_ids(bench: Bench, entries: Iterable[ConfigEntry]) -> set[str]:
    """The entity ids of ``entries``."""
    registry = er.async_get(bench.hass)
    return {
        item.entity_id
        for entry in entries
        for item in er.async_entries_for_config_entry(registry, entry.entry_id)
    }


def fmt_latency(latency: tuple[float, float, float]) -> str:
    """p50 / p99 / max ms."""
    return "{:.1f} / {:.1f} / {:.0f}".format(*latency)


def report(bench: Bench, out: list[str]) -> None:
    """The side-by-side table and the household's figures."""
    hass, args = bench.hass, bench.args

    def line(text: str = "") -> None:
        out.append(text)

    line("## Side by side (same run, one group loaded at a time, interleaved)")
    line()
    line(
        f"{args.rounds} round(s) of {args.window:g} s windows; CPU = window minus the "
        "idle window of the same round; median over rounds."
    )
    line()
    line(
        "| group | devices | CPU s / device-hour | state rows / device-day | "
        "statistics rows / device-day | store writes / device-hour | "
        "loop latency p50 / p99 / max ms | set-up s (wall / CPU) | "
        "RSS after window MB |"
    )
    line("|---|---:|---:|---:|---:|---:|---|---|---:|")
    cpu: dict[str, float] = {}
    rows: dict[str, float] = {}
    groups = [
        bench.ours_gen2,
        bench.core_gen2,
        bench.esp32,
        bench.esp32_throttled,
        bench.mqtt,
        bench.gen1,
        bench.pzem_elnet,
    ]
    for group in groups:
        if not group.windows:
            continue
        cpu[group.name] = statistics.median(per_device_hour(bench, group))
        rows[group.name] = statistics.median(
            rows_per_device_day(group, w, group.entity_ids) for w in group.windows
        )
        stat_rows = stat_rows_per_device_day(hass, group, group.entity_ids)
        worst = max(group.windows, key=lambda w: w.latency[1])
        wall, setup_cpu = group.setups[0] if group.setups else (0.0, 0.0)
        saves = statistics.median(
            w.saves / w.seconds * HOUR / group.devices for w in group.windows
        )
        line(
            f"| {group.name} | {group.devices} | {cpu[group.name]:.3f} | "
            f"{rows[group.name]:,.0f} | {stat_rows:,.0f} | {saves:,.0f} | "
            f"{fmt_latency(worst.latency)} | {wall:.2f} / {setup_cpu:.2f} | "
            f"{group.windows[-1].rss:.0f} |"
        )
    idle = bench.idle.windows
    if idle:
        rate = statistics.median(w.cpu / w.seconds for w in idle)
        line(
            f"| idle (HA + recorder + MQTT, subtracted above) | - | "
            f"{rate * HOUR:.1f} s per hour in all | - | - | - | "
            f"{fmt_latency(max(idle, key=lambda w: w.latency[1]).latency)} | - | "
            f"{idle[-1].rss:.0f} |"
        )
    line()
    ours, core = cpu.get(bench.ours_gen2.name), cpu.get(bench.core_gen2.name)
    if ours is not None and core is not None:
        met = ours <= core
        line(
            f"- Gen2+ plugs: Intelergy {ours:.3f} vs HA Shelly {core:.3f} CPU s per "
            f"plug-hour: {core / ours if ours > 0 else float('inf'):.2f}x "
            f"(goal Intelergy <= HA: {'met' if met else 'NOT met'}); rows per "
            f"plug-day {rows[bench.ours_gen2.name]:,.0f} vs "
            f"{rows[bench.core_gen2.name]:,.0f}"
        )
    mine, theirs = cpu.get(bench.esp32.name), cpu.get(bench.mqtt.name)
    throttled = cpu.get(bench.esp32_throttled.name)
    if mine is not None and theirs is not None and throttled is not None:
        line(
            f"- ESP32 meters: Intelergy {mine:.3f} (throttled {throttled:.3f}) vs HA "
            f"MQTT sensors {theirs:.3f} CPU s per meter-hour; state rows per "
            f"meter-day {rows[bench.esp32.name]:,.0f} (throttled "
            f"{rows[bench.esp32_throttled.name]:,.0f}) vs "
            f"{rows[bench.mqtt.name]:,.0f}"
        )
    if idle:
        rate = statistics.median(w.cpu / w.seconds for w in idle)
        by_name = {group.name: group for group in [*groups, bench.household]}
        for window in bench.compiles:
            extra = window.cpu - rate * window.seconds
            group = by_name.get(window.name)
            sensors = ""
            if group is not None:
                count = round(
                    stat_rows_per_device_day(hass, group, group.entity_ids)
                    * group.devices
                    / STAT_ROWS_PER_DAY
                )
                sensors = f" ({count} sensors with a state class loaded)"
            line(
                f"- the recorder's 5-minute statistics compile fell in a "
                f"{window.name} window{sensors}: +{extra:.2f} s CPU over the idle "
                f"rate, latency p99 / max {window.latency[1]:.0f} / "
                f"{window.latency[2]:.0f} ms (that window was measured again)"
            )
    line()
    household_report(bench, line)


def household_report(bench: Bench, line: Any) -> None:
    """The household window, per kind and in total; start-up; memory; soak."""
    hass, args = bench.hass, bench.args
    if not bench.household.windows:
        return
    window = bench.household.windows[0]
    idle = bench.idle.windows[0] if bench.idle.windows else None
    idle_cpu = idle.cpu / idle.seconds * window.seconds if idle else 0.0
    line("## The household together (Intelergy)")
    line()
    line(
        f"{bench.household_size} Shelly plugs ({len(bench.devices['gen2']) // 2} "
        f"Gen2+, {len(bench.devices['gen1'])} Gen1), {len(bench.devices['meters'])} "
        "ESP32 meters at 5 s (write throttling on: a new meter's default), "
        f"{len(bench.devices['pzem'])} PZEM, 1 ELNET, one bill "
        f"over every energy sensor, a monitor per power stream; one {args.window:g} s "
        "window. CPU per kind from the side-by-side windows above."
    )
    line()
    line("| kind | devices | state rows / device-day | statistics rows / device-day |")
    line("|---|---:|---:|---:|")
    kinds = [
        ("Gen2+ plug", bench.ours_gen2.entries[: len(bench.devices["gen2"]) // 2]),
        ("Gen1 plug", bench.gen1.entries),
        ("ESP32 meter", bench.esp32.entries),
        ("PZEM", bench.pzem_elnet.entries[:-1]),
        ("ELNET", bench.pzem_elnet.entries[-1:]),
        ("bill", [bench.bill] if bench.bill else []),
    ]
    total_rows = 0.0
    total_stats = 0.0
    for name, entries in kinds:
        if not entries:
            continue
        ids = kind_ids(bench, entries)
        group = Group(name, len(entries))
        state_rows = rows_per_device_day(group, window, ids)
        stat_rows = stat_rows_per_device_day(hass, group, ids)
        total_rows += state_rows * len(entries)
        total_stats += stat_rows * len(entries)
        line(f"| {name} | {len(entries)} | {state_rows:,.0f} | {stat_rows:,.0f} |")
    line(f"| **total** | {bench.household.devices} | {total_rows:,.0f} / day | "
         f"{total_stats:,.0f} / day |")  # fmt: skip
    line()
    extra = window.cpu - idle_cpu
    line(
        f"- CPU: {window.cpu / window.seconds * 100:.1f} % of one core in all "
        f"({extra / window.seconds * 100:.1f} % above idle) = "
        f"{extra / window.seconds * HOUR / bench.household.devices:.3f} s per "
        f"device-hour; the bill's refresh {bench.bill_refresh_cpu * 1000:.0f} ms CPU "
        f"(every 5 min: {bench.bill_refresh_cpu * 12:.2f} s per hour)"
    )
    line(
        f"- Intelergy's store writes: {window.saves / window.seconds * HOUR:,.0f} "
        f"per hour ({window.saves / window.seconds:.1f} files written per second)"
    )
    line(
        f"- event-loop latency (100 ms heartbeat) p50 / p99 / max: "
        f"{fmt_latency(window.latency)} ms (goal p99 < {GOAL_LATENCY_MS:g} ms: "
        f"{'met' if window.latency[1] < GOAL_LATENCY_MS else 'NOT met'})"
    )
    base_wall, _ = bench.base_start
    wall, cpu = bench.household.setups[0]
    again, again_cpu = bench.restart.setups[0]
    line(
        f"- start-up: HA (recorder, HTTP, MQTT) {base_wall:.2f} s; Intelergy's "
        f"{len(bench.household.entries)} entries (the household and its bill) set "
        f"up at once as at a restart, devices and entities already registered: "
        f"+{again:.2f} s wall, {again_cpu:.2f} s CPU (goal < {GOAL_START_S:g} s: "
        f"{'met' if again < GOAL_START_S else 'NOT met'}); the first set-up, "
        f"registering every device and entity: +{wall:.2f} s wall, {cpu:.2f} s "
        f"CPU for the {len(bench.household.entries) - 1} devices, the bill after "
        f"them +{bench.household.setups[1][0]:.2f} s"
    )
    line(
        f"- resident memory: {bench.rss_after_setup:.0f} MB after set-up, "
        f"{bench.rss_after_warm_up:.0f} MB after the warm-up (every Intelergy "
        f"device, all {len(bench.devices['gen2'])} Gen2+ plugs included), "
        f"{window.rss:.0f} MB after the household window"
    )
    soak = bench.soak
    if soak:
        rss = soak["rss"]
        per_hour = (rss[-1][1] - rss[0][1]) / soak["simulated_h"]
        line(
            f"- soak: {soak['seconds']:.0f} s with the devices {args.speed:g}x as "
            f"chatty = {soak['simulated_h']:.1f} h of pushes and readings: RSS "
            f"{rss[0][1]:.0f} -> {rss[-1][1]:.0f} MB (first half "
            f"{soak['first_half']:+.1f} MB, second half {soak['second_half']:+.1f} "
            f"MB; {per_hour:+.1f} MB per simulated hour); latency under that load "
            f"{fmt_latency(soak['latency'])} ms; CPU "
            f"{soak['cpu'] / soak['seconds'] * 100:.0f} % of one core"
        )
        line(
            "  RSS samples (s, MB): " + ", ".join(f"{t:.0f}: {mb:.0f}" for t, mb in rss)
        )
    line(f"- final RSS {rss_mb():.0f} MB after every round")


# --- main ---------------------------------------------------------------------------
async def main() -> None:
    """Broker, devices, HA; the phases; the report (and RESULTS.md if asked)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--plugs", type=int, default=100, help="Gen2+ plugs")
    parser.add_argument("--gen1", type=int, default=50, help="Gen1 plugs")
    parser.add_argument("--meters", type=int, default=50, help="ESP32 meters")
    parser.add_argument("--pzem", type=int, default=10)
    parser.add_argument(
        "--window", type=float, default=20.0, help="s per window (a multiple of 10)"
    )
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--soak", type=float, default=40.0, help="s of soak")
    parser.add_argument("--speed", type=float, default=20.0, help="soak chattiness")
    parser.add_argument(
        "--profile",
        action="append",
        default=[],
        choices=PROFILED,
        help="cProfile that window (its figures are then the profiler's, not HA's)",
    )
    parser.add_argument(
        "--detail", action="store_true", help="which entities write the rows"
    )
    parser.add_argument("--results", type=Path, help="write the report here too")
    args = parser.parse_args()
    logging.basicConfig(level=logging.CRITICAL)
    began = time.monotonic()
    broker = Mosquitto()
    await broker.start()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(Path(__file__).with_name("household_devices.py")),
        *("--gen2", str(args.plugs), "--gen1", str(args.gen1)),
        *("--meters", str(args.meters), "--pzem", str(args.pzem)),
        *("--broker-port", str(broker.port)),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)},
    )
    if process.stdin is None or process.stdout is None:
        raise RuntimeError("the devices' process has no pipes")
    stdin = process.stdin

    async def send(command: str) -> None:
        stdin.write(f"{command}\n".encode())
        await stdin.drain()

    try:
        devices = json.loads(await process.stdout.readline())
        with tempfile.TemporaryDirectory(prefix="intelergy-household-") as directory:
            config_dir = Path(directory)
            (config_dir / "configuration.yaml").write_text('{"mqtt": {}}')
            async with async_test_home_assistant(config_dir=directory) as hass:
                bench = Bench(hass, args, devices, config_dir)
                bench.send = send
                bench.heartbeat.start()
                await bench.set_up_base(broker)
                await bench.household_phase()
                await bench.soak_phase(send)
                await bench.rounds()
                out: list[str] = []
                report(bench, out)
                await bench.heartbeat.stop()
                for domain in (DOMAIN, "shelly", "mqtt"):
                    for entry in hass.config_entries.async_entries(domain):
                        if entry.state is ConfigEntryState.LOADED:
                            await hass.config_entries.async_unload(entry.entry_id)
                await hass.async_stop(force=True)
        header = [
            "# Household benchmark",
            "",
            f"`PYTHONPATH=. .venv/bin/python benchmarks/household.py "
            f"{' '.join(sys.argv[1:])}`".replace(" `", "`"),
            "",
            (
                f"Machine: {machine()}. Run in {time.monotonic() - began:.0f} s. "
                "On a shared machine CPU figures are noisy, which is why each group is "
                "measured against the idle window of its own round and beside its "
                "alternative in the same run; compare ratios rather than absolute "
                "seconds."
            ),
            "",
        ]
        text_out = "\n".join(header + out) + "\n"
        print(text_out)
        if args.results is not None:
            args.results.write_text(text_out)
    finally:
        with contextlib.suppress(ConnectionError):
            await send("quit")
        try:
            await asyncio.wait_for(process.wait(), 30)
        except TimeoutError:
            process.kill()
        await broker.stop()


if __name__ == "__main__":
    asyncio.run(main())
