// The Intelergy dashboard: a Lovelace dashboard strategy ("strategy: {type: custom:intelergy}").
//
// A plain ES module, loaded by Home Assistant's frontend as an extra module: no build step, no
// imports, no custom cards. It asks the integration for the household (websocket command
// `intelergy/household`, docs/dashboard-model.md) and lays it out with Home Assistant's built-in
// cards only. Every entity id it shows comes from that model; it never makes one up.
//
// Live figures (sums, the slab the cycle is in, active problems) are markdown cards whose content
// Home Assistant renders server-side as a template (strict mode); static figures (the tariff, past
// cycles) are formatted here with Intl.

// Every English string, in one place, to be translated later.
const TEXT = {
  title: "Intelergy",
  strategyName: "Intelergy",
  strategyDescription:
    "Live power, energy per room and device, the bill and its projection, prepaid balance and alerts from your Intelergy devices.",
  views: {
    home: "Home",
    rooms: "Rooms",
    devices: "Devices",
    usage: "Usage",
    bill: "Bill",
    prepaid: "Prepaid",
    alerts: "Alerts",
    error: "Intelergy",
  },
  error:
    "## The Intelergy dashboard could not load\n\n" +
    "Home Assistant did not answer the request for your household ({error}).\n\n" +
    "Check that the **Intelergy** integration is installed and loaded " +
    "(**Settings → Devices & services → Intelergy**) and that no entry there shows an error, " +
    "then reload this page.",
  empty:
    "## Welcome to Intelergy\n\n" +
    "No Intelergy device has been added yet. To add one, open " +
    "**Settings → Devices & services → Add integration → Intelergy** and choose your device: " +
    "a Shelly plug or strip, an ESP32 meter, a PZEM-004T or an ELNET prepaid meter.\n\n" +
    "This dashboard fills itself in as soon as the first device reports.",
  otherDevices: "Other devices",
  powerNow: "Power now",
  wholeHouse: "Whole house",
  loadsSum: "All loads together",
  loadsCount: "across {count} loads",
  energyToday: "Energy today",
  energyLast24: "Energy, last 24 hours (hourly)",
  today: "today",
  thisCycle: "this cycle",
  costToday: "Cost today",
  costCycle: "Cost this cycle",
  energyCycle: "Energy this cycle",
  projectedCost: "Projected bill",
  projectedEnergy: "Projected energy",
  projection: "Projection",
  likelyBetween: "Likely between",
  and: "and",
  noProjection: "No projection yet: it needs a few days of this cycle.",
  slabNow: "This cycle is in the",
  slabSuffix: "slab",
  slabAt: "at",
  soFar: "so far",
  bill: "Bill",
  alerts: "Alerts",
  noProblems: `<ha-icon icon="mdi:check-circle-outline"></ha-icon> No active problems.`,
  offline: "Offline",
  online: "Online",
  more: "…and {count} more",
  prepaid: "Prepaid",
  balance: "Balance",
  daysLeft: "Days left",
  depletion: "Runs out",
  source: "Source",
  presentLoad: "Present load",
  generatorSince: "On generator since",
  lowBalance: "Low balance",
  stale: "Readings stale",
  grid: "EB (grid)",
  generator: "DG (generator)",
  energy: "energy",
  cost: "cost",
  month: "This month",
  todayTitle: "Today",
  history: "History",
  balanceAndSource: "Balance and source, last 7 days",
  logbook: "Logbook",
  roomNow: "now",
  power: "Power",
  relay: "Relay",
  energyTotal: "Energy",
  loads: "Loads",
  details: "Details",
  lastSeen: "Last seen",
  room: "Room",
  device: "Device",
  kwh: "kWh",
  usageSelected: "Selected period",
  usagePeriods: [
    { title: "Last 48 hours (hourly)", period: "hour", days: 2 },
    { title: "Last 30 days (daily)", period: "day", days: 30 },
    { title: "Last 12 weeks (weekly)", period: "week", days: 84 },
    { title: "Last 12 months (monthly)", period: "month", days: 365 },
  ],
  energyDashboard: "Energy dashboard",
  costByRoom: "Cost by room",
  costByDevice: "Cost by device",
  tariff: "Tariff",
  slabs: "Slabs",
  rate: "Rate",
  above: "above {from} kWh",
  anyUse: "any use",
  perKwh: "/kWh",
  fixedCharge: "Fixed charge",
  perCycle: "per cycle",
  perKw: "per kW",
  sanctioned: "sanctioned",
  tax: "Tax",
  timeOfUse: "Time of use",
  band: "Band",
  hours: "Hours",
  cycle: "Cycle",
  cycleKinds: { monthly: "Monthly", bimonthly: "Every two months", quarterly: "Quarterly" },
  cycleDay: "starting on day {day}",
  currentCycle: "This cycle: {start} – {end}",
  previousCycles: "Previous cycles",
  total: "Total",
  invoice: "Invoice",
  pdf: "PDF",
  downloadInvoice: "Download this cycle's invoice (PDF)",
  anomaliesNow: "Anomalies now",
  noAnomalies: `<ha-icon icon="mdi:check-circle-outline"></ha-icon> No anomaly right now.`,
  anomaly: "Anomaly",
  baseline: "Baseline",
  monitors: "Monitors",
};

