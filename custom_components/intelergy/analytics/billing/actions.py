"""Billing actions (response data): bills, projections, energy reports, invoices.

* ``intelergy.calculate_bill``: a period's bill (the current or previous cycle,
  the cycle starting in a ``YYYY-MM`` month, or start/end), per cycle, per
  sensor and per area;
* ``intelergy.predict_bill``: the current cycle's projected energy and bill by
  average day, same-weekday profile and linear trend, with a low/high band;
* ``intelergy.energy_report``: hourly / daily / weekly / monthly energy of the
  targets, by the bills' own rule (``bills.async_energy``): a bucket and the bill
  of the same period agree, and periods start where bills start (00:30 in a
  half-hour zone);
* ``intelergy.export_invoice``: a cycle's PDF invoice under
  ``<config>/intelergy/invoices/``, with a signed link that opens it for a day
  (``invoices.py``); by default the previous cycle, or the current one when the
  statistics start after the previous cycle;
* ``intelergy.compare_tariffs``: "what if": the same period billed from the
  same statistics under the entry's own tariff versions and under other billing
  entries' and inline tariffs, each bill's lines and its difference from the
  entry's own (``tariff.compare``).

Every bill is priced at the rates in force on each day (``bills``: dated
versions, pro rata in a cycle straddling a revision); responses list the bill's
lines (``lines``: key, label, amount and basis) in the printed order.

Targets (entities, devices, areas, floors, labels) narrow the sensors; without
targets the billing entry's own sensors are used. ``config_entry_id`` picks the
tariff; it may be left out when there is one billing entry.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
import secrets
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv, entity_registry as er
from homeassistant.helpers.target import (
    TargetSelection,
    async_extract_referenced_entity_ids,
)
from homeassistant.util import dt as dt_util
import probatio
from sqlalchemy.exc import SQLAlchemyError

from ...const import CONF_KIND, DOMAIN, KIND_BILLING
from ...core.invoice import line_label
from ...core.ledger import Charges, Statement, boundary, cycle_bounds, share_by_energy
from ...core.prediction import Method
from ...core.tariff import (
    Bill,
    BillLine,
    Cycle,
    Tariff,
    TariffError,
    compare,
    local_midnight,
)
from ..anomaly.standby import household_standby
from .bills import (
    Rates,
    add_lines,
    async_cycle_so_far,
    async_energy,
    async_statement,
    part_lines,
    projections,
)
from .descriptions import slab_rows, tou_rows
from .household import (
    Household,
    Meter,
    billing_entries,
    household,
    is_energy_total,
    meters as describe,
)
from .invoices import (
    LINK_VALID,
    async_invoice,
    invoice_folder,
    signed_url,
    write_invoice,
)
from .statistics import Period, async_first_statistics, recorder_loaded

SERVICE_CALCULATE_BILL: Final = "calculate_bill"
SERVICE_PREDICT_BILL: Final = "predict_bill"
SERVICE_ENERGY_REPORT: Final = "energy_report"
SERVICE_EXPORT_INVOICE: Final = "export_invoice"
SERVICE_COMPARE_TARIFFS: Final = "compare_tariffs"

ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"
ATTR_PERIOD: Final = "period"
ATTR_START: Final = "start"
ATTR_END: Final = "end"
ATTR_METHOD: Final = "method"
ATTR_GROUP_BY: Final = "group_by"
ATTR_ENTRIES: Final = "entries"
ATTR_TARIFFS: Final = "tariffs"

CURRENT_CYCLE: Final = "current_cycle"
PREVIOUS_CYCLE: Final = "previous_cycle"
GROUPS: Final = ("hour", "day", "week", "month")

_ENTRY: Final[dict[Any, Any]] = {probatio.Optional(ATTR_CONFIG_ENTRY_ID): cv.string}
_TARGETS: Final[dict[Any, Any]] = {**cv.ENTITY_SERVICE_FIELDS, **_ENTRY}
_PERIOD: Final[dict[Any, Any]] = {
    probatio.Optional(ATTR_PERIOD): cv.string,
    probatio.Optional(ATTR_START): cv.datetime,
    probatio.Optional(ATTR_END): cv.datetime,
}
CALCULATE_SCHEMA: Final = probatio.Schema({**_TARGETS, **_PERIOD})
PREDICT_SCHEMA: Final = probatio.Schema(
    {**_TARGETS, probatio.Optional(ATTR_METHOD): probatio.In([str(m) for m in Method])}
)
REPORT_SCHEMA: Final = probatio.Schema(
    {
        **_TARGETS,
        **_PERIOD,
        probatio.Optional(ATTR_GROUP_BY, default="day"): probatio.In(GROUPS),
    }
)
INVOICE_SCHEMA: Final = probatio.Schema(
    {**_ENTRY, probatio.Optional(ATTR_PERIOD): cv.string}
)
COMPARE_SCHEMA: Final = probatio.Schema(
    {
        **_ENTRY,
        **_PERIOD,
        probatio.Optional(ATTR_ENTRIES, default=list): probatio.All(
            cv.ensure_list, [cv.string]
        ),
        probatio.Optional(ATTR_TARIFFS, default=dict): probatio.Schema(
            {cv.string: dict}
        ),
    }
)


def _error(
    *, translation_key: str, placeholders: dict[str, str] | None = None
) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=translation_key,
        translation_placeholders=placeholders,
    )


# --- Which entry, which sensors, which period ---------------------------------------


def _billing_entry(hass: HomeAssistant, entry_id: str) -> ConfigEntry[Any]:
    """The billing entry ``entry_id``; a translated error for any other id."""
    entry = hass.config_entries.async_get_entry(entry_id)
    if (
        entry is None
        or entry.domain != DOMAIN
        or entry.data.get(CONF_KIND) != KIND_BILLING
    ):
        raise _error(
            translation_key="billing_not_an_entry", placeholders={"entry": entry_id}
        )
    return entry


def _entry(hass: HomeAssistant, call: ServiceCall) -> ConfigEntry[Any]:
    """The billing entry named by ``config_entry_id``, or the only one."""
    if (entry_id := call.data.get(ATTR_CONFIG_ENTRY_ID)) is not None:
        return _billing_entry(hass, entry_id)
    entries = billing_entries(hass)
    if not entries:
        raise _error(translation_key="billing_no_entry")
    if len(entries) > 1:
        raise _error(
            translation_key="billing_several_entries",
            placeholders={"entries": ", ".join(sorted(e.title for e in entries))},
        )
    return entries[0]


def _household(entry: ConfigEntry[Any]) -> Household:
    try:
        return household(entry)
    except (TariffError, KeyError, ValueError) as err:
        raise _error(
            translation_key="billing_invalid_tariff", placeholders={"error": str(err)}
        ) from err


def _targets(
    hass: HomeAssistant, call: ServiceCall, default: Sequence[str]
) -> list[str]:
    """The energy sensors targeted (devices and areas expand to theirs)."""
    selection = TargetSelection(call.data)
    if not selection.has_any_target:
        return list(default)
    selected = async_extract_referenced_entity_ids(hass, selection)
    wrong = sorted(
        e
        for e in selected.referenced
        if e not in default and not is_energy_total(hass, e)
    )
    if wrong:
        raise _error(
            translation_key="billing_not_energy_sensors",
            placeholders={"entities": ", ".join(wrong)},
        )
    registry = er.async_get(hass)
    ours = {entry.entry_id for entry in billing_entries(hass)}

    def billing_sensor(entity_id: str) -> bool:  # a bill is not a meter
        entry = registry.async_get(entity_id)
        return entry is not None and entry.config_entry_id in ours

    found = set(selected.referenced) | {
        e
        for e in selected.indirectly_referenced
        if is_energy_total(hass, e) and not billing_sensor(e)
    }
    if not found:
        raise _error(translation_key="billing_no_sensors")
    return sorted(found)


def _cycle(tariff: Rates, period: str, now: datetime, tz: tzinfo) -> Cycle:
    current = tariff.cycle.containing(now, tz)
    if period == CURRENT_CYCLE:
        return current
    if period == PREVIOUS_CYCLE:
        return tariff.cycle.previous(current)
    try:
        cycle = tariff.cycle.for_month(period)
    except TariffError as err:
        raise _error(
            translation_key="billing_invalid_period", placeholders={"period": period}
        ) from err
    if cycle > current:
        raise _error(
            translation_key="billing_period_in_future", placeholders={"period": period}
        )
    return cycle


def _period(
    call: ServiceCall, tariff: Rates | None, now: datetime, tz: tzinfo
) -> tuple[datetime, datetime]:
    """[start, end) of the call: a cycle keyword, ``YYYY-MM``, or start/end."""
    start: datetime | None = call.data.get(ATTR_START)
    end: datetime | None = call.data.get(ATTR_END)
    period: str | None = call.data.get(ATTR_PERIOD)
    if start is not None or end is not None:
        if period is not None:
            raise _error(translation_key="billing_period_and_dates")
        if start is None:
            raise _error(translation_key="billing_start_required")
        start = dt_util.as_utc(start)
        if start >= now:
            raise _error(
                translation_key="billing_period_in_future",
                placeholders={"period": dt_util.as_local(start).isoformat()},
            )
        end = now if end is None else dt_util.as_utc(end)
        if start >= end:
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="bad_period"
            )
        return start, end
    if tariff is None:
        raise _error(translation_key="billing_start_required")
    return _cycle(tariff, period or CURRENT_CYCLE, now, tz).bounds(tz)


# --- Responses ---------------------------------------------------------------------


def _money(amount: Decimal) -> float:
    return float(amount)


def _local(when: datetime | None) -> str | None:
    return None if when is None else dt_util.as_local(when).isoformat()


def _line(line: BillLine) -> dict[str, Any]:
    """A bill's line: key, label (as the invoice prints it), amount and basis."""
    basis = {
        name: float(value)
        for name in ("kwh", "rate", "percent")
        if (value := getattr(line, name)) is not None
    }
    return {
        "key": line.key,
        "label": line_label(line),
        "amount": _money(line.amount),
        "basis": basis,
    }


