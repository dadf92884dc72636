"""Electricity tariffs, billing cycles and bills (no Home Assistant imports).

A ``Tariff`` prices the energy of one billing cycle:

* **Slabs.** Either one telescopic ladder (``slabs``: each band of energy is
  priced at its own rate), or whole-bill tables (``tables``, e.g. Tamil Nadu):
  the first table whose limit is at least the cycle's total is chosen, and ALL
  the energy then climbs that table's own telescopic ladder from 0 kWh.
* **Fixed charge** per cycle: ``fixed_charge`` (flat) plus ``fixed_per_kw`` *
  ``sanctioned_kw``; either may be 0. It is not pro-rated unless the caller asks
  with ``fixed_fraction`` (a partial cycle).
* **Tax**: ``tax_percent`` of the taxed lines (``taxed_lines``, by default
  ``("energy", "fixed")``: energy charge + fixed charge).
* **Time of use** (optional ``tou_bands``): hours of the local day with their own
  rate. The rule: energy used in a band's hours is priced at the band's rate
  *instead of* a slab rate and is *left out of the slab ladder*: only the rest
  (total - TOU energy) climbs the slabs, from 0 kWh. A whole-bill table is still
  chosen by the cycle's *total* energy, TOU energy included.

**The lines of a printed bill.** Besides energy, fixed charge and tax, a tariff
may carry (each 0 / empty by default, and then its line never appears):

* ``duty_percent`` (0..100) and ``duty_per_kwh``: electricity duty, a percent of
  the *exact* energy charge (slab + TOU rows, before rounding) plus an amount per
  kWh of the cycle's total energy (TOU energy included);
* ``fac_per_kwh``: the fuel / energy adjustment surcharge per kWh of the total;
* ``meter_rent`` per cycle, scaled by ``fixed_fraction`` like the fixed charge;
* ``minimum_charge`` per cycle, scaled by ``fixed_fraction``: when the energy
  charge + fixed charge (both rounded) are below the (rounded) minimum, a top-up
  line brings them up to it exactly;
* ``rebate_per_kwh``, ``rebate_flat`` and ``rebate_limit`` (None: no limit): the
  cycle's rebate / subsidy is ``min(limit, flat * fixed_fraction + per_kwh *
  kWh)``. The flat part accrues with ``fixed_fraction`` like the fixed charge; the
  limit is the cycle's and is not scaled by it (``fixed_fraction`` is the time
  elapsed of one cycle: the subsidy of the units used so far is what it is). It
  is shown as a negative line and never takes the total below 0: it is at most
  the sum of the lines before it;
* ``taxed_lines``: the keys of the lines the tax applies to, any of ``energy``,
  ``fixed``, ``duty``, ``fac``, ``meter_rent``, ``minimum`` and ``rebate`` (a
  taxed rebate lowers the tax), each at most once. The tax is never negative.

``Bill.lines`` holds them as ``BillLine(key, amount, ...)`` in this fixed order:
``energy``, ``fixed``, ``duty``, ``fac``, ``meter_rent``, ``minimum``,
``rebate``, ``tax``; a line of amount 0 is left out, except ``energy``.

The rounding rule: everything is computed in ``Decimal``; the slab and TOU rows
of a bill keep their exact amounts (kWh * rate). Each line is rounded to 2
decimals, half-up, on its own, from its exact amount:

* ``energy``: the exact sum of the slab and TOU rows;
* ``fixed``: ``fixed_per_cycle * fixed_fraction``;
* ``duty``: ``duty_percent`` % of the exact energy charge + ``duty_per_kwh`` * kWh;
* ``fac``: ``fac_per_kwh`` * kWh;
* ``meter_rent``: ``meter_rent * fixed_fraction``;
* ``minimum``: ``max(0, round(minimum_charge * fixed_fraction) - energy - fixed)``
  from the *rounded* lines, so it is whole cents already;
* ``rebate``: ``-min(round(rebate), sum of the rounded lines above)``;
* ``tax``: ``tax_percent`` % of the sum of the *rounded* taxed lines, rounded,
  and 0 if that sum is negative.

The total is the exact sum of the rounded lines. ``energy_charge``,
``fixed_charge`` and ``tax`` are the ``energy``, ``fixed`` and ``tax`` lines (0.00
when left out), so a tariff without the new charges bills exactly as before.

Slab limits are cumulative kWh with no gaps: a slab runs from the previous
slab's limit (0 for the first) to its own. A tariff printed as "0-100, 101-300,
301+" is written with limits 100, 300 and ``None`` (open-ended).

**More energy never costs less.** Within one ladder that holds by itself (rates
are never negative). Whole-bill tables can break it where the total crosses a
table's limit, so a tariff is refused (``TariffDecreasesError``) when table n+1
would charge less than table n for energy that can reach it: the energy at table
n's limit without TOU bands (the ladder then climbs the total); with TOU bands any
slab energy up to that limit, since the rest of the total can be TOU energy. Both
ladders are piecewise linear, so comparing them at the limit and at every slab
edge below it decides. The bill's rounding cannot break it: each rounded line is a
non-decreasing function of the exact amounts. Per-kWh charges are linear in the
energy and add the same to both tables, so they change nothing there. A rebate per
kWh could make more energy cost less, so a tariff is refused when
``rebate_per_kwh`` exceeds the cheapest per-kWh charge (the lowest slab or band
rate with its duty, plus ``duty_per_kwh`` and ``fac_per_kwh``), or, when the
rebate is taxed, the taxed part of that charge. Two exceptions are left, both
with a rebate per kWh: the rebate line is rounded on its own, so a bill can read
one cent less than a bill of slightly less energy; and under a minimum charge
the top-up absorbs the energy's charges but not its rebate (the subsidy is
given after the minimum, as on the printed bills), so while the cycle is below
the minimum more energy lowers the bill by its rebate.

**Price of the next kWh** (``next_kwh_price``) and **where the cycle stands**
(``slab_position``) are documented on the methods; both are exact, not rounded.

**Range and exactness.** Every amount (kWh, rates, limits, fixed charges,
sanctioned kW, tax and fixed fractions) is at most ``MAX_AMOUNT`` (10^9: no
household or meter comes near; larger values are typing mistakes or broken
sensors) and has at most ``MAX_PLACES`` (50) decimal places (1E-999999 kWh is
no energy anyone measured; a ``fixed_fraction`` computed as a 28-digit quotient
of seconds needs about 40). An amount then has at most 60 digits, a product of
three at most 180, so bills are computed exactly in a context of 200 digits. It
traps ``Inexact`` all the same: a bill is exact or a ``TariffError``, never
rounded silently. The module raises ``TariffError`` (a ``ValueError``) and
nothing else, also for billing cycles that would leave the calendar (years
1..9999).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
import calendar
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import (
    MAX_EMAX,
    MIN_EMIN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DecimalException,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
    localcontext,
)
from itertools import pairwise
import re
from typing import Any, Final

CENT: Final = Decimal("0.01")
ZERO: Final = Decimal(0)
ONE: Final = Decimal(1)
HUNDRED: Final = Decimal(100)
MAX_AMOUNT: Final = Decimal(10) ** 9
"""The largest kWh, rate, limit, charge or sanctioned kW a tariff or bill takes."""
MAX_PLACES: Final = 50
"""The most decimal places an amount may have (trailing zeros do not count)."""
MAX_CYCLE_DAYS: Final = 366
"""The longest rolling cycle (a year), as the billing flow offers."""
LINE_KEYS: Final = (
    "energy",
    "fixed",
    "duty",
    "fac",
    "meter_rent",
    "minimum",
    "rebate",
    "tax",
)
"""The keys of a bill's lines, in the order they are printed."""
TAXABLE_LINES: Final = LINE_KEYS[:-1]
"""The lines ``taxed_lines`` may name (every line but the tax itself)."""
DEFAULT_TAXED: Final = ("energy", "fixed")
_MONEY_ZERO: Final = Decimal("0.00")

