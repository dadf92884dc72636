"""End to end: the simulated meter, a real Mosquitto, HA's MQTT integration, the recorder.

Nothing is faked. The meter (``python -m simulators.esp32_meter``) starts while
the broker is down, with its clock four hours in the past running 3600 times
fast: in four seconds it buffers four hours of readings, which it publishes as
its backlog once the broker is back. Home Assistant reconnects on its own, shows
the meter, switches one of its relays through it, writes the backlog into the
hours of the energy sensor's long-term statistics, and marks the meter
unavailable when it dies (its Last Will).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
import json
import logging
from pathlib import Path
import sys
import time
from typing import Any

from homeassistant.components.recorder import Recorder
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
    statistics_during_period,
)

from tests.mosquitto import Mosquitto
from tests.recorder import auto_enable_custom_integrations  # noqa: F401

from .common import Link, entity_of, meter_entry, mqtt_link

ROOT = Path(__file__).resolve().parents[3]
DEVICE = "e2e-meter"
UNIQUE = f"intelergy/{DEVICE}"
HOUR = 3600
SINCE = 4 * HOUR  # the meter's clock starts this far (to +30 min) in the past,
SPEED = 3600  # running this many times fast until it catches up with now;
INTERVAL = 0.5  # seconds between readings: 30 meter minutes while catching up
QUARTER = HOUR / 4
LOADS_W = (100.0, 1000.0)  # the meter's default loads of relays 0 and 1
BASE_W = 3.0
FULL_W = BASE_W + sum(LOADS_W)  # every relay on
TIMEOUT = 20.0  # seconds for any one step
KWH_TOLERANCE = 0.03  # ~100 s at 1103 W, 27 ms of timer jitter (seen: 1 ms)


@pytest.fixture
async def link(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    broker: Mosquitto,
    mock_hass_config: None,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncGenerator[Link]:
    """HA's MQTT on the broker, retrying every 0.2 s when the broker is gone."""
    from homeassistant.components.mqtt import client  # noqa: PLC0415

    monkeypatch.setattr(client, "RECONNECT_INTERVAL_SECONDS", 0.2)
    async for link in mqtt_link(hass, broker):
        yield link


async def until(link: Link, what: str, condition: Callable[[], bool]) -> None:
    """Let HA run (real time) until ``condition()``; fail after ``TIMEOUT`` s."""
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} within {TIMEOUT:g} s")
        await link.wait()


def hour_start(timestamp: float) -> int:
    """The start of the UTC hour holding ``timestamp``."""
    return int(timestamp - timestamp % HOUR)


async def hourly_statistics(
    hass: HomeAssistant, entity_id: str, start: float
) -> list[dict[str, Any]]:
    """The long-term hourly rows of ``entity_id`` from ``start`` on."""
    await async_wait_recording_done(hass)
    rows = await hass.async_add_executor_job(
        statistics_during_period,
        hass,
        dt_util.utc_from_timestamp(start),
        None,
        {entity_id},
        "hour",
        None,
        {"sum", "state", "change"},
    )
    return [dict(row) for row in rows.get(entity_id, [])]


