"""The billing steps of the config and options flows."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
import pytest

from custom_components.intelergy.analytics.billing import forms as billing_forms
from custom_components.intelergy.analytics.billing.household import is_energy_total
from custom_components.intelergy.const import CONF_KIND, DOMAIN, KIND_BILLING
from custom_components.intelergy.core.tariff import Tariff

from .common import SEED, billing_entry, energy_sensor

SETTINGS: dict[str, Any] = {
    "name": "Home",
    "entities": ["sensor.main", "sensor.plug"],
    "currency": "INR",
    "cycle_type": "monthly",
    "cycle_day": 1,
    "cycle_days": 60,
    "tariff_type": "slabs",
    "fixed_charge": 50,
    "fixed_per_kw": 0,
    "sanctioned_kw": 0,
    "tax_percent": 18,
    "method": "average",
}
# As typed into the rows, in any order: the open-ended slab has no "up to".
SLABS = [
    {"upto": 300.0, "rate": 4.5},
    {"rate": 6.0},
    {"upto": 100.0, "rate": 3.5},
]


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


async def test_seed_tariff_by_rows(hass: HomeAssistant) -> None:
    form = await start(hass)
    schema = form["data_schema"].schema
    assert {str(key) for key in schema} == set(SETTINGS) | {"cycle_anchor"}
    result = await hass.config_entries.flow.async_configure(form["flow_id"], SETTINGS)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "billing_tariff"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"slabs": SLABS}
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
        form["flow_id"], {**SETTINGS, "cycle_type": "rolling"}
    )
    assert result["errors"] == {"cycle_anchor": "anchor_required"}
    result = await hass.config_entries.flow.async_configure(
        form["flow_id"], {**SETTINGS, "fixed_per_kw": 20}
    )
    assert result["errors"] == {"base": "invalid_tariff"}
    assert "sanctioned_kw" in result["description_placeholders"]["error"]


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
    result = await hass.config_entries.flow.async_configure(result["flow_id"], rows)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_tariff"}
    assert message in result["description_placeholders"]["error"]
    # Fixed, the flow goes on.
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"slabs": SLABS}
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
        result["flow_id"], {"slabs": rows}
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
        result["flow_id"], {"slabs": rows}
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
            "cycle_anchor": "2026-01-05",
            "method": "trend",
        },
    )
    rows = [
        {"table_upto": 500.0, "upto": 100.0, "rate": 0.0},
        {"table_upto": 500.0, "upto": 500.0, "rate": 4.5},
        {"upto": 100.0, "rate": 0.0},
        {"rate": 6.6},
    ]
    bands = [{"name": "peak", "start": 18.0, "end": 22.0, "rate": 8.0}]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"slabs": rows, "tou_bands": bands}
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
    suggested = {
        str(key): key.description["suggested_value"]
        for key in result["data_schema"].schema
        if key.description and "suggested_value" in key.description
    }
    assert suggested["entities"] == ["sensor.main"]
    assert suggested["currency"] == "INR"
    assert suggested["tax_percent"] == 18.0
    assert suggested["cycle_day"] == 1
    settings = {k: v for k, v in SETTINGS.items() if k != "name"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**settings, "entities": ["sensor.main", "sensor.plug"]}
    )
    assert result["step_id"] == "billing_tariff"
    rows = {
        str(key): key.description["suggested_value"]
        for key in result["data_schema"].schema
        if key.description and "suggested_value" in key.description
    }
    assert rows["slabs"] == [
        {"upto": 100.0, "rate": 3.5},
        {"upto": 300.0, "rate": 4.5},
        {"rate": 6.0},
    ]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"slabs": [{"rate": 5.0}]}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options["entities"] == ["sensor.main", "sensor.plug"]
    assert Tariff.from_dict(entry.options["tariff"]).slabs[0].rate == 5


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
        result["flow_id"], {"slabs": [{"table_upto": 100.0, "upto": 50.0, "rate": 1.0}]}
    )
    assert result["errors"] == {"base": "invalid_tariff"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"slabs": [{"rate": 1.0}]}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert Tariff.from_dict(entry.options["tariff"]).tables[0].upto_kwh is None


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
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"slabs": SLABS}
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
