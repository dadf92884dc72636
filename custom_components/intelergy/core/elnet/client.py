"""Typed async client for the ELNET prepaid-meter API (no Home Assistant imports).

The meter server exposes two bearer-token endpoints:

* ``GET {base}/api/Dashboard/GetLiveUpdates``: supply source, present load, balance
  and the cumulative EB (grid) / DG (generator) / solar registers.
* ``GET {base}/api/Dashboard/HomeData``: meter serial, relay status and the
  today / this-month energy and cost counters.

Both answer ``{"Status": "Success", "Message": ..., "Data": {...}}``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import MAXYEAR, MINYEAR, UTC, datetime, tzinfo
from enum import StrEnum
import json
import math
import re
from typing import Any, Final
from urllib.parse import urlsplit

import aiohttp

LIVE_UPDATES_PATH: Final = "/api/Dashboard/GetLiveUpdates"
HOME_DATA_PATH: Final = "/api/Dashboard/HomeData"
UPDATED_ON_FORMAT: Final = "%d-%m-%Y %H:%M:%S"
DEFAULT_TIMEOUT: Final = 10.0


class ElnetError(Exception):
    """Base class for every error raised by this client."""


class ElnetAuthError(ElnetError):
    """The server refused the bearer token (HTTP 401 or 403)."""


class ElnetConnectionError(ElnetError):
    """The server could not be reached, timed out or answered with an HTTP error."""


class ElnetApiError(ElnetError):
    """The server answered, but with ``"Status"`` other than ``"Success"``."""


class ElnetInvalidResponseError(ElnetError):
    """The answer is not the JSON document the API promises."""


class PowerSource(StrEnum):
    """Where the meter draws power from."""

    GRID = "grid"  # EB: electricity board
    GENERATOR = "generator"  # DG: diesel generator


@dataclass(frozen=True, slots=True)
class LiveUpdate:
    """``GetLiveUpdates``: the meter's live state."""

    source: PowerSource
    present_load_kw: float
    balance: float
    grid_kwh: float
    generator_kwh: float
    solar_kwh: float
    sanctioned_grid_kw: float
    sanctioned_generator_kw: float
    updated_on: datetime


@dataclass(frozen=True, slots=True)
class HomeData:
    """``HomeData``: identity, relay and the day / month counters.

    ``kWhRec*`` is the grid (EB) energy and ``kWhDel*`` the generator (DG) energy:
    their ratios to ``CurrentDay_EB`` / ``CurrentDay_DG`` are the EB and DG tariffs.
    """

    device_id: int
    meter_serial: str
    balance: float
    relay_on: bool
    source: PowerSource
    grid_kwh_today: float
    generator_kwh_today: float
    solar_kwh_today: float
    grid_kwh_month: float
    generator_kwh_month: float
    solar_kwh_month: float
    grid_cost_today: float
    generator_cost_today: float
    fixed_charges_today: float
    grid_cost_month: float
    generator_cost_month: float
    fixed_charges_month: float
    has_grid: bool
    has_generator: bool
    has_solar: bool


def normalize_base_url(url: str) -> str:
    """Return ``url`` without trailing slash; raise ``ValueError`` if not http(s)."""
    url = url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not an http(s) URL: {url!r}")
    return url


# A number as a string: ASCII digits only (``float()`` alone also takes "1_000",
# Arabic-Indic or fullwidth digits and "infinity"); surrounding whitespace allowed.
_NUMBER: Final = re.compile(
    r"\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*", re.ASCII
)
# ``UpdatedOn`` before strptime (whose ``%d`` etc. take any Unicode digit).
_UPDATED_ON: Final = re.compile(
    r"\d{1,2}-\d{1,2}-\d{4} \d{1,2}:\d{1,2}:\d{1,2}", re.ASCII
)
_SHOWN_MAX: Final = 60  # characters of a bad value quoted in an error message


def _shown(value: Any) -> str:
    """``value`` for an error message: short, and never failing."""
    try:
        text = repr(value)
    except ValueError, RecursionError:  # an integer too long to print; deep nesting
        text = f"<{type(value).__name__}>"
    return text if len(text) <= _SHOWN_MAX else text[: _SHOWN_MAX - 3] + "..."