def _lines(lines: Sequence[BillLine]) -> list[Any]:
    return [_line(line) for line in lines]


def _charges(charges: Charges) -> dict[str, Any]:
    return {
        "energy_kwh": round(float(charges.kwh), 3),
        "energy_charge": _money(charges.energy_charge),
        "fixed_charge": _money(charges.fixed_charge),
        "tax": _money(charges.tax),
        "total": _money(charges.total),
        "slabs": slab_rows(charges.slabs),
        "tou": tou_rows(charges.tou),
    }


def _breakdown(
    found: Sequence[Meter],
    kwh: Mapping[str, float],
    cost: Mapping[str, Decimal] | None = None,
) -> dict[str, Any]:
    """Per-sensor and per-area (the sensor's own area, else its device's) figures."""
    sensors = []
    areas: dict[str | None, dict[str, Any]] = {}
    for meter in found:
        row: dict[str, Any] = {
            "entity_id": meter.entity_id,
            "name": meter.name,
            "area_id": meter.area_id,
            "area": meter.area,
            "kwh": round(kwh.get(meter.entity_id, 0.0), 3),
        }
        area = areas.setdefault(
            meter.area_id,
            {"area_id": meter.area_id, "name": meter.area, "kwh": 0.0},
        )
        area["kwh"] += kwh.get(meter.entity_id, 0.0)
        if cost is not None:
            row["cost"] = _money(cost.get(meter.entity_id, Decimal(0)))
            area["cost"] = area.get("cost", 0.0) + row["cost"]
        sensors.append(row)
    for area in areas.values():
        area["kwh"] = round(area["kwh"], 3)
        if "cost" in area:
            area["cost"] = round(area["cost"], 2)
    return {
        "sensors": sensors,
        "areas": sorted(
            areas.values(), key=lambda a: (a["area_id"] is None, a["name"] or "")
        ),
    }


