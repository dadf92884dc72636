"""A week of hourly history for scripts/develop's simulated devices (no HA imports).

scripts/develop_bootstrap.py imports what this module computes into Home
Assistant's long-term statistics, so that a fresh demo opens on a week of data.
Everything here is plain arithmetic on datetimes and lists, unit-tested in
tests/scripts/test_develop_history.py.

**Shapes.** Each device draws watts minute by minute, drawn from a random generator
seeded by (seed, device, local date), so the same day always looks the same:

* ``kettle``: 3-5 boils a day of 3-5 min at 2 kW (morning, midday, tea, evening);
* ``tv``: 85 W in the evening (and some weekend afternoons); ``lamp``: 9 W from
  dusk to bedtime; ``router``: 12 W all the time; an outlet with nothing plugged
  in (``idle``): 0 W;
* ``kitchen``: the ESP32 meter's channels: its 3 W electronics, relay 1's 100 W
  fridge cycling, relay 2's 1 kW cooker at meals;
* ``utility``: the PZEM-004T's room: a 540 W water pump twice a day, a washing
  machine three days a week, a 40 W standing load;
* ``house``: ELNET's whole-house meter: every device above plus the rest of the
  house on a daily curve (``HOUSE_CURVE_W``); ``grid`` and ``generator`` split it
  by a few seeded power cuts, when the building's generator (DG) takes over.

**Rows.** An hour's power row has the minutes' mean, min and max; its energy row
adds ``mean W x 1 h / 1000`` kWh to the ``sum``, exactly. For the energy counted
exactly once (the rules of :func:`import_hours` and :func:`energy_rows`):

* only whole hours before the current hour and before the first statistics row
  Home Assistant already has for the sensor (a second run imports nothing);
* sums count from 0 at the week's start (the first row's sum is its hour's energy:
  the recorder takes the sum before a sensor's first row as 0) up to the week's
  energy. Home Assistant's own statistics of the sensor also start at 0, on the
  first state it records (``sensor/recorder.py`` continues from its latest
  5-minute row, never from an imported hourly row), so its rows are then moved up
  by the week's energy, once, after its first 5-minute row exists
  (``recorder/adjust_sum_statistics``; :func:`due_adjustments`): its first
  compiled hour follows the imported ones without a jump;
* the last imported ``state`` is the sensor's state now; states are never negative:
  when the week used more than the counter now shows, the counter starts from 0 at
  the week's start and is reset once (as a reboot would) where the rest of the
  week adds up to its present value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
import math
import random
import re

HOUR = timedelta(hours=1)
MINUTES_PER_HOUR = 60
DAY_MINUTES = 24 * 60
DEFAULT_SEED = "intelergy-demo"
DEFAULT_DAYS = 7

KETTLE_W = 2000.0
TV_W = 85.0
LAMP_W = 9.0
ROUTER_W = 12.0
METER_BASE_W = 3.0  # the ESP32 meter's own electronics
FRIDGE_W = 100.0  # relay 1 (the simulator's first load)
COOKER_W = 1000.0  # relay 2
PUMP_W = 540.0
UTILITY_BASE_W = 40.0
# The rest of the house (lights, fans, fridge, geyser...), W at each local hour.
HOUSE_CURVE_W = (
    220, 210, 200, 200, 210, 300, 650, 1100, 950, 600, 480, 450,
    460, 500, 450, 420, 480, 700, 1100, 1500, 1600, 1350, 850, 420,
)  # fmt: skip
DEVICES = ("kettle", "tv", "lamp", "router", "idle", "kitchen", "utility")
SERIES = (*DEVICES, "house", "grid", "generator")


@dataclass(frozen=True)
class HourPower:
    """One hour's power: the minutes' mean, min and max (W)."""

    start: datetime
    mean: float
    min: float
    max: float

    @property
    def kwh(self) -> float:
        """The hour's energy: mean W x 1 h / 1000."""
        return self.mean / 1000


# -- which series an entity shows ---------------------------------------------------

