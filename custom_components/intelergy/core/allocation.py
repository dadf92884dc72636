"""A fair cost per device: each kWh at the price it was bought at.

No Home Assistant imports.

``allocate(tariff, hours, fixed=...)`` shares a cycle's bill between the sensors
that used its energy. ``hours``: one ``HourUse(band, kwh)`` per hour of the
cycle, in time order, with each sensor's kWh in that hour and the TOU band of
the hour (None: outside the bands, the energy climbs the slabs). The bill is
``tariff.bill(total, tou_kwh=energy per band, fixed_fraction=...)``, and the
rule is:

* **Energy at the marginal rate it was bought at.** With telescopic slabs the
  hours climb the ladder in time order: an hour costs ``C(s + h) - C(s)``,
  where ``s`` is the cycle's slab energy before it, ``h`` its own and ``C`` the
  ladder's cost from 0; an hour that crosses a slab edge is so split at the
  edge. A TOU hour costs its band's rate per kWh and does not climb. Within an
  hour, the cost is shared between its sensors in proportion to their kWh.
* **Whole-bill tables** are retroactive: the table the cycle's total selects
  reprices every kWh from 0, so the price at which an hour was "bought" means
  nothing. The slab part of the energy charge is then shared by each sensor's
  slab (non-TOU) energy; TOU hours still cost their band's rate.
* **Per-kWh lines** go with the energy: duty (``duty_percent`` of the sensor's
  energy charge + ``duty_per_kwh`` per kWh), FAC per kWh, and the rebate per kWh,
  which is given to the hours in time order while the rebate limit allows it
  (what the flat rebate leaves of the limit) and shared within an hour by kWh.
* **Fixed lines** (fixed charge, meter rent, the minimum charge's top-up, the
  flat rebate): with ``fixed="energy"`` shared by each sensor's share of the
  cycle's energy; with ``fixed="household"`` kept on a household line. A cycle
  without any energy keeps them on the household line either way.
* **Each line of the printed bill** (its rounded amount, ``Bill.lines``) is
  shared in proportion to the parties' exact contributions to it; the **tax** in
  proportion to each party's share of the taxed lines.
* **To the cent.** Each party's exact amount (``Allocation.exact``; the
  household's is ``household_exact``) is rounded by the largest remainder: every
  party gets the cents below its exact amount, and the cents left to reach the
  bill's total go one each to the largest remainders (ties: the household first,
  then the sensors by name, so the order of the input changes nothing). The
  sensors' amounts plus the household line add up to ``bill.total`` exactly.

Consequences: a sensor that used nothing costs 0 (every contribution of it is 0,
and a zero remainder never gets a cent); under telescopic slabs with rising
rates more energy for a sensor never lowers its exact amount while the bill's
lines are exact (each kWh's charge is at least the rebate per kWh, see
``Tariff``); rounding can move an amount by a cent. A sensor's amount may be
negative when the flat rebate it is given exceeds its charges.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
import math
from typing import Literal

from .tariff import (
    CENT,
    LINE_KEYS,
    ONE,
    ZERO,
    Bill,
    Slab,
    Tariff,
    TariffError,
    check_amount,
)

HOUSEHOLD = ""  # the household line's key among the parties (no sensor is named "")
_FIXED_LINES = ("fixed", "meter_rent", "minimum")


@dataclass(frozen=True, slots=True)
class HourUse:
    """One hour of the cycle: its TOU band (None: slabs) and each sensor's kWh."""

    band: str | None
    kwh: Mapping[str, Decimal]


@dataclass(frozen=True, slots=True)
class Allocation:
    """Each sensor's cost and the household line; they add up to ``bill.total``.

    ``exact``: each sensor's amount before the cent rounding; ``household_exact``
    the household's.
    """

    per_sensor: dict[str, Decimal]
    household: Decimal
    bill: Bill
    exact: dict[str, Fraction]
    household_exact: Fraction


def allocate(
    tariff: Tariff,
    hours: Sequence[HourUse],
    *,
    fixed: Literal["energy", "household"],
    fixed_fraction: Decimal = ONE,
) -> Allocation:
    """The cycle's bill shared between its sensors (see the module's rule)."""
    if fixed not in {"energy", "household"}:
        raise TariffError(f"fixed must be 'energy' or 'household', not {fixed!r}")
    sensors: dict[str, Fraction] = {}
    bands: dict[str, Decimal] = {}
    total = ZERO
    for number, hour in enumerate(hours):
        if not isinstance(hour, HourUse) or not isinstance(hour.kwh, Mapping):
            raise TariffError(f"hour {number} is not an HourUse: {hour!r}")
        for sensor, kwh in hour.kwh.items():
            if not isinstance(sensor, str) or sensor == HOUSEHOLD:
                raise TariffError(f"sensor names must be non-empty: {sensor!r}")
            check_amount(kwh, f"kWh of {sensor!r} in hour {number}")
            sensors[sensor] = sensors.get(sensor, Fraction(0)) + Fraction(kwh)
            total += kwh
            if hour.band is not None:
                bands[hour.band] = bands.get(hour.band, ZERO) + kwh
    bill = tariff.bill(total, tou_kwh=bands, fixed_fraction=fixed_fraction)
    contributions = _contributions(
        tariff,
        hours=hours,
        bill=bill,
        sensors=sensors,
        fixed=fixed,
        fixed_fraction=fixed_fraction,
    )
    shares: dict[str, dict[str, Fraction]] = {}  # line key -> party -> share
    for line in bill.lines:
        if line.key == "tax" or not line.amount:
            continue
        weights = contributions[line.key]
        whole = sum(weights.values(), Fraction(0))
        amount = Fraction(line.amount)
        shares[line.key] = (
            {party: amount * weight / whole for party, weight in weights.items()}
            if whole
            else {HOUSEHOLD: amount}
        )
    if tax := Fraction(bill.line("tax")):
        base: dict[str, Fraction] = {}
        for key in tariff.taxed_lines:
            for party, share in shares.get(key, {}).items():
                base[party] = base.get(party, Fraction(0)) + share
        whole = sum(base.values(), Fraction(0))
        shares["tax"] = {party: tax * share / whole for party, share in base.items()}
    exact = dict.fromkeys([HOUSEHOLD, *sensors], Fraction(0))
    for per_party in shares.values():
        for party, share in per_party.items():
            exact[party] += share
    cents = _to_cents(exact, int(bill.total / CENT))
    return Allocation(
        per_sensor={sensor: cents[sensor] * CENT for sensor in sensors},
        household=cents[HOUSEHOLD] * CENT,
        bill=bill,
        exact={sensor: exact[sensor] for sensor in sensors},
        household_exact=exact[HOUSEHOLD],
    )


