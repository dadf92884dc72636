"""The Shelly protocol (no Home Assistant imports): status documents and the Gen1 client.

Shelly status documents -> typed readings (no Home Assistant imports).

Gen1 devices answer ``GET /status`` (``relays[]``, ``meters[]``; energy ``total`` in
watt-minutes). Gen2+ devices answer ``Shelly.GetStatus`` over RPC, one ``switch:<id>``
component per relay (``aenergy.total`` in Wh), and push ``NotifyStatus`` deltas that
aioshelly merges into that same document. Both end up as one ``DeviceStatus``.

**Malformed documents.** A parser raises ``StatusError`` and nothing else. The rule,
field by field:

* what a metered relay cannot do without is required, and a bad one is a
  ``StatusError``: the document itself (a JSON object), Gen1's ``relays`` and
  ``meters`` lists (neither empty), each relay's ``ison`` / each switch's
  ``output`` (a boolean), and at least one Gen2+ switch with ``apower``;
* everything else is read leniently, the bad part ignored: a measurement that is
  not a finite number that fits a float (``10**400`` is valid JSON) is ``None``, an
  ``errors`` entry that is not a string is skipped, a name that is not a string is
  ``None``, a ``settings`` / ``config`` document or a part of one that is not an
  object gives no names;
* a component key is a switch only when it is exactly ``switch:<id>``, ``<id>`` in
  plain ASCII digits without a leading zero (``switch:0``, ``switch:12``);
  ``switch:٣`` (an Arabic-Indic 3), ``switch:²`` or ``switch:01`` are other
  components, ignored like ``input:0``: ``int()`` would read them as ids whose
  canonical key (``switch:3``) is not in the document.

So a push with one odd field still updates everything else, and a document that
cannot describe a metered relay is refused as a whole.

Gen1 HTTP client:

Gen1 Shelly HTTP API client (no Home Assistant imports).

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

from collections.abc import Mapping
from dataclasses import dataclass
import re
from typing import Any, Final

import aiohttp
from aioshelly.exceptions import (
    DeviceConnectionError,
    DeviceConnectionTimeoutError,
    InvalidAuthError,
    ShellyError,
)
from yarl import URL

from ..numbers import finite_number

WATT_MINUTES_PER_WH: Final = 60.0
# Gen2+ switch errors that mean "cut off: too much load".
OVERPOWER_ERRORS: Final = frozenset({"overpower", "overcurrent"})
# A switch component's key: plain ASCII digits, no leading zero, at most 9 of them.
_SWITCH_KEY: Final = re.compile(r"switch:(0|[1-9][0-9]{0,8})", re.ASCII)


class StatusError(ValueError):
    """A status document without the fields a metered relay must have."""


@dataclass(frozen=True, slots=True)
class ChannelStatus:
    """One relay / switch channel: output state and its meter (``None``: not reported)."""

    id: int
    name: str | None
    output: bool
    power: float | None
    energy_wh: float | None  # the device's own counter; resets when the device reboots
    voltage: float | None = None
    current: float | None = None
    power_factor: float | None = None
    frequency: float | None = None
    overpower: bool = False


@dataclass(frozen=True, slots=True)
class DeviceStatus:
    """Everything the entities show about one device."""

    channels: tuple[ChannelStatus, ...]
    temperature: float | None
    overtemperature: bool
    rssi: int | None
    uptime: int | None  # seconds since the device booted


def _integer(value: Any) -> int | None:
    number = finite_number(value)
    return None if number is None else int(number)


def _name(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _document(value: Any, what: str) -> Mapping[str, Any]:
    """``value`` if it is a JSON object, else ``StatusError``."""
    if not isinstance(value, Mapping):
        raise StatusError(f"{what} is not a JSON object: {type(value).__name__}")
    return value


def _names(value: Any) -> Mapping[str, Any]:
    """A ``settings`` / ``config`` document; one that is not an object has no names."""
    return value if isinstance(value, Mapping) else {}


def _errors(value: Any) -> set[str]:
    """A switch's ``errors`` list; entries that are not strings are ignored."""
    if not isinstance(value, list):
        return set()
    return {error for error in value if isinstance(error, str)}


