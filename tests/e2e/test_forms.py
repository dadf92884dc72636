"""Every config-flow, reconfigure and options form of every kind, as a user opens them.

In a real Home Assistant (scripts/develop) and a real browser: each form must
render without a "Translation error", with the labels strings.json gives its
fields, and every icon Home Assistant draws for Intelergy's entities must exist.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from .conftest import ROOT, SCREENS

STRINGS = json.loads(
    (ROOT / "custom_components" / "intelergy" / "strings.json").read_text()
)
# scripts/develop comes up once per session (within the first test): about a minute.
pytestmark = pytest.mark.timeout(600)
NEXT = re.compile("^(Submit|Next)$")
# The text of a node and every shadow root below it.
DEEP_TEXT = """(selector) => {
  const find = (root) => {
    const hit = root.querySelector(selector);
    if (hit) return hit;
    for (const el of root.querySelectorAll("*")) {
      if (el.shadowRoot) { const deep = find(el.shadowRoot); if (deep) return deep; }
    }
    return null;
  };
  const start = selector ? find(document) : document.body;
  if (!start) return "";
  const out = [];
  const walk = (n) => {
    if (n.nodeType === 3) { const t = n.textContent.trim(); if (t) out.push(t); }
    if (n.nodeType === 1 && ["SCRIPT", "STYLE"].includes(n.tagName)) return;
    if (n.shadowRoot) walk(n.shadowRoot);
    for (const c of n.childNodes) walk(c);
  };
  walk(start);
  return out.join("\\n");
}"""
# Entities whose ha-state-icon drew: {checked: [entity ids], blank: [those without a path]}.
DRAWN_ICONS = """() => {
  const checked = [], blank = [];
  const all = (root, out) => {
    for (const el of root.querySelectorAll("*")) {
      out.push(el);
      if (el.shadowRoot) all(el.shadowRoot, out);
    }
    return out;
  };
  for (const el of all(document, [])) {
    if (el.tagName !== "HA-STATE-ICON" || !el.shadowRoot || !el.stateObj) continue;
    const id = el.stateObj.entity_id;
    checked.push(id);
    const svg = all(el.shadowRoot, []).find((n) => n.tagName === "HA-SVG-ICON");
    if (!svg || !svg.path) blank.push(id);
  }
  return {checked, blank};
}"""


async def text(page: Any, selector: str = "") -> str:
    return str(await page.evaluate(DEEP_TEXT, selector))


async def check_form(page: Any, labels: dict[str, str], shot: str) -> str:
    """The open dialog: no translation error, every label shown; a screenshot."""
    await page.wait_for_timeout(800)
    await page.screenshot(path=SCREENS / f"e2e-{shot}.png")
    shown = await text(page, "dialog-data-entry-flow")
    assert "Translation error" not in await text(page), shot
    missing = [label for label in labels.values() if label not in shown]
    assert not missing, (shot, missing, shown[:2000])
    return shown


async def open_menu(page: Any, label: str) -> None:
    """Add integration → Intelergy → ``label`` in the menu of entry kinds."""
    await page.goto(
        f"{page.base_url}/config/integrations/dashboard/add?domain=intelergy"
    )
    await page.get_by_role("button", name="OK").click()
    menu = page.get_by_text(label, exact=True)
    discovered = page.get_by_text("Set up another instance of Intelergy")
    await menu.or_(discovered).first.wait_for()
    if await discovered.count():  # before: a monitor offered per meter's power sensor
        await page.screenshot(path=SCREENS / "e2e-add-lists-discoveries.png")
        pytest.fail("Add integration lists discovered flows before the menu of kinds")
    await page.screenshot(path=SCREENS / "e2e-config-menu.png")
    await menu.click()


async def entries(page: Any) -> list[dict[str, Any]]:
    """Intelergy's config entries, as the frontend reads them."""
    result = await page.evaluate(
        """() => document.querySelector("home-assistant").hass.callWS(
             {type: "config_entries/get", domain: "intelergy"})"""
    )
    return list(result)


