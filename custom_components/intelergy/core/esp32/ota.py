"""The meter's firmware report on ``<prefix>/<device_id>/ota``, parsed (no HA imports).

A retained JSON object: the firmware version the meter runs and the outcome of its
last signed update (``docs/mqtt-contract.md``, *Firmware updates*;
``contract/mqtt/ota.schema.json``; the ``ota`` section of
``contract/mqtt/vectors.json``). ``parse_ota`` returns an ``OtaReport`` or raises
``PayloadError`` with one of the contract's error codes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
import math
import re
from typing import Any, Final

from .client import CLOCK_VALID_FROM, PayloadError, load_json

MAX_OTA_BYTES: Final = 1024
# 1-4 decimal numbers of at most 9 digits: "0.2.0".
VERSION_PATTERN: Final = re.compile(r"[0-9]{1,9}(\.[0-9]{1,9}){0,3}")
# A result is a token; the firmware's are RESULTS, others are kept as they are
# (a newer firmware may report outcomes this integration does not know yet).
RESULT_PATTERN: Final = re.compile(r"[a-z][a-z0-9_]{0,31}")
RESULTS: Final = frozenset(
    {
        "none",  # no update attempted yet
        "ok",  # verified, written; the new firmware boots next
        "not_signed",  # no signed header: a plain image, a web page
        "wrong_key",  # signed with another key than the meter's
        "bad_signature",  # the signature does not match: changed or forged
        "downgrade",  # older than the running firmware
        "wrong_size",  # sizes contradict the signed size, or too large
        "truncated",  # the download ended early
        "download_failed",  # no answer, TLS refused, an HTTP error
        "write_failed",  # the partition refused the image
        "rolled_back",  # installed, but the older firmware started again
        "up_to_date",  # nothing newer offered (the firmware does not report it)
    }
)
MAX_AT: Final = 1e10  # epoch seconds (year 2286)
MAX_DETAIL_CHARS: Final = 200


@dataclass(frozen=True, slots=True)
class OtaReport:
    """A meter's firmware version and its last update's outcome."""

    version: str  # the firmware the meter runs
    result: str  # the last update's outcome (RESULTS, or a newer firmware's token)
    target: str | None = None  # the version that update offered
    at: float | None = None  # epoch s of that update; None: unknown or clock unset
    detail: str | None = None  # one line from the meter: why
    unknown: tuple[str, ...] = field(default=())  # ignored field names

    @property
    def known_result(self) -> bool:
        """Whether ``result`` is one of the results this contract names."""
        return self.result in RESULTS

    def as_dict(self) -> dict[str, Any]:
        """The report as the test vectors write it."""
        return {
            "version": self.version,
            "result": self.result,
            "target": self.target,
            "at": self.at,
            "detail": self.detail,
            "unknown": sorted(self.unknown),
        }


def _version(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise PayloadError(
            "wrong_type", f"{name}: expected a string, got {type(value).__name__}"
        )
    if not VERSION_PATTERN.fullmatch(value):
        raise PayloadError(
            "wrong_type", f"{name}: {value[:40]!r} (1-4 numbers separated by dots)"
        )
    return value


def _at(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PayloadError(
            "wrong_type", f"at: expected epoch seconds, got {type(value).__name__}"
        )
    if isinstance(value, int) and not 0 <= value <= MAX_AT:
        # Compared as an integer: one beyond a double is no error of float().
        raise PayloadError("out_of_range", f"at: outside 0..{MAX_AT:g}")
    seconds = float(value)
    if not math.isfinite(seconds) or not 0 <= seconds <= MAX_AT:
        raise PayloadError("out_of_range", f"at: {seconds!r} outside 0..{MAX_AT:g}")
    return seconds if seconds >= CLOCK_VALID_FROM else None


def parse_ota(payload: bytes | bytearray | str) -> OtaReport:
    """A ``<prefix>/<device_id>/ota`` message."""
    data = load_json(payload, MAX_OTA_BYTES)
    if not isinstance(data, Mapping):
        raise PayloadError(
            "not_object", f"expected a JSON object, got {type(data).__name__}"
        )
    missing = [name for name in ("version", "result") if name not in data]
    if missing:
        raise PayloadError("missing_field", f"no {' and no '.join(missing)}")
    version = _version("version", data["version"])
    result = data["result"]
    if not isinstance(result, str):
        raise PayloadError(
            "wrong_type", f"result: expected a string, got {type(result).__name__}"
        )
    if not RESULT_PATTERN.fullmatch(result):
        raise PayloadError(
            "wrong_type", f"result: {result[:40]!r} (a lower-case token such as ok)"
        )
    target = _version("target", data["target"]) if "target" in data else None
    at = _at(data["at"]) if "at" in data else None
    detail: str | None = None
    if "detail" in data:
        detail = data["detail"]
        if not isinstance(detail, str):
            raise PayloadError(
                "wrong_type", f"detail: expected a string, got {type(detail).__name__}"
            )
        if len(detail) > MAX_DETAIL_CHARS:
            raise PayloadError(
                "out_of_range",
                f"detail: {len(detail)} characters (at most {MAX_DETAIL_CHARS})",
            )
    known = {"version", "result", "target", "at", "detail"}
    unknown = tuple(str(key) for key in data if key not in known)
    return OtaReport(
        version=version,
        result=result,
        target=target,
        at=at,
        detail=detail,
        unknown=unknown,
    )
