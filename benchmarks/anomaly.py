"""Anomaly detectors: time per reading and memory per stream, over a million readings.

One detector (``DetectorConfig()`` defaults) is fed a synthetic plug 5 s apart:
a fridge cycling ~120 W for ~15 minutes and ~1 W for ~30, a 2 kW heater on the
same plug for 3 minutes four times a day (spikes), 230 V with a 3-minute
brown-out to 190 V every other day, the current from power and voltage, 1 % of
the readings unavailable, and the day closed at every midnight. The goal: under
20 µs a reading (also with the optional unusual-time check, ``checks()``), and a state that stays the same size however long it runs
(memory per stream: the JSON state the integration stores, and what a detector
holds in memory, measured with tracemalloc). The state is bounded by
construction (14 daily totals, 15 runs, a fixed set of numbers) but fills up
over the first 14 days (242K readings at 5 s): after 10K readings (14 hours) it
is smaller, and flatness is judged from 300K readings on.

    PYTHONPATH=. .venv/bin/python benchmarks/anomaly.py   (or benchmarks/run)
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
import json
import random
import tempfile
import time
import tracemalloc
from typing import Any, Final

from custom_components.intelergy.const import DOMAIN
from custom_components.intelergy.core.anomaly import Detector, DetectorConfig

STEP = 5.0  # s between readings
DAY = 86_400
CHUNK = 100_000  # readings generated once, replayed at later times
TOTAL = 1_000_000
CHECKPOINTS = (10_000, 100_000, 300_000, 600_000, TOTAL)
FULL = 300_000  # 17 days: the 14 daily totals and 15 runs kept are all there
GOAL_US = 20.0
T0 = 1795392000.0  # 2026-11-23T00:00:00Z
KETTLE_STARTS = (7 * 3600 + 600, 10 * 3600 + 1800, 15 * 3600 + 2700, 19 * 3600)

type Row = tuple[float | None, float | None, float | None]


def plug_readings(seed: int = 1) -> list[Row]:
    """``CHUNK`` readings (power W, voltage V, current A), 5 s apart from T0."""
    rng = random.Random(seed)
    rows: list[Row] = []
    fridge_on_until, fridge_next = 0.0, 0.0
    for i in range(CHUNK):
        now = i * STEP
        if now >= fridge_next:
            fridge_on_until = now + 900 + rng.uniform(-60, 60)
            fridge_next = fridge_on_until + 1800 + rng.uniform(-60, 60)
        power = 120.0 + rng.gauss(0, 2) if now < fridge_on_until else 0.8
        second = now % DAY
        if any(start <= second < start + 180 for start in KETTLE_STARTS):
            power += 2000.0
        voltage = 230.0 + rng.gauss(0, 1.5)
        if (now // DAY) % 2 and 12 * 3600 <= second < 12 * 3600 + 180:
            voltage = 190.0
        if rng.random() < 0.01:
            rows.append((None, None, None))
        else:
            rows.append((power, voltage, power / voltage))
    return rows


def held_bytes(state: dict[str, Any]) -> int:
    """What a detector restored from ``state`` holds in memory (tracemalloc).

    A first restore, untraced, takes the one-off allocations (caches) out.
    """
    Detector(DetectorConfig(), state)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    detector = Detector(DetectorConfig(), state)
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    del detector
    return held


def main() -> None:
    """Feed a million readings, time them and measure the state along the way."""
    rows = plug_readings()
    detector = Detector(DetectorConfig())
    update, end_of_day = detector.update, detector.end_of_day
    events: list[tuple[str, bool]] = []
    sizes: dict[int, tuple[int, int]] = {}
    elapsed = 0.0
    done = 0
    while done < TOTAL:
        # Up to the next checkpoint or the end of the generated chunk.
        stop = min([mark for mark in CHECKPOINTS if mark > done] + [done + CHUNK])
        begin = time.perf_counter()
        for index in range(done, stop):
            now = T0 + index * STEP
            if now % DAY == 0 and index:
                day = datetime.fromtimestamp(now - 1, UTC).date()
                events += ((e.kind, e.active) for e in end_of_day(now, day))
            power, voltage, current = rows[index % CHUNK]
            if found := update(now, power, voltage, current):
                events += ((e.kind, e.active) for e in found)
        elapsed += time.perf_counter() - begin
        done = stop
        if done in CHECKPOINTS:
            state = detector.as_dict()
            sizes[done] = (len(json.dumps(state)), held_bytes(state))
    per_reading = elapsed / TOTAL * 1e6
    kinds = sorted({kind for kind, _ in events})
    starts = {kind: events.count((kind, True)) for kind in kinds}
    clears = sum(not active for _, active in events)
    print(
        f"Anomaly detectors, one stream, {TOTAL:,} readings 5 s apart "
        f"({TOTAL * STEP / DAY:.0f} days of a fridge plug with heater spikes, "
        "brown-outs, 1 % unavailable)"
    )
    print(f"  readings/s                 : {TOTAL / elapsed:12,.0f}")
    print(
        f"  µs per reading             : {per_reading:12.2f}   "
        f"goal < {GOAL_US:.0f} µs: {'met' if per_reading < GOAL_US else 'NOT MET'} "
        f"({GOAL_US / per_reading:.0f}x under)"
    )
    print(
        f"  anomalies started          : {sum(starts.values())} "
        f"({', '.join(f'{kind} {count}' for kind, count in starts.items())}), "
        f"{clears} cleared"
    )
    print("  memory per stream          :   JSON state   held in memory (tracemalloc)")
    for mark in CHECKPOINTS:
        json_size, held = sizes[mark]
        print(f"      after {mark:>9,} readings: {json_size:7,} B   {held:9,} B")
    ratio = sizes[TOTAL][0] / sizes[FULL][0]
    print(
        f"  flat memory                : {'yes' if ratio <= 1.02 else 'NO'} (after "
        f"{TOTAL:,} readings the JSON state is {ratio:.3f}x the one after {FULL:,}, "
        f"the memory held {sizes[TOTAL][1] / sizes[FULL][1]:.3f}x; only the digits "
        "of numbers vary)"
    )


CHECK_READINGS: Final = 300_000  # 17 days: the hour-of-week profile fills up


def per_reading_us(config: DetectorConfig, rows: list[Row]) -> tuple[float, int]:
    """µs per reading of a detector with ``config`` over ``CHECK_READINGS``; events."""
    detector = Detector(config)
    update, end_of_day = detector.update, detector.end_of_day
    found = 0
    begin = time.perf_counter()
    for index in range(CHECK_READINGS):
        now = T0 + index * STEP
        if now % DAY == 0 and index:
            found += len(end_of_day(now, datetime.fromtimestamp(now - 1, UTC).date()))
        power, voltage, current = rows[index % CHUNK]
        found += len(update(now, power, voltage, current))
    return (time.perf_counter() - begin) / CHECK_READINGS * 1e6, found


def checks() -> None:
    """The optional unusual-time check's cost beside the default checks (same run)."""
    rows = plug_readings()
    configs = {
        "default checks (incl. standby)": DetectorConfig(),
        "+ unusual time (hour of week)": DetectorConfig(unusual_time=True),
    }
    timings = {
        name: [per_reading_us(c, rows)[0] for _ in range(3)]
        for name, c in configs.items()
    }
    print(f"Per check, {CHECK_READINGS:,} readings 5 s apart (best of 3)")
    best = {name: min(values) for name, values in timings.items()}
    for name, value in best.items():
        verdict = "met" if value < GOAL_US else "NOT MET"
        print(
            f"  {name:<31}: {value:8.2f} µs per reading   goal < {GOAL_US:.0f} µs: {verdict}"
        )
    extra = (
        best["+ unusual time (hour of week)"] - best["default checks (incl. standby)"]
    )
    print(f"  the unusual-time check adds    : {extra:8.2f} µs per reading")


