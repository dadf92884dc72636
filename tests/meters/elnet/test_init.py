"""ELNET entries in a running Home Assistant, against the simulator on 127.0.0.1."""

from __future__ import annotations

from datetime import datetime, timedelta
import logging
import re
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.sensor import ATTR_STATE_CLASS, SensorStateClass
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import (
    ATTR_DEVICE_CLASS,
    ATTR_UNIT_OF_MEASUREMENT,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.intelergy.const import DOMAIN
from custom_components.intelergy.storage import storage_key
from simulators.elnet import GENERATOR, GRID, ElnetSimulator
from tests.conftest import ELNET_SERIAL, ELNET_TOKEN, elnet_options

from .common import entity_id, poll, setup, state

PREFIX = f"elnet_meter_{ELNET_SERIAL}"


async def test_entities(
    hass: HomeAssistant, elnet_sim: ElnetSimulator, elnet_entry: MockConfigEntry
) -> None:
    await setup(hass, elnet_entry)
    assert elnet_entry.state is ConfigEntryState.LOADED

    balance = state(hass, "sensor", "balance")
    assert float(balance.state) == 1787.42
    assert balance.attributes[ATTR_DEVICE_CLASS] == "monetary"
    assert balance.attributes[ATTR_UNIT_OF_MEASUREMENT] == hass.config.currency
    # No state class: no statistics, so the Energy dashboard's cost picker does
    # not offer a balance (tests/meters/elnet/test_recorder.py).
    assert ATTR_STATE_CLASS not in balance.attributes

    load = state(hass, "sensor", "present_load")
    assert (float(load.state), load.attributes[ATTR_UNIT_OF_MEASUREMENT]) == (
        0.58,
        "kW",
    )

    for key, value, lifetime in (
        ("grid_energy", 48808.72, True),
        ("generator_energy", 477.24, True),
        ("grid_energy_today", 10.96, False),
        ("generator_energy_today", 0.06, False),
        ("grid_energy_month", 418.65, False),
        ("generator_energy_month", 28.91, False),
    ):
        energy = state(hass, "sensor", key)
        assert float(energy.state) == value, key
        assert energy.attributes[ATTR_DEVICE_CLASS] == "energy"
        assert energy.attributes[ATTR_UNIT_OF_MEASUREMENT] == "kWh"
        # Only the lifetime totals are for the Energy dashboard (statistics).
        assert energy.attributes.get(ATTR_STATE_CLASS) == (
            SensorStateClass.TOTAL_INCREASING if lifetime else None
        ), key

    cost = state(hass, "sensor", "grid_cost_today")
    assert float(cost.state) == 91.3
    assert cost.attributes[ATTR_STATE_CLASS] == SensorStateClass.TOTAL
    assert cost.attributes["last_reset"].startswith("2025-07-25T00:00:00")
    assert (
        state(hass, "sensor", "generator_cost_month")
        .attributes["last_reset"]
        .startswith("2025-07-01T00:00:00")
    )
    assert float(state(hass, "sensor", "generator_cost_month").state) == 636.05

    source = state(hass, "sensor", "power_source")
    assert source.state == "grid"
    assert source.attributes["options"] == ["grid", "generator"]
    assert state(hass, "sensor", "generator_since").state == "unknown"
    # The days left come from the recorded balance: none here, and they say so.
    for key in ("balance_days_left", "balance_depletion"):
        prepaid = state(hass, "sensor", key)
        assert prepaid.state == "unknown"
        assert prepaid.attributes["reason"] == "no_recorder"
    assert float(state(hass, "sensor", "sanctioned_grid_load").state) == 52.0

    assert state(hass, "binary_sensor", "low_balance").state == STATE_OFF
    assert state(hass, "binary_sensor", "relay").state == STATE_ON
    assert state(hass, "binary_sensor", "stale").state == STATE_OFF

    # Solar is off by default (most meters have none); diagnostics are categorised.
    registry = er.async_get(hass)
    solar = registry.async_get(entity_id(hass, "sensor", "solar_energy"))
    assert solar is not None
    assert solar.entity_id == f"sensor.{PREFIX}_solar_energy"
    assert solar.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    assert hass.states.get(solar.entity_id) is None
    stale = registry.async_get(f"binary_sensor.{PREFIX}_stale_data")
    assert stale is not None
    assert stale.entity_category == "diagnostic"
    assert stale.unique_id == f"{ELNET_SERIAL}_stale"
    # A new state every reading: off by default, or it fills the logbook.
    last_update = registry.async_get(entity_id(hass, "sensor", "last_update"))
    assert last_update is not None
    assert last_update.entity_category == "diagnostic"
    assert last_update.disabled_by is er.RegistryEntryDisabler.INTEGRATION


async def test_last_meter_update_when_enabled(
    hass: HomeAssistant, elnet_sim: ElnetSimulator, elnet_entry: MockConfigEntry
) -> None:
    er.async_get(hass).async_get_or_create(
        "sensor",
        DOMAIN,
        f"{ELNET_SERIAL}_last_update",
        config_entry=elnet_entry,
        disabled_by=None,
    )
    await setup(hass, elnet_entry)
    updated = dt_util.parse_datetime(state(hass, "sensor", "last_update").state)
    assert updated == datetime(
        2025, 7, 25, 15, 56, 59, tzinfo=dt_util.get_default_time_zone()
    )

    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, ELNET_SERIAL), elnet_entry.entry_id
    )
    assert device is not None
    assert (device.manufacturer, device.serial_number) == ("ELNET", ELNET_SERIAL)


