"""A fair cost per billed sensor: each hour's energy at the price it was bought at.

The cycle's bill (*Cost this cycle*) is shared between the billed sensors by
``core.allocation.allocate`` over the cycle's hours: each sensor's energy per
hour, from the recorder's hourly ``change`` (``statistics.async_changes``), and
the TOU band of the hour's local start. The fixed lines go with the energy or
stay on the household's line (entry option ``fixed_share``).

**The same bill, to the cent.** The hours are fitted to the bill the other
sensors show (``hour_uses``), so the sensors' costs plus the household's line add
up exactly to *Cost this cycle*:

* each sensor's hourly changes are added up and rounded to Wh as a running total
  (no rounding error piles up over the hours); the cycle's energy so far
  (``CycleSoFar.sensor_kwh``) ends the running total, and what it adds after
  the last compiled hour is the hour in progress, priced on the slabs as the
  bill prices it until the recorder compiles that hour;
* a dip (a negative change) is taken from the hours after it, as the ledger lets
  a dip and its recovery cancel out;
* then each group of hours (each TOU band, and the slab hours) is brought to the
  bill's own energy for it: what is missing goes to the group's last hour (its
  largest sensor), what is too much is taken from its last hours first. This
  moves Wh where the hourly changes and the sums at the cycle's edges disagree
  (rounding, dips, a meter's backlog not yet compiled), never the total.

**Reading.** ``HourlyReader`` keeps the hourly rows of the cycle's past complete
hours and reads only the hours after them at each refresh (the last hour is read
again once, in case it was compiled late). Before using what it keeps it checks
it against the sensors' sums at the cycle's start and at the end of what it
keeps (one indexed lookup per sensor and instant, as the bill's): a backlog
imported into past hours, a purge or an import changes those sums, and then the
cycle is read again whole. A new cycle or a new set of sensors starts afresh.

**Folding.** ``FairCosts`` keeps the cycle's hours older than ``KEEP_BACK``
folded (``allocation.climb``: where the cycle stands on the slabs, each
bucket's kWh per sensor, each sensor's running Wh total) and each refresh fits
and folds only the newer ones: a month's end costs a day of hours instead of
the month's (100 sensors: ~8 instead of ~100 ms). The fit only changes the last
hours of each TOU band; one that would change a folded hour, a new cycle, other
sensors, another tariff or rebate room, or rows read again (a backlog) start
afresh from the whole cycle. Same results as the whole cycle at once
(``fair_costs``): a hypothesis test refreshes both hour after hour.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal
import math
from typing import Any, Final, Literal

from homeassistant.core import HomeAssistant

from ...const import LOGGER
from ...core.allocation import Allocation, Climb, HourUse, allocate, climb, rebate_room
from ...core.ledger import Part
from ...core.tariff import Bill, Tariff, TariffError
from .bills import CycleSoFar
from .statistics import async_changes, async_sums_at

# Entry option: where the fixed lines go (the billing options form's field).
CONF_FIXED_SHARE: Final = "fixed_share"
FIXED_ENERGY: Final = "energy"
FIXED_HOUSEHOLD: Final = "household"
FIXED_SHARES: Final = (FIXED_ENERGY, FIXED_HOUSEHOLD)
DEFAULT_FIXED_SHARE: Final = FIXED_ENERGY
KEEP_READS: Final = 8  # HourlyReader.reads: the last reads kept

WH: Final = Decimal("0.001")
HOUR: Final = timedelta(hours=1)
HOUR_SECONDS: Final = 3600.0
IN_PROGRESS: Final = math.inf  # the hour in progress sorts after every row
TOLERANCE_KWH: Final = 1e-6  # kept rows and sums agree within a mWh
# The hours a refresh fits to the bill again; the older ones stay folded (FairCosts).
KEEP_BACK: Final = timedelta(hours=25)

type Rows = dict[str, dict[float, float]]
"""Per sensor, its hourly ``change`` (kWh) by the hour's start (UTC timestamp)."""
type FixedShare = Literal["energy", "household"]


def fixed_share(options: Mapping[str, Any]) -> FixedShare:
    """The entry's ``fixed_share`` option; missing or unknown: ``energy``."""
    return (
        FIXED_HOUSEHOLD
        if options.get(CONF_FIXED_SHARE) == FIXED_HOUSEHOLD
        else FIXED_ENERGY
    )


