"""Shelly lives end to end: a volatile counter (0 at every boot) told apart by uptime.

Gen1 (a Plug S, ``/status`` polled over HTTP) and Gen2+ (a Gen4 power strip on
aioshelly's RPC websocket: pushes, polls, reconnects) live the same seeded
lives against the simulator: reboots zero the counter and the uptime, outages
close the sockets, glitches serve one corrupt counter in a status, HA restarts
reload the entry while the plug goes on counting. Each life proves the total
never goes down, counts every watt-hour once within the loss budget, and the
recorder's hours add up (tests/life/common.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.intelergy.meters.shelly.const import RPC_POLL_INTERVAL
from custom_components.intelergy.meters.shelly.coordinator import (
    RpcBackend,
    ShellyCoordinator,
)
from simulators.shelly import GEN1_PLUG_S, GEN4_POWER_STRIP, ShellySimulator
from tests.conftest import running, shelly_entry, shelly_mac
from tests.lifemodel import Device, Event, Reading
from tests.meters.shelly.common import wait_for

from .common import T0, PolledSource, Stage, life_params

CHANNEL = 0
# Drawn from lives(persistent=False, max_power_w=2300.0, max_events=22,
# weighted=True) with these seeds (common.seeded_lives); the plugs are rated 2500 W.
LIVES = life_params(
    {
        11: "glitch_high; run 30s 0W; run 60s 0W; run 5s 0W; reboot; run 30s 0W; "
        "run 300s 1933.65W; run 5s 0W; run 300s 0W; run 5s 1439.47W; run 10s 0W; "
        "run 3600s 2009.55W; run 5s 1087.92W; offline 600s; run 60s 0W; reboot; "
        "run 60s 0W; run 5s 0W; glitch_high; glitch_low x0.973694; "
        "run 900s 1626.33W; ha_restart 600s 1053.65W",
        13: "run 30s 0W; run 60s 0W; reboot; ha_restart 30s 1.9W; reboot; "
        "glitch_low x0; offline 3600s; run 900s 776.432W; offline 600s; "
        "glitch_high; ha_restart 3600s 1.5W; run 300s 445.946W; run 60s 394.396W; "
        "reboot; run 3600s 0W; run 3600s 0W; reboot",
        15: "run 300s 0W; glitch_high; run 60s 1301.61W; reboot; reboot; run 10s 0W; "
        "run 3600s 1885.12W; offline 259200s; run 300s 1209.4W; "
        "glitch_low x0.494058; reboot; run 60s 1977.05W; "
        "ha_restart 3600s 1018.31W; run 30s 1737.35W; run 5s 0W; run 5s 0W; "
        "run 300s 81.4293W; run 5s 0W; offline 600s; run 900s 0W; glitch_high; "
        "run 300s 0W",
        18: "run 300s 0W; run 900s 13.4552W; glitch_low x0.566438; glitch_high; "
        "run 60s 0W; offline 86400s; run 5s 1.01516e-270W; run 60s 0W; reboot; "
        "run 300s 0W; reboot; run 10s 743.081W; run 60s 768.845W; offline 86400s; "
        "run 60s 0W; offline 600s; run 300s 0W; run 900s 0W; run 60s 0W; reboot; "
        "ha_restart 600s 1000W; glitch_low x4.3915e-129",
        21: "ha_restart 600s 90.3326W; run 5s 0W; run 60s 782.318W; glitch_high; "
        "glitch_low x0.870569; run 3600s 570.759W; glitch_low x0.319823; "
        "glitch_low x0.203381; run 300s 8.32421e-128W; run 300s 2117.62W; "
        "ha_restart 30s 853.268W; run 10s 1452.12W; offline 600s; run 5s 0W; "
        "glitch_high; reboot; run 900s 0W; run 300s 2179.7W; run 3600s 0W; "
        "run 5s 2108.68W; run 60s 4.32649e-178W; run 300s 19.3518W",
    }
)


class ShellyLife(PolledSource[ShellyCoordinator, ShellySimulator]):
    """A Shelly channel: volatile Wh counter, uptime, polled or pushed."""

    persistent = False
    # Gen1 counts whole watt-minutes (1/60 Wh), Gen2+ thousandths of a Wh.
    tolerance_wh = 0.5
    background = True

    def __init__(self, hass: HomeAssistant, fixture: str) -> None:
        """A simulated ``fixture``: the model's device, booted 5000 s ago at ``T0``.

        As in the pure lives (tests/core/test_device_life.py), the counter holds
        what the plug used since it booted; here it used nothing yet.
        """
        super().__init__(hass, ShellySimulator(fixture))
        for channel in range(self.sim.channels):
            self.sim.loads[channel] = 0.0

    async def boot(self) -> None:
        """Reboot the simulator and run it idle to the model's uptime at ``T0``."""
        model = Device(persistent=False)
        await self.sim.reboot()
        await self.sim.advance(model.uptime)
        self.sim.set_clock(T0)

    @asynccontextmanager
    async def serving(self) -> AsyncIterator[None]:
        """Booted, then serving; the entries unload before it stops."""
        await self.boot()
        async with running(self.hass, self.sim):
            yield

    def device(self) -> Device:
        """The plug as the simulator has it at ``T0`` (``boot()`` first)."""
        status = self.sim.status
        if self.sim.gen == 1:
            counter_wh = float(status["meters"][CHANNEL]["total"]) / 60
            uptime = float(status["uptime"])
        else:
            counter_wh = float(status[f"switch:{CHANNEL}"]["aenergy"]["total"])
            uptime = float(status["sys"]["uptime"])
        assert (counter_wh, uptime) == (0.0, Device(persistent=False).uptime)
        return Device(persistent=False, time=T0, counter_wh=counter_wh, uptime=uptime)

    def make_entry(self) -> MockConfigEntry:
        """A Shelly entry for the simulator."""
        return shelly_entry(self.hass, self.sim)

    def energy_unique_id(self) -> str:
        """``<mac>_<channel>_energy``."""
        return f"{shelly_mac(self.sim).replace(':', '')}_{CHANNEL}_energy"

    async def advance(self, seconds: float, power: float) -> None:
        """The plug's load, then its clock (pushing what changed, Gen2+)."""
        self.sim.loads[CHANNEL] = power  # no push: the advance pushes it
        await self.sim.advance(seconds)

    async def reboot(self, loss_wh: float) -> None:
        """Counter and uptime to 0 (a volatile counter loses it all anyway)."""
        del loss_wh
        await self.sim.reboot()

    async def reachable(self, on: bool) -> None:
        """The device listens on its port, or refuses every connection."""
        if on:
            await self.sim.go_online()
        else:
            await self.sim.go_offline()
        await self.hass.async_block_till_done(wait_background_tasks=True)

    async def jump(self, wh: float) -> None:  # pragma: no cover - volatile lives
        """Volatile lives have no corrupted counters (lives(persistent=False))."""
        raise AssertionError(wh)

    def serve_glitch(self, counter_wh: float) -> None:
        """The next status carries the corrupt counter."""
        self.sim.serve_counter_once(CHANNEL, counter_wh)