def _statement(
    house: Household, statement: Statement, found: Sequence[Meter]
) -> dict[str, Any]:
    charges = statement.charges
    return {
        "currency": house.tariff.currency,
        "tax_percent": float(house.tariff.tax_percent),
        "statistics_start": _local(statement.known_from),
        **_charges(charges),
        "lines": _lines(add_lines(statement.parts)),
        "cycles": [
            {
                "cycle_start": priced.part.cycle.start.isoformat(),
                "cycle_end": priced.part.cycle.last_day.isoformat(),
                "start": dt_util.as_local(priced.part.start).isoformat(),
                "end": dt_util.as_local(priced.part.end).isoformat(),
                "complete": priced.part.complete,
                "counted_from": _local(priced.part.counted_from),
                **_charges(priced.charges),
                "lines": _lines(part_lines(priced)),
            }
            for priced in statement.parts
        ],
        **_breakdown(found, statement.sensor_kwh, statement.sensor_cost),
    }


# --- The actions -----------------------------------------------------------------------


@contextmanager
def _reading() -> Iterator[None]:
    """A failing database read as a translated error."""
    try:
        yield
    except SQLAlchemyError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="billing_statistics_failed",
            translation_placeholders={"error": str(err)},
        ) from err


def _ready(hass: HomeAssistant) -> None:
    if not recorder_loaded(hass):
        raise _error(translation_key="billing_no_recorder")


