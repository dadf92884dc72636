"""Reading the recorder's long-term statistics for billing.

Every read runs in the recorder's executor. The reads:

* **sums at instants** (``async_sums_at``): each sensor's cumulative ``sum`` at
  instants; a period's energy is the difference (see ``ledger``). This is the one
  source of every energy figure: bills, the billing sensors, projections and the
  energy report. The sum at an instant is the sum of the newest row ending at or
  before it (as the recorder finds the sum before a period for its own
  ``change``). Hourly rows start on whole UTC hours (the recorder compiles and
  imports them so), so that row is the one starting on the hour before the
  instant whenever there is one: one ``IN`` read of those rows for every sensor
  and instant (the hits, ``_hits``), then a backward seek only for a sensor and
  instant without one (a gap, before its first row: ``_seek``). Many instants
  (an hourly report): the hourly rows between them are read once instead, the
  same rule applied to them in order. Near "now", the 5-minute rows carry the
  sum past the last compiled hour (seeks in both tables).
* **first statistics** (``async_first_statistics``): where the sensors' statistics
  start (the known part of a first cycle, see ``ledger``).
* **time-of-use energy** (``async_band_energy``): the energy in each band's
  hours, aggregated in the database (below).
* **changes per hour** (``async_changes``): the recorder's own hourly ``change``
  (``statistics_during_period``): what the time-of-use energy was computed from
  before, kept as the reference the tests compare with.

Units: every figure is in kWh, whatever unit a sensor's statistics are in.

Time of use, in the database
----------------------------

A band's energy is the recorder's hourly ``change`` added up over the hours
that start in the band's local hours. Reading every hourly row into Python
(100 sensors, a year: 876,000 rows) took seconds. The database does it here,
on SQLite, PostgreSQL and MariaDB alike, by telescoping: the hourly changes of
an unbroken run of hours [s, e) add up to S(e) - S(s), where S(t) is the sum of
the newest hourly row starting before t (0 before the first row: the
recorder's own start for ``change``, gaps included). So Python walks the
period's UTC hours once, in the home zone (DST included: a row's band is the
local hour it starts in, as ``ledger.band_energy`` has it), and cuts it into
runs of one band; the database returns the household's S (every sensor's sum
added up, per unit) at the runs' edges and the cuts: the rows starting on
the hour before each edge, added up per hour in the database
(``_household_sums``), a seek per sensor only where one is missing. A year with a night band is ~730 edges
(73,000 rows by the start_ts index) instead of 876,000 rows to Python.

Statement shapes per database (100 sensors x a year of hourly rows, 2 shared
cores, best of 15 after a warm-up; ms):

* The hits are one shape everywhere (``IN`` on metadata_id and start_ts, an
  index on every database). Sums at a year's 13 instants: SQLite 9, PostgreSQL
  6, MariaDB 9; the seek shapes they replace: 11-16 (SQLite), 21-46
  (PostgreSQL: the dependent subquery, a LATERAL join, a scalar subquery in the
  select list), 47 (MariaDB, group-by) and 2,560 (MariaDB, dependent
  subquery). A UNION ALL of one ``ORDER BY start_ts DESC LIMIT 1`` part per
  sensor and instant: 300-520 everywhere (compiling 1,300 parts).
* Time of use, a year's 730 edges: hits added up per hour 82 (SQLite), 44
  (PostgreSQL), 140-170 (MariaDB); the seeks before: ~150 (SQLite), 420
  (PostgreSQL, a LATERAL join the same), several seconds (MariaDB).
* Seeks (misses and near now): the recorder's own shapes for "the row
  before": a dependent subquery with a reverse index scan and limit 1 on
  SQLite and PostgreSQL (``_seek_dependent``); on MariaDB / MySQL, which plan
  that as a scan, ``MAX(start_ts)`` grouped per metadata_id, a loose index
  scan (``_seek_group_by``; ``_group_by`` chooses by ``dialect_name``).

Why not the alternatives: ``LAG`` over the rows and a ``GROUP BY`` of the local
hour still reads every row, in the database (a year: ~1 s on SQLite 3.53),
and needs the zone's offsets in SQL; incremental per-cycle accumulators would
be state to keep right across backlogs landing in past hours, statistics
imports, purges and restarts, where the recorder's table is the truth.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
import math
from typing import Any, Final, Literal

from homeassistant.const import UnitOfEnergy
from homeassistant.core import HomeAssistant
from homeassistant.util.unit_conversion import EnergyConverter

from ...const import LOGGER
from ...core.tariff import Tariff

KWH: Final = UnitOfEnergy.KILO_WATT_HOUR
UNITS: Final = {"energy": KWH}
# Short-term rows only matter for instants after the last compiled hour.
RECENT: Final = timedelta(hours=2)
# Reads per statement (SQLite allows 500 parts in a compound SELECT).
CHUNK: Final = 100
# More older instants than this: the hourly rows between them are read in one
# range scan rather than looked up instant by instant.
DENSE: Final = 48
HOUR_SECONDS: Final = 3600.0
# Hours in one ``IN`` list (SQLite allows 32,766 parameters in a statement).
KEYS: Final = 1000

type Period = Literal["hour", "day", "week", "month"]


def recorder_loaded(hass: HomeAssistant) -> bool:
    """Whether the recorder is set up (billing reads its statistics)."""
    return "recorder" in hass.config.components


async def async_sums_at(
    hass: HomeAssistant,
    statistic_ids: Collection[str],
    instants: Sequence[datetime],
    now: datetime,
) -> dict[str, dict[datetime, float | None]]:
    """Each statistic's sum (kWh) at each instant; None before its first row."""
    from homeassistant.helpers.recorder import get_instance  # noqa: PLC0415

    return await get_instance(hass).async_add_executor_job(
        _sums_at, hass, set(statistic_ids), list(instants), now
    )


