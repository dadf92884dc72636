"""Invoices on disk and over HTTP, behind Home Assistant's login.

An exported invoice is written to ``<config>/intelergy/invoices/`` (not under
``www``: ``/local/`` serves that folder to anyone, and only when it existed when
Home Assistant started). ``InvoiceView`` serves the folder at
``/api/intelergy/invoices/<name>`` to authenticated requests only; the action
returns that path signed (``async_sign_path``, as core integrations serve a file
to a browser), so the link opens without a login header for ``LINK_VALID``,
then expires. Only names the action writes are served (``NAME``).

``CycleInvoiceView`` serves a cycle's invoice at
``/api/intelergy/invoices/<entry id>/<cycle start>``, rendered when it is opened
(``async_invoice``, as the action renders it) and never written to disk: the
dashboard's links (dashboard/household.py), signed like the action's, cost
nothing until one is opened.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from http import HTTPStatus
from pathlib import Path
import re
from typing import Any, Final

from aiohttp import web
from homeassistant.components.http.auth import async_sign_path
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.http import KEY_HASS, HomeAssistantView
from homeassistant.util import dt as dt_util, slugify

from ...const import CONF_KIND, DOMAIN, KIND_BILLING
from ...core.invoice import render_invoice, sensor_lines
from ...core.ledger import PricedPart
from ...core.tariff import Cycle, TariffError
from .bills import async_statement
from .const import INVOICE_DIR
from .household import Household, Meter, household, meters

URL: Final = "/api/intelergy/invoices"
LINK_VALID: Final = timedelta(days=1)
# <slug of the household>_<cycle start>_<12 random hex digits>.pdf
NAME: Final = re.compile(r"[a-z0-9_]+_\d{4}-\d{2}-\d{2}_[0-9a-f]{12}\.pdf", re.ASCII)
_REGISTERED: Final = f"{DOMAIN}_invoice_view"
_CYCLE_REGISTERED: Final = f"{DOMAIN}_cycle_invoice_view"


def invoice_folder(hass: HomeAssistant) -> Path:
    """``<config>/intelergy/invoices``."""
    return Path(hass.config.path(*INVOICE_DIR.split("/")))


def write_invoice(folder: Path, stem: str, name: str, pdf: bytes) -> None:
    """Write the invoice; earlier exports of the same cycle are replaced."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob(f"{stem}_*.pdf"):
        old.unlink()
    (folder / name).write_bytes(pdf)


def signed_url(hass: HomeAssistant, name: str) -> str:
    """The invoice's path, signed for ``LINK_VALID`` (the view registered first).

    Signed for the user who called the action (from the UI), else for Home
    Assistant's content user, as ``async_sign_path`` does for core's files.
    """
    if hass.http is None:  # no HTTP server: nothing could serve the link
        raise HomeAssistantError(
            translation_domain=DOMAIN, translation_key="billing_invoice_no_http"
        )
    if not hass.data.get(_REGISTERED):
        hass.http.register_view(InvoiceView(invoice_folder(hass)))
        hass.data[_REGISTERED] = True
    return async_sign_path(hass, f"{URL}/{name}", LINK_VALID)


@dataclass(frozen=True, slots=True)
class Invoice:
    """A cycle's invoice: its priced part (the cycle so far for the current one)."""

    cycle: Cycle
    priced: PricedPart
    pdf: bytes
    stem: str  # <slug of the household>_<cycle start>: the file name's start


def labels(found: Iterable[Meter]) -> dict[str, str]:
    """Invoice row labels: sensor names, the entity id added where names repeat."""
    found = list(found)
    names = [meter.name for meter in found]
    return {
        meter.entity_id: meter.name
        if names.count(meter.name) == 1
        else f"{meter.name} ({meter.entity_id})"
        for meter in found
    }