def _billed(call: ServiceCall) -> tuple[ConfigEntry[Any], Household, list[str]]:
    """The call's billing entry, its household and the sensors it targets."""
    _ready(call.hass)
    entry = _entry(call.hass, call)
    house = _household(entry)
    return entry, house, _targets(call.hass, call, house.entities)


async def _async_calculate_bill(call: ServiceCall) -> ServiceResponse:
    """A period's bill from the statistics."""
    hass = call.hass
    entry, house, entity_ids = _billed(call)
    now, tz = dt_util.utcnow(), dt_util.get_default_time_zone()
    start, end = _period(call, house.schedule, now, tz)
    with _reading():
        statement = await async_statement(
            hass, house.schedule, entity_ids, start=start, end=end, now=now, tz=tz
        )
    parts = statement.parts
    first, last = _bounds(start, end, now)
    return {
        "household": entry.title,
        "start": dt_util.as_local(parts[0].part.start if parts else first).isoformat(),
        "end": dt_util.as_local(parts[-1].part.end if parts else last).isoformat(),
        **_statement(house, statement, describe(hass, entity_ids)),
    }


async def _async_predict_bill(call: ServiceCall) -> ServiceResponse:
    """The current cycle's projected energy and bill."""
    hass = call.hass
    entry, house, entity_ids = _billed(call)
    now, tz = dt_util.utcnow(), dt_util.get_default_time_zone()
    methods = (
        [Method(call.data[ATTR_METHOD])] if ATTR_METHOD in call.data else list(Method)
    )
    with _reading():
        so_far = await async_cycle_so_far(hass, house.schedule, entity_ids, now, tz)
    projected = projections(so_far, house.schedule, methods)
    if projected is None:
        raise _error(translation_key="billing_not_enough_history")
    found = describe(hass, entity_ids)
    used = so_far.sensor_kwh
    used_total = sum(used.values())
    results: dict[str, Any] = {}
    for method, cost in projected.items():
        projection = cost.projection
        share = {
            e: (kwh / used_total if used_total else 0.0) for e, kwh in used.items()
        }
        kwh = {e: projection.projected_kwh * part for e, part in share.items()}
        results[str(method)] = {
            "projected_kwh": round(projection.projected_kwh, 3),
            "low_kwh": round(projection.low_kwh, 3),
            "high_kwh": round(projection.high_kwh, 3),
            "total": _money(cost.bill.total),
            "low": _money(cost.low.total),
            "high": _money(cost.high.total),
            "energy_charge": _money(cost.bill.energy_charge),
            "fixed_charge": _money(cost.bill.fixed_charge),
            "tax": _money(cost.bill.tax),
            "lines": _lines(cost.bill.lines),
            **_breakdown(found, kwh, share_by_energy(cost.bill.total, kwh)),
        }
    return {
        "household": entry.title,
        "currency": house.tariff.currency,
        "cycle_start": so_far.cycle.start.isoformat(),
        "cycle_end": so_far.cycle.last_day.isoformat(),
        "counted_from": _local(so_far.counted_from),
        "statistics_start": _local(so_far.statistics_start),
        "days": so_far.cycle.days,
        "complete_days": len(so_far.daily),
        "used_kwh": round(so_far.energy_kwh, 3),
        "cost_so_far": _money(so_far.bill.total),
        "lines_so_far": _lines(so_far.bill.lines),
        "methods": results,
    }