def _sums_at(
    hass: HomeAssistant,
    statistic_ids: set[str],
    instants: list[datetime],
    now: datetime,
) -> dict[str, dict[datetime, float | None]]:
    # Imported lazily: the recorder is optional for the integration.
    from homeassistant.components.recorder.db_schema import (  # noqa: PLC0415
        Statistics,
        StatisticsShortTerm,
    )
    from homeassistant.helpers.recorder import (  # noqa: PLC0415
        get_instance,
        session_scope,
    )

    result: dict[str, dict[datetime, float | None]] = {
        statistic_id: dict.fromkeys(instants) for statistic_id in statistic_ids
    }
    instance = get_instance(hass)
    with session_scope(hass=hass, read_only=True) as session:
        targets = _energy_sums(instance, session, statistic_ids)
        if not targets:
            return result
        ordered = sorted(set(instants))
        older = [instant for instant in ordered if instant < now - RECENT]
        scanned = older[1:] if len(older) > DENSE else []
        looked_up = [instant for instant in older if instant not in set(scanned)]
        group_by = _group_by(instance)
        # Older instants: the hourly row ending at or before the instant starts
        # on the hour before it (hits), else a backward seek (misses).
        key_of = {
            instant: math.floor(instant.timestamp() / HOUR_SECONDS - 1) * HOUR_SECONDS
            for instant in looked_up
        }
        by_key = _hourly_sums(
            session, list(targets), sorted(set(key_of.values())), group_by=group_by
        )
        found: dict[tuple[datetime, int], float | None] = {
            (instant, metadata_id): by_key[metadata_id, key]
            for instant, key in key_of.items()
            for metadata_id in targets
            if (metadata_id, key) in by_key
        }
        # Near now: the hourly and the 5-minute table, the row ending last wins.
        recent = [instant for instant in ordered if instant >= now - RECENT]
        reads: list[tuple[float, Any, Sequence[int]]] = []
        lengths: list[tuple[datetime, float]] = []
        for instant in recent:
            for table, length in (
                (Statistics, HOUR_SECONDS),
                (StatisticsShortTerm, 300.0),
            ):
                reads.append((instant.timestamp() - length, table, list(targets)))
                lengths.append((instant, length))
        newest: dict[tuple[datetime, int], tuple[float, float]] = {}
        for index, metadata_id, start, total in _seek(
            session, reads, group_by=group_by
        ):
            instant, length = lengths[index]
            key = (instant, metadata_id)
            if total is not None and (
                key not in newest or start + length > newest[key][0]
            ):
                newest[key] = (start + length, total)
        found |= {key: total for key, (_, total) in newest.items()}
        if scanned:
            found |= _scan(session, targets, older[0], scanned, found)
        for (instant, metadata_id), total in found.items():
            statistic_id, convert = targets[metadata_id]
            result[statistic_id][instant] = None if total is None else convert(total)
    return result


