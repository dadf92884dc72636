"""Billing forms: their schemas and checks, and tariff <-> form rows.

Two steps, in the config flow and the options flow alike:

1. ``billing``: the household's name (config flow only), the energy sensors it
   bills, currency, the kind of billing cycle, the kind of slab tariff, the fixed
   charge, tax and how the bill is projected;
2. ``billing_tariff``: the chosen cycle's own fields in a *Billing cycle* section
   (a monthly cycle's start day, or an every-N-days cycle's length and a start
   date: never both), the slabs as editable rows ("up to" kWh and a rate per
   kWh; the last row without "up to" is open-ended), whole-bill tables by
   adding "table up to" to each row, and optional time-of-use bands.

A row of the list reads "100 kWh · 3.5 INR/kWh": Home Assistant's object
selector (2026.10) labels a row with its fields' values joined by " · ", each
with its selector's unit (``label_field`` would show one field only, which is
how rows showed limits without rates); it has no template for a sentence such
as "up to 100 kWh at 3.5 per kWh", so the units carry the meaning: kWh for the
limits, the tariff's currency per kWh for the rates.

A printed tariff "0-100 kWh 3.50, 101-300 4.50, 301+ 6.00" is three rows: up to
100 at 3.50, up to 300 at 4.50, and 6.00 with no limit. Rows may be entered in
any order.

The second step also holds, in a collapsed *Other charges and rebates*
section, the lines of a printed bill besides energy, fixed charge and tax
(``core.tariff``): electricity duty (a percent of the energy charge and / or
per kWh), fuel adjustment per kWh, meter rent and a minimum charge per cycle,
a rebate per kWh and / or flat with an optional limit, and which lines are
taxed. In the options flow it also asks from which date the rates are in
force (default today): saving adds a tariff version from that date (or
replaces that date's), so cycles before it keep their rates; future versions
may be removed there. A change of currency or billing cycle is not a revision
(versions change prices, not cycles): with one version it replaces it, as
before; with several it is refused.

Stored in the entry's options under ``CONF_TARIFF``: ``Tariff.as_dict()`` while
the tariff is one version in force since ever (what every entry stored before
versions, still readable by an older Intelergy), else
``TariffSchedule.as_dict()``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, Final

from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import section
from homeassistant.generated.currencies import ACTIVE_CURRENCIES
from homeassistant.helpers import entity_registry as er, selector
import probatio

from ...core.prediction import Method
from ...core.schedule import TariffSchedule
from ...core.tariff import (
    DEFAULT_TAXED,
    TAXABLE_LINES,
    Slab,
    Tariff,
    TariffDecreasesError,
    TariffError,
)
from ...flow_helpers import number_box, whole_number
from .const import (
    CHARGE_FIELDS,
    CONF_CHARGES,
    CONF_CURRENCY,
    CONF_CYCLE,
    CONF_CYCLE_ANCHOR,
    CONF_CYCLE_DAY,
    CONF_CYCLE_DAYS,
    CONF_CYCLE_TYPE,
    CONF_EFFECTIVE,
    CONF_ENTITIES,
    CONF_FIXED_CHARGE,
    CONF_FIXED_PER_KW,
    CONF_METHOD,
    CONF_NAME,
    CONF_REBATE_LIMIT,
    CONF_REMOVE_VERSIONS,
    CONF_SANCTIONED_KW,
    CONF_SLABS,
    CONF_TARIFF,
    CONF_TARIFF_TYPE,
    CONF_TAX_PERCENT,
    CONF_TAXED_LINES,
    CONF_TOU_BANDS,
    CYCLE_MONTHLY,
    CYCLE_ROLLING,
    DEFAULT_CYCLE_DAYS,
    DEFAULT_METHOD,
    ROW_END,
    ROW_NAME,
    ROW_RATE,
    ROW_START,
    ROW_TABLE_UPTO,
    ROW_UPTO,
    TARIFF_SLABS,
    TARIFF_TABLES,
)
from .hourly import CONF_FIXED_SHARE, DEFAULT_FIXED_SHARE, FIXED_SHARES
from .household import (
    billing_entries,
    is_energy_total,
    single,
    stored_schedule,
    today as local_today,
    version_date,
)

SETTINGS: Final = (
    CONF_CURRENCY,
    CONF_CYCLE_TYPE,
    CONF_TARIFF_TYPE,
    CONF_FIXED_CHARGE,
    CONF_FIXED_PER_KW,
    CONF_SANCTIONED_KW,
    CONF_TAX_PERCENT,
)


def _select(options: Iterable[str], key: str | None = None) -> selector.SelectSelector:
    config = selector.SelectSelectorConfig(
        options=list(options), mode=selector.SelectSelectorMode.DROPDOWN
    )
    if key:
        config["translation_key"] = key
    return selector.SelectSelector(config)


def _rows(translation_key: str, fields: dict[str, Any]) -> selector.ObjectSelector:
    """Editable rows, each labelled with all its values and their units.

    No ``label_field``: the frontend then joins every field of a row (see the
    module), so a slab reads "100 kWh · 3.5 INR/kWh", not "100 kWh".
    """
    return selector.ObjectSelector(
        selector.ObjectSelectorConfig(
            fields=fields, multiple=True, translation_key=translation_key
        )
    )


def _rate(currency: str | None) -> dict[str, Any]:
    """A rate per kWh, its unit the tariff's currency per kWh once it is known."""
    unit = f"{currency}/kWh" if currency else None
    return {"selector": number_box(0, unit=unit), "required": True}


