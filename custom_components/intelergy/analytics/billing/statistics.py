"""Reading the recorder's long-term statistics for billing.

Every read runs in the recorder's executor. Two kinds of reads:

* **sums at instants** (``async_sums_at``): each sensor's cumulative ``sum`` at a
  few instants; a period's energy is the difference (see ``ledger``). One
  indexed lookup per sensor and instant (the newest row at or before it, as
  the recorder finds the sum before a period for its own ``change``), whatever
  the period's length: a month or a year of 100 sensors is a few milliseconds.
  Near "now", the 5-minute rows carry the sum past the last compiled hour.
* **changes per period** (``async_changes``): the recorder's own hourly, daily,
  weekly or monthly ``change`` (``statistics_during_period``; it does the
  aggregation), for time-of-use bands and the energy report.

Units: every figure is in kWh, whatever unit a sensor's statistics are in.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, Final, Literal

from homeassistant.const import UnitOfEnergy
from homeassistant.core import HomeAssistant
from homeassistant.util.unit_conversion import EnergyConverter

from ...const import LOGGER

KWH: Final = UnitOfEnergy.KILO_WATT_HOUR
UNITS: Final = {"energy": KWH}
# Short-term rows only matter for instants after the last compiled hour.
RECENT: Final = timedelta(hours=2)
# Reads per statement (SQLite allows 500 parts in a compound SELECT).
CHUNK: Final = 100

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
        if not targets:
            return result
        # One statement for every instant (and table): (index, id, start, sum).
        reads: list[tuple[datetime, Any, float]] = []
        for instant in instants:
            reads.append((instant, Statistics, 3600.0))
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
        for (instant, metadata_id), (_, total) in newest.items():
            statistic_id, convert = targets[metadata_id]
            result[statistic_id][instant] = convert(total)
    return result


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


async def async_balance_history(
    hass: HomeAssistant, entity_id: str, start: datetime, end: datetime
) -> list[tuple[datetime, float]]:
    """A balance sensor's hourly states (end of each hour) from its statistics."""
    from homeassistant.helpers.recorder import get_instance  # noqa: PLC0415

    return await get_instance(hass).async_add_executor_job(
        _balance_history, hass, entity_id, start, end
    )


def _balance_history(
    hass: HomeAssistant, entity_id: str, start: datetime, end: datetime
) -> list[tuple[datetime, float]]:
    from homeassistant.components.recorder.statistics import (  # noqa: PLC0415
        statistics_during_period,
    )
    from homeassistant.util import dt as dt_util  # noqa: PLC0415

    stats = statistics_during_period(
        hass, start, end, {entity_id}, "hour", None, {"state"}
    )
    return [
        (dt_util.utc_from_timestamp(float(row["end"])), float(state))
        for row in stats.get(entity_id, [])
        if (state := row.get("state")) is not None
    ]