def parse_gen1(status: Mapping[str, Any], settings: Mapping[str, Any]) -> DeviceStatus:
    """Read a Gen1 ``/status`` (``/settings`` supplies the channel names)."""
    status = _document(status, "Gen1 status")
    settings = _names(settings)
    relays = status.get("relays")
    meters = status.get("meters")
    if not isinstance(relays, list) or not isinstance(meters, list):
        raise StatusError("Gen1 status without relays and meters")
    if not relays or not meters:
        raise StatusError("Gen1 device without a metered relay")
    relay_settings = settings.get("relays")
    if not isinstance(relay_settings, list):
        relay_settings = []
    channels = []
    for index, relay in enumerate(relays):
        if not isinstance(relay, Mapping) or not isinstance(relay.get("ison"), bool):
            raise StatusError(f"Gen1 relay {index} without an on/off state")
        meter = meters[index] if index < len(meters) else {}
        if not isinstance(meter, Mapping):
            meter = {}
        valid = meter.get("is_valid", True) is True
        total = finite_number(meter.get("total")) if valid else None
        named = relay_settings[index] if index < len(relay_settings) else {}
        channels.append(
            ChannelStatus(
                id=index,
                name=_name(named.get("name")) if isinstance(named, Mapping) else None,
                output=relay["ison"],
                power=finite_number(meter.get("power")) if valid else None,
                energy_wh=None if total is None else total / WATT_MINUTES_PER_WH,
                overpower=relay.get("overpower") is True,
            )
        )
    temperature = status.get("temperature")
    if temperature is None and isinstance(tmp := status.get("tmp"), Mapping):
        temperature = tmp.get("tC") if tmp.get("is_valid", True) else None
    wifi = status.get("wifi_sta")
    return DeviceStatus(
        channels=tuple(channels),
        temperature=finite_number(temperature),
        overtemperature=status.get("overtemperature") is True,
        rssi=_integer(wifi.get("rssi")) if isinstance(wifi, Mapping) else None,
        uptime=_integer(status.get("uptime")),
    )


def switch_ids(status: Mapping[str, Any]) -> list[int]:
    """The ``switch:<id>`` components of a Gen2+ status, by id (see the module)."""
    return sorted(
        int(match[1])
        for key in status
        if isinstance(key, str) and (match := _SWITCH_KEY.fullmatch(key))
    )


def parse_rpc(status: Mapping[str, Any], config: Mapping[str, Any]) -> DeviceStatus:
    """Read a Gen2+ ``Shelly.GetStatus`` document (``config`` supplies names)."""
    status = _document(status, "Gen2+ status")
    config = _names(config)
    ids = switch_ids(status)
    if not any(
        isinstance(switch := status[f"switch:{i}"], Mapping) and "apower" in switch
        for i in ids
    ):
        raise StatusError("Gen2+ device without a metered switch")
    channels = []
    temperatures: list[float] = []
    overtemperature = False
    for switch_id in ids:
        switch = status[f"switch:{switch_id}"]
        if not isinstance(switch, Mapping) or not isinstance(
            switch.get("output"), bool
        ):
            raise StatusError(f"switch:{switch_id} without an output state")
        aenergy = switch.get("aenergy")
        errors = _errors(switch.get("errors"))
        overtemperature = overtemperature or "overtemp" in errors
        if isinstance(temp := switch.get("temperature"), Mapping) and (
            (celsius := finite_number(temp.get("tC"))) is not None
        ):
            temperatures.append(celsius)
        switch_config = config.get(f"switch:{switch_id}")
        channels.append(
            ChannelStatus(
                id=switch_id,
                name=_name(switch_config.get("name"))
                if isinstance(switch_config, Mapping)
                else None,
                output=switch["output"],
                power=finite_number(switch.get("apower")),
                energy_wh=finite_number(aenergy.get("total"))
                if isinstance(aenergy, Mapping)
                else None,
                voltage=finite_number(switch.get("voltage")),
                current=finite_number(switch.get("current")),
                power_factor=finite_number(switch.get("pf")),
                frequency=finite_number(switch.get("freq")),
                overpower=bool(errors & OVERPOWER_ERRORS),
            )
        )
    sys = status.get("sys")
    wifi = status.get("wifi")
    return DeviceStatus(
        channels=tuple(channels),
        temperature=max(temperatures) if temperatures else None,
        overtemperature=overtemperature,
        rssi=_integer(wifi.get("rssi")) if isinstance(wifi, Mapping) else None,
        uptime=_integer(sys.get("uptime")) if isinstance(sys, Mapping) else None,
    )


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
