"""Gen1 Shelly HTTP API client (no Home Assistant imports).

Why plain HTTP polling rather than aioshelly's ``BlockDevice`` for Gen1: the
block device takes its readings from CoIoT, a CoAP dialect on UDP port 5683
(multicast 224.0.1.187) that only one process on the host can own and that
Home Assistant's own Shelly integration binds when it is set up; it also
refuses any HTTP port but 80. ``GET /status`` carries every value the entities
show (relay, power, the watt-minute counter, temperature, Wi-Fi, uptime) in one
small JSON document, works through NAT and port forwards, and is what Shelly
documents for Gen1 integrations. aioshelly still provides device discovery
(``get_info``), generation detection and model names.

Errors: every failure is one of aioshelly's ``ShellyError`` subclasses (what the
coordinator maps to HA's errors): ``InvalidAuthError`` (401),
``DeviceConnectionTimeoutError``, ``DeviceConnectionError`` (HTTP error status,
network), and ``Gen1InvalidResponseError`` for a body that is not a JSON object,
including JSON nested too deep to decode (the decoder's ``RecursionError``).
"""

from __future__ import annotations

from typing import Any, Final

import aiohttp
from aioshelly.exceptions import (
    DeviceConnectionError,
    DeviceConnectionTimeoutError,
    InvalidAuthError,
    ShellyError,
)
from yarl import URL

DEFAULT_TIMEOUT: Final = 10.0


class Gen1InvalidResponseError(ShellyError):
    """The device answered, but not with the JSON object the API documents."""


class Gen1Client:
    """Reads ``/settings`` and ``/status`` and switches relays of one Gen1 device."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        host: str,
        port: int = 80,
        *,
        username: str | None = None,
        password: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        """``username``/``password``: the device's restricted-login credentials."""
        self._session = session
        self._base = URL.build(scheme="http", host=host, port=port)
        self._headers = (
            {"Authorization": aiohttp.encode_basic_auth(username or "admin", password)}
            if password is not None
            else {}
        )
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def _get(
        self, path: str, params: dict[str, str] | None = None
    ) -> dict[str, Any]:
        url = self._base.with_path(path)
        try:
            async with self._session.get(
                url, params=params, headers=self._headers, timeout=self._timeout
            ) as response:
                if response.status == 401:
                    raise InvalidAuthError(f"{path}: 401 Unauthorized")
                response.raise_for_status()
                data = await response.json(content_type=None)
        except TimeoutError as err:
            raise DeviceConnectionTimeoutError(f"{path}: timed out") from err
        except (ValueError, RecursionError) as err:
            # RecursionError: JSON nested deeper than the decoder's stack allows.
            raise Gen1InvalidResponseError(f"{path}: not JSON") from err
        except (aiohttp.ClientError, OSError) as err:
            raise DeviceConnectionError(f"{path}: {err}") from err
        if not isinstance(data, dict):
            raise Gen1InvalidResponseError(f"{path}: not a JSON object")
        return data

    async def settings(self) -> dict[str, Any]:
        """``GET /settings``: names, limits, relay configuration."""
        return await self._get("/settings")

    async def status(self) -> dict[str, Any]:
        """``GET /status``: relays, meters, temperature, Wi-Fi, uptime."""
        return await self._get("/status")

    async def set_relay(self, channel: int, on: bool) -> dict[str, Any]:
        """``GET /relay/<channel>?turn=on|off``; returns the relay's new status."""
        return await self._get(f"/relay/{channel}", {"turn": "on" if on else "off"})
