"""The big household for a whole day in simulated time: is memory flat over 24 h?

The household of ``benchmarks/household.py`` (50 Shelly Gen2+ and 50 Gen1 plugs,
50 ESP32 meters on HA's MQTT, 10 PZEM, one ELNET account, a bill over every energy
sensor, the anomaly monitors; its entry builders, heartbeat, ``rss_mb()`` and
``machine()``) in one Home Assistant with the recorder on SQLite, its devices in
``benchmarks/household_devices.py --driven``, run through ``--hours`` (24)
simulated hours from ``--start`` (21:00 local on the last day of a month: a
local midnight, a day and a month edge, 24 hourly and 288 five-minute statistics
compiles, the recorder's nightly tasks at 04:12).

How time is simulated. Home Assistant's clock is freezegun's
``freeze_time(start, tick=True)`` with ``real_asyncio`` off: ``time.time``,
``datetime.now`` (HA's ``utcnow`` made patchable as in HA's own tests, with
pytest-homeassistant-custom-component's ``patch_time``) and ``time.monotonic``,
which is the event loop's clock, all read the same simulated clock in every
thread (the recorder's too), and it runs at real speed between jumps. The
benchmark moves it forward ``--step`` seconds (60) at a time to a fixed grid
(``start + 20 s + k * step``, and half a second, for DataUpdateCoordinator's
spread of its polls): every timer due in the step then fires from the
loop's own queue, in the order it was due, as Home Assistant would have fired it
late (a coordinator's poll, the recorder's commit and its 5-minute and hourly
statistics, the bill's refresh 30 s after each compile, the stores' delayed
saves, the monitors' ticks, midnight). After each jump the benchmark waits until
Home Assistant is done (the due timers have run, ``async_block_till_done``, the
poll tasks), then tells the device process the new epoch: every device runs the
step (Gen2+ plugs push ``NotifyStatus`` stamped with it, every meter publishes
one reading stamped with it that says it reports every ``--step`` s, the PZEM,
Gen1 and ELNET counters run on: their next poll reads them) while the recorder
commits what the jump wrote, and the benchmark waits until every plug's and
meter's energy sensor has taken the new value. Nothing jumps while a request is
in flight, so no aiohttp, websocket or Modbus timeout trips on a jump. What bound
the real clock at import keeps it (freezegun leaves threading, queue and paho
alone: the MQTT keep-alive runs on real time, as the broker does).

Memory: VmRSS after ``gc.collect()`` every simulated hour, and what tracemalloc
cannot see: SQLite's own memory (its page caches: 16 MiB per connection in HA's
recorder, filling as the database grows), malloc's in use and held free, and
Python's allocated blocks. ``--trace`` adds tracemalloc from before the set-up
and lists what grew between hour 2 and the last hour, by allocating line and
the caller chain that grew most there (about five times slower).

Latency, two ways. The heartbeat of ``household.py`` on real time (a thread asks
the loop every 100 ms to run a callback, and notes how late it runs), which
samples a simulated hour's work packed into some 20 real seconds: the loop under
that packed load, not the household's. And every callback the loop runs, timed
on the real clock, with the collector's full collections: a callback's length
does not depend on the packing; spread over the real hour, a timer due at a
random moment is late by what is left of the callback running then, which gives
the share of timers late by more than 50 ms and the projected p99.

What this does not cover: a timer fires at the end of the step it falls in,
not at its own second, and a periodic one at most once per step (a Gen1 plug or
PZEM polled every 10 s is polled once a minute, 1,440 polls a day instead of
8,640; a Gen2+ plug pushes, and a meter reports, once a minute); the grid is set
at 20 s past the minute so that the recorder's compile (10 s past) and the bill's
refresh that reads it (40 s past) fall in different steps. Messages per device
are a day's worth at that rate, not at the devices' real rate, so a leak per
message shows at that rate; every meter reports at the same moment, so HA's
MQTT client reads them in bursts; HA's HTTP client closes an idle keep-alive
connection (15 s) between two polls, so every poll connects again. Under
freezegun every ``datetime.now()`` is a Python object (more for the collector
to walk than C datetimes). One day: nothing weekly (the monitors' hour-of-week
baselines), no purge of rows older than the recorder's 10 days, no restart, no
daylight-saving change.

    PYTHONPATH=. .venv/bin/python benchmarks/household_day.py   (about 9 minutes)
    ... benchmarks/household_day.py --plugs 5 --gen1 5 --meters 5 --pzem 2 --hours 3
    ... benchmarks/household_day.py --trace   (tracemalloc: what grows, file:line)
"""

from __future__ import annotations

# Before Home Assistant is imported: its utcnow made a function freezegun can
# patch (HA's is a partial of the C datetime.now), as Home Assistant's tests do.
from pytest_homeassistant_custom_component import patch_time  # isort: split

import argparse
from array import array
import asyncio
from collections import Counter
from collections.abc import Iterator, Sequence
import contextlib
import ctypes
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import functools
import gc
import json
import logging
import os
from pathlib import Path
import sqlite3
import sys
import tempfile
import threading
import time
import tracemalloc
from typing import Any
from zoneinfo import ZoneInfo

import freezegun
import freezegun.api
from homeassistant import loader
from homeassistant.components.http.config import async_get_and_load_store
from homeassistant.components.mqtt.models import DATA_MQTT
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er, recorder as recorder_helper
from homeassistant.helpers.event import (
    RANDOM_MICROSECOND_MAX,
    async_track_state_change_event,
)
from homeassistant.helpers.recorder import get_instance, session_scope
from homeassistant.setup import async_setup_component
from homeassistant.util.async_ import get_scheduled_timer_handles
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_test_home_assistant,
)
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from sqlalchemy import text

from benchmarks.household import (
    GOAL_LATENCY_MS,
    HEARTBEAT,
    HOUR,
    Heartbeat,
    Saves,
    bill_entry,
    elnet_entry,
    esp32_entry,
    fmt_latency,
    machine,
    percentiles,
    pzem_entry,
    rss_mb,
    shelly_entry,
)
from benchmarks.mqtt_ingest import set_up_mqtt, wait_for_subscriptions
from custom_components.intelergy.const import DOMAIN
from tests.mosquitto import Mosquitto

TIME_ZONE = "US/Pacific"  # async_test_home_assistant's
DEFAULT_START = "2026-06-30T21:00:00"  # local: a midnight and a month edge ahead
GRID_OFFSET = 20.0  # s past the minute: compile (:10) and bill (:40) apart
SET_UP_LEAD = 120.0  # simulated s before the day starts for the set-up
ARRIVAL_TIMEOUT = 30.0  # s for a step's pushes and readings to show in HA
STALL_MS = (1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0)
TRACE_FROM = 2  # the hour of tracemalloc's first snapshot
TRACE_TOP = 15
TRACE_FRAMES = 4  # frames kept per allocation
LOG_TOP = 10


