"""The billing steps of the config and options flows."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData, section
from homeassistant.helpers import config_validation as cv, entity_registry as er
from homeassistant.util import dt as dt_util
import probatio
import pytest

from custom_components.intelergy.analytics.billing import forms as billing_forms
from custom_components.intelergy.analytics.billing.household import (
    is_energy_total,
    stored_schedule,
)
from custom_components.intelergy.const import CONF_KIND, DOMAIN, KIND_BILLING
from custom_components.intelergy.core.tariff import Tariff

from .common import SEED, billing_entry, energy_sensor

SETTINGS: dict[str, Any] = {
    "name": "Home",
    "entities": ["sensor.main", "sensor.plug"],
    "currency": "INR",
    "cycle_type": "monthly",
    "tariff_type": "slabs",
    "fixed_charge": 50,
    "fixed_per_kw": 0,
    "sanctioned_kw": 0,
    "tax_percent": 18,
    "method": "average",
    "fixed_share": "energy",
}
# As typed into the rows, in any order: the open-ended slab has no "up to".
SLABS = [
    {"upto": 300.0, "rate": 4.5},
    {"rate": 6.0},
    {"upto": 100.0, "rate": 3.5},
]
MONTHLY = {"cycle": {"cycle_day": 1}}  # the second page's cycle section


def suggested(schema: Any) -> dict[str, Any]:
    """The suggested values of a form, a section's by its own key."""
    found: dict[str, Any] = {}
    for key, value in schema.schema.items():
        if isinstance(value, section):
            found[str(key)] = suggested(value.schema)
        elif key.description and "suggested_value" in key.description:
            found[str(key)] = key.description["suggested_value"]
    return found


def cycle_fields(form: dict[str, Any]) -> set[str]:
    """The fields of the second page's cycle section."""
    cycle = form["data_schema"].schema["cycle"]
    assert isinstance(cycle, section)
    return {str(key) for key in cycle.schema.schema}


@pytest.fixture(autouse=True)
def flows(hass: HomeAssistant) -> Generator[None]:
    """Billing flows; entries are created without being set up (no recorder)."""
    energy_sensor(hass, "sensor.main")
    energy_sensor(hass, "sensor.plug", unit="Wh", state_class="total")
    with patch("custom_components.intelergy.async_setup_entry", return_value=True):
        yield


async def start(hass: HomeAssistant) -> dict[str, Any]:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    assert KIND_BILLING in result["menu_options"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": KIND_BILLING}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "billing"
    return dict(result)


async def revision(hass: HomeAssistant, result: Any) -> Any:
    """The options' last step, ``billing_revision``, saved as suggested (today)."""
    assert result["step_id"] == "billing_revision"
    return await hass.config_entries.options.async_configure(
        result["flow_id"], suggested(result["data_schema"])
    )


async def test_seed_tariff_by_rows(hass: HomeAssistant) -> None:
    form = await start(hass)
    schema = form["data_schema"].schema
    # The first page chooses the kind of cycle; no cycle's fields are on it (issue
    # 14: "Cycle length 60" showed beside a monthly cycle's start day).
    assert {str(key) for key in schema} == set(SETTINGS)
    result = await hass.config_entries.flow.async_configure(form["flow_id"], SETTINGS)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "billing_tariff"
    assert {str(key) for key in result["data_schema"].schema} == {
        "cycle",
        "slabs",
        "tou_bands",
        "charges",
    }
    assert cycle_fields(dict(result)) == {"cycle_day"}  # a monthly cycle's only
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**MONTHLY, "slabs": SLABS}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Home"
    assert result["data"] == {CONF_KIND: KIND_BILLING, "name": "Home"}
    options = result["options"]
    assert options["entities"] == ["sensor.main", "sensor.plug"]
    assert options["method"] == "average"
    assert Tariff.from_dict(options["tariff"]) == SEED


