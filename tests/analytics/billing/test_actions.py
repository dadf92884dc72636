"""predict_bill, energy_report and export_invoice; every action's errors."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from http import HTTPStatus
from pathlib import Path
import re
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import (
    area_registry as ar,
    entity_registry as er,
    label_registry as lr,
)
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from sqlalchemy.exc import OperationalError
from yarl import URL

from custom_components.intelergy.const import DOMAIN
from tests.recorder import auto_enable_custom_integrations  # noqa: F401

from .common import (
    HOUR,
    billing_entry,
    call,
    energy_sensor,
    import_rows,
    setup_integration,
    usage_rows,
)
from .test_bills import area_of

SEP = datetime(2026, 9, 1, tzinfo=UTC)
NOW = datetime(2026, 10, 10, 12, 30, tzinfo=UTC)
STEP = 6 * HOUR


def rows(kwh_at: Any, until: datetime = NOW) -> list[tuple[datetime, float, float]]:
    """A row every 6 hours from 1 September (gaps between rows are fine)."""
    found, total, when = [], 0.0, SEP
    while when + HOUR <= until:
        total += kwh_at(when)
        found.append((when, 500.0 + total, total))
        when += STEP
    return found


def kettle(when: datetime) -> float:
    return 4.5 if when.weekday() >= 5 else 3.0  # 12 kWh a weekday, 18 a weekend day


async def household(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> MockConfigEntry:
    """Kitchen (kettle) and living room (TV, through its device); UTC."""
    await hass.config.async_set_time_zone("UTC")
    freezer.move_to(NOW)
    area_of(hass, "sensor.kettle_energy", "Kitchen", via_device=False)
    area_of(hass, "sensor.tv_energy", "Living room", via_device=True)
    energy_sensor(hass, "sensor.kettle_energy", name="Kettle")
    energy_sensor(hass, "sensor.tv_energy", name="TV")
    await import_rows(hass, "sensor.kettle_energy", rows(kettle))
    await import_rows(hass, "sensor.tv_energy", rows(lambda when: 1.5))
    entry = billing_entry(hass, ["sensor.kettle_energy", "sensor.tv_energy"])
    await setup_integration(hass, entry)
    return entry


async def test_predict_bill(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    await household(hass, freezer)
    result = await call(hass, "predict_bill")
    assert result["cycle_start"] == "2026-10-01"
    assert result["cycle_end"] == "2026-10-31"
    assert result["complete_days"] == 9
    # 1-9 October: 7 weekdays of 18 kWh, 2 weekend days of 24; today (a
    # Saturday) until 12:30: 2 rows of 6 kWh.
    daily = [24.0 if date(2026, 10, d).weekday() >= 5 else 18.0 for d in range(1, 10)]
    assert result["used_kwh"] == sum(daily) + 2 * 6.0
    average = result["methods"]["average"]
    assert average["projected_kwh"] == pytest.approx(sum(daily) * 31 / 9, abs=0.001)
    assert average["low_kwh"] < average["projected_kwh"] < average["high_kwh"]
    assert average["low"] < average["total"] < average["high"]
    weekday = result["methods"]["weekday"]
    # 15 weekdays and 7 weekend days still to come (10-31 October).
    assert weekday["projected_kwh"] == pytest.approx(sum(daily) + 15 * 18 + 7 * 24)
    assert set(result["methods"]) == {"average", "weekday", "trend"}
    areas = {a["name"]: a for a in average["areas"]}
    assert set(areas) == {"Kitchen", "Living room"}
    assert round(sum(a["cost"] for a in areas.values()), 2) == average["total"]
    assert round(sum(a["kwh"] for a in areas.values()), 3) == pytest.approx(
        average["projected_kwh"], abs=0.002
    )
    only = await call(hass, "predict_bill", method="trend")
    assert set(only["methods"]) == {"trend"}


async def test_energy_report(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    await household(hass, freezer)
    month = await call(hass, "energy_report", period="2026-09", group_by="month")
    # September: 22 weekdays and 8 weekend days.
    kettle_sep = 22 * 12 + 8 * 18
    assert month["total_kwh"] == kettle_sep + 30 * 6
    assert month["buckets"] == [
        {
            "start": "2026-09-01T00:00:00+00:00",
            "end": "2026-10-01T00:00:00+00:00",
            "kwh": kettle_sep + 180.0,
        }
    ]
    sensors = {s["entity_id"]: s for s in month["sensors"]}
    assert sensors["sensor.kettle_energy"]["buckets"] == [kettle_sep]
    assert {a["name"]: a["buckets"] for a in month["areas"]} == {
        "Kitchen": [kettle_sep],
        "Living room": [180.0],
    }
    week = await call(
        hass,
        "energy_report",
        area_id=ar.async_get(hass).async_get_area_by_name("Living room").id,  # type: ignore[union-attr]
        start="2026-09-07 00:00:00",
        end="2026-09-21 00:00:00",
        group_by="week",
    )
    assert [b["kwh"] for b in week["buckets"]] == [42.0, 42.0]
    assert [s["entity_id"] for s in week["sensors"]] == ["sensor.tv_energy"]
    hours = await call(
        hass,
        "energy_report",
        entity_id="sensor.kettle_energy",
        start="2026-09-01 00:00:00",
        end="2026-09-01 12:00:00",
        group_by="hour",
    )
    # Every hour of the period, 0 where the kettle used nothing: rows every 6
    # hours (the report left the hours without a row out: issue 14).
    assert [b["kwh"] for b in hours["buckets"]] == [3.0] + [0.0] * 5 + [3.0] + [0.0] * 5
    assert hours["buckets"][1]["start"] == "2026-09-01T01:00:00+00:00"
    # The default: the current cycle, by day.
    days = await call(hass, "energy_report")
    assert days["group_by"] == "day"
    assert days["buckets"][0]["start"] == "2026-10-01T00:00:00+00:00"
    assert len(days["buckets"]) == 10


def pdf_text(pdf: bytes) -> list[str]:
    """Check the PDF's frame (header, xref offsets, trailer); the text it shows."""
    assert pdf.startswith(b"%PDF-1.")
    tail = re.search(rb"startxref\n(\d+)\n%%EOF\n$", pdf)
    assert tail is not None
    xref = re.compile(rb"xref\n0 (\d+)\n").match(pdf, int(tail[1]))
    assert xref is not None
    for number in range(1, int(xref[1])):
        entry = pdf[xref.end() + 20 * number : xref.end() + 20 * number + 20]
        assert pdf.startswith(b"%d 0 obj\n" % number, int(entry[:10]))
    shown = re.findall(rb"\(((?:\\.|[^\\()])*)\) Tj", pdf)
    return [re.sub(rb"\\(.)", rb"\1", text).decode("cp1252") for text in shown]


