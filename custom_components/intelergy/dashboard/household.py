"""The household model of the Intelergy dashboard (docs/dashboard-model.md).

Built from Home Assistant's registries on every ``intelergy/household`` call:
each entity's role comes from its registry entry (its domain, its translation
key without a strip's ``outlet_`` / ``named_`` variant, its device class) and a
load is a power stream's entities, joined by their unique id's prefix (a
Shelly outlet's ``<mac>_<outlet>``, an ESP32 or PZEM meter's entry unique id,
meters/*/descriptions.py): ``<prefix>_power``, ``_energy``, ``_relay``,
``_anomaly``, ``_baseline``. Only enabled entities of the registry are named.
The bills' past cycles are priced from the statistics by the code that
``intelergy.calculate_bill`` uses (``async_statement``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any, Final

from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.components.energy.data import async_get_manager
from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import STATE_ON, STATE_UNAVAILABLE, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    area_registry as ar,
    device_registry as dr,
    entity_registry as er,
)
from homeassistant.util import dt as dt_util
from sqlalchemy.exc import SQLAlchemyError

from ..analytics.anomaly.const import CONF_POWER_ENTITY, METERED_KINDS
from ..analytics.billing.bills import async_statement
from ..analytics.billing.household import Household, household
from ..analytics.billing.invoices import cycle_invoice_url
from ..analytics.billing.statistics import recorder_loaded
from ..const import CONF_KIND, DOMAIN, KIND_ANOMALY, KIND_BILLING, KIND_ELNET, LOGGER
from ..core.ledger import cycle_bounds
from ..core.tariff import Slab, Tariff, TariffError

VERSION: Final = 1
# A strip's outlet names its entities' translation keys (meters/shelly/entity.py).
VARIANTS: Final = ("outlet_", "named_")
# A device's other measurements, for its detail card, in this order.
EXTRA_CLASSES: Final = (
    SensorDeviceClass.VOLTAGE,
    SensorDeviceClass.CURRENT,
    SensorDeviceClass.FREQUENCY,
    SensorDeviceClass.POWER_FACTOR,
    SensorDeviceClass.TEMPERATURE,
    SensorDeviceClass.SIGNAL_STRENGTH,
)
ORDER: Final = {str(c): i for i, c in enumerate(EXTRA_CLASSES)}
PREVIOUS_CYCLES: Final = 3
# A billing entry's sensors (analytics/billing/descriptions.py), by model field.
BILL_SENSORS: Final = {
    "energy_cycle": "energy_cycle",
    "cost_today": "cost_today",
    "cost_cycle": "cost_cycle",
    "projected_cost": "projected_cost",
    "projected_energy": "projected_energy",
}
# An ELNET account's entities (meters/elnet/descriptions.py): field → (platform, key).
PREPAID: Final[dict[str, tuple[Platform, str]]] = {
    "balance": (Platform.SENSOR, "balance"),
    "days_left": (Platform.SENSOR, "balance_days_left"),
    "depletion": (Platform.SENSOR, "balance_depletion"),
    "source": (Platform.SENSOR, "power_source"),
    "present_load": (Platform.SENSOR, "present_load"),
    "generator_since": (Platform.SENSOR, "generator_since"),
    "last_update": (Platform.SENSOR, "last_update"),
    "low_balance": (Platform.BINARY_SENSOR, "low_balance"),
    "stale": (Platform.BINARY_SENSOR, "stale"),
    **{
        f"{source}_{what}_{period}": (Platform.SENSOR, f"{source}_{what}_{period}")
        for what in ("energy", "cost")
        for period in ("today", "month")
        for source in ("grid", "generator")
    },
}

type Entity = er.RegistryEntry


def role(entity: Entity) -> str | None:
    """What an Intelergy entity is, whatever outlet it belongs to.

    Its translation key without a strip's variant (``outlet_power`` → ``power``);
    an ESP32 meter's ``numbered_relay`` is a ``relay``.
    """
    key = entity.translation_key
    if key is None:
        return None
    if key == "numbered_relay":
        return "relay"
    for variant in VARIANTS:
        key = key.removeprefix(variant)
    return key


def device_class(entity: Entity) -> str | None:
    """The entity's device class, the user's first."""
    return entity.device_class or entity.original_device_class


def entity_name(entity: Entity) -> str | None:
    """The entity's own name (without its device's), the user's first."""
    return entity.name or entity.original_name


def enabled_id(
    registry: er.EntityRegistry, platform: Platform, unique_id: str
) -> str | None:
    """The entity id of an enabled Intelergy entity, or None."""
    entity_id = registry.async_get_entity_id(platform, DOMAIN, unique_id)
    if entity_id is None:
        return None
    entity = registry.async_get(entity_id)
    return None if entity is None or entity.disabled else entity_id


