"""The device-life model (tests/lifemodel.py) played through the real integration.

A ``Source`` is one metered source as a life needs it: its simulator (or, for an
MQTT meter, the messages the meter would publish), its config entry and the
energy sensor to watch; a ``PolledSource`` is one HA reads by refreshing its
coordinator, its simulator serving for the life. ``check_life`` plays a life's
steps (``play()``) on it (``Stage.check``: while it serves):

* HA's clock and the device's clock move together: the clock first, then the
  device runs for the same seconds (``Source.pass_time``), so every reading Home
  Assistant takes is stamped with the time the device really took to use it
  (HA's clock is frozen in between: only the life moves it, and a request a
  jump of the clock timed out is let finish, ``Source.settle``);
* a reading reaches the integration by its own path (a coordinator refresh over
  HTTP, RPC or Modbus, or a state message through Mosquitto);
* a reboot, a glitch (one corrupt counter on the wire), a corrupted counter, an
  outage happen at the simulator; an HA restart unloads the entry (its Store is
  written), moves the clock while the device runs on, and sets it up again.

Then, for every life: the energy sensor's state never goes down from one
numeric state to the next; its change over the life is the true energy used
within the model's loss budget (never above it); and the recorder's hourly
statistics, compiled for every 5-minute period in which something happened and
every hour that saw one, have no negative hour and add up to the sensor's change.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
import math
import re
from typing import Any, ClassVar, Final, Protocol, cast, get_args

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util
from hypothesis import HealthCheck, Phase, given, seed, settings, strategies as st
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
    do_adhoc_statistics,
    statistics_during_period,
)

from custom_components.intelergy.const import DOMAIN
from tests.lifemodel import Device, Event, EventKind, Life, Reading, Step, play

# Every life starts here: HA's clock, the device's clock and the first reading.
# Ahead of the real time the fixtures start at, so HA's clock only ever moves on
# (timers set during set-up stay in order); in winter, no DST change for days.
T0: Final = datetime(2030, 1, 7, 10, 2, tzinfo=UTC).timestamp()
FIVE_MINUTES: Final = 300
ONE_HOUR: Final = 3600


def utc(timestamp: float) -> datetime:
    """``timestamp`` (epoch seconds) as an aware UTC datetime."""
    return dt_util.utc_from_timestamp(timestamp)


class Source(ABC):
    """One metered source under a life: simulator, config entry, energy sensor."""

    #: Whether the device's counter survives a reboot (the model's physics).
    persistent: ClassVar[bool]
    #: Whether setting the entry up reads the device (polled sources do).
    reads_at_setup: ClassVar[bool] = True
    #: What the simulator's counter resolution can add up to over a life (Wh).
    tolerance_wh: ClassVar[float] = 1.0

    def __init__(self, hass: HomeAssistant) -> None:
        """The entry is made and set up by the life's ``start`` step."""
        self.hass = hass
        self._entry: MockConfigEntry | None = None

    @property
    def entry(self) -> MockConfigEntry:
        """The config entry (made on the first set-up)."""
        if self._entry is None:
            self._entry = self.make_entry()
        return self._entry

    # --- what each source says --------------------------------------------------
    @abstractmethod
    def device(self) -> Device:
        """The model device, as the simulator is at ``T0``."""

    @abstractmethod
    def make_entry(self) -> MockConfigEntry:
        """The source's config entry, added to hass (not set up)."""

    @abstractmethod
    def energy_unique_id(self) -> str:
        """The unique id of the lifetime energy sensor."""

    @abstractmethod
    async def advance(self, seconds: float, power: float) -> None:
        """The device uses ``power`` W for ``seconds`` (HA's clock has moved)."""

    @abstractmethod
    async def reboot(self, loss_wh: float) -> None:
        """The device restarts (a persistent counter comes back ``loss_wh`` lower)."""

    @abstractmethod
    async def reachable(self, on: bool) -> None:
        """The device answers (or publishes) from now on, or stops."""

    @abstractmethod
    async def jump(self, wh: float) -> None:
        """The device's counter is corrupted upwards by ``wh`` and carries on."""

    @abstractmethod
    async def read(self, reading: Reading) -> None:
        """The integration takes the device's reading now (a poll, a message)."""

    @abstractmethod
    async def glitch(self, reading: Reading) -> None:
        """One corrupt reading (``reading.counter_wh``) reaches the integration."""

    async def pass_time(
        self, freezer: FrozenDateTimeFactory, until: float, seconds: float, power: float
    ) -> None:
        """HA's clock to ``until``, then the device runs the same ``seconds``."""
        clock_to(freezer, until)
        await self.advance(seconds, power)

    async def unreachable(self) -> None:  # noqa: B027 - optional: pushed sources
        """The integration tries to read a device that does not answer."""

    async def after_reboot(self, reading: Reading) -> bool:
        """Whether the integration read the device just after it restarted."""
        del reading
        return False

    @asynccontextmanager
    async def serving(self) -> AsyncIterator[None]:
        """While a life is played (a pushed source's broker is its tests' fixture)."""
        yield

    # --- the entry ----------------------------------------------------------------
    async def settle(self) -> None:
        """Let a set-up HA retried in the background (its clock jumped) finish.

        A jump of the clock can time out a request in flight; the task then
        finishes as it unwinds, which ``async_block_till_done`` does not wait for.
        """
        for _ in range(100):
            await self.hass.async_block_till_done(wait_background_tasks=True)
            if self.entry.state is not ConfigEntryState.SETUP_IN_PROGRESS:
                return
            await asyncio.sleep(0)
        raise AssertionError("the entry's set-up does not finish")

    async def set_up(self) -> bool:
        """Set the entry up; whether it loaded (a device that is down: retry)."""
        await self.hass.config_entries.async_setup(self.entry.entry_id)
        await self.hass.async_block_till_done()
        return self.entry.state is ConfigEntryState.LOADED

    async def ensure_loaded(self) -> None:
        """A reachable device: an entry waiting to retry its set-up is set up now."""
        await self.settle()
        if self.entry.state is not ConfigEntryState.LOADED:
            assert await self.hass.config_entries.async_reload(self.entry.entry_id)
            await self.hass.async_block_till_done()
        assert self.entry.state is ConfigEntryState.LOADED

    async def unload(self) -> None:
        """Home Assistant stops: the entry unloads (its Store is written)."""
        await self.settle()
        if self.entry.state in (ConfigEntryState.LOADED, ConfigEntryState.SETUP_RETRY):
            assert await self.hass.config_entries.async_unload(self.entry.entry_id)
        await self.hass.async_block_till_done()

    def energy_entity(self) -> str:
        """The energy sensor's entity id."""
        found = er.async_get(self.hass).async_get_entity_id(
            "sensor", DOMAIN, self.energy_unique_id()
        )
        assert found, self.energy_unique_id()
        return found