def row_selectors(
    currency: str | None = None,
) -> tuple[selector.ObjectSelector, selector.ObjectSelector, selector.ObjectSelector]:
    """The slab, whole-bill table and TOU row lists (rates in ``currency``/kWh)."""
    upto = {"selector": number_box(0, unit="kWh")}
    rate = _rate(currency)
    return (
        _rows("billing_slab", {ROW_UPTO: upto, ROW_RATE: rate}),
        _rows(
            "billing_table_slab",
            {
                ROW_TABLE_UPTO: {"selector": number_box(0, unit="kWh")},
                ROW_UPTO: upto,
                ROW_RATE: rate,
            },
        ),
        _rows(
            "billing_tou_band",
            {
                ROW_NAME: {"selector": selector.TextSelector(), "required": True},
                ROW_START: {"selector": number_box(0, 23, 1, "h"), "required": True},
                ROW_END: {"selector": number_box(1, 24, 1, "h"), "required": True},
                ROW_RATE: rate,
            },
        ),
    )


def cycle_schema(cycle_type: str) -> probatio.Schema:
    """The chosen cycle's own fields, and only those."""
    if cycle_type == CYCLE_ROLLING:
        return probatio.Schema(
            {
                probatio.Required(
                    CONF_CYCLE_DAYS, default=DEFAULT_CYCLE_DAYS
                ): whole_number(1, 366),
                probatio.Required(CONF_CYCLE_ANCHOR): selector.DateSelector(),
            }
        )
    return probatio.Schema(
        {probatio.Required(CONF_CYCLE_DAY, default=1): whole_number(1, 31)}
    )


def charges_schema(currency: str | None = None) -> probatio.Schema:
    """The *Other charges and rebates* section: every line besides energy and fixed."""
    money = number_box(0, unit=currency)
    per_kwh = number_box(0, unit=f"{currency}/kWh" if currency else None)
    return probatio.Schema(
        {
            probatio.Required("duty_percent", default=0): number_box(0, 100, unit="%"),
            probatio.Required("duty_per_kwh", default=0): per_kwh,
            probatio.Required("fac_per_kwh", default=0): per_kwh,
            probatio.Required("meter_rent", default=0): money,
            probatio.Required("minimum_charge", default=0): money,
            probatio.Required("rebate_per_kwh", default=0): per_kwh,
            probatio.Required("rebate_flat", default=0): money,
            probatio.Optional(CONF_REBATE_LIMIT): money,
            probatio.Required(
                CONF_TAXED_LINES, default=list(DEFAULT_TAXED)
            ): selector.SelectSelector(
                selector.SelectSelectorConfig(
                    options=list(TAXABLE_LINES),
                    multiple=True,
                    mode=selector.SelectSelectorMode.LIST,
                    translation_key="billing_taxed_line",
                )
            ),
        }
    )