def registered(registry: er.EntityRegistry, entity_id: str) -> bool:
    """Whether ``entity_id`` is an enabled entity of the registry (any integration)."""
    entity = registry.async_get(entity_id)
    return entity is not None and not entity.disabled


def entries(hass: HomeAssistant, *kinds: str) -> list[ConfigEntry[Any]]:
    """Intelergy's entries of ``kinds``, by title."""
    return sorted(
        (
            entry
            for entry in hass.config_entries.async_entries(DOMAIN)
            if entry.data.get(CONF_KIND) in kinds
        ),
        key=lambda entry: entry.title,
    )


@dataclass(frozen=True, slots=True)
class Monitor:
    """A monitor entry's problem flag and baseline, by the power sensor it watches."""

    anomaly: str
    baseline: str | None


# --- Monitors and bills that loads refer to ------------------------------------------


def entry_monitors(
    hass: HomeAssistant, registry: er.EntityRegistry
) -> list[tuple[ConfigEntry[Any], Monitor, Entity]]:
    """Every anomaly monitor entry with an enabled problem flag."""
    found = []
    for entry in entries(hass, KIND_ANOMALY):
        own = er.async_entries_for_config_entry(registry, entry.entry_id)
        anomaly = next(
            (e for e in own if e.domain == Platform.BINARY_SENSOR and not e.disabled),
            None,
        )
        if anomaly is None:
            continue
        baseline = next(
            (
                e.entity_id
                for e in own
                if e.domain == Platform.SENSOR and role(e) == "baseline"
                if not e.disabled
            ),
            None,
        )
        found.append((entry, Monitor(anomaly.entity_id, baseline), anomaly))
    return found


def billed_cost(
    registry: er.EntityRegistry, entry: ConfigEntry[Any], entity_id: str
) -> str | None:
    """A bill's *cost this cycle* sensor of one billed sensor, or None.

    Keyed by the billed sensor's registry id (analytics/billing/__init__.py).
    """
    billed = registry.async_get(entity_id)
    key = entity_id if billed is None else billed.id
    return enabled_id(registry, Platform.SENSOR, f"{entry.entry_id}_sensor_cost_{key}")


# --- Devices ---------------------------------------------------------------------------


@dataclass(slots=True)
class Load:
    """One power stream of a device: a plug, a strip's outlet, a meter."""

    prefix: str
    power: Entity | None = None
    energy: Entity | None = None
    relay: Entity | None = None
    anomaly: str | None = None
    baseline: str | None = None
    built_in: bool = False  # its anomaly is its meter's own monitor's

    @property
    def channel(self) -> tuple[int, str]:
        """Its place on the device: a strip's outlet number, first."""
        tail = self.prefix.rsplit("_", 1)[-1]
        return (int(tail), self.prefix) if tail.isdigit() else (-1, self.prefix)

    def name(self) -> str | None:
        """The outlet's name: its relay's, else its power's without "power"."""
        if self.relay is not None and (name := entity_name(self.relay)):
            return name
        for entity, word in ((self.power, " power"), (self.energy, " energy")):
            if entity is not None and (name := entity_name(entity)):
                return name.removesuffix(word).removesuffix(word.title())
        return None


def loads_of(
    entities: Sequence[Entity], monitors: Mapping[str, Monitor]
) -> tuple[list[Load], list[Entity]]:
    """The device's loads in channel order, and the relays no load has.

    ``monitors``: monitor entries by the power sensor they watch (a load whose
    meter runs no monitor of its own may be watched by one).
    """
    by_id = {(e.domain, e.unique_id): e for e in entities}
    loads: dict[str, Load] = {}
    for entity in entities:
        what = role(entity)
        if entity.domain == Platform.SENSOR and what in {"power", "energy"}:
            prefix = entity.unique_id.removesuffix(f"_{what}")
            setattr(loads.setdefault(prefix, Load(prefix)), what, entity)
    ordered = sorted(loads.values(), key=lambda load: load.channel)
    relays = [e for e in entities if e.domain == Platform.SWITCH and role(e) == "relay"]
    for load in ordered:
        load.relay = by_id.get((Platform.SWITCH, f"{load.prefix}_relay"))
        anomaly = by_id.get((Platform.BINARY_SENSOR, f"{load.prefix}_anomaly"))
        baseline = by_id.get((Platform.SENSOR, f"{load.prefix}_baseline"))
        load.anomaly = None if anomaly is None else anomaly.entity_id
        load.baseline = None if baseline is None else baseline.entity_id
        load.built_in = anomaly is not None
        watched = None if load.power is None else monitors.get(load.power.entity_id)
        if load.anomaly is None and watched is not None:
            load.anomaly, load.baseline = watched.anomaly, watched.baseline
    spare = [r for r in relays if all(r is not load.relay for load in ordered)]
    if len(ordered) == 1 and ordered[0].relay is None and len(spare) == 1:
        # A meter with one relay (an ESP32 meter's relay 0) switches its load.
        ordered[0].relay = spare.pop()
    return ordered, spare


