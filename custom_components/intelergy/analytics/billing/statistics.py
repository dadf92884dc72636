"""Reading the recorder's long-term statistics for billing.

Every read runs in the recorder's executor. The reads:

* **sums at instants** (``async_sums_at``): each sensor's cumulative ``sum`` at
  instants; a period's energy is the difference (see ``ledger``). This is the one
  source of every energy figure: bills, the billing sensors, projections and the
  energy report. The sum at an instant is the sum of the newest row ending at or
  before it (as the recorder finds the sum before a period for its own
  ``change``). A few instants: one indexed lookup per sensor and instant, whatever
  the period's length (a month or a year of 100 sensors is a few milliseconds).
  Many (an hourly report): the hourly rows between them are read once instead,
  the same rule applied to them in order. Near "now", the 5-minute rows carry the
  sum past the last compiled hour.
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
added up, per unit) at the runs' edges and the cuts, one backward index seek
per sensor and edge, an edges list of literal rows joined to the
metadata, 400 edges to a statement. A year with a night band is ~750 edges
(75,000 index lookups, ~0.1 s on SQLite) instead of 876,000 rows to Python.

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
        skipped = set(scanned)
        # One statement for every instant (and table): (index, id, start, sum).
        reads: list[tuple[datetime, Any, float]] = []
        for instant in ordered:
            if instant in skipped:
                continue
            reads.append((instant, Statistics, HOUR_SECONDS))
            if instant >= now - RECENT:
                reads.append((instant, StatisticsShortTerm, 300.0))
        # Per instant and statistic, the read whose row ends last wins (an
        # instant near now is read in the hourly and the 5-minute table).
        newest: dict[tuple[datetime, int], tuple[float, float]] = {}
        slow = _slow_subquery(instance)
        for first in range(0, len(reads), CHUNK):
            statement = _newest_rows(
                reads[first : first + CHUNK], targets, first, slow=slow
            )
            for index, metadata_id, start, total in session.execute(statement):
                instant, _, length = reads[index]
                key = (instant, metadata_id)
                if total is not None and (
                    key not in newest or start + length > newest[key][0]
                ):
                    newest[key] = (start + length, total)
        found: dict[tuple[datetime, int], float | None] = {
            key: total for key, (_, total) in newest.items()
        }
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


def _slow_subquery(instance: Any) -> bool:
    engine = getattr(instance, "database_engine", None)
    optimizer = getattr(engine, "optimizer", None)
    return bool(getattr(optimizer, "slow_dependent_subquery", False))


def _newest_rows(
    reads: Sequence[tuple[datetime, Any, float]],
    metadata_ids: Iterable[int],
    offset: int,
    *,
    slow: bool,
) -> Any:
    """Each statistic's newest row ending at or before each read's instant.

    Rows of (read index, metadata_id, start_ts, sum), one UNION ALL. Each part has the recorder's own shape for "the row before": a reverse index
    scan with limit 1 per statistic, or a group-by where dependent subqueries are
    slow (older MySQL / MariaDB).
    """
    from homeassistant.components.recorder.db_schema import (  # noqa: PLC0415
        StatisticsMeta,
    )
    from sqlalchemy import and_, func, literal, select, union_all  # noqa: PLC0415

    ids = list(metadata_ids)
    parts = []
    for index, (instant, table, length) in enumerate(reads, offset):
        bound = instant.timestamp() - length  # rows ending at or before
        columns = (
            literal(index).label("read"),
            table.metadata_id,
            table.start_ts,
            table.sum,
        )
        if slow:
            newest = (
                select(
                    table.metadata_id.label("newest_id"),
                    func.max(table.start_ts).label("newest_ts"),
                )
                .where(table.metadata_id.in_(ids), table.start_ts <= bound)
                .group_by(table.metadata_id)
                .subquery()
            )
            parts.append(
                select(*columns).join(
                    newest,
                    and_(
                        table.metadata_id == newest.c.newest_id,
                        table.start_ts == newest.c.newest_ts,
                    ),
                )
            )
            continue
        latest = (
            select(table.start_ts)
            .where(table.metadata_id == StatisticsMeta.id, table.start_ts <= bound)
            .order_by(table.start_ts.desc())
            .limit(1)
            .scalar_subquery()
            .correlate(StatisticsMeta)
        )
        parts.append(
            select(*columns)
            .select_from(StatisticsMeta)
            .join(
                table,
                and_(table.metadata_id == StatisticsMeta.id, table.start_ts == latest),
            )
            .where(StatisticsMeta.id.in_(ids))
        )
    return parts[0] if len(parts) == 1 else union_all(*parts)


# Edges per statement (SQLite allows 500 parts in a compound SELECT).
EDGES: Final = 400


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
        targets = _energy_sums(get_instance(hass), session, statistic_ids)
        totals = _household_sums(session, targets, sorted(edges)) if targets else {}
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
    session: Any, targets: dict[int, tuple[str, Any]], edges: Sequence[float]
) -> dict[float, float]:
    """S(t) at each edge: every statistic's newest hourly sum starting before t, in kWh.

    Added up in the database per unit (a statistic with no row before t adds 0).
    """
    from homeassistant.components.recorder.db_schema import (  # noqa: PLC0415
        Statistics,
        StatisticsMeta,
    )
    from sqlalchemy import (  # noqa: PLC0415
        Float,
        Integer,
        func,
        literal,
        select,
        union_all,
    )
    from sqlalchemy.orm import aliased  # noqa: PLC0415

    by_unit: dict[float, list[int]] = {}
    for metadata_id, (_, convert) in targets.items():
        by_unit.setdefault(float(convert(1.0)), []).append(metadata_id)
    totals = dict.fromkeys(edges, 0.0)
    before = aliased(Statistics)
    for first in range(0, len(edges), EDGES):
        chunk = edges[first : first + EDGES]
        rows = [
            select(
                literal(index, Integer).label("edge"), literal(stamp, Float).label("ts")
            )
            for index, stamp in enumerate(chunk)
        ]
        edge = (rows[0] if len(rows) == 1 else union_all(*rows)).subquery("edge")
        for factor, ids in by_unit.items():
            # Per edge and statistic one backward index seek (a scalar subquery:
            # no LATERAL on SQLite / MariaDB; a join on MAX(start_ts) is planned
            # as a scan per edge by PostgreSQL).
            newest = (
                select(before.sum)
                .where(before.metadata_id == StatisticsMeta.id)
                .where(before.start_ts < edge.c.ts)
                .order_by(before.start_ts.desc())
                .limit(1)
                .scalar_subquery()
            )
            statement = (
                select(edge.c.edge, func.sum(newest))
                .select_from(edge)
                .join(StatisticsMeta, StatisticsMeta.id.in_(ids))
                .group_by(edge.c.edge)
            )
            for index, total in session.execute(statement):
                if total is not None:
                    totals[chunk[index]] += float(total) * factor
    return totals


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
