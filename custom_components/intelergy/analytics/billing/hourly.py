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
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal
import math
from typing import Any, Final, Literal

from homeassistant.core import HomeAssistant

from ...const import LOGGER
from ...core.allocation import Allocation, HourUse, allocate
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

WH: Final = Decimal("0.001")
HOUR: Final = timedelta(hours=1)
IN_PROGRESS: Final = math.inf  # the hour in progress sorts after every row
TOLERANCE_KWH: Final = 1e-6  # kept rows and sums agree within a mWh

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


def sensor_hours(series: Mapping[float, float], total_kwh: float) -> dict[float, int]:
    """One sensor's Wh per hour: running total rounded, dips taken from later hours.

    ``total_kwh``: its energy in the cycle so far; what it adds to the hourly
    changes is the hour in progress (``IN_PROGRESS``).
    """
    hours: dict[float, int] = {}
    running, previous, pending = 0.0, 0, 0
    floor = math.floor
    for stamp, change in sorted(series.items()):
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
    pending += _wh(total_kwh) - previous
    if pending > 0:
        hours[IN_PROGRESS] = pending
    return hours


@dataclass(slots=True)
class _Hour:
    stamp: float
    band: str | None
    wh: dict[str, int] = field(default_factory=dict)


def hour_uses(
    tariff: Tariff,
    rows: Mapping[str, Mapping[float, float]],
    sensor_kwh: Mapping[str, float],
    bill: Bill,
    tz: tzinfo,
) -> list[HourUse]:
    """The cycle's hours, fitted to ``bill``'s energy per TOU band (see the module)."""
    band_of = [tariff.band_for_hour(hour) for hour in range(24)]
    hours: dict[float, _Hour] = {}
    # The sensors in name order: each hour's Wh are then in name order too.
    for sensor in sorted(sensor_kwh):
        total = sensor_kwh[sensor]
        for stamp, wh in sensor_hours(rows.get(sensor, {}), total).items():
            if (hour := hours.get(stamp)) is None:
                band = None
                if stamp != IN_PROGRESS:
                    found = band_of[datetime.fromtimestamp(stamp, tz).hour]
                    band = None if found is None else found.name
                hour = hours[stamp] = _Hour(stamp, band, {})
            hour.wh[sensor] = wh
    ordered = [hours[stamp] for stamp in sorted(hours)]
    targets: dict[str | None, int] = {
        line.band: int(line.kwh / WH) for line in bill.tou_lines
    }
    targets[None] = int(bill.energy_kwh / WH) - sum(targets.values())
    for hour in ordered:
        targets.setdefault(hour.band, 0)
    biggest = max(
        sorted(sensor_kwh), key=lambda sensor: sensor_kwh[sensor], default=None
    )
    for band, target in targets.items():
        group = [hour for hour in ordered if hour.band == band]
        diff = target - sum(sum(hour.wh.values()) for hour in group)
        if diff > 0 and biggest is not None:
            if not group:
                extra = _Hour(IN_PROGRESS, band, {})
                ordered.append(extra)
                group = [extra]
            last = group[-1].wh
            sensor = max(sorted(last), key=lambda s: last[s], default=biggest)
            last[sensor] = last.get(sensor, 0) + diff
        for hour in reversed(group):
            if diff >= 0:  # nothing (left) to take
                break
            for sensor in sorted(hour.wh, key=lambda s: (-hour.wh[s], s)):
                if diff >= 0:
                    break
                take = min(hour.wh[sensor], -diff)
                hour.wh[sensor] -= take
                diff += take
    kwh = _KWh()  # each hour's Wh are in name order (the sensors were)
    return [
        HourUse(hour.band, {sensor: kwh[wh] for sensor, wh in hour.wh.items() if wh})
        for hour in ordered
        if any(hour.wh.values())
    ]


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
    add up to the bill shown beside them.
    """
    try:
        hours = hour_uses(tariff, rows, so_far.sensor_kwh, so_far.bill, tz)
        allocation = allocate(
            tariff, hours, fixed=fixed, fixed_fraction=bill_fraction(so_far)
        )
    except TariffError as err:
        LOGGER.debug("Fair cost per sensor not computed: %s", err)
        return None
    if allocation.bill.total != so_far.bill.total:
        LOGGER.debug(
            "Fair cost per sensor not used: %s instead of the bill's %s",
            allocation.bill.total,
            so_far.bill.total,
        )
        return None
    return allocation


def hour_start(when: datetime) -> datetime:
    """The start of the UTC hour holding ``when``."""
    return datetime.fromtimestamp(when.timestamp() // 3600 * 3600, UTC)


class HourlyReader:
    """The cycle's hourly rows: the past complete hours kept, new hours read."""

    def __init__(self) -> None:
        """Nothing kept yet."""
        self._key: tuple[datetime, tuple[str, ...]] | None = None
        self._until: datetime | None = None
        self._rows: Rows = {}
        self.reads: list[tuple[datetime, datetime]] = []  # (start, end) read

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
            self._key, self._until, self._rows = key, None, {}
        end = hour_start(now)
        start = cycle_start if self._until is None else self._until
        rows: Rows = {sensor: dict(self._rows.get(sensor, {})) for sensor in key[1]}
        if start < end:
            self.reads.append((start, end))
            read = await async_changes(hass, entity_ids, start, end, "hour")
            for sensor, changes in read.items():
                for stamp, _, change in changes:
                    rows.setdefault(sensor, {})[stamp] = change
        # Keep all but the last hour: it is read again at the next refresh.
        keep = max(start, end - HOUR)
        limit = keep.timestamp()
        self._rows = {
            sensor: {stamp: change for stamp, change in by.items() if stamp < limit}
            for sensor, by in rows.items()
        }
        self._until = keep
        return rows

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
            kept = math.fsum(self._rows.get(sensor, {}).values())
            if abs(expected - kept) > TOLERANCE_KWH:
                LOGGER.debug(
                    "%s: hourly statistics changed in past hours, read again", sensor
                )
                return False
        return True
