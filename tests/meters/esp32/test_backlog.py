"""A meter's backlog lands in the hours it was used (real recorder, real broker)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime, timedelta
import random
from typing import Any

from freezegun import freeze_time
from homeassistant.components.recorder import Recorder
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
    do_adhoc_statistics,
    statistics_during_period,
)

from tests.mosquitto import Mosquitto
from tests.recorder import HOUR, auto_enable_custom_integrations  # noqa: F401

from .common import Link, entity_of, meter_entry, mqtt_link, state_of

pytestmark = pytest.mark.databases  # SQLite, PostgreSQL, MariaDB (tests/databases.py)


@pytest.fixture
async def link(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    broker: Mosquitto,
    mock_hass_config: None,
) -> AsyncGenerator[Link]:
    """HA's MQTT on the broker (overrides the conftest one: the recorder first)."""
    async for link in mqtt_link(hass, broker):
        yield link


def clock_at(when: datetime) -> Any:
    """HA's clock set to ``when`` and running on from there (timers keep working)."""
    return freeze_time(when, tick=True)


def at(minutes: float) -> float:
    """Epoch seconds ``minutes`` after 10:00."""
    return (HOUR + timedelta(minutes=minutes)).timestamp()


async def compile_until(hass: HomeAssistant, start: datetime, end: datetime) -> None:
    """Run the recorder's 5-minute statistics for [start, end)."""
    period = start
    while period < end:
        do_adhoc_statistics(hass, start=period)
        await async_wait_recording_done(hass)
        period += timedelta(minutes=5)


async def hourly(hass: HomeAssistant, entity_id: str) -> list[dict[str, Any]]:
    await async_wait_recording_done(hass)
    rows = await hass.async_add_executor_job(
        statistics_during_period,
        hass,
        HOUR - timedelta(hours=1),
        None,
        {entity_id},
        "hour",
        None,
        {"state", "sum", "change"},
    )
    return [dict(row) for row in rows.get(entity_id, [])]


BACKLOG = [
    {"timestamp": at(30), "energy": 10.2, "power": 400},  # 10:30
    {"timestamp": at(90), "energy": 10.9, "power": 700},  # 11:30
    {"timestamp": at(150), "energy": 11.5, "power": 600},  # 12:30
    {"timestamp": at(181), "energy": 11.6, "power": 300},  # 13:01
]


