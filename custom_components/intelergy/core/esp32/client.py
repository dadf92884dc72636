"""The Intelergy MQTT meter contract, parsed (no Home Assistant imports).

``docs/mqtt-contract.md`` is the prose; ``contract/mqtt/*.schema.json`` the JSON
Schema; ``contract/mqtt/vectors.json`` the shared test vectors. This module turns
payloads into ``Reading`` objects or raises ``PayloadError`` with one of the
contract's error codes and a message fit for one log line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
import math
import re
from typing import Any, Final

import orjson

# Device ids are one MQTT topic level: no "/", "+" or "#", ASCII only.
DEVICE_ID_PATTERN: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_STATE_BYTES: Final = 4096
MAX_BACKLOG_BYTES: Final = 262144
MAX_BACKLOG_READINGS: Final = 2000
# Timestamps this far ahead of the receiver's clock are refused.
MAX_FUTURE_SECONDS: Final = 300.0
# Before this, a meter's clock is not set yet (no SNTP): its timestamp is ignored.
CLOCK_VALID_FROM: Final = 1577836800.0  # 2020-01-01T00:00:00Z

# Field name as found in the wild -> contract name.
ALIASES: Final = {
    "deviceId": "device_id",
    "power_w": "power",
    "energy_kwh": "energy",
    "energy_wh": "energy",
    "pf": "power_factor",
    "freq": "frequency",
}
# An alias in another unit -> what its value is divided by (Wh -> kWh).
DIVISORS: Final[dict[str, float]] = {"energy_wh": 1000.0}
# Contract name -> (low, high) accepted bounds.
BOUNDS: Final[dict[str, tuple[float, float]]] = {
    "voltage": (0.0, 1000.0),
    "current": (0.0, 1000.0),
    "power": (0.0, 1_000_000.0),
    "energy": (0.0, 1_000_000_000.0),
    "power_factor": (-1.0, 1.0),
    "frequency": (0.0, 1000.0),
    "rssi": (-150.0, 0.0),
    "uptime": (0.0, 1e10),
    "interval": (1.0, 86400.0),
}
NUMBERS: Final = frozenset(BOUNDS)
# Integer fields: contract name -> (low, high). A number with a zero fraction
# (3.0, 3e0) is that integer, as JSON Schema's "integer" says; 1.5 is no integer.
UINT32_MAX: Final = 2**32 - 1
INTEGER_BOUNDS: Final[dict[str, tuple[int, int]]] = {
    "boot": (0, UINT32_MAX),
    "dropped": (0, UINT32_MAX),
}
INTEGERS: Final = frozenset(INTEGER_BOUNDS)
KNOWN: Final = NUMBERS | INTEGERS | {"device_id", "timestamp", "relays"}
MAX_RELAYS: Final = 16
# ISO 8601 as the schema's pattern has it (ASCII digits only), checked before
# datetime.fromisoformat, which also takes forms the contract does not (basic
# format, week dates, hours alone, a decimal comma).
ISO_TIMESTAMP: Final = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}"
    r"(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}:?[0-9]{2})"
)
# Field names a refused message lists (what the meter did send), and how much of each.
SHOWN_NAMES: Final = 10
SHOWN_NAME_CHARS: Final = 32
PLAIN_NAME: Final = re.compile(r"[A-Za-z0-9_.-]{1,32}")

RELAY_COMMANDS: Final = ("ON", "OFF", "TOGGLE")
RELAY_STATES: Final = {"ON": True, "OFF": False}
# Around a relay payload, as the firmware trims it (ASCII whitespace only).
RELAY_WHITESPACE: Final = " \t\r\n\f\v"


class PayloadError(ValueError):
    """A payload the contract refuses; ``code`` is the contract's error code."""

    def __init__(self, code: str, message: str) -> None:
        """An error ``code`` of the contract and a one-line ``message``.

        Codes: not_json, not_object, too_large, wrong_type, out_of_range,
        missing_field, device_mismatch, future_timestamp, too_many_readings.
        """
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class Reading:
    """One telemetry reading in contract units (``None``: not reported)."""

    device_id: str | None = None
    timestamp: float | None = None  # epoch seconds; None: the meter's clock is unset
    voltage: float | None = None  # V
    current: float | None = None  # A
    power: float | None = None  # W
    energy: float | None = None  # kWh, cumulative
    power_factor: float | None = None
    frequency: float | None = None  # Hz
    rssi: float | None = None  # dBm
    uptime: float | None = None  # s since the meter booted
    interval: float | None = None  # s between telemetry messages
    relays: tuple[bool, ...] | None = None
    boot: int | None = None  # the meter's boot counter: a change means it restarted
    dropped: int | None = None  # readings its offline buffer dropped since boot
    unknown: tuple[str, ...] = field(default=())  # ignored field names

    def as_dict(self) -> dict[str, Any]:
        """The reading as the test vectors write it."""
        return {
            "device_id": self.device_id,
            "timestamp": self.timestamp,
            "voltage": self.voltage,
            "current": self.current,
            "power": self.power,
            "energy": self.energy,
            "power_factor": self.power_factor,
            "frequency": self.frequency,
            "rssi": self.rssi,
            "uptime": self.uptime,
            "interval": self.interval,
            "relays": None if self.relays is None else list(self.relays),
            "boot": self.boot,
            "dropped": self.dropped,
            "unknown": sorted(self.unknown),
        }


