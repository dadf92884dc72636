"""The firmware report (``<prefix>/<device_id>/ota``): vectors, schema and properties.

``parse_ota`` gets the contract's vectors (``vectors.json``'s ``ota`` section, also
checked against ``ota.schema.json``), then arbitrary bytes, text and JSON: it either
returns an ``OtaReport`` or raises ``PayloadError`` with a contract error code, is
never more lenient than the schema, and reads back every valid report exactly.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st
import jsonschema
import pytest
from referencing import Registry, Resource

from custom_components.intelergy.core.esp32.client import (
    CLOCK_VALID_FROM,
    PayloadError,
)
from custom_components.intelergy.core.esp32.ota import (
    MAX_AT,
    MAX_DETAIL_CHARS,
    MAX_OTA_BYTES,
    RESULTS,
    OtaReport,
    parse_ota,
)

CONTRACT = Path(__file__).resolve().parents[3] / "contract" / "mqtt"
VECTORS: list[dict[str, Any]] = json.loads((CONTRACT / "vectors.json").read_text())[
    "ota"
]
CODES = {
    "not_json",
    "not_object",
    "too_large",
    "wrong_type",
    "out_of_range",
    "missing_field",
}
FIELDS = ("version", "result", "target", "at", "detail")


def _schema() -> jsonschema.protocols.Validator:
    resources = {
        path.name: Resource.from_contents(json.loads(path.read_text()))
        for path in CONTRACT.glob("*.schema.json")
    }
    registry: Registry[Any] = Registry().with_resources(resources.items())
    contents = resources["ota.schema.json"].contents
    validator_class = jsonschema.validators.validator_for(contents)
    validator_class.check_schema(contents)
    return validator_class(contents, registry=registry)


SCHEMA = _schema()


def schema_verdict(payload: str | bytes) -> bool | None:
    """The schema's verdict, or None when the payload is no JSON at all."""

    def refuse(constant: str) -> None:
        raise ValueError(constant)

    try:
        data = json.loads(payload, parse_constant=refuse)
    except ValueError:
        return None
    return SCHEMA.is_valid(data)


def examples(count: int) -> settings:
    """``count`` examples, however long one takes."""
    return settings(
        max_examples=count,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_ota_vectors(vector: dict[str, Any]) -> None:
    payload: str = vector["payload"]
    if "error" in vector:
        assert vector["error"] in CODES
        for given_as in (payload, payload.encode(), bytearray(payload.encode())):
            with pytest.raises(PayloadError) as err:
                parse_ota(given_as)
            assert err.value.code == vector["error"]
            assert str(err.value)
    else:
        for given_as in (payload, payload.encode(), bytearray(payload.encode())):
            assert parse_ota(given_as).as_dict() == vector["expect"]
    if len(payload.encode()) <= MAX_OTA_BYTES:
        assert schema_verdict(payload) is vector["schema_valid"], vector["name"]
    else:
        assert vector["schema_valid"] is None


def test_vectors_cover_every_result_and_code() -> None:
    results = {v["expect"]["result"] for v in VECTORS if "expect" in v}
    assert RESULTS - {"up_to_date"} <= results  # the firmware never reports that one
    assert {v["error"] for v in VECTORS if "error" in v} == CODES


def test_report_helpers() -> None:
    report = parse_ota('{"version":"0.2.0","result":"ok","target":"0.2.0"}')
    assert report == OtaReport(version="0.2.0", result="ok", target="0.2.0")
    assert report.known_result
    assert not parse_ota('{"version":"0.2.0","result":"later_thing"}').known_result
    # The clock was not set when the update ran: no time.
    assert parse_ota('{"version":"1","result":"ok","at":1000}').at is None
    assert parse_ota('{"version":"1","result":"ok","at":1577836800}').at == (
        CLOCK_VALID_FROM
    )


def test_odd_inputs() -> None:
    for payload, code in (
        (b"\xff\xfe{}", "not_json"),
        ("\ud800", "not_json"),  # a lone surrogate: no UTF-8 exists
        ("{" * 2000, "too_large"),
        ('{"version":"1","result":"ok","at":' + "9" * 400 + "}", "out_of_range"),
        ('{"version":"1","result":"ok","at":' + "9" * 30 + "}", "out_of_range"),
    ):
        with pytest.raises(PayloadError) as err:
            parse_ota(payload)
        assert err.value.code == code, payload[:40]


# --- properties ---------------------------------------------------------------------
VERSION = st.from_regex(r"\A[0-9]{1,9}(\.[0-9]{1,9}){0,3}\Z")
RESULT = st.one_of(
    st.sampled_from(sorted(RESULTS)), st.from_regex(r"\A[a-z][a-z0-9_]{0,31}\Z")
)
JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    st.sampled_from(["0.1.0", "ok", "", "1e400", "\u0661", "v1", "0.1.0\n", "OK"]),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(max_size=8), inner, max_size=4),
    ),
    max_leaves=12,
)
# Objects whose keys are mostly the contract's own, with any value.
OBJECTS = st.dictionaries(
    st.one_of(st.sampled_from(FIELDS), st.text(max_size=10)), JSON_VALUES, max_size=7
)


def _outcome(payload: str | bytes) -> OtaReport | None:
    """The parse, or None after a PayloadError with a contract code."""
    try:
        return parse_ota(payload)
    except PayloadError as err:
        error = err
    assert error.code in CODES
    assert str(error)
    return None


@examples(300)
@given(st.binary(max_size=300))
def test_any_bytes_only_payload_error(payload: bytes) -> None:
    _outcome(payload)


@examples(300)
@given(st.text(max_size=300))
def test_any_text_only_payload_error(payload: str) -> None:
    _outcome(payload)


@examples(600)
@given(st.one_of(OBJECTS, JSON_VALUES))
def test_any_json_only_payload_error_and_never_more_lenient_than_the_schema(
    data: Any,
) -> None:
    payload = json.dumps(data)
    report = _outcome(payload)
    if report is not None:
        # Whatever the parser accepts, the schema accepts.
        assert SCHEMA.is_valid(data), payload


@examples(300)
@given(
    version=VERSION,
    result=RESULT,
    target=st.none() | VERSION,
    at=st.none()
    | st.integers(min_value=0, max_value=int(MAX_AT))
    | st.floats(min_value=0, max_value=MAX_AT),
    detail=st.none() | st.text(max_size=MAX_DETAIL_CHARS),
    extra=st.dictionaries(
        st.text(max_size=8).filter(lambda k: k not in FIELDS), JSON_VALUES, max_size=2
    ),
)
def test_valid_reports_read_back_exactly(
    version: str,
    result: str,
    target: str | None,
    at: float | None,
    detail: str | None,
    extra: dict[str, Any],
) -> None:
    optional = {"target": target, "at": at, "detail": detail}
    data: dict[str, Any] = {
        "version": version,
        "result": result,
        **extra,
        **{name: value for name, value in optional.items() if value is not None},
    }
    payload = json.dumps(data, ensure_ascii=False)
    assert SCHEMA.is_valid(data)
    if len(payload.encode()) > MAX_OTA_BYTES:
        with pytest.raises(PayloadError) as err:
            parse_ota(payload)
        assert err.value.code == "too_large"
        return
    report = parse_ota(payload)
    assert (report.version, report.result, report.target, report.detail) == (
        version,
        result,
        target,
        detail,
    )
    assert report.at == (None if at is None or at < CLOCK_VALID_FROM else float(at))
    assert sorted(report.unknown) == sorted(extra)