async def test_poll_interval_from_options(
    hass: HomeAssistant,
    elnet_sim: ElnetSimulator,
    elnet_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    hass.config_entries.async_update_entry(
        elnet_entry, options=elnet_options(scan_interval=120)
    )
    await setup(hass, elnet_entry)
    before = len(elnet_sim.requests)
    elnet_sim.advance(60, load_kw=3.6)

    freezer.tick(timedelta(seconds=60))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(elnet_sim.requests) == before  # not due yet

    freezer.tick(timedelta(seconds=61))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(elnet_sim.requests) == before + 2
    assert float(state(hass, "sensor", "present_load").state) == 3.6
    assert float(state(hass, "sensor", "grid_energy").state) == pytest.approx(48808.78)


async def test_grid_generator_grid(
    hass: HomeAssistant, elnet_sim: ElnetSimulator, elnet_entry: MockConfigEntry
) -> None:
    changes = async_capture_events(hass, "intelergy_power_source_changed")
    await setup(hass, elnet_entry)
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, ELNET_SERIAL), elnet_entry.entry_id
    )
    assert device is not None

    elnet_sim.set_supply(GENERATOR)
    elnet_sim.advance(60)
    await poll(hass, elnet_entry)
    assert state(hass, "sensor", "power_source").state == "generator"
    started = elnet_sim.updated_on.replace(tzinfo=dt_util.get_default_time_zone())
    assert (
        dt_util.parse_datetime(state(hass, "sensor", "generator_since").state)
        == started
    )
    assert len(changes) == 1
    assert changes[0].data == {
        "config_entry_id": elnet_entry.entry_id,
        "device_id": device.id,
        "from": "grid",
        "to": "generator",
    }

    dg_before = elnet_sim.live["DG"]
    elnet_sim.advance(1800, load_kw=2.0)  # half an hour at 2 kW on the generator
    elnet_sim.set_supply(GRID)
    await poll(hass, elnet_entry)
    assert state(hass, "sensor", "power_source").state == "grid"
    assert len(changes) == 2
    summary = changes[1].data
    assert (summary["from"], summary["to"]) == ("generator", "grid")
    assert summary["duration_seconds"] == 1800
    assert summary["energy_kwh"] == pytest.approx(1.0, abs=0.001)
    assert elnet_sim.live["DG"] - dg_before == pytest.approx(1.0, abs=0.001)
    assert summary["cost"] == pytest.approx(22.0, abs=0.02)
    assert summary["average_kw"] == pytest.approx(2.0, abs=0.01)
    assert summary["generator_started"] == started.isoformat()
    assert state(hass, "sensor", "generator_since").state == "unknown"
    # The days left come from the recorded balance: none here, and they say so.
    for key in ("balance_days_left", "balance_depletion"):
        prepaid = state(hass, "sensor", key)
        assert prepaid.state == "unknown"
        assert prepaid.attributes["reason"] == "no_recorder"