const TAG = "ll-strategy-dashboard-intelergy";
const STRATEGY = "intelergy";
const DOCUMENTATION = "https://github.com/intelergy/intelergy#dashboard";
// No entities card lists more rows, no markdown table more lines; longer lists are split.
const MAX_ROWS = 12;
// With at most this many energy sensors, Home shows one "today" statistic card each;
// with more, one hourly graph of them all keeps Home compact.
const HOME_MAX_STATISTICS = 6;
// A statistics-graph with more series than this hides its legend.
const MAX_LEGEND = 10;
// An active-problem list on Home or Alerts names at most this many.
const MAX_LISTED = 10;

const ICONS = {
  home: "mdi:home-lightning-bolt",
  rooms: "mdi:sofa",
  devices: "mdi:devices",
  usage: "mdi:chart-bar",
  bill: "mdi:receipt-text",
  prepaid: "mdi:wallet",
  alerts: "mdi:alert-decagram",
  error: "mdi:alert-circle",
  power: "mdi:flash",
  energy: "mdi:lightning-bolt",
  room: "mdi:floor-plan",
  otherRoom: "mdi:devices",
  shelly: "mdi:power-plug",
  esp32: "mdi:chip",
  pzem: "mdi:meter-electric",
  prepaidMeter: "mdi:meter-electric-outline",
  device: "mdi:flash-triangle",
  tariff: "mdi:cash-multiple",
  history: "mdi:history",
  invoice: "mdi:file-pdf-box",
  projection: "mdi:chart-line-variant",
  anomaly: "mdi:alert-decagram",
};

// ---------------------------------------------------------------- small helpers

const fill = (text, values) => text.replace(/\{(\w+)\}/g, (all, key) => (key in values ? String(values[key]) : all));

const chunk = (list, size) => {
  const out = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
};

const compact = (list) => list.filter((item) => item !== null && item !== undefined && item !== false);

const unique = (list) => [...new Set(compact(list))];