class Gen2Life(ShellyLife):
    """Gen2+: the websocket pushes every change; a poll follows each reading.

    Pushes carry no ``sys.uptime``: aioshelly's status keeps the one of the last
    poll. As in HA, which polls every minute, a run longer than that is lived a
    minute at a time, each minute's push followed by a poll (readings the model
    does not count on: more readings only make the count better).
    """

    async def pass_time(
        self, freezer: FrozenDateTimeFactory, until: float, seconds: float, power: float
    ) -> None:
        """Minute by minute while the socket is up, as HA polls it."""
        minute = RPC_POLL_INTERVAL.total_seconds()
        start = until - seconds
        done = 0.0
        while seconds - done > minute and self._connected():
            done += minute
            await super().pass_time(freezer, start + done, minute, power)
            await self.read_now()
        await super().pass_time(freezer, until, seconds - done, power)

    def _connected(self) -> bool:
        return (
            self.entry.state is ConfigEntryState.LOADED
            and self._backend().device.connected
        )

    def _backend(self) -> RpcBackend:
        backend = self.coordinator.backend
        assert isinstance(backend, RpcBackend)
        return backend

    def pushed(self) -> bool:
        """Whether aioshelly holds the device's counter as it is now."""
        device = self._backend().device
        if not device.connected:
            return True  # nothing will be pushed: the poll reconnects
        switch = device.status.get(f"switch:{CHANNEL}", {})
        ours = self.sim.status[f"switch:{CHANNEL}"]["aenergy"]["total"]
        return bool(switch.get("aenergy", {}).get("total") == ours)

    async def read_now(self) -> None:
        """The push of the new counter first (if the socket is up), then a poll."""
        await wait_for(self.hass, self.pushed)
        await super().read_now()

    async def glitch(self, reading: Reading) -> None:
        """A polled status carries the corrupt counter; the next poll is clean.

        aioshelly keeps the polled status and merges pushes into it: without the
        clean poll a later push that leaves ``aenergy`` out would repeat the
        corrupt counter, which the device never sent twice.
        """
        await super().glitch(reading)
        await super().read_now()

    async def after_reboot(self, reading: Reading) -> bool:
        """The socket closed: whether the coordinator reconnected and read uptime 0.

        It reconnects at once unless a refresh it asked for moments before is
        still cooling down (HA's clock stands still here): then it reads the
        device later, and the model does not count this reading.
        """
        del reading
        coordinator = self.coordinator
        for _ in range(200):
            await self.hass.async_block_till_done(wait_background_tasks=True)
            if coordinator.data.status.uptime == 0 and self._backend().device.connected:
                return True
            await asyncio.sleep(0)
        return False


