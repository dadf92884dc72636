"""A meter's backlog into the hours it was used: the recorder side of ``core/backlog.py``.

A ``…/backlog`` message's readings join every other reading of the same outage
(the outage is named by the recorder's last row before it, 5-minute rows first);
all the outage's hours are written again from all of them with
``async_import_statistics`` (source ``recorder``, the energy sensor's own
statistic id), so order, repetition and chunking do not matter.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from homeassistant.const import UnitOfEnergy
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util

from ...const import DOMAIN, LOGGER
from ...core.backlog import BacklogLedger


async def async_import_backlog(
    hass: HomeAssistant,
    *,
    base: str,
    unique_id: str,
    ledger: BacklogLedger,
    allowance_kwh: Callable[[float], float],
    max_power_w: float,
    points: list[tuple[float, float]],
    now: float,
    saved: Callable[[], None],
) -> None:
    """Write the backlog's hours into the energy sensor's long-term statistics.

    The readings join every other reading of the same outage (the outage is
    known by the recorder's last row before it); all its hours are written
    again from all of them, so order, repetition and chunking do not matter
    (core/backlog.py).
    """
    if "recorder" not in hass.config.components:
        LOGGER.warning("%s: backlog of %d readings: no recorder", base, len(points))
        return
    entity_id = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{unique_id}_energy"
    )
    if entity_id is None:  # pragma: no cover - the energy sensor always exists
        return
    # Imported lazily: the recorder is optional for this integration.
    from homeassistant.components.recorder.db_schema import (  # noqa: PLC0415
        StatisticsShortTerm,
    )
    from homeassistant.components.recorder.models import (  # noqa: PLC0415
        StatisticData,
        StatisticMeanType,
        StatisticMetaData,
    )
    from homeassistant.components.recorder.statistics import (  # noqa: PLC0415
        async_import_statistics,
    )
    from homeassistant.helpers.recorder import get_instance  # noqa: PLC0415

    recorder = get_instance(hass)
    found = await recorder.async_add_executor_job(
        _baseline, hass, entity_id, min(p[0] for p in points)
    )
    if found is None:  # the meter's first statistics: they start at 0
        episode = ledger.episode("first", None)
    else:
        row_start, row_end, state, total = found
        episode = ledger.episode(f"{row_start:.0f}", (row_end, state, total))
    refused = episode.add(points, allowance_kwh)
    if refused:
        LOGGER.warning(
            "%s: backlog: %d readings refused, more energy than %g W could "
            "deliver (the first at %s: %g kWh)",
            base,
            len(refused),
            max_power_w,
            dt_util.utc_from_timestamp(refused[0][0]).isoformat(),
            refused[0][1],
        )
    ledger.prune(now)
    saved()
    if (gap := episode.gap()) is not None and not episode.gap_logged:
        episode.gap_logged = True
        LOGGER.warning(
            "%s: no readings from %s to %s (the meter's buffer dropped them): "
            "their %.3f kWh are spread evenly over those hours",
            base,
            dt_util.utc_from_timestamp(gap[0]).isoformat(),
            dt_util.utc_from_timestamp(gap[1]).isoformat(),
            gap[2],
        )
    rows = episode.rows(now)
    if not rows:
        return
    metadata = StatisticMetaData(
        mean_type=StatisticMeanType.NONE,
        has_sum=True,
        name=None,
        source="recorder",
        statistic_id=entity_id,
        unit_class="energy",
        unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
    )
    async_import_statistics(
        hass,
        metadata,
        [
            StatisticData(
                start=dt_util.utc_from_timestamp(row.start),
                state=row.state,
                sum=row.sum,
            )
            for row in rows
        ],
    )
    if episode.first is not None:
        # The recorder continues its sum from the latest 5-minute row; with
        # none it would start again at 0 after these hours. One row just
        # before the last buffered reading's period carries the sum on.
        last_time, last_state = episode.last_point()
        start = last_time - last_time % 300 - 300
        recorder.async_import_statistics(
            metadata,
            [
                StatisticData(
                    start=dt_util.utc_from_timestamp(start),
                    state=last_state,
                    sum=last_state - episode.first[1],
                )
            ],
            StatisticsShortTerm,
        )
    LOGGER.info(
        "%s: backlog of %d readings: %d hours of statistics written",
        base,
        len(points),
        len(rows),
    )


def _baseline(
    hass: HomeAssistant, entity_id: str, first: float
) -> tuple[float, float, float, float] | None:
    """The recorder's last row that ended by ``first``: (start, end, state, sum).

    The 5-minute rows are preferred: the recorder continues from the last of them
    after the outage, so the imported hours continue from it too.
    """
    from homeassistant.components.recorder.statistics import (  # noqa: PLC0415
        statistics_during_period,
    )

    end = dt_util.utc_from_timestamp(first)
    short = statistics_during_period(
        hass,
        end - timedelta(days=10),
        end,
        {entity_id},
        "5minute",
        None,
        {"state", "sum"},
    )
    hourly = statistics_during_period(
        hass,
        end - timedelta(days=365),
        end,
        {entity_id},
        "hour",
        None,
        {"state", "sum"},
    )
    for rows, length in ((short, 300), (hourly, 3600)):
        done = [r for r in rows.get(entity_id, []) if r["start"] + length <= first]
        if done and (state := done[-1].get("state")) is not None:
            start = float(done[-1]["start"])
            return start, start + length, float(state), float(done[-1].get("sum") or 0)
    return None
