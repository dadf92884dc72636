"""The dashboard strategy's JavaScript, from pytest.

custom_components/intelergy/dashboard/intelergy-strategy.js is tested on node
(tests/js/strategy.test.mjs, node's own test runner, no package needed); this
runs those tests so that scripts/test does. The markdown cards it lays out hold
templates Home Assistant renders server-side (the markdown card asks for them in
strict mode): those are rendered here with HA's own template engine, against
states like the integration's, for the develop and the forty-device households.
"""

from __future__ import annotations

from functools import cache
import json
import os
from pathlib import Path
import re
import shutil
import subprocess
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.template import Template
import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
JS = ROOT / "tests" / "js"
FIXTURES = JS / "fixtures"
STRATEGY = (
    ROOT / "custom_components" / "intelergy" / "dashboard" / "intelergy-strategy.js"
)

# The strategy loaded as the frontend loads it (customElements, HTMLElement, window),
# its dashboard for the model in $INTELERGY_MODEL printed as JSON.
DUMP = """
globalThis.window = globalThis;
globalThis.HTMLElement = class {};
const defined = new Map();
globalThis.customElements = { define: (n, c) => defined.set(n, c), get: (n) => defined.get(n) };
const { readFileSync } = await import("node:fs");
await import(process.env.INTELERGY_STRATEGY);
const model = JSON.parse(readFileSync(process.env.INTELERGY_MODEL, "utf8"));
const hass = { locale: { language: "en" }, states: {}, callWS: async () => model };
const config = await customElements.get("ll-strategy-dashboard-intelergy").generate({}, hass);
process.stdout.write(JSON.stringify(config));
"""


def node() -> str:
    """Node, which runs the strategy's tests."""
    found = shutil.which("node")
    if found is None:
        pytest.fail(
            "node is not installed: the dashboard strategy's tests run on it; "
            "scripts/setup installs nodejs and npm"
        )
    return found


