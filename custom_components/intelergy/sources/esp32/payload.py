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
    "pf": "power_factor",
    "freq": "frequency",
}
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
KNOWN: Final = NUMBERS | {"device_id", "timestamp", "relays"}

RELAY_COMMANDS: Final = ("ON", "OFF", "TOGGLE")
RELAY_STATES: Final = {"ON": True, "OFF": False}


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
            "unknown": sorted(self.unknown),
        }


def valid_device_id(device_id: str) -> bool:
    """Whether ``device_id`` can be one topic level of the contract."""
    return DEVICE_ID_PATTERN.fullmatch(device_id) is not None


def _load(payload: bytes | bytearray | str, limit: int) -> Any:
    """Strict JSON (orjson: no NaN / Infinity, UTF-8 only, bounded nesting)."""
    if len(payload) > limit:  # characters <= bytes: a first, cheap check
        raise PayloadError(
            "too_large", f"payload of {len(payload)} bytes (limit {limit})"
        )
    if isinstance(payload, str):
        payload = payload.encode()
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


def _timestamp(value: Any, now: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise PayloadError("wrong_type", f"timestamp: {type(value).__name__}")
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError as err:
            raise PayloadError("wrong_type", f"timestamp: {value[:40]!r}") from err
        if parsed.tzinfo is None:
            raise PayloadError(
                "wrong_type", f"timestamp without a zone: {value[:40]!r}"
            )
        seconds = parsed.timestamp()
    else:
        seconds = float(value)
        if not math.isfinite(seconds):
            raise PayloadError("out_of_range", "timestamp: not finite")
    if seconds > now + MAX_FUTURE_SECONDS:
        raise PayloadError(
            "future_timestamp", f"timestamp {seconds:.0f} is in the future"
        )
    return seconds if seconds >= CLOCK_VALID_FROM else None


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PayloadError(
            "wrong_type", f"{name}: expected a number, got {type(value).__name__}"
        )
    number = float(value)
    low, high = BOUNDS[name]
    if not math.isfinite(number) or not low <= number <= high:
        raise PayloadError("out_of_range", f"{name}: {value} outside {low:g}..{high:g}")
    return number


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
    fields: dict[str, Any] = {}
    unknown: list[str] = []
    for key, value in data.items():
        name = ALIASES.get(key, key)
        if name not in KNOWN:
            unknown.append(str(key))
        elif name in fields:
            raise PayloadError("wrong_type", f"{name} given twice ({key})")
        else:
            fields[name] = value
    values: dict[str, Any] = {
        name: _number(name, fields[name]) for name in NUMBERS if name in fields
    }
    if "device_id" in fields:
        device_id = fields["device_id"]
        if not isinstance(device_id, str):
            raise PayloadError("wrong_type", "device_id: expected a string")
        if topic_device_id is not None and device_id != topic_device_id:
            raise PayloadError(
                "device_mismatch",
                f"device_id {device_id[:64]!r} in a message of {topic_device_id!r}",
            )
        values["device_id"] = device_id
    if "timestamp" in fields:
        values["timestamp"] = _timestamp(fields["timestamp"], now)
    if need_time and values.get("timestamp") is None:
        raise PayloadError("missing_field", "a backlog reading needs a set timestamp")
    if "relays" in fields:
        relays = fields["relays"]
        if not isinstance(relays, list) or not all(isinstance(r, bool) for r in relays):
            raise PayloadError("wrong_type", "relays: expected an array of booleans")
        if len(relays) > 16:
            raise PayloadError("out_of_range", f"relays: {len(relays)} (at most 16)")
        values["relays"] = tuple(relays)
    if values.get("power") is None and values.get("energy") is None:
        raise PayloadError("missing_field", "neither power nor energy")
    if "rssi" in values:
        values["rssi"] = round(values["rssi"])
    return Reading(**values, unknown=tuple(unknown))


def parse_state(
    payload: bytes | bytearray | str, now: float, *, topic_device_id: str | None = None
) -> Reading:
    """A ``<prefix>/<device_id>/state`` message."""
    return parse_reading(
        _load(payload, MAX_STATE_BYTES), now, topic_device_id=topic_device_id
    )


def parse_backlog(
    payload: bytes | bytearray | str, now: float, *, topic_device_id: str | None = None
) -> list[Reading]:
    """A ``<prefix>/<device_id>/backlog`` message: readings in time order, deduplicated.

    A backlog is all or nothing: one bad reading refuses the message (the meter
    sends it again), so a half-imported backlog cannot leave a gap.
    """
    data = _load(payload, MAX_BACKLOG_BYTES)
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
            raise PayloadError("missing_field", f"reading {index}: no energy")
        readings[reading.timestamp] = reading
    return [readings[key] for key in sorted(readings)]


def parse_relay_state(payload: bytes | bytearray | str) -> bool:
    """``<prefix>/<device_id>/relay/<n>``: ``ON`` or ``OFF``."""
    text = (
        payload if isinstance(payload, str) else bytes(payload).decode(errors="replace")
    )
    state = RELAY_STATES.get(text.strip().upper())
    if state is None:
        raise PayloadError("wrong_type", f"relay state {text[:20]!r} (ON or OFF)")
    return state


def relay_command(on: bool) -> str:
    """The payload of ``<prefix>/<device_id>/relay/<n>/set``."""
    return "ON" if on else "OFF"
