"""Every icon the integration names exists in the frontend's Material Design Icons.

The frontend draws an icon by name from the MDI set it ships; a name that is not
in it draws nothing (mdi:power-socket-off once left relays switched off without
an icon). The set is hass_frontend/static/mdi/iconList.json of the installed
frontend, the one this Home Assistant release serves.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
import json
from pathlib import Path
import re

import pytest

ROOT = Path(__file__).resolve().parent.parent
INTEGRATION = ROOT / "custom_components" / "intelergy"
ICON = re.compile(r"mdi:[A-Za-z0-9_-]*")


@cache
def mdi_names() -> frozenset[str]:
    """The names of the icons the installed frontend ships, without mdi:."""
    try:
        import hass_frontend  # noqa: PLC0415
    except ImportError:  # pragma: no cover - a broken venv: scripts/setup installs it
        pytest.fail("hass_frontend is not installed: run scripts/setup")
    icon_list = Path(hass_frontend.__file__).parent / "static" / "mdi" / "iconList.json"
    return frozenset(icon["name"] for icon in json.loads(icon_list.read_text()))


def _where(path: Path) -> str:
    return str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name)


def _json_leaves(value: object, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _json_leaves(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _json_leaves(item, f"{where}[{index}]")
    else:
        yield where, str(value)


def icons_json(path: Path = INTEGRATION / "icons.json") -> list[tuple[str, str]]:
    """Every leaf of icons.json: each one is an icon (entity, service, section)."""
    return list(_json_leaves(json.loads(path.read_text()), path.name))


def yaml_icons(paths: list[Path]) -> list[tuple[str, str]]:
    """Every mdi: name in YAML files (blueprints may use !input: read as text)."""
    return [
        (f"{_where(path)}:{number}", match.group())
        for path in paths
        for number, line in enumerate(path.read_text().splitlines(), 1)
        for match in ICON.finditer(line)
    ]


def python_icons(package: Path = INTEGRATION) -> list[tuple[str, str]]:
    """Every string constant under the package that starts with mdi:.

    A constant piece of an f-string ("mdi:battery-{level}") is found too and fails:
    a name built at run time cannot be checked here.
    """
    return [
        (f"{_where(path)}:{node.lineno}", node.value)
        for path in sorted(package.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value.startswith("mdi:")
    ]


def unknown(icons: list[tuple[str, str]]) -> list[str]:
    """The (where, icon) pairs that the frontend cannot draw, as messages."""
    names = mdi_names()
    return [
        f"{where}: {icon!r} is not an MDI icon of the installed frontend"
        for where, icon in icons
        if not (icon.startswith("mdi:") and icon.removeprefix("mdi:") in names)
    ]


def assert_all_known(icons: list[tuple[str, str]]) -> None:
    """Fail with one line per icon the frontend cannot draw."""
    missing = unknown(icons)
    assert not missing, "\n".join(missing)


def test_the_icon_list_is_the_frontends() -> None:
    names = mdi_names()
    assert len(names) > 5000
    assert {"power-plug", "power-plug-off", "power-socket"} <= names
    assert "power-socket-off" not in names


def test_icons_json() -> None:
    icons = icons_json()
    assert len(icons) > 50
    assert_all_known(icons)


def test_services_yaml() -> None:
    assert_all_known(yaml_icons([INTEGRATION / "services.yaml"]))


def test_blueprints() -> None:
    blueprints = sorted((ROOT / "blueprints").rglob("*.yaml"))
    assert blueprints
    assert_all_known(yaml_icons(blueprints))


def test_python_code() -> None:
    assert_all_known(python_icons())


def test_the_checks_find_a_missing_icon(tmp_path: Path) -> None:
    (tmp_path / "icons.json").write_text(
        '{"entity": {"switch": {"relay": {"default": "mdi:power-socket",'
        ' "state": {"off": "mdi:power-socket-off", "on": "power-plug"}}}}}'
    )
    (tmp_path / "code.py").write_text('ICON = "mdi:power-socket-off"\n')
    suffix = "is not an MDI icon of the installed frontend"
    assert unknown(icons_json(tmp_path / "icons.json")) == [
        f"icons.json.entity.switch.relay.state.off: 'mdi:power-socket-off' {suffix}",
        f"icons.json.entity.switch.relay.state.on: 'power-plug' {suffix}",
    ]
    assert [icon for _, icon in python_icons(tmp_path)] == ["mdi:power-socket-off"]