def _energy_sums(
    instance: Any, session: Any, statistic_ids: set[str]
) -> dict[int, tuple[str, Any]]:
    """The statistics with an energy sum: metadata id -> (statistic id, to kWh)."""
    metadata = instance.statistics_meta_manager.get_many(
        session, statistic_ids=statistic_ids
    )
    targets: dict[int, tuple[str, Any]] = {}
    for statistic_id, (metadata_id, meta) in metadata.items():
        unit = meta["unit_of_measurement"]
        if not meta["has_sum"] or unit not in EnergyConverter.VALID_UNITS:
            LOGGER.warning(
                "%s has no energy sum in its statistics (unit %s): not billed",
                statistic_id,
                unit,
            )
            continue
        targets[metadata_id] = (
            statistic_id,
            EnergyConverter.converter_factory(unit, KWH),
        )
    return targets


def _scan(
    session: Any,
    targets: dict[int, Any],
    base: datetime,
    instants: Sequence[datetime],
    found: dict[tuple[datetime, int], float | None],
) -> dict[tuple[datetime, int], float | None]:
    """Sums at many sorted ``instants`` after ``base`` from one range of hourly rows.

    The same rule as the lookups: at each instant, the sum of the newest row ending
    at or before it; before any row in the range, the sum at ``base`` (``found``).
    """
    from homeassistant.components.recorder.db_schema import (  # noqa: PLC0415
        Statistics,
    )
    from sqlalchemy import select  # noqa: PLC0415

    low = base.timestamp() - HOUR_SECONDS  # rows ending after base
    high = instants[-1].timestamp() - HOUR_SECONDS  # ... and by the last instant
    statement = (
        select(Statistics.metadata_id, Statistics.start_ts, Statistics.sum)
        .where(
            Statistics.metadata_id.in_(list(targets)),
            Statistics.start_ts > low,
            Statistics.start_ts <= high,
        )
        .order_by(Statistics.metadata_id, Statistics.start_ts)
    )
    rows: dict[int, list[tuple[float, float | None]]] = {}
    for metadata_id, start, total in session.execute(statement):
        rows.setdefault(metadata_id, []).append((start + HOUR_SECONDS, total))
    sums: dict[tuple[datetime, int], float | None] = {}
    for metadata_id in targets:
        current = found.get((base, metadata_id))
        ends = rows.get(metadata_id, [])
        index = 0
        for instant in instants:
            stamp = instant.timestamp()
            while index < len(ends) and ends[index][0] <= stamp:
                current = ends[index][1]
                index += 1
            sums[instant, metadata_id] = current
    return sums


async def async_first_statistics(
    hass: HomeAssistant, statistic_ids: Collection[str]
) -> datetime | None:
    """Where the earliest of these energy statistics starts; None: no row yet.

    The start of the hour of its first row, hourly or 5-minute (a new sensor has
    5-minute rows for up to an hour before its first hourly one).
    """
    from homeassistant.helpers.recorder import get_instance  # noqa: PLC0415

    return await get_instance(hass).async_add_executor_job(
        _first_statistics, hass, set(statistic_ids)
    )


def _first_statistics(hass: HomeAssistant, statistic_ids: set[str]) -> datetime | None:
    from homeassistant.components.recorder.db_schema import (  # noqa: PLC0415
        Statistics,
        StatisticsMeta,
        StatisticsShortTerm,
    )
    from homeassistant.helpers.recorder import (  # noqa: PLC0415
        get_instance,
        session_scope,
    )
    from sqlalchemy import select  # noqa: PLC0415

    instance = get_instance(hass)
    with session_scope(hass=hass, read_only=True) as session:
        targets = _energy_sums(instance, session, statistic_ids)
        if not targets:
            return None
        firsts: list[float] = []
        for table in (Statistics, StatisticsShortTerm):
            # Per statistic the first row by the (metadata_id, start_ts) index.
            first = (
                select(table.start_ts)
                .where(table.metadata_id == StatisticsMeta.id)
                .order_by(table.start_ts)
                .limit(1)
                .scalar_subquery()
                .correlate(StatisticsMeta)
            )
            statement = select(first).where(StatisticsMeta.id.in_(list(targets)))
            firsts.extend(
                stamp for (stamp,) in session.execute(statement) if stamp is not None
            )
    if not firsts:
        return None
    hour = math.floor(min(firsts) / HOUR_SECONDS) * HOUR_SECONDS
    return datetime.fromtimestamp(hour, UTC)


