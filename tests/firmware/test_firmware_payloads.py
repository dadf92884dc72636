"""What the firmware's serializer wrote, through the integration's parser and the schemas.

``meter_tests --payloads`` (firmware/esp32-meter/test/payloads.cpp) prints one JSON
line per message the C++ core produced: every reading ``contract/mqtt/vectors.json``
expects, re-serialized by the firmware; every message of three simulated meter runs
(PZEM-004T, INA219, ADC front ends on simulated hardware, through relay commands, an
over-current trip and an outage that overflows the offline buffer, on the meter's
third boot); extreme readings.
The same lines are checked on the C++ side (``Payloads.DumpIsCompleteAndConsistent``):
here ``parse_state`` / ``parse_backlog`` / ``parse_relay_state`` must accept them and the
JSON Schemas validate them.
"""

from __future__ import annotations

from collections import defaultdict
import json
from pathlib import Path
import subprocess
import time
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource

from custom_components.intelergy.core.esp32.client import (
    MAX_BACKLOG_BYTES,
    MAX_BACKLOG_READINGS,
    MAX_STATE_BYTES,
    Reading,
    parse_backlog,
    parse_relay_state,
    parse_state,
)
from custom_components.intelergy.core.esp32.ota import parse_ota

from .conftest import ROOT

CONTRACT = ROOT / "contract" / "mqtt"
VECTORS: dict[str, Any] = json.loads((CONTRACT / "vectors.json").read_text())
VECTORS_NOW = float(VECTORS["now"])
# The first test may build the firmware (scripts/test has built it already).
pytestmark = pytest.mark.timeout(300)

RUNS = ("run:PZEM-004T", "run:INA219", "run:ADC (ACS712/SCT013 + ZMPT101B)")
ESP32_CHUNK_BYTES = 8192  # the runs' backlog messages, as on the ESP32
ESP32_CHUNK_READINGS = 50


def schema(name: str) -> jsonschema.protocols.Validator:
    """A validator of ``contract/mqtt/<name>``, with the other schemas as references."""
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
OTA = schema("ota.schema.json")