async def test_meter_through_outage_relays_backlog_and_last_will(
    hass: HomeAssistant,
    link: Link,
    broker: Mosquitto,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="custom_components.intelergy")
    entry = meter_entry(hass, device_id=DEVICE, relays=2)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await link.capture(f"intelergy/{DEVICE}/backlog")
    await link.settle()

    def entity(platform: str, key: str) -> str:
        return entity_of(hass, platform, key, UNIQUE)

    def state(platform: str, key: str) -> str | None:
        found = hass.states.get(entity(platform, key))
        return None if found is None else found.state

    def power() -> float | None:
        value = state("sensor", "power")
        if value is None or value in (STATE_UNKNOWN, STATE_UNAVAILABLE):
            return None
        return float(value)

    # The broker goes down; the meter starts in the past and buffers while it
    # cannot connect. Its readings come every 30 meter minutes from the time it
    # started minus ``since``: chosen so that they fall at a quarter past and a
    # quarter to, far from the hour boundaries the statistics are cut at (a
    # millisecond of timer jitter is 3.6 meter seconds).
    await broker.stop()
    spawned = time.time()
    since = SINCE + (spawned - QUARTER) % (HOUR / 2)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "simulators.esp32_meter",
        "--device-id",
        DEVICE,
        "--host",
        broker.host,
        "--port",
        str(broker.port),
        "--interval",
        str(INTERVAL),
        "--relays",
        "2",
        "--since",
        f"{since:.3f}",
        "--speed",
        str(SPEED),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        # Its clock has caught up. paho retries 1, 3, 7, 15 s after the meter's
        # start: the broker comes back between the second and the third retry, so
        # HA (retrying every 0.2 s) is connected and subscribed long before the
        # meter sends its backlog.
        caught_up = spawned + since / SPEED  # not before: it starts after spawned
        await asyncio.sleep(caught_up + 0.5 - time.time())
        await broker.restart()
        await until(link, "a power reading", lambda: power() is not None)
        received = time.time()

        # --- what HA shows -----------------------------------------------------
        assert power() == pytest.approx(FULL_W, rel=0.02)
        await until(
            link,
            "both relays on",
            lambda: (
                [state("switch", "relay_0"), state("switch", "relay_1")]
                == [STATE_ON, STATE_ON]
            ),
        )
        energy_id = entity("sensor", "energy")
        energy = hass.states.get(energy_id)
        assert energy is not None
        assert energy.attributes["state_class"] == "total_increasing"
        assert energy.attributes["unit_of_measurement"] == "kWh"
        assert energy.attributes["device_class"] == "energy"
        voltage = hass.states.get(entity("sensor", "voltage"))
        assert voltage is not None
        assert float(voltage.state) == pytest.approx(230.0, abs=3)
        assert voltage.attributes["unit_of_measurement"] == "V"
        current = float(state("sensor", "current"))  # type: ignore[arg-type]
        assert current == pytest.approx(FULL_W / 230.0, rel=0.05)
        for key in ("power_factor", "frequency", "rssi"):
            assert state("sensor", key) not in (None, STATE_UNAVAILABLE, STATE_UNKNOWN)

        # The backlog: ~4 h of readings every 30 meter minutes, then the live ones
        # taken while the broker was still unreachable.
        assert [topic for topic, _ in link.sent] == [f"intelergy/{DEVICE}/backlog"]
        backlog = json.loads(link.sent[0][1])
        times = [float(reading["timestamp"]) for reading in backlog]
        assert times == sorted(times)
        # The first 30 meter minutes after its start (a few ms late).
        assert times[0] == pytest.approx(spawned - since + HOUR / 2, abs=300)
        used = FULL_W * (times[-1] - times[0]) / 3_600_000  # kWh, ~3.5 h at 1103 W
        assert backlog[-1]["energy"] == pytest.approx(used, rel=1e-3)
        assert float(energy.state) >= backlog[-1]["energy"]

        # --- a relay switched from HA, by the meter ---------------------------
        await hass.services.async_call(
            "switch",
            "turn_off",
            {"entity_id": entity("switch", "relay_1")},
            blocking=True,
        )
        await until(
            link, "relay 1 off", lambda: state("switch", "relay_1") == STATE_OFF
        )
        await until(
            link, "a reading without relay 1's load", lambda: (power() or 0) < 500
        )
        assert power() == pytest.approx(FULL_W - LOADS_W[1], rel=0.02)
        assert state("switch", "relay_0") == STATE_ON

        # --- the backlog in the hours it was used -----------------------------
        # A row for every hour from the first buffered reading's to the last
        # finished one (the current hour is the recorder's own). Each hour the
        # meter counted through has the energy it used in that hour: 1.103 kWh,
        # not 0 with everything in the hour it came back. Not checked: the first
        # hour (the counter starts at the first reading) and, should the test
        # straddle an hour, one holding the readings taken at the real pace after
        # the catch-up (the rows cut at readings, 30 meter minutes apart before).
        first_hour = hour_start(times[0])
        last_hour = min(hour_start(times[-1]), hour_start(received) - HOUR)
        hours = list(range(first_hour, last_hour + 1, HOUR))
        rows: list[dict[str, Any]] = []
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            rows = await hourly_statistics(hass, energy_id, first_hour)
            if rows and rows[-1]["start"] >= last_hour:
                break
            await asyncio.sleep(0.05)
        assert [row["start"] for row in rows] == hours, rows
        counted = [row for row in rows[1:] if row["start"] + HOUR <= caught_up]
        assert len(counted) >= 2, rows
        for row in counted:
            assert row["change"] == pytest.approx(FULL_W / 1000, abs=KWH_TOLERANCE), (
                dt_util.utc_from_timestamp(row["start"]),
                rows,
                times,
            )
        assert "backlog of" in caplog.text

        # --- killed: the broker publishes its Last Will ------------------------
        process.kill()
        await process.wait()
        killed = time.monotonic()
        await until(
            link, "unavailable", lambda: state("sensor", "power") == STATE_UNAVAILABLE
        )
        # Long before the 15 s of silence (3 intervals of the entry's 5 s).
        assert time.monotonic() - killed < 5
        assert "meter unavailable: offline (Last Will)" in caplog.text
        assert state("switch", "relay_0") == STATE_UNAVAILABLE
    finally:
        if process.returncode is None:
            process.kill()
        stdout, stderr = await process.communicate()
        print(stdout.decode(), stderr.decode(), broker.log_tail(), sep="\n")  # noqa: T201