def _group_by(instance: Any) -> bool:
    """Whether backward seeks take the group-by shape: MariaDB / MySQL.

    MariaDB plans the dependent subquery as a scan (a year's bill: 2.3 s); its
    ``MAX(start_ts)`` per ``metadata_id`` is a loose index scan (a seek per
    statistic), the shape Home Assistant's recorder takes on MySQL.
    """
    from homeassistant.components.recorder.const import (  # noqa: PLC0415
        SupportedDialect,
    )

    engine = getattr(instance, "database_engine", None)
    optimizer = getattr(engine, "optimizer", None)
    return getattr(instance, "dialect_name", None) == SupportedDialect.MYSQL or bool(
        getattr(optimizer, "slow_dependent_subquery", False)
    )


def _hourly_sums(
    session: Any, metadata_ids: Sequence[int], keys: Sequence[float], *, group_by: bool
) -> dict[tuple[int, float], float | None]:
    """Each statistic's newest hourly row starting at or before each hour ``key``.

    (metadata_id, key) -> its sum; no entry: no row. Hourly rows start on whole
    hours, so the row starting at ``key`` itself, when there is one, is the
    newest: one ``IN`` read of those rows (the hits), then a backward seek for
    each statistic and key without one (a gap, before the first row).
    """
    found: dict[tuple[int, float], float | None] = {}
    for first in range(0, len(keys), KEYS):
        for metadata_id, start, total in session.execute(
            _hits(metadata_ids, keys[first : first + KEYS])
        ):
            found[metadata_id, start] = total
    from homeassistant.components.recorder.db_schema import (  # noqa: PLC0415
        Statistics,
    )

    misses: dict[float, list[int]] = {}
    for key in keys:
        for metadata_id in metadata_ids:
            if (metadata_id, key) not in found:
                misses.setdefault(key, []).append(metadata_id)
    reads = [(key, Statistics, ids) for key, ids in misses.items()]
    for index, metadata_id, _, total in _seek(session, reads, group_by=group_by):
        found[metadata_id, reads[index][0]] = total
    return found


def _hits(metadata_ids: Sequence[int], keys: Sequence[float]) -> Any:
    """(metadata_id, start_ts, sum) of the hourly rows starting at ``keys``.

    The (metadata_id, start_ts) or the start_ts index, on every database: a
    year's 13 instants of 100 statistics in 6-9 ms, as one statement.
    """
    from homeassistant.components.recorder.db_schema import (  # noqa: PLC0415
        Statistics,
    )
    from sqlalchemy import select  # noqa: PLC0415

    return select(Statistics.metadata_id, Statistics.start_ts, Statistics.sum).where(
        Statistics.metadata_id.in_(list(metadata_ids)),
        Statistics.start_ts.in_(list(keys)),
    )


def _seek(
    session: Any, reads: Sequence[tuple[float, Any, Sequence[int]]], *, group_by: bool
) -> Iterable[tuple[int, int, float, float | None]]:
    """Each statistic's newest row starting at or before each read's bound.

    Reads are (bound, table, metadata ids); rows (read index, metadata_id,
    start_ts, sum), CHUNK reads to a statement, in the dialect's shape.
    """
    shape = _seek_group_by if group_by else _seek_dependent
    for first in range(0, len(reads), CHUNK):
        yield from session.execute(shape(reads[first : first + CHUNK], first))


def _seek_dependent(
    reads: Sequence[tuple[float, Any, Sequence[int]]], offset: int
) -> Any:
    """SQLite, PostgreSQL: a reverse index scan with limit 1 per statistic.

    The recorder's own shape for "the row before" (a dependent subquery joined
    to the metadata), one part per read in a UNION ALL.
    """
    from homeassistant.components.recorder.db_schema import (  # noqa: PLC0415
        StatisticsMeta,
    )
    from sqlalchemy import and_, literal, select, union_all  # noqa: PLC0415

    parts = []
    for index, (bound, table, ids) in enumerate(reads, offset):
        latest = (
            select(table.start_ts)
            .where(table.metadata_id == StatisticsMeta.id, table.start_ts <= bound)
            .order_by(table.start_ts.desc())
            .limit(1)
            .scalar_subquery()
            .correlate(StatisticsMeta)
        )
        parts.append(
            select(
                literal(index).label("read"),
                table.metadata_id,
                table.start_ts,
                table.sum,
            )
            .select_from(StatisticsMeta)
            .join(
                table,
                and_(table.metadata_id == StatisticsMeta.id, table.start_ts == latest),
            )
            .where(StatisticsMeta.id.in_(list(ids)))
        )
    return parts[0] if len(parts) == 1 else union_all(*parts)


