"""What hassfest and the HACS action would check, run as part of the suite."""

from __future__ import annotations

import ast
from functools import cache
import json
from pathlib import Path
import re
import struct
from typing import Any

from awesomeversion import AwesomeVersion
from homeassistant import const as ha_const
import pytest
import yaml

from custom_components.intelergy.analytics.anomaly import entity as anomaly
from custom_components.intelergy.analytics.billing import descriptions as billing
from custom_components.intelergy.meters.elnet import descriptions as elnet
from custom_components.intelergy.meters.esp32 import descriptions as esp32
from custom_components.intelergy.meters.pzem import descriptions as pzem
from custom_components.intelergy.meters.shelly import descriptions as shelly

ROOT = Path(__file__).resolve().parent.parent
INTEGRATION = ROOT / "custom_components" / "intelergy"

QUALITY_SCALE_RULES = {
    # Bronze
    "action-setup", "appropriate-polling", "brands", "common-modules",
    "config-flow-test-coverage", "config-flow", "dependency-transparency",
    "docs-actions", "docs-conditions", "docs-high-level-description",
    "docs-installation-instructions", "docs-removal-instructions", "docs-triggers",
    "entity-event-setup", "entity-unique-id", "has-entity-name", "runtime-data",
    "test-before-configure", "test-before-setup", "unique-config-entry",
    # Silver
    "action-exceptions", "config-entry-unloading", "docs-configuration-parameters",
    "docs-installation-parameters", "entity-unavailable", "integration-owner",
    "log-when-unavailable", "parallel-updates", "reauthentication-flow",
    "test-coverage",
    # Gold
    "devices", "diagnostics", "discovery-update-info", "discovery",
    "docs-data-update", "docs-examples", "docs-known-limitations",
    "docs-supported-devices", "docs-supported-functions", "docs-troubleshooting",
    "docs-use-cases", "dynamic-devices", "entity-category", "entity-device-class",
    "entity-disabled-by-default", "entity-translations", "exception-translations",
    "icon-translations", "reconfiguration-flow", "repair-issues", "stale-devices",
    # Platinum
    "async-dependency", "inject-websession", "strict-typing",
}  # fmt: skip
IOT_CLASSES = {
    "assumed_state", "calculated", "cloud_polling", "cloud_push", "local_polling",
    "local_push",
}  # fmt: skip
INTEGRATION_TYPES = {
    "device",
    "entity",
    "hardware",
    "helper",
    "hub",
    "service",
    "system",
}
HACS_KEYS = {
    "name", "content_in_root", "zip_release", "filename", "hide_default_branch",
    "country", "homeassistant", "hacs", "persistent_directory", "render_readme",
}  # fmt: skip
DESCRIPTIONS: dict[str, tuple[Any, ...]] = {
    "sensor": (
        *elnet.SENSORS,
        *shelly.CHANNEL_SENSORS,
        *shelly.DEVICE_SENSORS,
        *esp32.SENSORS.values(),
        *pzem.SENSORS,
        *billing.SENSORS,
        billing.sensor_cost("key", "sensor.meter", "Meter"),
        anomaly.BASELINE,
        anomaly.STANDBY_POWER,
        anomaly.STANDBY_ENERGY,
    ),
    "binary_sensor": (
        *elnet.BINARY_SENSORS,
        *shelly.CHANNEL_BINARY_SENSORS,
        *shelly.DEVICE_BINARY_SENSORS,
        pzem.ALARM,
        anomaly.PROBLEM,
    ),
    "switch": (shelly.RELAY, esp32.relay_description(0)),
}
# Channel entities of multi-channel devices: "Outlet 2 power", "Lamp power".
CHANNEL_KEYS = {
    "sensor": {d.translation_key for d in shelly.CHANNEL_SENSORS}
    | {
        anomaly.BASELINE.translation_key,
        anomaly.STANDBY_POWER.translation_key,
        anomaly.STANDBY_ENERGY.translation_key,
    },
    "binary_sensor": {d.translation_key for d in shelly.CHANNEL_BINARY_SENSORS}
    | {anomaly.PROBLEM.translation_key},
    "switch": {shelly.RELAY.translation_key},
}
# Abort reasons raised by HA helpers the flow calls, not by literals in the code.
IMPLICIT_ABORTS = {"already_configured", "reauth_successful", "reconfigure_successful"}


def load_json(path: Path) -> Any:
    """A JSON file of the repository."""
    return json.loads(path.read_text())


@cache
def strings() -> dict[str, Any]:
    """strings.json."""
    return load_json(INTEGRATION / "strings.json")  # type: ignore[no-any-return]


def python_files() -> list[Path]:
    """Every module of the integration."""
    return sorted(INTEGRATION.rglob("*.py"))


def keyword_literals(name: str, path: Path | None = None) -> set[str]:
    """String literals passed as keyword ``name=`` anywhere in the integration."""
    found = set()
    for file in [path] if path else python_files():
        for node in ast.walk(ast.parse(file.read_text())):
            if (
                isinstance(node, ast.keyword)
                and node.arg == name
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
            ):
                found.add(node.value.value)
    return found