// Text shown as is in markdown (and in its template): no Jinja delimiters, no table breaks.
const md = (text) =>
  String(text ?? "")
    .replace(/[{}]/g, (c) => (c === "{" ? "&#123;" : "&#125;"))
    .replace(/\|/g, "&#124;")
    .replace(/[*_`[\]<>#]/g, (c) => `\\${c}`);

// A Jinja string/list literal: JSON's literals are Jinja's.
const jinja = (value) => JSON.stringify(value);

const heading = (text, icon, style = "title") => ({
  type: "heading",
  heading: text,
  heading_style: style,
  ...(icon ? { icon } : {}),
});

const tile = (entity, extra = {}) => ({ type: "tile", entity, ...extra });

const markdown = (content, extra = {}) => ({ type: "markdown", content, ...extra });

const section = (cards, extra = {}) => ({ type: "grid", cards: compact(cards), ...extra });

const view = (key, sections, extra = {}) => ({
  title: TEXT.views[key],
  path: key,
  icon: ICONS[key],
  type: "sections",
  max_columns: 4,
  sections: sections.filter((s) => s.cards.length > 0),
  ...extra,
});

function localeOf(hass) {
  return hass?.locale?.language || hass?.language || "en";
}

// Money the way the user's language writes it, for figures fixed at generation.
function moneyFormatter(hass, currency) {
  const locale = localeOf(hass);
  let format;
  try {
    format = new Intl.NumberFormat(locale, { style: "currency", currency: currency || "EUR" });
  } catch {
    format = new Intl.NumberFormat("en", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    const plain = format;
    return (value) => `${plain.format(value)} ${currency || ""}`.trim();
  }
  return (value) => format.format(value);
}

// What goes before and after an amount of this currency ("₹" and "", or "" and " €"), for the
// live figures a template writes as '%.2f'.
function moneyAffixes(hass, currency) {
  try {
    const parts = new Intl.NumberFormat(localeOf(hass), {
      style: "currency",
      currency: currency || "EUR",
    }).formatToParts(1);
    const numeric = new Set(["integer", "group", "decimal", "fraction", "minusSign", "plusSign"]);
    const first = parts.findIndex((p) => numeric.has(p.type));
    let last = -1;
    parts.forEach((p, i) => {
      if (numeric.has(p.type)) last = i;
    });
    return {
      prefix: parts.slice(0, first).map((p) => p.value).join(""),
      suffix: parts.slice(last + 1).map((p) => p.value).join(""),
    };
  } catch {
    return { prefix: "", suffix: ` ${currency || ""}`.trimEnd() };
  }
}

const number = (hass, value, digits = 0) =>
  new Intl.NumberFormat(localeOf(hass), { maximumFractionDigits: digits }).format(value);

function formatDate(hass, iso) {
  if (!iso) return "";
  const date = new Date(`${iso}T00:00:00Z`);
  if (Number.isNaN(date.getTime())) return md(iso);
  return new Intl.DateTimeFormat(localeOf(hass), {
    day: "numeric",
    month: "short",
    year: "numeric",
    timeZone: "UTC",
  }).format(date);
}

// ---------------------------------------------------------------- templates (rendered by HA)

// The live sum of power sensors, in W (a kW sensor counts a thousand times).
function powerSumTemplate(ids) {
  return (
    `{% set ns = namespace(w=0.0) %}{% for e in ${jinja(ids)} %}` +
    `{% set ns.w = ns.w + (states(e) | float(0)) * (1000 if state_attr(e, 'unit_of_measurement') == 'kW' else 1) %}` +
    `{% endfor %}{{ ns.w | round(0) | int }} W`
  );
}

// The live sum of money sensors.
function moneySumTemplate(ids, money) {
  return `${money.prefix}{{ '%.2f' | format(${jinja(ids)} | map('states') | map('float', 0) | sum) }}${money.suffix}`;
}

const moneyStateTemplate = (id, money) => `${money.prefix}{{ '%.2f' | format(states(${jinja(id)}) | float(0)) }}${money.suffix}`;

// "- name" per entity of `ids` that is on, and per [name, entity] of `offline` that is
// unavailable (at most MAX_LISTED of them); `none` when there is nothing to list.
function activeProblemsTemplate(ids, offline, none) {
  return (
    `{% set ns = namespace(lines=[]) %}` +
    `{% for pair in ${jinja(offline)} %}{% if is_state(pair[1], 'unavailable') %}` +
    `{% set ns.lines = ns.lines + ['<ha-icon icon="mdi:lan-disconnect"></ha-icon> ' ~ pair[0] ~ ' — ${TEXT.offline.toLowerCase()}'] %}{% endif %}{% endfor %}` +
    `{% for e in ${jinja(ids)} %}{% if is_state(e, 'on') %}` +
    `{% set ns.lines = ns.lines + ['<ha-icon icon="mdi:alert-circle-outline"></ha-icon> ' ~ (state_attr(e, 'friendly_name') or e)] %}{% endif %}{% endfor %}` +
    `{% for line in ns.lines[:${MAX_LISTED}] %}- {{ line }}\n{% endfor %}` +
    `{% if ns.lines | length > ${MAX_LISTED} %}${fill(TEXT.more, { count: `{{ ns.lines | length - ${MAX_LISTED} }}` })}{% endif %}` +
    `{% if not ns.lines %}${none}{% endif %}`
  );
}

// ---------------------------------------------------------------- the model, read

function slabLabel(slab, hass) {
  const from = number(hass, slab.from_kwh ?? 0, 2);
  if (slab.to_kwh === null || slab.to_kwh === undefined) {
    return (slab.from_kwh ?? 0) > 0 ? fill(TEXT.above, { from }) : TEXT.anyUse;
  }
  return `${from}–${number(hass, slab.to_kwh, 2)} kWh`;
}

// The label of a load: its own name on a device with several, else the device's.
function loadLabel(device, load, index) {
  if ((device.loads || []).length <= 1) return device.name;
  return load.name || `${device.name} ${index + 1}`;
}

// Every load of the household with its device: [{device, load, label}].
function loadsOf(devices) {
  return devices.flatMap((device) =>
    (device.loads || []).map((load, index) => ({ device, load, label: loadLabel(device, load, index) })),
  );
}

// The entity that says whether a device is online (its first power, else when it last reported).
const statusEntity = (device) =>
  (device.loads || []).map((l) => l.power).find(Boolean) || device.last_seen || (device.extra || [])[0] || null;

const kindIcon = (kind) => ICONS[kind] || (kind === "prepaid" ? ICONS.prepaidMeter : ICONS.device);

// ---------------------------------------------------------------- views

function homeView(model, hass, ctx) {
  const sections = [];
  const powers = unique(ctx.loads.map((l) => l.load.power));
  const now = [heading(TEXT.powerNow, ICONS.power)];
  if (model.whole_house_power) {
    const unit = hass?.states?.[model.whole_house_power]?.attributes?.unit_of_measurement;
    const max = unit === "kW" ? 10 : 10000;
    now.push({
      type: "gauge",
      entity: model.whole_house_power,
      name: TEXT.wholeHouse,
      min: 0,
      max,
      needle: true,
      severity: { green: 0, yellow: max * 0.6, red: max * 0.85 },
    });
  }
  if (powers.length) {
    now.push(
      markdown(
        `### ${powerSumTemplate(powers)}\n${TEXT.loadsSum}, ${fill(TEXT.loadsCount, { count: powers.length })}`,
        { grid_options: { columns: model.whole_house_power ? 6 : 12 } },
      ),
    );
  }
  if (now.length > 1) sections.push(section(now));

  const today = [heading(TEXT.energyToday, ICONS.energy)];
  for (const account of model.prepaid || []) {
    today.push(
      ...compact([
        account.grid_energy_today && tile(account.grid_energy_today, { name: `${TEXT.grid} ${TEXT.today}` }),
        account.generator_energy_today &&
          tile(account.generator_energy_today, { name: `${TEXT.generator} ${TEXT.today}` }),
      ]),
    );
  }
  const energies = ctx.loads.filter((l) => l.load.energy);
  if (energies.length && energies.length <= HOME_MAX_STATISTICS) {
    for (const { load, label } of energies) {
      today.push({
        type: "statistic",
        entity: load.energy,
        name: label,
        stat_type: "change",
        period: { calendar: { period: "day" } },
      });
    }
  } else if (energies.length) {
    today.push({
      type: "statistics-graph",
      title: TEXT.energyLast24,
      entities: energies.map(({ load, label }) => ({ entity: load.energy, name: label })),
      stat_types: ["change"],
      chart_type: "bar-stack",
      period: "hour",
      days_to_show: 1,
      hide_legend: energies.length > MAX_LEGEND,
    });
  }
  if (today.length > 1) sections.push(section(today));

  for (const bill of model.bills || []) {
    const money = moneyAffixes(hass, bill.currency || model.currency);
    sections.push(
      section([
        heading(`${TEXT.bill}: ${bill.name}`, ICONS.bill),
        bill.cost_today && tile(bill.cost_today, { name: TEXT.costToday }),
        bill.cost_cycle && tile(bill.cost_cycle, { name: TEXT.costCycle }),
        bill.projected_cost && tile(bill.projected_cost, { name: TEXT.projectedCost }),
        (bill.projected_cost || bill.cost_cycle) && markdown(projectionTemplate(bill, money)),
      ]),
    );
  }

  for (const account of model.prepaid || []) {
    sections.push(
      section([
        heading(`${TEXT.prepaid}: ${account.name}`, ICONS.prepaid),
        account.balance && tile(account.balance, { name: TEXT.balance }),
        account.days_left && tile(account.days_left, { name: TEXT.daysLeft }),
        account.source && tile(account.source, { name: TEXT.source }),
        account.present_load && tile(account.present_load, { name: TEXT.presentLoad }),
      ]),
    );
  }

  const problems = unique([
    ...ctx.devices.flatMap((d) => d.problems || []),
    ...(model.prepaid || []).flatMap((a) => [a.low_balance, a.stale]),
  ]);
  const offline = ctx.devices.filter(statusEntity).map((d) => [d.name, statusEntity(d)]);
  if (problems.length || offline.length) {
    sections.push(
      section([heading(TEXT.alerts, ICONS.alerts), markdown(activeProblemsTemplate(problems, offline, TEXT.noProblems))]),
    );
  }
  return view("home", sections);
}