def _bounds(start: datetime, end: datetime, now: datetime) -> tuple[datetime, datetime]:
    """[start, end) on statistics boundaries, as bills take it (the one rule)."""
    first = boundary(start)
    return first, max(first, min(boundary(end), now))


def _next(day: date, group: Period) -> date:
    """The first local date of the day, week (Monday) or month after ``day``'s."""
    if group == "week":
        return day + timedelta(days=7 - day.weekday())
    if group == "month":
        return (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return day + timedelta(days=1)


def _edges(start: datetime, end: datetime, group: Period, tz: tzinfo) -> list[datetime]:
    """``start``, every bucket boundary inside, ``end``: statistics boundaries.

    Hours are the recorder's (whole UTC hours); days, weeks (from Monday) and
    months start at their local midnight's boundary, as a bill's cycle and day
    do (00:30 in a half-hour zone; a DST day has 23 or 25 hours).
    """
    if end <= start:
        return []
    edges = [start]
    if group == "hour":
        edge = start + timedelta(hours=1)
        while edge < end:
            edges.append(edge)
            edge += timedelta(hours=1)
    else:
        day = start.astimezone(tz).date()
        while (edge := boundary(local_midnight(day := _next(day, group), tz))) < end:
            if edge > start:
                edges.append(edge)
    edges.append(end)
    return edges


async def _async_energy_report(call: ServiceCall) -> ServiceResponse:
    """Energy per hour, day, week or month: each bucket by the bills' rule."""
    hass = call.hass
    _ready(hass)
    selection = TargetSelection(call.data)
    billed: ConfigEntry[Any] | None = None
    if ATTR_CONFIG_ENTRY_ID in call.data or not selection.has_any_target:
        billed = _entry(hass, call)
    elif len(entries := billing_entries(hass)) == 1:  # its cycles, for ``period``
        billed = entries[0]
    house = None if billed is None else _household(billed)
    entity_ids = _targets(hass, call, () if house is None else house.entities)
    now, tz = dt_util.utcnow(), dt_util.get_default_time_zone()
    start, end = _bounds(
        *_period(call, None if house is None else house.schedule, now, tz), now
    )
    group: Period = call.data[ATTR_GROUP_BY]
    edges = _edges(start, end, group, tz)
    with _reading():
        per_sensor, totals = await async_energy(hass, entity_ids, edges, now)
    found = describe(hass, entity_ids)
    report = _breakdown(found, totals)
    for row in report["sensors"]:
        row["buckets"] = [round(v, 3) for v in per_sensor[row["entity_id"]]]
    areas = {row["area_id"]: row for row in report["areas"]}
    for row in report["areas"]:
        row["buckets"] = [0.0] * (len(edges) - 1 if edges else 0)
    for meter in found:
        area = areas[meter.area_id]["buckets"]
        for i, value in enumerate(per_sensor[meter.entity_id]):
            area[i] += value
    for row in report["areas"]:
        row["buckets"] = [round(v, 3) for v in row["buckets"]]
    buckets = [
        sum(values[i] for values in per_sensor.values())
        for i in range(len(edges) - 1 if edges else 0)
    ]
    return {
        "start": dt_util.as_local(start).isoformat(),
        "end": dt_util.as_local(end).isoformat(),
        "group_by": group,
        "unit": "kWh",
        "total_kwh": round(sum(totals.values()), 3),
        "buckets": [
            {
                "start": dt_util.as_local(edges[i]).isoformat(),
                "end": dt_util.as_local(edges[i + 1]).isoformat(),
                "kwh": round(total, 3),
            }
            for i, total in enumerate(buckets)
        ],
        **report,
        # Standby power of the monitored devices, this month (anomaly/standby.py).
        "standby": household_standby(hass, None if billed is None else billed.entry_id),
    }


async def _invoice_cycle(
    hass: HomeAssistant, call: ServiceCall, house: Household, now: datetime, tz: tzinfo
) -> Cycle:
    """The cycle to invoice: ``period``, or by default the previous cycle.

    By default the previous cycle when the statistics reach into it, else the
    current one (so far): a fresh install's first invoice is not a cycle nobody
    measured. A cycle that ended before the statistics started is refused, with
    the date they start.
    """
    first = await async_first_statistics(hass, house.entities)
    if first is None:
        raise _error(translation_key="billing_no_statistics")
    period: str | None = call.data.get(ATTR_PERIOD)
    if period is None:
        previous = _cycle(house.tariff, PREVIOUS_CYCLE, now, tz)
        if cycle_bounds(previous, tz)[1] > first:
            return previous
        return _cycle(house.tariff, CURRENT_CYCLE, now, tz)
    cycle = _cycle(house.tariff, period, now, tz)
    if cycle_bounds(cycle, tz)[1] <= first:
        raise _error(
            translation_key="billing_before_statistics",
            placeholders={
                "period": cycle.label,
                "start": f"{dt_util.as_local(first):%Y-%m-%d %H:%M}",
            },
        )
    return cycle


async def _async_export_invoice(call: ServiceCall) -> ServiceResponse:
    """A cycle's invoice as a PDF, and a signed link that opens it for a while."""
    hass = call.hass
    _ready(hass)
    entry = _entry(hass, call)
    house = _household(entry)
    now, tz = dt_util.utcnow(), dt_util.get_default_time_zone()
    with _reading():
        cycle = await _invoice_cycle(hass, call, house, now, tz)
        invoice = await async_invoice(hass, entry.title, house, cycle, now=now, tz=tz)
    if invoice is None:  # the cycle starts at 00:30 in a half-hour zone
        raise _error(
            translation_key="billing_period_in_future",
            placeholders={"period": cycle.label},
        )
    priced = invoice.priced
    bill = priced.bill
    name = f"{invoice.stem}_{secrets.token_hex(6)}.pdf"
    url = signed_url(hass, name)  # first: no file without a way to serve it
    folder = invoice_folder(hass)
    try:
        await hass.async_add_executor_job(
            write_invoice, folder, invoice.stem, name, invoice.pdf
        )
    except OSError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="billing_invoice_failed",
            translation_placeholders={"error": str(err)},
        ) from err
    return {
        "household": entry.title,
        "path": str(folder / name),
        "url": url,
        "url_expires": dt_util.as_local(now + LINK_VALID).isoformat(),
        "cycle_start": cycle.start.isoformat(),
        "cycle_end": cycle.last_day.isoformat(),
        "complete": priced.part.complete,
        "counted_from": _local(priced.part.counted_from),
        "currency": bill.currency,
        "energy_kwh": round(float(bill.energy_kwh), 3),
        "total": _money(bill.total),
        "lines": _lines(bill.lines),
    }