def tariff_schema(
    tariff_type: str, cycle_type: str = CYCLE_MONTHLY, currency: str | None = None
) -> probatio.Schema:
    """The second step's form: the cycle's section, slab rows, TOU rows, charges.

    Slab rows with a table limit each for whole-bill tables; rates in
    ``currency`` per kWh; the other charges in a collapsed section.
    """
    slabs, tables, tou = row_selectors(currency)
    return probatio.Schema(
        {
            probatio.Required(CONF_CYCLE): section(cycle_schema(cycle_type)),
            probatio.Required(CONF_SLABS): tables
            if tariff_type == TARIFF_TABLES
            else slabs,
            probatio.Optional(CONF_TOU_BANDS): tou,
            probatio.Optional(CONF_CHARGES): section(
                charges_schema(currency), {"collapsed": True}
            ),
        }
    )


def revision_schema(future: Iterable[str] = ()) -> probatio.Schema:
    """The options' third step: from when the rates apply; future versions to drop."""
    fields: dict[Any, Any] = {
        probatio.Required(CONF_EFFECTIVE): selector.DateSelector()
    }
    if future := list(future):
        fields[probatio.Optional(CONF_REMOVE_VERSIONS)] = selector.SelectSelector(
            selector.SelectSelectorConfig(
                options=future, multiple=True, mode=selector.SelectSelectorMode.LIST
            )
        )
    return probatio.Schema(fields)


REVISION_SCHEMA: Final = revision_schema(["2026-01-01"])  # every field (tests)


SLAB_ROWS, TABLE_ROWS, TOU_ROWS = row_selectors()
TARIFF_SCHEMA: Final = tariff_schema(TARIFF_SLABS)
TABLES_SCHEMA: Final = tariff_schema(TARIFF_TABLES)


def settings_schema(
    hass: HomeAssistant | None = None, *, name: bool
) -> probatio.Schema:
    """The first step's form (``name``: the config flow asks for one).

    With ``hass``, the billing entries' own sensors are not offered.
    """
    exclude = (
        []
        if hass is None
        else [
            entry.entity_id
            for billing in billing_entries(hass)
            for entry in er.async_entries_for_config_entry(
                er.async_get(hass), billing.entry_id
            )
        ]
    )
    sensors = selector.EntitySelectorConfig(
        domain="sensor", device_class=SensorDeviceClass.ENERGY.value, multiple=True
    )
    if exclude:
        sensors["exclude_entities"] = exclude
    fields: dict[Any, Any] = {}
    if name:
        fields[probatio.Required(CONF_NAME)] = selector.TextSelector()
    fields |= {
        probatio.Required(CONF_ENTITIES): selector.EntitySelector(sensors),
        probatio.Required(CONF_CURRENCY): _select(sorted(ACTIVE_CURRENCIES)),
        probatio.Required(CONF_CYCLE_TYPE, default=CYCLE_MONTHLY): _select(
            (CYCLE_MONTHLY, CYCLE_ROLLING), "billing_cycle_type"
        ),
        probatio.Required(CONF_TARIFF_TYPE, default=TARIFF_SLABS): _select(
            (TARIFF_SLABS, TARIFF_TABLES), "billing_tariff_type"
        ),
        probatio.Required(CONF_FIXED_CHARGE, default=0): number_box(0),
        probatio.Required(CONF_FIXED_PER_KW, default=0): number_box(0),
        probatio.Required(CONF_SANCTIONED_KW, default=0): number_box(0, unit="kW"),
        probatio.Required(CONF_TAX_PERCENT, default=0): number_box(0, 100, unit="%"),
        probatio.Required(CONF_METHOD, default=DEFAULT_METHOD): _select(
            [str(method) for method in Method], "billing_method"
        ),
        probatio.Required(CONF_FIXED_SHARE, default=DEFAULT_FIXED_SHARE): _select(
            FIXED_SHARES, "billing_fixed_share"
        ),
    }
    return probatio.Schema(fields)


