"""Reading the recorder: sums at instants agree with the recorder's own change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import itertools
import random
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.components.recorder.models import (
    StatisticData,
    StatisticMeanType,
    StatisticMetaData,
)
from homeassistant.components.recorder.statistics import async_import_statistics
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.intelergy.analytics.billing import statistics
from custom_components.intelergy.core.ledger import energy_between
from tests.recorder import auto_enable_custom_integrations  # noqa: F401

from .common import HOUR, energy_metadata, import_rows, usage_rows

pytestmark = pytest.mark.databases  # SQLite, PostgreSQL, MariaDB (tests/databases.py)

START = datetime(2026, 9, 1, tzinfo=UTC)
NOW = datetime(2026, 9, 8, 0, 20, tzinfo=UTC)


@pytest.mark.parametrize("slow", [False, True])
async def test_sums_agree_with_the_recorders_change(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    slow: bool,
) -> None:
    """Any window: sum(end) - sum(start) == the recorder's hourly changes added."""
    freezer.move_to(NOW)
    rng = random.Random(7)  # noqa: S311
    usage = [
        round(rng.uniform(0, 2), 3) if rng.random() > 0.1 else 0 for _ in range(168)
    ]
    # A gap of 5 hours (no rows) and a meter reset on the third day.
    rows = usage_rows(START, usage, resets=[50])
    rows = rows[:30] + rows[35:]
    await import_rows(hass, "sensor.a", rows)
    await import_rows(hass, "sensor.b", usage_rows(START + 24 * HOUR, [0.5] * 100))
    await import_rows(hass, "sensor.wh", usage_rows(START, [250.0] * 168), unit="Wh")
    cuts = [START + timedelta(hours=h) for h in (0, 7, 24, 31, 33, 60, 167, 300)]
    with patch.object(statistics, "_group_by", return_value=slow):
        sums = await statistics.async_sums_at(
            hass, ["sensor.a", "sensor.b", "sensor.wh", "sensor.none"], cuts, NOW
        )
    changes = await statistics.async_changes(
        hass, ["sensor.a", "sensor.b"], START - HOUR, NOW, "hour"
    )
    for entity_id in ("sensor.a", "sensor.b"):
        for first, last in itertools.pairwise(cuts):
            expected = sum(
                change
                for start, _, change in changes[entity_id]
                if first.timestamp() <= start < last.timestamp()
            )
            got = energy_between(sums[entity_id][first], sums[entity_id][last])
            assert got == pytest.approx(max(0.0, expected)), (entity_id, first, last)
    assert sums["sensor.b"][START] is None  # before its first row
    assert sums["sensor.none"] == dict.fromkeys(cuts)
    # Wh statistics come back in kWh.
    assert energy_between(sums["sensor.wh"][cuts[0]], sums["sensor.wh"][cuts[2]]) == 6.0


