"""Parsing Gen1 and Gen2+ status documents from the captured fixtures."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from custom_components.intelergy.core.shelly.client import (
    StatusError,
    parse_gen1,
    parse_rpc,
    switch_ids,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "shelly"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())


GEN1 = fixture("gen1_plug_s_SHPLG-S")
GEN4 = fixture("gen4_power_strip_S4PL-00416EU")


def test_gen1_plug_s() -> None:
    status = parse_gen1(GEN1["status"], GEN1["settings"])
    assert len(status.channels) == 1
    channel = status.channels[0]
    assert channel.output is True
    assert channel.power == 48.61
    # total is watt-minutes: 1530762 Wmin = 25512.7 Wh
    assert channel.energy_wh == pytest.approx(1530762 / 60)
    assert channel.voltage is None  # the Plug S measures power only
    assert channel.overpower is False
    assert channel.name is None
    assert status.temperature == 28.71
    assert status.overtemperature is False
    assert status.rssi == -58
    assert status.uptime == 1247036


def test_gen1_flags_names_and_invalid_meter() -> None:
    raw = copy.deepcopy(GEN1["status"])
    raw["relays"][0]["overpower"] = True
    raw["overtemperature"] = True
    raw["meters"][0]["is_valid"] = False
    del raw["temperature"]
    settings = {"relays": [{"name": " Kettle "}]}
    status = parse_gen1(raw, settings)
    channel = status.channels[0]
    assert channel.overpower is True
    assert channel.power is None
    assert channel.energy_wh is None
    assert channel.name == "Kettle"
    assert status.overtemperature is True
    assert status.temperature == 28.71  # from tmp.tC


@pytest.mark.parametrize(
    "change",
    [
        lambda s: s.pop("relays"),
        lambda s: s.__setitem__("relays", []),
        lambda s: s["relays"][0].__setitem__("ison", "yes"),
        lambda s: s.__setitem__("meters", None),
        lambda s: s.__setitem__("meters", []),  # a Shelly 1: a relay, no meter
    ],
)
def test_gen1_rejects_documents_without_a_metered_relay(change: Any) -> None:
    raw = copy.deepcopy(GEN1["status"])
    change(raw)
    with pytest.raises(StatusError):
        parse_gen1(raw, GEN1["settings"])


def test_gen1_tolerates_odd_values() -> None:
    raw = copy.deepcopy(GEN1["status"])
    raw["meters"][0]["power"] = float("nan")
    raw["meters"][0]["total"] = "12"
    raw["wifi_sta"] = "down"
    raw["uptime"] = True
    raw["tmp"]["is_valid"] = False
    del raw["temperature"]
    status = parse_gen1(raw, {"relays": "bad"})
    assert status.channels[0].power is None
    assert status.channels[0].energy_wh is None
    assert status.rssi is None
    assert status.uptime is None
    assert status.temperature is None
    # a second relay without a meter entry
    raw["relays"].append({"ison": False})
    raw["meters"].append("garbage")
    status = parse_gen1(raw, {"relays": [None]})
    assert status.channels[1].power is None
    assert status.channels[0].name is None


def test_gen4_power_strip() -> None:
    status = parse_rpc(GEN4["status"], GEN4["config"])
    assert [c.id for c in status.channels] == [0, 1, 2, 3]
    first, second, third, fourth = status.channels
    assert first.name is None
    assert second.name == "Switch 1 name"
    assert third.output is False
    assert fourth.power == 15.4
    assert fourth.energy_wh == 18440.297
    assert fourth.voltage == 231.2
    assert fourth.current == 0.169
    assert fourth.power_factor == 0.62
    assert fourth.frequency == 50.0
    assert status.rssi == -68
    assert status.uptime == 4658036
    assert status.temperature is None  # the dump has no switch temperatures
    assert status.overtemperature is False


def test_gen2_errors_and_temperature() -> None:
    raw = copy.deepcopy(GEN4["status"])
    raw["switch:0"]["errors"] = ["overpower"]
    raw["switch:1"]["errors"] = ["overtemp"]
    raw["switch:0"]["temperature"] = {"tC": 40.5, "tF": 104.9}
    raw["switch:1"]["temperature"] = {"tC": 42.0, "tF": 107.6}
    raw["switch:2"]["aenergy"] = None
    raw["sys"] = None
    raw["wifi"] = None
    status = parse_rpc(raw, {"switch:0": None})
    assert status.channels[0].overpower is True
    assert status.channels[1].overpower is False
    assert status.overtemperature is True
    assert status.temperature == 42.0
    assert status.channels[2].energy_wh is None
    assert status.uptime is None
    assert status.rssi is None


def test_switch_ids_and_rejections() -> None:
    assert switch_ids(
        {"switch:10": {}, "switch:2": {}, "input:0": {}, "switch:x": {}}
    ) == [
        2,
        10,
    ]
    with pytest.raises(StatusError):
        parse_rpc({"sys": {}}, {})
    with pytest.raises(StatusError):
        parse_rpc({"switch:0": {"output": None, "apower": 1.0}}, {})
    with pytest.raises(StatusError, match="metered"):  # a Plus 1: no power meter
        parse_rpc({"switch:0": {"output": True}}, {})


# --- Regressions: malformed documents once crashed with foreign errors ----------


def test_error_entries_that_are_not_strings_are_ignored() -> None:
    # Was TypeError (a list is unhashable): the push was dropped.
    status = parse_rpc(
        {"switch:0": {"output": True, "apower": 1.0, "errors": [[1], "overpower"]}}, {}
    )
    assert status.channels[0].overpower is True


@pytest.mark.parametrize("key", ["switch:٣", "switch:²", "switch:01", "switch: 1"])
def test_switch_keys_that_are_not_plain_ids_are_not_switches(key: str) -> None:
    # "switch:٣" (an Arabic-Indic 3) was KeyError "switch:3", "switch:²" ValueError.
    status = parse_rpc(
        {"switch:0": {"output": True, "apower": 1.0}, key: {"output": False}}, {}
    )
    assert [channel.id for channel in status.channels] == [0]
    assert switch_ids({key: {}}) == []


def test_numbers_too_big_for_a_float_are_not_reported() -> None:
    # Was OverflowError (JSON integers have no size limit).
    huge = 10**400
    status = parse_rpc(
        {"switch:0": {"output": True, "apower": huge, "aenergy": {"total": huge}}}, {}
    )
    assert (status.channels[0].power, status.channels[0].energy_wh) == (None, None)
    gen1 = parse_gen1(
        {"relays": [{"ison": True}], "meters": [{"power": huge}], "uptime": huge}, {}
    )
    assert gen1.channels[0].power is None
    assert gen1.uptime is None


def test_documents_that_are_not_objects_are_status_errors() -> None:
    # Were AttributeError / TypeError.
    with pytest.raises(StatusError):
        parse_rpc(None, {})  # type: ignore[arg-type]
    with pytest.raises(StatusError):
        parse_gen1([], {})  # type: ignore[arg-type]
    # A settings or config document that is not an object only loses the names.
    metered = {"output": True, "apower": 1.0}
    assert parse_rpc({"switch:0": metered}, None).channels[0].name is None  # type: ignore[arg-type]
    gen1 = parse_gen1({"relays": [{"ison": True}], "meters": [{}]}, None)  # type: ignore[arg-type]
    assert gen1.channels[0].name is None
