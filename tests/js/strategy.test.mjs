// The Intelergy dashboard strategy (custom_components/intelergy/dashboard/intelergy-strategy.js),
// on node without a browser: the module is loaded with stand-ins for customElements and
// HTMLElement, and its generate() lays out the household models in fixtures/.
//
//   node --test tests/js/strategy.test.mjs      (tests/dashboard/test_strategy_js.py runs it)
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { makeForty } from "./fixtures/make_forty.mjs";

const STRATEGY = new URL("../../custom_components/intelergy/dashboard/intelergy-strategy.js", import.meta.url);
const TAG = "ll-strategy-dashboard-intelergy";

// What a browser gives the module, no more.
const defined = new Map();
let defines = 0;
globalThis.window = globalThis;
globalThis.HTMLElement = class {};
globalThis.customElements = {
  define(name, cls) {
    if (defined.has(name)) throw new Error(`${name} has already been defined`);
    defines += 1;
    defined.set(name, cls);
  },
  get: (name) => defined.get(name),
};

const strategyModule = await import(STRATEGY.href);
// Loaded a second time (a second dashboard, a reload of the extra module): no second
// definition, no second picker entry.
await import(`${STRATEGY.href}?again`);

const fixture = (name) => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8"));
const ONE = fixture("household-one-plug.json");
const DEVELOP = fixture("household-develop.json");
const FORTY = fixture("household-forty.json");
const clone = (value) => structuredClone(value);

async function generate(model, hass = {}) {
  const calls = [];
  const fake = {
    locale: { language: "en" },
    states: {},
    ...hass,
    callWS: async (message) => {
      calls.push(message);
      if (model instanceof Error) throw model;
      return clone(model);
    },
  };
  const config = await customElements.get(TAG).generate({ type: "custom:intelergy" }, fake);
  return { config, calls };
}

const paths = (config) => config.views.map((v) => v.path);
const viewOf = (config, path) => config.views.find((v) => v.path === path);

// Every card of a config, nested ones included, with where it is.
function cards(config) {
  const out = [];
  const walk = (card, where) => {
    out.push({ card, where });
    for (const inner of card.cards || []) walk(inner, where);
  };
  for (const v of config.views) {
    for (const [i, s] of (v.sections || []).entries()) for (const c of s.cards) walk(c, `${v.path}/${i}`);
    for (const c of v.cards || []) walk(c, v.path);
  }
  return out;
}

const ENTITY = /\b(?:sensor|binary_sensor|switch|number|select|button|event|update)\.[a-z0-9_]+\b/g;

// Every entity id a config refers to: as a value of `entity`/`entity_id`, in `entities`
// lists, in targets and visibility conditions, and inside strings (templates).
function referencedEntities(config) {
  const found = new Set();
  const walk = (value) => {
    if (typeof value === "string") {
      for (const match of value.match(ENTITY) || []) found.add(match);
    } else if (Array.isArray(value)) {
      value.forEach(walk);
    } else if (value && typeof value === "object") {
      Object.values(value).forEach(walk);
    }
  };
  walk(config);
  return found;
}

function referencedDevices(config) {
  const found = new Set();
  const walk = (value) => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === "object") {
      for (const [key, inner] of Object.entries(value)) {
        if (key === "device_id") [inner].flat().forEach((id) => found.add(id));
        else walk(inner);
      }
    }
  };
  walk(config);
  return found;
}

function modelEntities(model) {
  const found = new Set();
  const walk = (value) => {
    if (typeof value === "string") {
      if (/^[a-z_]+\.[a-z0-9_]+$/.test(value)) found.add(value);
    } else if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === "object") Object.values(value).forEach(walk);
  };
  walk(model);
  return found;
}