async def test_settings_errors(hass: HomeAssistant) -> None:
    form = await start(hass)
    hass.states.async_set("sensor.power", "5", {"device_class": "power"})
    hass.states.async_set(
        "sensor.gauge",
        "5",
        {
            "device_class": "energy",
            "state_class": "measurement",
            "unit_of_measurement": "kWh",
        },
    )
    result = await hass.config_entries.flow.async_configure(
        form["flow_id"],
        {
            **SETTINGS,
            "name": " ",
            "entities": ["sensor.main", "sensor.power", "sensor.gauge"],
        },
    )
    assert result["errors"] == {"name": "name_required", "entities": "not_energy_total"}
    assert result["description_placeholders"] == {
        "entities": "sensor.power, sensor.gauge"
    }
    result = await hass.config_entries.flow.async_configure(
        form["flow_id"], {**SETTINGS, "entities": []}
    )
    assert result["errors"] == {"entities": "no_energy_sensors"}
    result = await hass.config_entries.flow.async_configure(
        form["flow_id"], {**SETTINGS, "fixed_per_kw": 20}
    )
    assert result["errors"] == {"base": "invalid_tariff"}
    assert "sanctioned_kw" in result["description_placeholders"]["error"]
    # An every-N-days cycle: its start date is asked for, and required, on the
    # second page (it was an error of the first: issue 14).
    result = await hass.config_entries.flow.async_configure(
        form["flow_id"], {**SETTINGS, "cycle_type": "rolling"}
    )
    assert result["step_id"] == "billing_tariff"
    with pytest.raises(InvalidData) as raised:
        await hass.config_entries.flow.async_configure(
            result["flow_id"], {"cycle": {"cycle_days": 60}, "slabs": SLABS}
        )
    assert "cycle_anchor" in str(raised.value.schema_errors)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ({"slabs": [{"upto": 100.0, "rate": 3.5}]}, "open-ended"),
        (
            {
                "slabs": [
                    {"upto": 100.0, "rate": 3.5},
                    {"upto": 100.0, "rate": 4.0},
                    {"rate": 5.0},
                ]
            },
            "overlap",
        ),
        (
            {
                "slabs": SLABS,
                "tou_bands": [
                    {"name": "night", "start": 22, "end": 6, "rate": 2.0},
                    {"name": "late", "start": 23, "end": 24, "rate": 3.0},
                ],
            },
            "overlaps 'night' at 23:00",
        ),
    ],
)
async def test_tariff_errors(
    hass: HomeAssistant, rows: dict[str, Any], message: str
) -> None:
    form = await start(hass)
    result = await hass.config_entries.flow.async_configure(form["flow_id"], SETTINGS)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**MONTHLY, **rows}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_tariff"}
    assert message in result["description_placeholders"]["error"]
    # Fixed, the flow goes on.
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**MONTHLY, "slabs": SLABS}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_tables_under_which_the_bill_decreases_are_refused(
    hass: HomeAssistant,
) -> None:
    """A table cheaper than the one before it: its own, translated message."""
    form = await start(hass)
    result = await hass.config_entries.flow.async_configure(
        form["flow_id"], {**SETTINGS, "tariff_type": "tables"}
    )
    rows = [
        {"table_upto": 1.0, "upto": 1.0, "rate": 1.667},
        {"rate": 0.0},
    ]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**MONTHLY, "slabs": rows}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "tariff_decreases"}
    assert result["description_placeholders"] == {
        "limit": "1",
        "kwh": "1",
        "charge": "1.667",
        "next_charge": "0",
    }
    # Fixed (the open-ended table dearer), the flow goes on.
    rows[1] = {"rate": 2.0}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**MONTHLY, "slabs": rows}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_whole_bill_tables_rolling_cycle_and_tou(hass: HomeAssistant) -> None:
    """Tamil Nadu style: up to 500 kWh one table, above it another; 60-day cycles."""
    form = await start(hass)
    result = await hass.config_entries.flow.async_configure(
        form["flow_id"],
        {
            **SETTINGS,
            "tariff_type": "tables",
            "cycle_type": "rolling",
            "method": "trend",
        },
    )
    # An every-N-days cycle's fields only: its length and a start date.
    assert cycle_fields(dict(result)) == {"cycle_days", "cycle_anchor"}
    rows = [
        {"table_upto": 500.0, "upto": 100.0, "rate": 0.0},
        {"table_upto": 500.0, "upto": 500.0, "rate": 4.5},
        {"upto": 100.0, "rate": 0.0},
        {"rate": 6.6},
    ]
    bands = [{"name": "peak", "start": 18.0, "end": 22.0, "rate": 8.0}]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            "cycle": {"cycle_days": 60, "cycle_anchor": "2026-01-05"},
            "slabs": rows,
            "tou_bands": bands,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    tariff = Tariff.from_dict(result["options"]["tariff"])
    assert [table.upto_kwh for table in tariff.tables] == [500, None]
    assert tariff.cycle.as_dict() == {
        "type": "rolling",
        "days": 60,
        "anchor": "2026-01-05",
    }
    assert tariff.tou_bands[0].hours() == (18, 19, 20, 21)
    assert result["options"]["method"] == "trend"
    # The options form shows the same rows back.
    values = billing_forms.rows_from_options(result["options"])
    assert values["tariff_type"] == "tables"
    assert values["slabs"] == rows
    assert values["tou_bands"] == [
        {"name": "peak", "start": 18, "end": 22, "rate": 8.0}
    ]
    assert values["cycle_type"] == "rolling"
    assert values["cycle"] == {"cycle_days": 60, "cycle_anchor": "2026-01-05"}


