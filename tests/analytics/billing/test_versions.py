"""Dated tariff versions end to end: pro rata, revisions in the options, every line.

One sensor uses 10 kWh a day (2.5 kWh in each of the rows at 00, 06, 12 and 18
UTC), so September's 30 days are 300 kWh and every figure below is worked by hand.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.intelergy.analytics.billing.bills import (
    async_cycle_so_far,
    projections,
)
from custom_components.intelergy.analytics.billing.const import (
    CONF_ENTITIES,
    CONF_METHOD,
    CONF_NAME,
    CONF_TARIFF,
)
from custom_components.intelergy.analytics.billing.household import (
    household,
    stored_schedule,
)
from custom_components.intelergy.const import CONF_KIND, DOMAIN, KIND_BILLING
from custom_components.intelergy.core.ledger import Part, cycle_bounds
from custom_components.intelergy.core.prediction import Method
from custom_components.intelergy.core.tariff import LINE_KEYS, Tariff
from tests.recorder import auto_enable_custom_integrations  # noqa: F401

from .common import (
    SEED,
    billing_entry,
    call,
    energy_sensor,
    import_rows,
    setup_integration,
)
from .test_actions import pdf_text

D = Decimal
SEP = datetime(2026, 9, 1, tzinfo=UTC)
NOW = datetime(2026, 10, 10, 12, 30, tzinfo=UTC)
SENSOR = "sensor.home_energy"
# The revision of 21 September: one open slab at 5.00, 80 fixed, 5 % duty and
# a fuel adjustment of 0.25 per kWh; 18 % tax as before.
REVISED = Tariff.from_dict(
    {
        "currency": "INR",
        "slabs": [{"upto": None, "rate": "5.00"}],
        "fixed_charge": "80",
        "tax_percent": "18",
        "duty_percent": "5",
        "fac_per_kwh": "0.25",
    }
)
FLAT = Tariff.from_dict({"currency": "INR", "slabs": [{"upto": None, "rate": "5"}]})
NIGHT = {
    "currency": "INR",
    "slabs": [{"upto": None, "rate": "4"}],
    "tou_bands": [{"name": "night", "start": 0, "end": 6, "rate": "2"}],
}


def versions(*pairs: tuple[str, Tariff]) -> dict[str, Any]:
    """``TariffSchedule.as_dict()`` of (effective date, tariff) pairs."""
    return {
        "versions": [
            {"effective": effective, "tariff": tariff.as_dict()}
            for effective, tariff in pairs
        ]
    }


def entry_with(
    hass: HomeAssistant, stored: Any, title: str = "Home"
) -> MockConfigEntry:
    """A billing entry whose options hold ``stored`` under ``tariff``."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=title,
        data={CONF_KIND: KIND_BILLING, CONF_NAME: title},
        options={CONF_ENTITIES: [SENSOR], CONF_TARIFF: stored, CONF_METHOD: "average"},
    )
    entry.add_to_hass(hass)
    return entry