def _wh(kwh: float) -> int:
    """Energy in whole Wh, half-up (not finite: 0, the bill refuses those already).

    The value is ``repr(kwh)`` (its shortest decimal) rounded; ``kwh * 1000`` in
    floats is within ``_WH_ERROR`` of it (relative), so away from a half it
    rounds the same, and only near a half is the decimal needed.
    """
    if not math.isfinite(kwh):
        return 0
    scaled = kwh * 1000.0
    if abs(scaled) < _WH_FAST_LIMIT:
        low = math.floor(scaled)
        above = scaled - low  # exact
        if abs(above - 0.5) > _WH_ERROR * (1.0 + abs(scaled)):
            return low + 1 if above > 0.5 else low
    return int((Decimal(repr(kwh)) / WH).to_integral_value(ROUND_HALF_UP))


_WH_FAST_LIMIT: Final = 1e15  # floats hold every integer (and half) below
_WH_ERROR: Final = 1e-12  # far above the floats' error (under 1e-15, relative)


type _Walk = tuple[float, int, int]
"""A sensor's walk through its hours: running kWh, its Wh so far, Wh still owed."""
_START: Final[_Walk] = (0.0, 0, 0)


def _walk(
    items: Iterable[tuple[float, float]], state: _Walk
) -> tuple[dict[float, int], _Walk]:
    """``sensor_hours``' walk over (hour, change) in time order, from ``state``."""
    hours: dict[float, int] = {}
    running, previous, pending = state
    floor = math.floor
    for stamp, change in items:
        running += change
        # _wh(running), its quick path inline (not finite: the comparison fails)
        scaled = running * 1000.0
        if -_WH_FAST_LIMIT < scaled < _WH_FAST_LIMIT:
            current = floor(scaled)
            above = scaled - current
            if abs(above - 0.5) <= _WH_ERROR * (1.0 + abs(scaled)):
                current = _wh(running)
            elif above > 0.5:
                current += 1
        else:
            current = _wh(running)
        pending += current - previous
        previous = current
        if pending > 0:
            hours[stamp] = pending
            pending = 0
    return hours, (running, previous, pending)


def sensor_hours(series: Mapping[float, float], total_kwh: float) -> dict[float, int]:
    """One sensor's Wh per hour: running total rounded, dips taken from later hours.

    ``total_kwh``: its energy in the cycle so far; what it adds to the hourly
    changes is the hour in progress (``IN_PROGRESS``).
    """
    hours, (_, previous, pending) = _walk(sorted(series.items()), _START)
    pending += _wh(total_kwh) - previous
    if pending > 0:
        hours[IN_PROGRESS] = pending
    return hours


@dataclass(slots=True)
class _Hour:
    stamp: float
    band: str | None
    wh: dict[str, int] = field(default_factory=dict)


type _Groups = dict[str | None, tuple[int, int]]
"""Per TOU band (None: slabs), the Wh and the number of the folded hours."""


@dataclass(frozen=True, slots=True)
class _Folded:
    """The cycle's hours before ``cut``, folded (``allocation.climb``) and kept."""

    key: tuple[object, ...]
    cut: float
    walks: dict[str, _Walk]  # each sensor's walk at the cut
    groups: _Groups
    climb: Climb


class _Hours:
    """A part of the cycle's hours: each sensor's Wh, by the hour's start."""

    def __init__(self, tariff: Tariff, tz: tzinfo) -> None:
        """No hour yet."""
        self._band_of = [tariff.band_for_hour(hour) for hour in range(24)]
        self._tz = tz
        self.by_stamp: dict[float, _Hour] = {}

    def add(self, sensor: str, stamp: float, wh: int) -> None:
        """``sensor``'s Wh in the hour starting at ``stamp``."""
        if (hour := self.by_stamp.get(stamp)) is None:
            band = None
            if stamp != IN_PROGRESS:
                found = self._band_of[datetime.fromtimestamp(stamp, self._tz).hour]
                band = None if found is None else found.name
            hour = self.by_stamp[stamp] = _Hour(stamp, band, {})
        hour.wh[sensor] = wh

    def walk(
        self,
        rows: Mapping[str, Mapping[float, float]],
        sensors: Sequence[str],
        walks: Mapping[str, _Walk],
        low: float,
        high: float,
    ) -> dict[str, _Walk]:
        """Each sensor's hours from ``low`` to before ``high``; the walks at ``high``.

        Rows start on whole hours (the recorder's hourly statistics do).

        The sensors in name order: each hour's Wh are then in name order too.
        """
        ends: dict[str, _Walk] = {}
        for sensor in sensors:
            series = rows.get(sensor, {})
            if high - low < len(series) * HOUR_SECONDS:  # a few of many hours
                first = int(math.ceil(low / HOUR_SECONDS) * HOUR_SECONDS)
                get = series.get
                items = [
                    (float(stamp), change)
                    for stamp in range(first, int(high), int(HOUR_SECONDS))
                    if (change := get(stamp)) is not None
                ]
            else:
                items = sorted(item for item in series.items() if low <= item[0] < high)
            found, ends[sensor] = _walk(items, walks.get(sensor, _START))
            for stamp, wh in found.items():
                self.add(sensor, stamp, wh)
        return ends

    def ordered(self) -> list[_Hour]:
        """The hours in time order."""
        return [self.by_stamp[stamp] for stamp in sorted(self.by_stamp)]


