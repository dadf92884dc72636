"""Every string of strings.json reads in the frontend as written.

The frontend reads each translation as an ICU message with intl-messageformat
(src/common/translations/localize.ts): "<prefix>/<device id>/state" is a tag to it,
and the form showed "Translation error: INVALID_TAG" instead of the help text. So
every string is handed to the same parser, on node (tests/js/check_messages.mjs,
its package installed by scripts/setup), and must parse, hold no tag and, when it
is only text and {placeholders}, render exactly as written. Each string must also
pass string_with_no_html, the rule hassfest applies to translations, and the
placeholders a flow, an exception or a repair issue uses must be ones the code
passes where the code passes them literally.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
import json
from pathlib import Path
import shutil
import subprocess
import tempfile
from typing import Any

from homeassistant.helpers import config_validation as cv
import pytest
import voluptuous as vol

ROOT = Path(__file__).resolve().parent.parent
INTEGRATION = ROOT / "custom_components" / "intelergy"
JS = ROOT / "tests" / "js"
STRING_FILES = [
    INTEGRATION / "strings.json",
    *sorted((INTEGRATION / "translations").glob("*.json")),
]


def flatten(data: Any, prefix: str = "") -> dict[str, str]:
    """{"config.step.esp32.title": "...", ...}: every string, by its dotted key."""
    if isinstance(data, dict):
        return {
            key: text
            for name, value in data.items()
            for key, text in flatten(
                value, f"{prefix}.{name}" if prefix else name
            ).items()
        }
    assert isinstance(data, str), f"{prefix}: {data!r} is not a string"
    return {prefix: data}


def strings(path: Path) -> dict[str, str]:
    """The strings of one translation file."""
    return flatten(json.loads(path.read_text(encoding="utf-8")))


def frontend_check(messages: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Each message as the frontend reads it: {"args": {name: kind}, "errors": [...]}."""
    node = shutil.which("node")
    if node is None:
        pytest.fail(
            "node is not installed: the frontend's message parser runs on it; "
            "scripts/setup installs nodejs and npm"
        )
    if not (JS / "node_modules" / "intl-messageformat" / "package.json").is_file():
        pytest.fail("tests/js/node_modules is missing: run scripts/setup (npm ci)")
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "messages.json"
        source.write_text(json.dumps(messages), encoding="utf-8")
        run = subprocess.run(  # noqa: S603 - our own script, no shell
            [node, str(JS / "check_messages.mjs"), str(source)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    if run.returncode != 0:
        pytest.fail(f"check_messages.mjs failed ({run.returncode}):\n{run.stderr}")
    result: dict[str, dict[str, Any]] = json.loads(run.stdout)
    assert result.keys() == messages.keys()
    return result


@cache
def checked(path: Path) -> dict[str, dict[str, Any]]:
    """frontend_check of one file's strings, once per run."""
    return frontend_check(strings(path))


def html_errors(messages: dict[str, str]) -> list[str]:
    """The strings string_with_no_html (hassfest's rule) refuses."""
    refused = []
    for key, text in messages.items():
        try:
            cv.string_with_no_html(text)
        except vol.Invalid as err:
            refused.append(f"{key}: {err}: {text!r}")
    return refused


@pytest.mark.parametrize("path", STRING_FILES, ids=lambda path: path.name)
def test_every_string_reads_in_the_frontend(path: Path) -> None:
    errors = [
        f"{key}: {error}: {strings(path)[key]!r}"
        for key, result in checked(path).items()
        for error in result["errors"]
    ]
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize("path", STRING_FILES, ids=lambda path: path.name)
def test_no_string_holds_html(path: Path) -> None:
    refused = html_errors(strings(path))
    assert not refused, "\n".join(refused)


def test_the_checks_refuse_what_the_frontend_cannot_show() -> None:
    """The checks are not vacuous: the strings of issue 14 and other traps fail."""
    result = frontend_check(
        {
            "device_id": "The meter's id in its topics: <prefix>/<device id>/state.",
            "abort": "online under intelergy/<device id>/availability",
            "quoted": "Add '{name}'?",
            "tag": "Press <b>Submit</b>.",
            "ok": "The {model} at {host}'s address; it's {n, plural, one {# relay} other {# relays}}.",
        }
    )
    assert result["device_id"]["errors"] == ["Translation error: INVALID_TAG"]
    assert result["abort"]["errors"] == ["Translation error: INVALID_TAG"]
    assert result["quoted"]["errors"] == ['renders as "Add {name}?", not as written']
    assert result["tag"]["errors"][0] == "<b> is parsed as a tag"
    assert result["ok"] == {
        "args": {"model": "argument", "host": "argument", "n": "plural"},
        "errors": [],
    }
    assert len(html_errors({"a": "x <prefix>/<device id>/y", "b": "a < b > c"})) == 1


# Placeholders: what a string uses must be what the code passes.

FLOW_CALLS = {
    "async_show_form": "step_id",
    "async_show_menu": "step_id",
    "async_abort": "reason",
}


def _literal(node: ast.expr | None) -> str | None:
    return (
        node.value
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        else None
    )


def _dict_keys(node: ast.expr | None) -> set[str] | None:
    if isinstance(node, ast.Dict) and all(_literal(key) for key in node.keys):
        return {_literal(key) or "" for key in node.keys}
    return None


def _returned_dicts(tree: ast.Module) -> dict[str, set[str]]:
    """The functions of a module that return one literal dict: their keys."""
    found = {}
    for function in ast.walk(tree):
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            returns = [n for n in ast.walk(function) if isinstance(n, ast.Return)]
            if len(returns) == 1 and (keys := _dict_keys(returns[0].value)) is not None:
                found[function.name] = keys
    return found


def _passed(
    call: ast.Call, keyword: str, helpers: dict[str, set[str]]
) -> set[str] | None:
    """The placeholder names a call passes: none, a literal dict's keys, or unknown.

    A call of a function of the same module that returns a literal dict
    (self._shelly_placeholders()) passes that dict's keys.
    """
    value = next((kw.value for kw in call.keywords if kw.arg == keyword), None)
    if value is None:
        return set()
    if isinstance(value, ast.Call) and not value.args and not value.keywords:
        name = getattr(value.func, "attr", getattr(value.func, "id", ""))
        return helpers.get(name)
    return _dict_keys(value)


def placeholder_uses(
    package: Path = INTEGRATION,
) -> Iterator[tuple[str, list[str], set[str]]]:
    """(where, the string keys the call shows, the placeholders it passes) per call.

    Only calls whose key and placeholders are literals: flows' forms, menus and
    aborts, exceptions (translation_domain=...) and repair issues.
    """
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        helpers = _returned_dicts(tree)
        for call in ast.walk(tree):
            if not isinstance(call, ast.Call):
                continue
            name = getattr(call.func, "attr", getattr(call.func, "id", ""))
            kwargs = {kw.arg: kw.value for kw in call.keywords}
            where = f"{path.relative_to(package.parent)}:{call.lineno}"
            if name in FLOW_CALLS and (key := _literal(kwargs.get(FLOW_CALLS[name]))):
                passed = _passed(call, "description_placeholders", helpers)
                section = "step" if FLOW_CALLS[name] == "step_id" else "abort"
                keys = [f"{flow}.{section}.{key}" for flow in ("config", "options")]
            elif (key := _literal(kwargs.get("translation_key"))) and (
                name.endswith("create_issue") or "translation_domain" in kwargs
            ):
                passed = _passed(call, "translation_placeholders", helpers)
                section = "issues" if name.endswith("create_issue") else "exceptions"
                keys = [f"{section}.{key}"]
            else:
                continue
            if passed is not None:
                yield where, keys, passed


def placeholder_problems(
    args: dict[str, dict[str, str]], uses: list[tuple[str, list[str], set[str]]]
) -> list[str]:
    """The strings that use a placeholder their call does not pass, as messages."""
    wrong = []
    for where, keys, passed in uses:
        shown = {
            key: set(used)
            for key, used in args.items()
            if any(key == k or key.startswith(f"{k}.") for k in keys)
        }
        if not shown:
            wrong.append(f"{where}: no string under {' or '.join(keys)}")
        wrong += [
            f"{where}: {key} uses {sorted(used - passed)}, the code passes {sorted(passed)}"
            for key, used in shown.items()
            if used - passed
        ]
    return wrong


def test_placeholders_are_the_ones_the_code_passes() -> None:
    args = {key: result["args"] for key, result in checked(STRING_FILES[0]).items()}
    uses = list(placeholder_uses())
    assert len(uses) > 20
    wrong = placeholder_problems(args, uses)
    assert not wrong, "\n".join(wrong)


def test_the_placeholder_check_finds_a_missing_one(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "flow.py").write_text(
        "class Flow:\n"
        "    def _names(self):\n"
        '        return {"name": "x"}\n'
        "    def step(self):\n"
        '        self.async_show_form(step_id="confirm", description_placeholders=self._names())\n'
        '        self.async_abort(reason="gone")\n'
        '        raise HomeAssistantError(translation_domain="d", translation_key="boom")\n'
    )
    uses = list(placeholder_uses(tmp_path / "pkg"))
    assert uses == [
        ("pkg/flow.py:5", ["config.step.confirm", "options.step.confirm"], {"name"}),
        ("pkg/flow.py:6", ["config.abort.gone", "options.abort.gone"], set()),
        ("pkg/flow.py:7", ["exceptions.boom"], set()),
    ]
    args = {
        "config.step.confirm.title": {"name": "argument"},
        "config.step.confirm.description": {"name": "argument", "host": "argument"},
        "config.abort.gone": {},
    }
    assert placeholder_problems(args, uses) == [
        (
            "pkg/flow.py:5: config.step.confirm.description uses ['host'],"
            " the code passes ['name']"
        ),
        "pkg/flow.py:7: no string under exceptions.boom",
    ]