// The built-in cards the strategy may use, each with the keys its config may carry, as read
// in the installed frontend (hass_frontend 20260930.5: the cards' setConfig and the config
// structs of their editors).
const COMMON = ["type", "visibility", "grid_options"];
const ALLOWED = {
  heading: ["heading", "heading_style", "icon", "badges", "tap_action"],
  tile: ["entity", "name", "icon", "color", "hide_state", "state_content", "vertical", "features", "features_position", "tap_action", "icon_tap_action"],
  gauge: ["entity", "name", "unit", "min", "max", "severity", "needle", "segments", "theme"],
  statistic: ["entity", "name", "icon", "unit", "stat_type", "period", "theme", "energy_date_selection", "collection_key"],
  "statistics-graph": ["entities", "title", "days_to_show", "period", "chart_type", "stat_types", "unit", "hide_legend", "expand_legend", "energy_date_selection", "collection_key", "min_y_axis", "max_y_axis", "fit_y_data", "logarithmic_scale"],
  "history-graph": ["entities", "title", "hours_to_show", "show_names", "min_y_axis", "max_y_axis", "fit_y_data", "logarithmic_scale", "expand_legend"],
  entities: ["entities", "title", "show_header_toggle", "state_color", "theme", "header", "footer", "icon"],
  markdown: ["content", "title", "text_only", "show_empty", "theme", "card_size"],
  logbook: ["target", "entities", "title", "hours_to_show", "theme", "state_filter"],
  "energy-date-selection": ["collection_key", "disable_compare", "opening_direction", "vertical_opening_direction"],
  "energy-usage-graph": ["title", "collection_key", "expand_legend"],
  "energy-devices-graph": ["title", "collection_key", "max_devices", "modes", "expand_legend"],
  "energy-distribution": ["title", "collection_key", "link_dashboard"],
};
const ENERGY_CARDS = Object.keys(ALLOWED).filter((type) => type.startsWith("energy-"));
const STAT_PERIODS = ["5minute", "hour", "day", "week", "month", "year", "auto"];
const CHART_TYPES = ["line", "line-stack", "bar", "bar-stack"];
const STAT_TYPES = ["mean", "min", "max", "sum", "state", "change"];

// No entities card has more than MAX_ROWS rows, no markdown table more than MAX_ROWS rows.
const MAX_ROWS = 12;
function assertShortCards(config) {
  assert.equal(strategyModule.MAX_ROWS, MAX_ROWS);
  for (const { card, where } of cards(config)) {
    if (card.type === "entities") assert.ok(card.entities.length <= MAX_ROWS, `${where}: ${card.entities.length}`);
    if (card.type === "markdown") {
      // each run of lines starting with "|" is a table: a header, a separator, its rows
      const runs = card.content.split("\n").reduce((acc, line) => {
        if (!line.startsWith("|")) acc.push(0);
        else acc[acc.length - 1] += 1;
        return acc;
      }, [0]);
      for (const run of runs.filter(Boolean)) assert.ok(run - 2 <= MAX_ROWS, `${where}: a table of ${run - 2} rows`);
    }
  }
}

const ALL = { one: ONE, develop: DEVELOP, forty: FORTY };

test("the element is defined once and the picker lists the strategy once", () => {
  assert.equal(defines, 1);
  assert.equal(typeof customElements.get(TAG)?.generate, "function");
  const Strategy = customElements.get(TAG);
  assert.ok(new Strategy() instanceof HTMLElement);
  const ours = window.customStrategies.filter((s) => s.type === "intelergy");
  assert.equal(ours.length, 1);
  assert.equal(ours[0].strategyType, "dashboard");
  assert.equal(ours[0].name, "Intelergy");
  assert.ok(ours[0].description.length > 20);
  assert.equal(ours[0].documentationURL, "https://github.com/intelergy/intelergy#dashboard");
  assert.equal(strategyModule.IntelergyDashboardStrategy, customElements.get(TAG));
});

test("generate asks for the household once", async () => {
  const { config, calls } = await generate(DEVELOP);
  assert.deepEqual(calls, [{ type: "intelergy/household" }]);
  assert.equal(config.title, "Intelergy");
});

