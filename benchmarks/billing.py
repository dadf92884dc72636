"""Billing over the recorder: 100 energy sensors x one year of hourly statistics.

One Home Assistant, in-process, with the recorder on a temporary SQLite file
(as a real install has it) and Intelergy with one billing entry billing all the
sensors (the issue's slab tariff; India, UTC+5:30). The statistics are the
recorder's own tables: 100 sensors' metadata through ``async_import_statistics``,
then 876,000 hourly rows (state and a cumulative sum, a random household load)
inserted in bulk. Timed, through the real actions (``hass.services.async_call``
with ``return_response``, schema and response included):

* ``intelergy.calculate_bill`` for a month (the previous cycle) and for a year
  (start/end, 12 cycles), each also with a time-of-use band (which reads hourly
  rows for the bands);
* ``intelergy.predict_bill``, ``intelergy.energy_report`` (a month by day), and a
  refresh of the billing sensors (the coordinator, every 5 minutes);
* the built-in alternative: the recorder's own ``statistics_during_period``
  hourly ``change`` of the same sensors over the same month / year (what a bill
  built on hourly changes would read before any pricing).

Each figure is the best of ``--repeats`` runs (a warm-up first), in ms. Goal:
the month's bill under 100 ms. The statistics end at the last complete hour
before the run, so "the previous cycle" and "a year" are complete.

    PYTHONPATH=. .venv/bin/python benchmarks/billing.py   (or benchmarks/run)
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, time, timedelta
import logging
from pathlib import Path
import random
import statistics
import tempfile
from time import perf_counter
from typing import Any

from homeassistant import loader
from homeassistant.components.recorder.db_schema import Statistics
from homeassistant.components.recorder.models import (
    StatisticData,
    StatisticMeanType,
    StatisticMetaData,
)
from homeassistant.components.recorder.statistics import (
    async_import_statistics,
    statistics_during_period,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import recorder as recorder_helper
from homeassistant.helpers.recorder import get_instance, session_scope
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_test_home_assistant,
)
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.intelergy.analytics.billing.actions import (
    SERVICE_CALCULATE_BILL,
    async_setup_billing_actions,
)
from custom_components.intelergy.const import CONF_KIND, DOMAIN, KIND_BILLING
from custom_components.intelergy.kinds import ENTRY_KINDS, billing

GOAL_MONTH_MS = 100.0
# Statistics from 400 days ago up to the last complete hour: the previous cycle
# and the 12 cycles before the current one are complete.
LAST_HOUR = dt_util.utcnow().replace(minute=0, second=0, microsecond=0)
FIRST_HOUR = LAST_HOUR - timedelta(days=400)
SEED: dict[str, Any] = {
    "currency": "INR",
    "slabs": [
        {"upto": "100", "rate": "3.50"},
        {"upto": "300", "rate": "4.50"},
        {"upto": None, "rate": "6.00"},
    ],
    "fixed_charge": "50",
    "tax_percent": "18",
    "cycle": {"type": "monthly", "day": 1},
}
TOU = {**SEED, "tou_bands": [{"name": "night", "start": 22, "end": 6, "rate": "2.00"}]}


def sensor_ids(count: int) -> list[str]:
    """The benchmark's energy sensors."""
    return [f"sensor.bench_{n:03d}_energy" for n in range(count)]


async def set_up(hass: HomeAssistant, db_url: str, count: int) -> list[str]:
    """The recorder on SQLite, a year of statistics, Intelergy with two bills."""
    await hass.config.async_set_time_zone("Asia/Kolkata")
    recorder_helper.async_initialize_recorder(hass)
    if not await async_setup_component(
        hass, "recorder", {"recorder": {"db_url": db_url, "commit_interval": 0}}
    ):
        raise RuntimeError("the recorder did not set up")
    await async_wait_recording_done(hass)
    ids = sensor_ids(count)
    for entity_id in ids:
        hass.states.async_set(
            entity_id,
            "0",
            {
                "device_class": "energy",
                "state_class": "total_increasing",
                "unit_of_measurement": "kWh",
            },
        )
        async_import_statistics(
            hass,
            StatisticMetaData(
                mean_type=StatisticMeanType.NONE,
                has_sum=True,
                name=None,
                source="recorder",
                statistic_id=entity_id,
                unit_class="energy",
                unit_of_measurement="kWh",
            ),
            [StatisticData(start=FIRST_HOUR, state=0.0, sum=0.0)],
        )
    await async_wait_recording_done(hass)
    hours = int((LAST_HOUR - FIRST_HOUR) / timedelta(hours=1))
    started = perf_counter()
    rows = await get_instance(hass).async_add_executor_job(
        _insert_year, hass, ids, hours
    )
    print(
        f"statistics: {count} sensors x {hours} hours = {rows:,} hourly rows "
        f"(bulk insert {perf_counter() - started:.1f} s)"
    )
    # Intelergy: custom integrations on, the billing kind and actions (until wired).
    hass.data.pop(loader.DATA_CUSTOM_COMPONENTS)
    ENTRY_KINDS.setdefault(KIND_BILLING, billing.ENTRY_KIND)
    for title, tariff in (("Home", SEED), ("Home TOU", TOU)):
        MockConfigEntry(
            domain=DOMAIN,
            title=title,
            data={CONF_KIND: KIND_BILLING, "name": title},
            options={"entities": ids, "tariff": tariff, "method": "average"},
        ).add_to_hass(hass)
    if not await async_setup_component(hass, DOMAIN, {}):
        raise RuntimeError("intelergy did not set up")
    if not hass.services.has_service(DOMAIN, SERVICE_CALCULATE_BILL):
        async_setup_billing_actions(hass)
    await hass.async_block_till_done()
    return ids