def check_settings(
    hass: HomeAssistant, user_input: Mapping[str, Any]
) -> tuple[dict[str, str], dict[str, str]]:
    """Errors (and their placeholders) of the first step; empty when it is fine."""
    errors: dict[str, str] = {}
    placeholders: dict[str, str] = {}
    if CONF_NAME in user_input and not str(user_input[CONF_NAME]).strip():
        errors[CONF_NAME] = "name_required"
    entities = list(user_input.get(CONF_ENTITIES) or [])
    if not entities:
        errors[CONF_ENTITIES] = "no_energy_sensors"
    elif wrong := [e for e in entities if not is_energy_total(hass, e)]:
        errors[CONF_ENTITIES] = "not_energy_total"
        placeholders["entities"] = ", ".join(wrong)
    if not errors:
        try:  # everything but the cycle and the slabs: monthly, one free slab
            _tariff(
                {**user_input, CONF_CYCLE_TYPE: CYCLE_MONTHLY},
                {CONF_SLABS: [{ROW_RATE: 0}]},
            )
        except TariffError as err:
            errors["base"] = "invalid_tariff"
            placeholders["error"] = str(err)
    return errors, placeholders


def stored_form(schedule: TariffSchedule) -> dict[str, Any]:
    """What ``CONF_TARIFF`` holds: the plain tariff while it is one version since ever."""
    if len(schedule.versions) == 1 and schedule.versions[0].effective == date.min:
        return schedule.versions[0].tariff.as_dict()
    return schedule.as_dict()


def revised(
    schedule: TariffSchedule,
    tariff: Tariff,
    rows: Mapping[str, Any],
    today: date,
) -> TariffSchedule:
    """``schedule`` with ``tariff`` from the form's effective date (see the module).

    The future versions picked for removal go first; the same rates as those in
    force on the date add no version. A new currency or cycle replaces a
    single version; with several, ``TariffError``.
    """
    effective = rows.get(CONF_EFFECTIVE)
    day = date.fromisoformat(effective) if isinstance(effective, str) else today
    remove = set(rows.get(CONF_REMOVE_VERSIONS) or [])
    kept = [
        v
        for v in schedule.versions
        if not (v.effective > today and v.effective.isoformat() in remove)
    ]
    if not kept:  # every version was a future one: the new one stands alone
        return single(tariff)
    schedule = TariffSchedule(tuple(kept))
    if (tariff.currency != schedule.currency or tariff.cycle != schedule.cycle) and len(
        schedule.versions
    ) == 1:
        return single(tariff)
    if schedule.in_force(day) == tariff and day not in {
        v.effective for v in schedule.versions
    }:
        return schedule
    return schedule.with_version(version_date(day), tariff)


def revise_options(
    options: Mapping[str, Any],
    schedule: TariffSchedule | None,
    rows: Mapping[str, Any],
    today: date,
) -> dict[str, Any] | tuple[dict[str, str], dict[str, str]]:
    """``build_options``'s options with its tariff as a revision of ``schedule``.

    From the form's effective date (see ``revised``); ``schedule`` None (the
    stored versions no longer read): the tariff alone. A revision the versions
    refuse (a new cycle or currency among several versions) is the error.
    """
    tariff = stored_schedule(options).versions[0].tariff
    try:
        versions = (
            single(tariff)
            if schedule is None
            else revised(schedule, tariff, rows, today)
        )
    except TariffError as err:
        return {"base": "invalid_tariff"}, {"error": str(err)}
    return {**options, CONF_TARIFF: stored_form(versions)}


def build_options(
    settings: Mapping[str, Any], rows: Mapping[str, Any]
) -> dict[str, Any] | tuple[dict[str, str], dict[str, str]]:
    """The entry's options from both steps, or the second step's errors.

    The tariff is one version since ever (the options flow makes it a
    revision: ``revise_options``). Whole-bill tables under which the bill would
    go down as the energy grows get their own message (which tables, what they
    charge); any other invalid tariff shows the tariff's own explanation.
    """
    errors: dict[str, str] = {}
    try:
        tariff = _tariff(settings, rows)
        versions = single(tariff)
    except TariffDecreasesError as err:
        errors["base"] = "tariff_decreases"
        return errors, {
            "limit": f"{err.limit:f}",
            "kwh": f"{err.kwh:f}",
            "charge": f"{err.charge:f}",
            "next_charge": f"{err.next_charge:f}",
        }
    except TariffError as err:
        errors["base"] = "invalid_tariff"
        return errors, {"error": str(err)}
    return {
        CONF_ENTITIES: list(settings[CONF_ENTITIES]),
        CONF_METHOD: settings.get(CONF_METHOD, DEFAULT_METHOD),
        CONF_FIXED_SHARE: settings.get(CONF_FIXED_SHARE, DEFAULT_FIXED_SHARE),
        CONF_TARIFF: stored_form(versions),
    }