class Simulator(Protocol):
    """A device's simulator: serves on 127.0.0.1 (a free port) until stopped."""

    async def start(self) -> object:
        """Serve."""

    async def stop(self) -> None:
        """Stop serving."""


class PolledSource[C: DataUpdateCoordinator[Any], S: Simulator](Source):
    """A source HA polls: a reading is one refresh of the entry's coordinator."""

    #: Whether a poll waits for the background tasks it set off too.
    background: ClassVar[bool] = False

    def __init__(self, hass: HomeAssistant, sim: S) -> None:
        """``sim`` (not serving yet) serves while a life is played (``serving``)."""
        super().__init__(hass)
        self.sim = sim

    @property
    def coordinator(self) -> C:
        """The loaded entry's coordinator."""
        coordinator: C = self.entry.runtime_data.coordinator
        return coordinator

    @abstractmethod
    def serve_glitch(self, counter_wh: float) -> None:
        """The simulator's next answer (only) carries the corrupt ``counter_wh``."""

    @asynccontextmanager
    async def serving(self) -> AsyncIterator[None]:
        """The simulator serves for the life."""
        await self.sim.start()
        try:
            yield
        finally:
            await self.sim.stop()

    async def poll(self) -> None:
        """One refresh of the coordinator, and what it set off."""
        await self.coordinator.async_refresh()
        await self.hass.async_block_till_done(wait_background_tasks=self.background)

    async def read(self, reading: Reading) -> None:
        """The integration reads the device now."""
        del reading
        await self.read_now()

    async def read_now(self) -> None:
        """One poll that succeeds."""
        await self.poll()
        assert self.coordinator.last_update_success

    async def unreachable(self) -> None:
        """A poll that fails (the entities go unavailable)."""
        if self.entry.state is not ConfigEntryState.LOADED:
            return  # set-up failed at a restart: HA retries it by itself
        await self.poll()

    async def glitch(self, reading: Reading) -> None:
        """One poll reads the corrupt counter."""
        self.serve_glitch(reading.counter_wh)
        await self.read(reading)