async def test_generator_session_spans_restart(
    hass: HomeAssistant,
    elnet_sim: ElnetSimulator,
    elnet_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    changes = async_capture_events(hass, "intelergy_power_source_changed")
    await setup(hass, elnet_entry)
    elnet_sim.set_supply(GENERATOR)
    elnet_sim.advance(60)
    await poll(hass, elnet_entry)
    started = elnet_sim.updated_on.replace(tzinfo=dt_util.get_default_time_zone())

    # "Restart": unload writes the state, a new set-up reads it back.
    assert await hass.config_entries.async_unload(elnet_entry.entry_id)
    stored = hass_storage[storage_key("elnet", elnet_entry.entry_id)]["data"]
    assert stored["session"]["started"] == started.isoformat()
    elnet_sim.advance(3600, load_kw=1.0)
    await setup(hass, elnet_entry)
    assert (
        dt_util.parse_datetime(state(hass, "sensor", "generator_since").state)
        == started
    )

    elnet_sim.set_supply(GRID)
    elnet_sim.advance(60)
    await poll(hass, elnet_entry)
    assert len(changes) == 2
    summary = changes[1].data
    assert summary["generator_started"] == started.isoformat()
    assert summary["duration_seconds"] == 3660
    assert summary["energy_kwh"] == pytest.approx(1.0, abs=0.001)


async def test_stale_flip_after_restart_fires_nothing(
    hass: HomeAssistant,
    elnet_sim: ElnetSimulator,
    elnet_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
) -> None:
    changes = async_capture_events(hass, "intelergy_power_source_changed")
    await setup(hass, elnet_entry)
    elnet_sim.advance(60)
    await poll(hass, elnet_entry)
    updated = elnet_sim.updated_on.replace(tzinfo=dt_util.get_default_time_zone())

    # "Restart": unload writes the Store, a new coordinator reads it back.
    assert await hass.config_entries.async_unload(elnet_entry.entry_id)
    await hass.async_block_till_done()
    stored = hass_storage[storage_key("elnet", elnet_entry.entry_id)]["data"]
    assert dt_util.parse_datetime(stored["last_updated_on"]) == updated
    assert stored["last_advance"] is not None

    # Home Assistant is down for 11 minutes; the server is stuck on the same
    # UpdatedOn and now claims the generator.
    freezer.tick(timedelta(minutes=11))
    elnet_sim.set_supply(GENERATOR)
    await setup(hass, elnet_entry)
    assert elnet_entry.state is ConfigEntryState.LOADED
    assert state(hass, "sensor", "power_source").state == "grid"
    assert state(hass, "sensor", "generator_since").state == "unknown"
    # The days left come from the recorded balance: none here, and they say so.
    for key in ("balance_days_left", "balance_depletion"):
        prepaid = state(hass, "sensor", key)
        assert prepaid.state == "unknown"
        assert prepaid.attributes["reason"] == "no_recorder"
    assert elnet_entry.runtime_data.coordinator.tracker.session is None
    # Stale since before the restart: UpdatedOn has not moved for 11 minutes.
    assert state(hass, "binary_sensor", "stale").state == STATE_ON
    assert float(state(hass, "sensor", "grid_energy").state) == pytest.approx(
        elnet_sim.live["EB"]
    )
    await poll(hass, elnet_entry)
    assert state(hass, "sensor", "power_source").state == "grid"
    assert changes == []

    elnet_sim.advance(60)  # the meter comes back: the flip is real now
    await poll(hass, elnet_entry)
    assert state(hass, "binary_sensor", "stale").state == STATE_OFF
    assert state(hass, "sensor", "power_source").state == "generator"
    assert [(e.data["from"], e.data["to"]) for e in changes] == [("grid", "generator")]


async def test_server_sending_every_number_as_a_string(
    hass: HomeAssistant, elnet_sim: ElnetSimulator, elnet_entry: MockConfigEntry
) -> None:
    elnet_sim.strings = True  # "Supply": "0", "EB": "48808.72", ...
    await setup(hass, elnet_entry)
    assert elnet_entry.state is ConfigEntryState.LOADED
    assert state(hass, "sensor", "power_source").state == "grid"
    assert float(state(hass, "sensor", "balance").state) == 1787.42
    assert float(state(hass, "sensor", "grid_energy").state) == 48808.72

    elnet_sim.set_supply(GENERATOR)  # "Supply": "1"
    elnet_sim.advance(60)
    await poll(hass, elnet_entry)
    assert state(hass, "sensor", "power_source").state == "generator"


async def test_recharge_and_low_balance_twice(
    hass: HomeAssistant, elnet_sim: ElnetSimulator, elnet_entry: MockConfigEntry
) -> None:
    hass.config_entries.async_update_entry(
        elnet_entry, options=elnet_options(low_balance_threshold=500)
    )
    recharges = async_capture_events(hass, "intelergy_recharge")
    lows = async_capture_events(hass, "intelergy_low_balance")
    await setup(hass, elnet_entry)

    elnet_sim.set_balance(450)
    elnet_sim.advance(60)
    await poll(hass, elnet_entry)
    assert state(hass, "binary_sensor", "low_balance").state == STATE_ON
    assert [e.data["balance"] for e in lows] == [pytest.approx(449.92, abs=0.01)]
    assert lows[0].data["threshold"] == 500

    for _ in range(3):  # still low: no repeat
        elnet_sim.advance(60)
        await poll(hass, elnet_entry)
    assert len(lows) == 1

    elnet_sim.recharge(1000)
    elnet_sim.advance(60)
    await poll(hass, elnet_entry)
    assert state(hass, "binary_sensor", "low_balance").state == STATE_OFF
    assert len(recharges) == 1
    assert recharges[0].data["amount"] == pytest.approx(1000, abs=0.5)
    assert recharges[0].data["balance"] == float(state(hass, "sensor", "balance").state)

    elnet_sim.set_balance(300)
    elnet_sim.advance(60)
    await poll(hass, elnet_entry)
    assert len(lows) == 2
    assert len(recharges) == 1


async def test_stale_updated_on(
    hass: HomeAssistant,
    elnet_sim: ElnetSimulator,
    elnet_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    changes = async_capture_events(hass, "intelergy_power_source_changed")
    await setup(hass, elnet_entry)

    # The server keeps answering the same UpdatedOn but claims a generator flip.
    elnet_sim.set_supply(GENERATOR)
    with caplog.at_level(logging.DEBUG):
        await poll(hass, elnet_entry)
    assert "UpdatedOn 2025-07-25 15:56:59" in caplog.text
    assert "has not advanced" in caplog.text
    assert state(hass, "sensor", "power_source").state == "grid"
    assert state(hass, "binary_sensor", "stale").state == STATE_OFF

    freezer.tick(timedelta(minutes=11))
    await poll(hass, elnet_entry)
    assert state(hass, "binary_sensor", "stale").state == STATE_ON
    assert state(hass, "sensor", "power_source").state == "grid"
    assert changes == []

    elnet_sim.advance(60)  # the meter comes back
    await poll(hass, elnet_entry)
    assert state(hass, "binary_sensor", "stale").state == STATE_OFF
    assert state(hass, "sensor", "power_source").state == "generator"
    assert len(changes) == 1


@pytest.mark.parametrize(
    ("failure", "message"),
    [
        ({"http_status": 500}, "HTTP 500"),
        ({"delay": 1.0}, "timeout"),
        ({"raw_body": "{not json"}, "did not answer JSON"),
        ({"api_status": "Failed"}, "No Data Available"),
        ({"drop_fields": {"Balance", "MeterBal"}}, "'Balance' is missing"),
    ],
)
async def test_failures_make_entities_unavailable_and_recover(
    hass: HomeAssistant,
    elnet_sim: ElnetSimulator,
    elnet_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    failure: dict[str, Any],
    message: str,
) -> None:
    with patch(
        "custom_components.intelergy.meters.elnet.coordinator.REQUEST_TIMEOUT", 0.2
    ):
        await setup(hass, elnet_entry)
        grid_before = state(hass, "sensor", "grid_energy").state
        for attribute, value in failure.items():
            setattr(elnet_sim, attribute, value)
        caplog.clear()
        with caplog.at_level(logging.INFO):
            for _ in range(3):
                await poll(hass, elnet_entry)
            assert state(hass, "sensor", "balance").state == STATE_UNAVAILABLE
            assert state(hass, "binary_sensor", "relay").state == STATE_UNAVAILABLE
            errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
            assert len(errors) == 1, "logged once, not on every poll"
            assert message in errors[0].getMessage()
            assert elnet_entry.state is ConfigEntryState.LOADED

            elnet_sim.http_status = elnet_sim.raw_body = None
            elnet_sim.delay = 0
            elnet_sim.api_status = "Success"
            elnet_sim.drop_fields = set()
            elnet_sim.advance(60)
            await poll(hass, elnet_entry)
            assert "recovered" in caplog.text
            assert ELNET_TOKEN not in caplog.text  # secrets never reach the log
    assert state(hass, "sensor", "balance").state != STATE_UNAVAILABLE
    # Stored energy is never lost: the register continues where it was.
    assert float(state(hass, "sensor", "grid_energy").state) >= float(grid_before)


async def test_register_glitch_does_not_count_twice(
    hass: HomeAssistant, elnet_sim: ElnetSimulator, elnet_entry: MockConfigEntry
) -> None:
    await setup(hass, elnet_entry)
    real = elnet_sim.live["EB"]
    elnet_sim.live["EB"] = 0.0
    elnet_sim.advance(60)
    await poll(hass, elnet_entry)
    assert float(state(hass, "sensor", "grid_energy").state) == real
    elnet_sim.live["EB"] = real
    elnet_sim.advance(3600, load_kw=1.0)
    await poll(hass, elnet_entry)
    assert float(state(hass, "sensor", "grid_energy").state) == pytest.approx(real + 1)


def register_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The totalizer decisions logged for the grid register."""
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and "grid_kwh" in r.getMessage()
    ]


async def test_register_decisions_logged_once_and_in_diagnostics(
    hass: HomeAssistant,
    elnet_sim: ElnetSimulator,
    elnet_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await setup(hass, elnet_entry)
    real = elnet_sim.live["EB"]
    caplog.clear()
    # A glitch: three polls at 0 within a few minutes, then back.
    elnet_sim.live["EB"] = 0.0
    for _ in range(3):
        elnet_sim.advance(60, load_kw=0.0)
        await poll(hass, elnet_entry)
        assert float(state(hass, "sensor", "grid_energy").state) == real
    [held] = register_warnings(caplog)
    # The numbers as Decision.describe prints them (48808.72 with 6 digits: 48808.7).
    assert re.match(
        rf"ELNET meter {ELNET_SERIAL}: grid_kwh: energy counter 0: "
        r"held low \(48808\.72? -> 0 kWh, total 48808\.72? kWh\)",
        held,
    ), held
    assert ELNET_TOKEN not in caplog.text
    elnet_sim.live["EB"] = real
    elnet_sim.advance(60, load_kw=0.0)
    await poll(hass, elnet_entry)
    assert float(state(hass, "sensor", "grid_energy").state) == real

    # The meter is replaced: its register starts again near 0 and stays there.
    caplog.clear()
    elnet_sim.live["EB"] = 2.0
    for _ in range(6):
        elnet_sim.advance(60, load_kw=1.2)
        await poll(hass, elnet_entry)
        assert float(state(hass, "sensor", "grid_energy").state) >= real
    held, continued = register_warnings(caplog)
    assert "held low" in held
    assert "continuation" in continued
    total = float(state(hass, "sensor", "grid_energy").state)
    assert real < total < real + 0.12  # 6 minutes at 1.2 kW, nothing doubled
    elnet_sim.advance(3600, load_kw=1.0)
    await poll(hass, elnet_entry)
    assert float(state(hass, "sensor", "grid_energy").state) == pytest.approx(
        total + 1.0
    )

    energy = elnet_entry.runtime_data.diagnostics()["energy"]
    assert energy["semantics"] == "persistent"
    assert energy["max_power_w"] == 50_000.0
    assert energy["stats"]["continuations"] == 1
    assert energy["stats"]["glitches"] == 1
    assert energy["channels"]["0"]["counter"] == pytest.approx(elnet_sim.live["EB"])


async def test_old_store_layout_keeps_its_registers(
    hass: HomeAssistant,
    elnet_sim: ElnetSimulator,
    elnet_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    # What the integration stored before the totalizer: the held registers, one
    # of them above what the server now says (the old rule was holding it).
    hass_storage[storage_key("elnet", elnet_entry.entry_id)] = {
        "version": 1,
        "minor_version": 1,
        "key": storage_key("elnet", elnet_entry.entry_id),
        "data": {
            "source": "grid",
            "session": None,
            "low_balance_notified": False,
            "balance": 1790.0,
            "day_start_balance": 1800.0,
            "registers": {"grid_kwh": 48810.0, "generator_kwh": 470.0},
        },
    }
    await setup(hass, elnet_entry)
    # Nothing lost: the held grid total stays; the generator's use since counts.
    assert float(state(hass, "sensor", "grid_energy").state) == 48810.0
    assert float(state(hass, "sensor", "generator_energy").state) == 477.24
    elnet_sim.live["EB"] = 48810.5
    elnet_sim.advance(60, load_kw=0.0)
    await poll(hass, elnet_entry)
    assert float(state(hass, "sensor", "grid_energy").state) == 48810.5
    assert await hass.config_entries.async_unload(elnet_entry.entry_id)
    stored = hass_storage[storage_key("elnet", elnet_entry.entry_id)]["data"]
    assert "registers" not in stored
    assert stored["energy"]["channels"]["0"]["counter"] == 48810.5


async def test_401_while_running_starts_reauth(
    hass: HomeAssistant,
    elnet_sim: ElnetSimulator,
    elnet_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await setup(hass, elnet_entry)
    elnet_sim.token = "rotated"
    with caplog.at_level(logging.DEBUG):
        await poll(hass, elnet_entry)
    assert "HTTP 401" in caplog.text
    assert ELNET_TOKEN not in caplog.text
    flows = hass.config_entries.flow.async_progress()
    assert [(f["handler"], f["context"]["source"]) for f in flows] == [
        (DOMAIN, SOURCE_REAUTH)
    ]
    assert flows[0]["step_id"] == "elnet_reauth"
    assert flows[0]["context"]["entry_id"] == elnet_entry.entry_id


async def test_setup_retries_when_unreachable(
    hass: HomeAssistant, elnet_sim: ElnetSimulator, elnet_entry: MockConfigEntry
) -> None:
    elnet_sim.http_status = 503
    await hass.config_entries.async_setup(elnet_entry.entry_id)
    assert elnet_entry.state is ConfigEntryState.SETUP_RETRY
    assert "HTTP 503" in str(elnet_entry.reason)


async def test_setup_auth_failure(
    hass: HomeAssistant, elnet_sim: ElnetSimulator, elnet_entry: MockConfigEntry
) -> None:
    elnet_sim.http_status = 401
    await hass.config_entries.async_setup(elnet_entry.entry_id)
    await hass.async_block_till_done()
    assert elnet_entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress()
    assert flows[0]["context"]["source"] == SOURCE_REAUTH


async def test_daily_summary_at_local_midnight(
    hass: HomeAssistant,
    elnet_sim: ElnetSimulator,
    elnet_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    freezer.move_to(
        dt_util.as_utc(
            datetime(2026, 11, 23, 22, 0, tzinfo=dt_util.get_default_time_zone())
        )
    )
    summaries = async_capture_events(hass, "intelergy_daily_summary")
    await setup(hass, elnet_entry)
    start_balance = elnet_sim.live["Balance"]
    elnet_sim.advance(3600, load_kw=1.2)
    await poll(hass, elnet_entry)

    midnight = datetime(2026, 11, 24, 0, 0, tzinfo=dt_util.get_default_time_zone())
    freezer.move_to(dt_util.as_utc(midnight))
    async_fire_time_changed(hass, midnight)
    await hass.async_block_till_done()
    assert len(summaries) == 1
    data = summaries[0].data
    assert data["date"] == "2026-11-23"
    assert data["grid_kwh"] == pytest.approx(10.96 + 1.2)
    assert data["generator_kwh"] == 0.06
    assert data["cost"] == pytest.approx(elnet_sim.home["CurrentDay_EB"] + 1.38)
    assert data["balance_start"] == start_balance
    assert data["balance_change"] == pytest.approx(-1.2 * 8.33, abs=0.01)
    assert data["config_entry_id"] == elnet_entry.entry_id


async def test_remove_entry_deletes_storage(
    hass: HomeAssistant,
    elnet_sim: ElnetSimulator,
    elnet_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    await setup(hass, elnet_entry)
    assert await hass.config_entries.async_unload(elnet_entry.entry_id)
    assert storage_key("elnet", elnet_entry.entry_id) in hass_storage
    await hass.config_entries.async_remove(elnet_entry.entry_id)
    await hass.async_block_till_done()
    assert storage_key("elnet", elnet_entry.entry_id) not in hass_storage