def _fit(
    ordered: list[_Hour],
    bill: Bill,
    sensor_kwh: Mapping[str, float],
    folded: _Groups,
) -> float | None:
    """The hours fitted to ``bill``'s energy per band, in place (see the module).

    ``ordered``: the hours after the folded ones (their groups: ``folded``).
    The earliest hour changed (``IN_PROGRESS``: none before the hour in
    progress), or None when the fit would change a folded hour.
    """
    targets: dict[str | None, int] = {
        line.band: int(line.kwh / WH) for line in bill.tou_lines
    }
    targets[None] = int(bill.energy_kwh / WH) - sum(targets.values())
    for band in folded:
        targets.setdefault(band, 0)
    for hour in ordered:
        targets.setdefault(hour.band, 0)
    biggest = max(
        sorted(sensor_kwh), key=lambda sensor: sensor_kwh[sensor], default=None
    )
    touched = IN_PROGRESS
    for band, target in targets.items():
        group = [hour for hour in ordered if hour.band == band]
        before_wh, before_hours = folded.get(band, (0, 0))
        diff = target - before_wh - sum(sum(hour.wh.values()) for hour in group)
        if diff > 0 and biggest is not None:
            if not group:
                if before_hours:
                    return None  # it goes to the last folded hour
                extra = _Hour(IN_PROGRESS, band, {})
                ordered.append(extra)
                group = [extra]
            last = group[-1].wh
            sensor = max(sorted(last), key=lambda s: last[s], default=biggest)
            last[sensor] = last.get(sensor, 0) + diff
            touched = min(touched, group[-1].stamp)
        for hour in reversed(group):
            if diff >= 0:  # nothing (left) to take
                break
            for sensor in sorted(hour.wh, key=lambda s: (-hour.wh[s], s)):
                if diff >= 0:
                    break
                take = min(hour.wh[sensor], -diff)
                hour.wh[sensor] -= take
                diff += take
                touched = min(touched, hour.stamp)
        if diff < 0 and before_hours:
            return None  # more to take, from the folded hours
    return touched


def _uses(hours: Iterable[_Hour], kwh: _KWh) -> list[HourUse]:
    """The hours with energy, as the allocation takes them."""
    return [
        HourUse(hour.band, {sensor: kwh[wh] for sensor, wh in hour.wh.items() if wh})
        for hour in hours
        if any(hour.wh.values())
    ]


def hour_uses(
    tariff: Tariff,
    rows: Mapping[str, Mapping[float, float]],
    sensor_kwh: Mapping[str, float],
    bill: Bill,
    tz: tzinfo,
) -> list[HourUse]:
    """The cycle's hours, fitted to ``bill``'s energy per TOU band (see the module)."""
    sensors = sorted(sensor_kwh)
    hours = _Hours(tariff, tz)
    ends = hours.walk(rows, sensors, {}, -math.inf, math.inf)
    _in_progress(hours, sensors, ends, sensor_kwh)
    ordered = hours.ordered()
    _fit(ordered, bill, sensor_kwh, {})
    return _uses(ordered, _KWh())


def _in_progress(
    hours: _Hours,
    sensors: Sequence[str],
    walks: Mapping[str, _Walk],
    sensor_kwh: Mapping[str, float],
) -> None:
    """What each sensor's energy so far adds to its compiled hours."""
    for sensor in sensors:
        _, previous, pending = walks[sensor]
        pending += _wh(sensor_kwh[sensor]) - previous
        if pending > 0:
            hours.add(sensor, IN_PROGRESS, pending)


class _KWh(dict[int, Decimal]):
    """Wh -> kWh (``wh * WH``), each computed once."""

    def __missing__(self, wh: int) -> Decimal:
        value = self[wh] = wh * WH
        return value