// The projected bill's band and the slab the cycle is in, live.
function projectionTemplate(bill, money) {
  const lines = [];
  if (bill.projected_cost) {
    const p = jinja(bill.projected_cost);
    lines.push(
      `{% set lo = state_attr(${p}, 'low') %}{% set hi = state_attr(${p}, 'high') %}` +
        `{% if lo is number and hi is number %}${TEXT.likelyBetween} **${money.prefix}{{ '%.2f' | format(lo) }}${money.suffix}** ` +
        `${TEXT.and} **${money.prefix}{{ '%.2f' | format(hi) }}${money.suffix}**.` +
        `{% else %}${TEXT.noProjection}{% endif %}`,
    );
  }
  if (bill.cost_cycle) {
    const c = jinja(bill.cost_cycle);
    lines.push(
      `{% set used = (state_attr(${c}, 'slabs') or []) | selectattr('kwh', 'gt', 0) | list %}` +
        `{% if used %}{% set s = used | last %}${TEXT.slabNow} **{{ s.from_kwh | round(0) | int }}` +
        `{% if s.to_kwh is number %}–{{ s.to_kwh | round(0) | int }} kWh{% else %}+ kWh{% endif %}** ${TEXT.slabSuffix} ` +
        `${TEXT.slabAt} ${money.prefix}{{ '%.2f' | format(s.rate) }}${money.suffix}${TEXT.perKwh}` +
        ` ({{ (state_attr(${c}, 'energy_kwh') or 0) | round(1) }} kWh ${TEXT.soFar}).{% endif %}`,
    );
  }
  return lines.join("\n\n");
}