def _tariff(settings: Mapping[str, Any], rows: Mapping[str, Any]) -> Tariff:
    """The tariff of the first step's ``settings`` and the second's ``rows``."""
    fields: Mapping[str, Any] = rows.get(CONF_CYCLE) or {}
    if settings.get(CONF_CYCLE_TYPE) == CYCLE_ROLLING:
        anchor = fields.get(CONF_CYCLE_ANCHOR)
        cycle: dict[str, Any] = {
            "type": CYCLE_ROLLING,
            "days": int(fields.get(CONF_CYCLE_DAYS, DEFAULT_CYCLE_DAYS)),
            "anchor": anchor.isoformat() if isinstance(anchor, date) else anchor,
        }
    else:
        cycle = {"type": CYCLE_MONTHLY, "day": int(fields.get(CONF_CYCLE_DAY, 1))}
    data: dict[str, Any] = {
        "currency": settings.get(CONF_CURRENCY),
        "fixed_charge": _plain(settings.get(CONF_FIXED_CHARGE, 0)),
        "fixed_per_kw": _plain(settings.get(CONF_FIXED_PER_KW, 0)),
        "sanctioned_kw": _plain(settings.get(CONF_SANCTIONED_KW, 0)),
        "tax_percent": _plain(settings.get(CONF_TAX_PERCENT, 0)),
        "tou_bands": [
            {
                "name": str(row.get(ROW_NAME, "")).strip(),
                "start": _plain(row.get(ROW_START)),
                "end": _plain(row.get(ROW_END)),
                "rate": _plain(row.get(ROW_RATE)),
            }
            for row in rows.get(CONF_TOU_BANDS) or []
        ],
        "cycle": cycle,
    }
    slab_rows = list(rows.get(CONF_SLABS) or [])
    if settings.get(CONF_TARIFF_TYPE) == TARIFF_TABLES:
        tables: dict[float | None, list[Mapping[str, Any]]] = {}
        for row in slab_rows:
            tables.setdefault(row.get(ROW_TABLE_UPTO), []).append(row)
        data["tables"] = [
            {"upto": _plain(limit), "slabs": _slab_list(tables[limit])}
            for limit in sorted(tables, key=_open_last)
        ]
    else:
        data["slabs"] = _slab_list(slab_rows)
    charges: Mapping[str, Any] = rows.get(CONF_CHARGES) or {}
    for name in CHARGE_FIELDS:
        data[name] = _plain(charges.get(name, 0))
    if charges.get(CONF_REBATE_LIMIT) is not None:
        data[CONF_REBATE_LIMIT] = _plain(charges[CONF_REBATE_LIMIT])
    data[CONF_TAXED_LINES] = list(charges.get(CONF_TAXED_LINES, DEFAULT_TAXED))
    return Tariff.from_dict(data)


def _open_last(limit: float | None) -> tuple[bool, float]:
    return (limit is None, 0.0 if limit is None else float(limit))