def _id(entity: Entity | None) -> str | None:
    return None if entity is None else entity.entity_id


@dataclass(frozen=True, slots=True)
class Context:
    """What building the model reads: registries, states, the other entries."""

    hass: HomeAssistant
    entities: er.EntityRegistry
    devices: dr.DeviceRegistry
    areas: ar.AreaRegistry
    monitors: Mapping[str, Monitor]  # monitor entries, by watched power sensor
    costs: Mapping[str, str]  # a bill's cost sensor, by billed energy sensor

    def is_on(self, entity_id: str) -> bool:
        """Whether the entity's state is on."""
        state = self.hass.states.get(entity_id)
        return state is not None and state.state == STATE_ON

    def reports(self, entity_id: str) -> bool:
        """Whether the entity has a state that is not unavailable."""
        state = self.hass.states.get(entity_id)
        return state is not None and state.state != STATE_UNAVAILABLE


def device_model(
    ctx: Context, device: dr.DeviceEntry, kind: str, entry_id: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A metered device as the model shows it, and its built-in monitors."""
    entities = [
        e
        for e in er.async_entries_for_device(ctx.entities, device.id)
        if e.platform == DOMAIN
    ]
    loads, spare = loads_of(entities, ctx.monitors)
    used = {
        e.entity_id
        for load in loads
        for e in (load.power, load.energy, load.relay)
        if e is not None
    }
    problems = sorted(
        e.entity_id
        for e in entities
        if e.domain == Platform.BINARY_SENSOR
        and device_class(e) == BinarySensorDeviceClass.PROBLEM
    )
    extra = sorted(
        (
            e
            for e in entities
            if e.domain == Platform.SENSOR
            and e.entity_id not in used
            and device_class(e) in EXTRA_CLASSES
        ),
        key=lambda e: (ORDER[str(device_class(e))], e.entity_id),
    )
    watched = [e.entity_id for load in loads if (e := load.power) is not None]
    online = any(ctx.reports(e) for e in watched or [e.entity_id for e in entities])
    last_seen = next((e.entity_id for e in entities if role(e) == "last_update"), None)
    name = device.name_by_user or device.name or ""
    several = len(loads) > 1
    shown = [
        {
            "name": load.name() if several else None,
            "power": _id(load.power),
            "energy": _id(load.energy),
            "relay": _id(load.relay),
            "cost": None
            if load.energy is None
            else ctx.costs.get(load.energy.entity_id),
            "anomaly": load.anomaly,
            "baseline": load.baseline,
        }
        for load in loads
    ]
    model = {
        "device_id": device.id,
        "name": name,
        "kind": kind,
        "model": device.model,
        "area_id": device.area_id,
        "entry_id": entry_id,
        "online": online,
        "problem": not online or any(ctx.is_on(p) for p in problems),
        "last_seen": last_seen,
        "problems": problems,
        "loads": shown,
        "extra": [e.entity_id for e in extra],
        "relays": [e.entity_id for e in spare],
    }
    monitors = [
        {
            "name": f"{name} {row['name']}" if row["name"] else name,
            "device_id": device.id,
            "anomaly": load.anomaly,
            "baseline": load.baseline,
            "power": row["power"],
        }
        for load, row in zip(loads, shown, strict=True)
        if load.built_in
    ]
    return model, monitors


def metered_devices(
    ctx: Context,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every enabled device of a Shelly, ESP32 or PZEM entry, and their monitors."""
    devices: list[dict[str, Any]] = []
    monitors: list[dict[str, Any]] = []
    for entry in entries(ctx.hass, *METERED_KINDS):
        for device in dr.async_entries_for_config_entry(ctx.devices, entry.entry_id):
            if device.disabled:
                continue
            model, own = device_model(
                ctx, device, entry.data[CONF_KIND], entry.entry_id
            )
            devices.append(model)
            monitors.extend(own)
    devices.sort(key=lambda d: (d["name"].casefold(), d["device_id"]))
    return devices, monitors


def rooms(ctx: Context, devices: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rooms with a metered device, by name; the devices without an area last."""
    found: dict[str | None, dict[str, Any]] = {}
    for device in devices:
        area_id = device["area_id"]
        area = None if area_id is None else ctx.areas.async_get_area(area_id)
        key = None if area is None else area.id
        room = found.setdefault(
            key,
            {
                "area_id": key,
                "name": None if area is None else area.name,
                "devices": [],
                "power": [],
                "energy": [],
                "cost": [],
            },
        )
        room["devices"].append(device["device_id"])
        for load in device["loads"]:
            for field in ("power", "energy", "cost"):
                if load[field] is not None:
                    room[field].append(load[field])
    return sorted(
        found.values(),
        key=lambda room: (room["area_id"] is None, (room["name"] or "").casefold()),
    )


def monitor_entries(
    ctx: Context, found: Iterable[tuple[ConfigEntry[Any], Monitor, Entity]]
) -> list[dict[str, Any]]:
    """The monitor entries: what each watches, its device (not one of its own)."""
    shown = []
    for entry, monitor, anomaly in found:
        power = entry.data.get(CONF_POWER_ENTITY)
        device = (
            None
            if anomaly.device_id is None
            else ctx.devices.async_get(anomaly.device_id)
        )
        if device is not None and (DOMAIN, f"anomaly_{entry.entry_id}") in (
            device.identifiers
        ):
            device = None  # the monitor's own device: the sensor had none
        shown.append(
            {
                "name": entry.title,
                "device_id": None if device is None else device.id,
                "anomaly": monitor.anomaly,
                "baseline": monitor.baseline,
                "power": power
                if isinstance(power, str) and registered(ctx.entities, power)
                else None,
            }
        )
    return shown


# --- Bills ---------------------------------------------------------------------------


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _slabs(slabs: Sequence[Slab]) -> list[dict[str, Any]]:
    rows = []
    start = Decimal(0)
    for slab in slabs:
        rows.append(
            {
                "from_kwh": float(start),
                "to_kwh": _number(slab.upto_kwh),
                "rate": float(slab.rate),
            }
        )
        start = slab.upto_kwh if slab.upto_kwh is not None else start
    return rows


def tariff_table(tariff: Tariff) -> dict[str, Any]:
    """The tariff in force, as a readable table (docs/dashboard-model.md)."""
    cycle = tariff.cycle.as_dict()
    table: dict[str, Any] = {
        "type": "tables" if tariff.tables else "slabs",
        "cycle": cycle["type"],
    }
    if "day" in cycle:
        table["cycle_day"] = cycle["day"]
    else:
        table["cycle_days"] = cycle["days"]
        table["cycle_anchor"] = cycle["anchor"]
    return table | {
        "slabs": _slabs(tariff.slabs),
        "tables": [
            {"upto_kwh": _number(t.upto_kwh), "slabs": _slabs(t.slabs)}
            for t in tariff.tables
        ],
        "tou": [
            {
                "band": band.name,
                "start": f"{band.start_hour:02d}:00",
                "end": f"{band.end_hour:02d}:00",
                "rate": float(band.rate),
            }
            for band in tariff.tou_bands
        ],
        "fixed_charge": float(tariff.fixed_charge),
        "fixed_per_kw": float(tariff.fixed_per_kw),
        "sanctioned_kw": float(tariff.sanctioned_kw),
        "tax_percent": float(tariff.tax_percent),
    }


async def async_previous_cycles(
    hass: HomeAssistant,
    entry_id: str,
    house: Household,
    *,
    now: datetime,
    tz: tzinfo,
) -> list[dict[str, Any]] | None:
    """Up to three cycles before this one, newest first, billed from the statistics.

    One statement over them, priced per cycle as ``intelergy.calculate_bill``
    prices each (``async_statement``); a cycle that ended before the billed
    sensors' first statistics is left out; None while they have none.
    """
    tariff = house.tariff
    current = tariff.cycle.containing(now, tz)
    oldest = current
    for _ in range(PREVIOUS_CYCLES):
        oldest = tariff.cycle.previous(oldest)
    start, _ = cycle_bounds(oldest, tz)
    end, _ = cycle_bounds(current, tz)
    statement = await async_statement(  # each cycle at the rates in force then
        hass, house.schedule, house.entities, start=start, end=end, now=now, tz=tz
    )
    if statement.known_from is None:
        return None
    return [
        {
            "start": priced.part.cycle.start.isoformat(),
            "end": priced.part.cycle.last_day.isoformat(),
            "energy_kwh": round(float(priced.charges.kwh), 3),
            "total": float(priced.charges.total),
            "invoice_url": cycle_invoice_url(hass, entry_id, priced.part.cycle),
        }
        for priced in reversed(statement.parts)
        if priced.part.counted_from < priced.part.cycle_end
    ]


async def async_bill(
    ctx: Context, entry: ConfigEntry[Any], house: Household, now: datetime, tz: tzinfo
) -> dict[str, Any]:
    """A billing entry: its sensors, billed sensors, cycle, tariff and past cycles."""
    hass, registry = ctx.hass, ctx.entities
    cycle = house.tariff.cycle.containing(now, tz)
    previous: list[dict[str, Any]] | None = None
    if recorder_loaded(hass):
        try:
            previous = await async_previous_cycles(
                hass, entry.entry_id, house, now=now, tz=tz
            )
        except SQLAlchemyError as err:
            LOGGER.warning("%s: past cycles not read: %s", entry.title, err)
    return {
        "entry_id": entry.entry_id,
        "name": entry.title,
        "currency": house.tariff.currency,
        **{
            field: enabled_id(registry, Platform.SENSOR, f"{entry.entry_id}_{key}")
            for field, key in BILL_SENSORS.items()
        },
        "billed": [
            {"energy": energy, "cost": billed_cost(registry, entry, energy)}
            for energy in house.entities
            if registered(registry, energy)
        ],
        "cycle": {
            "start": cycle.start.isoformat(),
            "end": cycle.last_day.isoformat(),
        },
        "tariff": tariff_table(house.tariff),
        "previous_cycles": previous or [],
        "invoice_url": None  # no statistics: nothing to invoice yet
        if previous is None
        else cycle_invoice_url(hass, entry.entry_id, cycle),
    }


def households(hass: HomeAssistant) -> list[tuple[ConfigEntry[Any], Household]]:
    """The billing entries whose tariff reads, by title."""
    found = []
    for entry in entries(hass, KIND_BILLING):
        try:
            found.append((entry, household(entry)))
        except TariffError, KeyError, ValueError:
            LOGGER.debug("%s: tariff does not read, no bill shown", entry.title)
    return found


# --- ELNET accounts --------------------------------------------------------------------


def prepaid(ctx: Context) -> list[dict[str, Any]]:
    """One per ELNET account: its device and each entity (or None)."""
    found = []
    for entry in entries(ctx.hass, KIND_ELNET):
        serial = str(entry.unique_id)
        device = ctx.devices.async_get_device(identifiers={(DOMAIN, serial)})
        found.append(
            {
                "entry_id": entry.entry_id,
                "device_id": None if device is None else device.id,
                "name": entry.title
                if device is None
                else device.name_by_user or device.name or entry.title,
                **{
                    field: enabled_id(ctx.entities, platform, f"{serial}_{key}")
                    for field, (platform, key) in PREPAID.items()
                },
            }
        )
    return found


# --- The model -------------------------------------------------------------------------


async def async_energy_prefs(hass: HomeAssistant) -> bool:
    """Whether HA's Energy dashboard has a source or a device (False: not loaded)."""
    if "energy" not in hass.config.components:
        return False
    data = (await async_get_manager(hass)).data
    return bool(
        data is not None
        and (data.get("energy_sources") or data.get("device_consumption"))
    )


async def async_household(hass: HomeAssistant) -> dict[str, Any]:
    """The household model, version 1 (docs/dashboard-model.md)."""
    registry = er.async_get(hass)
    now, tz = dt_util.utcnow(), dt_util.get_default_time_zone()
    standalone = entry_monitors(hass, registry)
    houses = households(hass)
    costs: dict[str, str] = {}
    for entry, house in houses:
        for energy in house.entities:
            if (cost := billed_cost(registry, entry, energy)) is not None:
                costs.setdefault(energy, cost)
    ctx = Context(
        hass,
        registry,
        dr.async_get(hass),
        ar.async_get(hass),
        {str(e.data.get(CONF_POWER_ENTITY)): m for e, m, _ in standalone},
        costs,
    )
    devices, monitors = metered_devices(ctx)
    accounts = prepaid(ctx)
    monitors.extend(monitor_entries(ctx, standalone))
    return {
        "version": VERSION,
        "currency": hass.config.currency,
        "energy_prefs": await async_energy_prefs(hass),
        "whole_house_power": next(
            (a["present_load"] for a in accounts if a["present_load"]), None
        ),
        "rooms": rooms(ctx, devices),
        "devices": devices,
        "bills": [
            await async_bill(ctx, entry, house, now, tz) for entry, house in houses
        ],
        "prepaid": accounts,
        "monitors": sorted(
            monitors, key=lambda m: (m["name"].casefold(), m["anomaly"])
        ),
    }