@pytest.fixture(scope="module")
def lines(meter_tests_binary: Path) -> list[dict[str, Any]]:
    """Every line ``meter_tests --payloads`` printed."""
    result = subprocess.run(  # noqa: S603 - the repo's own test binary
        [str(meter_tests_binary), "--payloads", str(CONTRACT / "vectors.json")],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    parsed = [json.loads(line) for line in result.stdout.splitlines()]
    assert parsed, result.stderr
    return parsed


def of(
    lines: list[dict[str, Any]], source: str, kind: str | None = None
) -> list[dict[str, Any]]:
    """The lines from ``source`` (and of ``kind``)."""
    return [
        line
        for line in lines
        if line["source"] == source and kind in (None, line["kind"])
    ]


def as_dict(reading: Reading) -> dict[str, Any]:
    """``reading`` as vectors.json writes it (the firmware writes no unknown field)."""
    assert reading.unknown == ()
    return reading.as_dict()


def test_every_expected_state_reading_round_trips(lines: list[dict[str, Any]]) -> None:
    states = of(lines, "vector", "state")
    assert len(states) == sum("expect" in v for v in VECTORS["state"])
    for line in states:
        payload = line["payload"]
        reading = parse_state(
            payload, VECTORS_NOW, topic_device_id=line["topic_device_id"]
        )
        # The firmware writes no unknown field: the vectors' own are gone.
        assert as_dict(reading) == {**line["expect"], "unknown": []}, line["name"]
        TELEMETRY.validate(json.loads(payload))


def test_every_expected_backlog_round_trips(lines: list[dict[str, Any]]) -> None:
    backlogs = of(lines, "vector", "backlog")
    assert len(backlogs) == sum("expect" in v for v in VECTORS["backlog"])
    for line in backlogs:
        readings = parse_backlog(
            line["payload"], VECTORS_NOW, topic_device_id=line["topic_device_id"]
        )
        # Backlog readings leave the device id to the topic.
        expected = [{**expect, "device_id": None} for expect in line["expect"]]
        assert [as_dict(r) for r in readings] == expected, line["name"]
        BACKLOG.validate(json.loads(line["payload"]))


@pytest.mark.parametrize("source", RUNS)
def test_simulated_meter_runs_speak_the_contract(
    lines: list[dict[str, Any]], source: str
) -> None:
    run = of(lines, source)
    now = time.time()
    device = run[0]["topic_device_id"]
    kinds: dict[str, int] = defaultdict(int)
    backlog_readings = 0
    timeline: list[tuple[float, float]] = []  # (timestamp, energy) of every reading
    relays: dict[str, list[bool]] = defaultdict(list)
    dropped_seen: list[int | None] = []  # ``dropped`` of every state message, in order
    for line in run:
        kinds[line["kind"]] += 1
        payload: str = line["payload"]
        assert line["topic"].startswith(f"intelergy/{device}/")
        if line["kind"] == "state":
            assert not line["retain"]
            assert len(payload.encode()) <= MAX_STATE_BYTES
            TELEMETRY.validate(json.loads(payload))
            reading = parse_state(payload, now, topic_device_id=device)
            assert reading.device_id == device
            assert reading.interval == 5.0
            assert reading.relays is not None
            assert len(reading.relays) == 2
            assert reading.rssi == -67
            assert reading.unknown == ()
            assert reading.energy is not None
            assert reading.uptime is not None
            assert reading.boot == line["boot"] == 3
            assert reading.dropped in (None, line["dropped"])
            dropped_seen.append(reading.dropped)
            if reading.timestamp is None:
                # The ADC run's clock is set by "SNTP" 45 s after boot: before
                # that, readings go out without a timestamp.
                assert source == RUNS[2]
                assert reading.uptime < 45
            else:
                timeline.append((reading.timestamp, reading.energy))
        elif line["kind"] == "backlog":
            assert not line["retain"]
            assert len(payload.encode()) <= min(ESP32_CHUNK_BYTES, MAX_BACKLOG_BYTES)
            BACKLOG.validate(json.loads(payload))
            backlog = parse_backlog(payload, now, topic_device_id=device)
            assert 0 < len(backlog) <= min(ESP32_CHUNK_READINGS, MAX_BACKLOG_READINGS)
            assert all(r.boot == line["boot"] for r in backlog)
            assert all(r.dropped is None for r in backlog)
            backlog_readings += len(backlog)
            # Sent oldest first: the parser's sorting changes nothing.
            sent = [item["timestamp"] for item in json.loads(payload)]
            assert sent == sorted(sent)
            assert len(set(sent)) == len(sent)
            timeline.extend(
                (r.timestamp, r.energy)
                for r in backlog
                if r.timestamp is not None and r.energy is not None
            )
        elif line["kind"] == "relay":
            assert line["retain"]
            relays[line["topic"].rsplit("/", 1)[1]].append(parse_relay_state(payload))
        else:
            assert line["kind"] == "availability"
            assert line["retain"]
            assert payload in ("online", "offline")
    assert kinds["state"] > 100
    # The 30-minute outage filled the 200-reading buffer (the oldest were dropped);
    # cut into messages of at most 50 readings and 8 KiB.
    assert kinds["backlog"] >= 4
    assert backlog_readings >= 200
    assert kinds["availability"] == 3  # online, online again, offline at shutdown
    assert run[-1]["payload"] == "offline"
    assert all(line["dropped"] > 0 for line in run)
    # ``dropped`` from the first state message after the outage on, in every one.
    first = dropped_seen.index(run[0]["dropped"])
    assert set(dropped_seen[:first]) == {None}
    assert set(dropped_seen[first:]) == {run[0]["dropped"]}
    assert len(dropped_seen) - first > 100
    # Every reading once, in time order, energy never going down.
    times = [t for t, _ in timeline]
    assert times == sorted(times)
    assert len(set(times)) == len(times)
    energies = [e for _, e in timeline]
    assert energies == sorted(energies)
    assert energies[-1] > energies[0]
    # Relay 0: on, switched off by a command, on again by "on" (lower case), then
    # the over-current cut-off switched both off, with nobody asking.
    assert relays["0"][0] is True
    assert False in relays["0"]
    assert relays["0"][-1] is False
    assert relays["1"][-1] is False


def test_extreme_readings_are_accepted(lines: list[dict[str, Any]]) -> None:
    edges = of(lines, "edge")
    assert len(edges) == 3
    for line in edges:
        TELEMETRY.validate(json.loads(line["payload"]))
        reading = parse_state(
            line["payload"], time.time(), topic_device_id=line["topic_device_id"]
        )
        assert reading.power is not None or reading.energy is not None, line["name"]
    largest = parse_state(edges[0]["payload"], time.time())
    assert largest.relays is not None
    assert len(largest.relays) == 16
    assert largest.energy == pytest.approx(999999999.999999)
    assert largest.uptime == pytest.approx(9999999999.999)
    assert (largest.boot, largest.dropped) == (2**32 - 1, 2**32 - 1)
    zeros = parse_state(edges[1]["payload"], time.time())
    assert (zeros.boot, zeros.dropped) == (0, 0)


def test_ota_reports_speak_the_contract(lines: list[dict[str, Any]]) -> None:
    # A meter running 0.1.0 after a good update and after every attack its core
    # refuses, then the new firmware after the restart: retained on ``…/ota``.
    reports = of(lines, "ota")
    assert [line["name"] for line in reports] == [
        "good",
        "flipped byte",
        "another key",
        "forged",
        "truncated",
        "downgrade",
        "wrong size",
        "not signed",
        "HTTP error",
        "after the restart",
    ]
    for line in reports:
        assert line["topic"] == "intelergy/ota-meter/ota"
        assert line["retain"]
        OTA.validate(json.loads(line["payload"]))
        report = parse_ota(line["payload"])
        assert report.result == line["result"]
        assert report.known_result
        assert report.target == (line["target"] or None)
        assert report.at == 1795428000
        assert report.unknown == ()
    results = {line["name"]: parse_ota(line["payload"]) for line in reports}
    assert results["good"].version == "0.1.0"
    assert results["after the restart"].version == "0.2.0"
    assert [results[name].result for name in ("flipped byte", "forged")] == [
        "bad_signature",
        "bad_signature",
    ]
    assert results["another key"].result == "wrong_key"
    assert results["downgrade"].target == "0.0.9"