async def ten_a_day(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """UTC, now 10 October 12:30; 2.5 kWh every 6 hours since 1 September."""
    await hass.config.async_set_time_zone("UTC")
    freezer.move_to(NOW)
    energy_sensor(hass, SENSOR, name="Home")
    found, total, when = [], 0.0, SEP
    while when + timedelta(hours=1) <= NOW:
        total += 2.5
        found.append((when, 100.0 + total, total))
        when += timedelta(hours=6)
    await import_rows(hass, SENSOR, found)


def amounts(lines: list[dict[str, Any]]) -> dict[str, float]:
    return {line["key"]: line["amount"] for line in lines}


async def test_a_cycle_straddling_a_revision_is_billed_pro_rata(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """September with a revision on the 21st: 20 days of SEED, 10 of REVISED.

    Segment 1 (2/3 of the cycle, 200 kWh): SEED's slabs scaled to 66.667 and
    200 kWh: 200/3 * 3.50 + 400/3 * 4.50 = 233.333 + 600 = 833.333.
    Segment 2 (1/3, 100 kWh): 100 * 5.00 = 500. Energy 1333.33.
    Fixed: 50 * 2/3 + 80 * 1/3 = 60.00. Duty: 5 % of 500 = 25.00. FAC: 0.25 *
    100 = 25.00. Tax: 18 % of (1333.33 + 60.00) = 250.7994 -> 250.80.
    Total 1333.33 + 60 + 25 + 25 + 250.80 = 1694.13.
    """
    await ten_a_day(hass, freezer)
    entry = entry_with(hass, versions(("0001-01-01", SEED), ("2026-09-21", REVISED)))
    await setup_integration(hass, entry)
    result = await call(hass, "calculate_bill", period="previous_cycle")
    assert result["energy_kwh"] == 300.0
    assert result["total"] == 1694.13
    assert [line["key"] for line in result["lines"]] == [
        "energy",
        "fixed",
        "duty",
        "fac",
        "tax",
    ]
    assert amounts(result["lines"]) == {
        "energy": 1333.33,
        "fixed": 60.0,
        "duty": 25.0,
        "fac": 25.0,
        "tax": 250.8,
    }
    assert result["lines"][0] == {
        "key": "energy",
        "label": "Energy charge",
        "amount": 1333.33,
        "basis": {"kwh": 300.0},
    }
    assert result["cycles"][0]["lines"] == result["lines"]
    # The same September under one tariff is what the rule replaces.
    one = await call(hass, "calculate_bill", start="2026-08-01T00:00:00+00:00")
    assert one["cycles"][1]["total"] == 1694.13
    # October is inside the revision: REVISED alone (95 kWh so far), fixed accrued.
    october = await call(hass, "calculate_bill")
    assert october["energy_charge"] == 475.0


async def test_the_cycle_so_far_and_its_projection_use_the_rates_in_force(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """A revision on 6 October: 50 kWh before it, 45 after (now 10 October 12:30)."""
    await ten_a_day(hass, freezer)
    entry = entry_with(hass, versions(("0001-01-01", SEED), ("2026-10-06", REVISED)))
    house = household(entry)
    so_far = await async_cycle_so_far(
        hass, house.schedule, [SENSOR], NOW, dt_util.get_default_time_zone()
    )
    cycle = so_far.cycle
    start, end = cycle_bounds(cycle, UTC)
    fraction = Part(cycle, start, end, start, NOW).fraction(NOW)
    assert so_far.segment_kwh == (50.0, 45.0)
    assert so_far.bill == house.schedule.bill(
        cycle, [D(50), D(45)], fixed_fraction=fraction
    )
    # Not what today's tariff alone would bill.
    assert so_far.bill.total != REVISED.bill(D(95), fixed_fraction=fraction).total
    # Today: 5 kWh at 5.00 (+ duty, FAC, tax, fixed accrual) — priced by REVISED.
    assert so_far.today.kwh == D(5)
    assert so_far.today.energy_charge == D("25.00")
    found = projections(so_far, house.schedule, [Method.AVERAGE])
    assert found is not None
    projected = found[Method.AVERAGE]
    # 10 kWh a day: 310 kWh; 21.5 days still to come, all after the revision
    # (the 22 remaining days counted whole: 215 kWh more -> 50 / 260).
    assert projected.projection.projected_kwh == pytest.approx(310.0)
    assert projected.bill == house.schedule.bill(cycle, [D(50), D(260)])


async def test_editing_rates_today_keeps_last_cycle(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """The options' new rates take effect today: September's bill does not move."""
    await ten_a_day(hass, freezer)
    entry = billing_entry(hass, [SENSOR])  # a plain, old-style tariff
    await setup_integration(hass, entry)
    before = await call(hass, "calculate_bill", period="previous_cycle")
    # 300 kWh: 350 + 900 = 1250; + 50 = 1300; + 18 % = 1534.00.
    assert before["total"] == 1534.0
    result = await hass.config_entries.options.async_init(entry.entry_id)
    settings = {
        "entities": [SENSOR],
        "currency": "INR",
        "cycle_type": "monthly",
        "tariff_type": "slabs",
        "fixed_charge": 50,
        "fixed_per_kw": 0,
        "sanctioned_kw": 0,
        "tax_percent": 18,
        "method": "average",
    }
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], settings
    )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            "cycle": {"cycle_day": 1},
            "slabs": [{"rate": 9.0}],
            "charges": {"meter_rent": 20, "taxed_lines": ["energy"]},
        },
    )
    assert result["step_id"] == "billing_revision"
    assert result["description_placeholders"]["versions"] == "from the start (in force)"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"effective": "2026-10-10"}
    )
    assert result["type"] == "create_entry"
    await hass.async_block_till_done()
    schedule = stored_schedule(entry.options)
    assert [v.effective for v in schedule.versions] == [date.min, date(2026, 10, 10)]
    assert schedule.versions[1].tariff.meter_rent == 20
    assert schedule.versions[1].tariff.taxed_lines == ("energy",)
    after = await call(hass, "calculate_bill", period="previous_cycle")
    assert after == before
    # The next edit lists both versions.
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], settings
    )
    charges = next(key for key in result["data_schema"].schema if str(key) == "charges")
    assert result["data_schema"].schema[charges].options == {"collapsed": True}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"cycle": {"cycle_day": 1}, "slabs": [{"rate": 7.0}]}
    )
    assert result["description_placeholders"]["versions"] == (
        "from the start; from 2026-10-10 (in force)"
    )
    # A future version, then removed again.
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"effective": "2026-11-01"}
    )
    assert [v.effective for v in stored_schedule(entry.options).versions][-1] == date(
        2026, 11, 1
    )
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], settings
    )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"cycle": {"cycle_day": 1}, "slabs": [{"rate": 9.0}]}
    )
    assert "(future)" in result["description_placeholders"]["versions"]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {"effective": "2026-10-10", "remove_versions": ["2026-11-01"]},
    )
    assert [v.effective for v in stored_schedule(entry.options).versions] == [
        date.min,
        date(2026, 10, 10),
    ]