def test_manifest() -> None:
    manifest = load_json(INTEGRATION / "manifest.json")
    keys = list(manifest)
    # hassfest: domain, name, then the rest alphabetically.
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])
    assert manifest["domain"] == "intelergy" == INTEGRATION.name
    assert manifest["config_flow"] is True
    assert manifest["integration_type"] in INTEGRATION_TYPES
    assert manifest["iot_class"] in IOT_CLASSES
    # The integration mixes kinds: README names the manifest's class and each kind's.
    readme = (ROOT / "README.md").read_text()
    assert f"`iot_class` is `{manifest['iot_class']}`" in readme
    for kind in ("Shelly Gen2+", "Shelly Gen1", "ESP32", "PZEM-004T", "ELNET"):
        row = next(line for line in readme.splitlines() if line.startswith(f"| {kind}"))
        assert row.rsplit("|", 2)[1].strip() in IOT_CLASSES, row
    assert manifest["codeowners"]
    assert all(re.fullmatch(r"@[\w-]+", owner) for owner in manifest["codeowners"])
    for key in ("documentation", "issue_tracker"):
        assert manifest[key].startswith("https://")
    assert isinstance(manifest["loggers"], list)
    assert all(
        re.fullmatch(r"[\w.-]+==[\w.]+", req) for req in manifest["requirements"]
    )
    assert AwesomeVersion(manifest["version"]).valid
    assert manifest["quality_scale"] in {"bronze", "silver", "gold", "platinum"}


def test_hacs_json() -> None:
    hacs = load_json(ROOT / "hacs.json")
    assert set(hacs) <= HACS_KEYS, "HACS rejects unknown keys"
    assert hacs["name"] == "Intelergy"
    assert hacs["render_readme"] is True
    assert AwesomeVersion(hacs["homeassistant"]) <= AwesomeVersion(ha_const.__version__)


def test_license_is_osi() -> None:
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG header."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_brand_images() -> None:
    assert png_size(INTEGRATION / "brand" / "icon.png") == (256, 256)
    width, height = png_size(INTEGRATION / "brand" / "logo.png")
    assert 128 <= min(width, height) <= 256
    assert width >= height


def test_translations_match_strings() -> None:
    assert load_json(INTEGRATION / "translations" / "en.json") == strings()


def flow_files() -> list[Path]:
    """config_flow.py and every kind's flow.py (its steps) and forms.py."""
    return [
        INTEGRATION / "config_flow.py",
        *sorted(INTEGRATION.glob("*/*/flow.py")),
        *sorted(INTEGRATION.glob("*/*/forms.py")),
    ]


def flow_step_ids() -> dict[str, set[str]]:
    """step_id literals of each flow class: config flow, options flow.

    A class named ``*ConfigFlow`` holds config steps, ``*OptionsFlow`` options
    steps, and a private base (``_…``) steps of both.
    """
    steps: dict[str, set[str]] = {"config": set(), "options": set()}
    for path in flow_files():
        tree = ast.parse(path.read_text())
        for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
            ids = {
                node.value.value
                for node in ast.walk(cls)
                if isinstance(node, ast.keyword)
                and node.arg == "step_id"
                and isinstance(node.value, ast.Constant)
            }
            for flow in ("config", "options"):
                if cls.name.startswith("_") or cls.name.endswith(
                    f"{flow.capitalize()}Flow"
                ):
                    steps[flow] |= ids
    return steps


def test_every_flow_step_translated() -> None:
    steps = flow_step_ids()
    config_steps = steps["config"]
    assert {
        "user",
        "elnet",
        "elnet_reauth",
        "elnet_reconfigure",
        "shelly",
        "shelly_credentials",
        "shelly_confirm",
        "shelly_reauth",
        "shelly_reconfigure",
        "esp32",
        "esp32_confirm",
        "esp32_reconfigure",
        "pzem",
        "pzem_network",
        "pzem_serial",
        "pzem_reconfigure",
        "anomaly",
        "billing",
        "billing_tariff",
    } <= config_steps
    assert config_steps <= set(strings()["config"]["step"])
    options_steps = steps["options"]
    assert options_steps == {
        "elnet",
        "esp32",
        "shelly",
        "pzem",
        "anomaly",
        "billing",
        "billing_tariff",
        "billing_revision",
    }
    assert options_steps <= set(strings()["options"]["step"])
    menu = strings()["config"]["step"]["user"]["menu_options"]
    assert set(menu) == {"elnet", "esp32", "pzem", "shelly", "anomaly", "billing"}