_BY_NAME: tuple[tuple[str, str], ...] = (
    (r"\bkettle\b", "kettle"),
    (r"\btv\b", "tv"),
    (r"\blamp\b", "lamp"),
    (r"\brouter\b", "router"),
    (r"\boutlet[ _]\d+\b", "idle"),
    (r"\besp32\b", "kitchen"),
    (r"\bpzem", "utility"),
    (r"\bgrid[ _]energy$", "grid"),
    (r"\bgenerator[ _]energy$", "generator"),
    (r"\bpresent[ _]load$", "house"),
)


def series_for(entity_id: str, friendly_name: str = "") -> str | None:
    """The series (``SERIES``) a simulated device's energy or power sensor shows.

    By its name ("Kitchen kettle Energy", "ELNET meter 1 Grid energy"...), else its
    entity id; None for a sensor of no simulated device.
    """
    for text in (friendly_name, entity_id):
        lowered = text.lower()
        for pattern, series in _BY_NAME:
            if re.search(pattern, lowered):
                return series
    return None


# -- minute-by-minute watts ----------------------------------------------------------


def _rng(seed: str, name: str, day: date) -> random.Random:
    return random.Random(f"{seed}:{name}:{day.isoformat()}")  # noqa: S311


def _switch_on(
    watts: list[float], start: float, minutes: float, load: float
) -> None:  # fmt: skip
    """Add ``load`` W to the minutes of [start, start + minutes) within the day."""
    first = max(0, round(start))
    for minute in range(first, min(DAY_MINUTES, first + max(1, round(minutes)))):
        watts[minute] += load


def _kettle(rng: random.Random, day: date) -> list[float]:
    watts = [0.0] * DAY_MINUTES
    windows = [(390, 450), (450, 540), (660, 780), (930, 1020), (1140, 1230), (1260, 1350)]  # fmt: skip
    for low, high in rng.sample(windows, rng.randint(3, 5)):
        _switch_on(watts, rng.uniform(low, high), rng.randint(3, 5), KETTLE_W)
    return watts


def _tv(rng: random.Random, day: date) -> list[float]:
    watts = [0.0] * DAY_MINUTES
    on = rng.uniform(18.5, 19.75) * 60
    _switch_on(watts, on, rng.uniform(22.0, 23.25) * 60 - on, TV_W)
    if day.weekday() >= 5 and rng.random() < 0.7:  # a weekend film
        _switch_on(watts, rng.uniform(14, 15) * 60, rng.uniform(90, 150), TV_W)
    return [w + rng.uniform(-3, 3) if w else 0.0 for w in watts]  # picture-dependent


def _lamp(rng: random.Random, day: date) -> list[float]:
    watts = [0.0] * DAY_MINUTES
    on = rng.uniform(18.0, 18.75) * 60
    _switch_on(watts, on, rng.uniform(22.5, 23.5) * 60 - on, LAMP_W)
    return watts


def _router(rng: random.Random, day: date) -> list[float]:
    return [ROUTER_W + rng.uniform(-0.4, 0.4) for _ in range(DAY_MINUTES)]


def _idle(rng: random.Random, day: date) -> list[float]:
    return [0.0] * DAY_MINUTES


def _kitchen(rng: random.Random, day: date) -> list[float]:
    watts = [METER_BASE_W] * DAY_MINUTES
    minute = rng.uniform(0, 20)
    while minute < DAY_MINUTES:  # the fridge's compressor: longer runs by day
        daytime = 9 * 60 <= minute < 21 * 60
        run = rng.uniform(14, 22) if daytime else rng.uniform(9, 14)
        _switch_on(watts, minute, run, FRIDGE_W)
        minute += run + rng.uniform(14, 22)
    for low, high, length in ((420, 480, 20), (750, 810, 30), (1170, 1230, 40)):
        _switch_on(watts, rng.uniform(low, high), length * rng.uniform(0.7, 1.3), COOKER_W)  # fmt: skip
    return watts