def bill_fraction(so_far: CycleSoFar) -> Decimal:
    """The fixed charge's share in *Cost this cycle* (as ``bills`` prices it)."""
    end = max(so_far.now, so_far.cycle_start)
    part = Part(
        so_far.cycle,
        so_far.cycle_start,
        so_far.cycle_end,
        so_far.cycle_start,
        end,
        so_far.counted_from,
    )
    return part.fraction(min(end, so_far.now))


class FairCosts:
    """*Cost this cycle* shared by ``allocate``, the older hours folded once.

    Each refresh fits and folds only the hours since the cut, about
    ``KEEP_BACK`` before now (the fit changes the last hours of each band);
    the hours before it are kept folded (``allocation.climb``) while the
    cycle, its sensors, the tariff, the rebate's room and the rows
    (``HourlyReader.generation``) stay the same. A fit that would change a
    folded hour is made again over the whole cycle. The result is the same as
    all the hours at once (``fair_costs``; a hypothesis test keeps them equal).
    """

    def __init__(self) -> None:
        """Nothing folded yet."""
        self._folded: _Folded | None = None

    def compute(
        self,
        tariff: Tariff,
        so_far: CycleSoFar,
        rows: Mapping[str, Mapping[float, float]],
        fixed: FixedShare,
        tz: tzinfo,
        *,
        generation: object = None,
    ) -> Allocation | None:
        """The allocation, None when it cannot be that bill (``fair_costs``).

        Runs in an executor job; what it keeps is replaced in one assignment.
        """
        fraction = bill_fraction(so_far)
        sensors = sorted(so_far.sensor_kwh)
        try:
            key = (
                tariff,
                so_far.cycle_start,
                tuple(sensors),
                rebate_room(tariff, fraction),
                str(tz),
                generation,
            )
            folded = self._folded
            if folded is not None and folded.key != key:
                folded = None
            cut = (hour_start(so_far.now) - KEEP_BACK).timestamp()
            done = None
            # What is kept, else (or when the fit changes a folded hour) every hour.
            for after in (folded, None) if folded is not None else (None,):
                done = _allocate(
                    tariff,
                    so_far,
                    rows,
                    fixed=fixed,
                    tz=tz,
                    fraction=fraction,
                    folded=after,
                    cut=cut,
                    key=key,
                    sensors=sensors,
                )
                if done is not None:
                    break
        except TariffError as err:
            LOGGER.debug("Fair cost per sensor not computed: %s", err)
            return None
        if done is None:  # pragma: no cover - with nothing folded the fit always fits
            return None
        allocation, kept = done
        self._folded = kept
        if allocation.bill.total != so_far.bill.total:
            LOGGER.debug(
                "Fair cost per sensor not used: %s instead of the bill's %s",
                allocation.bill.total,
                so_far.bill.total,
            )
            return None
        return allocation


def _allocate(
    tariff: Tariff,
    so_far: CycleSoFar,
    rows: Mapping[str, Mapping[float, float]],
    *,
    fixed: FixedShare,
    tz: tzinfo,
    fraction: Decimal,
    folded: _Folded | None,
    cut: float,
    key: tuple[object, ...],
    sensors: Sequence[str],
) -> tuple[Allocation, _Folded | None] | None:
    """The allocation after ``folded``, and what to keep folded up to ``cut``.

    None when the fit would change a folded hour. ``key``: what the folded hours
    hold for (``FairCosts.compute``); ``sensors``: the billed sensors, by name.
    """
    low = -math.inf if folded is None else folded.cut
    cut = max(cut, low)
    older, newer = _Hours(tariff, tz), _Hours(tariff, tz)
    at_cut = older.walk(rows, sensors, {} if folded is None else folded.walks, low, cut)
    # The rows are the hours compiled by now: none after the hour in progress.
    stop = hour_start(so_far.now).timestamp() + HOUR_SECONDS
    ends = newer.walk(rows, sensors, at_cut, cut, max(stop, cut))
    _in_progress(newer, sensors, ends, so_far.sensor_kwh)
    first, last = older.ordered(), newer.ordered()
    groups = {} if folded is None else folded.groups
    ordered = first + last
    touched = _fit(ordered, so_far.bill, so_far.sensor_kwh, groups)
    if touched is None:
        return None
    kwh = _KWh()
    before = None if folded is None else folded.climb
    if touched < cut or not first:  # nothing more to fold
        hours = _uses(ordered, kwh)
        allocation = allocate(
            tariff, hours, fixed=fixed, fixed_fraction=fraction, after=before
        )
        return allocation, folded
    climbed = climb(tariff, _uses(first, kwh), fixed_fraction=fraction, after=before)
    allocation = allocate(
        tariff,
        _uses(ordered[len(first) :], kwh),
        fixed=fixed,
        fixed_fraction=fraction,
        after=climbed,
    )
    more = dict(groups)
    for hour in first:
        wh, count = more.get(hour.band, (0, 0))
        more[hour.band] = (wh + sum(hour.wh.values()), count + 1)
    return allocation, _Folded(key, cut, at_cut, more, climbed)