_PRECISION: Final = 200  # digits: every exact amount of a bill within range fits
# Bills: exact or refused (Inexact trapped). Rounding to the cent: its own context.
_EXACT: Final = Context(
    prec=_PRECISION,
    rounding=ROUND_HALF_UP,
    Emax=MAX_EMAX,
    Emin=MIN_EMIN,
    traps=[InvalidOperation, DivisionByZero, Overflow, Inexact],
)
_ROUNDING: Final = Context(
    prec=_PRECISION,
    rounding=ROUND_HALF_UP,
    Emax=MAX_EMAX,
    Emin=MIN_EMIN,
    traps=[InvalidOperation, DivisionByZero, Overflow],
)

_CURRENCY = re.compile(r"[A-Z]{3}")
_MONTH = re.compile(r"(\d{4})-(\d{2})", re.ASCII)  # ASCII digits only


class TariffError(ValueError):
    """An invalid tariff, billing cycle or bill request (the message names it)."""


class TariffDecreasesError(TariffError):
    """Whole-bill tables under which more energy could cost less (see the module).

    ``table``: the table (1-based) whose successor charges ``next_charge``, less
    than its own ``charge``, for ``kwh`` of slab energy; ``limit``: its limit.
    """

    def __init__(
        self,
        table: int,
        kwh: Decimal,
        charge: Decimal,
        next_charge: Decimal,
        limit: Decimal,
    ) -> None:
        """Name the two tables, the energy and both charges."""
        super().__init__(
            f"whole-bill table {table + 1} charges {next_charge} for {kwh} kWh, "
            f"less than table {table}'s {charge}: the bill would decrease as the "
            f"energy grows past table {table}'s limit ({limit} kWh)"
        )
        self.table = table
        self.kwh = kwh
        self.charge = charge
        self.next_charge = next_charge
        self.limit = limit


def round_money(amount: Decimal) -> Decimal:
    """``amount`` rounded to 2 decimals, half-up: the rule for every bill line."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP, context=_ROUNDING)


@contextmanager
def _exact(what: str) -> Iterator[None]:
    """Decimal arithmetic that is exact, else ``TariffError`` (see the module)."""
    try:
        with localcontext(_EXACT):
            yield
    except DecimalException as err:
        raise TariffError(f"{what}: the numbers have too many digits") from err


@contextmanager
def _on_the_calendar(what: str) -> Iterator[None]:
    """Date arithmetic; leaving the calendar (years 1..9999) is a ``TariffError``."""
    try:
        yield
    except TariffError:
        raise
    except (OverflowError, ValueError) as err:
        raise TariffError(f"{what} is outside the calendar (years 1..9999)") from err


# --- Billing cycles ----------------------------------------------------------


@dataclass(frozen=True, slots=True, order=True)
class Cycle:
    """One billing cycle: local dates from ``start`` (in) to ``end`` (out)."""

    start: date
    end: date

    @property
    def days(self) -> int:
        """The number of days in the cycle."""
        return (self.end - self.start).days

    @property
    def last_day(self) -> date:
        """The cycle's last date."""
        return self.end - timedelta(days=1)

    @property
    def label(self) -> str:
        """``YYYY-MM`` of the month the cycle starts in."""
        return f"{self.start:%Y-%m}"

    def __contains__(self, day: object) -> bool:
        """Whether a local date is in the cycle."""
        if isinstance(day, datetime):
            day = day.date()
        return isinstance(day, date) and self.start <= day < self.end

    def dates(self) -> Iterator[date]:
        """Every date of the cycle, in order."""
        for offset in range(self.days):
            yield self.start + timedelta(days=offset)

    def bounds(self, tz: tzinfo) -> tuple[datetime, datetime]:
        """Local midnights starting and ending the cycle, timezone-aware in ``tz``.

        DST-safe: each bound is the first instant of its local date, so a cycle
        spanning a spring-forward change is an hour shorter than ``days`` * 24 h.
        On a day whose midnight does not exist (a change at 00:00) the bound is
        the first instant that does (01:00).
        """
        return local_midnight(self.start, tz), local_midnight(self.end, tz)


def local_midnight(day: date, tz: tzinfo) -> datetime:
    """The first instant of local date ``day`` in ``tz``, timezone-aware."""
    naive = datetime.combine(day, time())
    with _on_the_calendar(f"midnight of {day}"):
        return naive.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)


def local_date(when: date | datetime, tz: tzinfo | None = None) -> date:
    """The local date of ``when``.

    A date is taken as is, and so is a naive datetime's date (local time). An
    aware datetime is converted to ``tz`` first (when given).
    """
    if isinstance(when, datetime):
        if tz is not None and when.tzinfo is not None:
            when = when.astimezone(tz)
        return when.date()
    return when


def parse_month(month: str) -> tuple[int, int]:
    """(year, month) of a ``YYYY-MM`` string; ``TariffError`` if it is not one."""
    match = _MONTH.fullmatch(month) if isinstance(month, str) else None
    if match is None or not 1 <= int(match[2]) <= 12 or int(match[1]) < 1:
        raise TariffError(f"month must be YYYY-MM (ASCII digits), not {month!r}")
    return int(match[1]), int(match[2])