@pytest.mark.parametrize("events", LIVES)
async def test_gen1_plug_s_lives(stage: Stage, events: list[Event]) -> None:
    """A Plug S polled over HTTP through a seeded life."""
    await stage.check(ShellyLife(stage.hass, GEN1_PLUG_S), events)


@pytest.mark.parametrize("events", LIVES)
async def test_gen4_power_strip_lives(stage: Stage, events: list[Event]) -> None:
    """Channel 0 of a Gen4 strip, pushed over its websocket, through a seeded life."""
    await stage.check(Gen2Life(stage.hass, GEN4_POWER_STRIP), events)


async def test_gen4_two_pushes_in_the_minute_after_a_reboot(stage: Stage) -> None:
    """A Gen4 plug reboots; 1000 W for a minute; pushes at +20 s and +55 s.

    Found by a generated life. Pushes carry no ``sys.uptime``: aioshelly's
    status keeps the 0 read when the coordinator reconnected at the reboot.
    Taken as fresh, the push at +55 s had the same uptime as the one at +20 s,
    35 s later: a "restart", a new cycle, and the 5.556 Wh already counted were
    counted again (16.667 Wh used, 22.222 Wh counted). Restarts are now judged
    on polls only.
    """
    hass = stage.hass
    source = Gen2Life(hass, GEN4_POWER_STRIP)
    async with source.serving():
        assert await source.set_up()
        entity = source.energy_entity()

        def total() -> float:
            state = hass.states.get(entity)
            assert state is not None
            return float(state.state)

        await source.reboot(0.0)
        assert await source.after_reboot(Reading(T0, 0.0, 2, 0.0))
        before = total()
        for until, seconds in ((T0 + 20, 20.0), (T0 + 55, 35.0), (T0 + 60, 5.0)):
            await source.pass_time(stage.freezer, until, seconds, 1000.0)
            await wait_for(hass, source.pushed)
        await source.read_now()  # the minute's poll
        assert (total() - before) * 1000 == pytest.approx(1000 * 60 / 3600, abs=0.01)
