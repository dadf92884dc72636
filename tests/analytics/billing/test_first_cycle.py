"""A partial first cycle: the bill of a sensor (or an install) new mid-cycle.

Issue 14, as a new user saw it: a fresh bill read 0.00 kWh beside a cost of
10.20 (the fixed charge accrued since the cycle started, and its tax), every
billed sensor "cost" an equal share of it with no energy, the projected bill was
59.00 (the whole fixed charge for nothing) before any complete day, and after a
mid-cycle install the days before it counted as days of no use. The rule now
(docs/billing.md): the cycle is counted from the sensors' first statistics.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.intelergy.core.tariff import Tariff
from tests.recorder import auto_enable_custom_integrations  # noqa: F401

from .common import (
    HOUR,
    SEED,
    billing_entry,
    call,
    energy_sensor,
    import_rows,
    setup_integration,
    usage_rows,
)
from .test_bills import sensor_states

pytestmark = pytest.mark.databases  # SQLite, PostgreSQL, MariaDB (tests/databases.py)

D = Decimal
INSTALL = datetime(2026, 10, 10, 14, tzinfo=UTC)  # the first statistics row


async def refresh(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, when: datetime
) -> None:
    """The billing sensors' refresh after the recorder's run at ``when``."""
    freezer.move_to(when)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_a_fresh_bill(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Set up on 10 October at 14:00, a plug billed beside the main meter."""
    await hass.config.async_set_time_zone("UTC")
    freezer.move_to(INSTALL)
    energy_sensor(hass, "sensor.main_energy")
    energy_sensor(hass, "sensor.plug_energy")
    entry = billing_entry(hass, ["sensor.main_energy", "sensor.plug_energy"])
    await setup_integration(hass, entry)
    # No statistics yet: nothing is known, nothing is charged (it was the fixed
    # charge since 1 October and its tax, 18.24, half of it on each sensor).
    states = sensor_states(hass, entry)
    assert states["energy_cycle"].state == "0.0"
    assert float(states["cost_cycle"].state) == 0.0
    assert float(states["sensor_cost_main"].state) == 0.0
    assert float(states["sensor_cost_plug"].state) == 0.0
    assert states["projected_cost"].state == "unknown"

    # The first hour compiled: 0.3 kWh on the main meter, nothing on the plug.
    await import_rows(hass, "sensor.main_energy", usage_rows(INSTALL, [0.3]))
    await refresh(hass, freezer, INSTALL.replace(hour=15, minute=5, second=40))
    states = sensor_states(hass, entry)
    assert states["energy_cycle"].state == "0.3"
    assert states["energy_cycle"].attributes["counted_from"] == (
        "2026-10-10T14:00:00+00:00"
    )
    # 0.3 kWh at 3.50 = 1.05; the fixed charge for 65 min 40 s of the cycle's
    # 744 hours (not for 9 days 15 hours: 15.56, which read 10.20 with no
    # energy on a fresher bill); 18 % tax: 1.05 + 0.07 + 0.20.
    assert float(states["cost_cycle"].state) == 1.32
    assert states["cost_cycle"].attributes["fixed_charge"] == 0.07
    # The plug used nothing: no share of the fixed charge.
    assert float(states["sensor_cost_main"].state) == 1.32
    assert float(states["sensor_cost_plug"].state) == 0.0
    assert states["sensor_cost_plug"].attributes["energy_kwh"] == 0.0
    assert float(states["cost_today"].state) == 1.32
    # No complete day yet: no projection (it read 59.00: the fixed charge).
    assert states["projected_cost"].state == "unknown"
    assert states["projected_energy"].state == "unknown"
    with pytest.raises(ServiceValidationError) as raised:
        await call(hass, "predict_bill")
    assert raised.value.translation_key == "billing_not_enough_history"