def valid_device_id(device_id: str) -> bool:
    """Whether ``device_id`` can be one topic level of the contract."""
    return DEVICE_ID_PATTERN.fullmatch(device_id) is not None


def load_json(payload: bytes | bytearray | str, limit: int) -> Any:
    """Strict JSON (orjson: no NaN / Infinity, UTF-8 only, bounded nesting) of every topic."""
    if len(payload) > limit:  # characters <= bytes: a first, cheap check
        raise PayloadError(
            "too_large", f"payload of {len(payload)} bytes (limit {limit})"
        )
    if isinstance(payload, str):
        try:
            payload = payload.encode()
        except UnicodeEncodeError as err:  # a lone surrogate: no UTF-8 exists
            raise PayloadError("not_json", f"not UTF-8: {err.reason}") from err
        if len(payload) > limit:
            raise PayloadError(
                "too_large", f"payload of {len(payload)} bytes (limit {limit})"
            )
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError as err:
        if "infinity" in str(err):  # a number too large for a double
            raise PayloadError("out_of_range", f"a number out of range: {err}") from err
        raise PayloadError("not_json", f"not JSON: {err}") from err


def _shown(value: float) -> str:
    """A number for a log line; a huge integer is not written out.

    str() of an integer of more than 4300 digits raises, and a log line has no
    room for one anyway.
    """
    if isinstance(value, int) and not -(10**20) < value < 10**20:
        return f"an integer of {value.bit_length()} bits"
    return repr(value)


def _name(key: Any) -> str:
    """A field name for a log line: as is if plain, else quoted and cut short."""
    text = str(key)
    if PLAIN_NAME.fullmatch(text):
        return text
    if len(text) > SHOWN_NAME_CHARS:
        return f"{text[:SHOWN_NAME_CHARS]!r}..."
    return repr(text)


def _received(data: Mapping[Any, Any]) -> str:
    """The names (never the values) of the fields a message had, at most ten."""
    names = list(data)
    if not names:
        return "an empty object"
    shown = ", ".join(_name(key) for key in names[:SHOWN_NAMES])
    more = len(names) - SHOWN_NAMES
    return f"fields {shown}" + (f" and {more} more" if more > 0 else "")