@pytest.mark.freeze_time(NOW)  # before the login's token is issued
async def test_export_invoice(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    tmp_path: Path,
    hass_client: ClientSessionGenerator,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    hass.config.config_dir = str(tmp_path)
    assert await async_setup_component(hass, "http", {})
    await household(hass, freezer)
    result = await call(hass, "export_invoice")  # the previous cycle
    path = Path(result["path"])
    # Not under www (issue 14: /local/ is served only when www existed at start-
    # up, and then to anyone): a folder of its own, served behind the login.
    assert path.parent == tmp_path / "intelergy" / "invoices"
    assert not (tmp_path / "www").exists()
    url = URL(result["url"])
    assert url.path == f"/api/intelergy/invoices/{path.name}"
    assert "authSig" in url.query
    assert result["url_expires"] == "2026-10-11T12:30:00+00:00"  # a day
    assert path.name.startswith("home_2026-09-01_")
    assert result["complete"] is True
    assert result["counted_from"] == "2026-09-01T00:00:00+00:00"
    # 588 kWh: 350 + 900 + 288 * 6 = 2978; + 50 = 3028; + 18 % = 3573.04.
    assert result["energy_kwh"] == 588.0
    assert result["total"] == 3573.04
    pdf = await hass.async_add_executor_job(path.read_bytes)
    text = pdf_text(pdf)
    assert "Household: Home" in text
    assert "Period: 2026-09-01 to 2026-09-30" in text
    assert "INR 3,573.04" in text
    row = text.index("Kettle")
    # The kettle's 408 kWh share of the total; the TV's 180 kWh the rest.
    assert text[row : row + 6] == [
        "Kettle",
        "408.00",
        "2,479.25",
        "TV",
        "180.00",
        "1,093.79",
    ]
    assert "588.00" in text
    assert "2,978.00" in text
    assert "545.04" in text  # 18 % of 3028

    # The link opens the PDF in a browser without a login header...
    browser = await hass_client_no_auth()

    response = await browser.get(result["url"])
    assert response.status == HTTPStatus.OK
    assert response.headers["Content-Type"] == "application/pdf"
    assert await response.read() == pdf
    # ... but the file is not public: unsigned or tampered, it needs a login.
    assert (await browser.get(url.path)).status == HTTPStatus.UNAUTHORIZED
    forged = url.update_query(authSig=url.query["authSig"][:-2] + "xx")
    assert (await browser.get(str(forged))).status == HTTPStatus.UNAUTHORIZED
    logged_in = await hass_client()
    assert (await logged_in.get(url.path)).status == HTTPStatus.OK
    # Only invoices are served from the folder.
    secret = tmp_path / "intelergy" / "invoices" / "notes.txt"
    await hass.async_add_executor_job(secret.write_text, "private")
    for name in ("notes.txt", "home_2026-09-01_000000000000.pdf"):
        answer = await logged_in.get(f"/api/intelergy/invoices/{name}")
        assert answer.status == HTTPStatus.NOT_FOUND, name
    escape = await logged_in.get("/api/intelergy/invoices/..%2Fnotes.txt")
    assert escape.status == HTTPStatus.BAD_REQUEST  # HA's own filter

    # Exported again: the earlier file is replaced, not kept.
    again = await call(hass, "export_invoice", period="2026-09")
    assert not await hass.async_add_executor_job(path.exists)
    assert await hass.async_add_executor_job(Path(again["path"]).exists)
    current = await call(hass, "export_invoice", period="current_cycle")
    assert current["complete"] is False
    pdf = await hass.async_add_executor_job(Path(current["path"]).read_bytes)
    assert "Cycle in progress" in " ".join(pdf_text(pdf))
    # The link expires after a day.
    freezer.tick(timedelta(days=1, seconds=1))
    assert (await browser.get(again["url"])).status == HTTPStatus.UNAUTHORIZED


async def test_first_invoice_of_a_fresh_install(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    tmp_path: Path,
) -> None:
    """Statistics from 5 October 14:00: the default invoice is October's so far.

    Issue 14: it was September's, a cycle nobody measured: 59.00 (fixed charge
    and tax) for 0 kWh.
    """
    hass.config.config_dir = str(tmp_path)
    assert await async_setup_component(hass, "http", {})
    await hass.config.async_set_time_zone("UTC")
    freezer.move_to(NOW)
    energy_sensor(hass, "sensor.main")
    entry = billing_entry(hass, ["sensor.main"])
    await setup_integration(hass, entry)
    with pytest.raises(ServiceValidationError) as raised:
        await call(hass, "export_invoice")
    assert raised.value.translation_key == "billing_no_statistics"
    first = datetime(2026, 10, 5, 14, tzinfo=UTC)
    # Half a kWh an hour from then to 12:00 today (118 hours).
    await import_rows(hass, "sensor.main", usage_rows(first, [0.5] * 118))
    invoice = await call(hass, "export_invoice")
    assert (invoice["cycle_start"], invoice["complete"]) == ("2026-10-01", False)
    assert invoice["counted_from"] == "2026-10-05T14:00:00+00:00"
    assert invoice["energy_kwh"] == 59.0
    # 59 kWh at 3.50 = 206.50; the fixed charge for 118.5 of the cycle's 744
    # hours, 50 * 118.5 / 744 = 7.96 (not from 1 October: 15.05); 18 % tax.
    assert invoice["total"] == 206.5 + 7.96 + 38.6
    text = " ".join(
        pdf_text(await hass.async_add_executor_job(Path(invoice["path"]).read_bytes))
    )
    assert "Statistics start on 2026-10-05 14:00" in text
    assert "Cycle in progress" in text
    with pytest.raises(ServiceValidationError) as raised:
        await call(hass, "export_invoice", period="previous_cycle")
    assert raised.value.translation_key == "billing_before_statistics"
    assert raised.value.translation_placeholders == {
        "period": "2026-09",
        "start": "2026-10-05 14:00",
    }
    # The bill of that cycle says why it is 0: no statistics yet then.
    september = await call(hass, "calculate_bill", period="previous_cycle")
    assert (september["energy_kwh"], september["total"]) == (0.0, 0.0)
    assert september["statistics_start"] == "2026-10-05T14:00:00+00:00"


async def test_errors(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    tmp_path: Path,
) -> None:
    hass.config.config_dir = str(tmp_path)
    await hass.config.async_set_time_zone("UTC")
    freezer.move_to(NOW)
    await setup_integration(hass)

    async def fails(key: str, service: str = "calculate_bill", **data: Any) -> None:
        with pytest.raises(ServiceValidationError) as raised:
            await call(hass, service, **data)
        assert raised.value.translation_key == key
        assert raised.value.translation_domain == DOMAIN

    await fails("billing_no_entry")
    await fails("billing_no_entry", "export_invoice")
    energy_sensor(hass, "sensor.main")
    await fails("billing_start_required", "energy_report", entity_id="sensor.main")
    await import_rows(hass, "sensor.main", rows(lambda when: 1.5))
    first = billing_entry(hass, ["sensor.main"], title="Home")
    await setup_integration(hass, first)
    second = billing_entry(hass, ["sensor.main"], title="Shop")
    await setup_integration(hass, second)
    await fails("billing_several_entries")
    await fails("billing_not_an_entry", config_entry_id="nope")
    entry = first.entry_id
    hass.states.async_set("sensor.temperature", "21", {"device_class": "temperature"})
    await fails(
        "billing_not_energy_sensors",
        config_entry_id=entry,
        entity_id="sensor.temperature",
    )
    ar.async_get(hass).async_create("Garage")
    await fails("billing_no_sensors", config_entry_id=entry, area_id="garage")
    await fails(
        "billing_period_and_dates",
        config_entry_id=entry,
        period="2026-09",
        start="2026-09-01 00:00:00",
    )
    await fails(
        "billing_start_required", config_entry_id=entry, end="2026-09-02 00:00:00"
    )
    await fails(
        "bad_period",
        config_entry_id=entry,
        start="2026-09-02 00:00:00",
        end="2026-09-01 00:00:00",
    )
    await fails(
        "billing_period_in_future", config_entry_id=entry, start="2026-11-01 00:00:00"
    )
    await fails("billing_invalid_period", config_entry_id=entry, period="2026-13")
    await fails("billing_invalid_period", config_entry_id=entry, period="last week")
    await fails("billing_period_in_future", config_entry_id=entry, period="2026-11")
    await fails(
        "billing_period_in_future",
        "export_invoice",
        config_entry_id=entry,
        period="2026-12",
    )
    freezer.move_to(datetime(2026, 10, 1, 9, tzinfo=UTC))  # the cycle's first day
    await fails("billing_not_enough_history", "predict_bill", config_entry_id=entry)
    freezer.move_to(NOW)

    # The database fails; the invoice cannot be written.
    broken = OperationalError("SELECT", {}, Exception("disk I/O error"))
    with (
        patch(
            "custom_components.intelergy.analytics.billing.bills.async_sums_at",
            side_effect=broken,
        ),
        pytest.raises(HomeAssistantError) as raised,
    ):
        await call(hass, "calculate_bill", config_entry_id=entry)
    assert raised.value.translation_key == "billing_statistics_failed"
    # No HTTP server to serve it: no invoice (and no file) at all.
    with pytest.raises(HomeAssistantError) as raised:
        await call(hass, "export_invoice", config_entry_id=entry)
    assert raised.value.translation_key == "billing_invoice_no_http"
    assert not (tmp_path / "intelergy").exists()
    assert await async_setup_component(hass, "http", {})
    with (
        patch("pathlib.Path.write_bytes", side_effect=OSError("read-only")),
        pytest.raises(HomeAssistantError) as raised,
    ):
        await call(hass, "export_invoice", config_entry_id=entry)
    assert raised.value.translation_key == "billing_invoice_failed"
    # An entry whose stored tariff no longer reads (edited by hand).
    hass.config_entries.async_update_entry(second, options={"entities": []})
    await fails("billing_invalid_tariff", config_entry_id=second.entry_id)


async def test_targets_expand_and_skip_bills(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Devices and labels bring their energy sensors, never a billing entry's own."""
    entry = await household(hass, freezer)
    entities = er.async_get(hass)
    tv = entities.async_get("sensor.tv_energy")
    assert tv is not None
    assert tv.device_id is not None
    bill = await call(hass, "calculate_bill", device_id=tv.device_id, period="2026-09")
    assert [s["entity_id"] for s in bill["sensors"]] == ["sensor.tv_energy"]
    assert bill["energy_kwh"] == 180.0
    # "Energy this cycle" is an energy total too, but a bill, not a meter.
    label = lr.async_get(hass).async_create("Metered").label_id
    for entity in (
        tv,
        *er.async_entries_for_config_entry(entities, entry.entry_id),
    ):
        entities.async_update_entity(entity.entity_id, labels={label})
    labelled = await call(hass, "calculate_bill", label_id=label, period="2026-09")
    assert [s["entity_id"] for s in labelled["sensors"]] == ["sensor.tv_energy"]
