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
    # 10:01 -> 10:30: 0.2 kWh; 11: 0.7; 12: 0.6; 13: 0.3 (11.5 -> 11.8).
    assert [round(row["change"], 3) for row in rows] == [0.2, 0.7, 0.6, 0.3]
    assert [round(row["sum"], 3) for row in rows] == [0.2, 0.9, 1.5, 1.8]
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
    assert [round(row["sum"], 3) for row in rows] == [0.0, 0.7, 1.3, 1.6]
    # Every hour's change is >= 0 and in its hour: 11: 0.7, 12: 0.6, 13: 11.5 -> 11.8.
    assert [round(row["change"], 3) for row in rows] == [0.0, 0.7, 0.6, 0.3]


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