def test_strategy_js() -> None:
    """The node tests pass: tests/js/strategy.test.mjs alone (not node_modules)."""
    run = subprocess.run(  # noqa: S603 - our own test file, no shell
        [node(), "--test", str(JS / "strategy.test.mjs")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert run.returncode == 0, f"{run.stdout}\n{run.stderr}"
    assert re.search(r"^# pass [1-9]\d*$", run.stdout, re.MULTILINE), run.stdout
    assert re.search(r"^# fail 0$", run.stdout, re.MULTILINE), run.stdout


@cache
def dashboard(fixture: str) -> dict[str, Any]:
    """The dashboard the strategy lays out for a fixture's household."""
    run = subprocess.run(  # noqa: S603 - our own module, no shell
        [node(), "--input-type=module", "-e", DUMP],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={
            **os.environ,
            "INTELERGY_STRATEGY": STRATEGY.as_uri(),
            "INTELERGY_MODEL": str(FIXTURES / fixture),
        },
    )
    assert run.returncode == 0, run.stderr
    result: dict[str, Any] = json.loads(run.stdout)
    return result


def markdown_cards(config: dict[str, Any], path: str) -> list[dict[str, Any]]:
    """The markdown cards of one view."""
    view = next(v for v in config["views"] if v["path"] == path)
    return [
        card
        for section in view["sections"]
        for card in section["cards"]
        if card["type"] == "markdown"
    ]


def model_of(fixture: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads((FIXTURES / fixture).read_text("utf-8"))
    return result


SLABS = [
    {"from_kwh": 0.0, "to_kwh": 100.0, "kwh": 100.0, "rate": 3.5, "amount": 350.0},
    {"from_kwh": 100.0, "to_kwh": 300.0, "kwh": 42.5, "rate": 4.5, "amount": 191.25},
    {"from_kwh": 300.0, "to_kwh": None, "kwh": 0.0, "rate": 6.0, "amount": 0.0},
]


def set_states(hass: HomeAssistant, model: dict[str, Any]) -> dict[str, float]:
    """States like the integration's for every entity of the model; the powers set."""
    powers: dict[str, float] = {}
    for number, device in enumerate(model["devices"]):
        offline = not device["online"]
        for load in device["loads"]:
            watts = 0.0 if offline else 10.0 * (number + 1)
            if load["power"]:
                powers[load["power"]] = watts
                hass.states.async_set(
                    load["power"],
                    "unavailable" if offline else str(watts),
                    {
                        "unit_of_measurement": "W",
                        "friendly_name": f"{device['name']} Power",
                    },
                )
            if load["energy"]:
                hass.states.async_set(
                    load["energy"], "12.5", {"unit_of_measurement": "kWh"}
                )
            if load["relay"]:
                hass.states.async_set(load["relay"], "on")
            if load["cost"]:
                hass.states.async_set(load["cost"], "12.25", {"energy_kwh": 2.345})
        for problem in device["problems"]:
            hass.states.async_set(
                problem,
                "on" if device["problem"] and not offline else "off",
                {
                    "friendly_name": problem.split(".", 1)[1]
                    .replace("_", " ")
                    .capitalize()
                },
            )
    for bill in model["bills"]:
        hass.states.async_set(
            bill["cost_cycle"], "640.11", {"slabs": SLABS, "energy_kwh": 142.5}
        )
        hass.states.async_set(
            bill["projected_cost"],
            "1010.0",
            {"low": 950.5, "high": 1104.25, "method": "linear"},
        )
        hass.states.async_set(
            bill["projected_energy"], "210.0", {"low_kwh": 190.04, "high_kwh": 231.96}
        )
    for account in model["prepaid"]:
        hass.states.async_set(
            account["low_balance"], "on", {"friendly_name": "ELNET low balance"}
        )
        hass.states.async_set(account["stale"], "off", {"friendly_name": "ELNET stale"})
    return powers


def render(hass: HomeAssistant, card: dict[str, Any]) -> str:
    """A markdown card's content as HA renders it for the card (strict, as the card asks)."""
    return str(
        Template(card["content"], hass).async_render(
            {"config": card, "user": "dev"}, strict=True, parse_result=False
        )
    )


@pytest.mark.parametrize(
    "fixture",
    ["household-develop.json", "household-forty.json", "household-one-plug.json"],
)
async def test_every_markdown_template_renders(
    hass: HomeAssistant, fixture: str
) -> None:
    """Strict mode (an undefined name is an error), every view, no Jinja left over."""
    config = dashboard(fixture)
    set_states(hass, model_of(fixture))
    rendered = 0
    for view in config["views"]:
        for card in markdown_cards(config, view["path"]):
            text = render(hass, card)
            assert "{{" not in text
            assert "{%" not in text
            rendered += 1
    assert rendered >= 3


async def test_develop_templates_show_the_live_figures(hass: HomeAssistant) -> None:
    model = model_of("household-develop.json")
    powers = set_states(hass, model)
    config = dashboard("household-develop.json")
    home = [render(hass, card) for card in markdown_cards(config, "home")]
    total = round(sum(powers.values()))
    assert any(text.startswith(f"### {total} W\n") for text in home), home
    projection = next(text for text in home if "Likely between" in text)
    assert "Likely between **₹950.50** and **₹1104.25**." in projection
    assert (
        "This cycle is in the **100\N{EN DASH}300 kWh** slab at ₹4.50/kWh (142.5 kWh so far)."
        in projection
    )
    alerts = next(text for text in home if text.startswith("- ")).splitlines()
    assert alerts == [
        '- <ha-icon icon="mdi:lan-disconnect"></ha-icon> PZEM-004T — offline',
        '- <ha-icon icon="mdi:alert-circle-outline"></ha-icon> Kitchen kettle overpower',
        '- <ha-icon icon="mdi:alert-circle-outline"></ha-icon> Kitchen kettle anomaly',
        '- <ha-icon icon="mdi:alert-circle-outline"></ha-icon> ELNET low balance',
    ]  # not the ESP32: online, its problem off

    rooms = [render(hass, card) for card in markdown_cards(config, "rooms")]
    kitchen = sum(
        powers[load["power"]]
        for device in model["devices"]
        if device["area_id"] == "kitchen"
        for load in device["loads"]
    )
    assert rooms[0] == f"**{round(kitchen)} W** now · **₹36.75** this cycle"

    bill = "\n".join(render(hass, card) for card in markdown_cards(config, "bill"))
    assert "| Kitchen kettle | 2.3 | ₹12.25 |" in bill
    assert "| Living room | ₹49.00 |" in bill
    assert "Projected energy: 190.0\N{EN DASH}232.0 kWh." in bill

    devices = [render(hass, card) for card in markdown_cards(config, "devices")]
    assert devices[0].startswith(
        '<ha-icon icon="mdi:lan-connect"></ha-icon> Online · <ha-icon icon="mdi:alert-circle-outline"></ha-icon> Kitchen kettle overpower · <ha-icon icon="mdi:alert-circle-outline"></ha-icon> Kitchen kettle anomaly'
    )
    assert devices[1].startswith(
        '<ha-icon icon="mdi:lan-disconnect"></ha-icon> **Offline**'
    )

    alerts_view = [render(hass, card) for card in markdown_cards(config, "alerts")]
    assert (
        alerts_view[0]
        == '- <ha-icon icon="mdi:alert-circle-outline"></ha-icon> Kitchen kettle anomaly'
    )


async def test_templates_say_when_there_is_nothing(hass: HomeAssistant) -> None:
    """No states yet: no projection, no slab, no problem; nothing fails."""
    config = dashboard("household-develop.json")
    home = [render(hass, card) for card in markdown_cards(config, "home")]
    assert "No projection yet: it needs a few days of this cycle." in home
    assert (
        '<ha-icon icon="mdi:check-circle-outline"></ha-icon> No active problems.'
        in home
    )
    assert home[0].startswith("### 0 W\n")


async def test_a_long_problem_list_is_cut_short(hass: HomeAssistant) -> None:
    """Forty devices' problems all on: Home names ten of them, then how many more."""
    model = model_of("household-forty.json")
    set_states(hass, model)
    problems = [p for device in model["devices"] for p in device["problems"]]
    for problem in problems:
        hass.states.async_set(problem, "on", {"friendly_name": problem})
    offline = sum(1 for device in model["devices"] if not device["online"])
    config = dashboard("household-forty.json")
    home = [render(hass, card) for card in markdown_cards(config, "home")]
    alerts = next(text for text in home if text.startswith("- ")).splitlines()
    assert len(alerts) == 11
    assert alerts[-1] == f"…and {len(problems) + offline - 10} more"