def _insert_year(hass: HomeAssistant, ids: list[str], hours: int) -> int:
    """Hourly rows after the first: a household's random load, sums cumulative."""
    instance = get_instance(hass)
    rng = random.Random(42)
    start = FIRST_HOUR.timestamp()
    count = 0
    with session_scope(hass=hass) as session:
        metadata = instance.statistics_meta_manager.get_many(
            session, statistic_ids=set(ids)
        )
        for entity_id in ids:
            metadata_id = metadata[entity_id][0]
            total = 0.0
            rows = []
            for hour in range(1, hours):
                total += rng.uniform(0.0, 0.12)
                rows.append(
                    {
                        "metadata_id": metadata_id,
                        "created_ts": start,
                        "start_ts": start + hour * 3600,
                        "state": total,
                        "sum": total,
                    }
                )
            session.execute(Statistics.__table__.insert(), rows)
            count += len(rows)
    return count + len(ids)


async def best_of(
    repeats: int, run: Callable[[], Awaitable[Any]]
) -> tuple[float, float, Any]:
    """(best, median) ms of ``repeats`` runs after a warm-up; the last result."""
    result = await run()
    times = []
    for _ in range(repeats):
        started = perf_counter()
        result = await run()
        times.append((perf_counter() - started) * 1000)
    return min(times), statistics.median(times), result


async def measure(hass: HomeAssistant, ids: list[str], repeats: int) -> None:
    """Every case, best and median of ``repeats``; the goal checked."""
    entries = {e.title: e.entry_id for e in hass.config_entries.async_entries(DOMAIN)}

    def action(service: str, entry: str, **data: Any) -> Callable[[], Awaitable[Any]]:
        async def run() -> Any:
            return await hass.services.async_call(
                DOMAIN,
                service,
                {"config_entry_id": entries[entry], **data},
                blocking=True,
                return_response=True,
            )

        return run

    tz = dt_util.get_default_time_zone()
    this_month = dt_util.now().date().replace(day=1)
    month_start = datetime.combine(
        (this_month - timedelta(days=1)).replace(day=1), time(), tz
    )
    month_end = datetime.combine(this_month, time(), tz)
    year_start = month_end.replace(year=month_end.year - 1)
    year = {"start": year_start.isoformat(), "end": month_end.isoformat()}

    def hourly(start: datetime, end: datetime) -> Callable[[], Awaitable[Any]]:
        async def run() -> Any:
            return await get_instance(hass).async_add_executor_job(
                statistics_during_period,
                hass,
                start,
                end,
                set(ids),
                "hour",
                {"energy": "kWh"},
                {"change"},
            )

        return run

    async def refresh() -> None:
        entry = hass.config_entries.async_get_entry(entries["Home"])
        if entry is None:
            raise RuntimeError("the billing entry is gone")
        await entry.runtime_data.coordinator.async_refresh()

    cases: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
        (
            "calculate_bill, month",
            action("calculate_bill", "Home", period="previous_cycle"),
        ),
        ("calculate_bill, year (12 cycles)", action("calculate_bill", "Home", **year)),
        (
            "calculate_bill, month, TOU",
            action("calculate_bill", "Home TOU", period="previous_cycle"),
        ),
        ("calculate_bill, year, TOU", action("calculate_bill", "Home TOU", **year)),
        ("predict_bill (3 methods)", action("predict_bill", "Home")),
        (
            "energy_report, month by day",
            action("energy_report", "Home", period="previous_cycle"),
        ),
        ("billing sensors' refresh", refresh),
        ("built-in: hourly change, month", hourly(month_start, month_end)),
        ("built-in: hourly change, year", hourly(year_start, month_end)),
    ]
    results: dict[str, tuple[float, float]] = {}
    print(f"\n{'':36} {'best ms':>9} {'median ms':>10}")
    for name, run in cases:
        best, median, response = await best_of(repeats, run)
        results[name] = (best, median)
        print(f"{name:36} {best:9.1f} {median:10.1f}")
        if name == "calculate_bill, month":
            month = response
        if name == "calculate_bill, year (12 cycles)":
            whole = response
    print(
        f"\nmonth: {month['energy_kwh']:,.3f} kWh, {month['currency']} "
        f"{month['total']:,.2f} over {len(month['sensors'])} sensors; "
        f"year: {len(whole['cycles'])} cycles, {whole['currency']} {whole['total']:,.2f}"
    )
    best = results["calculate_bill, month"][0]
    builtin = results["built-in: hourly change, month"][0]
    print(
        f"calculate_bill, month: {best:.1f} ms (goal < {GOAL_MONTH_MS:.0f} ms: "
        f"{'met' if best < GOAL_MONTH_MS else 'NOT met'}); "
        f"{builtin / best:.1f}x faster than reading the month's hourly changes alone"
    )


async def main() -> None:
    """A year of statistics in a fresh recorder; the actions timed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sensors", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="intelergy-bench-") as config_dir:
        db_url = f"sqlite:///{Path(config_dir) / 'home-assistant_v2.db'}"
        async with async_test_home_assistant(config_dir=config_dir) as hass:
            ids = await set_up(hass, db_url, args.sensors)
            await measure(hass, ids, args.repeats)
            for entry in hass.config_entries.async_entries(DOMAIN):
                await hass.config_entries.async_unload(entry.entry_id)
            await hass.async_stop(force=True)


if __name__ == "__main__":
    asyncio.run(main())