def real_monotonic() -> float:
    """The real monotonic clock, whatever freezegun has frozen."""
    now: float = freezegun.api.real_monotonic()
    return now


def simulated_now() -> float:
    """The simulated clock (epoch s)."""
    return time.time()


class MallInfo2(ctypes.Structure):
    """glibc's ``struct mallinfo2``."""

    _fields_ = [
        (name, ctypes.c_size_t)
        for name in [
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        ]
    ]


def memory_breakdown() -> tuple[float, float, float, int]:
    """SQLite's memory, malloc's in use and held free (MB), Python's blocks.

    SQLite's (``sqlite3_memory_used()``: its page caches, every connection)
    and malloc's (glibc ``mallinfo2()``: SQLite, Python's objects over 512
    bytes, C libraries) are what tracemalloc does not see; Python's allocated
    blocks (``sys.getallocatedblocks()``) count its objects. NaN where the
    library is not there to ask.
    """
    sqlite = malloc = held = float("nan")
    with contextlib.suppress(OSError, AttributeError):
        used = ctypes.CDLL("libsqlite3.so.0").sqlite3_memory_used
        used.restype = ctypes.c_int64
        sqlite = used() / 2**20
    with contextlib.suppress(OSError, AttributeError):
        mallinfo2 = ctypes.CDLL("libc.so.6").mallinfo2
        mallinfo2.restype = MallInfo2
        info = mallinfo2()
        malloc = (info.uordblks + info.hblkhd) / 2**20
        held = info.fordblks / 2**20
    return sqlite, malloc, held, sys.getallocatedblocks()


def prepare_freezegun() -> None:
    """Freezegun as pytest-homeassistant-custom-component prepares it for HA's tests.

    ``FakeDatetime`` with ``fold`` (time zones), module scans that leave lazy
    attributes alone, thread-safe stack checks, and SQLite taking a fake datetime.
    """
    api: Any = freezegun.api
    api.FakeDate = patch_time.HAFakeDate
    api.datetime_to_fakedatetime = patch_time.ha_datetime_to_fakedatetime
    api.FakeDatetime = patch_time.HAFakeDatetime
    api._get_module_attributes = patch_time.ha_get_module_attributes  # noqa: SLF001
    api._get_module_attributes_hash = patch_time.ha_get_module_attributes_hash  # noqa: SLF001
    api._should_use_real_time = patch_time.ha_should_use_real_time  # noqa: SLF001
    api.get_current_time = patch_time.ha_get_current_time
    # No call-stack walk on every clock read: the modules left out of the scan
    # (threading, queue, paho) keep the real clock they bound at import.
    api.call_stack_inspection_limit = 0
    sqlite3.register_adapter(patch_time.HAFakeDatetime, lambda val: val.isoformat(" "))


