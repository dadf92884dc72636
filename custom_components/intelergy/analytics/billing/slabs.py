"""Where the cycle stands on its slabs, when it will climb, and the events of both.

``slab_figures`` gives what the slab sensors show: the slab the next kWh is
priced in (``Tariff.slab_position`` of the cycle's slab energy so far), the price
of the next kWh (``Tariff.next_kwh_price``, in the TOU band of the local hour when
there is one) and the day the projection reaches the slab's limit
(``slab_crossing``).

**The forecast path.** The bill's projection (the entry's method) gives the
cycle's projected energy; the days still to come (today first) are assumed to
use it evenly: the cumulative energy at the end of the i-th of n remaining days
is ``used + (projected - used) * i / n``. The slab energy follows the same line
with the TOU bands' share of the energy so far left out (TOU energy does not
climb the slabs). No projection (no complete day yet): no forecast.

``SlabEvents`` runs ``core.prediction.SlabWatch`` on each refresh and fires
``intelergy_slab_forecast`` (the projection first says the cycle will enter a
dearer slab) and ``intelergy_slab_entered`` (it has), each once per slab and
cycle; the watch is kept in the entry's store, so a restart repeats none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, tzinfo
from decimal import Decimal
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceEntryType

from ...const import DOMAIN, KIND_BILLING
from ...core.prediction import CostProjection, SlabEvent, SlabWatch, slab_crossing
from ...core.tariff import ZERO, Slab, SlabPosition, Tariff, TouBand
from ...storage import EntryStore
from .bills import CycleSoFar

EVENT_SLAB_FORECAST: Final = "intelergy_slab_forecast"
EVENT_SLAB_ENTERED: Final = "intelergy_slab_entered"
EVENTS: Final = {"forecast": EVENT_SLAB_FORECAST, "entered": EVENT_SLAB_ENTERED}


@dataclass(frozen=True, slots=True)
class SlabFigures:
    """The slab sensors' figures (see the module)."""

    position: SlabPosition
    price: Decimal  # of the next kWh, exact
    band: TouBand | None  # the TOU band of the local hour
    crossing: date | None  # the day the projection reaches ``position.to_kwh``
    ladder: tuple[Slab, ...]  # the slabs in use (the table's, for tables)
    includes: tuple[str, ...] = ("energy",)  # the lines in the price
    currency: str = ""


def includes(tariff: Tariff, cycle_kwh: Decimal) -> tuple[str, ...]:
    """The bill's lines in the price of the next kWh (``next_kwh_price``).

    ``energy`` (the slab's or band's rate), then those of the tariff's per-kWh
    lines it has: ``duty``, ``fac``, ``rebate`` (while the rebate limit is not
    reached) and ``tax`` (when a line in it is taxed).
    """
    parts = ["energy"]
    if tariff.duty_percent or tariff.duty_per_kwh:
        parts.append("duty")
    if tariff.fac_per_kwh:
        parts.append("fac")
    limit = tariff.rebate_limit
    if tariff.rebate_per_kwh and (
        limit is None or tariff.rebate_flat + tariff.rebate_per_kwh * cycle_kwh < limit
    ):
        parts.append("rebate")
    if tariff.tax_percent and set(tariff.taxed_lines).intersection(parts):
        parts.append("tax")
    return tuple(parts)


def slab_edges(
    ladder: Sequence[Slab], index: int
) -> tuple[Decimal, Decimal | None, Decimal]:
    """Slab ``index``'s from, to (None: open-ended) and rate."""
    low = ZERO if index == 0 else ladder[index - 1].upto_kwh
    slab = ladder[index]
    return low or ZERO, slab.upto_kwh, slab.rate


def projected_path(
    so_far: CycleSoFar, projection: CostProjection | None, slab_kwh: Decimal
) -> list[tuple[date, Decimal]]:
    """Cumulative projected slab kWh at the end of each remaining day (linear)."""
    if projection is None or not so_far.remaining:
        return []
    used = so_far.energy_kwh
    days = len(so_far.remaining)
    slab_part = max(0.0, 1.0 - sum(so_far.tou_share.values()))
    daily = max(0.0, projection.projection.projected_kwh - used) * slab_part / days
    return [
        (day, slab_kwh + Decimal(repr(round(daily * number, 3))))
        for number, day in enumerate(so_far.remaining, start=1)
    ]


def slab_figures(
    tariff: Tariff,
    so_far: CycleSoFar,
    projection: CostProjection | None,
    tz: tzinfo,
) -> SlabFigures:
    """Position, price of the next kWh and crossing day of the cycle so far."""
    bill = so_far.bill
    tou = sum((line.kwh for line in bill.tou_lines), ZERO)
    position = tariff.slab_position(bill.energy_kwh, tou)
    band = tariff.band_for_hour(so_far.now.astimezone(tz).hour)
    price = tariff.next_kwh_price(
        bill.energy_kwh, band=None if band is None else band.name, tou_kwh=tou
    )
    path = projected_path(so_far, projection, bill.energy_kwh - tou)
    return SlabFigures(
        position=position,
        price=price,
        band=band,
        crossing=slab_crossing(position, path),
        ladder=tariff.ladder(bill.energy_kwh)[1],
        includes=includes(tariff, bill.energy_kwh),
        currency=tariff.currency,
    )


def slab_attributes(ladder: Sequence[Slab], index: int) -> dict[str, Any]:
    """A slab as attributes and event data show it (slab numbered from 1)."""
    low, high, rate = slab_edges(ladder, index)
    return {
        "slab": index + 1,
        "from_kwh": float(low),
        "to_kwh": None if high is None else float(high),
        "rate": float(rate),
    }


class SlabEvents:
    """The entry's ``SlabWatch``, kept in its store; fires the slab events."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
        """A fresh watch until ``async_load``."""
        self.hass = hass
        self.entry = entry
        self.watch = SlabWatch()
        self.store = EntryStore(hass, KIND_BILLING, entry.entry_id)
        self.store.bind(self.watch.as_dict)

    async def async_load(self) -> None:
        """The watch as it was saved (a fresh one if none or unreadable)."""
        self.watch = SlabWatch.from_dict(await self.store.async_load())
        self.store.bind(self.watch.as_dict)

    def device_id(self) -> str:
        """The bill's device (created here if the sensors have not yet)."""
        entry = self.entry
        device = dr.async_get(self.hass).async_get_or_create(
            config_entry_id=entry.entry_id,
            identifiers={(DOMAIN, f"billing_{entry.entry_id}")},
            entry_type=DeviceEntryType.SERVICE,
            manufacturer="Intelergy",
            model="Electricity bill",
            name=entry.title,
        )
        return device.id

    async def async_update(
        self, so_far: CycleSoFar, figures: SlabFigures, tz: tzinfo
    ) -> list[SlabEvent]:
        """Fire this refresh's events (each once); save the watch when it moved."""
        position = figures.position
        index = position.index
        dearer = index > 0 and position.rate > figures.ladder[index - 1].rate
        before = self.watch.as_dict()
        events = self.watch.update(
            so_far.cycle.start, index, figures.crossing, dearer=dearer
        )
        if self.watch.as_dict() != before:
            await self.store.async_save()
        today = so_far.now.astimezone(tz).date()
        for event in events:
            self.hass.bus.async_fire(
                EVENTS[event.kind],
                {
                    "entry_id": self.entry.entry_id,
                    "device_id": self.device_id(),
                    "name": self.entry.title,
                    "currency": figures.currency,
                    **slab_attributes(figures.ladder, event.slab),
                    "date": (event.date or today).isoformat(),
                    "cycle_start": event.cycle_start.isoformat(),
                },
            )
        return events