def _seek_group_by(
    reads: Sequence[tuple[float, Any, Sequence[int]]], offset: int
) -> Any:
    """MariaDB / MySQL: ``MAX(start_ts)`` per statistic joined back to its row.

    The recorder's shape where dependent subqueries are slow: the group-by is a
    loose index scan of (metadata_id, start_ts), one seek per statistic.
    """
    from sqlalchemy import and_, func, literal, select, union_all  # noqa: PLC0415

    parts = []
    for index, (bound, table, ids) in enumerate(reads, offset):
        newest = (
            select(
                table.metadata_id.label("newest_id"),
                func.max(table.start_ts).label("newest_ts"),
            )
            .where(table.metadata_id.in_(list(ids)), table.start_ts <= bound)
            .group_by(table.metadata_id)
            .subquery()
        )
        parts.append(
            select(
                literal(index).label("read"),
                table.metadata_id,
                table.start_ts,
                table.sum,
            ).join(
                newest,
                and_(
                    table.metadata_id == newest.c.newest_id,
                    table.start_ts == newest.c.newest_ts,
                ),
            )
        )
    return parts[0] if len(parts) == 1 else union_all(*parts)


async def async_band_energy[K](
    hass: HomeAssistant,
    tariff: Tariff,
    statistic_ids: Collection[str],
    spans: Mapping[K, tuple[datetime, Collection[datetime]]],
    tz: tzinfo,
) -> dict[K, dict[datetime, dict[str, float]]]:
    """Energy (kWh) in each TOU band, per span from its start to each of its cuts.

    What ``ledger.band_energy`` makes of the recorder's hourly changes of the
    sensors added up (``async_changes``), to the float's last digits, computed
    in the database (see the module). A band with no energy is left out.
    """
    from homeassistant.helpers.recorder import get_instance  # noqa: PLC0415

    if not tariff.tou_bands or not spans:
        return {}
    return await get_instance(hass).async_add_executor_job(
        _band_energy, hass, tariff, set(statistic_ids), dict(spans), tz
    )


def _runs(
    tariff: Tariff, start: float, end: float, tz: tzinfo
) -> list[tuple[str, float, float]]:
    """(band, first hour, end) of each run of hourly rows in one band.

    Rows start on whole UTC hours; a row in [start, end) counts in the band of
    the local hour it starts in.
    """
    band_of = [tariff.band_for_hour(hour) for hour in range(24)]
    runs: list[tuple[str, float, float]] = []
    current: str | None = None
    stamp = math.ceil(start / HOUR_SECONDS) * HOUR_SECONDS
    while stamp < end:
        band = band_of[datetime.fromtimestamp(stamp, tz).hour]
        name = None if band is None else band.name
        if name is not None and name == current:
            runs[-1] = (name, runs[-1][1], stamp + HOUR_SECONDS)
        elif name is not None:
            runs.append((name, stamp, stamp + HOUR_SECONDS))
        current = name
        stamp += HOUR_SECONDS
    return runs