@dataclass
class Trace:
    """What a life did, for the checks and for a readable failure."""

    totals: list[float] = field(default_factory=list)  # kWh, each numeric state
    times: list[float] = field(default_factory=list)  # HA's clock after each step
    lines: list[str] = field(default_factory=list)

    def text(self) -> str:
        """The life, one step a line."""
        return "\n".join(self.lines)


def clock_to(freezer: FrozenDateTimeFactory, timestamp: float) -> None:
    """Move HA's clock to ``timestamp`` (never back: waiting on MQTT ticks it)."""
    if timestamp > dt_util.utcnow().timestamp():
        freezer.move_to(utc(timestamp))


def _describe(step: Step) -> str:
    event = step.event
    detail = {
        "run": f"{event.seconds:g} s at {event.power:.6g} W",
        "ha_restart": f"{event.seconds:g} s at {event.power:.6g} W",
        "reboot": f"loss {event.loss_wh:.6g} Wh",
        "offline": f"{event.seconds:g} s",
        "jump": f"+{event.jump_wh:.6g} Wh",
        "glitch": "" if step.reading is None else f"{step.reading.counter_wh:.10g} Wh",
        "start": "",
    }[step.kind]
    seen = "" if step.reading is None or step.kind == "glitch" else " (reachable)"
    return f"{step.kind} {detail}{seen}"


async def play_life(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    source: Source,
    life: Life,
    events: list[Event],
) -> Trace:
    """Play ``events`` on ``source``; the sensor's states, checked never to drop."""
    trace = Trace()
    device = life.device
    entity: str | None = None
    for step in play(life, events):
        kind, event = step.kind, step.event
        if kind == "start":
            clock_to(freezer, device.time)
            await source.reachable(True)
            assert await source.set_up()
            if not source.reads_at_setup:
                assert step.reading is not None
                await source.read(step.reading)
            step.delivered = True
        elif kind == "run":
            if step.reading is None:
                await source.reachable(False)
            await source.pass_time(freezer, device.time, event.seconds, event.power)
            if step.reading is None:
                await source.unreachable()
            else:
                await source.reachable(True)
                await source.ensure_loaded()
                await source.read(step.reading)
        elif kind == "reboot":
            await source.reboot(event.loss_wh)
            if step.reading is not None:
                step.delivered = await source.after_reboot(step.reading)
        elif kind == "offline":
            await source.reachable(False)
        elif kind == "ha_restart":
            await source.unload()
            clock_to(freezer, device.time)
            await source.advance(event.seconds, event.power)
            await source.reachable(step.reading is not None)
            loaded = await source.set_up()
            assert loaded or step.reading is None, "set-up failed, device reachable"
            step.delivered = (
                loaded and source.reads_at_setup and step.reading is not None
            )
        elif kind == "glitch":
            assert step.reading is not None
            await source.glitch(step.reading)
        elif kind == "jump":
            await source.jump(event.jump_wh)
        await hass.async_block_till_done()
        entity = entity or source.energy_entity()
        now = dt_util.utcnow().timestamp()
        trace.times.append(now)
        state = hass.states.get(entity)
        value = _number(None if state is None else state.state)
        trace.lines.append(
            f"{now - T0:>10.2f} s  {_describe(step):<40} -> "
            f"{'-' if state is None else state.state}"
        )
        if value is None:
            assert step.reading is None or kind not in ("run", "start"), (
                "a reading reached HA but the sensor shows no number\n" + trace.text()
            )
            continue
        if trace.totals:
            assert value >= trace.totals[-1], (
                f"the total went down: {trace.totals[-1]} -> {value}\n" + trace.text()
            )
        trace.totals.append(value)
    return trace


def _number(state: str | None) -> float | None:
    try:
        value = float(state)  # type: ignore[arg-type]
    except TypeError, ValueError:
        return None
    return value if math.isfinite(value) else None


