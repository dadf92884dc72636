"""Shelly status parsing on hostile documents: only ``StatusError``, and the rule.

The module's rule (see ``status.py``): the fields a metered relay cannot do
without raise ``StatusError`` when they are bad; every other field is read
leniently, its bad part ignored. The documents here are recursive JSON values
with huge integers, NaN / infinities / -0.0 and non-ASCII digits in component
keys, as well as the captured fixtures with one field replaced by garbage.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

from custom_components.intelergy.core.shelly.client import (
    DeviceStatus,
    StatusError,
    parse_gen1,
    parse_rpc,
    switch_ids,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "shelly"
GEN1 = json.loads((FIXTURES / "gen1_plug_s_SHPLG-S.json").read_text())
GEN4 = json.loads((FIXTURES / "gen4_power_strip_S4PL-00416EU.json").read_text())

MANY = settings(
    max_examples=1500,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

NUMBERS = (
    st.integers()
    | st.floats()  # NaN, infinities, -0.0, subnormals
    # JSON integers too large for a float, and the float extremes.
    | st.sampled_from([10**400, -(10**309), math.nan, math.inf, -0.0, 1e308])
)
# Digits of any script: Arabic-Indic, Devanagari, fullwidth ... ("²" is No, not Nd).
DIGITS = st.text(st.characters(categories=["Nd"]), min_size=1, max_size=3)
TEXT = st.text(max_size=5) | DIGITS
JSON = st.recursive(
    st.none() | st.booleans() | NUMBERS | TEXT,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(TEXT, children, max_size=3)
    ),
    max_leaves=5,
)
SWITCH_KEYS = (
    st.integers(0, 12).map(lambda i: f"switch:{i}")
    | DIGITS.map(lambda digits: f"switch:{digits}")
    | st.integers(0, 12).map(lambda i: f"switch:0{i}")
    | st.sampled_from(["switch:²", "switch: 1", "switch:", "switch:1.0", "sys"])
    | st.text(max_size=10)
)
ERRORS = st.lists(
    st.sampled_from(["overpower", "overcurrent", "overtemp"]) | JSON, max_size=3
)
SWITCH = st.fixed_dictionaries(
    {},
    optional={
        "output": st.booleans() | JSON,
        "apower": NUMBERS | JSON,
        "voltage": NUMBERS,
        "aenergy": st.fixed_dictionaries({"total": NUMBERS}) | JSON,
        "temperature": st.fixed_dictionaries({"tC": NUMBERS}) | JSON,
        "errors": ERRORS | JSON,
    },
)
RPC_STATUS = st.dictionaries(SWITCH_KEYS, SWITCH | JSON, max_size=4) | (
    st.fixed_dictionaries(
        {"switch:0": SWITCH},
        optional={
            "sys": JSON,
            "wifi": JSON,
            "switch:1": SWITCH,
            "switch:\u0661": SWITCH,
        },
    )
)
RPC_CONFIG = st.dictionaries(
    SWITCH_KEYS, st.fixed_dictionaries({}, optional={"name": JSON}) | JSON, max_size=3
)


def assert_sound(status: DeviceStatus) -> None:
    """Every number finite or None; ids unique and sorted; flags are bools."""
    ids = [channel.id for channel in status.channels]
    assert ids == sorted(set(ids))
    for channel in status.channels:
        assert isinstance(channel.output, bool)
        assert isinstance(channel.overpower, bool)
        for value in (
            channel.power,
            channel.energy_wh,
            channel.voltage,
            channel.current,
            channel.power_factor,
            channel.frequency,
        ):
            assert value is None or (type(value) is float and math.isfinite(value))
        assert channel.name is None or (channel.name and channel.name.strip())
    assert status.temperature is None or math.isfinite(status.temperature)
    assert isinstance(status.overtemperature, bool)
    assert status.rssi is None or type(status.rssi) is int
    assert status.uptime is None or type(status.uptime) is int


@MANY
@given(RPC_STATUS | JSON, RPC_CONFIG | JSON)
def test_rpc_documents_parse_or_raise_status_error(status: Any, config: Any) -> None:
    try:
        parsed = parse_rpc(status, config)
    except StatusError:
        return
    assert_sound(parsed)
    # The channels are exactly the switch components, each read from its own key.
    ids = switch_ids(status)
    assert [channel.id for channel in parsed.channels] == ids
    for channel in parsed.channels:
        component = status[f"switch:{channel.id}"]
        assert channel.output is component["output"]
    assert any("apower" in status[f"switch:{i}"] for i in ids)


def is_switch_key(key: str) -> bool:
    """The rule, written out: ``switch:`` and an ASCII id without a leading zero."""
    number = key.removeprefix("switch:")
    return (
        key.startswith("switch:")
        and 0 < len(number) <= 9
        and all(char in "0123456789" for char in number)
        and (number == "0" or not number.startswith("0"))
    )


@MANY
@given(st.dictionaries(SWITCH_KEYS | TEXT, st.just({}), max_size=5))
def test_switch_ids_name_keys_that_are_there(status: dict[str, Any]) -> None:
    ids = switch_ids(status)
    assert ids == sorted(int(key[7:]) for key in status if is_switch_key(key))
    for switch_id in ids:
        assert f"switch:{switch_id}" in status  # the dropped push was a KeyError


GEN1_STATUS = st.fixed_dictionaries(
    {},
    optional={
        "relays": st.lists(
            st.fixed_dictionaries({"ison": st.booleans() | JSON}) | JSON, max_size=3
        )
        | JSON,
        "meters": st.lists(
            st.fixed_dictionaries(
                {}, optional={"power": NUMBERS, "total": NUMBERS, "is_valid": JSON}
            )
            | JSON,
            max_size=3,
        ),
        "temperature": NUMBERS,
        "uptime": NUMBERS,
    },
)
GEN1_SETTINGS = st.fixed_dictionaries(
    {}, optional={"relays": st.lists(st.fixed_dictionaries({"name": JSON}) | JSON)}
)


@settings(MANY, max_examples=1000)
@given(GEN1_STATUS | JSON, GEN1_SETTINGS | JSON)
def test_gen1_documents_parse_or_raise_status_error(status: Any, names: Any) -> None:
    try:
        parsed = parse_gen1(status, names)
    except StatusError:
        return
    assert_sound(parsed)
    assert len(parsed.channels) == len(status["relays"])
    for channel, relay in zip(parsed.channels, status["relays"], strict=True):
        assert channel.output is relay["ison"]


# --- The fixtures with one field replaced: only required fields raise -----------

REQUIRED_RPC = [(f"switch:{index}", "output") for index in range(4)]
LENIENT_RPC = [
    ("switch:0", "apower"),  # the other switches keep the device metered
    ("switch:1", "aenergy"),
    ("switch:1", "errors"),
    ("switch:2", "voltage"),
    ("switch:2", "temperature"),
    ("switch:3", "pf"),
    ("switch:3", "freq"),
    ("switch:3", "current"),
    ("switch:3", "name"),
    ("sys", None),
    ("wifi", None),
    ("switch:\u0663", None),  # a key that is no switch: another component
]
BEFORE = parse_rpc(GEN4["status"], GEN4["config"])


@MANY
@given(st.sampled_from(REQUIRED_RPC + LENIENT_RPC), JSON, JSON)
def test_one_bad_field_of_a_push_is_ignored_unless_required(
    where: tuple[str, str | None], garbage: Any, config: Any
) -> None:
    status = dict(GEN4["status"])  # parsing never writes: shallow copies do
    component, field = where
    status[component] = (
        garbage if field is None else {**status[component], field: garbage}
    )
    if where in REQUIRED_RPC and not isinstance(garbage, bool):
        with pytest.raises(StatusError, match="output"):
            parse_rpc(status, config)
        return
    parsed = parse_rpc(status, config)  # config garbage too: at most no names
    assert_sound(parsed)
    assert [channel.id for channel in parsed.channels] == [0, 1, 2, 3]
    touched = {int(component[7:])} if is_switch_key(component) else set()
    for index in {0, 1, 2, 3} - touched:  # what was not touched reads as before
        assert parsed.channels[index].power == BEFORE.channels[index].power
        assert parsed.channels[index].energy_wh == BEFORE.channels[index].energy_wh


@MANY
@given(
    st.sampled_from(["power", "total", "is_valid", None]),
    st.sampled_from(["temperature", "tmp", "wifi_sta", "uptime", "overtemperature"]),
    JSON,
)
def test_one_bad_optional_field_of_a_gen1_status_is_ignored(
    meter_field: str | None, device_field: str, garbage: Any
) -> None:
    meter = GEN1["status"]["meters"][0]
    status = {
        **GEN1["status"],
        "meters": [garbage if meter_field is None else {**meter, meter_field: garbage}],
        device_field: garbage,
    }
    parsed = parse_gen1(status, garbage)  # settings garbage too: no names
    assert_sound(parsed)
    assert parsed.channels[0].output is True