def _as_bill(statement: Statement) -> Bill:
    """A period's statement as one bill (its charges, its parts' lines added)."""
    charges = statement.charges
    return Bill(
        currency=statement.currency,
        energy_kwh=charges.kwh,
        slab_lines=charges.slabs,
        tou_lines=charges.tou,
        energy_charge=charges.energy_charge,
        fixed_charge=charges.fixed_charge,
        tax_percent=Decimal(0),
        tax=charges.tax,
        total=charges.total,
        lines=add_lines(statement.parts),
    )


def _alternatives(
    hass: HomeAssistant, call: ServiceCall, entry: ConfigEntry[Any]
) -> dict[str, tuple[dict[str, Any], Rates]]:
    """The other tariffs of a comparison by name: entries', then inline ones.

    A name already taken (the entry's own title, two entries' titles, an inline
    tariff named like an entry) gets a number added: "Home (2)".
    """
    found: dict[str, tuple[dict[str, Any], Rates]] = {}

    def add(name: str, source: dict[str, Any], rates: Rates) -> None:
        unique, number = name, 2
        while unique in found or unique == entry.title:
            unique = f"{name} ({number})"
            number += 1
        found[unique] = (source, rates)

    for entry_id in call.data[ATTR_ENTRIES]:
        other = _billing_entry(hass, entry_id)
        add(
            other.title,
            {"source": "entry", "config_entry_id": other.entry_id},
            _household(other).schedule,
        )
    for name, data in call.data[ATTR_TARIFFS].items():
        try:
            tariff = Tariff.from_dict(data)
        except TariffError as err:
            raise _error(
                translation_key="billing_compare_invalid_tariff",
                placeholders={"name": name, "error": str(err)},
            ) from err
        add(name, {"source": "inline"}, tariff)
    if not found:
        raise _error(translation_key="billing_compare_nothing")
    return found


