"""scripts/develop_history.py: the demo's week of statistics, counted exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
import math
from zoneinfo import ZoneInfo

import pytest

from scripts import develop_history as history

TZ = ZoneInfo("Asia/Kolkata")
NOW = datetime(2026, 12, 6, 9, 20, 31, tzinfo=UTC)
HOURS = history.import_hours(NOW, None)
PROFILE = history.week_profile(HOURS[0], len(HOURS), TZ)


def test_the_window_is_the_last_week_of_whole_hours() -> None:
    assert len(HOURS) == 7 * 24
    assert HOURS[0] == datetime(2026, 11, 29, 9, tzinfo=UTC)
    assert HOURS[-1] == datetime(2026, 12, 6, 8, tzinfo=UTC)  # before the current hour
    assert all(b - a == timedelta(hours=1) for a, b in pairwise(HOURS))


def test_only_hours_before_home_assistants_first_row() -> None:
    first = datetime(2026, 12, 5, 22, 35, tzinfo=UTC)  # a 5-minute row
    hours = history.import_hours(NOW, first)
    assert hours[-1] == datetime(2026, 12, 5, 21, tzinfo=UTC)
    assert len(hours) == 6 * 24 + 13


def test_a_second_run_imports_nothing() -> None:
    # The first run's rows start the window: nothing is before them.
    assert history.import_hours(NOW, HOURS[0]) == []
    # An hour later the window starts an hour later, after the first run's rows.
    later = NOW + timedelta(hours=1)
    assert history.import_hours(later, HOURS[0], has_older=True) == []
    # Older statistics (a Home Assistant that ran before): left alone.
    assert history.import_hours(NOW, None, has_older=True) == []


@pytest.mark.parametrize("series", history.SERIES)
def test_rows_are_hourly_and_physical(series: str) -> None:
    rows = PROFILE[series]
    assert [row.start for row in rows] == HOURS
    for row in rows:
        assert 0 <= row.min <= row.mean <= row.max


def test_shapes_follow_the_simulated_devices() -> None:
    local = {
        name: {row.start.astimezone(TZ): row for row in rows}
        for name, rows in PROFILE.items()
    }
    kettle = PROFILE["kettle"]
    boils = sum(row.kwh for row in kettle) / (2.0 * 4 / 60)  # ~4 min at 2 kW each
    assert 3 * 7 <= boils <= 5 * 7 + 2
    assert max(row.max for row in kettle) == pytest.approx(2000)
    assert all(row.min == 0 for row in kettle)
    # The TV and the lamp in the evening, never at 3 in the morning.
    for name, watts in (("tv", 85), ("lamp", 9)):
        nights = [r for t, r in local[name].items() if t.hour in (2, 3)]
        evenings = [r for t, r in local[name].items() if t.hour == 20]
        assert all(r.max == 0 for r in nights)
        assert all(r.mean == pytest.approx(watts, rel=0.05) for r in evenings)
    assert all(11.5 <= r.mean <= 12.5 for r in PROFILE["router"])
    assert all(r.max == 0 for r in PROFILE["idle"])
    # The whole house is at least every device in it, and grid + generator.
    for hour in range(len(HOURS)):
        devices = sum(PROFILE[name][hour].mean for name in history.DEVICES)
        house = PROFILE["house"][hour].mean
        assert house >= devices
        assert PROFILE["grid"][hour].mean + PROFILE["generator"][hour].mean == (
            pytest.approx(house, abs=0.002)
        )
    assert sum(r.kwh for r in PROFILE["generator"]) > 0  # a power cut or more


def test_the_same_seed_gives_the_same_week_another_gives_another() -> None:
    again = history.week_profile(HOURS[0], len(HOURS), TZ)
    assert again == PROFILE
    other = history.week_profile(HOURS[0], len(HOURS), TZ, seed="other")
    assert other["kettle"] != PROFILE["kettle"]


def check_energy(rows: list[dict[str, object]], powers: list[history.HourPower],
                 live: float, scale: float = 1.0) -> None:  # fmt: skip
    assert [row["start"] for row in rows] == [p.start for p in powers]
    sums = [float(row["sum"]) for row in rows]  # type: ignore[arg-type]
    states = [float(row["state"]) for row in rows]  # type: ignore[arg-type]
    # Energy = the integral of power: each hour's sum rises by mean W x 1 h / 1000,
    # from 0 before the first hour (the recorder's sum before a first row).
    for before, after, power in zip([0.0, *sums[:-1]], sums, powers, strict=True):
        assert after - before == pytest.approx(power.kwh * scale, abs=2e-6 * scale)
        assert after >= before
    assert sums[-1] == pytest.approx(math.fsum(p.kwh for p in powers) * scale)
    # The counter goes on from the sensor's state now.
    assert states[-1] == live
    assert min(states) >= 0


@pytest.mark.parametrize("series", history.SERIES)
def test_energy_rows_continue_the_live_counter(series: str) -> None:
    powers = PROFILE[series]
    total = math.fsum(p.kwh for p in powers)
    live = total + 25.5  # a counter that counted more than this week
    rows = history.energy_rows(powers, live)
    check_energy(rows, powers, live)
    states = [float(row["state"]) for row in rows]  # type: ignore[arg-type]
    assert all(b >= a for a, b in pairwise(states))  # no reset needed
    assert states[0] == pytest.approx(live - total + powers[0].kwh, abs=1e-6)


def test_a_counter_smaller_than_the_week_is_reset_once() -> None:
    powers = PROFILE["kitchen"]
    total = math.fsum(p.kwh for p in powers)
    live = 0.0071234567  # the ESP32 meter of a fresh config directory
    assert live < total
    rows = history.energy_rows(powers, live)
    check_energy(rows, powers, live)
    states = [float(row["state"]) for row in rows]  # type: ignore[arg-type]
    drops = [i for i in range(1, len(states)) if states[i] < states[i - 1]]
    assert len(drops) == 1  # one reboot
    assert states[0] == pytest.approx(powers[0].kwh, abs=1e-6)  # from 0 at the start
    # Before the reset the counter counts from 0; after it, up to the live state.
    reset = drops[0]
    assert states[reset - 1] == pytest.approx(
        math.fsum(p.kwh for p in powers[:reset]), abs=1e-6
    )


def test_energy_in_wh_and_power_in_kw() -> None:
    powers = PROFILE["house"]
    rows = history.energy_rows(powers, 48_808_724.8, scale=1000)
    check_energy(rows, powers, 48_808_724.8, scale=1000)
    kw = history.power_rows(powers, scale=history.POWER_SCALE["kW"])
    assert kw[0]["mean"] == pytest.approx(powers[0].mean / 1000)
    assert kw[0]["max"] == pytest.approx(powers[0].max / 1000)


def test_a_negative_counter_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot be continued"):
        history.energy_rows(PROFILE["tv"], -1.0)


@pytest.mark.parametrize(
    ("entity_id", "name", "series"),
    [
        ("sensor.kitchen_kitchen_kettle_energy", "Kitchen kettle Energy", "kettle"),
        ("sensor.living_room_living_room_strip_tv_power", "Living room strip TV power", "tv"),
        ("sensor.living_room_living_room_strip_outlet_2_energy", "Living room strip Outlet 2 energy", "idle"),
        ("sensor.kitchen_kitchen_esp32_meter_power", "Kitchen ESP32 meter Power", "kitchen"),
        ("sensor.utility_room_utility_room_pzem_004t_energy", "Utility room PZEM-004T Energy", "utility"),
        ("sensor.elnet_meter_1124094_grid_energy", "ELNET meter 1124094 Grid energy", "grid"),
        ("sensor.elnet_meter_1124094_generator_energy", "ELNET meter 1124094 Generator energy", "generator"),
        ("sensor.elnet_meter_1124094_present_load", "ELNET meter 1124094 Present load", "house"),
        ("sensor.elnet_meter_1124094_grid_energy_today", "ELNET meter 1124094 Grid energy today", None),
        ("sensor.home_cost_today", "Home Cost today", None),
    ],
)  # fmt: skip
def test_series_for(entity_id: str, name: str, series: str | None) -> None:
    assert history.series_for(entity_id, name) == series


def test_own_rows_move_up_once_they_exist() -> None:
    since = datetime(2026, 12, 6, 9, tzinfo=UTC)
    pending: dict[str, dict[str, object]] = {
        "sensor.kettle_energy": {"from": since.isoformat(), "adjustment": 4.6},
        "sensor.meter_energy": {"from": since.isoformat(), "adjustment": 18.4},
    }
    # Before HA's first 5-minute row nothing would move: both wait.
    assert history.due_adjustments(pending, {}) == []
    first = {"sensor.kettle_energy": since + timedelta(minutes=20)}
    assert history.due_adjustments(pending, first) == ["sensor.kettle_energy"]
    # A row from before the imported week's end is not HA's own continuation.
    first = {"sensor.meter_energy": since - timedelta(minutes=5)}
    assert history.due_adjustments(pending, first) == []
