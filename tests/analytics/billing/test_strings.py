"""Every billing string is there: in docs/billing-strings.json until it is merged."""

from __future__ import annotations

import ast
from functools import cache
import json
from pathlib import Path
from typing import Any

from homeassistant.helpers import selector

from custom_components.intelergy.analytics.billing import actions, forms
from custom_components.intelergy.analytics.billing.descriptions import (
    SENSORS,
    sensor_cost,
)

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = ROOT / "custom_components" / "intelergy" / "analytics" / "billing"
FRAGMENT = ROOT / "docs" / "billing-strings.json"


@cache
def strings() -> dict[str, Any]:
    """The fragment, or strings.json once the fragment is merged and gone."""
    path = FRAGMENT if FRAGMENT.exists() else PACKAGE.parents[1] / "strings.json"
    return json.loads(path.read_text())  # type: ignore[no-any-return]


def covers(ours: set[str], translated: Any) -> bool:
    """The fragment has exactly our keys; strings.json (merged) has them too."""
    keys = set(translated)
    return ours == keys if FRAGMENT.exists() else ours <= keys


def literals(name: str, path: Path) -> set[str]:
    return {
        node.value.value
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.keyword)
        and node.arg == name
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    }


def test_form_fields_and_errors() -> None:
    config, options = strings()["config"], strings()["options"]
    for steps, name in ((config["step"], True), (options["step"], False)):
        fields = {str(key) for key in forms.settings_schema(name=name).schema}
        assert fields == set(steps["billing"]["data"])
        assert fields == set(steps["billing"]["data_description"])
        for schema in (forms.TARIFF_SCHEMA, forms.TABLES_SCHEMA):
            rows = {str(key) for key in schema.schema}
            assert rows == set(steps["billing_tariff"]["data"])
            assert rows == set(steps["billing_tariff"]["data_description"])
    errors = {
        node.value.value
        for node in ast.walk(ast.parse((PACKAGE / "forms.py").read_text()))
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    }
    assert covers(errors, config["error"])
    assert covers(errors - {"name_required"}, options["error"])
    assert "billing" in config["step"]["user"]["menu_options"]


def test_selectors() -> None:
    translated = strings()["selector"]
    for rows in (forms.SLAB_ROWS, forms.TABLE_ROWS, forms.TOU_ROWS):
        config = rows.config
        assert set(config["fields"]) == set(
            translated[config["translation_key"]]["fields"]
        )
    for key, options in (
        ("billing_cycle_type", {"monthly", "rolling"}),
        ("billing_tariff_type", {"slabs", "tables"}),
        ("billing_method", {"average", "weekday", "trend"}),
        ("billing_period", {"current_cycle", "previous_cycle"}),
        ("billing_group_by", set(actions.GROUPS)),
    ):
        assert set(translated[key]["options"]) == options
    assert isinstance(forms.SLAB_ROWS, selector.ObjectSelector)


def test_entities_and_exceptions() -> None:
    sensors = strings()["entity"]["sensor"]
    keys = {d.translation_key for d in (*SENSORS, sensor_cost("k", "sensor.x", "X"))}
    assert covers(keys, sensors)
    assert "{sensor}" in sensors["sensor_cost"]["name"]
    used = set().union(*(literals("translation_key", p) for p in PACKAGE.glob("*.py")))
    used -= keys | set(strings()["selector"])
    used.discard("bad_period")  # the anomaly action's, already in strings.json
    assert covers(used, strings()["exceptions"])


def test_services() -> None:
    services = strings()["services"]
    assert covers(
        {
            actions.SERVICE_CALCULATE_BILL,
            actions.SERVICE_PREDICT_BILL,
            actions.SERVICE_ENERGY_REPORT,
            actions.SERVICE_EXPORT_INVOICE,
        },
        services,
    )
    targets = {"entity_id", "device_id", "area_id", "floor_id", "label_id"}
    for name, schema in (
        (actions.SERVICE_CALCULATE_BILL, actions.CALCULATE_SCHEMA),
        (actions.SERVICE_PREDICT_BILL, actions.PREDICT_SCHEMA),
        (actions.SERVICE_ENERGY_REPORT, actions.REPORT_SCHEMA),
        (actions.SERVICE_EXPORT_INVOICE, actions.INVOICE_SCHEMA),
    ):
        fields = {str(key) for key in schema.schema} - targets
        assert fields == set(services[name]["fields"]), name
