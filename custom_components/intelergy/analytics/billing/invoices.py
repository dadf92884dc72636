"""Invoices on disk and over HTTP, behind Home Assistant's login.

An exported invoice is written to ``<config>/intelergy/invoices/`` (not under
``www``: ``/local/`` serves that folder to anyone, and only when it existed when
Home Assistant started). ``InvoiceView`` serves the folder at
``/api/intelergy/invoices/<name>`` to authenticated requests only; the action
returns that path signed (``async_sign_path``, as core integrations serve a file
to a browser), so the link opens without a login header for ``LINK_VALID``,
then expires. Only names the action writes are served (``NAME``).
"""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus
from pathlib import Path
import re
from typing import Final

from aiohttp import web
from homeassistant.components.http.auth import async_sign_path
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.http import KEY_HASS, HomeAssistantView

from ...const import DOMAIN
from .const import INVOICE_DIR

URL: Final = "/api/intelergy/invoices"
LINK_VALID: Final = timedelta(days=1)
# <slug of the household>_<cycle start>_<12 random hex digits>.pdf
NAME: Final = re.compile(r"[a-z0-9_]+_\d{4}-\d{2}-\d{2}_[0-9a-f]{12}\.pdf", re.ASCII)
_REGISTERED: Final = f"{DOMAIN}_invoice_view"


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