def _utility(rng: random.Random, day: date) -> list[float]:
    watts = [UTILITY_BASE_W + rng.uniform(-2, 2) for _ in range(DAY_MINUTES)]
    for low, high in ((330, 390), (1050, 1110)):  # the tank fills twice a day
        _switch_on(watts, rng.uniform(low, high), rng.uniform(25, 40), PUMP_W)
    if day.weekday() in (2, 5, 6):  # washing: heating, then the wash and spin
        start = rng.uniform(9.5, 11) * 60
        _switch_on(watts, start, 15, 2000.0)
        _switch_on(watts, start + 15, 60, 350.0)
        _switch_on(watts, start + 75, 15, 600.0)
    return watts


def _rest_of_house(rng: random.Random, day: date) -> list[float]:
    scale = (1.15 if day.weekday() >= 5 else 1.0) * rng.uniform(0.9, 1.1)
    watts = []
    for minute in range(DAY_MINUTES):
        hour, into = divmod(minute, MINUTES_PER_HOUR)
        low, high = HOUSE_CURVE_W[hour], HOUSE_CURVE_W[(hour + 1) % 24]
        watts.append((low + (high - low) * into / MINUTES_PER_HOUR) * scale)
    for block in range(0, DAY_MINUTES, 5):  # appliances coming and going
        factor = rng.uniform(0.85, 1.15)
        for minute in range(block, block + 5):
            watts[minute] *= factor
    return watts


def _power_cuts(rng: random.Random, day: date) -> list[float]:
    """1.0 in the minutes the grid is down (the generator runs), else 0.0."""
    down = [0.0] * DAY_MINUTES
    if rng.random() < 0.45:
        _switch_on(down, rng.uniform(9, 21) * 60, rng.uniform(40, 150), 1.0)
    return down


_DAY_PROFILES: dict[str, Callable[[random.Random, date], list[float]]] = {
    "kettle": _kettle,
    "tv": _tv,
    "lamp": _lamp,
    "router": _router,
    "idle": _idle,
    "kitchen": _kitchen,
    "utility": _utility,
    "rest": _rest_of_house,
    "cuts": _power_cuts,
}


def minute_watts(
    start: datetime, hours: int, tz: tzinfo, seed: str = DEFAULT_SEED
) -> dict[str, list[float]]:
    """Every series' watts, minute by minute, for ``hours`` from ``start``.

    ``start`` is timezone-aware; the shapes follow the local time in ``tz``.
    """
    days: dict[tuple[str, date], list[float]] = {}
    out: dict[str, list[float]] = {name: [] for name in SERIES}
    for minute in range(hours * MINUTES_PER_HOUR):
        local = (start + timedelta(minutes=minute)).astimezone(tz)
        of_day = local.hour * MINUTES_PER_HOUR + local.minute
        values = {}
        for name, profile in _DAY_PROFILES.items():
            if (key := (name, local.date())) not in days:
                days[key] = profile(_rng(seed, name, local.date()), local.date())
            values[name] = days[key][of_day]
        house = values["rest"] + sum(values[name] for name in DEVICES)
        for name in DEVICES:
            out[name].append(values[name])
        out["house"].append(house)
        out["grid"].append(0.0 if values["cuts"] else house)
        out["generator"].append(house if values["cuts"] else 0.0)
    return out