def _data(payload: Any) -> Mapping[str, Any]:
    if not isinstance(payload, Mapping):
        raise ElnetInvalidResponseError("response is not a JSON object")
    status = payload.get("Status")
    if status != "Success":
        message = payload.get("Message")
        if isinstance(message, str) and message.strip():
            raise ElnetApiError(message.strip()[:200])
        raise ElnetApiError(f"status {_shown(status)}")
    data = payload.get("Data")
    if not isinstance(data, Mapping):
        raise ElnetInvalidResponseError("response has no 'Data' object")
    return data


def _to_float(value: Any) -> float | None:
    """A JSON number or numeric string as a float (maybe infinite); else ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        return float(value) if _NUMBER.fullmatch(value) else None
    if isinstance(value, int):
        try:
            return float(value)
        except OverflowError:  # an integer beyond float: not finite
            return math.inf
    return value if isinstance(value, float) else None


def _number(data: Mapping[str, Any], key: str) -> float:
    value = data.get(key)
    if type(value) is float and math.isfinite(value):  # the usual case, fast
        return value
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ElnetInvalidResponseError(f"field {key!r} is missing or not a number")
    number = _to_float(value)
    if number is None:
        raise ElnetInvalidResponseError(
            f"field {key!r} is not a number: {_shown(value)}"
        )
    if not math.isfinite(number):
        raise ElnetInvalidResponseError(f"field {key!r} is not finite: {_shown(value)}")
    return number


def _integer(data: Mapping[str, Any], key: str) -> int:
    number = _number(data, key)
    if not number.is_integer():
        raise ElnetInvalidResponseError(
            f"field {key!r} is not an integer: {_shown(data.get(key))}"
        )
    return int(number)


def _flag(data: Mapping[str, Any], key: str) -> bool:
    value = data.get(key)
    if not isinstance(value, bool):
        raise ElnetInvalidResponseError(f"field {key!r} is missing or not a boolean")
    return value


def _source(data: Mapping[str, Any], key: str) -> PowerSource:
    """0 / 1, as a number or a string ("0", " 1 ", "1.0"): servers send either."""
    number = _to_float(data.get(key))
    if number == 0:
        return PowerSource.GRID
    if number == 1:
        return PowerSource.GENERATOR
    raise ElnetInvalidResponseError(
        f"field {key!r} is not 0 (grid) or 1 (generator): {_shown(data.get(key))}"
    )


def _updated_on(data: Mapping[str, Any], tz: tzinfo) -> datetime:
    """``UpdatedOn``, local time in ``tz``; a date HA can convert and store."""
    updated_on = data.get("UpdatedOn")
    if not isinstance(updated_on, str):
        raise ElnetInvalidResponseError("field 'UpdatedOn' is missing or not a string")
    stamp: datetime | None = None
    if _UPDATED_ON.fullmatch(updated_on):
        try:
            stamp = datetime.strptime(updated_on, UPDATED_ON_FORMAT).replace(tzinfo=tz)
            stamp.astimezone(UTC)
        except ValueError, OverflowError:
            stamp = None
    # Years 1 and 9999 overflow when HA converts them to another zone.
    if stamp is None or not MINYEAR < stamp.year < MAXYEAR:
        raise ElnetInvalidResponseError(f"bad 'UpdatedOn': {_shown(updated_on)}")
    return stamp


def parse_live_updates(payload: Any, tz: tzinfo = UTC) -> LiveUpdate:
    """Parse a ``GetLiveUpdates`` answer; ``UpdatedOn`` is local time in ``tz``."""
    data = _data(payload)
    stamp = _updated_on(data, tz)
    return LiveUpdate(
        source=_source(data, "Supply"),
        present_load_kw=_number(data, "PresentLoad"),
        balance=_number(data, "Balance"),
        grid_kwh=_number(data, "EB"),
        generator_kwh=_number(data, "DG"),
        solar_kwh=_number(data, "Solar"),
        sanctioned_grid_kw=_number(data, "SanctionEB"),
        sanctioned_generator_kw=_number(data, "SanctionDG"),
        updated_on=stamp,
    )


def _serial(data: Mapping[str, Any]) -> str:
    serial = data.get("Meter_SN")
    text = ""
    if isinstance(serial, str):
        text = serial.strip()
    elif isinstance(serial, int) and not isinstance(serial, bool):
        try:
            text = str(serial)
        except ValueError:  # an integer too long to print is no serial
            text = ""
    if not text:
        raise ElnetInvalidResponseError("field 'Meter_SN' is missing")
    return text


def parse_home_data(payload: Any) -> HomeData:
    """Parse a ``HomeData`` answer."""
    data = _data(payload)
    serial = _serial(data)
    relay = data.get("RelStatus")
    if not isinstance(relay, str) or relay.upper() not in ("ON", "OFF"):
        raise ElnetInvalidResponseError("field 'RelStatus' is not 'ON' or 'OFF'")
    return HomeData(
        device_id=_integer(data, "DeviceId"),
        meter_serial=serial,
        balance=_number(data, "MeterBal"),
        relay_on=relay.upper() == "ON",
        source=_source(data, "EBDGStatus"),
        grid_kwh_today=_number(data, "kWhRecToday"),
        generator_kwh_today=_number(data, "kWhDelToday"),
        solar_kwh_today=_number(data, "SolarToday"),
        grid_kwh_month=_number(data, "kWhRecMonth"),
        generator_kwh_month=_number(data, "kWhDelMonth"),
        solar_kwh_month=_number(data, "SolarMonth"),
        grid_cost_today=_number(data, "CurrentDay_EB"),
        generator_cost_today=_number(data, "CurrentDay_DG"),
        fixed_charges_today=_number(data, "FixedChargesToday"),
        grid_cost_month=_number(data, "CurrentMonth_EB"),
        generator_cost_month=_number(data, "CurrentMonth_DG"),
        fixed_charges_month=_number(data, "FixedChargesMonth"),
        has_grid=_flag(data, "IsEB"),
        has_generator=_flag(data, "IsDG"),
        has_solar=_flag(data, "IsSolar"),
    )


class ElnetClient:
    """Talks to one ELNET meter server with one bearer token."""

    def __init__(
        self,
        base_url: str,
        token: str,
        session: aiohttp.ClientSession,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        tz: tzinfo = UTC,
    ) -> None:
        """Use ``session`` (owned by the caller) for every request."""
        self.base_url = normalize_base_url(base_url)
        self._token = token
        self._session = session
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._tz = tz

    async def _get(self, path: str) -> Any:
        headers = {
            "Authorization": f"Bearer {self._token}",
            "Accept": "application/json",
        }
        try:
            async with self._session.get(
                self.base_url + path, headers=headers, timeout=self._timeout
            ) as response:
                if response.status in (401, 403):
                    raise ElnetAuthError(f"HTTP {response.status} from {path}")
                if response.status >= 400:
                    raise ElnetConnectionError(f"HTTP {response.status} from {path}")
                text = await response.text()
        except TimeoutError as err:
            raise ElnetConnectionError(f"timeout requesting {path}") from err
        except aiohttp.ClientError as err:
            raise ElnetConnectionError(f"cannot reach {path}: {err}") from err
        except UnicodeDecodeError as err:  # not text in its declared charset
            raise ElnetInvalidResponseError(f"{path} did not answer JSON") from err
        try:
            return json.loads(text)
        except (ValueError, RecursionError) as err:  # RecursionError: deep nesting
            raise ElnetInvalidResponseError(f"{path} did not answer JSON") from err

    async def live_updates(self) -> LiveUpdate:
        """Fetch and parse ``GetLiveUpdates``."""
        return parse_live_updates(await self._get(LIVE_UPDATES_PATH), self._tz)

    async def home_data(self) -> HomeData:
        """Fetch and parse ``HomeData``."""
        return parse_home_data(await self._get(HOME_DATA_PATH))

    async def fetch(self) -> tuple[LiveUpdate, HomeData]:
        """Fetch both endpoints concurrently."""
        return await asyncio.gather(self.live_updates(), self.home_data())
