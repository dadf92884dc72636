"""Time-of-use energy from the database agrees with the hourly changes in Python.

``statistics.async_band_energy`` (sums at the band runs' edges, added up in the
database) against what the billing read before: the recorder's hourly
``change`` of every sensor (``async_changes``), added up per hour and shared
out by ``ledger.band_energy``. Random bands, spans and cuts, in zones with a DST
change inside the data (Berlin springs forward, Lord Howe and Adelaide fall
back, Lord Howe by half an hour) and a half-hour zone; on every database.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
import random
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
import pytest

from custom_components.intelergy.analytics.billing import statistics
from custom_components.intelergy.core.ledger import band_energy, bill_at
from custom_components.intelergy.core.tariff import Slab, Tariff, TouBand
from tests.recorder import auto_enable_custom_integrations  # noqa: F401

from .common import HOUR, import_rows, usage_rows

pytestmark = pytest.mark.databases  # SQLite, PostgreSQL, MariaDB (tests/databases.py)

START = datetime(2026, 3, 26, tzinfo=UTC)
HOURS = 12 * 24  # to 7 April: Berlin 29 March, Lord Howe and Adelaide 5 April
NOW = START + timedelta(hours=HOURS + 30, minutes=17)
ZONES = ("Europe/Berlin", "Australia/Lord_Howe", "Australia/Adelaide", "Asia/Kolkata")
IDS = ("sensor.a", "sensor.b", "sensor.wh", "sensor.none")


def random_tariff(rng: random.Random) -> Tariff:
    """One to three bands on random hours, some hours in none, one may wrap."""
    edges = sorted(rng.sample(range(24), rng.randint(2, 4)))
    spans = list(zip(edges, [*edges[1:], edges[0]], strict=True))
    rng.shuffle(spans)
    bands = tuple(
        TouBand(f"band{index}", start, end, Decimal(index + 1))
        for index, (start, end) in enumerate(spans[: rng.randint(1, len(spans))])
    )
    return Tariff("EUR", slabs=(Slab(None, Decimal("0.25")),), tou_bands=bands)


def random_spans(rng: random.Random) -> dict[int, tuple[datetime, set[datetime]]]:
    """Spans from a random hour (before the data, too) to one to three cuts."""
    spans = {}
    for key in range(rng.randint(1, 3)):
        start = START + HOUR * rng.randint(-5, HOURS - 24)
        cuts = {start + HOUR * rng.randint(1, HOURS) for _ in range(rng.randint(1, 3))}
        if rng.random() < 0.3:
            cuts.add(NOW)  # a cycle so far ends at now, between hours
        spans[key] = (start, cuts)
    return spans


async def test_database_bands_agree_with_hourly_changes(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    db: str,
) -> None:
    """Gaps, a reset, a net meter's dip, a later sensor, Wh: the same bands and bills."""
    dialect = {"sqlite": "sqlite", "postgresql": "postgresql", "mariadb": "mysql"}
    assert get_instance(hass).engine.dialect.name == dialect[db]
    freezer.move_to(NOW)
    rng = random.Random(16)  # noqa: S311
    usage = [rng.uniform(-0.3, 2) if rng.random() < 0.05 else rng.uniform(0, 2)]
    usage += [rng.uniform(0, 2) for _ in range(HOURS - 1)]
    rows = usage_rows(START, usage, resets=[100])
    await import_rows(hass, "sensor.a", rows[:40] + rows[47:])  # a 7-hour gap
    later = [rng.uniform(0, 1) for _ in range(HOURS - 60)]
    await import_rows(hass, "sensor.b", usage_rows(START + 60 * HOUR, later))
    watts = [rng.uniform(0, 900) for _ in range(HOURS)]
    await import_rows(hass, "sensor.wh", usage_rows(START, watts), unit="Wh")
    cases = 0
    for zone in ZONES:
        tz = ZoneInfo(zone)
        for _ in range(6):
            tariff = random_tariff(rng)
            spans = random_spans(rng)
            got = await statistics.async_band_energy(hass, tariff, IDS, spans, tz)
            first = min(start for start, _ in spans.values())
            last = max(max(cuts) for _, cuts in spans.values())
            changes = await statistics.async_changes(hass, IDS, first, last, "hour")
            per_hour: dict[float, float] = {}
            for found in changes.values():
                for stamp, _, change in found:
                    per_hour[stamp] = per_hour.get(stamp, 0.0) + change
            hourly = sorted(per_hour.items())
            for key, (start, cuts) in spans.items():
                expected = band_energy(tariff, hourly, tz, start, cuts)
                assert set(got[key]) == set(expected)
                for cut, bands in expected.items():
                    positive = {name: v for name, v in bands.items() if v > 0}
                    assert got[key][cut] == pytest.approx(positive, abs=1e-9)
                    # The bill of those bands, to the cent, is the same.
                    total = sum(positive.values()) + 1.0
                    assert bill_at(tariff, total, got[key][cut]) == bill_at(
                        tariff, total, bands
                    ), (zone, tariff, start, cut)
                cases += len(cuts)
    assert cases > 40
    tz = ZoneInfo("Europe/Berlin")
    tariff = random_tariff(rng)
    assert await statistics.async_band_energy(hass, tariff, IDS, {}, tz) == {}
    none = await statistics.async_band_energy(
        hass, tariff, ["sensor.none"], {0: (START, {NOW})}, tz
    )
    assert none == {0: {NOW: {}}}


async def test_spring_forward_hour_is_in_no_band_twice(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Berlin, 29 March 2026: 02:00 local does not exist; 01:00 and 03:00 do."""
    freezer.move_to(NOW)
    await import_rows(hass, "sensor.a", usage_rows(START, [1.0] * HOURS))
    tariff = Tariff(
        "EUR",
        slabs=(Slab(None, Decimal(1)),),
        tou_bands=(
            TouBand("two", 2, 3, Decimal(1)),
            TouBand("three", 3, 4, Decimal(1)),
        ),
    )
    day = datetime(2026, 3, 28, 23, tzinfo=UTC)  # 29 March 00:00 CET
    bands = await statistics.async_band_energy(
        hass,
        tariff,
        ["sensor.a"],
        {0: (day, {day + 23 * HOUR})},
        ZoneInfo("Europe/Berlin"),
    )
    assert bands == {0: {day + 23 * HOUR: {"three": 1.0}}}