async def test_every_config_flow_form(page: Any) -> None:
    steps = STRINGS["config"]["step"]
    menu = steps["user"]["menu_options"]
    for kind, label in menu.items():
        await open_menu(page, label)
        if kind == "pzem":
            options = STRINGS["selector"]["pzem_transport"]["options"]
            await check_form(page, {"network": options["tcp"]}, "config-pzem")
            await page.get_by_role("button", name=NEXT).click()
            await check_form(page, steps["pzem_network"]["data"], "config-pzem_network")
            await page.keyboard.press("Escape")
            await open_menu(page, label)
            await page.get_by_text(options["serial"], exact=True).click()
            await page.get_by_role("button", name=NEXT).click()
            await check_form(page, steps["pzem_serial"]["data"], "config-pzem_serial")
        else:
            await check_form(page, steps[kind]["data"], f"config-{kind}")
        await page.keyboard.press("Escape")


async def test_every_options_and_reconfigure_form(page: Any) -> None:
    await page.goto(f"{page.base_url}/config/integrations/integration/intelergy")
    await page.wait_for_timeout(2000)
    found = await entries(page)
    assert len(found) >= 6  # every kind scripts/develop adds
    aborts = STRINGS["config"]["abort"]
    for number, entry in enumerate(found):
        row = page.locator("ha-config-entry-row", has_text=entry["title"]).first
        if entry["supports_options"]:
            await row.get_by_role("button", name="Configure").click()
            shown = await check_form(page, {}, f"options-{number}")
            assert any(
                step.get("title", "") in shown
                for step in STRINGS["options"]["step"].values()
            ), shown[:500]
            await page.keyboard.press("Escape")
            await page.wait_for_timeout(300)
        await row.get_by_role("button", name="Menu").first.click()
        await page.get_by_role("menuitem", name="Reconfigure").click()
        shown = await check_form(page, {}, f"reconfigure-{number}")
        assert (
            any(
                step.get("title", "") in shown
                for name, step in STRINGS["config"]["step"].items()
                if name.endswith("_reconfigure")
            )
            or aborts["reconfigure_not_supported"] in shown
        ), shown[:500]
        await page.keyboard.press("Escape")
        await page.wait_for_timeout(300)


async def test_every_entity_icon_draws(page: Any) -> None:
    """Relays off included: a name that is not in MDI draws nothing."""
    switches = await page.evaluate(
        """() => Object.values(document.querySelector("home-assistant").hass.entities)
             .filter((e) => e.platform === "intelergy" && e.entity_id.startsWith("switch."))
             .map((e) => e.entity_id)"""
    )
    assert len(switches) >= 4  # the plug, the strip's outlets, the ESP32 meter's relays
    were_on = await page.evaluate(
        """(ids) => ids.filter(
             (id) => document.querySelector("home-assistant").hass.states[id]?.state === "on")""",
        switches,
    )
    await page.evaluate(
        """(ids) => document.querySelector("home-assistant").hass.callService(
             "switch", "turn_off", {entity_id: ids})""",
        switches,
    )
    devices = await page.evaluate(
        """(ids) => [...new Set(ids.map(
             (id) => document.querySelector("home-assistant").hass.entities[id].device_id))]""",
        switches,
    )
    checked: set[str] = set()
    for number, device in enumerate(devices):
        await page.goto(f"{page.base_url}/config/devices/device/{device}")
        await page.wait_for_timeout(3000)
        await page.screenshot(path=SCREENS / f"e2e-device-icons-{number}.png")
        drawn = await page.evaluate(DRAWN_ICONS)
        assert drawn["blank"] == [], (device, drawn["blank"])
        checked |= set(drawn["checked"])
    assert set(switches) <= checked, checked
    if were_on:  # as scripts/develop had them, for the dashboard's views
        await page.evaluate(
            """(ids) => document.querySelector("home-assistant").hass.callService(
                 "switch", "turn_on", {entity_id: ids})""",
            were_on,
        )