class BillingCycle(ABC):
    """How billing cycles run: ``MonthlyCycle`` or ``RollingCycle``."""

    __slots__ = ()

    @abstractmethod
    def containing_date(self, day: date) -> Cycle:
        """The cycle holding local date ``day``."""

    @abstractmethod
    def for_month(self, month: str) -> Cycle:
        """The (first) cycle starting in month ``YYYY-MM``."""

    @abstractmethod
    def as_dict(self) -> dict[str, Any]:
        """JSON-able form, read back by ``BillingCycle.from_dict``."""

    def containing(self, when: date | datetime, tz: tzinfo | None = None) -> Cycle:
        """The cycle holding ``when`` (its local date in ``tz``: see ``local_date``)."""
        return self.containing_date(local_date(when, tz))

    def previous(self, cycle: Cycle) -> Cycle:
        """The cycle before ``cycle``."""
        with _on_the_calendar(f"the cycle before {cycle.start}"):
            return self.containing_date(cycle.start - timedelta(days=1))

    def following(self, cycle: Cycle) -> Cycle:
        """The cycle after ``cycle``."""
        return self.containing_date(cycle.end)

    @staticmethod
    def from_dict(data: Any) -> BillingCycle:
        """A cycle from ``as_dict()`` output; ``TariffError`` if it is invalid."""
        if not isinstance(data, Mapping):
            raise TariffError("cycle must be a mapping")
        kind = data.get("type", "monthly")
        if kind == "monthly":
            return MonthlyCycle(_int(data.get("day", 1), "cycle day"))
        if kind == "rolling":
            anchor = data.get("anchor")
            try:
                start = date.fromisoformat(anchor) if isinstance(anchor, str) else None
            except ValueError:
                start = None
            if start is None:
                raise TariffError(f"cycle anchor must be a YYYY-MM-DD date: {anchor!r}")
            return RollingCycle(_int(data.get("days"), "cycle days"), start)
        raise TariffError(f"cycle type must be 'monthly' or 'rolling', not {kind!r}")


@dataclass(frozen=True, slots=True)
class MonthlyCycle(BillingCycle):
    """Monthly cycles starting on ``day`` (1..31), clamped in short months.

    Day 31 starts on Feb 28 (29 in leap years), Apr 30 and so on; the next
    cycle starts on the 31st again where there is one.
    """

    day: int = 1

    def __post_init__(self) -> None:
        """Reject a day outside 1..31."""
        if type(self.day) is not int or not 1 <= self.day <= 31:
            raise TariffError(f"cycle day must be 1..31, not {self.day!r}")

    def start_in(self, year: int, month: int) -> date:
        """The date the cycle starting in ``year``-``month`` starts."""
        return date(year, month, min(self.day, calendar.monthrange(year, month)[1]))

    def containing_date(self, day: date) -> Cycle:
        """The cycle holding local date ``day``."""
        with _on_the_calendar(f"the cycle holding {day}"):
            start = self.start_in(day.year, day.month)
            if day >= start:
                following = self.start_in(*_add_months(day.year, day.month, 1))
                return Cycle(start, following)
            return Cycle(self.start_in(*_add_months(day.year, day.month, -1)), start)

    def for_month(self, month: str) -> Cycle:
        """The cycle starting in month ``YYYY-MM``."""
        year, number = parse_month(month)
        with _on_the_calendar(f"the cycle starting in {month}"):
            return Cycle(
                self.start_in(year, number),
                self.start_in(*_add_months(year, number, 1)),
            )

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {"type": "monthly", "day": self.day}


