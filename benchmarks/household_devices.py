"""The household's devices for ``benchmarks/household.py``, in a process of their own.

Every simulator runs here, on 127.0.0.1, so that the Home Assistant process
being measured spends no CPU on them: ``--gen2`` Shelly Plus Plug S (Gen2+ RPC
over HTTP and the websocket, derived from the Gen4 strip's dump with one switch),
``--gen1`` Shelly Plug S (Gen1 HTTP), ``--meters`` ESP32 meters on the broker
(``simulators/esp32_meter.py``'s meters, their readings driven from here), ``--pzem``
PZEM-004T behind Modbus TCP gateways and one ELNET account.

The first line on stdout is JSON: every device's port / id / MAC. Then, every
``tick`` seconds (10 s for the plugs, 5 s for the meters, divided by the speed)
every plug's load moves a little (a Gen2+ plug pushes ``NotifyStatus``), every
meter publishes a reading and the PZEMs and ELNET run on. Commands on stdin,
one a line: ``speed K`` (K times as many pushes and readings; timestamps stay
real time, so each message carries 1/K of the energy), ``quit``.

With ``--driven`` (``benchmarks/household_day.py``) nothing runs on its own:
the devices' clocks are the benchmark's simulated clock and move only when told,
one command a line, each answered by one line on stdout once it is done:

* ``clock EPOCH TZ``: every device's clock set to ``EPOCH`` (ELNET's
  ``UpdatedOn`` is local time in the time zone ``TZ``), nothing integrated;
  answered ``clock EPOCH``;
* ``step EPOCH SECONDS``: every device runs ``SECONDS`` up to ``EPOCH``: each
  plug's load moves by up to ±3 % and its energy integrates (a Gen2+ plug pushes
  ``NotifyStatus`` stamped ``EPOCH``), every meter publishes one reading stamped
  ``EPOCH`` that says it reports every ``SECONDS`` (its ``interval``), the PZEMs'
  and ELNET's counters run on; answered ``stepped EPOCH``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from datetime import datetime
import json
from pathlib import Path
import random
import sys
import tempfile
import threading
import time
from typing import Any
from zoneinfo import ZoneInfo

from simulators import shelly as shelly_sim
from simulators.elnet import ElnetSimulator
from simulators.esp32_meter import SimulatedMeter
from simulators.pzem import PzemSimulator
from simulators.shelly import GEN1_PLUG_S, GEN4_POWER_STRIP, ShellySimulator

GEN2_PLUG = "gen2_plus_plug_s_SNPL-00112EU"
PLUG_TICK = 10.0  # s between two load changes of a plug (a Gen2+ push each)
METER_TICK = 5.0  # s between two readings of an ESP32 meter (its interval)
DRIVEN_METER_UPTIME = 3600.0  # s a driven meter has been up at its first reading
ELNET_TOKEN = "bench-token"  # noqa: S105 (the simulator's, not a secret)


class DrivenMeter(SimulatedMeter):
    """A simulated ESP32 meter whose readings this process drives (no ticker)."""

    def _run_ticker(self) -> None:
        self._stopping.wait()

    def set_clock(self, epoch: float, uptime: float) -> None:
        """The meter booted ``uptime`` s before ``epoch``; energy counts from then."""
        with self._lock:
            self._boot = epoch - uptime
            self._last = epoch


def fixtures(directory: Path) -> None:
    """The Gen1 dump and a one-switch Gen2+ plug derived from the Gen4 strip's."""
    (directory / f"{GEN1_PLUG_S}.json").write_text(
        json.dumps(shelly_sim.load_fixture(GEN1_PLUG_S))
    )
    data = shelly_sim.load_fixture(GEN4_POWER_STRIP)
    for channel in (1, 2, 3):
        data["status"].pop(f"switch:{channel}")
        data["config"].pop(f"switch:{channel}")
    data["shelly"].update(app="PlusPlugS", model="SNPL-00112EU", gen=2)
    (directory / f"{GEN2_PLUG}.json").write_text(json.dumps(data))


