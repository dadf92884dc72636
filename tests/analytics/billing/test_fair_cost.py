"""Fair per-sensor costs: each hour at its price; they and the household add up.

Recorded hourly statistics in a real Home Assistant; the sensors' *Cost this
cycle* and *Household share this cycle* against *Cost this cycle*.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
import math
from typing import Any
from unittest.mock import patch
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from hypothesis import HealthCheck, given, settings, strategies as st
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.intelergy.analytics.billing import hourly
from custom_components.intelergy.analytics.billing.bills import CycleSoFar
from custom_components.intelergy.analytics.billing.hourly import (
    IN_PROGRESS,
    fixed_share,
    hour_uses,
    sensor_hours,
)
from custom_components.intelergy.const import DOMAIN
from custom_components.intelergy.core.allocation import HourUse
from custom_components.intelergy.core.ledger import cycle_bounds
from custom_components.intelergy.core.tariff import Slab, Tariff, TariffError, TouBand
from tests.recorder import auto_enable_custom_integrations  # noqa: F401

from .common import (
    HOUR,
    SEED,
    billing_entry,
    energy_sensor,
    import_rows,
    setup_integration,
    usage_rows,
)

D = Decimal
OCT = datetime(2026, 10, 1, tzinfo=UTC)
# Night 22 -> 6 at 2.00; the rest climbs 0-100 at 3.50, 100-300 at 4.50, 6.00.
TOU = Tariff(
    "INR",
    slabs=SEED.slabs,
    fixed_charge=D(50),
    tax_percent=D(18),
    tou_bands=(TouBand("night", 22, 6, D(2)),),
)
# Night only: the heater runs 22:00-02:00 each night, 1.25 kWh an hour.
HEATER = [1.25 if (hour % 24) in (22, 23, 0, 1) else 0.0 for hour in range(58)]
# The fridge: 0.4 an hour, a dip of 0.3 on the second morning and its recovery.
FRIDGE = [0.4] * 58
FRIDGE[30], FRIDGE[31] = -0.3, 1.1
# The oven: lots of energy in the day, climbing the slabs.
OVEN = [3.0 if 12 <= (hour % 24) < 15 else 0.0 for hour in range(58)]


def state_of(hass: HomeAssistant, entry: MockConfigEntry, key: str) -> Any:
    entity_id = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{entry.entry_id}_{key}"
    )
    assert entity_id is not None
    return hass.states.get(entity_id)


async def house(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    tariff: Tariff = TOU,
    **options: Any,
) -> MockConfigEntry:
    await hass.config.async_set_time_zone("UTC")
    freezer.move_to(OCT + 58 * HOUR + timedelta(minutes=2))
    for name, usage in (("heater", HEATER), ("fridge", FRIDGE), ("oven", OVEN)):
        energy_sensor(hass, f"sensor.{name}")
        await import_rows(hass, f"sensor.{name}", usage_rows(OCT, usage))
    energy_sensor(hass, "sensor.idle")
    await import_rows(hass, "sensor.idle", usage_rows(OCT, [0.0] * 58))
    entry = billing_entry(
        hass, ["sensor.heater", "sensor.fridge", "sensor.oven", "sensor.idle"], tariff
    )
    hass.config_entries.async_update_entry(entry, options={**entry.options, **options})
    await setup_integration(hass, entry)
    return entry


def costs(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Decimal]:
    registry = er.async_get(hass)
    found = {}
    for name in ("heater", "fridge", "oven", "idle"):
        key = f"{entry.entry_id}_sensor_cost_sensor.{name}"
        entity_id = registry.async_get_entity_id("sensor", DOMAIN, key)
        assert entity_id is not None, key
        found[name] = D(hass.states.get(entity_id).state)  # type: ignore[union-attr]
    return found


async def test_costs_add_up_to_the_bill_exactly(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    entry = await house(hass, freezer)
    total = D(state_of(hass, entry, "cost_cycle").state)
    household = D(state_of(hass, entry, "household_share").state)
    per_sensor = costs(hass, entry)
    assert sum(per_sensor.values()) + household == total
    assert per_sensor["idle"] == 0
    assert household == 0  # fixed lines go with the energy by default
    # The heater's energy is all at night: 2.00 a kWh, not the slabs' 3.50.
    # 10 hours x 1.25 = 12.5 kWh -> 25.00, + its share of the fixed charge, + 18 %.
    # (By energy alone it would pay the slabs' average price: 12.5 / 53.7 of it.)
    assert per_sensor["heater"] < per_sensor["oven"] < per_sensor["fridge"]
    coordinator = entry.runtime_data.coordinator
    allocation = coordinator.data.allocation
    assert allocation is not None
    fixed = allocation.bill.line("fixed")
    share = D(12.5) / allocation.bill.energy_kwh
    expected = (D(25) + fixed * share) * D("1.18")
    # (the tax and fixed lines are rounded before they are shared: within a cent)
    assert abs(allocation.exact["sensor.heater"] - Fraction(expected)) < Fraction(
        1, 100
    )


async def test_fixed_lines_on_the_household(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    no_tax = Tariff(
        "INR", slabs=SEED.slabs, fixed_charge=D(50), tou_bands=TOU.tou_bands
    )
    entry = await house(hass, freezer, no_tax, fixed_share="household")
    share = state_of(hass, entry, "household_share")
    assert share.attributes["fixed_share"] == "household"
    per_sensor = costs(hass, entry)
    total = D(state_of(hass, entry, "cost_cycle").state)
    assert sum(per_sensor.values()) + D(share.state) == total
    # The heater: 12.5 night kWh at 2.00, nothing else.
    assert per_sensor["heater"] == D("25.00")
    assert per_sensor["idle"] == 0
    # The household keeps the fixed charge accrued over 58 of 744 hours.
    assert D(share.state) == (D(50) * 58 / 744).quantize(D("0.01"))


async def test_new_hours_are_read_and_a_backlog_reads_the_cycle_again(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    entry = await house(hass, freezer)
    reader = entry.runtime_data.coordinator.hourly
    assert reader.reads == [(OCT, OCT + 58 * HOUR)]
    # The next hour is compiled: only the last kept hour and it are read.
    for name in ("heater", "fridge", "oven", "idle"):
        await import_rows(hass, f"sensor.{name}", usage_rows(OCT + 58 * HOUR, [0.5],
                          total={"heater": sum(HEATER), "fridge": sum(FRIDGE),
                                 "oven": sum(OVEN), "idle": 0.0}[name]))  # fmt: skip
    freezer.move_to(OCT + 59 * HOUR + timedelta(minutes=5, seconds=40))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert reader.reads[1:] == [(OCT + 57 * HOUR, OCT + 59 * HOUR)]
    total = D(state_of(hass, entry, "cost_cycle").state)
    assert sum(costs(hass, entry).values()) == total
    # A backlog lands in the first hours: the kept rows no longer add up.
    await import_rows(hass, "sensor.idle", usage_rows(OCT, [0.0, 2.0] + [0.0] * 56))
    await import_rows(hass, "sensor.idle", usage_rows(OCT + 58 * HOUR, [0.5], total=2))
    freezer.move_to(OCT + 59 * HOUR + timedelta(minutes=10, seconds=40))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert reader.reads[2:] == [(OCT, OCT + 59 * HOUR)]
    per_sensor = costs(hass, entry)
    assert per_sensor["idle"] > 0
    assert sum(per_sensor.values()) == D(state_of(hass, entry, "cost_cycle").state)


async def test_a_bill_the_hours_cannot_make_falls_back_to_energy_shares(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    real = hourly.allocate

    def off_by_a_cent(*args: Any, **kwargs: Any) -> Any:
        allocation = real(*args, **kwargs)
        bill = allocation.bill
        return type(allocation)(
            allocation.per_sensor,
            allocation.household,
            type(bill)(
                **{
                    **{f: getattr(bill, f) for f in bill.__slots__},
                    "total": bill.total + D("0.01"),
                }
            ),
            allocation.exact,
            allocation.household_exact,
        )

    with patch.object(hourly, "allocate", off_by_a_cent):
        entry = await house(hass, freezer)
    coordinator = entry.runtime_data.coordinator
    assert coordinator.data.allocation is None
    so_far = coordinator.data.so_far
    per_sensor = costs(hass, entry)
    assert per_sensor["oven"] == so_far.sensor_cost["sensor.oven"]
    household = D(state_of(hass, entry, "household_share").state)
    assert sum(per_sensor.values()) + household == so_far.bill.total


async def test_an_allocation_error_falls_back_to_energy_shares(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    with patch.object(hourly, "allocate", side_effect=TariffError("no")):
        entry = await house(hass, freezer)
    assert entry.runtime_data.coordinator.data.allocation is None
    assert costs(hass, entry)["idle"] == 0


def test_fixed_share_option() -> None:
    assert fixed_share({}) == "energy"
    assert fixed_share({"fixed_share": "household"}) == "household"
    assert fixed_share({"fixed_share": "nonsense"}) == "energy"


def test_sensor_hours_round_as_a_running_total_and_carry_dips() -> None:
    # Three hours of 0.0004 kWh: 0, 1, 0 Wh, not 0, 0, 0.
    assert sensor_hours({0: 0.0004, 3600: 0.0004, 7200: 0.0004}, 0.0012) == {3600: 1}
    # A dip is taken from the hour after it; the hour in progress ends the total.
    assert sensor_hours({0: 1.0, 3600: -0.5, 7200: 2.0}, 3.0) == {
        0: 1000,
        7200: 1500,
        IN_PROGRESS: 500,
    }
    # A total that went down adds nothing; a broken value counts 0.
    assert sensor_hours({0: 1.0, 3600: float("nan")}, 0.5) == {0: 1000}


def test_hours_are_fitted_to_the_bill() -> None:
    tariff = Tariff("INR", slabs=(Slab(None, D(1)),), tou_bands=TOU.tou_bands)
    tz = ZoneInfo("UTC")
    night = 23 * 3600.0
    noon = 12 * 3600.0
    rows = {"a": {noon: 1.0, night: 2.0}, "b": {noon: 1.0}}
    # The bill has 1 kWh more night energy and 0.5 less slab energy than the rows.
    bill = tariff.bill(D("4.5"), tou_kwh={"night": D(3)})
    hours = hour_uses(tariff, rows, {"a": 3.0, "b": 1.0}, bill, tz)
    assert hours == [
        HourUse(None, {"a": D("0.500"), "b": D("1.000")}),
        HourUse("night", {"a": D("3.000")}),
    ]
    # Night energy in the bill but no night hour in the rows: one is added.
    bill = tariff.bill(D(3), tou_kwh={"night": D(1)})
    hours = hour_uses(tariff, {"a": {noon: 2.0}}, {"a": 2.0, "b": 0.0}, bill, tz)
    assert hours == [HourUse(None, {"a": D("2.000")}), HourUse("night", {"a": D(1)})]
    # No sensor: nothing to give the energy to.
    assert hour_uses(tariff, {}, {}, bill, tz) == []


# --- Folded refreshes (FairCosts) give the allocation of the whole cycle ----------

CHANGES = st.sampled_from([0.0, 0.0, 0.0004, 0.0005, 0.1, 0.25, 1.0, 2.5, -0.3, 0.5004])
LIMITED = Tariff(
    "INR",
    slabs=SEED.slabs,
    fixed_charge=D(50),
    rebate_per_kwh=D("0.5"),
    rebate_flat=D(10),
    rebate_limit=D(30),
    tou_bands=(TouBand("night", 22, 6, D(2)),),
)


def so_far_at(
    tariff: Tariff,
    rows: dict[str, dict[float, float]],
    now: datetime,
    in_progress: dict[str, float],
    skew: dict[str | None, int],
) -> CycleSoFar:
    """The cycle so far at ``now`` as ``bills`` would price it from ``rows``.

    ``skew``: Wh the bill's energy per band differs from the rows by (rounding,
    a backlog not compiled yet), so the hours must be fitted.
    """
    tz = ZoneInfo("UTC")
    cycle = tariff.cycle.containing(now, tz)
    start, end = cycle_bounds(cycle, tz)
    sensor_kwh = {
        sensor: math.fsum(by.values()) + in_progress.get(sensor, 0.0)
        for sensor, by in rows.items()
    }
    bands: dict[str | None, float] = {}
    for by in rows.values():
        for stamp, change in by.items():
            band = tariff.band_for_hour(datetime.fromtimestamp(stamp, tz).hour)
            name = None if band is None else band.name
            bands[name] = bands.get(name, 0.0) + change
    tou = {
        band.name: max(
            D(0),
            D(round(bands.get(band.name, 0.0) * 1000) + skew.get(band.name, 0)) / 1000,
        )
        for band in tariff.tou_bands
    }
    total = max(
        sum(tou.values(), D(0)),
        D(round(math.fsum(sensor_kwh.values()) * 1000) + skew.get(None, 0)) / 1000,
    )
    so_far = CycleSoFar(
        now=now,
        cycle=cycle,
        cycle_start=start,
        cycle_end=end,
        counted_from=start,
        day_start=start,
        bill=tariff.bill(total),
        today=None,  # type: ignore[arg-type]  # not used by the allocation
        sensor_kwh=sensor_kwh,
        sensor_cost={},
        daily={},
        remaining=[],
        tou_share={},
    )
    fraction = hourly.bill_fraction(so_far)
    priced = {k: v for k, v in tou.items() if v}
    return replace(
        so_far, bill=tariff.bill(total, tou_kwh=priced, fixed_fraction=fraction)
    )


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_folded_refreshes_share_as_the_whole_cycle(data: st.DataObject) -> None:
    """Refresh after refresh, what FairCosts keeps folded changes nothing."""
    tariff = data.draw(st.sampled_from([TOU, LIMITED, replace(TOU, tou_bands=())]))
    sensors = data.draw(
        st.lists(st.sampled_from("abcd"), min_size=1, max_size=4, unique=True)
    )
    hours = data.draw(st.integers(1, 60))
    usage = {
        sensor: data.draw(st.lists(st.none() | CHANGES, min_size=hours, max_size=hours))
        for sensor in sensors
    }
    refreshes = sorted(
        data.draw(st.sets(st.integers(1, hours), min_size=1, max_size=6))
    )
    fair = hourly.FairCosts()
    tz = ZoneInfo("UTC")
    with patch.object(
        hourly, "KEEP_BACK", timedelta(hours=data.draw(st.integers(0, 6)))
    ):
        for at in refreshes:
            now = OCT + at * HOUR + timedelta(minutes=7)
            rows = {
                sensor: {
                    (OCT + n * HOUR).timestamp(): change
                    for n, change in enumerate(usage[sensor][:at])
                    if change is not None
                }
                for sensor in sensors
            }
            in_progress = {
                s: data.draw(st.sampled_from([0.0, 0.2, 0.0006])) for s in sensors
            }
            skew = {
                band: data.draw(st.integers(-3, 3) | st.integers(-2500, 2500))
                for band in [None, *(b.name for b in tariff.tou_bands)]
            }
            so_far = so_far_at(tariff, rows, now, in_progress, skew)
            for fixed in ("energy", "household"):
                whole = hourly.fair_costs(tariff, so_far, rows, fixed, tz)  # type: ignore[arg-type]
                kept = fair.compute(tariff, so_far, rows, fixed, tz, generation=1)  # type: ignore[arg-type]
                assert kept == whole
                if whole is not None:
                    assert list(kept.per_sensor) == list(whole.per_sensor)  # type: ignore[union-attr]
                    assert whole.bill.total == so_far.bill.total


async def test_the_reader_keeps_only_its_last_reads() -> None:
    """A refresh every 5 minutes, for months: ``reads`` stays a few entries long.

    Found by benchmarks/household_day.py's tracemalloc (288 entries a day).
    """
    reader = hourly.HourlyReader()

    async def changes(*_args: Any) -> dict[str, Any]:
        return {}

    async def sums(*_args: Any) -> dict[str, Any]:
        return {}

    with (
        patch.object(hourly, "async_changes", changes),
        patch.object(hourly, "async_sums_at", sums),
    ):
        for hour in range(1, 40):
            await reader.async_rows(None, ["sensor.a"], OCT, OCT + hour * HOUR)  # type: ignore[arg-type]
    assert len(reader.reads) == hourly.KEEP_READS
    assert reader.reads[-1] == (OCT + 37 * HOUR, OCT + 39 * HOUR)  # the last hour again