class RealTimeHeartbeat(Heartbeat):
    """household.py's heartbeat on real time, which the loop's clock no longer is.

    A thread wakes every 100 ms of real time and asks the loop to run a callback
    (``call_soon_threadsafe``); how late, in real ms, the loop runs it is the
    sample: what a timer due then would have waited for the loop.
    """

    def __init__(self) -> None:
        """Not running until ``start()``."""
        super().__init__()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._since = 0.0

    def start(self) -> None:
        """Beat until ``stop()``."""
        loop = asyncio.get_running_loop()

        def beat() -> None:
            while not self._stopping.wait(HEARTBEAT):
                loop.call_soon_threadsafe(self._woke, real_monotonic())

        self._thread = threading.Thread(target=beat, name="heartbeat", daemon=True)
        self._thread.start()

    def _woke(self, sent: float) -> None:
        if sent >= self._since:
            self.samples.append((real_monotonic() - sent) * 1000)

    def skip(self) -> None:
        """Drop the beats sent until now (the benchmark's own pauses: gc, snapshots)."""
        self._since = real_monotonic()

    async def stop(self) -> None:
        """Stop beating."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()


class LoopStalls:
    """Every callback the event loop runs, timed on the real clock; GC pauses too.

    A callback's duration is what it keeps the loop from everything else, and it
    does not depend on how densely simulated time packs the work, unlike the
    heartbeat (which samples 60 simulated seconds of work in a third of a real
    second). With the day's work spread over the real day (the callbacks as
    they ran, one after the other at uniformly random moments), a timer due
    at a random moment is late by what is left of the callback running then:
    P(late > x) = sum over callbacks of max(d - x, 0) / the real day. A full
    collection outside any callback (another thread's, or between two) counts as
    a callback of its own. Fixed memory: per threshold, the callbacks longer and
    their summed excess; the kinds of callback that took longer than 50 ms on
    their own (without a full collection in them).
    """

    def __init__(self) -> None:
        """Nothing timed yet."""
        self._gc_began = 0.0
        self._gc_clock = 0.0  # s in full collections since install()
        self._in_callback = False
        self._paused = False
        self._run: Any = None
        self.benchmark: asyncio.Task[Any] | None = None  # not timed: not HA's work
        self._reset()

    def _reset(self) -> None:
        self.over = [0] * len(STALL_MS)  # callbacks longer than each threshold
        self.excess = [0.0] * len(STALL_MS)  # their summed time beyond it, s
        self.longest = 0.0  # ms, a collection in it included
        self.slow: Counter[str] = Counter()  # > 50 ms on their own, by kind
        self.collections = 0  # full (generation 2) collections
        self.gc_longest = 0.0  # ms
        self.gc_total = 0.0  # s in full collections

    def install(self) -> None:
        """Time ``Handle._run`` and the collector until ``uninstall()``."""
        self.benchmark = asyncio.current_task()
        run = self._run = asyncio.events.Handle._run  # noqa: SLF001
        stalls = self

        def timed(handle: asyncio.Handle) -> None:
            function = handle._callback  # type: ignore[attr-defined]  # noqa: SLF001 (it may cancel itself)
            began, collected = real_monotonic(), stalls._gc_clock
            stalls._in_callback = True
            try:
                run(handle)
            finally:
                stalls._in_callback = False
            if (spent := real_monotonic() - began) >= STALL_MS[0] / 1000:
                if getattr(function, "__self__", None) is stalls.benchmark:
                    return  # the benchmark's own task: its samples and snapshots
                own = spent - (stalls._gc_clock - collected)
                stalls.add(spent * 1000, own * 1000, function)

        asyncio.events.Handle._run = timed  # type: ignore[method-assign,assignment]  # noqa: SLF001
        gc.callbacks.append(self._gc)

    def uninstall(self) -> None:
        """Back to the untimed loop."""
        if self._run is not None:
            asyncio.events.Handle._run = self._run  # type: ignore[method-assign]  # noqa: SLF001
        if self._gc in gc.callbacks:
            gc.callbacks.remove(self._gc)

    def add(self, ms: float, own: float, function: Any) -> None:
        """One stall of ``ms`` (``own`` of it without full collections)."""
        for index, threshold in enumerate(STALL_MS):
            if ms <= threshold:
                break
            self.over[index] += 1
            self.excess[index] += (ms - threshold) / 1000
        self.longest = max(self.longest, ms)
        if function is not None and own > GOAL_LATENCY_MS:
            self.slow[describe(function)] += 1

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """The benchmark's own work (its collections, snapshots): not counted."""
        self._paused = True
        try:
            yield
        finally:
            self._paused = False

    def _gc(self, phase: str, info: dict[str, int]) -> None:
        if self._paused or info["generation"] != 2:
            return
        if phase == "start":
            self._gc_began = real_monotonic()
            return
        spent = real_monotonic() - self._gc_began
        self._gc_clock += spent
        self.collections += 1
        self.gc_total += spent
        self.gc_longest = max(self.gc_longest, spent * 1000)
        if not self._in_callback:
            self.add(spent * 1000, 0.0, None)

    def take(self) -> dict[str, Any]:
        """The figures since the last ``take()``."""
        taken = {
            "over": self.over,
            "excess": self.excess,
            "longest": self.longest,
            "slow": self.slow,
            "collections": self.collections,
            "gc_longest": self.gc_longest,
            "gc_total": self.gc_total,
        }
        self._reset()
        return taken


def describe(function: Any) -> str:
    """What a loop callback runs: a task's coroutine, or the function."""
    owner = getattr(function, "__self__", None)
    if isinstance(owner, asyncio.Task):
        coroutine = owner.get_coro()
        return f"task {getattr(coroutine, '__qualname__', repr(coroutine))}"
    while isinstance(function, functools.partial):
        function = function.func
    name = getattr(function, "__qualname__", None)
    module = getattr(function, "__module__", None)
    return f"{module}.{name}" if name else repr(function)[:100]


def late_share(stalls: dict[str, Any], threshold: float, seconds: float) -> float:
    """P(a timer is late by more than ``threshold`` ms) over ``seconds`` of real day."""
    return float(stalls["excess"][STALL_MS.index(threshold)]) / seconds


def projected_p99(stalls: dict[str, Any], seconds: float) -> str:
    """The smallest threshold that at most 1 % of timers would exceed, as text."""
    for threshold in STALL_MS:
        if late_share(stalls, threshold, seconds) <= 0.01:
            return f"< {threshold:g} ms"
    return f"> {STALL_MS[-1]:g} ms"


class Histogram:
    """Latency samples in 0.1 ms bins up to 10 s: fixed memory, whatever the run."""

    BIN = 0.1  # ms
    BINS = 100_000

    def __init__(self) -> None:
        """No sample yet; every bin allocated now."""
        self.bins = array("I", bytes(4 * self.BINS))
        self.count = 0
        self.largest = 0.0

    def add(self, samples: list[float]) -> None:
        """Count ``samples`` (ms)."""
        for sample in samples:
            self.bins[min(max(int(sample / self.BIN), 0), self.BINS - 1)] += 1
            self.largest = max(self.largest, sample)
        self.count += len(samples)

    def percentiles(self) -> tuple[float, float, float]:
        """p50, p99 (a bin's upper edge), max (ms); as ``percentiles()`` ranks."""
        if not self.count:
            return (float("nan"),) * 3
        found: list[float] = []
        for rank in (self.count // 2, min(self.count - 1, int(self.count * 0.99))):
            seen = 0
            for index, number in enumerate(self.bins):
                seen += number
                if seen > rank:
                    found.append((index + 1) * self.BIN)
                    break
        return found[0], found[1], self.largest


class Warnings(logging.Handler):
    """Log records of WARNING and above, counted by logger and message."""

    def __init__(self) -> None:
        """Nothing counted yet."""
        super().__init__(logging.WARNING)
        self.counts: Counter[tuple[str, str, str]] = Counter()
        self.first: dict[tuple[str, str, str], str] = {}  # the first one, in full

    def emit(self, record: logging.LogRecord) -> None:
        """Count one record by its message template; keep the first one's text."""
        key = (record.levelname, record.name, str(record.msg)[:90])
        self.counts[key] += 1
        if key not in self.first:
            with contextlib.suppress(Exception):
                self.first[key] = record.getMessage()[:300]


class Devices:
    """The device process: its addresses, and its clock and step commands."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        """Pipes of a started ``household_devices.py --driven``."""
        if process.stdin is None or process.stdout is None:
            raise RuntimeError("the devices' process has no pipes")
        self.process = process
        self.stdin = process.stdin
        self.stdout = process.stdout

    async def addresses(self) -> dict[str, Any]:
        """The first line: every device's port / id / MAC."""
        addresses: dict[str, Any] = json.loads(await self.stdout.readline())
        return addresses

    async def command(self, command: str, answer: str) -> None:
        """Send ``command``; wait for its ``answer`` line."""
        await self.send(command)
        await self.expect(answer)

    async def send(self, command: str) -> None:
        """Send ``command`` (its answer comes later: ``expect()``)."""
        self.stdin.write(f"{command}\n".encode())
        await self.stdin.drain()

    async def expect(self, answer: str) -> None:
        """The next line is ``answer``, or stop."""
        line = (await self.stdout.readline()).decode().strip()
        if line != answer:
            raise RuntimeError(f"devices: {answer!r} expected, {line!r} came")

    async def quit(self) -> None:
        """Stop the process (killed if it does not go)."""
        with contextlib.suppress(ConnectionError):
            self.stdin.write(b"quit\n")
            await self.stdin.drain()
        try:
            await asyncio.wait_for(self.process.wait(), 30)
        except TimeoutError:
            self.process.kill()


@dataclass
class Sample:
    """The household at one simulated hour."""

    hour: int
    at: datetime  # simulated, local
    rss: float  # MB, after gc.collect()
    memory: tuple[float, float, float, int]  # memory_breakdown()
    cpu: float  # s of CPU in the hour before (every thread)
    wall: float  # real s the hour took
    latency: tuple[float, float, float]  # p50, p99, max ms in the hour before
    loaded: int  # entries LOADED
    unavailable: int  # the household's entities unavailable now
    rising: int  # energy sensors higher than an hour before
    late: int  # pushes and readings not seen in HA within the timeout
    stalls: dict[str, Any]  # LoopStalls.take() of the hour before


class Day:
    """Home Assistant with the household, and the simulated clock that drives it."""

    def __init__(
        self,
        hass: HomeAssistant,
        args: argparse.Namespace,
        clock: Any,
        devices: Devices,
        addresses: dict[str, Any],
        *,
        scratch: Path,
    ) -> None:
        """The household's entries (none added to HA yet); ``scratch``: a directory."""
        self.hass = hass
        self.scratch = scratch
        self.args = args
        self.clock = clock  # freezegun's TickingDateTimeFactory
        self.devices = devices
        self.gen2 = [shelly_entry(port, mac, 2) for port, mac in addresses["gen2"]]
        self.gen1 = [shelly_entry(port, mac, 1) for port, mac in addresses["gen1"]]
        self.meters = [esp32_entry(device_id) for device_id in addresses["meters"]]
        self.pzem = [pzem_entry(port) for port in addresses["pzem"]]
        self.elnet = elnet_entry(addresses["elnet"], addresses["elnet_token"])
        self.entries: list[MockConfigEntry] = [
            *self.gen2,
            *self.gen1,
            *self.meters,
            *self.pzem,
            self.elnet,
        ]
        self.energy: list[str] = []  # every energy sensor (the bill's)
        self.entity_ids: set[str] = set()
        self.heartbeat = RealTimeHeartbeat()
        self.stalls = LoopStalls()
        self.latency = Histogram()  # every heartbeat sample of the day
        self.permanent: set[asyncio.Future[Any]] = set()  # background tasks
        self.pushed: set[str] = set()  # each Gen2+ plug's and meter's energy sensor
        self.waiting: set[str] = set()  # those a step's messages have not moved yet
        self.arrived = asyncio.Event()
        self.samples: list[Sample] = []
        self.late = 0
        self.late_steps = 0
        self.behind = 0  # steps that started after their time (slower than real)
        self.step_walls = array("d")  # real s per step
        self.energy_before: dict[str, float] = {}
        self.flat: list[str] = []  # energy sensors that did not rise in the hour
        self.start = 0.0  # epoch of the grid's first point (the day's start)
        self.end = 0.0
        self.set_up = (0.0, 0.0)  # wall, CPU
        self.trace: list[str] = []

    # --- the clock ----------------------------------------------------------------
    async def jump(self, target: float) -> None:
        """The simulated clock to ``target`` (+0.5 s); every timer due has run.

        Half a second past the grid point, as HA's ``async_fire_time_changed``
        goes: a DataUpdateCoordinator polls up to 0.5 s after its whole second,
        and one polling every minute is due just after a grid point (it would
        poll during the devices' step rather than before it). Not while HA's
        MQTT client waits for the broker's acknowledgement of a subscribe or
        publish: its 10 s timeout is on the simulated clock.
        """
        target += RANDOM_MICROSECOND_MAX / 1e6
        client = self.hass.data[DATA_MQTT].client
        for _ in range(1000):
            if not client._pending_operations:  # noqa: SLF001
                break
            await asyncio.sleep(0.01)
        if target > simulated_now():
            self.clock.move_to(datetime.fromtimestamp(target, UTC))
        else:
            self.behind += 1
        await self.settle()

    async def settle(self) -> None:
        """Until nothing is due: timers that are, HA's tasks, the polls in flight."""
        hass = self.hass
        loop = asyncio.get_running_loop()
        for _ in range(1000):
            await asyncio.sleep(0)
            now = loop.time()
            if any(
                not handle.cancelled() and handle.when() <= now
                for handle in get_scheduled_timer_handles(loop)
            ):
                continue  # the loop runs them on its next turn
            await hass.async_block_till_done()
            pending = [
                task
                for task in hass._background_tasks  # noqa: SLF001
                if not task.done() and task not in self.permanent
            ]
            if not pending:
                return
            await asyncio.wait(pending)
        raise RuntimeError("Home Assistant did not settle in 1000 turns")

    async def step(self, target: float) -> None:
        """HA's clock to ``target``, then the devices'; until HA has it all.

        The recorder catches up (commits) while the device process runs its step.
        """
        await self.jump(target)
        self.waiting = set(self.pushed)
        self.arrived.clear()
        await self.devices.send(f"step {target:.3f} {self.args.step:g}")
        await get_instance(self.hass).async_block_till_done()
        await self.devices.expect(f"stepped {target:.3f}")
        if self.waiting:
            try:
                await asyncio.wait_for(self.arrived.wait(), ARRIVAL_TIMEOUT)
            except TimeoutError:
                self.late += len(self.waiting)
                self.late_steps += 1
        await self.settle()

    @callback
    def _moved(self, event: Event[EventStateChangedData]) -> None:
        """A plug's or meter's energy sensor took a step's message."""
        if self.waiting:
            self.waiting.discard(event.data["entity_id"])
            if not self.waiting:
                self.arrived.set()

    # --- set-up -------------------------------------------------------------------
    async def set_up_household(self, broker: Mosquitto, config_dir: Path) -> None:
        """Recorder, HTTP, MQTT; the household's entries at once; the bill."""
        hass = self.hass
        wall, cpu = real_monotonic(), time.process_time()
        recorder_helper.async_initialize_recorder(hass)
        db_url = f"sqlite:///{config_dir / 'home-assistant_v2.db'}"
        if not await async_setup_component(
            hass, "recorder", {"recorder": {"db_url": db_url}}
        ):
            raise RuntimeError("the recorder did not set up")
        await set_up_mqtt(hass, broker)
        await hass.async_block_till_done()
        # The HTTP settings from YAML are a pending config that HA reverts (and
        # restarts for) unless confirmed within 5 minutes: confirmed, as a user would.
        with contextlib.suppress(HomeAssistantError):
            await (await async_get_and_load_store(hass)).async_promote_pending()
        Saves.install()
        hass.data.pop(loader.DATA_CUSTOM_COMPONENTS)  # custom integrations on
        if not await async_setup_component(hass, DOMAIN, {}):
            raise RuntimeError("intelergy did not set up")
        for entry in self.entries:
            entry.add_to_hass(hass)
        await asyncio.gather(
            *(hass.config_entries.async_setup(e.entry_id) for e in self.entries)
        )
        await hass.async_block_till_done()
        self.check_loaded(self.entries)
        # The day's first point: every device reports once, then the bill.
        await self.step_devices_once()
        registry = er.async_get(hass)
        energy = self.energy_sensors(registry)
        self.energy = sorted(energy)
        self.pushed = self.pushed_sensors(registry, energy)
        bill = bill_entry(self.energy)
        bill.add_to_hass(hass)
        await hass.config_entries.async_setup(bill.entry_id)
        await hass.async_block_till_done()
        self.entries.append(bill)
        self.check_loaded(self.entries)
        self.entity_ids = {
            item.entity_id
            for entry in self.entries
            for item in er.async_entries_for_config_entry(registry, entry.entry_id)
        }
        async_track_state_change_event(hass, sorted(self.pushed), self._moved)
        await wait_for_subscriptions(hass)
        await self.settle()
        self.permanent = {
            task
            for task in hass._background_tasks  # noqa: SLF001
            if not task.done()
        }
        self.set_up = (real_monotonic() - wall, time.process_time() - cpu)

    async def step_devices_once(self) -> None:
        """The grid's first point, before the bill (whose sensors need a value)."""
        await self.jump(self.start)
        await self.devices.command(
            f"step {self.start:.3f} {self.args.step:g}", f"stepped {self.start:.3f}"
        )
        # Nothing to wait on yet: let the messages in, a second of real time.
        for _ in range(10):
            await asyncio.sleep(0.1)
            await self.settle()
        await async_wait_recording_done(self.hass)

    def check_loaded(self, entries: list[MockConfigEntry]) -> None:
        """Every entry LOADED, or stop."""
        failed = [e.title for e in entries if e.state is not ConfigEntryState.LOADED]
        if failed:
            raise RuntimeError(f"not loaded: {', '.join(failed[:5])}")

    def energy_sensors(self, registry: er.EntityRegistry) -> set[str]:
        """Every energy sensor of the household: energy, total increasing."""
        found = set()
        for entry in self.entries:
            for item in er.async_entries_for_config_entry(registry, entry.entry_id):
                state = self.hass.states.get(item.entity_id)
                if (
                    item.domain == "sensor"
                    and state is not None
                    and state.attributes.get("device_class") == "energy"
                    and state.attributes.get("state_class") == "total_increasing"
                ):
                    found.add(item.entity_id)
        return found

    def pushed_sensors(self, registry: er.EntityRegistry, energy: set[str]) -> set[str]:
        """The lifetime energy sensor of every Gen2+ plug and meter (one each)."""
        pushed = set()
        for entry in self.gen2 + self.meters:
            own = [
                item
                for item in er.async_entries_for_config_entry(registry, entry.entry_id)
                if item.entity_id in energy
                and str(item.unique_id).endswith("energy")
                and "standby" not in str(item.unique_id)
            ]
            if len(own) != 1:
                raise RuntimeError(
                    f"{entry.title}: {len(own)} lifetime energy sensors "
                    f"({', '.join(i.entity_id for i in own)})"
                )
            pushed.add(own[0].entity_id)
        return pushed

    # --- the day ------------------------------------------------------------------
    async def run(self) -> None:
        """Every step of the day; a sample every simulated hour."""
        args = self.args
        steps_per_hour = round(HOUR / args.step)
        steps = round(args.hours * steps_per_hour)
        self.end = self.start + steps * args.step
        self.heartbeat.start()
        self.samples.append(await self.sample(0, 0.0, 0.0))
        self.stalls.install()
        print(self.progress(self.samples[-1]), flush=True)
        hour_wall, hour_cpu = real_monotonic(), time.process_time()
        for k in range(1, steps + 1):
            began = real_monotonic()
            await self.step(self.start + k * args.step)
            self.step_walls.append(real_monotonic() - began)
            if k % steps_per_hour:
                continue
            hour = k // steps_per_hour
            wall = real_monotonic() - hour_wall
            cpu = time.process_time() - hour_cpu
            self.samples.append(await self.sample(hour, wall, cpu))
            print(self.progress(self.samples[-1]), flush=True)
            if args.trace and hour in (TRACE_FROM, args.hours):
                self.snapshot(hour)
            hour_wall, hour_cpu = real_monotonic(), time.process_time()
        self.stalls.uninstall()
        await self.heartbeat.stop()

    def snapshot(self, hour: int) -> None:
        """Tracemalloc's snapshot; the first kept on disk, not in the measured RSS."""
        with self.stalls.paused():
            gc.collect()
            taken = tracemalloc.take_snapshot().filter_traces(TRACE_FILTERS)
            first = self.scratch / f"tracemalloc-hour-{TRACE_FROM}.snapshot"
            if hour == TRACE_FROM:
                taken.dump(str(first))
            elif first.exists():
                first_taken = tracemalloc.Snapshot.load(str(first))
                self.trace = trace_report(first_taken, taken)
            del taken
            gc.collect()
        self.heartbeat.skip()

    async def sample(self, hour: int, wall: float, cpu: float) -> Sample:
        """RSS after a collection, latency of the hour, the entries and sensors."""
        hass = self.hass
        await async_wait_recording_done(hass)
        latency = self.heartbeat.take()
        self.latency.add(latency)
        stalls = self.stalls.take()
        with self.stalls.paused():
            gc.collect()
        rss = rss_mb()
        memory = memory_breakdown()
        self.heartbeat.skip()  # the collection's pause is the benchmark's
        unavailable = sum(
            1
            for entity_id in self.entity_ids
            if (state := hass.states.get(entity_id)) is not None
            and state.state == STATE_UNAVAILABLE
        )
        rising = 0
        self.flat = []
        for entity_id in self.energy:
            state = hass.states.get(entity_id)
            try:
                value = float(state.state) if state is not None else float("nan")
            except ValueError:
                value = float("nan")
            if value > self.energy_before.get(entity_id, float("inf")):
                rising += 1
            elif entity_id in self.energy_before:
                self.flat.append(entity_id)
            self.energy_before[entity_id] = value
        loaded = sum(1 for e in self.entries if e.state is ConfigEntryState.LOADED)
        late, self.late = self.late, 0
        at = datetime.fromtimestamp(simulated_now(), ZoneInfo(TIME_ZONE))
        return Sample(
            hour,
            at,
            rss,
            memory,
            cpu,
            wall,
            percentiles(latency),
            loaded,
            unavailable,
            rising,
            late,
            stalls,
        )

    def progress(self, sample: Sample) -> str:
        """One line per simulated hour."""
        return (
            f"hour {sample.hour:2d} ({sample.at:%a %H:%M}): RSS {sample.rss:6.1f} MB "
            f"(SQLite {sample.memory[0]:.1f}, malloc {sample.memory[1]:.1f}, "
            f"{sample.memory[3] / 1000:,.0f}k blocks), "
            f"{sample.cpu:5.1f} s CPU in {sample.wall:5.1f} s, heartbeat p99 / max "
            f"{sample.latency[1]:.1f} / {sample.latency[2]:.0f} ms, callbacks > 50 ms "
            f"{sample.stalls['over'][STALL_MS.index(50.0)]} (longest "
            f"{sample.stalls['longest']:.0f}), full GCs {sample.stalls['collections']} "
            f"(longest {sample.stalls['gc_longest']:.0f} ms), "
            f"{sample.loaded} loaded, {sample.unavailable} unavailable, "
            f"{sample.rising}/{len(self.energy)} energy sensors rising"
            + (f", {sample.late} late" if sample.late else "")
        )


# --- tracemalloc --------------------------------------------------------------------
TRACE_FILTERS = [
    tracemalloc.Filter(inclusive=False, filename_pattern=tracemalloc.__file__),
    tracemalloc.Filter(
        inclusive=False, filename_pattern="<frozen importlib._bootstrap>"
    ),
    tracemalloc.Filter(
        inclusive=False, filename_pattern="<frozen importlib._bootstrap_external>"
    ),
    tracemalloc.Filter(inclusive=False, filename_pattern="<unknown>"),
]


def short_path(filename: str) -> str:
    """A traced file as site-packages/… or relative to the repository."""
    root = str(Path(__file__).resolve().parent.parent) + os.sep
    if filename.startswith(root):
        filename = filename[len(root) :]
    marker = "site-packages" + os.sep
    if marker in filename:
        filename = filename.split(marker, 1)[1]
    return filename


def trace_report(first: tracemalloc.Snapshot, last: tracemalloc.Snapshot) -> list[str]:
    """The top growing allocation sites between two snapshots, as table rows.

    A site is the allocating line; "via" is the caller chain (up to
    frames traced - 1) that grew most there, for sites in code shared
    by everything (a dataclass, freezegun's datetimes, json).
    """
    stats = sorted(
        last.compare_to(first, "lineno"), key=lambda s: s.size_diff, reverse=True
    )
    callers: dict[tuple[str, int], tracemalloc.StatisticDiff] = {}
    for stat in last.compare_to(first, "traceback"):
        frame = stat.traceback[-1]  # the most recent frame: the allocating line
        key = (frame.filename, frame.lineno)
        if key not in callers or stat.size_diff > callers[key].size_diff:
            callers[key] = stat
    total = sum(s.size_diff for s in stats)
    rows = [
        f"Net traced growth {total / 1024:+,.0f} KiB over {len(stats):,} sites.",
        "",
        "| allocation site | growth KiB | blocks | now KiB | via (most grown caller chain) |",
        "|---|---:|---:|---:|---|",
    ]
    for stat in stats[:TRACE_TOP]:
        frame = stat.traceback[-1]
        chain = callers.get((frame.filename, frame.lineno))
        via = (
            " < ".join(
                f"`{short_path(f.filename)}:{f.lineno}`"
                for f in reversed(chain.traceback[:-1])
            )
            if chain is not None
            else ""
        )
        rows.append(
            f"| `{short_path(frame.filename)}:{frame.lineno}` | "
            f"{stat.size_diff / 1024:+,.1f} | {stat.count_diff:+,} | "
            f"{stat.size / 1024:,.1f} | {via} |"
        )
    return rows


# --- the recorder's rows --------------------------------------------------------------
STATISTICS_QUERIES = {
    "statistics_short_term": (
        "SELECT COUNT(*), COUNT(DISTINCT start_ts), COUNT(DISTINCT metadata_id), "
        "MIN(start_ts), MAX(start_ts) FROM statistics_short_term "
        "WHERE start_ts >= :start AND start_ts < :end"
    ),
    "statistics": (
        "SELECT COUNT(*), COUNT(DISTINCT start_ts), COUNT(DISTINCT metadata_id), "
        "MIN(start_ts), MAX(start_ts) FROM statistics "
        "WHERE start_ts >= :start AND start_ts < :end"
    ),
}


async def recorded(hass: HomeAssistant, start: float, end: float) -> dict[str, Any]:
    """The recorder's rows of the day from the grid point ``start`` to ``end``.

    State rows per hour (of the hour before each sample: a step's states are
    written just after its grid point), 'unavailable' rows after the first hour,
    and the statistics rows, periods and sensors of the periods from the whole
    minute before ``start`` (the day's first period) to the one before ``end``.
    """

    def query() -> dict[str, Any]:
        with session_scope(hass=hass, read_only=True) as session:
            states = {"start": start + 1, "end": end + 1}
            per_hour = {
                int(hour): int(count)
                for hour, count in session.execute(
                    text(
                        "SELECT CAST((last_updated_ts - :start) / 3600 AS INTEGER), "
                        "COUNT(*) FROM states WHERE last_updated_ts >= :start AND "
                        "last_updated_ts < :end GROUP BY 1"
                    ),
                    states,
                )
            }
            unavailable = session.execute(
                text(
                    "SELECT COUNT(*) FROM states WHERE state = 'unavailable' AND "
                    "last_updated_ts >= :from AND last_updated_ts < :end"
                ),
                {"from": start + HOUR, "end": end + 1},
            ).scalar_one()
            found: dict[str, Any] = {
                "states": per_hour,
                "unavailable": int(unavailable),
            }
            periods = {"start": start - GRID_OFFSET, "end": end - GRID_OFFSET}
            for table, sql in STATISTICS_QUERIES.items():
                found[table] = tuple(session.execute(text(sql), periods).one())
            return found

    result: dict[str, Any] = await get_instance(hass).async_add_executor_job(query)
    return result


# --- the report -------------------------------------------------------------------
def report(day: Day, rows: dict[str, Any], began: float) -> list[str]:
    """The Markdown section."""
    args, samples = day.args, day.samples
    tz = ZoneInfo(TIME_ZONE)
    out: list[str] = []

    def line(text: str = "") -> None:
        out.append(text)

    command = " ".join(sys.argv[1:])
    line("# Household, a day in simulated time")
    line()
    line(
        f"`PYTHONPATH=. .venv/bin/python benchmarks/household_day.py {command}`".replace(
            " `", "`"
        )
    )
    line()
    day_wall = sum(s.wall for s in samples)
    line(
        f"Machine: {machine()}. Run in {real_monotonic() - began:.0f} s: set-up "
        f"{day.set_up[0]:.0f} s, the {args.hours:g} simulated hours "
        f"{day_wall:.0f} s ({len(day.step_walls)} steps of {args.step:g} s, "
        f"{statistics_line(day.step_walls)})."
    )
    line()
    line(
        f"{len(day.gen2)} Shelly Gen2+ and {len(day.gen1)} Gen1 plugs, "
        f"{len(day.meters)} ESP32 meters, {len(day.pzem)} PZEM, 1 ELNET, a bill over "
        f"{len(day.energy)} energy sensors ({len(day.entries)} entries, "
        f"{len(day.entity_ids)} entities), from "
        f"{datetime.fromtimestamp(day.start, tz):%Y-%m-%d %H:%M:%S %Z} to "
        f"{datetime.fromtimestamp(day.end, tz):%Y-%m-%d %H:%M:%S %Z}."
    )
    line()
    line(
        "Simulated time: freezegun's `freeze_time(start, tick=True)` is Home "
        "Assistant's clock in every thread (`time.time`, `datetime.now`, and "
        "`time.monotonic`, the event loop's clock); it is moved "
        f"{args.step:g} s at a time to a grid {GRID_OFFSET:g} s past the minute "
        "(and half a second, for the coordinators' spread), so "
        "every timer due in the step fires from the loop's own queue in its order "
        "(polls, recorder commits and statistics compiles, the bill's refresh, "
        "delayed saves, midnight). After each jump HA is let finish, then the "
        "device process runs the same step on the same clock (Gen2+ pushes and "
        "meter readings stamped with it; Gen1, PZEM and ELNET counters read at "
        "their next poll), the recorder commits meanwhile, and the benchmark "
        "waits until every plug's and meter's energy sensor took it. A timer "
        "fires at the end of its step, a periodic one at most once per step: "
        "devices polled every 10 s are polled once a minute, every device reports "
        "once a minute."
    )
    line()
    line(
        "Latency, two ways. The heartbeat: a thread on real time asks the loop "
        "every 100 ms to run a callback and notes how late it runs (the "
        "benchmark's own gc.collect() and snapshots left out); it samples a "
        f"simulated hour's work packed into {day_wall / max(args.hours, 1):.0f} "
        "real seconds, so it is the loop under that packed load. The stalls: every callback the loop runs, "
        "timed on the real clock, and the collector's full (generation 2) "
        "collections; a callback's length does not depend on the packing. "
        "Spread over the real hour, a timer due at a random moment is late by "
        "what is left of the callback running then: P(late > x) = sum of "
        "max(d - x, 0) over the hour's callbacks / 3,600 s, whence the projected "
        "p99."
    )
    line()
    line(
        "| hour | simulated | RSS MB | Δ MB | SQLite MB | malloc MB (held free) | "
        "Python blocks | CPU s | wall s | state rows | "
        "heartbeat p50 / p99 / max ms | callbacks > 50 ms | longest callback ms | "
        "full GCs (longest ms) | projected p99 | entries loaded | unavailable | "
        "energy sensors rising |"
    )
    line(
        "|---:|---|---:|---:|---:|---|---:|---:|---:|---:|---|---:|---:|---|---|"
        "---:|---:|---:|"
    )
    states = rows["states"]
    previous = None
    at_50 = STALL_MS.index(GOAL_LATENCY_MS)
    for sample in samples:
        delta = "" if previous is None else f"{sample.rss - previous:+.1f}"
        previous = sample.rss
        stalls = sample.stalls
        if sample.hour:
            loop = (
                f"{fmt_latency(sample.latency)} | {stalls['over'][at_50]} | "
                f"{stalls['longest']:.0f} | {stalls['collections']} "
                f"({stalls['gc_longest']:.0f}) | {projected_p99(stalls, HOUR)}"
            )
        else:
            loop = "- | - | - | - | -"
        line(
            f"| {sample.hour} | {sample.at:%a %H:%M} | {sample.rss:.1f} | {delta} | "
            f"{sample.memory[0]:.1f} | {sample.memory[1]:.1f} "
            f"({sample.memory[2]:.1f}) | {sample.memory[3]:,} | "
            f"{sample.cpu:.1f} | {sample.wall:.1f} | "
            f"{states.get(sample.hour - 1, 0) if sample.hour else 0:,} | {loop} | "
            f"{sample.loaded}/{len(day.entries)} | {sample.unavailable} | "
            f"{sample.rising if sample.hour else '-'}/{len(day.energy)} |"
        )
    line()
    hours = len(samples) - 1
    half = hours // 2
    if hours >= 2:
        first = (samples[half].rss - samples[0].rss) / half
        second = (samples[-1].rss - samples[half].rss) / (hours - half)
        line(
            f"- resident memory (VmRSS after gc.collect()): {samples[0].rss:.1f} MB "
            f"after set-up, {samples[half].rss:.1f} MB at hour {half}, "
            f"{samples[-1].rss:.1f} MB at hour {hours}: {first:+.2f} MB per hour "
            f"over hours 0-{half}, {second:+.2f} MB per hour over hours "
            f"{half}-{hours} (goal: flat, the second half near 0)"
        )
        line(memory_growth(samples[0], samples[half], samples[-1]))
    if hours:
        out.extend(latency_summary(day))
    cpu = sum(s.cpu for s in samples)
    line(
        f"- CPU: {cpu:.0f} s for the {args.hours:g} simulated hours "
        f"({cpu / max(args.hours, 1e-9):.1f} s per simulated hour), set-up "
        f"{day.set_up[1]:.1f} s"
    )
    total_states = sum(states.values())
    short = rows["statistics_short_term"]
    hourly = rows["statistics"]
    line(
        f"- recorder: {total_states:,} state rows over the day; statistics: "
        f"{short[0]:,} 5-minute rows ({short[1]} periods of {short[2]} sensors, "
        f"{span_text(short, tz)}) and {hourly[0]:,} hourly rows ({hourly[1]} hours "
        f"of {hourly[2]} sensors, {span_text(hourly, tz)}); "
        f"{rows['unavailable']} 'unavailable' state rows after the first hour"
    )
    last = samples[-1]
    line(
        f"- at the end: {last.loaded}/{len(day.entries)} entries loaded, "
        f"{last.unavailable} of {len(day.entity_ids)} entities unavailable, "
        f"{last.rising}/{len(day.energy)} energy sensors higher than an hour "
        f"before; steps whose pushes or readings did not all show within "
        f"{ARRIVAL_TIMEOUT:g} s: {day.late_steps}; steps behind their time: "
        f"{day.behind}; Intelergy store writes: {Saves.written:,}"
    )
    if day.flat:
        line(
            f"- energy sensors that did not rise in the last hour: {', '.join(day.flat)}"
        )
    return out


def memory_growth(start: Sample, middle: Sample, end: Sample) -> str:
    """Where the RSS went, per half: SQLite, malloc, Python's blocks."""

    def half(a: Sample, b: Sample) -> str:
        hours = b.hour - a.hour
        return (
            f"SQLite {(b.memory[0] - a.memory[0]) / hours:+.2f}, malloc in use "
            f"{(b.memory[1] - a.memory[1]) / hours:+.2f} (held free "
            f"{(b.memory[2] - a.memory[2]) / hours:+.2f}) MB per hour, Python "
            f"blocks {(b.memory[3] - a.memory[3]) / hours:+,.0f} per hour"
        )

    return (
        f"  - hours {start.hour}-{middle.hour}: {half(start, middle)}; hours "
        f"{middle.hour}-{end.hour}: {half(middle, end)}"
    )


def latency_summary(day: Day) -> list[str]:
    """The heartbeat's and the stalls' figures over the day, against the goal."""
    hours = day.samples[1:]
    beats = day.latency.percentiles()
    worst = max(hours, key=lambda s: s.latency[1])
    at_goal = STALL_MS.index(GOAL_LATENCY_MS)
    over = sum(s.stalls["over"][at_goal] for s in hours)
    longest = max(hours, key=lambda s: s.stalls["longest"])
    collections = sum(s.stalls["collections"] for s in hours)
    gc_total = sum(s.stalls["gc_total"] for s in hours)
    gc_longest = max(s.stalls["gc_longest"] for s in hours)
    slow: Counter[str] = Counter()
    for sample in hours:
        slow.update(sample.stalls["slow"])
    shares = [late_share(s.stalls, GOAL_LATENCY_MS, HOUR) for s in hours]
    packed = worst.latency[1] < GOAL_LATENCY_MS
    spread = all(share <= 0.01 for share in shares)
    kinds = ", ".join(f"`{what}` x {count}" for what, count in slow.most_common(5))
    heartbeat = (
        f"- event-loop latency, heartbeat ({day.latency.count:,} beats; the day "
        f"packed into {sum(s.wall for s in hours):.0f} real s): p50 / p99 / max "
        f"{fmt_latency(beats)} ms, the worst hour's p99 {worst.latency[1]:.1f} ms "
        f"(hour {worst.hour}): {'under' if packed else 'NOT under'} "
        f"{GOAL_LATENCY_MS:g} ms in every hour even packed"
    )
    stalls = (
        f"- event-loop stalls: {over} callbacks longer than {GOAL_LATENCY_MS:g} ms "
        f"in the day, the longest {longest.stalls['longest']:.0f} ms (hour "
        f"{longest.hour}); {collections} full collections ({gc_total:.1f} s in "
        f"all, the longest {gc_longest:.0f} ms); longer than "
        f"{GOAL_LATENCY_MS:g} ms without a full collection in them: "
        f"{sum(slow.values())} ({kinds or 'none'}). Spread over real time, the "
        f"share of timers late by more than {GOAL_LATENCY_MS:g} ms is at most "
        f"{max(shares) * 100:.3f} % in any hour (goal p99 < "
        f"{GOAL_LATENCY_MS:g} ms throughout: {'met' if spread else 'NOT met'})"
    )
    return [heartbeat, stalls]


def statistics_line(walls: Sequence[float]) -> str:
    """Real seconds per step: mean and max."""
    if not walls:
        return "none"
    return f"{sum(walls) / len(walls) * 1000:.0f} ms a step on average, max {max(walls):.1f} s"


def span_text(found: tuple[Any, ...], tz: ZoneInfo) -> str:
    """The first and last period start of a statistics table."""
    if found[3] is None:
        return "none"
    first = datetime.fromtimestamp(found[3], tz)
    last = datetime.fromtimestamp(found[4], tz)
    return f"{first:%a %H:%M}-{last:%a %H:%M}"


# --- main ---------------------------------------------------------------------------
async def main() -> None:
    """Broker, devices, the frozen clock, HA; the day; the report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--plugs", type=int, default=50, help="Gen2+ plugs")
    parser.add_argument("--gen1", type=int, default=50, help="Gen1 plugs")
    parser.add_argument("--meters", type=int, default=50, help="ESP32 meters")
    parser.add_argument("--pzem", type=int, default=10)
    parser.add_argument("--hours", type=int, default=24, help="simulated hours")
    parser.add_argument(
        "--step",
        type=float,
        default=60.0,
        help="simulated s per jump (a divisor of 3600)",
    )
    parser.add_argument(
        "--start", default=DEFAULT_START, help=f"local time ({TIME_ZONE})"
    )
    parser.add_argument(
        "--trace",
        type=int,
        nargs="?",
        const=TRACE_FRAMES,
        default=0,
        metavar="FRAMES",
        help=f"tracemalloc: what grows, file:line (FRAMES kept, {TRACE_FRAMES})",
    )
    parser.add_argument("--results", type=Path, help="write the report here too")
    args = parser.parse_args()
    if args.step <= 0 or HOUR % args.step:
        parser.error("--step must divide an hour")
    if args.trace and args.hours <= TRACE_FROM:
        parser.error(f"--trace compares hour {TRACE_FROM} with the last: --hours > 2")
    began = real_monotonic()
    logging.basicConfig(level=logging.CRITICAL)
    counted = Warnings()
    logging.getLogger().addHandler(counted)
    logging.getLogger().setLevel(logging.WARNING)
    for handler in logging.getLogger().handlers:
        if handler is not counted:
            handler.setLevel(logging.CRITICAL)
    broker = Mosquitto()
    await broker.start()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(Path(__file__).with_name("household_devices.py")),
        "--driven",
        *("--gen2", str(args.plugs), "--gen1", str(args.gen1)),
        *("--meters", str(args.meters), "--pzem", str(args.pzem)),
        *("--broker-port", str(broker.port)),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)},
    )
    devices = Devices(process)
    tz = ZoneInfo(TIME_ZONE)
    start = datetime.fromisoformat(args.start).replace(tzinfo=tz)
    first_point = start.timestamp() + GRID_OFFSET
    prepare_freezegun()
    # paho's keep-alive clock stays real: the broker's is.
    frozen = freezegun.freeze_time(
        start - timedelta(seconds=SET_UP_LEAD), tick=True, ignore=["paho"]
    )
    out: list[str] = []
    try:
        addresses = await devices.addresses()
        await devices.command(
            f"clock {first_point - args.step:.3f} {TIME_ZONE}",
            f"clock {first_point - args.step:.3f}",
        )
        if args.trace:
            tracemalloc.start(args.trace)
        clock = frozen.start()
        try:
            with tempfile.TemporaryDirectory(prefix="intelergy-day-") as directory:
                config_dir = Path(directory)
                (config_dir / "configuration.yaml").write_text('{"mqtt": {}}')
                async with async_test_home_assistant(config_dir=directory) as hass:
                    if hass.config.time_zone != TIME_ZONE:
                        raise RuntimeError(f"HA's time zone: {hass.config.time_zone}")
                    day = Day(hass, args, clock, devices, addresses, scratch=config_dir)
                    day.start = first_point
                    await day.set_up_household(broker, config_dir)
                    print(
                        f"set up: {len(day.entries)} entries, {len(day.entity_ids)} "
                        f"entities, a bill over {len(day.energy)} energy sensors in "
                        f"{day.set_up[0]:.1f} s",
                        flush=True,
                    )
                    await day.run()
                    await async_wait_recording_done(hass)
                    rows = await recorded(hass, day.start, day.end)
                    out = report(day, rows, began)
                    if args.trace:
                        out += ["", "## What grows (tracemalloc)", ""]
                        out.append(
                            f"Snapshots after gc.collect() at hour {TRACE_FROM} and "
                            f"hour {args.hours} ({args.trace} frames per "
                            "allocation, tracing since before the set-up); the top "
                            f"{TRACE_TOP} sites by growth:"
                        )
                        out.append("")
                        out += day.trace
                    if counted.counts:
                        out += ["", "Log records of WARNING and above:", ""]
                        out += [
                            f"- {count} x {key[0]} {key[1]}: "
                            f"{counted.first.get(key, key[2])}"
                            for key, count in counted.counts.most_common(LOG_TOP)
                        ]
                    for entry in hass.config_entries.async_entries():
                        if entry.state is ConfigEntryState.LOADED:
                            await hass.config_entries.async_unload(entry.entry_id)
                    await hass.async_stop(force=True)
        finally:
            frozen.stop()
        text_out = "\n".join(out) + "\n"
        print(text_out)
        if args.results is not None:
            args.results.write_text(text_out)
    finally:
        await devices.quit()
        await broker.stop()


if __name__ == "__main__":
    asyncio.run(main())
