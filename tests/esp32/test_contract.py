"""The MQTT contract's shared vectors, through the parser and the JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource

from custom_components.intelergy.sources.esp32.payload import (
    MAX_BACKLOG_READINGS,
    PayloadError,
    parse_backlog,
    parse_relay_state,
    parse_state,
    relay_command,
    valid_device_id,
)

CONTRACT = Path(__file__).resolve().parents[2] / "contract" / "mqtt"
VECTORS: dict[str, Any] = json.loads((CONTRACT / "vectors.json").read_text())
NOW = float(VECTORS["now"])


def schema(name: str) -> jsonschema.protocols.Validator:
    resources = {
        path.name: Resource.from_contents(json.loads(path.read_text()))
        for path in CONTRACT.glob("*.schema.json")
    }
    registry: Registry[Any] = Registry().with_resources(resources.items())
    contents = resources[name].contents
    validator_class = jsonschema.validators.validator_for(contents)
    validator_class.check_schema(contents)
    return validator_class(contents, registry=registry)


TELEMETRY = schema("telemetry.schema.json")
BACKLOG = schema("backlog.schema.json")


def schema_verdict(
    validator: jsonschema.protocols.Validator, payload: str
) -> bool | None:
    """The schema's verdict, or None when the payload is not JSON at all."""

    def refuse(constant: str) -> None:
        raise ValueError(constant)

    try:
        data = json.loads(payload, parse_constant=refuse)
    except ValueError:
        return None
    return validator.is_valid(data)


def ids(vectors: list[dict[str, Any]]) -> list[str]:
    return [v["name"] for v in vectors]


@pytest.mark.parametrize("vector", VECTORS["state"], ids=ids(VECTORS["state"]))
def test_state_vectors(vector: dict[str, Any]) -> None:
    if "error" in vector:
        with pytest.raises(PayloadError) as err:
            parse_state(
                vector["payload"], NOW, topic_device_id=vector["topic_device_id"]
            )
        assert err.value.code == vector["error"]
        assert str(err.value)
    else:
        reading = parse_state(
            vector["payload"], NOW, topic_device_id=vector["topic_device_id"]
        )
        assert reading.as_dict() == vector["expect"]
    if vector["schema_valid"] is not None and len(vector["payload"]) <= 4096:
        assert schema_verdict(TELEMETRY, vector["payload"]) is vector["schema_valid"]


@pytest.mark.parametrize("vector", VECTORS["backlog"], ids=ids(VECTORS["backlog"]))
def test_backlog_vectors(vector: dict[str, Any]) -> None:
    if "error" in vector:
        with pytest.raises(PayloadError) as err:
            parse_backlog(
                vector["payload"], NOW, topic_device_id=vector["topic_device_id"]
            )
        assert err.value.code == vector["error"]
    else:
        readings = parse_backlog(
            vector["payload"], NOW, topic_device_id=vector["topic_device_id"]
        )
        assert [r.as_dict() for r in readings] == vector["expect"]
    if vector["schema_valid"] is not None:
        assert schema_verdict(BACKLOG, vector["payload"]) is vector["schema_valid"]


@pytest.mark.parametrize(
    "vector", VECTORS["relay_state"], ids=lambda v: repr(v["payload"])
)
def test_relay_state_vectors(vector: dict[str, Any]) -> None:
    if "error" in vector:
        with pytest.raises(PayloadError) as err:
            parse_relay_state(vector["payload"].encode())
        assert err.value.code == vector["error"]
    else:
        assert parse_relay_state(vector["payload"].encode()) is vector["expect"]


def test_relay_command_vectors() -> None:
    for vector in VECTORS["relay_command"]:
        assert relay_command(vector["on"]) == vector["payload"]


def test_fixtures_are_in_the_vectors() -> None:
    # Both shapes found in the wild are accepted exactly as captured.
    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "esp32"
    payloads = {v["payload"] for v in VECTORS["state"] if "expect" in v}
    for path in sorted(fixtures.glob("*.json")):
        assert path.read_text() in payloads, path.name


def test_backlog_size_limits() -> None:
    readings = [
        {"energy": 1, "timestamp": NOW - 3600 + i} for i in range(MAX_BACKLOG_READINGS)
    ]
    assert len(parse_backlog(json.dumps(readings), NOW)) == MAX_BACKLOG_READINGS
    with pytest.raises(PayloadError) as err:
        parse_backlog(json.dumps([*readings, readings[0]]), NOW)
    assert err.value.code == "too_many_readings"
    assert not BACKLOG.is_valid([*readings, readings[0]])
    with pytest.raises(PayloadError) as err:
        parse_backlog(b"[" + b" " * 300000 + b"]", NOW)
    assert err.value.code == "too_large"


def test_odd_bytes() -> None:
    with pytest.raises(PayloadError) as err:
        parse_state(b"\xff\xfe{", NOW)
    assert err.value.code == "not_json"
    with pytest.raises(PayloadError) as err:
        parse_state("[" * 3000 + "]" * 3000, NOW)
    assert err.value.code in {"not_json", "too_large"}


@pytest.mark.parametrize(
    ("device_id", "valid"),
    [
        ("meter-01", True),
        ("kitchen_2", True),
        ("a" * 64, True),
        ("a" * 65, False),
        ("", False),
        ("a/b", False),
        ("a+b", False),
        ("a#", False),
        ("zähler", False),
        ("meter 1", False),
    ],
)
def test_device_ids(device_id: str, valid: bool) -> None:
    assert valid_device_id(device_id) is valid