HA_STREAMS: Final = 20
HA_READINGS: Final = 300  # per stream and run
HA_ATTRS: Final = {"device_class": "power", "unit_of_measurement": "W"}


async def ha_path() -> None:
    """State change -> monitor -> detector -> entities, in a running Home Assistant.

    ``HA_STREAMS`` power sensors, each watched by an anomaly monitor entry; a
    reading is a ``hass.states.async_set`` of the sensor (what any integration's
    sensor does) and HA running the listeners: the monitor's state-change
    listener, the detector, the problem and baseline entities' state writes
    (the standby sensors write only when their value changes).
    The same readings on as many unwatched sensors give HA's own cost of a
    state change; the difference is what a monitor adds. Same HA, same run.
    """
    from homeassistant import loader  # noqa: PLC0415
    from pytest_homeassistant_custom_component.common import (  # noqa: PLC0415
        MockConfigEntry,
        async_test_home_assistant,
    )

    rows = plug_readings()
    watched = [f"sensor.bench_plug_{n:02d}_power" for n in range(HA_STREAMS)]
    bare = [f"sensor.bench_bare_{n:02d}_power" for n in range(HA_STREAMS)]
    with tempfile.TemporaryDirectory(prefix="intelergy-bench-") as config_dir:
        async with async_test_home_assistant(config_dir=config_dir) as hass:
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS)  # custom integrations
            for entity_id in watched + bare:
                hass.states.async_set(entity_id, "0", HA_ATTRS)
            entries = []
            for entity_id in watched:
                entry = MockConfigEntry(
                    domain=DOMAIN,
                    unique_id=f"anomaly:{entity_id}",
                    data={"kind": "anomaly", "power_entity": entity_id},
                )
                entry.add_to_hass(hass)
                if not await hass.config_entries.async_setup(entry.entry_id):
                    raise RuntimeError(f"monitor of {entity_id} did not set up")
                entries.append(entry)
            await hass.async_block_till_done()

            offset = 0

            async def feed(entities: list[str]) -> float:
                nonlocal offset
                begin = time.perf_counter()
                for index in range(offset, offset + HA_READINGS):
                    power = rows[index % CHUNK][0]
                    value = "unavailable" if power is None else f"{power:.1f}"
                    for entity_id in entities:
                        hass.states.async_set(entity_id, value, HA_ATTRS)
                    await hass.async_block_till_done()
                offset += HA_READINGS
                return time.perf_counter() - begin

            runs = [(await feed(bare), await feed(watched)) for _ in range(4)][1:]
            base = min(b for b, _ in runs) / (HA_STREAMS * HA_READINGS) * 1e6
            ours = min(w for _, w in runs) / (HA_STREAMS * HA_READINGS) * 1e6
            for entry in entries:
                await hass.config_entries.async_unload(entry.entry_id)
            await hass.async_stop(force=True)
    print(
        f"HA path, {HA_STREAMS} monitored power sensors x {HA_READINGS} state changes "
        "(best of 3 runs)"
    )
    print(f"  state change, no monitor   : {base:8.1f} µs   (HA's own cost)")
    print(f"  state change, monitored    : {ours:8.1f} µs")
    print(
        f"  what a monitor adds        : {ours - base:8.1f} µs per reading "
        "(listener, detector, the problem and baseline state writes; the standby "
        "sensors write only when their value changes)"
    )


if __name__ == "__main__":
    main()
    checks()
    asyncio.run(ha_path())