async def test_each_hour_gets_its_own_energy(hass: HomeAssistant, link: Link) -> None:
    entry = meter_entry(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await link.settle()
    energy = entity_of(hass, "sensor", "energy")
    with clock_at(HOUR + timedelta(minutes=1)):
        await link.publish("availability", "online")
        await link.publish("state", {"timestamp": at(1), "power": 100, "energy": 10.0})
        assert state_of(hass, "sensor", "energy") == "10.0"
        await async_wait_recording_done(hass)
    with clock_at(HOUR + timedelta(minutes=6)):
        await compile_until(hass, HOUR, HOUR + timedelta(minutes=5))
        # 10:06: the meter drops off the network.
        await link.publish("availability", "offline")

    # 13:05 it is back and sends what it buffered (twice, shuffled: a repeated
    # chunk must not count twice), then its state.
    with clock_at(HOUR + timedelta(hours=3, minutes=5)):
        await link.publish("availability", "online")
        await link.publish("backlog", BACKLOG)
        shuffled = BACKLOG[:]
        random.Random(4).shuffle(shuffled)  # noqa: S311
        await link.publish("backlog", shuffled)
        await link.publish(
            "state", {"timestamp": at(185), "power": 300, "energy": 11.8}
        )
        assert state_of(hass, "sensor", "energy") == "11.8"
        await async_wait_recording_done(hass)

    # The recorder compiles the rest of the day as it would running.
    with clock_at(HOUR + timedelta(hours=4, minutes=5)):
        await compile_until(hass, HOUR + timedelta(hours=3), HOUR + timedelta(hours=4))
        rows = await hourly(hass, energy)
    starts = [row["start"] for row in rows]
    assert starts == [(HOUR + timedelta(hours=h)).timestamp() for h in range(4)]
    # Between two readings the energy is shared by time: at 11:00 the total is
    # halfway from 10.2 (10:30) to 10.9 (11:30), 10.55; at 12:00 11.2; at 13:00
    # 30/31 of the way from 11.5 (12:30) to 11.6 (13:01). 13: up to 11.8 live.
    assert [round(row["change"], 3) for row in rows] == [0.55, 0.65, 0.397, 0.203]
    assert [round(row["sum"], 3) for row in rows] == [0.55, 1.2, 1.597, 1.8]
    assert rows[-1]["state"] == pytest.approx(11.8)


async def test_backlog_without_earlier_statistics(
    hass: HomeAssistant, link: Link
) -> None:
    # A meter set up while it was offline: its first statistics come from the
    # backlog and start at 0; the recorder carries the sum on from there.
    entry = meter_entry(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await link.settle()
    energy = entity_of(hass, "sensor", "energy")
    with clock_at(HOUR + timedelta(hours=3, minutes=5)):
        await link.publish("backlog", BACKLOG)
        await link.publish(
            "state", {"timestamp": at(185), "power": 300, "energy": 11.8}
        )
        await async_wait_recording_done(hass)
    with clock_at(HOUR + timedelta(hours=4, minutes=5)):
        await compile_until(hass, HOUR + timedelta(hours=3), HOUR + timedelta(hours=4))
        rows = await hourly(hass, energy)
    # The sum is 0 at the first reading (10:30, 10.2 kWh); energy between two
    # readings is shared by time (10:30-11:00 is half of 10.2 -> 10.9), and the
    # recorder carries on live from the last one (13: up to 11.8).
    assert [round(row["sum"], 3) for row in rows] == [0.35, 1.0, 1.397, 1.6]
    assert [round(row["change"], 3) for row in rows] == [0.35, 0.65, 0.397, 0.203]


async def test_bad_backlog_is_refused_whole(
    hass: HomeAssistant, link: Link, caplog: pytest.LogCaptureFixture
) -> None:
    entry = meter_entry(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await link.settle()
    await link.publish("backlog", [BACKLOG[0], {"timestamp": at(40), "energy": "x"}])
    await link.publish("backlog", [])
    await async_wait_recording_done(hass)
    assert await hourly(hass, entity_of(hass, "sensor", "energy")) == []
    assert "refused backlog message (wrong_type)" in caplog.text


async def test_chunks_in_any_order_land_in_their_hours(
    hass: HomeAssistant, link: Link
) -> None:
    """An hour of 5 s readings in chunks, one redelivered after a later one.

    Before: each hour row was upserted from one message's readings (0.814 /
    0.459 kWh for a truth of 1.124 / 0.150 in the reported case). Every
    reading of the outage now counts for its hour, whatever the order.
    """
    entry = meter_entry(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await link.settle()
    energy = entity_of(hass, "sensor", "energy")
    with clock_at(HOUR + timedelta(minutes=1)):
        await link.publish("availability", "online")
        await link.publish("state", {"timestamp": at(1), "power": 100, "energy": 10.0})
        await async_wait_recording_done(hass)
    with clock_at(HOUR + timedelta(minutes=6)):
        await compile_until(hass, HOUR, HOUR + timedelta(minutes=5))
        await link.publish("availability", "offline")
    # 10:06 -> 11:06 at 5 s: 1.2 kW until 10:50, then 0.9 kW.
    readings, total = [], 10.0
    for n in range(720):
        minutes = 6 + n * 5 / 60
        total += (1.2 if minutes < 50 else 0.9) * 5 / 3600
        readings.append({"timestamp": at(minutes), "energy": round(total, 6)})
    truth_10 = next(r["energy"] for r in readings if r["timestamp"] == at(60)) - 10.0
    chunks = [readings[i : i + 200] for i in range(0, 720, 200)]
    with clock_at(HOUR + timedelta(hours=1, minutes=7)):
        await link.publish("availability", "online")
        for chunk in (chunks[0], chunks[1], chunks[3], chunks[2], chunks[1]):
            await link.publish("backlog", chunk)
        await link.publish(
            "state", {"timestamp": at(67), "power": 900, "energy": total + 0.015}
        )
        await async_wait_recording_done(hass)
    with clock_at(HOUR + timedelta(hours=2, minutes=5)):
        await compile_until(hass, HOUR + timedelta(hours=1), HOUR + timedelta(hours=2))
        rows = await hourly(hass, energy)
    changes = [row["change"] for row in rows]
    assert changes[0] == pytest.approx(truth_10, abs=1e-5)
    assert changes[1] == pytest.approx(total + 0.015 - 10.0 - truth_10, abs=1e-5)
    assert truth_10 == pytest.approx(1.2 * 44 / 60 + 0.9 * 10 / 60, abs=0.002)
    assert all(change >= 0 for change in changes)