async def hourly_statistics(
    hass: HomeAssistant, entity_id: str, times: list[float]
) -> list[dict[str, Any]]:
    """Compile the 5-minute periods of ``times`` and their hours; the hourly rows.

    In time order, as the recorder would: each period in which a step happened
    (its states, transient ones included, are seen), and the last period of
    every such hour (which makes the recorder compile the hour).
    """
    await async_wait_recording_done(hass)
    periods = {t - t % FIVE_MINUTES for t in times}
    periods |= {t - t % ONE_HOUR + ONE_HOUR - FIVE_MINUTES for t in times}
    for start in sorted(periods):
        do_adhoc_statistics(hass, start=utc(start))
        await async_wait_recording_done(hass)
    rows = await hass.async_add_executor_job(
        statistics_during_period,
        hass,
        utc(min(times) - ONE_HOUR),
        None,
        {entity_id},
        "hour",
        None,
        {"state", "sum", "change"},
    )
    return [dict(row) for row in rows.get(entity_id, [])]


async def check_life(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    source: Source,
    events: list[Event],
) -> None:
    """Play a life on ``source`` and check the total and the statistics."""
    life = Life(source.device())
    trace = await play_life(hass, freezer, source, life, events)
    text = trace.text()
    assert life.first_true_wh is not None
    assert life.seen_true_wh is not None
    counted = (trace.totals[-1] - trace.totals[0]) * 1000
    true = life.seen_true_wh - life.first_true_wh
    # The sensor's 6 decimals of kWh, the simulator's counter resolution.
    tolerance = source.tolerance_wh + 1e-6 * max(1.0, true)
    assert counted <= true + tolerance, (
        f"counted {counted:.6f} Wh, more than the {true:.6f} Wh used\n{text}"
    )
    assert counted >= true - life.budget_wh - tolerance, (
        f"counted {counted:.6f} Wh of {true:.6f} Wh used, loss budget "
        f"{life.budget_wh:.6f} Wh\n{text}"
    )

    rows = await hourly_statistics(hass, source.energy_entity(), trace.times)
    assert rows, text
    changes = [float(row["change"]) for row in rows]
    lines = [
        f"{(row['start'] - T0) / 3600:+.2f} h: state {row['state']}, "
        f"sum {row['sum']}, change {row['change']}"
        for row in rows
    ]
    statistics = "\n".join(lines)
    assert min(changes) >= -1e-9, f"a negative hour\n{statistics}\n{text}"
    span = trace.totals[-1] - trace.totals[0]
    assert math.isclose(sum(changes), span, rel_tol=1e-9, abs_tol=1e-6), (
        f"the hours add up to {sum(changes)} kWh, the sensor moved {span} kWh\n"
        f"{statistics}\n{text}"
    )
    assert math.isclose(float(rows[-1]["state"]), trace.totals[-1], rel_tol=1e-12), (
        f"the last hour ends at {rows[-1]['state']}, not {trace.totals[-1]}\n"
        f"{statistics}\n{text}"
    )
    # Unloaded while the recorder runs: its last writes are the test's, not teardown's.
    await source.unload()
    await async_wait_recording_done(hass)


@dataclass(frozen=True)
class Stage:
    """Where a kind's lives are played: HA (its recorder running) and HA's clock."""

    hass: HomeAssistant
    freezer: FrozenDateTimeFactory

    async def check(self, source: Source, events: list[Event]) -> None:
        """``check_life`` of ``events`` on ``source`` while it serves."""
        async with source.serving():
            await check_life(self.hass, self.freezer, source, events)