def identify(sim: ShellySimulator, mac: str) -> None:
    """Give ``sim`` its own MAC (and the id / host name made of it)."""
    sim.mac = mac
    sim.shelly["mac"] = mac
    if sim.gen == 1:
        host = f"shellyplug-s-{mac[-6:]}"
        sim.settings["device"].update(mac=mac, hostname=host)
        sim.status["mac"] = mac
        sim.device_id = sim.realm = host
    else:
        sim.device_id = f"shellyplusplugs-{mac.lower()}"
        sim.shelly["id"] = sim.device_id
        sim.status["sys"]["mac"] = mac
        sim.config["sys"]["device"]["mac"] = mac
        sim.config["sys"]["device"]["name"] = f"Plug {mac[-4:]}"
        sim.shelly["name"] = f"Plug {mac[-4:]}"


class Household:
    """Every device, its server and the driver."""

    def __init__(self, args: argparse.Namespace) -> None:
        """Build the devices (not yet serving)."""
        self.args = args
        self.speed = 1.0
        rng = random.Random(19)
        now = time.time()
        self.gen2 = [ShellySimulator(GEN2_PLUG) for _ in range(args.gen2)]
        self.gen1 = [ShellySimulator(GEN1_PLUG_S) for _ in range(args.gen1)]
        for n, sim in enumerate(self.gen2):
            identify(sim, f"AABBCC{n:06X}")
        for n, sim in enumerate(self.gen1):
            identify(sim, f"A4CF12{n:06X}")
        self.base: dict[int, float] = {}
        for sim in self.gen2 + self.gen1:
            sim.set_clock(now)
            self.base[id(sim)] = rng.uniform(20.0, 300.0)
            sim.loads[0] = self.base[id(sim)]
        self.pzem = [PzemSimulator(framing="tcp") for _ in range(args.pzem)]
        self.elnet = ElnetSimulator(ELNET_TOKEN)
        self.meters = [
            DrivenMeter(
                f"house-{n:02d}",
                "127.0.0.1",
                args.broker_port,
                interval=METER_TICK,
                relays=1,
                loads=[rng.uniform(50.0, 800.0)],
                seed=n,
                energy_kwh=rng.uniform(100.0, 900.0),
            )
            for n in range(args.meters)
        ]
        self.rng = rng
        self.stopping = asyncio.Event()

    async def start(self) -> dict[str, Any]:
        """Serve everything; what the HA side needs to reach it."""
        for sim in self.gen2 + self.gen1:
            await sim.start("127.0.0.1", 0)
        for pzem in self.pzem:
            await pzem.start("127.0.0.1", 0)
        elnet_url = await self.elnet.start("127.0.0.1", 0)
        for meter in self.meters:
            meter.start()
        for meter in self.meters:
            meter.wait_connected(10.0)
        return {
            "gen2": [[sim.port, sim.mac] for sim in self.gen2],
            "gen1": [[sim.port, sim.mac] for sim in self.gen1],
            "pzem": [pzem.port for pzem in self.pzem],
            "elnet": elnet_url,
            "elnet_token": ELNET_TOKEN,
            "meters": [meter.device_id for meter in self.meters],
        }

    async def plugs(self) -> None:
        """Every plug's load moves by up to ±3 % each tick (a Gen2+ plug pushes)."""
        last = time.monotonic()
        while not self.stopping.is_set():
            await self._until(last, PLUG_TICK)
            now = time.monotonic()
            step, last = now - last, now
            for sim in self.gen2 + self.gen1:
                watts = self.base[id(sim)] * self.rng.uniform(0.97, 1.03)
                await sim.advance(step, {0: round(watts, 1)})
            for pzem in self.pzem:
                pzem.power = round(self.rng.uniform(300.0, 700.0), 1)
                pzem.advance(step)
            self.elnet.advance(step)

    async def _until(self, started: float, tick: float) -> None:
        """Sleep until ``tick`` / speed after ``started`` (a new speed counts at once)."""
        while (left := started + tick / self.speed - time.monotonic()) > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), min(0.05, left))

    def set_clock(self, epoch: float, tz: str) -> None:
        """Every device's clock at ``epoch`` (driven mode); no energy integrated."""
        for sim in self.gen2 + self.gen1:
            sim.set_clock(epoch)
        for meter in self.meters:
            meter.set_clock(epoch, DRIVEN_METER_UPTIME)
        local = datetime.fromtimestamp(epoch, ZoneInfo(tz))
        self.elnet.updated_on = local.replace(tzinfo=None, microsecond=0)

    async def step(self, epoch: float, seconds: float) -> None:
        """Every device runs ``seconds`` up to ``epoch`` (driven mode)."""
        for sim in self.gen2 + self.gen1:
            if abs(sim.unixtime + seconds - epoch) > 1e-3:
                sim.set_clock(epoch - seconds)
            watts = self.base[id(sim)] * self.rng.uniform(0.97, 1.03)
            await sim.advance(seconds, {0: round(watts, 1)})
        for pzem in self.pzem:
            pzem.power = round(self.rng.uniform(300.0, 700.0), 1)
            pzem.advance(seconds)
        self.elnet.advance(seconds)
        for meter in self.meters:
            meter.interval = seconds  # the reading's ``interval``: how often it reports
            meter.tick(epoch)

    def readings(self) -> None:
        """Every meter publishes a reading each tick (a thread: paho is blocking)."""
        started = time.monotonic()
        while not self.stopping.is_set():
            while time.monotonic() - started < METER_TICK / self.speed:
                time.sleep(min(0.02, METER_TICK / self.speed))
            started = time.monotonic()
            for meter in self.meters:
                meter.tick()

    async def stop(self) -> None:
        """Stop every device."""
        self.stopping.set()
        for meter in self.meters:
            meter.stop()
        for sim in self.gen2 + self.gen1:
            await sim.stop()
        for pzem in self.pzem:
            await pzem.stop()
        await self.elnet.stop()


