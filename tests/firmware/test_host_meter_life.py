"""The firmware's host meter lives a life; its real readings go through the counter model.

Clean stops, crashes and restarts of the host build; every state message goes
through the integration's counter model as the ESP32 coordinator takes it. The firmware persists its counter (at most its 10 Wh reserve lower after a crash)
and a boot counter; with ``boot`` the integration knows every restart and carries
the total on: the lifetime total never goes down and grows exactly as much as the
firmware's counter grew while it ran, never by a restored counter twice.
"""

from __future__ import annotations

from pathlib import Path
import time

from custom_components.intelergy.core.counter import CounterSemantics, EnergyTotalizer
from custom_components.intelergy.core.esp32.client import parse_state
from custom_components.intelergy.meters.esp32.coordinator import counter_spec

from .meter import broker_running, meter_process, stop_meter, subscribed


async def test_restarts_and_crashes_count_each_kwh_once(
    socket_enabled: None, host_meter_binary: Path, tmp_path: Path
) -> None:
    device = "fw-life"
    args = ("--sensor", "pzem", "--relays", "1", "--loads", "20000")
    args += ("--state-dir", str(tmp_path))
    totalizer = EnergyTotalizer(counter_spec(CounterSemantics.PERSISTENT))
    totals: list[float] = []
    grown = 0.0  # what the firmware's counter grew by within each run
    async with (
        broker_running() as broker,
        subscribed(broker, f"intelergy/{device}/#") as sub,
    ):
        for ending in ("clean", "crash", "crash", "clean"):
            async with meter_process(host_meter_binary, broker, device, *args) as meter:
                index = len(sub.messages)
                energies: list[float] = []
                for _ in range(4):
                    index, state = await sub.wait_for("state", after=index)
                    reading = parse_state(state.payload, time.time())
                    assert reading.energy is not None
                    assert reading.boot is not None
                    update = totalizer.update(
                        time.time(),
                        reading.uptime,
                        {0: reading.energy},
                        boot=reading.boot,
                    )
                    assert not [
                        d for d in update.decisions if d.kind.value != "continuation"
                    ]
                    totals.append(update.totals[0])
                    energies.append(reading.energy)
                grown += energies[-1] - energies[0]
                if ending == "crash":
                    meter.kill()
                    await meter.wait()
                else:
                    await stop_meter(meter)
    assert totals == sorted(totals), "the lifetime total went down"
    # Each run's growth counted once; between runs at most the firmware's reserve
    # (10 Wh) of what it had counted is lost per crash, and nothing counted twice.
    counted = totals[-1] - totals[0]
    crashes = 2
    assert grown - 1e-9 <= counted <= grown + 0.010 * (crashes + 1) + 0.05
    assert totalizer.stats["restarts"] == 3