# --- the lives ------------------------------------------------------------------------
# Drawn from lives(persistent=True, max_power_w=20000.0, max_events=22,
# weighted=True) with these seeds (seeded_lives); each persistent kind lives some.
PERSISTENT_LIVES: Final = {
    13: "run 3600s 0.1W; glitch_high; run 10s 0W; run 60s 0W; offline 3600s; "
    "glitch_high; run 30s 2.22507e-311W; ha_restart 600s 9.37342e-112W; "
    "run 3600s 0W; reboot 6.45021Wh; run 5s 0W; jump 1.57784e+09Wh; "
    "run 60s 0W; run 10s 0W; run 5s 4.30362e-122W; reboot 4.69038Wh; "
    "glitch_low x0.406049; reboot 5.65048Wh; run 10s 0W; "
    "run 300s 2.22507e-308W; run 60s 4142.54W",
    14: "reboot 0.999949Wh; run 60s 0W; run 30s 0W; run 300s 0W; run 10s 0W; "
    "glitch_low x1.19209e-07; glitch_high; run 900s 0W; run 900s 1000W; "
    "run 30s 0W; run 60s 0W; run 5s 0W; run 60s 0W; run 60s 13489.2W; "
    "glitch_high; run 30s 0W; glitch_low x0.0323563; run 3600s 60W; "
    "ha_restart 30s 578.876W; offline 600s; run 900s 2948.54W",
    15: "jump 1.6674e+09Wh; run 10s 0W; run 60s 1347.31W; run 300s 10902.5W; "
    "run 60s 0W; run 300s 0W; run 3600s 0W; run 30s 0W; run 900s 0W; "
    "run 10s 416.243W; run 60s 3678.74W; glitch_high; run 300s 0W; "
    "run 60s 15767.6W; glitch_low x0.200617; reboot 6.36886Wh; run 5s 0W; "
    "glitch_low x0.924193; run 30s 5431.24W; ha_restart 3600s 8424.8W; "
    "run 3600s 5.73109e-219W; run 10s 15279.4W",
    16: "run 900s 0W; offline 86400s; run 5s 1.19209e-07W; glitch_high; "
    "run 3600s 6473W; ha_restart 30s 4479.02W; offline 3600s; "
    "glitch_low x0.911394; glitch_high; glitch_low x0.939677; run 30s 0W; "
    "run 3600s 253W; run 300s 0W; run 60s 0W; jump 1.90903e+09Wh; "
    "run 300s 11827.4W; reboot 6.1579Wh; ha_restart 600s 9998.82W",
    17: "glitch_high; run 10s 15623.7W; run 3600s 2620.35W; glitch_low x1e-12; "
    "reboot 9Wh; run 3600s 0W; run 30s 4.44524e-24W; glitch_high; run 60s 0W; "
    "run 300s 0W; run 900s 11563.6W; run 900s 0W; run 10s 15161.8W; "
    "run 10s 0W; offline 86400s; run 10s 18999W; reboot 8.30459Wh; "
    "run 10s 1.17549e-38W; run 60s 10547.4W; jump 2.17007e+09Wh; "
    "run 10s 6449.37W; glitch_high",
    19: "ha_restart 600s 906.236W; run 30s 9084.45W; offline 86400s; "
    "ha_restart 172800s 2500W; glitch_low x0.428401; glitch_high; "
    "run 3600s 13570.6W; run 300s 4.94066e-324W; run 3600s 0W; run 60s 0W; "
    "reboot 1e-12Wh; jump 1.88104e+09Wh; ha_restart 600s 5415.76W; "
    "glitch_low x4.66801e-240; offline 259200s; run 60s 5.01607e-210W; "
    "run 3600s 0W; run 30s 6.10352e-05W",
    20: "reboot; run 3600s 18999W; run 5s 9794.82W; run 60s 0W; run 3600s 0W; "
    "run 30s 16338.1W; run 60s 2500W; run 5s 0W; jump 2.58507e+09Wh; "
    "reboot 7.14989Wh; run 60s 0W; run 30s 77.1907W; run 300s 0W; "
    "offline 600s; run 10s 2489.46W; glitch_low x0.459668; "
    "ha_restart 3600s 8878.81W; run 10s 0W; run 30s 0W; run 30s 4126.22W; "
    "run 300s 11796.8W; run 300s 0W",
    21: "run 900s 2174.24W; offline 86400s; glitch_low x0.395978; "
    "reboot 2.22507e-313Wh; run 30s 4.97676e-81W; run 5s 11121.4W; "
    "ha_restart 600s 3171.24W; glitch_low x0.001; run 300s 0W; run 3600s 0W; "
    "glitch_low x0.287603; glitch_high; run 30s 0W; "
    "ha_restart 172800s 8227.52W; run 10s 0W; run 60s 0W",
}


