"""Dated tariff versions and the bill of a cycle straddling a revision.

No Home Assistant imports.

**Versions.** A ``TariffSchedule`` is a list of ``TariffVersion(effective,
tariff)``: each tariff is in force from its ``effective`` local date (included)
until the next version's. The versions are kept sorted by date; two versions on
the same date, versions in different currencies or with different billing
cycles (``Tariff.cycle``) are refused (``TariffError``): a revision changes the
prices, not how the cycles run. A day before the first version is billed by the
first version. Editing today's rates is adding a version effective today
(``with_version`` replaces a version of the same date); past cycles keep the
version that was in force.

**Segments.** ``segments(cycle)`` cuts a cycle at every version date strictly
inside it; each ``Segment`` carries its version's tariff and ``fraction`` =
its days / the cycle's days. Adjacent segments under equal tariffs are merged,
so a cycle inside one version (or under a revision that changed nothing) is one
segment. ``Segment.fraction`` is a ``Decimal`` to 28 significant digits for
display (10 / 31 does not terminate); the bill uses the exact ratio of days.

**The straddling cycle's bill** is the Indian distribution companies'
pro-rata. ``bill(cycle, energy, tou)`` takes each segment's energy (and TOU
energy by band):

* a cycle of one segment bills exactly as ``Tariff.bill`` (same object);
* otherwise each segment's energy climbs its own version's ladder with the slab
  limits scaled by the segment's fraction, and a whole-bill table is chosen
  by comparing the segment's energy with the table limits scaled the same way;
  TOU energy is priced at the segment's band rates and left out of the ladder;
* fixed charge, meter rent, minimum charge, the flat rebate and the rebate limit
  of each version are scaled by its segment's fraction (and all of them but the
  limit by ``fixed_fraction``, as ``Tariff.bill`` does);
* per-kWh lines (duty per kWh, FAC, rebate per kWh) at each segment's rates on
  its energy; the duty percent of each segment's exact energy charge;
* the exact amounts of the segments are summed per line and each line rounded
  once, half-up, as ``Tariff.bill``'s rule says (minimum top-up and rebate from
  the rounded lines, the same way);
* tax per version on its taxed lines: each rounded line is taxed at the exact
  blend of its segments' tax percents (a segment's percent when that version
  taxes the line, else 0), weighted by the segment's exact share of the line;
  the tax is rounded once, half-up, and never negative. With one tax percent and
  the same taxed lines in every version this is ``Tariff.bill``'s tax exactly.

Everything is exact (``fractions.Fraction``) until a line is rounded. The bill's
slab rows then show their scaled limits, kWh and amounts as ``Decimal`` (to 28
significant digits where the exact value does not terminate), so the rows may
differ from the energy line by a cent. ``table`` is None and ``tax_percent`` is
the versions' common percent, else the last segment's; a line's basis (rate,
percent) is given only when every segment has the same.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Context, Decimal
from fractions import Fraction
import math
from typing import Any

from .tariff import (
    CENT,
    LINE_KEYS,
    ONE,
    TAXABLE_LINES,
    ZERO,
    Bill,
    BillingCycle,
    BillLine,
    Cycle,
    SlabLine,
    Tariff,
    TariffError,
    TouLine,
    check_amount,
    settle,
)

_DISPLAY = Context(prec=28)  # slab rows of a straddling cycle, for display


@dataclass(frozen=True, slots=True)
class TariffVersion:
    """``tariff`` in force from local date ``effective`` (included)."""

    effective: date
    tariff: Tariff


@dataclass(frozen=True, slots=True)
class Segment:
    """The days ``start`` (in) to ``end`` (out) of a cycle under one tariff.

    ``fraction``: the segment's days over the cycle's (28 significant digits,
    see the module).
    """

    start: date
    end: date
    tariff: Tariff
    fraction: Decimal

    @property
    def days(self) -> int:
        """The number of days in the segment."""
        return (self.end - self.start).days


@dataclass(frozen=True, slots=True)
class TariffSchedule:
    """Tariff versions by effective date (see the module's rules)."""

    versions: tuple[TariffVersion, ...]

    def __post_init__(self) -> None:
        """Sort the versions; refuse none, a repeated date, mixed currency or cycle."""
        versions = tuple(self.versions)
        if not versions:
            raise TariffError("a tariff schedule needs at least one version")
        for version in versions:
            if (
                not isinstance(version, TariffVersion)
                or not isinstance(version.effective, date)
                or isinstance(version.effective, datetime)  # a day, not an instant
            ):
                raise TariffError(f"not a dated tariff version: {version!r}")
            if not isinstance(version.tariff, Tariff):
                raise TariffError(f"not a tariff: {version.tariff!r}")
        versions = tuple(sorted(versions, key=lambda version: version.effective))
        first = versions[0].tariff
        previous: date | None = None
        for version in versions:
            if version.effective == previous:
                raise TariffError(f"two tariff versions on {version.effective}")
            previous = version.effective
            if version.tariff.currency != first.currency:
                raise TariffError(
                    f"the version of {version.effective} is in "
                    f"{version.tariff.currency}, not {first.currency}"
                )
            if version.tariff.cycle != first.cycle:
                raise TariffError(
                    f"the version of {version.effective} changes the billing "
                    "cycle: versions change prices, not cycles"
                )
        object.__setattr__(self, "versions", versions)

    @property
    def currency(self) -> str:
        """The versions' currency."""
        return self.versions[0].tariff.currency

    @property
    def cycle(self) -> BillingCycle:
        """How the versions' billing cycles run."""
        return self.versions[0].tariff.cycle

    def in_force(self, day: date) -> Tariff:
        """The tariff in force on local date ``day`` (the first before it starts)."""
        current = self.versions[0].tariff
        for version in self.versions:
            if version.effective > day:
                break
            current = version.tariff
        return current

    def segments(self, cycle: Cycle) -> tuple[Segment, ...]:
        """The cycle cut at each version date inside it (equal neighbours merged)."""
        if cycle.days <= 0:
            raise TariffError(f"cycle {cycle.start} to {cycle.end} has no days")
        cuts = [
            version.effective
            for version in self.versions
            if cycle.start < version.effective < cycle.end
        ]
        pieces: list[tuple[date, date, Tariff]] = []
        for start, end in zip([cycle.start, *cuts], [*cuts, cycle.end], strict=True):
            tariff = self.in_force(start)
            if pieces and pieces[-1][2] == tariff:
                pieces[-1] = (pieces[-1][0], end, tariff)
            else:
                pieces.append((start, end, tariff))
        return tuple(
            Segment(start, end, tariff, Decimal((end - start).days) / cycle.days)
            for start, end, tariff in pieces
        )

    def bill(
        self,
        cycle: Cycle,
        energy: Sequence[Decimal],
        tou: Sequence[Mapping[str, Decimal]] | None = None,
        *,
        fixed_fraction: Decimal = ONE,
    ) -> Bill:
        """The cycle's bill from each segment's energy (see the module's rule).

        ``energy``: kWh per segment of ``segments(cycle)``, in order; ``tou``:
        per segment, its TOU energy by band (part of that segment's energy).
        ``fixed_fraction`` scales every segment's fixed lines, as in
        ``Tariff.bill`` (a cycle so far).
        """
        segments = self.segments(cycle)
        energy = list(energy)
        tou_list = [{} for _ in segments] if tou is None else list(tou)
        if len(energy) != len(segments) or len(tou_list) != len(segments):
            raise TariffError(
                f"the cycle has {len(segments)} tariff segments: give the energy "
                "(and TOU energy) of each"
            )
        if len(segments) == 1:
            return segments[0].tariff.bill(
                energy[0], tou_kwh=tou_list[0], fixed_fraction=fixed_fraction
            )
        check_amount(fixed_fraction, "fixed_fraction")
        if fixed_fraction > ONE:
            raise TariffError(f"fixed_fraction must be 0..1, not {fixed_fraction}")
        parts = [
            _Part.of(
                segment,
                Fraction(segment.days, cycle.days),
                kwh,
                bands,
                Fraction(fixed_fraction),
            )
            for segment, kwh, bands in zip(segments, energy, tou_list, strict=True)
        ]
        return _combine(segments, parts, sum(energy, ZERO))

    def with_version(self, effective: date, tariff: Tariff) -> TariffSchedule:
        """This schedule with ``tariff`` from ``effective`` (replacing that date's)."""
        return TariffSchedule(
            (
                *(v for v in self.versions if v.effective != effective),
                TariffVersion(effective, tariff),
            )
        )

    @classmethod
    def single(cls, tariff: Tariff) -> TariffSchedule:
        """One version, in force since ever (``date.min``)."""
        return cls((TariffVersion(date.min, tariff),))

    @classmethod
    def from_dict(cls, data: Any) -> TariffSchedule:
        """A schedule from ``as_dict()`` output: ``{"versions": [...]}``."""
        if not isinstance(data, Mapping) or not isinstance(
            items := data.get("versions"), list
        ):
            raise TariffError("a tariff schedule must be {'versions': [...]}")
        versions = []
        for number, item in enumerate(items, 1):
            if not isinstance(item, Mapping):
                raise TariffError(f"tariff version {number} must be a mapping")
            effective = item.get("effective")
            try:
                day = (
                    date.fromisoformat(effective)
                    if isinstance(effective, str)
                    else None
                )
            except ValueError:
                day = None
            if day is None:
                raise TariffError(
                    f"tariff version {number}: effective must be a YYYY-MM-DD "
                    f"date, not {effective!r}"
                )
            versions.append(TariffVersion(day, Tariff.from_dict(item.get("tariff"))))
        return cls(tuple(versions))

    @classmethod
    def from_stored(cls, data: Any) -> TariffSchedule:
        """A schedule from either form: ``{"versions": ...}`` or an old plain tariff.

        A plain tariff (``Tariff.as_dict()``) becomes one version effective from
        ``date.min``.
        """
        if isinstance(data, Mapping) and "versions" in data:
            return cls.from_dict(data)
        return cls.single(Tariff.from_dict(data))

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form: ``{"versions": [{"effective", "tariff"}]}``."""
        return {
            "versions": [
                {"effective": v.effective.isoformat(), "tariff": v.tariff.as_dict()}
                for v in self.versions
            ]
        }


# --- The pro-rata bill ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Part:
    """One segment's exact amounts (``lines``: by line key, before rounding)."""

    tariff: Tariff
    slab_lines: tuple[SlabLine, ...]
    tou_lines: tuple[TouLine, ...]
    lines: dict[str, Fraction]

    @classmethod
    def of(
        cls,
        segment: Segment,
        ratio: Fraction,
        kwh: Decimal,
        bands: Mapping[str, Decimal],
        fixed_fraction: Fraction,
    ) -> _Part:
        tariff = segment.tariff
        check_amount(kwh, f"energy of the segment from {segment.start}")
        tou_lines = tariff.tou_lines(bands)
        tou_total = sum((line.kwh for line in tou_lines), ZERO)
        if tou_total > kwh:
            raise TariffError(
                f"TOU energy ({tou_total} kWh) exceeds the segment's "
                f"({kwh} kWh) from {segment.start}"
            )
        energy = Fraction(kwh)
        slabs = tariff.slabs
        for table in tariff.tables:
            if table.upto_kwh is None or energy <= Fraction(table.upto_kwh) * ratio:
                slabs = table.slabs
                break
        rows: list[SlabLine] = []
        charge = sum((Fraction(line.amount) for line in tou_lines), Fraction(0))
        slab_kwh = energy - Fraction(tou_total)
        low = Fraction(0)
        for slab in slabs:
            if slab_kwh <= low:
                break
            upto = None if slab.upto_kwh is None else Fraction(slab.upto_kwh) * ratio
            used = (slab_kwh if upto is None else min(slab_kwh, upto)) - low
            amount = used * Fraction(slab.rate)
            charge += amount
            rows.append(
                SlabLine(
                    _decimal(low),
                    None if upto is None else _decimal(upto),
                    _decimal(used),
                    slab.rate,
                    _decimal(amount),
                )
            )
            if upto is None:
                break
            low = upto
        scaled = ratio * fixed_fraction
        rebate = (
            Fraction(tariff.rebate_flat) * scaled
            + Fraction(tariff.rebate_per_kwh) * energy
        )
        if tariff.rebate_limit is not None:
            rebate = min(rebate, Fraction(tariff.rebate_limit) * ratio)
        lines = {
            "energy": charge,
            "fixed": Fraction(tariff.fixed_per_cycle) * scaled,
            "duty": Fraction(tariff.duty_percent) * charge / 100
            + Fraction(tariff.duty_per_kwh) * energy,
            "fac": Fraction(tariff.fac_per_kwh) * energy,
            "meter_rent": Fraction(tariff.meter_rent) * scaled,
            "minimum": Fraction(tariff.minimum_charge) * scaled,
            "rebate": rebate,
        }
        return cls(tariff, tuple(rows), tou_lines, lines)


def _combine(segments: Sequence[Segment], parts: Sequence[_Part], kwh: Decimal) -> Bill:
    """The segments' exact lines summed per key, rounded, settled and taxed."""
    total = {
        key: sum((p.lines[key] for p in parts), Fraction(0)) for key in LINE_KEYS[:-1]
    }
    amounts = {
        key: round_fraction(total[key])
        for key in ("energy", "fixed", "duty", "fac", "meter_rent")
    }
    settle(amounts, round_fraction(total["minimum"]), round_fraction(total["rebate"]))
    tax = Fraction(0)
    for key in TAXABLE_LINES:
        if amounts[key] and total[key]:
            blend = (
                sum(
                    (
                        Fraction(p.tariff.tax_percent) * p.lines[key]
                        for p in parts
                        if key in p.tariff.taxed_lines
                    ),
                    Fraction(0),
                )
                / total[key]
            )
            tax += Fraction(amounts[key]) * blend / 100
    amounts["tax"] = round_fraction(max(tax, Fraction(0)))
    tariffs = [segment.tariff for segment in segments]

    def common(name: str) -> Decimal | None:
        values = {getattr(tariff, name) for tariff in tariffs}
        return values.pop() if len(values) == 1 else None

    tax_percent = common("tax_percent")
    basis: dict[str, dict[str, Decimal | None]] = {
        "energy": {"kwh": kwh},
        "duty": {
            "kwh": kwh,
            "rate": common("duty_per_kwh"),
            "percent": common("duty_percent"),
        },
        "fac": {"kwh": kwh, "rate": common("fac_per_kwh")},
        "rebate": {"kwh": kwh, "rate": common("rebate_per_kwh")},
        "tax": {"percent": tax_percent},
    }
    lines = tuple(
        BillLine(key, amounts[key], **basis.get(key, {}))
        for key in LINE_KEYS
        if key == "energy" or amounts[key]
    )
    return Bill(
        currency=tariffs[0].currency,
        energy_kwh=kwh,
        slab_lines=tuple(row for p in parts for row in p.slab_lines),
        tou_lines=tuple(row for p in parts for row in p.tou_lines),
        energy_charge=amounts["energy"],
        fixed_charge=amounts["fixed"],
        tax_percent=tariffs[-1].tax_percent if tax_percent is None else tax_percent,
        tax=amounts["tax"],
        total=sum(amounts.values(), Decimal("0.00")),
        table=None,
        lines=lines,
    )


def round_fraction(value: Fraction) -> Decimal:
    """An exact ``value`` rounded to the cent, half-up (away from 0 at a half)."""
    cents = math.floor(abs(value) * 100 + Fraction(1, 2))
    return (cents if value >= 0 else -cents) * CENT


def _decimal(value: Fraction) -> Decimal:
    """``value`` as a Decimal: exact when it terminates, else 28 digits."""
    return _DISPLAY.divide(Decimal(value.numerator), Decimal(value.denominator))
