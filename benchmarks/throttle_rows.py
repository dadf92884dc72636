"""Recorder write-throttling: rows a day of one 5-second meter, with and without.

A synthetic household day (17,280 readings 5 s apart): a base load of ~60 W, a
fridge cycling ~120 W on and off, a 2 kW kettle for 3 minutes four times,
evening lights and TV, a few watts of noise; energy integrates the power and is
reported to 6 decimals (as ``simulators/esp32_meter.py`` does). Without
throttling every reading is written: 17,280 rows a day per sensor. With it
(``WriteThrottle(seconds=60, power_w=50, energy_kwh=0.001)``) a row is written
when ``should_write()`` says so, plus the newest held reading when the flush
timer fires, as ``Esp32Coordinator`` does: the timer is armed by the first held
reading for the deadline of the last write, and is not re-armed by a later
write. The script counts both, says which criterion wrote the rows, checks that
the day's last energy reading is written (error 0) and shows the rows of the
pure rule (a held reading flushed only at its own deadline) and of coarser
energy steps for comparison.

    PYTHONPATH=. .venv/bin/python benchmarks/throttle_rows.py   (or benchmarks/run)
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
import math
import random

from custom_components.intelergy.core.throttle import WriteThrottle

INTERVAL = 5  # s between readings
DAY = 86_400  # s
SEED_CLAIM = (17_000, 1_400)  # "~17K -> ~1.4K rows/day"
KETTLE_STARTS = ("07:10", "10:30", "15:45", "19:20")  # 2 kW for 3 minutes


@dataclass(frozen=True, slots=True)
class Reading:
    """One reading of the meter: when, W, cumulative kWh."""

    time: float
    power: float
    energy: float


def _seconds(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 3600 + int(minutes) * 60


def household_day(seed: int = 1) -> list[Reading]:
    """17,280 readings of a household's day, reproducible from ``seed``."""
    rng = random.Random(seed)
    # The fridge: ~20 minutes on, ~40 off, both a little irregular.
    fridge_on: list[tuple[int, int]] = []
    start = rng.randint(0, 2400)
    while start < DAY:
        length = rng.randint(15 * 60, 25 * 60)
        fridge_on.append((start, start + length))
        start += length + rng.randint(35 * 60, 45 * 60)
    kettles = [(s, s + 180) for s in map(_seconds, KETTLE_STARTS)]
    readings = []
    energy = 1234.5  # kWh on the meter's register at midnight
    for step in range(DAY // INTERVAL):
        now = step * INTERVAL
        power = 60.0  # router, standby, clocks
        if any(a <= now < b for a, b in fridge_on):
            power += 120.0
        if any(a <= now < b for a, b in kettles):
            power += 2000.0
        if _seconds("06:30") <= now < _seconds("08:00"):
            power += 40.0  # morning lights
        if _seconds("18:00") <= now < _seconds("23:30"):
            power += 60.0  # evening lights
        if _seconds("19:30") <= now < _seconds("23:00"):
            power += 100.0  # TV
        power = max(0.0, power + rng.gauss(0.0, 3.0))
        if step:
            energy += power * INTERVAL / 3_600_000
        readings.append(Reading(now, round(power, 1), round(energy, 6)))
    return readings


@dataclass(slots=True)
class Rows:
    """What one day through the throttle wrote."""

    written: list[Reading] = field(default_factory=list)
    why: Counter[str] = field(default_factory=Counter)

    @property
    def count(self) -> int:
        """Rows written per sensor."""
        return len(self.written)


def _reason(throttle: WriteThrottle, reading: Reading) -> str:
    """Which criterion ``should_write()`` is about to meet (before it updates)."""
    last = throttle._time  # noqa: SLF001
    if last is None:
        return "first reading"
    if reading.time - last >= throttle.seconds:
        return "60 s since the last write"
    if abs(reading.power - (throttle._power or 0.0)) > throttle.power_w:  # noqa: SLF001
        return "power moved > 50 W"
    return "energy moved >= 0.001 kWh"


def throttled(readings: list[Reading], throttle: WriteThrottle) -> Rows:
    """The day through ``throttle``; the held reading is flushed by a timer.

    As the coordinator does: a written reading cancels the pending flush, and the
    next held reading arms it again for the deadline of that last write.
    """
    rows = Rows()
    held: Reading | None = None
    flush_at: float | None = None

    def flush() -> None:
        nonlocal held, flush_at
        flush_at = None
        if held is not None:
            throttle.wrote(held.time, held.power, held.energy)
            rows.written.append(held)
            rows.why["held reading flushed at the deadline"] += 1
            held = None

    for reading in readings:
        # A timer due before this reading has fired (one due at the same second
        # fires after it: the reading, 5 s after the held one, is the newer).
        if flush_at is not None and flush_at < reading.time:
            flush()
        reason = _reason(throttle, reading)
        if throttle.should_write(reading.time, reading.power, reading.energy):
            rows.written.append(reading)
            rows.why[reason] += 1
            held = None
            flush_at = None
            continue
        held = reading
        if flush_at is None:
            flush_at = throttle.due() or reading.time
    flush()  # the day's last held reading, at its deadline
    return rows


def main() -> None:
    """Count the rows with and without throttling and print the comparison."""
    day = household_day()
    kwh = day[-1].energy - day[0].energy
    average = kwh * 1000 / 24
    rows = throttled(day, WriteThrottle(seconds=60, power_w=50, energy_kwh=0.001))
    error = day[-1].energy - rows.written[-1].energy
    if rows.written[-1] != day[-1] or not math.isclose(error, 0.0, abs_tol=1e-12):
        raise RuntimeError(f"the day's last reading was not written ({error} kWh)")
    print(
        f"Write throttling, one 5 s meter, a synthetic household day "
        f"({kwh:.2f} kWh, {average:.0f} W average, {min(r.power for r in day):.0f}-"
        f"{max(r.power for r in day):.0f} W)"
    )
    print(f"  readings/day                          : {len(day):6d}")
    print(f"  rows/day per sensor, no throttle      : {len(day):6d}")
    print(
        f"  rows/day, throttle 60 s/50 W/0.001 kWh: {rows.count:5d}   "
        f"reduction {len(day) / rows.count:.1f}x, written because:"
    )
    for reason, count in rows.why.most_common():
        print(f"      {reason:<36}: {count:5d}")
    print(
        f"  energy error at the end of the day    : {error:.6f} kWh "
        "(the last reading is written)"
    )
    for step in (0.005, 0.01):
        coarse = throttled(day, WriteThrottle(seconds=60, power_w=50, energy_kwh=step))
        print(
            f"  with energy_kwh={step:g} instead: {coarse.count} rows "
            f"({len(day) / coarse.count:.1f}x)"
        )
    before, after = SEED_CLAIM
    print(
        f"  seed's claim: ~{before / 1000:.0f}K -> ~{after / 1000:.1f}K rows/day "
        f"({before / after:.0f}x); measured {len(day) / 1000:.1f}K -> "
        f"{rows.count / 1000:.1f}K ({len(day) / rows.count:.1f}x). One row a minute "
        f"is 1,440: the 1 Wh energy step writes more often whenever the load is "
        f"above 60 W"
    )


if __name__ == "__main__":
    main()