async def async_invoice(
    hass: HomeAssistant,
    title: str,
    house: Household,
    cycle: Cycle,
    *,
    now: datetime,
    tz: tzinfo,
) -> Invoice | None:
    """``cycle``'s invoice from the statistics (None: the cycle has not started).

    What ``intelergy.export_invoice`` writes and ``CycleInvoiceView`` serves:
    the cycle at the rates in force (a revision inside it pro rata), every line
    of its bill printed (``core.invoice``).
    """
    start, end = cycle.bounds(tz)
    statement = await async_statement(
        hass, house.schedule, house.entities, start=start, end=end, now=now, tz=tz
    )
    if not statement.parts:  # the cycle starts at 00:30 in a half-hour zone
        return None
    priced = statement.parts[0]
    bill = priced.bill
    found = meters(hass, house.entities)
    names = labels(found)
    lines = sensor_lines(
        bill,
        {
            names[meter.entity_id]: Decimal(
                repr(round(priced.sensor_kwh.get(meter.entity_id, 0.0), 3))
            )
            for meter in found
        },
    )
    notes = []
    if priced.part.partial:
        notes.append(
            f"Statistics start on "
            f"{dt_util.as_local(priced.part.counted_from):%Y-%m-%d %H:%M}: "
            "energy and the fixed charge are counted from then on."
        )
    if not priced.part.complete:
        notes.append(
            f"Cycle in progress: energy up to "
            f"{dt_util.as_local(priced.part.end):%Y-%m-%d %H:%M}, "
            "fixed charge for the days so far."
        )
    pdf = render_invoice(
        bill,
        title=f"Electricity bill {cycle.label}",
        period=f"{cycle.start.isoformat()} to {cycle.last_day.isoformat()}",
        household=title,
        lines=lines,
        notes=notes,
    )
    stem = f"{slugify(title) or 'household'}_{cycle.start.isoformat()}"
    return Invoice(cycle, priced, pdf, stem)


def register_cycle_invoices(hass: HomeAssistant) -> None:
    """Serve cycles' invoices (``CycleInvoiceView``); HTTP must be set up."""
    if not hass.data.get(_CYCLE_REGISTERED):
        hass.http.register_view(CycleInvoiceView())
        hass.data[_CYCLE_REGISTERED] = True


def cycle_invoice_url(hass: HomeAssistant, entry_id: str, cycle: Cycle) -> str | None:
    """A signed link (``LINK_VALID``) to ``cycle``'s invoice, rendered when opened.

    Signed for the user of the websocket connection or request at hand, else
    for Home Assistant's content user (``async_sign_path``). None while no view
    serves them (``register_cycle_invoices``: no HTTP server).
    """
    if not hass.data.get(_CYCLE_REGISTERED):
        return None
    return async_sign_path(
        hass, f"{URL}/{entry_id}/{cycle.start.isoformat()}", LINK_VALID
    )


def _billing_entry(hass: HomeAssistant, entry_id: str) -> ConfigEntry[Any] | None:
    entry = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN:
        return None
    return entry if entry.data.get(CONF_KIND) == KIND_BILLING else None


class CycleInvoiceView(HomeAssistantView):
    """A billing entry's invoice of one cycle, rendered on request (login or signed)."""

    url = f"{URL}/{{entry_id}}/{{start}}"
    name = f"api:{DOMAIN}:invoices:cycle"
    requires_auth = True

    async def get(
        self, request: web.Request, entry_id: str, start: str
    ) -> web.StreamResponse:
        """The invoice of the entry's cycle starting on ``start`` (YYYY-MM-DD).

        404 for another entry, a date no cycle starts on, a cycle not yet
        started, or a tariff that no longer reads.
        """
        hass: HomeAssistant = request.app[KEY_HASS]
        now, tz = dt_util.utcnow(), dt_util.get_default_time_zone()
        invoice = None
        if (entry := _billing_entry(hass, entry_id)) is not None:
            try:
                house = household(entry)
                cycle = house.tariff.cycle.containing_date(date.fromisoformat(start))
                current = house.tariff.cycle.containing(now, tz)
            except TariffError, KeyError, ValueError:
                return web.Response(status=HTTPStatus.NOT_FOUND)
            if cycle.start.isoformat() == start and cycle <= current:
                invoice = await async_invoice(
                    hass, entry.title, house, cycle, now=now, tz=tz
                )
        if invoice is None:
            return web.Response(status=HTTPStatus.NOT_FOUND)
        return web.Response(
            body=invoice.pdf,
            headers={
                "Content-Type": "application/pdf",
                "Content-Disposition": f'inline; filename="{invoice.stem}.pdf"',
                "Cache-Control": "private, no-store",
            },
        )


class InvoiceView(HomeAssistantView):
    """The exported invoices, to authenticated (or signed) requests only."""

    url = f"{URL}/{{name}}"
    name = f"api:{DOMAIN}:invoices"
    requires_auth = True

    def __init__(self, folder: Path) -> None:
        """Serve the PDFs in ``folder``."""
        self._folder = folder

    async def get(self, request: web.Request, name: str) -> web.StreamResponse:
        """The invoice called ``name``; 404 for any other name."""
        path = self._folder / name
        hass: HomeAssistant = request.app[KEY_HASS]
        if not NAME.fullmatch(name) or not await hass.async_add_executor_job(
            path.is_file
        ):
            return web.Response(status=HTTPStatus.NOT_FOUND)
        return web.FileResponse(
            path,
            headers={
                "Content-Type": "application/pdf",
                "Content-Disposition": f'inline; filename="{name}"',
                "Cache-Control": "private, no-store",
            },
        )