test("develop household: every view, each a sections view with a path and an icon", async () => {
  const { config } = await generate(DEVELOP);
  assert.deepEqual(paths(config), ["home", "rooms", "devices", "usage", "bill", "prepaid", "alerts"]);
  for (const v of config.views) {
    assert.equal(v.type, "sections", v.path);
    assert.match(v.icon, /^mdi:[a-z-]+$/, v.path);
    assert.ok(v.title, v.path);
    assert.ok(v.sections.length > 0, v.path);
    for (const s of v.sections) {
      assert.equal(s.type, "grid", v.path);
      assert.ok(s.cards.length > 0, v.path);
    }
  }
});

test("one plug: Home, Devices and Usage; no Rooms (one room without an area), Bill, Prepaid or Alerts", async () => {
  const { config } = await generate(ONE);
  assert.deepEqual(paths(config), ["home", "devices", "usage"]);
});

test("a single room that is a real area gets its Rooms view", async () => {
  const model = clone(ONE);
  model.rooms[0].area_id = "office";
  model.rooms[0].name = "Office";
  model.devices[0].area_id = "office";
  const { config } = await generate(model);
  assert.deepEqual(paths(config), ["home", "rooms", "devices", "usage"]);
});

test("each optional view appears exactly when the model has it", async () => {
  const model = clone(DEVELOP);
  model.bills = [];
  assert.ok(!paths((await generate(model)).config).includes("bill"));
  model.prepaid = [];
  assert.ok(!paths((await generate(model)).config).includes("prepaid"));
  model.monitors = [];
  assert.deepEqual(paths((await generate(model)).config), ["home", "rooms", "devices", "usage"]);
});

test("no device at all: one Home view that says how to add one", async () => {
  const model = { ...clone(DEVELOP), rooms: [], devices: [], bills: [], prepaid: [], monitors: [], whole_house_power: null };
  const { config } = await generate(model);
  assert.deepEqual(paths(config), ["home"]);
  const all = cards(config);
  assert.equal(all.length, 1);
  assert.equal(all[0].card.type, "markdown");
  assert.match(all[0].card.content, /Settings → Devices & services → Add integration → Intelergy/);
});

test("a prepaid account alone still makes a dashboard", async () => {
  const model = { ...clone(DEVELOP), rooms: [], devices: [], bills: [], monitors: [] };
  const { config } = await generate(model);
  assert.deepEqual(paths(config), ["home", "prepaid"]);
});

test("when callWS fails: one view explaining it, no exception", async () => {
  const { config } = await generate(Object.assign(new Error("Unknown command."), { code: "unknown_command" }));
  assert.equal(config.views.length, 1);
  const all = cards(config);
  assert.equal(all.length, 1);
  assert.equal(all[0].card.type, "markdown");
  assert.match(all[0].card.content, /Unknown command\./);
  assert.match(all[0].card.content, /Devices & services/);
});

test("a model the layout cannot read: the same explanation, no exception", async () => {
  const { config } = await generate({ devices: "not a list" });
  assert.equal(config.views.length, 1);
  assert.equal(cards(config)[0].card.type, "markdown");
});