def _slab_list(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    ordered = sorted(rows, key=lambda row: _open_last(row.get(ROW_UPTO)))
    return [
        {"upto": _plain(row.get(ROW_UPTO)), "rate": _plain(row.get(ROW_RATE))}
        for row in ordered
    ]


def _plain(value: Any) -> Any:
    """A form number as the tariff reads it (100.0 -> 100, 3.5 stays)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _stored(options: Mapping[str, Any]) -> Tariff | None:
    """The entry's tariff in force today; None when it no longer reads (empty form)."""
    schedule = stored_versions(options)
    return None if schedule is None else schedule.in_force(local_today())


def stored_versions(options: Mapping[str, Any]) -> TariffSchedule | None:
    """The entry's tariff versions; None when they no longer read."""
    try:
        return stored_schedule(options)
    except TariffError, KeyError:
        return None


def describe_versions(schedule: TariffSchedule, today: date) -> str:
    """The versions for the options form: "from the start; from 2026-04-01 (in force)"."""
    current = max(
        (v.effective for v in schedule.versions if v.effective <= today),
        default=schedule.versions[0].effective,
    )
    return "; ".join(
        ("from the start" if v.effective == date.min else f"from {v.effective}")
        + (" (in force)" if v.effective == current else "")
        + (" (future)" if v.effective > today else "")
        for v in schedule.versions
    )


def future_versions(schedule: TariffSchedule | None, today: date) -> list[str]:
    """The dates of versions that take effect after ``today`` (removable)."""
    if schedule is None:
        return []
    return [v.effective.isoformat() for v in schedule.versions if v.effective > today]


def settings_from_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """The first step's values of an entry (for the options form)."""
    entities = list(options.get(CONF_ENTITIES) or [])
    if (tariff := _stored(options)) is None:
        return {CONF_ENTITIES: entities}
    return {
        CONF_ENTITIES: entities,
        CONF_CURRENCY: tariff.currency,
        CONF_CYCLE_TYPE: tariff.cycle.as_dict()["type"],
        CONF_TARIFF_TYPE: TARIFF_TABLES if tariff.tables else TARIFF_SLABS,
        CONF_FIXED_CHARGE: float(tariff.fixed_charge),
        CONF_FIXED_PER_KW: float(tariff.fixed_per_kw),
        CONF_SANCTIONED_KW: float(tariff.sanctioned_kw),
        CONF_TAX_PERCENT: float(tariff.tax_percent),
        CONF_METHOD: options.get(CONF_METHOD, DEFAULT_METHOD),
        CONF_FIXED_SHARE: options.get(CONF_FIXED_SHARE, DEFAULT_FIXED_SHARE),
    }


def rows_from_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """The second step's values of an entry, with its slab and cycle types.

    The cycle's fields (``CONF_CYCLE``, the section) fit a form of the same cycle
    type only, the rows one of the same slab type only (the flow checks both).
    """
    if (tariff := _stored(options)) is None:
        return {}
    cycle = tariff.cycle.as_dict()
    fields = (
        {CONF_CYCLE_DAYS: cycle["days"], CONF_CYCLE_ANCHOR: cycle["anchor"]}
        if cycle["type"] == CYCLE_ROLLING
        else {CONF_CYCLE_DAY: cycle["day"]}
    )

    def slab_rows(slabs: Iterable[Slab], table: Any = None) -> list[dict[str, Any]]:
        found = []
        for slab in slabs:
            row: dict[str, Any] = {ROW_RATE: float(slab.rate)}
            if table is not None:
                row = {ROW_TABLE_UPTO: float(table), **row}
            if slab.upto_kwh is not None:
                row[ROW_UPTO] = float(slab.upto_kwh)
            found.append(row)
        return found

    if tariff.tables:
        slabs = [
            row
            for table in tariff.tables
            for row in slab_rows(table.slabs, table.upto_kwh)
        ]
    else:
        slabs = slab_rows(tariff.slabs)
    charges: dict[str, Any] = {
        name: float(getattr(tariff, name)) for name in CHARGE_FIELDS
    }
    if tariff.rebate_limit is not None:
        charges[CONF_REBATE_LIMIT] = float(tariff.rebate_limit)
    charges[CONF_TAXED_LINES] = list(tariff.taxed_lines)
    return {
        CONF_TARIFF_TYPE: TARIFF_TABLES if tariff.tables else TARIFF_SLABS,
        CONF_CYCLE_TYPE: cycle["type"],
        CONF_CYCLE: fields,
        CONF_CHARGES: charges,
        CONF_SLABS: slabs,
        CONF_TOU_BANDS: [
            {
                ROW_NAME: band.name,
                ROW_START: band.start_hour,
                ROW_END: band.end_hour,
                ROW_RATE: float(band.rate),
            }
            for band in tariff.tou_bands
        ],
    }


def defaults(hass: HomeAssistant) -> dict[str, Any]:
    """Suggested values of a new household: HA's currency."""
    return {CONF_CURRENCY: hass.config.currency}