function roomsView(model, hass, ctx) {
  const sections = ctx.rooms.map((room) => {
    const devices = room.devices.map((id) => ctx.byId.get(id)).filter(Boolean);
    const loads = loadsOf(devices);
    const costs = unique(room.cost || []);
    const powers = unique(room.power || []);
    const money = moneyAffixes(hass, model.currency);
    const total = compact([
      powers.length && `**${powerSumTemplate(powers)}** ${TEXT.roomNow}`,
      costs.length && `**${moneySumTemplate(costs, money)}** ${TEXT.thisCycle}`,
    ]).join(" · ");
    const cards = [heading(room.name, room.area_id ? ICONS.room : ICONS.otherRoom)];
    if (total) cards.push(markdown(total));
    for (const { load, label } of loads) {
      if (load.power) cards.push(tile(load.power, { name: label }));
      if (load.relay) {
        cards.push(tile(load.relay, { name: `${label} ${TEXT.relay.toLowerCase()}`, features: [{ type: "toggle" }], features_position: "inline" }));
      }
      if (load.energy) {
        cards.push({
          type: "statistic",
          entity: load.energy,
          name: `${label} ${TEXT.today}`,
          stat_type: "change",
          period: { calendar: { period: "day" } },
        });
      }
      if (load.cost) cards.push(tile(load.cost, { name: `${label} ${TEXT.thisCycle}` }));
    }
    // Relays that switch no metered load of their own.
    for (const device of devices) {
      for (const relay of device.relays || []) cards.push(tile(relay, { features: [{ type: "toggle" }], features_position: "inline" }));
    }
    return section(cards);
  });
  return view("rooms", sections);
}

function devicesView(model, hass, ctx) {
  const ordered = [...ctx.devices].sort(
    (a, b) => Number(Boolean(b.problem)) - Number(Boolean(a.problem)) || a.name.localeCompare(b.name),
  );
  const sections = ordered.map((device) => {
    const cards = [heading(device.name, kindIcon(device.kind))];
    const status = statusEntity(device);
    const room = device.area_id && ctx.roomName.get(device.area_id);
    const about = compact([device.model && `*${md(device.model)}*`, room && md(room)]).join(" · ");
    if (status) {
      cards.push(
        markdown(
          `{% if is_state(${jinja(status)}, 'unavailable') %}<ha-icon icon="mdi:lan-disconnect"></ha-icon> **${TEXT.offline}**{% else %}<ha-icon icon="mdi:lan-connect"></ha-icon> ${TEXT.online}{% endif %}` +
            (device.problems?.length
              ? `{% for e in ${jinja(device.problems)} | select('is_state', 'on') %} · <ha-icon icon="mdi:alert-circle-outline"></ha-icon> {{ state_attr(e, 'friendly_name') }}{% endfor %}`
              : "") +
            (about ? `\n\n${about}` : ""),
        ),
      );
    } else if (about) {
      cards.push(markdown(about));
    }
    const several = (device.loads || []).length > 1;
    const loadRows = (device.loads || []).flatMap((load, index) => {
      const label = several ? `${loadLabel(device, load, index)} ` : "";
      return compact([
        load.power && { entity: load.power, name: `${label}${TEXT.power}`.trim(), secondary_info: "last-updated" },
        load.relay && { entity: load.relay, name: `${label}${TEXT.relay}`.trim() },
        load.energy && { entity: load.energy, name: `${label}${TEXT.energyTotal}`.trim() },
      ]);
    });
    loadRows.push(...(device.relays || []).map((entity) => ({ entity })));
    const detailRows = compact([
      device.last_seen && { entity: device.last_seen, name: TEXT.lastSeen },
      ...(device.problems || []).map((entity) => ({ entity })),
      ...(device.extra || []).map((entity) => ({ entity, secondary_info: "last-updated" })),
    ]);
    chunk(loadRows, MAX_ROWS).forEach((rows, i) => cards.push(entitiesCard(i === 0 && TEXT.loads, rows)));
    chunk(detailRows, MAX_ROWS).forEach((rows, i) => cards.push(entitiesCard(i === 0 && TEXT.details, rows)));
    return section(cards);
  });
  return view("devices", sections);
}

const entitiesCard = (title, entities) => ({
  type: "entities",
  ...(title ? { title } : {}),
  entities,
});

// Statistics-graphs of each room's energies and of each device with several loads (alone in
// no room: a single-load device is its room's graph already).
function usageGraphs(ctx, options) {
  const cards = [];
  for (const room of ctx.rooms) {
    const devices = room.devices.map((id) => ctx.byId.get(id)).filter(Boolean);
    const series = loadsOf(devices)
      .filter((l) => l.load.energy)
      .map(({ load, label }) => ({ entity: load.energy, name: label }));
    if (series.length) cards.push(usageGraph(room.name, series, options));
    if (devices.length > 1) {
      for (const device of devices) {
        const own = loadsOf([device])
          .filter((l) => l.load.energy)
          .map(({ load, label }) => ({ entity: load.energy, name: label }));
        if (own.length > 1) cards.push(usageGraph(device.name, own, options));
      }
    }
  }
  return cards;
}

const usageGraph = (title, entities, options) => ({
  type: "statistics-graph",
  title,
  entities,
  stat_types: ["change"],
  chart_type: "bar-stack",
  hide_legend: entities.length > MAX_LEGEND,
  ...options,
});