def fair_costs(
    tariff: Tariff,
    so_far: CycleSoFar,
    rows: Mapping[str, Mapping[float, float]],
    fixed: FixedShare,
    tz: tzinfo,
) -> Allocation | None:
    """*Cost this cycle* shared by ``allocate``; None when it cannot be that bill.

    None (the caller keeps the share by energy) when the hours do not price to
    the same total: never expected, checked all the same, since the shares must
    add up to the bill shown beside them. Every hour at once (``FairCosts``
    keeps the older ones folded).
    """
    return FairCosts().compute(tariff, so_far, rows, fixed, tz)


def hour_start(when: datetime) -> datetime:
    """The start of the UTC hour holding ``when``."""
    return datetime.fromtimestamp(when.timestamp() // 3600 * 3600, UTC)


class HourlyReader:
    """The cycle's hourly rows: the past complete hours kept, new hours read."""

    def __init__(self) -> None:
        """Nothing kept yet."""
        self._key: tuple[datetime, tuple[str, ...]] | None = None
        self._until: datetime | None = None  # rows before it are kept as read
        self._end: datetime | None = None  # rows before it have been read
        self._rows: Rows = {}
        # The last few (start, end) read, for diagnostics and tests: a refresh
        # every 5 minutes must not grow a list for ever (benchmarks/household_day.py).
        self.reads: list[tuple[datetime, datetime]] = []
        self.generation = 0  # one more each time the kept rows are dropped

    async def async_rows(
        self,
        hass: HomeAssistant,
        entity_ids: Collection[str],
        cycle_start: datetime,
        now: datetime,
    ) -> Rows:
        """The hourly changes of every hour of the cycle compiled by ``now``."""
        key = (cycle_start, tuple(sorted(entity_ids)))
        if key != self._key or not await self._async_kept_agrees(
            hass, entity_ids, cycle_start, now
        ):
            self._key, self._until, self._end, self._rows = key, None, None, {}
            self.generation += 1
        end = hour_start(now)
        start = cycle_start if self._until is None else self._until
        # Each sensor's dict is new when it changes: those handed out stay as they were.
        rows: Rows = {sensor: self._rows.get(sensor, {}) for sensor in key[1]}
        if start < end:
            self.reads.append((start, end))
            del self.reads[:-KEEP_READS]
            read = await async_changes(hass, entity_ids, start, end, "hour")
            again = self._read_again()  # the hours read before, read again now
            for sensor in key[1]:
                changes = read.get(sensor, [])
                by = rows[sensor]
                if not changes and not any(stamp in by for stamp in again):
                    continue
                by = dict(by)
                for stamp in again:
                    by.pop(stamp, None)
                for stamp, _, change in changes:
                    by[stamp] = change
                rows[sensor] = by
            self._end = end
        # All is kept; the last hour is read again at the next refresh.
        self._rows = rows
        self._until = max(start, end - HOUR)
        return rows

    def _read_again(self) -> list[float]:
        """The starts of the hours read before from ``_until`` on (whole hours)."""
        if self._until is None or self._end is None:
            return []
        return [
            float(stamp)
            for stamp in range(
                int(self._until.timestamp()), int(self._end.timestamp()), 3600
            )
        ]

    async def _async_kept_agrees(
        self,
        hass: HomeAssistant,
        entity_ids: Collection[str],
        cycle_start: datetime,
        now: datetime,
    ) -> bool:
        """Whether the kept rows still add up to the sums at their edges."""
        until = self._until
        if until is None or until <= cycle_start:
            return True
        sums = await async_sums_at(hass, entity_ids, [cycle_start, until], now)
        for sensor, at in sums.items():
            expected = (at.get(until) or 0.0) - (at.get(cycle_start) or 0.0)
            by = self._rows.get(sensor, {})
            kept = math.fsum(by.values()) - math.fsum(
                by.get(stamp, 0.0) for stamp in self._read_again()
            )
            if abs(expected - kept) > TOLERANCE_KWH:
                LOGGER.debug(
                    "%s: hourly statistics changed in past hours, read again", sensor
                )
                return False
        return True