@dataclass(frozen=True, slots=True)
class RollingCycle(BillingCycle):
    """Cycles of ``days`` days, one of them starting on ``anchor``."""

    days: int
    anchor: date

    def __post_init__(self) -> None:
        """Reject a length outside 1..366 days or an anchor that is not a date."""
        if type(self.days) is not int or not 1 <= self.days <= MAX_CYCLE_DAYS:
            raise TariffError(
                f"cycle days must be at least 1 and at most {MAX_CYCLE_DAYS}, "
                f"not {self.days!r}"
            )
        if type(self.anchor) is not date:
            raise TariffError(f"cycle anchor must be a date, not {self.anchor!r}")

    def containing_date(self, day: date) -> Cycle:
        """The cycle holding local date ``day`` (also before the anchor)."""
        count = (day - self.anchor).days // self.days
        with _on_the_calendar(f"the cycle holding {day}"):
            start = self.anchor + timedelta(days=count * self.days)
            return Cycle(start, start + timedelta(days=self.days))

    def for_month(self, month: str) -> Cycle:
        """The first cycle starting in month ``YYYY-MM``.

        A long cycle can skip a month (no cycle starts in it): ``TariffError``.
        """
        year, number = parse_month(month)
        first = date(year, number, 1)
        count = -((self.anchor - first).days // self.days)  # ceil division
        with _on_the_calendar(f"the cycle starting in {month}"):
            start = self.anchor + timedelta(days=count * self.days)
            if (start.year, start.month) != (year, number):
                raise TariffError(f"no {self.days}-day cycle starts in {month}")
            return Cycle(start, start + timedelta(days=self.days))

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {"type": "rolling", "days": self.days, "anchor": self.anchor.isoformat()}


def _add_months(year: int, month: int, count: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + count
    return index // 12, index % 12 + 1


# --- Tariffs -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Slab:
    """Energy above the previous slab's limit up to ``upto_kwh`` costs ``rate``.

    ``upto_kwh`` is cumulative kWh; ``None`` is the open-ended last slab.
    """

    upto_kwh: Decimal | None
    rate: Decimal


@dataclass(frozen=True, slots=True)
class SlabTable:
    """A whole-bill table, used when the cycle's total is at most ``upto_kwh``.

    ``None``: any total (the last table). The whole consumption then climbs
    ``slabs``, a telescopic ladder starting at 0 kWh.
    """

    upto_kwh: Decimal | None
    slabs: tuple[Slab, ...]


@dataclass(frozen=True, slots=True)
class TouBand:
    """Local hours ``start_hour`` to ``end_hour`` priced at ``rate`` per kWh.

    Whole hours 0..24, start included, end excluded; a band with start after
    end runs over midnight (22 → 6 is 22:00-06:00).
    """

    name: str
    start_hour: int
    end_hour: int
    rate: Decimal

    def hours(self) -> tuple[int, ...]:
        """The hours of the day (0..23) in the band."""
        if self.start_hour < self.end_hour:
            return tuple(range(self.start_hour, self.end_hour))
        return (*range(self.start_hour, 24), *range(self.end_hour))


@dataclass(frozen=True, slots=True)
class SlabLine:
    """One slab row of a bill; ``amount`` is exact (kWh * rate, not rounded)."""

    from_kwh: Decimal
    to_kwh: Decimal | None
    kwh: Decimal
    rate: Decimal
    amount: Decimal


@dataclass(frozen=True, slots=True)
class TouLine:
    """One TOU row of a bill; ``amount`` is exact (kWh * rate, not rounded)."""

    band: str
    kwh: Decimal
    rate: Decimal
    amount: Decimal


@dataclass(frozen=True, slots=True)
class BillLine:
    """One line of a printed bill, rounded to the cent (see the module's rule).

    ``key``: one of ``LINE_KEYS``. The basis, where the line has one: ``kwh``
    (the energy it is charged on), ``rate`` (per kWh) and ``percent`` (of the
    energy charge for ``duty``, of the taxed lines for ``tax``). None: no such
    basis (or, in a cycle straddling tariff versions, versions that differ).
    """

    key: str
    amount: Decimal
    kwh: Decimal | None = None
    rate: Decimal | None = None
    percent: Decimal | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form: key, amount and the basis fields that are set."""
        data: dict[str, Any] = {"key": self.key, "amount": str(self.amount)}
        for name in ("kwh", "rate", "percent"):
            if (value := getattr(self, name)) is not None:
                data[name] = str(value)
        return data


@dataclass(frozen=True, slots=True)
class SlabPosition:
    """Where a cycle's slab energy stands on its ladder (``Tariff.slab_position``).

    ``index``: the slab (0-based) the next kWh is priced in; ``from_kwh`` and
    ``to_kwh`` (None: open-ended) its edges; ``rate`` its rate; ``kwh_left``: the
    slab energy still to go before ``to_kwh`` (None: open-ended); ``table``: the
    whole-bill table in use (None: telescopic slabs); ``next_rate``: the rate of
    the slab after it (None: the last).
    """

    index: int
    from_kwh: Decimal
    to_kwh: Decimal | None
    rate: Decimal
    kwh_left: Decimal | None
    table: int | None = None
    next_rate: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Bill:
    """A cycle's bill; the money lines are rounded (see the module's rule).

    ``lines``: the printed lines (``BillLine``) in ``LINE_KEYS`` order. A bill
    built without them gets the lines of its ``energy_charge``, ``fixed_charge``
    and ``tax`` (a zero fixed charge or tax left out).
    """

    currency: str
    energy_kwh: Decimal
    slab_lines: tuple[SlabLine, ...]
    tou_lines: tuple[TouLine, ...]
    energy_charge: Decimal
    fixed_charge: Decimal
    tax_percent: Decimal
    tax: Decimal
    total: Decimal
    table: int | None = None  # index of the whole-bill table used
    lines: tuple[BillLine, ...] = ()

    def __post_init__(self) -> None:
        """Fill ``lines`` from the three classic lines when none are given."""
        if not self.lines:
            lines = [BillLine("energy", self.energy_charge, kwh=self.energy_kwh)]
            if self.fixed_charge:
                lines.append(BillLine("fixed", self.fixed_charge))
            if self.tax:
                lines.append(BillLine("tax", self.tax, percent=self.tax_percent))
            object.__setattr__(self, "lines", tuple(lines))

    def line(self, key: str) -> Decimal:
        """The amount of line ``key`` (0.00 when the bill does not have it)."""
        for line in self.lines:
            if line.key == key:
                return line.amount
        return _MONEY_ZERO

    def as_dict(self, *, lines: bool | None = None) -> dict[str, Any]:
        """JSON-able form (numbers as strings, exact).

        ``"lines"`` (``[{"key", "amount", basis...}]``) is included when
        ``lines`` is True, or by default (None) when the bill has a line other
        than energy, fixed charge and tax: a bill of a tariff without the new
        charges keeps the form it always had (stored diagnostics, snapshots).
        """
        data = self._classic_dict()
        if lines or (
            lines is None
            and any(line.key not in {"energy", "fixed", "tax"} for line in self.lines)
        ):
            data["lines"] = [line.as_dict() for line in self.lines]
        return data

    def _classic_dict(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "energy_kwh": str(self.energy_kwh),
            "slabs": [
                {
                    "from": str(line.from_kwh),
                    "to": None if line.to_kwh is None else str(line.to_kwh),
                    "kwh": str(line.kwh),
                    "rate": str(line.rate),
                    "amount": str(line.amount),
                }
                for line in self.slab_lines
            ],
            "tou": [
                {
                    "band": line.band,
                    "kwh": str(line.kwh),
                    "rate": str(line.rate),
                    "amount": str(line.amount),
                }
                for line in self.tou_lines
            ],
            "energy_charge": str(self.energy_charge),
            "fixed_charge": str(self.fixed_charge),
            "tax_percent": str(self.tax_percent),
            "tax": str(self.tax),
            "total": str(self.total),
            "table": self.table,
        }


@dataclass(frozen=True, slots=True)
class Tariff:
    """A tariff; invalid ones raise ``TariffError`` when built.

    Exactly one of ``slabs`` (telescopic) and ``tables`` (whole-bill) is given.
    """

    currency: str
    slabs: tuple[Slab, ...] = ()
    tables: tuple[SlabTable, ...] = ()
    fixed_charge: Decimal = ZERO
    fixed_per_kw: Decimal = ZERO
    sanctioned_kw: Decimal = ZERO
    tax_percent: Decimal = ZERO
    tou_bands: tuple[TouBand, ...] = ()
    cycle: BillingCycle = MonthlyCycle()
    duty_percent: Decimal = ZERO
    duty_per_kwh: Decimal = ZERO
    fac_per_kwh: Decimal = ZERO
    meter_rent: Decimal = ZERO
    minimum_charge: Decimal = ZERO
    rebate_per_kwh: Decimal = ZERO
    rebate_flat: Decimal = ZERO
    rebate_limit: Decimal | None = None
    taxed_lines: tuple[str, ...] = DEFAULT_TAXED

    def __post_init__(self) -> None:
        """Validate everything; the first problem found is raised.

        Lists given for ``slabs``, ``tables``, ``tou_bands`` or ``taxed_lines``
        become tuples.
        """
        for name in ("slabs", "tables", "tou_bands", "taxed_lines"):
            if isinstance(value := getattr(self, name), list):
                object.__setattr__(self, name, tuple(value))
        if not isinstance(self.currency, str) or not _CURRENCY.fullmatch(self.currency):
            raise TariffError(
                f"currency must be an ISO 4217 code like 'INR', not {self.currency!r}"
            )
        if self.slabs and self.tables:
            raise TariffError("give either slabs or whole-bill tables, not both")
        if self.tables:
            _check_tables(self.tables)
        else:
            _check_slabs(self.slabs, "slabs", None)
        _check_amount(self.fixed_charge, "fixed_charge")
        _check_amount(self.fixed_per_kw, "fixed_per_kw")
        _check_amount(self.sanctioned_kw, "sanctioned_kw")
        if self.fixed_per_kw > 0 and self.sanctioned_kw == 0:
            raise TariffError("fixed_per_kw is set but sanctioned_kw is 0")
        _check_amount(self.tax_percent, "tax_percent")
        if self.tax_percent > HUNDRED:
            raise TariffError(f"tax_percent must be 0..100, not {self.tax_percent}")
        _check_tou(self.tou_bands)
        if self.tables:
            _check_increasing(self.tables, tou=bool(self.tou_bands))
        if not isinstance(self.cycle, BillingCycle):
            raise TariffError(f"cycle must be a BillingCycle, not {self.cycle!r}")
        self._check_lines()

    def _check_lines(self) -> None:
        """The charges of the other lines (see the module)."""
        for name in LINE_CHARGES:
            _check_amount(getattr(self, name), name)
        if self.duty_percent > HUNDRED:
            raise TariffError(f"duty_percent must be 0..100, not {self.duty_percent}")
        if self.rebate_limit is not None:
            _check_amount(self.rebate_limit, "rebate_limit")
        taxed = self.taxed_lines
        if not isinstance(taxed, tuple) or any(
            not isinstance(key, str) or key not in TAXABLE_LINES for key in taxed
        ):
            raise TariffError(
                f"taxed_lines must name lines among {', '.join(TAXABLE_LINES)}, "
                f"not {taxed!r}"
            )
        if len(set(taxed)) != len(taxed):
            raise TariffError(f"taxed_lines names a line twice: {taxed!r}")
        if self.rebate_per_kwh:
            with _exact("rebate per kWh"):
                cheapest = min(self._rates())
                parts = self._per_kwh_parts(cheapest, self.rebate_per_kwh)
                charge = parts["energy"] + parts["duty"] + parts["fac"]
                if self.rebate_per_kwh > charge:
                    raise TariffError(
                        f"rebate_per_kwh ({self.rebate_per_kwh}) exceeds the "
                        f"cheapest charge per kWh ({charge}): more energy would "
                        "cost less"
                    )
                if "rebate" in taxed and (
                    sum((parts[key] for key in taxed if key in parts), ZERO) < 0
                ):
                    raise TariffError(
                        "the taxed rebate per kWh exceeds the taxed charges per "
                        "kWh: more energy would cost less"
                    )

    def _rates(self) -> Iterator[Decimal]:
        """Every energy rate: slabs (of every table) and TOU bands."""
        for table in self.tables:
            for slab in table.slabs:
                yield slab.rate
        for slab in self.slabs:
            yield slab.rate
        for band in self.tou_bands:
            yield band.rate

    def _per_kwh_parts(self, rate: Decimal, rebate: Decimal) -> dict[str, Decimal]:
        """What one kWh at energy ``rate`` adds to each per-kWh line (exact)."""
        return {
            "energy": rate,
            "duty": self.duty_per_kwh + self.duty_percent * rate / HUNDRED,
            "fac": self.fac_per_kwh,
            "rebate": -rebate,
        }

    @property
    def fixed_per_cycle(self) -> Decimal:
        """The full cycle's fixed charge, exact: flat + per kW * sanctioned kW."""
        with _exact("fixed charge"):
            return self.fixed_charge + self.fixed_per_kw * self.sanctioned_kw

    def ladder(self, total_kwh: Decimal) -> tuple[int | None, tuple[Slab, ...]]:
        """The slabs pricing a cycle of ``total_kwh`` (and the table's index)."""
        if not self.tables:
            return None, self.slabs
        for index, table in enumerate(self.tables):
            if table.upto_kwh is None or total_kwh <= table.upto_kwh:
                return index, table.slabs
        raise AssertionError("the last table is open-ended")  # pragma: no cover

    def band_for_hour(self, hour: int) -> TouBand | None:
        """The TOU band holding local hour ``hour`` (0..23), if any."""
        for band in self.tou_bands:
            if hour in band.hours():
                return band
        return None

    def bill(
        self,
        kwh: Decimal,
        *,
        tou_kwh: Mapping[str, Decimal] | None = None,
        fixed_fraction: Decimal = ONE,
    ) -> Bill:
        """The bill for ``kwh`` used in one cycle.

        ``tou_kwh``: the part of ``kwh`` used in each TOU band's hours, by band
        name; it is priced at the band's rate and left out of the slab ladder
        (the table is still chosen by the total). ``fixed_fraction`` (0..1)
        scales the fixed charge for a partial cycle; the default charges the
        whole cycle's fixed charge whatever the energy.
        """
        _check_amount(kwh, "kwh")
        _check_amount(fixed_fraction, "fixed_fraction")
        if fixed_fraction > ONE:
            raise TariffError(f"fixed_fraction must be 0..1, not {fixed_fraction}")
        if tou_kwh is not None and not isinstance(tou_kwh, Mapping):
            raise TariffError(f"tou_kwh must be a mapping, not {tou_kwh!r}")
        with _exact(f"bill of {kwh} kWh"):
            tou_lines = self._tou_lines(tou_kwh or {})
            tou_total = sum((line.kwh for line in tou_lines), ZERO)
            if tou_total > kwh:
                raise TariffError(
                    f"TOU energy ({tou_total} kWh) exceeds the total ({kwh} kWh)"
                )
            table, slabs = self.ladder(kwh)
            slab_lines = climb(slabs, kwh - tou_total)
            exact = sum((line.amount for line in slab_lines), ZERO) + sum(
                (line.amount for line in tou_lines), ZERO
            )
            rebate = self.rebate_flat * fixed_fraction + self.rebate_per_kwh * kwh
            if self.rebate_limit is not None and rebate > self.rebate_limit:
                rebate = self.rebate_limit
            amounts = {
                "energy": round_money(exact),
                "fixed": round_money(self.fixed_per_cycle * fixed_fraction),
                "duty": round_money(
                    self.duty_percent * exact / HUNDRED + self.duty_per_kwh * kwh
                ),
                "fac": round_money(self.fac_per_kwh * kwh),
                "meter_rent": round_money(self.meter_rent * fixed_fraction),
            }
            settle(
                amounts,
                round_money(self.minimum_charge * fixed_fraction),
                round_money(rebate),
            )
            amounts["tax"] = self._tax(amounts)
            total = sum(amounts.values(), _MONEY_ZERO)
            lines = self._lines(amounts, kwh)
        return Bill(
            currency=self.currency,
            energy_kwh=kwh,
            slab_lines=slab_lines,
            tou_lines=tou_lines,
            energy_charge=amounts["energy"],
            fixed_charge=amounts["fixed"],
            tax_percent=self.tax_percent,
            tax=amounts["tax"],
            total=total,
            table=table,
            lines=lines,
        )

    def _tax(self, amounts: Mapping[str, Decimal]) -> Decimal:
        """``tax_percent`` of the rounded taxed lines, rounded; never negative."""
        base = sum((amounts[key] for key in self.taxed_lines), _MONEY_ZERO)
        if base <= 0:
            return _MONEY_ZERO
        return round_money(base * self.tax_percent / HUNDRED)

    def _lines(
        self, amounts: Mapping[str, Decimal], kwh: Decimal
    ) -> tuple[BillLine, ...]:
        """The rounded amounts as the bill's lines, with their basis."""
        lines = [BillLine("energy", amounts["energy"], kwh=kwh)]
        for key, basis in (
            ("fixed", {}),
            (
                "duty",
                {
                    "kwh": kwh,
                    "rate": self.duty_per_kwh,
                    "percent": self.duty_percent,
                },
            ),
            ("fac", {"kwh": kwh, "rate": self.fac_per_kwh}),
            ("meter_rent", {}),
            ("minimum", {}),
            ("rebate", {"kwh": kwh, "rate": self.rebate_per_kwh}),
            ("tax", {"percent": self.tax_percent}),
        ):
            if amounts[key]:
                lines.append(BillLine(key, amounts[key], **basis))
        return tuple(lines)

    def tou_lines(self, tou_kwh: Mapping[str, Decimal]) -> tuple[TouLine, ...]:
        """The TOU rows of ``tou_kwh`` (by band name), validated, in band order."""
        if not isinstance(tou_kwh, Mapping):
            raise TariffError(f"tou_kwh must be a mapping, not {tou_kwh!r}")
        with _exact("TOU rows"):
            return self._tou_lines(tou_kwh)

    def slab_position(
        self, cycle_kwh: Decimal, tou_kwh: Decimal = ZERO
    ) -> SlabPosition:
        """Where the cycle stands: the slab its next kWh of slab energy is priced in.

        The slab energy ``cycle_kwh - tou_kwh`` climbs the ladder (TOU energy is
        left out of it, see the module); the ladder is the whole-bill table that
        ``cycle_kwh`` (the total) selects. A cycle exactly at a slab's limit
        stands in the next slab: its next kWh is priced there.
        """
        _check_amount(cycle_kwh, "cycle_kwh")
        _check_amount(tou_kwh, "tou_kwh")
        if tou_kwh > cycle_kwh:
            raise TariffError(
                f"TOU energy ({tou_kwh} kWh) exceeds the total ({cycle_kwh} kWh)"
            )
        with _exact("slab position"):
            slab_kwh = cycle_kwh - tou_kwh
            table, slabs = self.ladder(cycle_kwh)
            low = ZERO
            for index, slab in enumerate(slabs):
                if slab.upto_kwh is None or slab_kwh < slab.upto_kwh:
                    following = slabs[index + 1] if index + 1 < len(slabs) else None
                    return SlabPosition(
                        index=index,
                        from_kwh=low,
                        to_kwh=slab.upto_kwh,
                        rate=slab.rate,
                        kwh_left=None
                        if slab.upto_kwh is None
                        else slab.upto_kwh - slab_kwh,
                        table=table,
                        next_rate=None if following is None else following.rate,
                    )
                low = slab.upto_kwh
        # A table's ladder reaches its limit; the slabs' last one is open-ended.
        raise AssertionError("the ladder covers the energy")  # pragma: no cover

    def next_kwh_price(
        self,
        cycle_kwh: Decimal,
        *,
        band: str | None = None,
        tou_kwh: Decimal = ZERO,
    ) -> Decimal:
        """The marginal price of one more kWh after ``cycle_kwh`` this cycle (exact).

        The energy rate is the TOU ``band``'s when given, else the rate of the slab
        the cycle stands in (``slab_position``: telescopic; at a slab's limit the
        next slab's). With whole-bill tables it is the rate of the ladder position
        in the table ``cycle_kwh`` selects: NOT the true marginal cost at a table's
        edge, where the next kWh reprices the whole cycle (tables are retroactive).
        Then + ``duty_per_kwh`` + ``duty_percent`` % of that rate + ``fac_per_kwh``
        - ``rebate_per_kwh`` while the cycle's rebate (``rebate_flat`` +
        ``rebate_per_kwh`` * ``cycle_kwh``) is below ``rebate_limit``, + the tax
        on the per-kWh parts of the taxed lines. The fixed charge, meter rent and
        the minimum charge's top-up are not per kWh: left out. Not rounded.
        """
        if band is None:
            rate = self.slab_position(cycle_kwh, tou_kwh).rate
        else:
            _check_amount(cycle_kwh, "cycle_kwh")
            rates = {item.name: item.rate for item in self.tou_bands}
            if band not in rates:
                raise TariffError(f"unknown TOU band {band!r}")
            rate = rates[band]
        with _exact("price of the next kWh"):
            rebate = self.rebate_per_kwh
            if self.rebate_limit is not None and (
                self.rebate_flat + rebate * cycle_kwh >= self.rebate_limit
            ):
                rebate = ZERO
            parts = self._per_kwh_parts(rate, rebate)
            taxed = sum((parts[key] for key in self.taxed_lines if key in parts), ZERO)
            return sum(parts.values(), ZERO) + taxed * self.tax_percent / HUNDRED

    def _tou_lines(self, tou_kwh: Mapping[str, Decimal]) -> tuple[TouLine, ...]:
        bands = {band.name: band for band in self.tou_bands}
        for name, value in tou_kwh.items():
            if name not in bands:
                raise TariffError(f"unknown TOU band {name!r}")
            _check_amount(value, f"TOU energy of {name!r}")
        return tuple(
            TouLine(
                band.name, tou_kwh[band.name], band.rate, tou_kwh[band.name] * band.rate
            )
            for band in self.tou_bands
            if tou_kwh.get(band.name, ZERO) > 0
        )

    @classmethod
    def from_dict(cls, data: Any) -> Tariff:
        """A tariff from ``as_dict()`` output (or hand-written JSON).

        Numbers may be strings (exact), ints or floats (read as their shortest
        repr). A slab may carry ``"from"``: it must equal the previous slab's
        limit (0 for the first), else the gap or overlap is reported.
        """
        if not isinstance(data, Mapping):
            raise TariffError("a tariff must be a mapping")
        currency = data.get("currency")
        if not isinstance(currency, str):
            raise TariffError(f"currency must be a code like 'INR', not {currency!r}")
        tables = data.get("tables") or []
        if not isinstance(tables, list):
            raise TariffError("tables must be a list")
        return cls(
            currency=currency,
            slabs=_slabs_from_list(data.get("slabs") or [], "slabs"),
            tables=tuple(_table_from_dict(item, i) for i, item in enumerate(tables)),
            fixed_charge=_decimal(data.get("fixed_charge", 0), "fixed_charge"),
            fixed_per_kw=_decimal(data.get("fixed_per_kw", 0), "fixed_per_kw"),
            sanctioned_kw=_decimal(data.get("sanctioned_kw", 0), "sanctioned_kw"),
            tax_percent=_decimal(data.get("tax_percent", 0), "tax_percent"),
            tou_bands=_tou_from_list(data.get("tou_bands") or []),
            cycle=BillingCycle.from_dict(data.get("cycle", {"type": "monthly"})),
            **{name: _decimal(data.get(name, 0), name) for name in LINE_CHARGES},
            rebate_limit=_opt_decimal(data.get("rebate_limit"), "rebate_limit"),
            taxed_lines=_taxed_from(data.get("taxed_lines", list(DEFAULT_TAXED))),
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form (numbers as exact strings) for the config entry."""
        return {
            "currency": self.currency,
            "slabs": _slabs_as_list(self.slabs),
            "tables": [
                {"upto": _opt_str(table.upto_kwh), "slabs": _slabs_as_list(table.slabs)}
                for table in self.tables
            ],
            "fixed_charge": str(self.fixed_charge),
            "fixed_per_kw": str(self.fixed_per_kw),
            "sanctioned_kw": str(self.sanctioned_kw),
            "tax_percent": str(self.tax_percent),
            "tou_bands": [
                {
                    "name": band.name,
                    "start": band.start_hour,
                    "end": band.end_hour,
                    "rate": str(band.rate),
                }
                for band in self.tou_bands
            ],
            "cycle": self.cycle.as_dict(),
        } | self._lines_dict()

    def _lines_dict(self) -> dict[str, Any]:
        """The other lines' charges, only those set: an old tariff's form is as it was."""
        data: dict[str, Any] = {
            name: str(getattr(self, name))
            for name in LINE_CHARGES
            if getattr(self, name)
        }
        if self.rebate_limit is not None:
            data["rebate_limit"] = str(self.rebate_limit)
        if self.taxed_lines != DEFAULT_TAXED:
            data["taxed_lines"] = list(self.taxed_lines)
        return data


LINE_CHARGES: Final = (  # the other lines' amounts, as Tariff fields and dict keys
    "duty_percent",
    "duty_per_kwh",
    "fac_per_kwh",
    "meter_rent",
    "minimum_charge",
    "rebate_per_kwh",
    "rebate_flat",
)


def settle(amounts: dict[str, Decimal], floor: Decimal, rebate: Decimal) -> None:
    """Add the ``minimum`` and ``rebate`` lines to the rounded lines above them.

    ``floor``: the rounded minimum charge; ``rebate``: the rounded rebate. The
    top-up brings energy + fixed up to ``floor``; the rebate is at most the sum of
    the lines before it (see the module's rounding rule).
    """
    amounts["minimum"] = max(_MONEY_ZERO, floor - amounts["energy"] - amounts["fixed"])
    subtotal = sum(amounts.values(), _MONEY_ZERO)
    amounts["rebate"] = _MONEY_ZERO - min(rebate, subtotal)


def _taxed_from(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        raise TariffError(f"taxed_lines must be a list, not {value!r}")
    return tuple(value)


def compare(bills: Mapping[str, Bill]) -> list[dict[str, Any]]:
    """Each named bill (in order) with its difference from the first ("what if").

    ``[{"name", "total", "difference", "lines"}]``: ``difference`` is the
    bill's total minus the first bill's (0.00 for the first), ``lines`` its
    lines by key. The bills must share a currency (``TariffError``).
    """
    rows: list[dict[str, Any]] = []
    first: Bill | None = None
    for name, bill in bills.items():
        if first is None:
            first = bill
        elif bill.currency != first.currency:
            raise TariffError(
                f"bill {name!r} is in {bill.currency}, not {first.currency}"
            )
        rows.append(
            {
                "name": name,
                "currency": bill.currency,
                "total": bill.total,
                "difference": bill.total - first.total,
                "lines": {line.key: line.amount for line in bill.lines},
            }
        )
    return rows


def climb(slabs: Sequence[Slab], kwh: Decimal) -> tuple[SlabLine, ...]:
    """The rows of ``kwh`` climbing a telescopic ladder from 0 (used slabs only)."""
    lines: list[SlabLine] = []
    low = ZERO
    for slab in slabs:
        if kwh <= low:
            break
        high = kwh if slab.upto_kwh is None else min(kwh, slab.upto_kwh)
        used = high - low
        lines.append(SlabLine(low, slab.upto_kwh, used, slab.rate, used * slab.rate))
        if slab.upto_kwh is None:
            break
        low = slab.upto_kwh
    return tuple(lines)


# --- Validation and (de)serialisation ----------------------------------------


def check_amount(value: object, name: str) -> None:
    """``TariffError`` unless ``value`` is an amount a bill takes (see the module)."""
    _check_amount(value, name)


def _check_amount(value: object, name: str) -> None:
    """A finite Decimal (an int is accepted too) from 0 to ``MAX_AMOUNT``.

    At most ``MAX_PLACES`` decimal places (see the module).
    """
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TariffError(f"{name} must be a Decimal, not {value!r}")
    if isinstance(value, Decimal) and not value.is_finite():
        raise TariffError(f"{name} must be a finite number, not {value}")
    if value < 0:
        raise TariffError(f"{name} must not be negative ({value})")
    if value > MAX_AMOUNT:
        raise TariffError(f"{name} must be at most {MAX_AMOUNT:f}, not {value}")
    if isinstance(value, Decimal) and _places(value) > MAX_PLACES:
        raise TariffError(
            f"{name} must have at most {MAX_PLACES} decimal places, not {value}"
        )


def _places(value: Decimal) -> int:
    """The decimal places of a finite ``value``, trailing zeros left out."""
    _, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int):  # pragma: no cover - only finite values come
        return 0
    zeros = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return max(0, -(exponent + zeros)) if any(digits) else 0


def _check_slabs(slabs: Sequence[Slab], where: str, cover: Decimal | None) -> None:
    if not slabs:
        raise TariffError(f"{where}: the slab list is empty")
    previous = ZERO
    for number, slab in enumerate(slabs, 1):
        _check_amount(slab.rate, f"{where}: slab {number} rate")
        if slab.upto_kwh is None:
            if number != len(slabs):
                raise TariffError(
                    f"{where}: only the last slab may be open-ended "
                    f"(slab {number} has no limit)"
                )
            return
        _check_amount(slab.upto_kwh, f"{where}: slab {number} limit")
        if slab.upto_kwh <= previous:
            raise TariffError(
                f"{where}: slab {number} ends at {slab.upto_kwh} kWh, not above "
                f"{previous} kWh where it starts (slabs overlap or are out of order)"
            )
        previous = slab.upto_kwh
    if cover is None or previous < cover:
        reach = "open-ended" if cover is None else f"open-ended or reach {cover} kWh"
        raise TariffError(
            f"{where}: the last slab ends at {previous} kWh; it must be {reach}"
        )


def _check_tables(tables: Sequence[SlabTable]) -> None:
    previous = ZERO
    for number, table in enumerate(tables, 1):
        where = f"table {number}"
        if table.upto_kwh is None:
            if number != len(tables):
                raise TariffError(
                    f"only the last whole-bill table may be open-ended "
                    f"(table {number} has no limit)"
                )
        else:
            _check_amount(table.upto_kwh, f"{where} limit")
            if table.upto_kwh <= previous:
                raise TariffError(
                    f"whole-bill tables out of order: table {number} limit "
                    f"{table.upto_kwh} kWh is not above {previous} kWh"
                )
            previous = table.upto_kwh
        _check_slabs(table.slabs, where, table.upto_kwh)
    if tables[-1].upto_kwh is not None:
        raise TariffError("the last whole-bill table must be open-ended (no limit)")


def _check_increasing(tables: Sequence[SlabTable], *, tou: bool) -> None:
    """Refuse tables under which more energy could cost less (see the module)."""

    def cost(slabs: Sequence[Slab], kwh: Decimal) -> Decimal:
        return sum((line.amount for line in climb(slabs, kwh)), ZERO)

    for number, (table, following) in enumerate(pairwise(tables), 1):
        limit = table.upto_kwh
        if limit is None:  # pragma: no cover - _check_tables: only the last is open
            raise TariffError("only the last whole-bill table may be open-ended")
        edges = {
            slab.upto_kwh
            for slab in (*table.slabs, *following.slabs)
            if tou and slab.upto_kwh is not None and slab.upto_kwh < limit
        }
        with _exact(f"whole-bill tables {number} and {number + 1}"):
            for kwh in sorted({*edges, limit}):
                charge, next_charge = cost(table.slabs, kwh), cost(following.slabs, kwh)
                if next_charge < charge:
                    raise TariffDecreasesError(number, kwh, charge, next_charge, limit)


def _check_tou(bands: Sequence[TouBand]) -> None:
    owner: dict[int, str] = {}
    names: set[str] = set()
    for band in bands:
        if not isinstance(band.name, str) or not band.name.strip():
            raise TariffError(f"TOU band names must be non-empty: {band.name!r}")
        if band.name in names:
            raise TariffError(f"TOU band {band.name!r} is given twice")
        names.add(band.name)
        for hour in (band.start_hour, band.end_hour):
            if type(hour) is not int or not 0 <= hour <= 24:
                raise TariffError(
                    f"TOU band {band.name!r}: hours must be whole hours 0..24, "
                    f"not {hour!r}"
                )
        if band.start_hour == band.end_hour:
            raise TariffError(
                f"TOU band {band.name!r} starts and ends at {band.start_hour}: "
                "give 0 to 24 for the whole day"
            )
        if not band.hours():
            raise TariffError(f"TOU band {band.name!r} covers no hours")
        _check_amount(band.rate, f"TOU band {band.name!r} rate")
        for hour in band.hours():
            if hour in owner:
                raise TariffError(
                    f"TOU band {band.name!r} overlaps {owner[hour]!r} at {hour:02d}:00"
                )
            owner[hour] = band.name


def _decimal(value: Any, name: str) -> Decimal:
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int) and not isinstance(value, bool):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise TariffError(f"{name} is not a number: {value!r}") from None
    else:
        raise TariffError(f"{name} is not a number: {value!r}")
    if not number.is_finite():
        raise TariffError(f"{name} must be a finite number, not {value!r}")
    return number


def _opt_decimal(value: Any, name: str) -> Decimal | None:
    return None if value is None else _decimal(value, name)


def _opt_str(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _int(value: Any, name: str) -> int:
    if type(value) is not int:
        raise TariffError(f"{name} must be a whole number, not {value!r}")
    return value


def _slabs_from_list(items: Any, where: str) -> tuple[Slab, ...]:
    if not isinstance(items, list):
        raise TariffError(f"{where} must be a list")
    slabs: list[Slab] = []
    previous: Decimal | None = ZERO
    for number, item in enumerate(items, 1):
        if not isinstance(item, Mapping):
            raise TariffError(f"{where}: slab {number} must be a mapping")
        name = f"{where}: slab {number}"
        upto = _opt_decimal(item.get("upto"), f"{name} limit")
        if "from" in item:
            start = _decimal(item["from"], f"{name} start")
            if previous is not None and start != previous:
                what = "a gap" if start > previous else "an overlap"
                raise TariffError(
                    f"{name} starts at {start} kWh but the previous slab ends at "
                    f"{previous} kWh ({what})"
                )
        if "rate" not in item:
            raise TariffError(f"{name} has no rate")
        slabs.append(Slab(upto, _decimal(item["rate"], f"{name} rate")))
        previous = upto
    return tuple(slabs)


def _slabs_as_list(slabs: Sequence[Slab]) -> list[dict[str, Any]]:
    return [{"upto": _opt_str(slab.upto_kwh), "rate": str(slab.rate)} for slab in slabs]


def _table_from_dict(item: Any, index: int) -> SlabTable:
    where = f"table {index + 1}"
    if not isinstance(item, Mapping):
        raise TariffError(f"{where} must be a mapping")
    upto = _opt_decimal(item.get("upto"), f"{where} limit")
    return SlabTable(upto, _slabs_from_list(item.get("slabs") or [], where))


def _tou_from_list(items: Any) -> tuple[TouBand, ...]:
    if not isinstance(items, list):
        raise TariffError("tou_bands must be a list")
    bands: list[TouBand] = []
    for number, item in enumerate(items, 1):
        if not isinstance(item, Mapping):
            raise TariffError(f"TOU band {number} must be a mapping")
        name = item.get("name")
        if not isinstance(name, str):
            raise TariffError(f"TOU band {number} needs a name")
        bands.append(
            TouBand(
                name,
                _int(item.get("start"), f"TOU band {name!r} start"),
                _int(item.get("end"), f"TOU band {name!r} end"),
                _decimal(item.get("rate"), f"TOU band {name!r} rate"),
            )
        )
    return tuple(bands)