async def test_many_instants_read_in_one_scan_agree_with_lookups(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """An hourly report's instants: one range of hourly rows, the same sums.

    A gap, a reset, a sensor that starts later, Wh statistics; the
    instants near now still read the 5-minute rows.
    """
    freezer.move_to(NOW)
    rng = random.Random(11)  # noqa: S311
    usage = [round(rng.uniform(0, 2), 3) for _ in range(160)]
    rows = usage_rows(START, usage, resets=[40])
    await import_rows(hass, "sensor.a", rows[:20] + rows[26:])
    await import_rows(hass, "sensor.b", usage_rows(START + 50 * HOUR, [0.5] * 100))
    await import_rows(hass, "sensor.wh", usage_rows(START, [250.0] * 160), unit="Wh")
    ids = ["sensor.a", "sensor.b", "sensor.wh", "sensor.none"]
    hours = [START + timedelta(hours=h) for h in range(-3, 200)]
    instants = [*hours, NOW]
    assert len(instants) > statistics.DENSE
    with patch.object(statistics, "_scan", wraps=statistics._scan) as scan:
        dense = await statistics.async_sums_at(hass, ids, instants, NOW)
    assert scan.call_count == 1
    looked_up: dict[str, dict[datetime, float | None]] = {e: {} for e in ids}
    for first in range(0, len(instants), 10):
        part = await statistics.async_sums_at(
            hass, ids, instants[first : first + 10], NOW
        )
        for entity_id, found in part.items():
            looked_up[entity_id] |= found
    assert dense == looked_up
    assert dense["sensor.b"][START + 50 * HOUR] is None  # before its first row
    assert dense["sensor.a"][START + 23 * HOUR] == dense["sensor.a"][START + 20 * HOUR]


async def test_where_the_statistics_start(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """The earliest first row of the sensors, hourly or 5-minute, to the hour."""
    freezer.move_to(NOW)
    await import_rows(hass, "sensor.a", usage_rows(START + 30 * HOUR, [1.0] * 5))
    await import_rows(hass, "sensor.b", usage_rows(START + 50 * HOUR, [1.0] * 5))
    assert await statistics.async_first_statistics(hass, ["sensor.b"]) == (
        START + 50 * HOUR
    )
    assert await statistics.async_first_statistics(
        hass, ["sensor.a", "sensor.b", "sensor.none"]
    ) == (START + 30 * HOUR)
    assert await statistics.async_first_statistics(hass, ["sensor.none"]) is None
    # A sensor new this hour has 5-minute rows only: its hour.
    metadata = energy_metadata("sensor.new")
    from homeassistant.components.recorder.db_schema import (  # noqa: PLC0415
        StatisticsShortTerm,
    )
    from homeassistant.helpers.recorder import get_instance  # noqa: PLC0415

    get_instance(hass).async_import_statistics(
        metadata,
        [StatisticData(start=NOW.replace(minute=5), state=1.0, sum=0.1)],
        StatisticsShortTerm,
    )
    await async_wait_recording_done(hass)
    assert await statistics.async_first_statistics(hass, ["sensor.new"]) == (
        NOW.replace(minute=0)
    )


async def test_statistics_without_an_energy_sum_are_not_billed(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    freezer.move_to(NOW)
    metadata = StatisticMetaData(
        mean_type=StatisticMeanType.ARITHMETIC,
        has_sum=False,
        name=None,
        source="recorder",
        statistic_id="sensor.power",
        unit_class="power",
        unit_of_measurement="W",
    )
    async_import_statistics(
        hass, metadata, [StatisticData(start=START, mean=100.0, min=90.0, max=110.0)]
    )
    await async_wait_recording_done(hass)
    sums = await statistics.async_sums_at(hass, ["sensor.power"], [NOW], NOW)
    assert sums == {"sensor.power": {NOW: None}}
    assert "sensor.power has no energy sum" in caplog.text


async def test_recent_sums_come_from_five_minute_rows(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """After the last compiled hour, the 5-minute rows carry the sum on."""
    freezer.move_to(NOW)
    last_hour = NOW.replace(minute=0) - HOUR
    await import_rows(hass, "sensor.a", usage_rows(last_hour - 3 * HOUR, [1.0] * 4))
    metadata = energy_metadata("sensor.a")
    from homeassistant.components.recorder.db_schema import (  # noqa: PLC0415
        StatisticsShortTerm,
    )
    from homeassistant.helpers.recorder import get_instance  # noqa: PLC0415

    get_instance(hass).async_import_statistics(
        metadata,
        [
            StatisticData(start=NOW.replace(minute=5), state=1005.5, sum=5.5),
            StatisticData(start=NOW.replace(minute=10), state=1006.0, sum=6.0),
        ],
        StatisticsShortTerm,
    )
    await async_wait_recording_done(hass)
    sums = await statistics.async_sums_at(
        hass, ["sensor.a"], [NOW.replace(minute=0), NOW.replace(minute=15), NOW], NOW
    )
    assert sums["sensor.a"] == {
        NOW.replace(minute=0): 4.0,
        NOW.replace(minute=15): 6.0,
        NOW: 6.0,
    }