function usageView(model, hass, ctx) {
  const sections = [];
  if (model.energy_prefs) {
    sections.push(
      section(
        [
          heading(TEXT.usageSelected, ICONS.usage),
          { type: "energy-date-selection" },
          { type: "energy-usage-graph", title: TEXT.energyDashboard },
          { type: "energy-devices-graph" },
        ],
        { column_span: 2 },
      ),
    );
    sections.push(section([heading(TEXT.views.usage, ICONS.energy), ...usageGraphs(ctx, { energy_date_selection: true, period: "auto" })]));
  } else {
    for (const { title, period, days } of TEXT.usagePeriods) {
      sections.push(section([heading(title, ICONS.usage), ...usageGraphs(ctx, { period, days_to_show: days })]));
    }
  }
  return view("usage", sections.filter((s) => s.cards.length > 1));
}

function tariffMarkdown(bill, hass, format) {
  const tariff = bill.tariff || {};
  const blocks = [];
  const kind = TEXT.cycleKinds[tariff.cycle] || md(tariff.cycle || "");
  const cycle = compact([kind, tariff.cycle_day && fill(TEXT.cycleDay, { day: tariff.cycle_day })]).join(", ");
  if (cycle) blocks.push(`**${TEXT.cycle}:** ${cycle}`);
  if (bill.cycle?.start && bill.cycle?.end) {
    blocks.push(fill(TEXT.currentCycle, { start: formatDate(hass, bill.cycle.start), end: formatDate(hass, bill.cycle.end) }));
  }
  const slabs = tariff.slabs || [];
  if (slabs.length) {
    blocks.push(
      [
        `| ${TEXT.slabs} | ${TEXT.rate} |`,
        "|---|---:|",
        ...slabs.map((slab) => `| ${slabLabel(slab, hass)} | ${format(slab.rate)}${TEXT.perKwh} |`),
      ].join("\n"),
    );
  }
  const tou = tariff.tou || [];
  if (tou.length) {
    blocks.push(
      [
        `| ${TEXT.timeOfUse}: ${TEXT.band} | ${TEXT.hours} | ${TEXT.rate} |`,
        "|---|---|---:|",
        ...tou.map((band) => `| ${md(band.band)} | ${md(band.start)}–${md(band.end)} | ${format(band.rate)}${TEXT.perKwh} |`),
      ].join("\n"),
    );
  }
  blocks.push(`**${TEXT.fixedCharge}:** ${format(tariff.fixed_charge || 0)} ${TEXT.perCycle}`);
  if (tariff.fixed_per_kw) {
    blocks.push(
      `**${TEXT.fixedCharge} (${TEXT.perKw}):** ${format(tariff.fixed_per_kw)} ${TEXT.perKw} × ` +
        `${number(hass, tariff.sanctioned_kw || 0, 2)} kW ${TEXT.sanctioned}`,
    );
  }
  blocks.push(`**${TEXT.tax}:** ${number(hass, tariff.tax_percent || 0, 2)} %`);
  return blocks.join("\n\n");
}

function billView(model, hass, ctx) {
  const sections = [];
  for (const bill of model.bills || []) {
    const currency = bill.currency || model.currency;
    const format = moneyFormatter(hass, currency);
    const money = moneyAffixes(hass, currency);
    const billed = new Map((bill.billed || []).map((b) => [b.energy, b.cost]));

    sections.push(
      section([
        heading(`${bill.name}: ${TEXT.thisCycle}`, ICONS.bill),
        bill.energy_cycle && tile(bill.energy_cycle, { name: TEXT.energyCycle }),
        bill.cost_today && tile(bill.cost_today, { name: TEXT.costToday }),
        bill.cost_cycle && tile(bill.cost_cycle, { name: TEXT.costCycle }),
        bill.invoice_url && markdown(`[${TEXT.downloadInvoice}](${bill.invoice_url})`),
      ]),
    );

    if (bill.projected_cost || bill.projected_energy) {
      const energyBand = bill.projected_energy
        ? `{% set lo = state_attr(${jinja(bill.projected_energy)}, 'low_kwh') %}{% set hi = state_attr(${jinja(bill.projected_energy)}, 'high_kwh') %}` +
          `{% if lo is number and hi is number %}${TEXT.projectedEnergy}: {{ lo | round(1) }}–{{ hi | round(1) }} kWh.{% endif %}`
        : "";
      sections.push(
        section([
          heading(`${bill.name}: ${TEXT.projection}`, ICONS.projection),
          bill.projected_cost && tile(bill.projected_cost, { name: TEXT.projectedCost }),
          bill.projected_energy && tile(bill.projected_energy, { name: TEXT.projectedEnergy }),
          markdown(compact([projectionTemplate(bill, money), energyBand]).join("\n\n")),
        ]),
      );
    }

    // Cost per room, then per device of each room: the bill's own cost sensors.
    const roomRows = [];
    const deviceTables = [];
    for (const room of ctx.rooms) {
      const devices = room.devices.map((id) => ctx.byId.get(id)).filter(Boolean);
      const rows = loadsOf(devices)
        .filter((l) => l.load.energy && billed.get(l.load.energy))
        .map(({ device, load, label }) => {
          const cost = billed.get(load.energy);
          const name = label === device.name ? md(device.name) : `${md(device.name)}: ${md(label)}`;
          return `| ${name} | {{ (state_attr(${jinja(cost)}, 'energy_kwh') or 0) | round(1) }} | ${moneyStateTemplate(cost, money)} |`;
        });
      const costs = loadsOf(devices).map((l) => billed.get(l.load.energy)).filter(Boolean);
      if (!costs.length) continue;
      roomRows.push(`| ${md(room.name)} | ${moneySumTemplate(costs, money)} |`);
      chunk(rows, MAX_ROWS).forEach((part) =>
        deviceTables.push(markdown([`**${md(room.name)}**`, "", `| ${TEXT.device} | ${TEXT.kwh} | ${TEXT.costCycle} |`, "|---|---:|---:|", ...part].join("\n"))),
      );
    }
    if (roomRows.length) {
      sections.push(
        section([
          heading(`${bill.name}: ${TEXT.costByRoom}`, ICONS.rooms),
          ...chunk(roomRows, MAX_ROWS).map((part) => markdown([`| ${TEXT.room} | ${TEXT.costCycle} |`, "|---|---:|", ...part].join("\n"))),
        ]),
      );
      sections.push(section([heading(`${bill.name}: ${TEXT.costByDevice}`, ICONS.devices), ...deviceTables]));
    }

    sections.push(section([heading(`${bill.name}: ${TEXT.tariff}`, ICONS.tariff), markdown(tariffMarkdown(bill, hass, format))]));

    const previous = bill.previous_cycles || [];
    if (previous.length) {
      const rows = previous.map(
        (c) =>
          `| ${formatDate(hass, c.start)} – ${formatDate(hass, c.end)} | ${number(hass, c.energy_kwh ?? 0, 1)} | ${format(c.total ?? 0)} | ${
            c.invoice_url ? `[${TEXT.pdf}](${c.invoice_url})` : "—"
          } |`,
      );
      sections.push(
        section([
          heading(`${bill.name}: ${TEXT.previousCycles}`, ICONS.invoice),
          ...chunk(rows, MAX_ROWS).map((part) =>
            markdown([`| ${TEXT.cycle} | ${TEXT.kwh} | ${TEXT.total} | ${TEXT.invoice} |`, "|---|---:|---:|---|", ...part].join("\n")),
          ),
        ]),
      );
    }
  }
  return view("bill", sections);
}

