"""energy_report and calculate_bill agree over the same periods, in any zone.

Issue 14: the report read the recorder's hourly changes (0 kWh, no buckets,
where the bill already counted 0.285 kWh of 5-minute rows) and started its days
at 00:00 in India where bills start them at 00:30. Both now take the sums of
``async_sums_at`` at the same statistics boundaries: every bucket of a report is
the bill of that bucket, to the Wh, start and end included.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
import random
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.components.recorder.db_schema import StatisticsShortTerm
from homeassistant.components.recorder.models import (
    StatisticData,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.intelergy.core.tariff import Slab, Tariff
from tests.recorder import auto_enable_custom_integrations  # noqa: F401

from .common import (
    HOUR,
    billing_entry,
    call,
    energy_metadata,
    energy_sensor,
    import_rows,
    setup_integration,
)

pytestmark = pytest.mark.databases  # SQLite, PostgreSQL, MariaDB (tests/databases.py)

FLAT = Tariff("EUR", slabs=(Slab(None, Decimal("0.25")),))
SENSORS = ("sensor.kitchen_energy", "sensor.garage_energy")


async def household(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, zone: str, now: datetime
) -> None:
    """Two meters with hourly rows for 40 days before ``now``, 5-minute rows after.

    The usage is in whole Wh (as the ledger prices energy), a different amount
    every hour, some hours nothing.
    """
    await hass.config.async_set_time_zone(zone)
    freezer.move_to(now)
    last_hour = now.replace(minute=0, second=0, microsecond=0)
    first = last_hour - timedelta(days=40)
    rng = random.Random(zone)  # noqa: S311
    for entity_id in SENSORS:
        energy_sensor(hass, entity_id)
        rows, total, when = [], 0.0, first
        while when < last_hour:
            total = round(total + rng.choice([0.0, rng.randint(1, 2000) / 1000]), 3)
            rows.append((when, 1000.0 + total, total))
            when += HOUR
        await import_rows(hass, entity_id, rows)
        # The hour in progress: 5-minute rows only, as before its compile.
        five = [
            StatisticData(
                start=last_hour + timedelta(minutes=m),
                state=1000.0 + total + 0.095 * (m // 5 + 1),
                sum=round(total + 0.095 * (m // 5 + 1), 3),
            )
            for m in range(0, (now.minute // 5) * 5 - 4, 5)
        ]
        get_instance(hass).async_import_statistics(
            energy_metadata(entity_id), five, StatisticsShortTerm
        )
        await async_wait_recording_done(hass)
    await setup_integration(hass, billing_entry(hass, list(SENSORS), FLAT))


async def agree(hass: HomeAssistant, **period: Any) -> dict[str, Any]:
    """The report of ``period``; each bucket and the whole checked against bills."""
    report = await call(hass, "energy_report", **period)
    assert report["buckets"]
    for bucket in report["buckets"]:
        bill = await call(
            hass, "calculate_bill", start=bucket["start"], end=bucket["end"]
        )
        assert (bill["start"], bill["end"]) == (bucket["start"], bucket["end"])
        assert bill["energy_kwh"] == bucket["kwh"], bucket
        index = report["buckets"].index(bucket)
        assert {s["entity_id"]: s["kwh"] for s in bill["sensors"]} == {
            s["entity_id"]: s["buckets"][index] for s in report["sensors"]
        }
    whole = await call(hass, "calculate_bill", start=report["start"], end=report["end"])
    assert (whole["start"], whole["end"]) == (report["start"], report["end"])
    assert whole["energy_kwh"] == report["total_kwh"]
    assert report["total_kwh"] == pytest.approx(
        sum(b["kwh"] for b in report["buckets"]), abs=0.0005
    )
    return report


async def test_india_half_hour_zone(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """UTC+5:30: days, weeks, months and cycles start at 00:30."""
    now = datetime(2026, 10, 2, 6, 42, tzinfo=UTC)  # 12:12 IST
    await household(hass, freezer, "Asia/Kolkata", now)
    days = await agree(hass, period="2026-09", group_by="day")
    assert len(days["buckets"]) == 30
    assert days["buckets"][0]["start"] == "2026-09-01T00:30:00+05:30"
    assert days["buckets"][-1]["end"] == "2026-10-01T00:30:00+05:30"
    hours = await agree(
        hass, start="2026-10-01 00:00:00", end="2026-10-02 00:00:00", group_by="hour"
    )
    assert len(hours["buckets"]) == 24
    assert hours["buckets"][0]["start"] == "2026-10-01T00:30:00+05:30"
    weeks = await agree(hass, start="2026-09-10 00:00:00", group_by="week")
    # Thursday 10 September to the Monday after, then Mondays, to now.
    assert [b["start"][:10] for b in weeks["buckets"]] == [
        "2026-09-10",
        "2026-09-14",
        "2026-09-21",
        "2026-09-28",
    ]
    assert weeks["buckets"][-1]["end"] == "2026-10-02T12:12:00+05:30"
    months = await agree(hass, start="2026-08-30 00:00:00", group_by="month")
    assert [b["start"] for b in months["buckets"]] == [
        "2026-08-30T00:30:00+05:30",
        "2026-09-01T00:30:00+05:30",
        "2026-10-01T00:30:00+05:30",
    ]
    # The current cycle so far, to now: the hour in progress from 5-minute rows.
    current = await agree(hass, group_by="day")
    assert current["buckets"][-1]["kwh"] > 0
    assert current["end"] == "2026-10-02T12:12:00+05:30"


async def test_berlin_clocks_go_back(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """25 October 2026: 03:00 CEST becomes 02:00 CET; the day has 25 hours."""
    now = datetime(2026, 10, 27, 10, 33, tzinfo=UTC)
    await household(hass, freezer, "Europe/Berlin", now)
    hours = await agree(
        hass, start="2026-10-25 00:00:00", end="2026-10-26 00:00:00", group_by="hour"
    )
    assert len(hours["buckets"]) == 25
    days = await agree(
        hass, start="2026-10-23 00:00:00", end="2026-10-27 00:00:00", group_by="day"
    )
    assert [b["start"] for b in days["buckets"]] == [
        "2026-10-23T00:00:00+02:00",
        "2026-10-24T00:00:00+02:00",
        "2026-10-25T00:00:00+02:00",
        "2026-10-26T00:00:00+01:00",
    ]
    await agree(hass, start="2026-09-28 00:00:00", group_by="week")


async def test_lord_howe_half_hour_dst(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Lord Howe Island: UTC+10:30, and +11 from 4 October 2026 02:00 (to 02:30).

    Midnight is on the half hour before the change (days start at 00:30) and on
    the hour after it (00:00).
    """
    now = datetime(2026, 10, 6, 1, 7, tzinfo=UTC)
    await household(hass, freezer, "Australia/Lord_Howe", now)
    days = await agree(
        hass, start="2026-10-02 00:00:00", end="2026-10-06 00:00:00", group_by="day"
    )
    assert [b["start"] for b in days["buckets"]] == [
        "2026-10-02T00:30:00+10:30",
        "2026-10-03T00:30:00+10:30",
        "2026-10-04T00:30:00+10:30",
        "2026-10-05T00:00:00+11:00",
    ]
    hours = await agree(
        hass, start="2026-10-04 00:00:00", end="2026-10-05 00:00:00", group_by="hour"
    )
    assert len(hours["buckets"]) == 23  # 00:30 to 00:00 the next day, 23.5 h
    await agree(hass, period="2026-09", group_by="week")