async def test_a_cycle_after_a_mid_cycle_install(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Three days after the install: two complete days, the 10th in part."""
    await hass.config.async_set_time_zone("UTC")
    now = datetime(2026, 10, 13, 10, 2, tzinfo=UTC)
    freezer.move_to(now)
    energy_sensor(hass, "sensor.main_energy")
    # 10 October 14:00-24:00 at 0.5 kWh an hour (5 kWh); the 11th at 1.0 (24);
    # the 12th at 1.5 (36); the 13th to 10:00 at 1.0 (10): 75 kWh.
    usage = [0.5] * 10 + [1.0] * 24 + [1.5] * 24 + [1.0] * 10
    await import_rows(hass, "sensor.main_energy", usage_rows(INSTALL, usage))
    entry = billing_entry(hass, ["sensor.main_energy"])
    await setup_integration(hass, entry)
    forecast = await call(hass, "predict_bill", method="average")
    assert forecast["counted_from"] == "2026-10-10T14:00:00+00:00"
    assert forecast["statistics_start"] == "2026-10-10T14:00:00+00:00"
    # The 11th and the 12th: the days before the install are not days of no
    # use (there were 12 "complete" days, 9 of them at 0 kWh).
    assert forecast["complete_days"] == 2
    assert forecast["used_kwh"] == 75.0
    average = forecast["methods"]["average"]
    # 5 (the 10th, in part) + 24 + 36 + 30 a day for the 19 days from the 13th.
    assert average["projected_kwh"] == pytest.approx(5 + 60 + 30 * 19)
    spread = float(D(72).sqrt()) * 19**0.5  # the sample deviation of 24 and 36
    assert average["low_kwh"] == pytest.approx(635 - spread, abs=0.001)
    assert average["high_kwh"] == pytest.approx(635 + spread, abs=0.001)
    assert 75 < average["low_kwh"] < average["projected_kwh"] < average["high_kwh"]
    # The bill of the known part: the fixed charge from 10 October 14:00 on.
    tariff = Tariff.from_dict(entry.options["tariff"])
    bill = tariff.bill(D("635.000"), fixed_fraction=D(514 * 3600) / D(744 * 3600))
    assert average["total"] == float(bill.total)
    assert average["fixed_charge"] == float(bill.fixed_charge) == 34.54

    states = sensor_states(hass, entry)
    assert states["energy_cycle"].state == "75.0"
    assert float(states["projected_energy"].state) == pytest.approx(635.0)
    assert float(states["projected_cost"].state) == float(bill.total)
    # Each projection's band in its own unit.
    assert set(states["projected_energy"].attributes) >= {"low_kwh", "high_kwh"}
    assert not {"low", "high"} & set(states["projected_energy"].attributes)
    assert set(states["projected_cost"].attributes) >= {"low", "high", "method"}
    assert not {"low_kwh", "high_kwh"} & set(states["projected_cost"].attributes)
    assert states["projected_energy"].attributes["unit_of_measurement"] == "kWh"
    low = tariff.bill(D(f"{635 - spread:.3f}"), fixed_fraction=D(514) / D(744))
    assert states["projected_cost"].attributes["low"] == float(low.total)

    # The previous cycle, before the statistics: nothing to bill, and why.
    september = await call(hass, "calculate_bill", period="previous_cycle")
    assert (september["energy_kwh"], september["total"]) == (0.0, 0.0)
    assert september["statistics_start"] == "2026-10-10T14:00:00+00:00"
    october = await call(hass, "calculate_bill")
    [cycle] = october["cycles"]
    assert cycle["counted_from"] == "2026-10-10T14:00:00+00:00"
    assert october["energy_kwh"] == 75.0
    assert october["total"] == float(sensor_states(hass, entry)["cost_cycle"].state)


async def test_a_sensor_new_mid_cycle_beside_an_old_one(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """A plug new on the 10th beside a meter with history: the cycle is whole."""
    await hass.config.async_set_time_zone("UTC")
    now = datetime(2026, 10, 13, 10, 2, tzinfo=UTC)
    freezer.move_to(now)
    energy_sensor(hass, "sensor.main_energy")
    energy_sensor(hass, "sensor.plug_energy")
    october = datetime(2026, 10, 1, tzinfo=UTC)
    hours = int((now.replace(minute=0) - october) / HOUR)
    await import_rows(hass, "sensor.main_energy", usage_rows(october, [1.0] * hours))
    await import_rows(hass, "sensor.plug_energy", usage_rows(INSTALL, [0.5] * 68))
    entry = billing_entry(hass, ["sensor.main_energy", "sensor.plug_energy"], SEED)
    await setup_integration(hass, entry)
    forecast = await call(hass, "predict_bill", method="average")
    assert forecast["counted_from"] == "2026-10-01T00:00:00+00:00"
    assert forecast["complete_days"] == 12
    states = sensor_states(hass, entry)
    assert states["cost_cycle"].attributes["counted_from"] == (
        "2026-10-01T00:00:00+00:00"
    )
    assert states["cost_cycle"].attributes["fixed_charge"] == round(
        50 * (12 * 24 + 10 + 2 / 60) / 744, 2
    )