async def _async_compare_tariffs(call: ServiceCall) -> ServiceResponse:
    """The same period billed under the entry's tariff and under others."""
    hass = call.hass
    entry, house, entity_ids = _billed(call)
    now, tz = dt_util.utcnow(), dt_util.get_default_time_zone()
    start, end = _period(call, house.schedule, now, tz)
    tariffs = {
        entry.title: (
            {"source": "own", "config_entry_id": entry.entry_id},
            house.schedule,
        ),
        **_alternatives(hass, call, entry),
    }
    bills: dict[str, Bill] = {}
    with _reading():
        for name, (_, rates) in tariffs.items():
            statement = await async_statement(
                hass, rates, entity_ids, start=start, end=end, now=now, tz=tz
            )
            bills[name] = _as_bill(statement)
    try:
        rows = compare(bills)
    except TariffError as err:
        raise _error(
            translation_key="billing_compare_currency",
            placeholders={"error": str(err)},
        ) from err
    first, last = _bounds(start, end, now)
    return {
        "household": entry.title,
        "start": dt_util.as_local(first).isoformat(),
        "end": dt_util.as_local(last).isoformat(),
        "currency": house.tariff.currency,
        "energy_kwh": round(float(bills[entry.title].energy_kwh), 3),
        "bills": [
            {
                "name": row["name"],
                **tariffs[row["name"]][0],
                "total": _money(row["total"]),
                "difference": _money(row["difference"]),
                "lines": _lines(bills[row["name"]].lines),
            }
            for row in rows
        ],
    }


def async_setup_billing_actions(hass: HomeAssistant) -> None:
    """Register the billing actions (they exist whether or not an entry is loaded)."""
    for service, handler, schema in (
        (SERVICE_CALCULATE_BILL, _async_calculate_bill, CALCULATE_SCHEMA),
        (SERVICE_PREDICT_BILL, _async_predict_bill, PREDICT_SCHEMA),
        (SERVICE_ENERGY_REPORT, _async_energy_report, REPORT_SCHEMA),
        (SERVICE_EXPORT_INVOICE, _async_export_invoice, INVOICE_SCHEMA),
        (SERVICE_COMPARE_TARIFFS, _async_compare_tariffs, COMPARE_SCHEMA),
    ):
        hass.services.async_register(
            DOMAIN,
            service,
            handler,
            schema=schema,
            supports_response=SupportsResponse.ONLY,
        )