def _band_energy[K](
    hass: HomeAssistant,
    tariff: Tariff,
    statistic_ids: set[str],
    spans: dict[K, tuple[datetime, Collection[datetime]]],
    tz: tzinfo,
) -> dict[K, dict[datetime, dict[str, float]]]:
    from homeassistant.helpers.recorder import (  # noqa: PLC0415
        get_instance,
        session_scope,
    )

    plans: dict[K, tuple[list[float], list[tuple[str, float, float]]]] = {}
    edges: set[float] = set()
    for key, (start, cuts) in spans.items():
        stamps = sorted({cut.timestamp() for cut in cuts})
        low = start.timestamp()
        runs = _runs(tariff, low, stamps[-1], tz) if stamps else []
        plans[key] = (stamps, runs)
        for _, first, end in runs:
            edges.add(first)
            edges.update(min(end, cut) for cut in stamps if cut > first)
    with session_scope(hass=hass, read_only=True) as session:
        instance = get_instance(hass)
        targets = _energy_sums(instance, session, statistic_ids)
        totals = (
            _household_sums(
                session, targets, sorted(edges), group_by=_group_by(instance)
            )
            if targets
            else {}
        )
    result: dict[K, dict[datetime, dict[str, float]]] = {}
    for key, (stamps, runs) in plans.items():
        per_cut: dict[datetime, dict[str, float]] = {}
        for cut in stamps:
            bands: dict[str, float] = {}
            for name, first, end in runs:
                if first < cut:
                    change = totals.get(min(end, cut), 0.0) - totals.get(first, 0.0)
                    bands[name] = bands.get(name, 0.0) + change
            per_cut[datetime.fromtimestamp(cut, UTC)] = {
                name: value for name, value in bands.items() if value > 0
            }
        result[key] = per_cut
    return result


def _household_sums(
    session: Any,
    targets: dict[int, tuple[str, Any]],
    edges: Sequence[float],
    *,
    group_by: bool,
) -> dict[float, float]:
    """S(t) at each edge: every statistic's newest hourly sum starting before t, in kWh.

    Rows start on whole hours: the newest row starting before t starts at
    ``key`` (the hour before t, rounded up), if there is one. One statement per
    unit adds the rows at the edges' keys up per key in the database (the hits:
    the start_ts index; a year's 730 edges of 100 statistics, 73,000 rows, in
    0.04-0.15 s). An edge short of a row for some statistic (a gap, before a
    statistic's first row) is read statistic by statistic (``_hourly_sums``); a
    statistic with no row before t adds 0.
    """
    from homeassistant.components.recorder.db_schema import (  # noqa: PLC0415
        Statistics,
    )
    from sqlalchemy import func, select  # noqa: PLC0415

    key_of = {edge: math.ceil(edge / HOUR_SECONDS - 1) * HOUR_SECONDS for edge in edges}
    keys = sorted(set(key_of.values()))
    by_unit: dict[float, list[int]] = {}
    for metadata_id, (_, convert) in targets.items():
        by_unit.setdefault(float(convert(1.0)), []).append(metadata_id)
    per_key: dict[float, float] = dict.fromkeys(keys, 0.0)
    for factor, ids in by_unit.items():
        complete: set[float] = set()
        for first in range(0, len(keys), KEYS):
            statement = (
                select(Statistics.start_ts, func.sum(Statistics.sum), func.count())
                .where(
                    Statistics.metadata_id.in_(ids),
                    Statistics.start_ts.in_(keys[first : first + KEYS]),
                )
                .group_by(Statistics.start_ts)
            )
            for key, total, count in session.execute(statement):
                if count == len(ids):
                    complete.add(key)
                    per_key[key] += 0.0 if total is None else float(total) * factor
        missing = [key for key in keys if key not in complete]
        if missing:
            found = _hourly_sums(session, ids, missing, group_by=group_by)
            for (_, key), total in found.items():
                if total is not None:
                    per_key[key] += float(total) * factor
    return {edge: per_key[key_of[edge]] for edge in edges}


async def async_changes(
    hass: HomeAssistant,
    statistic_ids: Collection[str],
    start: datetime,
    end: datetime,
    period: Period,
) -> dict[str, list[tuple[float, float, float]]]:
    """The recorder's ``change`` (kWh) per period: (start, end, change) rows."""
    from homeassistant.helpers.recorder import get_instance  # noqa: PLC0415

    return await get_instance(hass).async_add_executor_job(
        _changes, hass, set(statistic_ids), start, end, period
    )


def _changes(
    hass: HomeAssistant,
    statistic_ids: set[str],
    start: datetime,
    end: datetime,
    period: Period,
) -> dict[str, list[tuple[float, float, float]]]:
    from homeassistant.components.recorder.statistics import (  # noqa: PLC0415
        statistics_during_period,
    )

    stats = statistics_during_period(
        hass, start, end, statistic_ids, period, dict(UNITS), {"change"}
    )
    return {
        statistic_id: [
            (float(row["start"]), float(row["end"]), float(change))
            for row in rows
            if (change := row.get("change")) is not None
        ]
        for statistic_id, rows in stats.items()
    }