function prepaidView(model, hass) {
  const sections = [];
  for (const account of model.prepaid || []) {
    const balanceNow = Number(hass?.states?.[account.balance]?.state);
    // The scale: at least 1000, else room for half as much again as the balance now.
    const max = Math.max(1000, Number.isFinite(balanceNow) ? Math.ceil((balanceNow * 1.5) / 500) * 500 : 0);
    sections.push(
      section([
        heading(`${account.name}: ${TEXT.balance}`, ICONS.prepaid),
        account.balance && {
          type: "gauge",
          entity: account.balance,
          name: TEXT.balance,
          min: 0,
          max,
          // The integration's default low-balance threshold is 200; the low-balance sensor below
          // says what the account's own threshold makes of it.
          severity: { red: 0, yellow: 200, green: 500 },
        },
        account.days_left && tile(account.days_left, { name: TEXT.daysLeft }),
        account.depletion && tile(account.depletion, { name: TEXT.depletion }),
        account.low_balance && tile(account.low_balance, { name: TEXT.lowBalance }),
        account.stale && tile(account.stale, { name: TEXT.stale }),
      ]),
    );
    sections.push(
      section([
        heading(`${account.name}: ${TEXT.source}`, ICONS.power),
        account.source && tile(account.source, { name: TEXT.source }),
        account.present_load && tile(account.present_load, { name: TEXT.presentLoad }),
        account.generator_since &&
          tile(account.generator_since, {
            name: TEXT.generatorSince,
            ...(account.source ? { visibility: [{ condition: "state", entity: account.source, state: "generator" }] } : {}),
          }),
        account.last_update && tile(account.last_update, { name: TEXT.lastSeen }),
      ]),
    );
    const rows = (period, suffix) =>
      compact([
        account[`grid_energy_${period}`] && { entity: account[`grid_energy_${period}`], name: `${TEXT.grid} ${TEXT.energy}` },
        account[`grid_cost_${period}`] && { entity: account[`grid_cost_${period}`], name: `${TEXT.grid} ${TEXT.cost}` },
        account[`generator_energy_${period}`] && {
          entity: account[`generator_energy_${period}`],
          name: `${TEXT.generator} ${TEXT.energy}`,
        },
        account[`generator_cost_${period}`] && { entity: account[`generator_cost_${period}`], name: `${TEXT.generator} ${TEXT.cost}` },
      ]).map((row) => ({ ...row, name: row.name + suffix }));
    const today = rows("today", "");
    const month = rows("month", "");
    sections.push(
      section([
        heading(`${account.name}: ${TEXT.grid} / ${TEXT.generator}`, ICONS.energy),
        today.length && { type: "entities", title: TEXT.todayTitle, entities: today },
        month.length && { type: "entities", title: TEXT.month, entities: month },
      ]),
    );
    const graphed = compact([account.balance, account.source]);
    const logged = compact([account.source, account.generator_since, account.low_balance, account.stale, account.balance]);
    sections.push(
      section([
        heading(`${account.name}: ${TEXT.history}`, ICONS.history),
        graphed.length && { type: "history-graph", title: TEXT.balanceAndSource, entities: graphed.map((entity) => ({ entity })), hours_to_show: 168 },
        logged.length && {
          type: "logbook",
          title: TEXT.logbook,
          hours_to_show: 168,
          target: { entity_id: logged, ...(account.device_id ? { device_id: [account.device_id] } : {}) },
        },
      ]),
    );
  }
  return view("prepaid", sections);
}

