"""The MQTT contract's shared vectors, through the parser and the JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource

from custom_components.intelergy.core.esp32.client import (
    MAX_BACKLOG_READINGS,
    PayloadError,
    parse_backlog,
    parse_relay_state,
    parse_state,
    relay_command,
    valid_device_id,
)
from simulators.esp32_meter import SimulatedMeter

CONTRACT = Path(__file__).resolve().parents[3] / "contract" / "mqtt"
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
    fixtures = Path(__file__).resolve().parents[2] / "fixtures" / "esp32"
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


# --- boot and dropped as the Python meter simulator sends them -------------------
def test_simulator_sends_boot_and_dropped_as_the_contract_says() -> None:
    meter = SimulatedMeter("m1", buffer_size=3, energy_kwh=5.0)
    first = meter.reading(NOW - 60)
    assert (first["boot"], "dropped" in first) == (1, False)
    for second in range(5):
        meter.tick(NOW - 50 + second)  # never started: buffered, two dropped
    reading = meter.reading(NOW)
    assert TELEMETRY.is_valid(reading)
    parsed = parse_state(json.dumps(reading), NOW, topic_device_id="m1")
    assert (parsed.boot, parsed.dropped) == (1, 2)
    # A reboot: the next boot, uptime from 0, the buffer and its count gone
    # (RAM), the energy register kept (NVS).
    meter.restart(NOW)
    after = parse_state(json.dumps(meter.reading(NOW + 10)), NOW + 10)
    assert (after.boot, after.dropped, after.uptime) == (2, None, 10)
    assert meter.buffered == 0
    assert after.energy is not None
    assert parsed.energy is not None
    assert after.energy >= parsed.energy
    # The shapes of other firmwares carry neither.
    for shape in ("camel", "snake"):
        other = SimulatedMeter("m1", shape=shape).reading(NOW)
        assert "boot" not in other
        assert "dropped" not in other


def test_simulator_boot_counter_persists_with_the_energy(tmp_path: Path) -> None:
    meter = SimulatedMeter("m1", energy_kwh=7.0, state_dir=tmp_path)
    assert meter.boot == 1
    meter.reading(NOW - 3600)
    meter.tick(NOW)  # an hour at 1103 W, stored
    assert meter.energy_kwh == pytest.approx(8.103, abs=1e-6)
    again = SimulatedMeter("m1", energy_kwh=0.0, state_dir=tmp_path)  # a new start
    assert again.boot == 2
    assert again.energy_kwh == pytest.approx(8.103, abs=1e-6)
    again.restart(NOW)
    assert again.boot == 3
    assert SimulatedMeter("m1", state_dir=tmp_path).boot == 4
    assert SimulatedMeter("m2", state_dir=tmp_path).boot == 1  # per device
    (tmp_path / "m3.json").write_text("{broken")
    assert SimulatedMeter("m3", state_dir=tmp_path, energy_kwh=1.5).energy_kwh == 1.5
    assert SimulatedMeter("m4", boot=None).reading(NOW).get("boot") is None
    with pytest.raises(ValueError, match="boot"):
        SimulatedMeter("m5", boot=2**32)