def hourly(start: datetime, watts: Sequence[float]) -> list[HourPower]:
    """Minute watts → one ``HourPower`` per whole hour from ``start``.

    The mean is rounded to the mW and the energy follows from it exactly.
    """
    rows = []
    for hour in range(len(watts) // MINUTES_PER_HOUR):
        minutes = watts[hour * MINUTES_PER_HOUR : (hour + 1) * MINUTES_PER_HOUR]
        rows.append(
            HourPower(
                start=start + hour * HOUR,
                mean=round(math.fsum(minutes) / MINUTES_PER_HOUR, 3),
                min=round(min(minutes), 3),
                max=round(max(minutes), 3),
            )
        )
    return rows


def week_profile(
    start: datetime, hours: int, tz: tzinfo, seed: str = DEFAULT_SEED
) -> dict[str, list[HourPower]]:
    """Every series' hourly power rows for ``hours`` from ``start``."""
    return {
        name: hourly(start, watts)
        for name, watts in minute_watts(start, hours, tz, seed).items()
    }


# -- which hours, and the rows -------------------------------------------------------


def hour_start(when: datetime) -> datetime:
    """The start of the hour ``when`` is in."""
    return when.replace(minute=0, second=0, microsecond=0)


def import_hours(
    now: datetime,
    first_existing: datetime | None,
    *,
    has_older: bool = False,
    days: int = DEFAULT_DAYS,
) -> list[datetime]:
    """The hours to import for one sensor: the rule that makes a second run a no-op.

    The whole hours of the last ``days`` days that end by the start of the current
    hour and before the hour of ``first_existing`` (the sensor's first statistics
    row Home Assistant already has, hourly or 5-minute, in that window); none if
    ``has_older`` (it has statistics from before the window: an older history that
    is left alone).
    """
    current = hour_start(now)
    first = current - days * 24 * HOUR
    if has_older:
        return []
    limit = (
        current if first_existing is None else min(current, hour_start(first_existing))
    )
    hours = []
    when = first
    while when < limit:
        hours.append(when)
        when += HOUR
    return hours


def energy_rows(
    powers: Sequence[HourPower],
    live_state: float,
    *,
    scale: float = 1.0,
) -> list[dict[str, object]]:
    """The energy sensor's hourly rows (``start``, ``state``, ``sum``) for ``powers``.

    ``powers`` are consecutive hours ending just before Home Assistant's own
    statistics; ``scale`` turns kWh into the sensor's unit (1 for kWh, 1000 for
    Wh). Each hour adds its energy to ``sum``, from 0 before the first hour (the
    last ``sum`` is the energy of them all) and the last ``state`` is
    ``live_state``. States never go below 0: when the
    counter shows less than the hours used, it counts from 0 at the first hour and
    is reset once, in the hour where the rest adds up to ``live_state``.
    """
    if live_state < 0:
        raise ValueError(f"a counter of {live_state} cannot be continued")
    energies = [power.kwh * scale for power in powers]
    total = math.fsum(energies)
    rows: list[dict[str, object]] = []
    used = 0.0
    for power, energy in zip(powers, energies, strict=True):
        used += energy
        after = total - used  # energy of the hours after this one
        # Before the reset (if any) the counter shows what it counted since the
        # week's start; after it, what is left to reach the live state.
        state = live_state - after if after <= live_state else used
        rows.append(
            {
                "start": power.start,
                "state": round(max(state, 0.0), 6),
                "sum": round(used, 6),
            }
        )
    if rows:
        rows[-1]["state"] = live_state
    return rows


def due_adjustments(
    pending: dict[str, dict[str, object]], first_rows: dict[str, datetime]
) -> list[str]:
    """The statistics whose own rows are now to be moved up, once each.

    ``pending``: per statistic, ``from`` (ISO time: the hour after the imported
    ones) and ``adjustment``; ``first_rows``: Home Assistant's first 5-minute row
    of each statistic at or after its ``from``, where it has one. Moving the rows
    before the first exists would move nothing (the recorder's next compile would
    start again at 0), so those wait.
    """
    due = []
    for statistic_id, entry in pending.items():
        since = datetime.fromisoformat(str(entry["from"]))
        if (first := first_rows.get(statistic_id)) is not None and first >= since:
            due.append(statistic_id)
    return sorted(due)


def power_rows(
    powers: Iterable[HourPower], *, scale: float = 1.0
) -> list[dict[str, object]]:
    """The power sensor's hourly rows (``start``, ``mean``, ``min``, ``max``).

    ``scale`` turns W into the sensor's unit (1 for W, 0.001 for kW).
    """
    return [
        {
            "start": power.start,
            "mean": round(power.mean * scale, 6),
            "min": round(power.min * scale, 6),
            "max": round(power.max * scale, 6),
        }
        for power in powers
    ]


ENERGY_SCALE = {"Wh": 1000.0, "kWh": 1.0, "MWh": 0.001}
POWER_SCALE = {"W": 1.0, "kW": 0.001, "MW": 0.000001}