def test_every_form_field_translated() -> None:
    from custom_components.intelergy.analytics.anomaly import (  # noqa: PLC0415
        flow as anomaly_flow,
    )
    from custom_components.intelergy.analytics.billing import (  # noqa: PLC0415
        forms as billing_flow,
    )
    from custom_components.intelergy.meters.elnet import flow  # noqa: PLC0415
    from custom_components.intelergy.meters.esp32 import (  # noqa: PLC0415
        flow as esp32_flow,
    )
    from custom_components.intelergy.meters.pzem import (  # noqa: PLC0415
        flow as pzem_flow,
    )
    from custom_components.intelergy.meters.shelly import (  # noqa: PLC0415
        flow as shelly_flow,
    )

    step = strings()["config"]["step"]
    for step_id, schema in (
        ("elnet", flow.USER_SCHEMA),
        ("elnet_reauth", flow.REAUTH_SCHEMA),
        ("elnet_reconfigure", flow.RECONFIGURE_SCHEMA),
        ("shelly", shelly_flow.USER_SCHEMA),
        ("shelly_reconfigure", shelly_flow.RECONFIGURE_SCHEMA),
        ("shelly_credentials", shelly_flow.credentials_schema(1, room=False)),
        ("shelly_reauth", shelly_flow.credentials_schema(1, room=False)),
        ("shelly_confirm", shelly_flow.credentials_schema(1, room=True)),
        ("esp32", esp32_flow.USER_SCHEMA),
        ("esp32_confirm", esp32_flow.CONFIRM_SCHEMA),
        ("esp32_reconfigure", esp32_flow.RECONFIGURE_SCHEMA),
        ("pzem", pzem_flow.TRANSPORT_SCHEMA),
        ("pzem_network", pzem_flow.NETWORK_SCHEMA),
        ("pzem_serial", pzem_flow.SERIAL_SCHEMA),
        ("anomaly", anomaly_flow.USER_SCHEMA),
        ("billing", billing_flow.settings_schema(name=True)),
        ("billing_tariff", billing_flow.TARIFF_SCHEMA),
        ("billing_tariff", billing_flow.TABLES_SCHEMA),
    ):
        fields = {str(key) for key in schema.schema}
        assert fields == set(step[step_id]["data"]), step_id
        assert fields == set(step[step_id]["data_description"]), step_id
    options = strings()["options"]["step"]
    for step_id, schema in (
        ("elnet", flow.OPTIONS_SCHEMA),
        ("esp32", esp32_flow.OPTIONS_SCHEMA),
        ("anomaly", anomaly_flow.OPTIONS_SCHEMA),
        ("billing", billing_flow.settings_schema(name=False)),
        ("billing_tariff", billing_flow.TARIFF_SCHEMA),
    ):
        assert {str(key) for key in schema.schema} == set(options[step_id]["data"])


def test_every_error_and_abort_translated() -> None:
    errors = {
        node.value.value
        for path in flow_files()
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Return | ast.Assign)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    }
    # The config flow turns this one into an abort.
    assert errors - {"unsupported_device"} == set(strings()["config"]["error"])
    aborts = IMPLICIT_ABORTS.union(
        *(keyword_literals("reason", path) for path in flow_files())
    )
    assert aborts == set(strings()["config"]["abort"])


def test_every_exception_translated() -> None:
    keys = keyword_literals("translation_key") - {
        d.translation_key for platform in DESCRIPTIONS.values() for d in platform
    }
    # Select selectors' option labels live under "selector".
    keys -= set(strings().get("selector", {}))
    assert keys
    assert keys == set(strings()["exceptions"])


@pytest.mark.parametrize("platform", sorted(DESCRIPTIONS))
def test_every_entity_translated_and_has_icon(platform: str) -> None:
    descriptions = DESCRIPTIONS[platform]
    translated = strings()["entity"][platform]
    icons = load_json(INTEGRATION / "icons.json")["entity"][platform]
    keys = {d.translation_key for d in descriptions}
    assert None not in keys
    keys |= {
        f"{variant}_{d.translation_key}"
        for d in descriptions
        if d.translation_key in CHANNEL_KEYS[platform]
        for variant in ("outlet", "named")
    }
    assert keys == set(translated)
    assert set(icons) <= keys
    for description in descriptions:
        # Without a device class, HA has no icon of its own to show.
        if description.device_class is None:
            assert description.translation_key in icons, description.key
        if getattr(description, "options", None):  # enum: every state translated
            states = translated[description.translation_key]["state"]
            assert set(description.options) == set(states)


def test_every_service_translated() -> None:
    services_yaml = INTEGRATION / "services.yaml"
    services = (
        yaml.safe_load(services_yaml.read_text()) if services_yaml.exists() else {}
    )
    assert set(services or {}) == set(strings().get("services", {}))


def test_quality_scale_complete() -> None:
    rules = yaml.safe_load((INTEGRATION / "quality_scale.yaml").read_text())["rules"]
    assert set(rules) == QUALITY_SCALE_RULES
    for rule, status in rules.items():
        if isinstance(status, dict):
            assert status["status"] in {"todo", "exempt"}, rule
            assert status["comment"].strip(), rule
        else:
            assert status == "done", rule