for (const [name, model] of Object.entries(ALL)) {
  test(`${name}: every entity and device the dashboard refers to is in the model`, async () => {
    const { config } = await generate(model);
    const known = modelEntities(model);
    const used = referencedEntities(config);
    assert.ok(used.size > 3);
    assert.deepEqual([...used].filter((id) => !known.has(id)), []);
    const devices = new Set(model.devices.map((d) => d.device_id).concat(model.prepaid.map((a) => a.device_id)));
    assert.deepEqual([...referencedDevices(config)].filter((id) => !devices.has(id)), []);
  });

  test(`${name}: only built-in cards, with keys and values the installed frontend knows`, async () => {
    const { config } = await generate(model);
    for (const { card, where } of cards(config)) {
      const keys = ALLOWED[card.type];
      assert.ok(keys, `${where}: card type ${card.type} is not a built-in one we use`);
      const unknown = Object.keys(card).filter((key) => !COMMON.includes(key) && !keys.includes(key));
      assert.deepEqual(unknown, [], `${where}: ${card.type}`);
      if (card.type === "statistics-graph") {
        assert.ok(card.entities.length > 0, where);
        if (card.period) assert.ok(STAT_PERIODS.includes(card.period), where);
        assert.ok(CHART_TYPES.includes(card.chart_type), where);
        card.stat_types.forEach((t) => assert.ok(STAT_TYPES.includes(t), where));
      }
      if (card.type === "statistic") {
        assert.ok(STAT_TYPES.includes(card.stat_type), where);
        assert.deepEqual(card.period, { calendar: { period: "day" } }, where);
      }
      if (card.type === "heading") assert.ok(["title", "subtitle"].includes(card.heading_style), where);
      if (card.type === "tile") {
        (card.features || []).forEach((f) => assert.equal(f.type, "toggle", where));
        if (card.features) assert.match(card.entity, /^switch\./, where);
      }
      if (card.type === "gauge") {
        assert.ok(card.max > card.min, where);
        if (card.severity) assert.deepEqual(Object.keys(card.severity).sort(), ["green", "red", "yellow"], where);
      }
      if (card.type === "logbook") assert.ok(card.target.entity_id.length > 0, where);
      if (card.type === "markdown") assert.ok(card.content.trim(), where);
      if (card.type === "entities") {
        card.entities.forEach((row) => {
          assert.ok(row.entity, where);
          if (row.secondary_info) assert.equal(row.secondary_info, "last-updated", where);
        });
      }
      for (const condition of card.visibility || []) assert.equal(condition.condition, "state", where);
    }
  });

  test(`${name}: every template in a markdown card is balanced`, async () => {
    const { config } = await generate(model);
    for (const { card, where } of cards(config).filter((c) => c.card.type === "markdown")) {
      const opened = (card.content.match(/\{%/g) || []).length;
      assert.equal(opened, (card.content.match(/%\}/g) || []).length, where);
      assert.equal((card.content.match(/\{\{/g) || []).length, (card.content.match(/\}\}/g) || []).length, where);
      const blocks = [...card.content.matchAll(/\{%\s*(\w+)/g)].map((m) => m[1]);
      for (const [open, close] of [["for", "endfor"], ["if", "endif"]]) {
        assert.equal(blocks.filter((b) => b === open).length, blocks.filter((b) => b === close).length, `${where}: ${open}`);
      }
    }
  });

  test(`${name}: no card lists more than ${MAX_ROWS} rows`, async () => {
    assertShortCards((await generate(model)).config);
  });
}

test("a device of 20 outlets and 15 measurements: its rows split over cards, none lost", async () => {
  const model = clone(DEVELOP);
  const strip = model.devices.find((d) => d.name === "Living room strip");
  strip.loads = Array.from({ length: 20 }, (_, i) => ({
    name: `Outlet ${i + 1}`,
    power: `sensor.big_strip_outlet_${i + 1}_power`,
    energy: `sensor.big_strip_outlet_${i + 1}_energy`,
    relay: `switch.big_strip_outlet_${i + 1}`,
    cost: `sensor.home_cost_big_strip_outlet_${i + 1}_energy`,
    anomaly: null,
    baseline: null,
  }));
  strip.extra = Array.from({ length: 15 }, (_, i) => `sensor.big_strip_temperature_${i + 1}`);
  model.bills[0].billed.push(...strip.loads.map((l) => ({ energy: l.energy, cost: l.cost })));
  const { config } = await generate(model);
  assertShortCards(config);
  const section = viewOf(config, "devices").sections.find((s) => s.cards[0].heading === "Living room strip");
  const rows = section.cards.filter((c) => c.type === "entities").flatMap((c) => c.entities.map((r) => r.entity));
  assert.equal(rows.length, 20 * 3 + 15 + strip.problems.length);
  assert.equal(new Set(rows).size, rows.length);
  const bill = viewOf(config, "bill").sections.flatMap((s) => s.cards).map((c) => c.content || "").join("\n");
  for (const load of strip.loads) assert.ok(bill.includes(`| Living room strip: ${load.name} |`), load.name);
});

test("Devices: devices with a problem first, then by name", async () => {
  const { config } = await generate(DEVELOP);
  const names = viewOf(config, "devices").sections.map((s) => s.cards[0].heading);
  assert.deepEqual(names, ["Kitchen kettle", "PZEM-004T", "Kitchen ESP32 meter", "Living room strip"]);
});

test("Devices: online status, last seen, relay, power, energy and extras of each device", async () => {
  const { config } = await generate(DEVELOP);
  const esp = viewOf(config, "devices").sections.find((s) => s.cards[0].heading === "Kitchen ESP32 meter");
  const rows = esp.cards.filter((c) => c.type === "entities").flatMap((c) => c.entities);
  const ids = rows.map((r) => r.entity);
  for (const id of [
    "sensor.kitchen_esp32_meter_load_1_power",
    "switch.kitchen_esp32_meter_relay_1",
    "switch.kitchen_esp32_meter_relay_2",
    "sensor.kitchen_esp32_meter_load_2_energy",
    "sensor.kitchen_esp32_meter_last_update",
    "sensor.kitchen_esp32_meter_voltage",
    "binary_sensor.kitchen_esp32_meter_overpower",
  ]) {
    assert.ok(ids.includes(id), id);
  }
  assert.equal(rows.find((r) => r.entity === "sensor.kitchen_esp32_meter_load_1_power").secondary_info, "last-updated");
  assert.equal(rows.find((r) => r.entity === "sensor.kitchen_esp32_meter_load_1_power").name, "Load 1 Power");
  const status = esp.cards.find((c) => c.type === "markdown").content;
  assert.match(status, /is_state\("sensor\.kitchen_esp32_meter_load_1_power", 'unavailable'\)/);
  assert.match(status, /Offline/);
  assert.match(status, /ESP32 meter/);
});

test("Rooms: a section per room, its live total, then power, relay, today and cost of each load", async () => {
  const { config } = await generate(DEVELOP);
  const rooms = viewOf(config, "rooms").sections;
  assert.deepEqual(rooms.map((s) => s.cards[0].heading), ["Kitchen", "Living room", "Utility room"]);
  const living = rooms[1].cards;
  assert.match(living[1].content, /sensor\.living_room_strip_tv_power/);
  assert.match(living[1].content, /sensor\.home_cost_living_room_strip_router_energy/);
  assert.match(living[1].content, /₹\{\{/);
  const tv = living.filter((c) => c.type !== "markdown" && JSON.stringify(c).includes("living_room_strip_tv"));
  assert.deepEqual(
    tv.map((c) => [c.type, c.entity]),
    [
      ["tile", "sensor.living_room_strip_tv_power"],
      ["tile", "switch.living_room_strip_tv"],
      ["statistic", "sensor.living_room_strip_tv_energy"],
      ["tile", "sensor.home_cost_living_room_strip_tv_energy"],
    ],
  );
  assert.equal(tv[0].name, "TV");
  assert.deepEqual(tv[1].features, [{ type: "toggle" }]);
  assert.equal(tv[2].stat_type, "change");
  // The ESP32's spare relay: a tile with a toggle in its room.
  const spare = rooms[0].cards.find((c) => c.entity === "switch.kitchen_esp32_meter_relay_2");
  assert.deepEqual(spare.features, [{ type: "toggle" }]);
  // The PZEM has no relay: no switch tile.
  assert.ok(!rooms[2].cards.some((c) => c.entity?.startsWith("switch.")));
});

test("Home: live power, today's energy, the bill, the prepaid account and active problems", async () => {
  const { config } = await generate(DEVELOP);
  const home = viewOf(config, "home");
  const all = home.sections.flatMap((s) => s.cards);
  const gauge = all.find((c) => c.type === "gauge");
  assert.equal(gauge.entity, DEVELOP.whole_house_power);
  const sum = all.find((c) => c.type === "markdown" && c.content.includes("namespace(w=0.0)"));
  for (const id of DEVELOP.rooms.flatMap((r) => r.power)) assert.ok(sum.content.includes(`"${id}"`), id);
  const entities = all.map((c) => c.entity);
  for (const id of ["sensor.home_cost_today", "sensor.home_cost_this_cycle", "sensor.home_projected_cost"]) {
    assert.ok(entities.includes(id), id);
  }
  const projection = all.find((c) => c.type === "markdown" && c.content.includes("'slabs'"));
  assert.match(projection.content, /state_attr\("sensor\.home_projected_cost", 'low'\)/);
  assert.match(projection.content, /state_attr\("sensor\.home_projected_cost", 'high'\)/);
  assert.match(projection.content, /state_attr\("sensor\.home_cost_this_cycle", 'slabs'\)/);
  assert.ok(entities.includes("sensor.elnet_meter_1124094_power_source"));
  const alerts = all.find((c) => c.type === "markdown" && c.content.includes("is_state(e, 'on')"));
  assert.match(alerts.content, /binary_sensor\.kitchen_kettle_overpower/);
  assert.match(alerts.content, /binary_sensor\.elnet_meter_1124094_low_balance/);
  assert.match(alerts.content, /\["PZEM-004T","sensor\.pzem_004t_power"\]/);
});

test("Home: one statistic card per energy in a small household, a single graph in a big one", async () => {
  const one = viewOf((await generate(ONE)).config, "home").sections.flatMap((s) => s.cards);
  assert.deepEqual(
    one.filter((c) => c.type === "statistic").map((c) => c.entity),
    ["sensor.shelly_plug_s_energy"],
  );
  const forty = viewOf((await generate(FORTY)).config, "home").sections.flatMap((s) => s.cards);
  assert.equal(forty.filter((c) => c.type === "statistic").length, 0);
  const graphs = forty.filter((c) => c.type === "statistics-graph");
  assert.equal(graphs.length, 1);
  assert.equal(graphs[0].entities.length, FORTY.devices.flatMap((d) => d.loads).length);
  assert.equal(graphs[0].hide_legend, true);
  assert.ok(forty.length <= 16, `Home has ${forty.length} cards`);
});

test("Bill: the develop tariff as a readable table", async () => {
  const { config } = await generate(DEVELOP);
  const text = viewOf(config, "bill").sections.flatMap((s) => s.cards).map((c) => c.content || "").join("\n");
  assert.match(text, /\| 0–100 kWh \| ₹3\.50\/kWh \|/);
  assert.match(text, /\| 100–300 kWh \| ₹4\.50\/kWh \|/);
  assert.match(text, /\| above 300 kWh \| ₹6\.00\/kWh \|/);
  assert.match(text, /\*\*Fixed charge:\*\* ₹50\.00 per cycle/);
  assert.match(text, /\*\*Tax:\*\* 18 %/);
  assert.match(text, /Monthly, starting on day 1/);
  assert.match(text, /This cycle: Dec 1, 2026 – Dec 31, 2026/);
  assert.doesNotMatch(text, /Time of use/);
});

test("Bill: previous cycles, their PDFs and this cycle's invoice", async () => {
  const { config } = await generate(DEVELOP);
  const text = viewOf(config, "bill").sections.flatMap((s) => s.cards).map((c) => c.content || "").join("\n");
  assert.match(text, /\| Nov 1, 2026 – Nov 30, 2026 \| 212\.4 \| ₹1,034\.16 \| \[PDF\]\(\/api\/intelergy\/invoice\/e-bill\/2026-11-01\?authSig=abc\) \|/);
  assert.match(text, /\| Oct 1, 2026 – Oct 31, 2026 \| 98\.2 \| ₹464\.57 \| — \|/);
  assert.match(text, /\[Download this cycle's invoice \(PDF\)\]\(\/api\/intelergy\/invoice\/e-bill\/2026-12-01\?authSig=def\)/);

  const model = clone(DEVELOP);
  model.bills[0].invoice_url = null;
  model.bills[0].previous_cycles = [];
  const none = viewOf((await generate(model)).config, "bill").sections.flatMap((s) => s.cards).map((c) => c.content || "").join("\n");
  assert.doesNotMatch(none, /Download this cycle's invoice|\[PDF\]/);
});

test("Bill: time of use, a demand charge and cost per room and device", async () => {
  const { config } = await generate(FORTY);
  const bill = viewOf(config, "bill");
  const text = bill.sections.flatMap((s) => s.cards).map((c) => c.content || "").join("\n");
  assert.match(text, /\| peak \| 18:00–22:00 \| ₹8\.00\/kWh \|/);
  assert.match(text, /₹20\.00 per kW × 5 kW sanctioned/);
  const byRoom = bill.sections.find((s) => s.cards[0].heading === "Home: Cost by room");
  assert.equal(byRoom.cards.filter((c) => c.type === "markdown").length, 1);
  assert.equal((byRoom.cards[1].content.match(/^\| /gm) || []).length, 1 + FORTY.rooms.length);
  const byDevice = bill.sections.find((s) => s.cards[0].heading === "Home: Cost by device");
  const costs = byDevice.cards.map((c) => c.content || "").join("\n");
  for (const load of FORTY.devices.flatMap((d) => d.loads)) {
    assert.equal(costs.split(`"${load.cost}"`).length - 1, 2, load.cost); // kWh and cost
  }
});

test("Bill: figures in the user's language", async () => {
  const { config } = await generate(DEVELOP, { locale: { language: "de" } });
  const text = viewOf(config, "bill").sections.flatMap((s) => s.cards).map((c) => c.content || "").join("\n");
  assert.match(text, /\| 0–100 kWh \| 3,50\s₹\/kWh \|/);
});

test("Usage with Energy preferences: the energy date picker drives every graph", async () => {
  const { config } = await generate(DEVELOP);
  const all = viewOf(config, "usage").sections.flatMap((s) => s.cards);
  for (const type of ["energy-date-selection", "energy-usage-graph", "energy-devices-graph"]) {
    assert.equal(all.filter((c) => c.type === type).length, 1, type);
  }
  const graphs = all.filter((c) => c.type === "statistics-graph");
  assert.deepEqual(graphs.map((g) => g.title), ["Kitchen", "Kitchen ESP32 meter", "Living room", "Utility room"]);
  for (const g of graphs) {
    assert.equal(g.energy_date_selection, true);
    assert.equal(g.period, "auto");
    assert.equal(g.chart_type, "bar-stack");
    assert.deepEqual(g.stat_types, ["change"]);
    assert.equal(g.days_to_show, undefined);
  }
  assert.deepEqual(graphs[0].entities.map((e) => e.entity), DEVELOP.rooms[0].energy);
});

test("Usage without Energy preferences: fixed periods and no energy card anywhere", async () => {
  const model = clone(DEVELOP);
  model.energy_prefs = false;
  const { config } = await generate(model);
  const usage = viewOf(config, "usage");
  assert.deepEqual(
    usage.sections.map((s) => s.cards[0].heading),
    ["Last 48 hours (hourly)", "Last 30 days (daily)", "Last 12 weeks (weekly)", "Last 12 months (monthly)"],
  );
  assert.deepEqual(
    usage.sections.map((s) => [s.cards[1].period, s.cards[1].days_to_show]),
    [["hour", 2], ["day", 30], ["week", 84], ["month", 365]],
  );
  for (const { card } of cards(config)) {
    assert.ok(!ENERGY_CARDS.includes(card.type), card.type);
    assert.notEqual(card.energy_date_selection, true);
  }
});

test("Prepaid: balance gauge, source, EB and DG today and this month, logbook and history", async () => {
  const { config } = await generate(DEVELOP, {
    states: { "sensor.elnet_meter_1124094_balance": { state: "1800.5", attributes: {} } },
  });
  const all = viewOf(config, "prepaid").sections.flatMap((s) => s.cards);
  const gauge = all.find((c) => c.type === "gauge");
  assert.equal(gauge.entity, "sensor.elnet_meter_1124094_balance");
  assert.equal(gauge.min, 0);
  assert.ok(gauge.max >= 1800.5 * 1.5, String(gauge.max));
  assert.ok(gauge.severity.red < gauge.severity.yellow && gauge.severity.yellow < gauge.severity.green);
  const account = DEVELOP.prepaid[0];
  const used = referencedEntities({ views: [viewOf(config, "prepaid")] });
  for (const key of Object.keys(account).filter((k) => !["entry_id", "device_id", "name"].includes(k))) {
    if (account[key]) assert.ok(used.has(account[key]), key);
  }
  const since = all.find((c) => c.entity === account.generator_since);
  assert.deepEqual(since.visibility, [{ condition: "state", entity: account.source, state: "generator" }]);
  const logbook = all.find((c) => c.type === "logbook");
  assert.ok(logbook.target.entity_id.includes(account.source));
  assert.deepEqual(logbook.target.device_id, [account.device_id]);
  const history = all.find((c) => c.type === "history-graph");
  assert.equal(history.hours_to_show, 168);
  assert.deepEqual(history.entities.map((e) => e.entity), [account.balance, account.source]);
});

test("Alerts: each monitor's anomaly, baseline and power, and the anomalies' logbook", async () => {
  const { config } = await generate(DEVELOP);
  const alerts = viewOf(config, "alerts");
  const all = alerts.sections.flatMap((s) => s.cards);
  const logbook = all.find((c) => c.type === "logbook");
  // Only the anomalies (their intelergy_anomaly events): a device target would log its every relay and sensor.
  assert.deepEqual(logbook.target, { entity_id: ["binary_sensor.kitchen_kettle_anomaly"] });
  const kettle = alerts.sections.find((s) => s.cards[0].heading === "Kitchen kettle");
  assert.deepEqual(
    kettle.cards.slice(1).map((c) => c.entity),
    ["binary_sensor.kitchen_kettle_anomaly", "sensor.kitchen_kettle_baseline", "sensor.kitchen_kettle_power"],
  );
  assert.match(all.find((c) => c.type === "markdown").content, /Anomal|anomal/);
});

test("forty devices: the committed fixture is what make_forty.mjs makes", () => {
  assert.deepEqual(FORTY, makeForty());
  assert.equal(FORTY.devices.length, 40);
  assert.equal(FORTY.rooms.length, 8);
});

test("forty devices: each device exactly once in Devices, each load exactly once in Rooms", async () => {
  const { config } = await generate(FORTY);
  const headings = viewOf(config, "devices").sections.map((s) => s.cards[0].heading);
  assert.deepEqual([...headings].sort(), FORTY.devices.map((d) => d.name).sort());
  assert.equal(new Set(headings).size, 40);
  const problems = FORTY.devices.filter((d) => d.problem).length;
  assert.ok(problems > 0 && problems < 40);
  assert.ok(headings.slice(0, problems).every((name) => FORTY.devices.find((d) => d.name === name).problem));

  const rooms = viewOf(config, "rooms").sections;
  assert.equal(rooms.length, 8);
  const tiles = rooms.flatMap((s) => s.cards).filter((c) => c.type === "tile").map((c) => c.entity);
  for (const device of FORTY.devices) {
    for (const load of device.loads) {
      assert.equal(tiles.filter((id) => id === load.power).length, 1, load.power);
      if (load.relay) assert.equal(tiles.filter((id) => id === load.relay).length, 1, load.relay);
    }
    const section = rooms.find((s) => s.cards.some((c) => c.entity === device.loads[0].power));
    assert.equal(section.cards[0].heading, FORTY.rooms.find((r) => r.devices.includes(device.device_id)).name);
  }
  assert.equal(rooms.at(-1).cards[0].heading, "Other devices");
});

test("a device no room lists still shows, under Other devices", async () => {
  const model = clone(DEVELOP);
  model.rooms = model.rooms.filter((r) => r.name !== "Utility room");
  const { config } = await generate(model);
  const rooms = viewOf(config, "rooms").sections;
  assert.equal(rooms.at(-1).cards[0].heading, "Other devices");
  assert.ok(rooms.at(-1).cards.some((c) => c.entity === "sensor.pzem_004t_power"));
});