async def test_one_entry_per_household_name(hass: HomeAssistant) -> None:
    billing_entry(hass, ["sensor.main"], title="Home")
    form = await start(hass)
    schema = form["data_schema"].schema
    assert "entities" in {str(key) for key in schema}
    result = await hass.config_entries.flow.async_configure(form["flow_id"], SETTINGS)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_options_flow(hass: HomeAssistant) -> None:
    entry = billing_entry(hass, ["sensor.main"])
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "billing"
    values = suggested(result["data_schema"])
    assert values["entities"] == ["sensor.main"]
    assert values["currency"] == "INR"
    assert values["tax_percent"] == 18.0
    assert values["cycle_type"] == "monthly"
    assert "cycle_day" not in values  # on the second page now
    settings = {k: v for k, v in SETTINGS.items() if k != "name"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**settings, "entities": ["sensor.main", "sensor.plug"]}
    )
    assert result["step_id"] == "billing_tariff"
    rows = suggested(result["data_schema"])
    assert rows["cycle"] == {"cycle_day": 1}
    assert rows["slabs"] == [
        {"upto": 100.0, "rate": 3.5},
        {"upto": 300.0, "rate": 4.5},
        {"rate": 6.0},
    ]
    result = await revision(
        hass,
        await hass.config_entries.options.async_configure(
            result["flow_id"], {"cycle": {"cycle_day": 5}, "slabs": [{"rate": 5.0}]}
        ),
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options["entities"] == ["sensor.main", "sensor.plug"]
    tariff = Tariff.from_dict(entry.options["tariff"])
    assert tariff.slabs[0].rate == 5
    assert tariff.cycle.as_dict() == {"type": "monthly", "day": 5}


async def test_options_errors_and_switching_to_tables(hass: HomeAssistant) -> None:
    entry = billing_entry(hass, ["sensor.main"])
    result = await hass.config_entries.options.async_init(entry.entry_id)
    settings = {k: v for k, v in SETTINGS.items() if k != "name"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**settings, "entities": []}
    )
    assert result["errors"] == {"entities": "no_energy_sensors"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**settings, "tariff_type": "tables"}
    )
    # The slab rows of a telescopic tariff do not fit whole-bill tables.
    assert not any(
        key.description and key.description.get("suggested_value")
        for key in result["data_schema"].schema
    )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {**MONTHLY, "slabs": [{"table_upto": 100.0, "upto": 50.0, "rate": 1.0}]},
    )
    assert result["errors"] == {"base": "invalid_tariff"}
    result = await revision(
        hass,
        await hass.config_entries.options.async_configure(
            result["flow_id"], {**MONTHLY, "slabs": [{"rate": 1.0}]}
        ),
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    # New rates, same cycle: a revision from today; the old rates stay before it.
    versions = stored_schedule(entry.options).versions
    assert versions[0].tariff == SEED
    assert versions[1].effective == dt_util.now().date()
    assert versions[1].tariff.tables[0].upto_kwh is None


async def test_options_of_a_broken_tariff_start_afresh(hass: HomeAssistant) -> None:
    entry = billing_entry(hass, ["sensor.main"])
    hass.config_entries.async_update_entry(
        entry, options={**entry.options, "tariff": {"currency": "?"}}
    )
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["step_id"] == "billing"
    settings = {k: v for k, v in SETTINGS.items() if k != "name"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], settings
    )
    assert result["step_id"] == "billing_tariff"
    result = await revision(
        hass,
        await hass.config_entries.options.async_configure(
            result["flow_id"], {**MONTHLY, "slabs": SLABS}
        ),
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert Tariff.from_dict(entry.options["tariff"]) == SEED


async def test_what_counts_as_an_energy_total(hass: HomeAssistant) -> None:
    """From the state; from the registry while the sensor has no state yet."""
    assert is_energy_total(hass, "sensor.main")
    assert is_energy_total(hass, "sensor.plug")  # Wh, state class total
    assert not is_energy_total(hass, "light.kitchen")
    assert not is_energy_total(hass, "sensor.nothing")
    registry = er.async_get(hass)
    registry.async_get_or_create(
        "sensor",
        "test",
        "later",
        suggested_object_id="later",
        capabilities={"state_class": "total_increasing"},
        original_device_class="energy",
        unit_of_measurement="kWh",
    )
    assert is_energy_total(hass, "sensor.later")


def row_label(rows: Any, row: dict[str, Any]) -> str:
    """A row of an object selector list as Home Assistant 2026.10 labels it.

    The frontend (home-assistant-frontend 20260930.5, ``ha-selector-object``):
    with a ``label_field``, that field's value only; without, every field's value
    with its number selector's unit, empty ones left out, joined by " · ".
    """
    config = rows.config
    fields = config["fields"]
    shown = [config["label_field"]] if "label_field" in config else list(fields)
    parts = []
    for key in shown:
        if row.get(key) is None:
            continue
        number = fields[key]["selector"].config
        unit = number.get("unit_of_measurement")
        parts.append(f"{row[key]:g} {unit}" if unit else f"{row[key]:g}")
    return " · ".join(parts)


async def test_slab_rows_show_their_limit_and_rate(hass: HomeAssistant) -> None:
    """Each row of the list reads as its limit and its rate in the tariff's currency.

    Issue 14: the list showed the limits only (the first field was the label).
    """
    form = await start(hass)
    result = await hass.config_entries.flow.async_configure(form["flow_id"], SETTINGS)
    slabs = result["data_schema"].schema["slabs"]
    assert "label_field" not in slabs.config
    assert [row_label(slabs, row) for row in SLABS] == [
        "300 kWh · 4.5 INR/kWh",
        "6 INR/kWh",  # the open-ended slab: its rate
        "100 kWh · 3.5 INR/kWh",
    ]
    tou = result["data_schema"].schema["tou_bands"]
    band = {"name": "night", "start": 22, "end": 6, "rate": 2.0}
    assert row_label(tou, {k: v for k, v in band.items() if k != "name"}) == (
        "22 h · 6 h · 2 INR/kWh"
    )
    form = await start(hass)
    result = await hass.config_entries.flow.async_configure(
        form["flow_id"], {**SETTINGS, "currency": "EUR", "tariff_type": "tables"}
    )
    tables = result["data_schema"].schema["slabs"]
    row = {"table_upto": 500.0, "upto": 100.0, "rate": 0.25}
    assert row_label(tables, row) == "500 kWh · 100 kWh · 0.25 EUR/kWh"


async def test_options_switching_the_kind_of_cycle(hass: HomeAssistant) -> None:
    """Monthly to every 30 days: the second page asks for that cycle's fields."""
    entry = billing_entry(hass, ["sensor.main"])
    result = await hass.config_entries.options.async_init(entry.entry_id)
    settings = {k: v for k, v in SETTINGS.items() if k != "name"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**settings, "cycle_type": "rolling"}
    )
    assert cycle_fields(dict(result)) == {"cycle_days", "cycle_anchor"}
    # The monthly start day does not fit: no cycle values are suggested.
    assert suggested(result["data_schema"])["cycle"] == {}
    assert suggested(result["data_schema"])["slabs"][0] == {"upto": 100.0, "rate": 3.5}
    result = await revision(
        hass,
        await hass.config_entries.options.async_configure(
            result["flow_id"],
            {"cycle": {"cycle_days": 30, "cycle_anchor": "2026-10-05"}, "slabs": SLABS},
        ),
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert Tariff.from_dict(entry.options["tariff"]).cycle.as_dict() == {
        "type": "rolling",
        "days": 30,
        "anchor": "2026-10-05",
    }
    # And back: the stored rolling cycle's fields are offered again as they are.
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert suggested(result["data_schema"])["cycle_type"] == "rolling"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**settings, "cycle_type": "rolling"}
    )
    assert suggested(result["data_schema"])["cycle"] == {
        "cycle_days": 30,
        "cycle_anchor": "2026-10-05",
    }


@pytest.mark.parametrize(
    ("cycle_type", "fields"),
    [("monthly", ["cycle_day"]), ("rolling", ["cycle_days", "cycle_anchor"])],
)
async def test_the_form_the_frontend_gets_has_one_cycle(
    hass: HomeAssistant, cycle_type: str, fields: list[str]
) -> None:
    """The second page as serialized for the frontend: one expanded cycle section."""
    form = await start(hass)
    result = await hass.config_entries.flow.async_configure(
        form["flow_id"], {**SETTINGS, "cycle_type": cycle_type}
    )
    serialized = probatio.to_field_list(
        result["data_schema"], custom_serializer=cv.custom_serializer
    )
    assert [field["name"] for field in serialized] == [
        "cycle",
        "slabs",
        "tou_bands",
        "charges",
    ]
    cycle = serialized[0]
    assert (cycle["type"], cycle["expanded"]) == ("expandable", True)
    assert [field["name"] for field in cycle["schema"]] == fields
    assert all(
        "cycle" not in field["name"]
        for field in probatio.to_field_list(
            form["data_schema"], custom_serializer=cv.custom_serializer
        )
        if field["name"] != "cycle_type"
    )