def seeded_lives(
    strategy: st.SearchStrategy[list[Event]],
    *,
    seed_value: int,
    count: int,
    pool: int = 200,
) -> list[list[Event]]:
    """How the written lives of the modules were drawn (``format_life`` them).

    Of ``pool`` draws of ``strategy`` under ``seed_value``, one per mix of
    events (hypothesis draws many near-copies), picked one by one: the most
    kinds of event not in the lives already picked, then the most kinds, then
    the most runs (readings).

    The lives are written down rather than drawn at collection: what hypothesis
    draws for a seed also depends on the modules loaded (it mines them for
    constants), so ``pytest tests/life`` and ``pytest <one file>`` would differ.
    """
    drawn: list[list[Event]] = []

    @seed(seed_value)
    @settings(
        max_examples=pool,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        deadline=None,
    )
    @given(strategy)
    def draw(events: list[Event]) -> None:
        drawn.append(events)

    draw()
    mixes: dict[str, list[Event]] = {}
    for events in drawn:
        mixes.setdefault(life_id(events), events)

    def kinds(events: list[Event]) -> set[str]:
        return {event.kind for event in events}

    def rank(events: list[Event]) -> tuple[int, int, int]:
        runs = sum(event.kind == "run" for event in events)
        return len(kinds(events) - covered), len(kinds(events)), runs

    candidates = list(mixes.values())
    chosen: list[list[Event]] = []
    covered: set[str] = set()
    while candidates and len(chosen) < count:
        best = max(candidates, key=rank)  # the first of equals: reproducible
        candidates.remove(best)
        chosen.append(best)
        covered |= kinds(best)
    return chosen


def parse_life(text: str) -> list[Event]:
    """A life written as ``format_life`` writes it, one event per ``;`` or line.

    ``run 300s 1200W``, ``reboot 2Wh``, ``offline 600s``, ``ha_restart 3600s
    40W``, ``glitch_high``, ``glitch_low x0.5``, ``jump 1e8Wh``.
    """
    kinds = set(get_args(EventKind))
    events: list[Event] = []
    for item in re.split(r"[;\n]", text):
        if not (words := item.split()):
            continue
        kind, *args = words
        assert kind in kinds, item
        fields: dict[str, float] = {}
        for arg in args:
            if arg.endswith("Wh"):
                fields["jump_wh" if kind == "jump" else "loss_wh"] = float(arg[:-2])
            elif arg.endswith("W"):
                fields["power"] = float(arg[:-1])
            elif arg.endswith("s"):
                fields["seconds"] = float(arg[:-1])
            elif arg.startswith("x"):
                fields["factor"] = float(arg[1:])
            else:
                raise ValueError(item)
        events.append(Event(cast("EventKind", kind), **fields))
    return events


def format_life(events: list[Event]) -> str:
    """``events`` as ``parse_life`` reads them (6 significant digits)."""
    items: list[str] = []
    for event in events:
        words: list[str] = [event.kind]
        if event.kind in ("run", "offline", "ha_restart"):
            words.append(f"{event.seconds:g}s")
        if event.kind in ("run", "ha_restart"):
            words.append(f"{event.power:.6g}W")
        if event.kind == "reboot" and event.loss_wh:
            words.append(f"{event.loss_wh:.6g}Wh")
        if event.kind == "glitch_low":
            words.append(f"x{event.factor:.6g}")
        if event.kind == "jump":
            words.append(f"{event.jump_wh:.6g}Wh")
        items.append(" ".join(words))
    return "; ".join(items)


def persistent_lives(*seeds: int) -> list[Any]:
    """``life_params`` of the ``PERSISTENT_LIVES`` drawn with ``seeds``."""
    return life_params(
        {seed_value: PERSISTENT_LIVES[seed_value] for seed_value in seeds}
    )


def life_id(events: list[Event]) -> str:
    """How many of each kind of event."""
    counts: dict[str, int] = {}
    for event in events:
        counts[event.kind] = counts.get(event.kind, 0) + 1
    return "-".join(f"{kind}{n}" for kind, n in sorted(counts.items()))


def life_params(
    lives: Mapping[int, str], xfail: Mapping[int, str] | None = None
) -> list[Any]:
    """``pytest.param`` per written life (keyed by the seed it was drawn with).

    ``xfail``: seed -> the reason a life fails (a bug of the integration, not
    yet fixed): strict, so the fix shows.
    """
    params: list[Any] = []
    for seed_value, text in lives.items():
        events = parse_life(text)
        marks: tuple[pytest.MarkDecorator, ...] = ()
        if xfail and seed_value in xfail:
            marks = (pytest.mark.xfail(strict=True, reason=xfail[seed_value]),)
        params.append(
            pytest.param(events, id=f"seed{seed_value}-{life_id(events)}", marks=marks)
        )
    return params