async def test_a_new_cycle_among_versions_is_refused(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Versions change prices, not cycles: the revision step says why."""
    await ten_a_day(hass, freezer)
    entry = entry_with(hass, versions(("0001-01-01", SEED), ("2026-09-21", REVISED)))
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            "entities": [SENSOR],
            "currency": "INR",
            "cycle_type": "monthly",
            "tariff_type": "slabs",
            "fixed_charge": 0,
            "fixed_per_kw": 0,
            "sanctioned_kw": 0,
            "tax_percent": 0,
            "method": "average",
        },
    )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"cycle": {"cycle_day": 5}, "slabs": [{"rate": 1.0}]}
    )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"effective": "2026-10-10"}
    )
    assert result["errors"] == {"base": "invalid_tariff"}
    assert "cycle" in result["description_placeholders"]["error"]


async def test_an_old_style_entry_bills_as_before(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """A plain stored tariff and the same as one version since ever: same bills."""
    await ten_a_day(hass, freezer)
    old = entry_with(hass, SEED.as_dict(), "Old")
    new = entry_with(hass, versions(("0001-01-01", SEED)), "New")
    await setup_integration(hass, old, new)
    assert household(old).schedule == household(new).schedule
    first = await call(
        hass, "calculate_bill", config_entry_id=old.entry_id, period="previous_cycle"
    )
    second = await call(
        hass, "calculate_bill", config_entry_id=new.entry_id, period="previous_cycle"
    )
    assert {**first, "household": "New"} == second
    assert first["total"] == 1534.0
    assert amounts(first["lines"]) == {"energy": 1250.0, "fixed": 50.0, "tax": 234.0}
    assert first["lines"][-1]["label"] == "Tax (18%)"


ALL_LINES = Tariff.from_dict(
    {
        "currency": "INR",
        "slabs": [{"upto": None, "rate": "4"}],
        "fixed_charge": "40",
        "tax_percent": "10",
        "duty_percent": "5",
        "duty_per_kwh": "0.1",
        "fac_per_kwh": "0.3",
        "meter_rent": "15",
        "minimum_charge": "2000",
        "rebate_per_kwh": "0.5",
        "rebate_flat": "10",
        "rebate_limit": "100",
        "taxed_lines": ["energy", "fixed", "duty", "meter_rent"],
    }
)


async def test_every_line_in_the_response_and_the_invoice(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    tmp_path: Path,
) -> None:
    """September (300 kWh) under a tariff with every line.

    Energy 1200; fixed 40; duty 5 % of 1200 + 0.1 * 300 = 90; FAC 90; meter
    rent 15; minimum 2000 - 1240 = 760; rebate min(100, 10 + 150) = 100; tax 10 %
    of (1200 + 40 + 90 + 15) = 134.50. Total 1200 + 40 + 90 + 90 + 15 + 760 -
    100 + 134.50 = 2229.50.
    """
    hass.config.config_dir = str(tmp_path)
    assert await async_setup_component(hass, "http", {})
    await ten_a_day(hass, freezer)
    entry = billing_entry(hass, [SENSOR], ALL_LINES)
    await setup_integration(hass, entry)
    bill = await call(hass, "calculate_bill", period="previous_cycle")
    assert [line["key"] for line in bill["lines"]] == list(LINE_KEYS)
    assert amounts(bill["lines"]) == {
        "energy": 1200.0,
        "fixed": 40.0,
        "duty": 90.0,
        "fac": 90.0,
        "meter_rent": 15.0,
        "minimum": 760.0,
        "rebate": -100.0,
        "tax": 134.5,
    }
    assert bill["total"] == 2229.5
    labels = [line["label"] for line in bill["lines"]]
    assert labels[2] == "Electricity duty 5 % of energy charge + 0.1/kWh"
    assert bill["lines"][2]["basis"] == {"kwh": 300.0, "rate": 0.1, "percent": 5.0}
    invoice = await call(hass, "export_invoice", period="2026-09")
    assert invoice["lines"] == bill["lines"]
    assert invoice["total"] == 2229.5
    text = pdf_text(await hass.async_add_executor_job(Path(invoice["path"]).read_bytes))
    for label in labels:
        assert label in text, label
    assert "-100.00" in text
    predicted = await call(hass, "predict_bill", method="average")
    assert predicted["methods"]["average"]["lines"][0]["key"] == "energy"
    assert predicted["lines_so_far"][0]["key"] == "energy"


async def test_compare_tariffs(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """September under SEED, another entry's flat 5.00 and an inline TOU tariff.

    SEED: 1534.00. Flat: 300 * 5 = 1500.00 (-34.00). Night 00-06 at 2 (the 00:00
    rows: 75 kWh = 150) and 225 kWh at 4 (900): 1050.00 (-484.00).
    """
    await ten_a_day(hass, freezer)
    own = billing_entry(hass, [SENSOR])
    other = billing_entry(hass, [SENSOR], FLAT, title="Flat")
    await setup_integration(hass, own, other)
    result = await call(
        hass,
        "compare_tariffs",
        config_entry_id=own.entry_id,
        period="previous_cycle",
        entries=[other.entry_id],
        tariffs={"Night": NIGHT, "Home": FLAT.as_dict()},
    )
    assert result["start"] == "2026-09-01T00:00:00+00:00"
    assert result["end"] == "2026-10-01T00:00:00+00:00"
    assert result["energy_kwh"] == 300.0
    rows = {row["name"]: row for row in result["bills"]}
    assert list(rows) == ["Home", "Flat", "Night", "Home (2)"]
    assert (rows["Home"]["total"], rows["Home"]["difference"]) == (1534.0, 0.0)
    assert rows["Home"]["source"] == "own"
    assert (rows["Flat"]["total"], rows["Flat"]["difference"]) == (1500.0, -34.0)
    assert rows["Flat"]["config_entry_id"] == other.entry_id
    assert (rows["Night"]["total"], rows["Night"]["difference"]) == (1050.0, -484.0)
    assert rows["Night"]["source"] == "inline"
    assert amounts(rows["Night"]["lines"]) == {"energy": 1050.0}
    assert rows["Home (2)"]["total"] == 1500.0
    # Errors: a bad inline tariff, nothing to compare, another currency.
    with pytest.raises(ServiceValidationError) as bad:
        await call(
            hass,
            "compare_tariffs",
            config_entry_id=own.entry_id,
            tariffs={"Broken": {"currency": "INR", "slabs": [{"rate": "-1"}]}},
        )
    assert bad.value.translation_key == "billing_compare_invalid_tariff"
    assert "Broken" in str(bad.value)
    with pytest.raises(ServiceValidationError) as nothing:
        await call(hass, "compare_tariffs", config_entry_id=own.entry_id)
    assert nothing.value.translation_key == "billing_compare_nothing"
    with pytest.raises(ServiceValidationError) as money:
        await call(
            hass,
            "compare_tariffs",
            config_entry_id=own.entry_id,
            tariffs={"Dollars": {**FLAT.as_dict(), "currency": "USD"}},
        )
    assert money.value.translation_key == "billing_compare_currency"
    with pytest.raises(ServiceValidationError) as wrong:
        await call(
            hass, "compare_tariffs", config_entry_id=own.entry_id, entries=["nope"]
        )
    assert wrong.value.translation_key == "billing_not_an_entry"