def _contributions(
    tariff: Tariff,
    *,
    hours: Sequence[HourUse],
    bill: Bill,
    sensors: Mapping[str, Fraction],
    fixed: str,
    fixed_fraction: Decimal,
) -> dict[str, dict[str, Fraction]]:
    """Each line's exact contributions by party (before the bill's rounding)."""
    lines: dict[str, dict[str, Fraction]] = {key: {} for key in LINE_KEYS}

    def add(key: str, party: str, amount: Fraction) -> None:
        lines[key][party] = lines[key].get(party, Fraction(0)) + amount

    rates = {band.name: Fraction(band.rate) for band in tariff.tou_bands}
    per_kwh = Fraction(tariff.rebate_per_kwh)
    flat = Fraction(tariff.rebate_flat) * Fraction(fixed_fraction)
    limit = None if tariff.rebate_limit is None else Fraction(tariff.rebate_limit)
    if limit is not None:
        flat = min(flat, limit)
    room = None if limit is None else limit - flat  # left for the per-kWh rebate
    energy: dict[str, Fraction] = {}
    slab_kwh: dict[str, Fraction] = {}
    climbed = Fraction(0)
    ladder = tariff.slabs
    for hour in hours:
        used = {s: Fraction(kwh) for s, kwh in hour.kwh.items() if kwh}
        h = sum(used.values(), Fraction(0))
        if not h:
            continue
        if hour.band is not None:
            rate = rates[hour.band]
            for sensor, kwh in used.items():
                energy[sensor] = energy.get(sensor, Fraction(0)) + kwh * rate
        else:
            for sensor, kwh in used.items():
                slab_kwh[sensor] = slab_kwh.get(sensor, Fraction(0)) + kwh
            if ladder:  # telescopic: the hour's cost where the cycle stands
                cost = _cost(ladder, climbed + h) - _cost(ladder, climbed)
                climbed += h
                for sensor, kwh in used.items():
                    energy[sensor] = energy.get(sensor, Fraction(0)) + cost * kwh / h
        rebate = per_kwh * h if room is None else min(per_kwh * h, room)
        if room is not None:
            room -= rebate
        for sensor, kwh in used.items():
            add("rebate", sensor, rebate * kwh / h)
            add("fac", sensor, Fraction(tariff.fac_per_kwh) * kwh)
            add("duty", sensor, Fraction(tariff.duty_per_kwh) * kwh)
    if not ladder:  # whole-bill tables: the slab part by slab energy
        slab_charge = sum(
            (Fraction(row.amount) for row in bill.slab_lines), Fraction(0)
        )
        slab_total = sum(slab_kwh.values(), Fraction(0))
        for sensor, kwh in slab_kwh.items():  # each > 0: hours keep kWh > 0 only
            energy[sensor] = (
                energy.get(sensor, Fraction(0)) + slab_charge * kwh / slab_total
            )
    percent = Fraction(tariff.duty_percent) / 100
    for sensor, charge in energy.items():
        add("energy", sensor, charge)
        add("duty", sensor, percent * charge)
    whole = sum(sensors.values(), Fraction(0))
    fixed_weights = (
        {sensor: kwh / whole for sensor, kwh in sensors.items() if kwh}
        if fixed == "energy" and whole
        else {HOUSEHOLD: Fraction(1)}
    )
    for key in _FIXED_LINES:
        lines[key] = dict(fixed_weights)
    for party, weight in fixed_weights.items():
        add("rebate", party, flat * weight)
    return lines


def _cost(slabs: Sequence[Slab], kwh: Fraction) -> Fraction:
    """The cost of ``kwh`` climbing a telescopic ladder from 0."""
    cost, low = Fraction(0), Fraction(0)
    for slab in slabs:
        rate = Fraction(slab.rate)
        if slab.upto_kwh is None or kwh <= slab.upto_kwh:
            return cost + (kwh - low) * rate  # kwh > low: else an earlier return
        upto = Fraction(slab.upto_kwh)
        cost += (upto - low) * rate
        low = upto
    raise AssertionError("the last slab is open-ended")  # pragma: no cover


def _to_cents(exact: Mapping[str, Fraction], total: int) -> dict[str, int]:
    """Largest remainder: floors, then a cent each to the largest remainders."""
    cents = {party: math.floor(value * 100) for party, value in exact.items()}
    order = sorted(
        exact, key=lambda party: (-(exact[party] * 100 - cents[party]), party)
    )
    for party in order[: total - sum(cents.values())]:
        cents[party] += 1
    return cents