async def run(args: argparse.Namespace) -> None:
    """Serve, print the addresses, drive the devices until ``quit``."""
    house = Household(args)
    print(json.dumps(await house.start()), flush=True)
    if args.driven:
        await run_driven(house)
        return
    loop = asyncio.get_running_loop()

    def commands() -> None:
        for line in sys.stdin:
            words = line.split()
            if words[:1] == ["speed"]:
                loop.call_soon_threadsafe(setattr, house, "speed", float(words[1]))
            elif words[:1] == ["quit"]:
                break
        loop.call_soon_threadsafe(house.stopping.set)

    threading.Thread(target=commands, daemon=True).start()
    meters = threading.Thread(target=house.readings, daemon=True)
    meters.start()
    plugs = asyncio.create_task(house.plugs())
    await house.stopping.wait()
    plugs.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await plugs
    meters.join()
    await house.stop()


async def run_driven(house: Household) -> None:
    """``clock`` and ``step`` commands until ``quit``: the clock is the caller's."""
    loop = asyncio.get_running_loop()
    commands: asyncio.Queue[list[str]] = asyncio.Queue()

    def read() -> None:
        for line in sys.stdin:
            loop.call_soon_threadsafe(commands.put_nowait, line.split())
        loop.call_soon_threadsafe(commands.put_nowait, ["quit"])

    threading.Thread(target=read, daemon=True).start()
    while (words := await commands.get())[:1] != ["quit"]:
        if words[:1] == ["clock"] and len(words) == 3:
            house.set_clock(float(words[1]), words[2])
            print(f"clock {words[1]}", flush=True)
        elif words[:1] == ["step"] and len(words) == 3:
            await house.step(float(words[1]), float(words[2]))
            print(f"stepped {words[1]}", flush=True)
    await house.stop()


def main() -> None:
    """Parse the counts and run."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--gen2", type=int, default=100)
    parser.add_argument("--gen1", type=int, default=50)
    parser.add_argument("--meters", type=int, default=50)
    parser.add_argument("--pzem", type=int, default=10)
    parser.add_argument("--broker-port", type=int, required=True)
    parser.add_argument(
        "--driven",
        action="store_true",
        help="no clock of their own: clock / step commands (household_day.py)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="intelergy-household-") as directory:
        fixtures(Path(directory))
        shelly_sim.FIXTURES = Path(directory)
        asyncio.run(run(args))


if __name__ == "__main__":
    main()