def _timestamp(value: Any, now: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise PayloadError("wrong_type", f"timestamp: {type(value).__name__}")
    if isinstance(value, str):
        if not ISO_TIMESTAMP.fullmatch(value):
            raise PayloadError(
                "wrong_type",
                f"timestamp: {value[:40]!r} (ISO 8601 with Z or an offset)",
            )
        try:
            parsed = datetime.fromisoformat(value)
            seconds = parsed.timestamp()
        except (ValueError, OverflowError) as err:  # 2026-13-01, +24:00, ...
            raise PayloadError("wrong_type", f"timestamp: {value[:40]!r}") from err
    else:
        try:
            seconds = float(value)
        except OverflowError as err:
            raise PayloadError("out_of_range", f"timestamp: {_shown(value)}") from err
        if not math.isfinite(seconds) or seconds < 0:
            raise PayloadError(
                "out_of_range", f"timestamp: {_shown(value)} (epoch seconds >= 0)"
            )
    if seconds > now + MAX_FUTURE_SECONDS:
        raise PayloadError(
            "future_timestamp", f"timestamp {seconds:.0f} is in the future"
        )
    return seconds if seconds >= CLOCK_VALID_FROM else None


def _number(name: str, key: str, value: Any) -> float:
    """Field ``name`` given as ``key`` (maybe an alias in another unit)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PayloadError(
            "wrong_type", f"{key}: expected a number, got {type(value).__name__}"
        )
    divisor = DIVISORS.get(key, 1.0)
    low, high = BOUNDS[name]
    low, high = low * divisor, high * divisor  # the bounds in the alias's unit
    try:
        number = float(value)
    except OverflowError as err:  # an int beyond a double (direct callers only)
        raise PayloadError(
            "out_of_range", f"{key}: {_shown(value)} outside {low:g}..{high:g}"
        ) from err
    if not math.isfinite(number) or not low <= number <= high:
        raise PayloadError(
            "out_of_range", f"{key}: {_shown(value)} outside {low:g}..{high:g}"
        )
    return number / divisor if divisor != 1.0 else number


def _integer(name: str, value: Any) -> int:
    """An integer field (a number with a zero fraction counts as that integer)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PayloadError(
            "wrong_type", f"{name}: expected an integer, got {type(value).__name__}"
        )
    low, high = INTEGER_BOUNDS[name]
    if isinstance(value, float):
        if not math.isfinite(value):
            raise PayloadError("out_of_range", f"{name}: {value!r}")
        if not value.is_integer():
            raise PayloadError(
                "wrong_type", f"{name}: expected an integer, got {value!r}"
            )
    if not low <= value <= high:
        raise PayloadError(
            "out_of_range", f"{name}: {_shown(value)} outside {low}..{high}"
        )
    return int(value)


def parse_reading(
    data: Any,
    now: float,
    *,
    topic_device_id: str | None = None,
    need_time: bool = False,
) -> Reading:
    """One reading object; ``need_time``: a timestamp is required (backlog)."""
    if not isinstance(data, Mapping):
        raise PayloadError(
            "not_object", f"expected a JSON object, got {type(data).__name__}"
        )
    fields: dict[str, tuple[str, Any]] = {}  # contract name -> (name given, value)
    unknown: list[str] = []
    for key, value in data.items():
        name = ALIASES.get(key, key)
        if name not in KNOWN:
            unknown.append(str(key))
        elif name in fields:
            raise PayloadError(
                "wrong_type", f"{name} given twice ({fields[name][0]} and {key})"
            )
        else:
            fields[name] = (key, value)
    values: dict[str, Any] = {
        name: _number(name, *fields[name]) for name in NUMBERS if name in fields
    }
    values.update(
        (name, _integer(name, fields[name][1])) for name in INTEGERS if name in fields
    )
    if "device_id" in fields:
        device_id = fields["device_id"][1]
        if not isinstance(device_id, str):
            raise PayloadError("wrong_type", "device_id: expected a string")
        if topic_device_id is not None and device_id != topic_device_id:
            raise PayloadError(
                "device_mismatch",
                f"device_id {device_id[:64]!r} in a message of {topic_device_id!r}",
            )
        if not valid_device_id(device_id):
            raise PayloadError(
                "wrong_type",
                f"device_id {device_id[:64]!r}: 1-64 of A-Z a-z 0-9 _ -",
            )
        values["device_id"] = device_id
    if "timestamp" in fields:
        values["timestamp"] = _timestamp(fields["timestamp"][1], now)
    if need_time and values.get("timestamp") is None:
        raise PayloadError(
            "missing_field",
            "a backlog reading needs a set timestamp"
            + (" (its clock was not set)" if "timestamp" in fields else "")
            + f"; received {_received(data)}",
        )
    if "relays" in fields:
        relays = fields["relays"][1]
        if not isinstance(relays, list) or not all(isinstance(r, bool) for r in relays):
            raise PayloadError("wrong_type", "relays: expected an array of booleans")
        if len(relays) > MAX_RELAYS:
            raise PayloadError(
                "out_of_range", f"relays: {len(relays)} (at most {MAX_RELAYS})"
            )
        values["relays"] = tuple(relays)
    if values.get("power") is None and values.get("energy") is None:
        raise PayloadError(
            "missing_field", f"neither power nor energy; received {_received(data)}"
        )
    if "rssi" in values:
        values["rssi"] = round(values["rssi"])
    return Reading(**values, unknown=tuple(unknown))


def parse_state(
    payload: bytes | bytearray | str, now: float, *, topic_device_id: str | None = None
) -> Reading:
    """A ``<prefix>/<device_id>/state`` message."""
    return parse_reading(
        load_json(payload, MAX_STATE_BYTES), now, topic_device_id=topic_device_id
    )


def parse_backlog(
    payload: bytes | bytearray | str, now: float, *, topic_device_id: str | None = None
) -> list[Reading]:
    """A ``<prefix>/<device_id>/backlog`` message: readings in time order, deduplicated.

    A backlog is all or nothing: one bad reading refuses the message (the meter
    sends it again), so a half-imported backlog cannot leave a gap.
    """
    data = load_json(payload, MAX_BACKLOG_BYTES)
    if not isinstance(data, list):
        raise PayloadError(
            "not_object", f"expected a JSON array, got {type(data).__name__}"
        )
    if len(data) > MAX_BACKLOG_READINGS:
        raise PayloadError(
            "too_many_readings",
            f"{len(data)} readings (at most {MAX_BACKLOG_READINGS})",
        )
    readings: dict[float, Reading] = {}
    for index, item in enumerate(data):
        try:
            reading = parse_reading(
                item, now, topic_device_id=topic_device_id, need_time=True
            )
        except PayloadError as err:
            raise PayloadError(err.code, f"reading {index}: {err}") from err
        if reading.energy is None or reading.timestamp is None:
            raise PayloadError(
                "missing_field",
                f"reading {index}: no energy; received {_received(item)}",
            )
        readings[reading.timestamp] = reading
    return [readings[key] for key in sorted(readings)]


def parse_relay_state(payload: bytes | bytearray | str) -> bool:
    """``<prefix>/<device_id>/relay/<n>``: ``ON`` or ``OFF``.

    Case does not matter and ASCII whitespace around it is ignored, as the
    firmware reads its commands; nothing else (``oﬀ`` is no ``OFF``).
    """
    text = (
        payload if isinstance(payload, str) else bytes(payload).decode(errors="replace")
    )
    word = text.strip(RELAY_WHITESPACE)
    state = RELAY_STATES.get(word.upper()) if word.isascii() else None
    if state is None:
        raise PayloadError("wrong_type", f"relay state {text[:20]!r} (ON or OFF)")
    return state


def relay_command(on: bool) -> str:
    """The payload of ``<prefix>/<device_id>/relay/<n>/set``."""
    return "ON" if on else "OFF"