function alertsView(model, hass, ctx) {
  const monitors = model.monitors || [];
  const anomalies = unique(monitors.map((m) => m.anomaly));
  const sections = [
    section(
      [
        heading(TEXT.anomaliesNow, ICONS.anomaly),
        markdown(activeProblemsTemplate(anomalies, [], TEXT.noAnomalies)),
        anomalies.length && {
          type: "logbook",
          title: TEXT.logbook,
          hours_to_show: 72,
          target: { entity_id: anomalies }, // their intelergy_anomaly events, not the devices' every change
        },
      ],
      { column_span: 2 },
    ),
  ];
  for (const monitor of monitors) {
    sections.push(
      section([
        heading(monitor.name, ICONS.anomaly, "subtitle"),
        monitor.anomaly && tile(monitor.anomaly, { name: TEXT.anomaly, state_content: ["state", "last-changed"] }),
        monitor.baseline && tile(monitor.baseline, { name: TEXT.baseline }),
        monitor.power && tile(monitor.power, { name: TEXT.power }),
      ]),
    );
  }
  return view("alerts", sections);
}

// ---------------------------------------------------------------- the dashboard

function layout(model, hass) {
  const devices = model.devices || [];
  const byId = new Map(devices.map((d) => [d.device_id, d]));
  const rooms = (model.rooms || []).filter((room) => (room.devices || []).some((id) => byId.has(id)));
  // A device no room lists still shows (in "Other devices" of its own).
  const listed = new Set(rooms.flatMap((r) => r.devices));
  const unlisted = devices.filter((d) => !listed.has(d.device_id));
  if (unlisted.length) {
    rooms.push({ area_id: null, name: TEXT.otherDevices, devices: unlisted.map((d) => d.device_id), power: [], energy: [], cost: [] });
  }
  const roomName = new Map(rooms.filter((r) => r.area_id).map((r) => [r.area_id, r.name]));
  const ctx = { devices, byId, rooms, roomName, loads: loadsOf(rooms.flatMap((r) => r.devices.map((id) => byId.get(id)))) };

  if (!devices.length && !(model.prepaid || []).length) {
    return { title: TEXT.title, views: [view("home", [section([markdown(TEXT.empty)])])] };
  }
  const views = [homeView(model, hass, ctx)];
  // Rooms: with more than one room, or one that is a real area (a single plug without an
  // area has nothing there that Devices does not show).
  if (rooms.length > 1 || rooms.some((r) => r.area_id)) views.push(roomsView(model, hass, ctx));
  if (devices.length) views.push(devicesView(model, hass, ctx));
  if (ctx.loads.some((l) => l.load.energy)) views.push(usageView(model, hass, ctx));
  if ((model.bills || []).length) views.push(billView(model, hass, ctx));
  if ((model.prepaid || []).length) views.push(prepaidView(model, hass));
  if ((model.monitors || []).length) views.push(alertsView(model, hass, ctx));
  return { title: TEXT.title, views: views.filter((v) => v.sections.length) };
}

function errorDashboard(error) {
  const message = md(error?.message || error?.code || String(error ?? "unknown error"));
  return {
    title: TEXT.title,
    views: [
      {
        title: TEXT.views.error,
        path: "home",
        icon: ICONS.error,
        type: "sections",
        max_columns: 4,
        sections: [section([markdown(fill(TEXT.error, { error: message }))])],
      },
    ],
  };
}

class IntelergyDashboardStrategy extends HTMLElement {
  static async generate(config, hass) {
    void config;
    let model;
    try {
      model = await hass.callWS({ type: "intelergy/household" });
    } catch (error) {
      return errorDashboard(error);
    }
    try {
      return layout(model || {}, hass);
    } catch (error) {
      return errorDashboard(error);
    }
  }
}

if (!customElements.get(TAG)) customElements.define(TAG, IntelergyDashboardStrategy);

window.customStrategies = window.customStrategies || [];
if (!window.customStrategies.some((s) => s.type === STRATEGY && s.strategyType === "dashboard")) {
  window.customStrategies.push({
    type: STRATEGY,
    strategyType: "dashboard",
    name: TEXT.strategyName,
    description: TEXT.strategyDescription,
    documentationURL: DOCUMENTATION,
  });
}

export { TEXT, MAX_ROWS, IntelergyDashboardStrategy };
