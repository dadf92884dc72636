"""Property tests of the MQTT contract's parser: nothing but ``PayloadError`` escapes.

``parse_state`` / ``parse_backlog`` / ``parse_relay_state`` get arbitrary bytes, text
and JSON (every contract field name and alias mapped to arbitrary JSON values:
nested lists and objects, integers far past 64 bits, floats with -0.0, NaN and
infinities, strings of non-ASCII digits, ISO 8601 look-alikes); ``parse_reading``
gets the same values as Python objects, as a caller in the integration could. A
parse either succeeds or raises ``PayloadError`` with a contract error code.

Two more properties: a valid reading (every field within its bounds, under any of
its names) parses to exactly the values given, and the parser is never more
lenient than the JSON Schema (whatever it accepts, the schema accepts).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
import json
import math
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

from custom_components.intelergy.core.esp32.client import (
    ALIASES,
    BOUNDS,
    CLOCK_VALID_FROM,
    DIVISORS,
    INTEGER_BOUNDS,
    KNOWN,
    MAX_FUTURE_SECONDS,
    PayloadError,
    parse_backlog,
    parse_reading,
    parse_relay_state,
    parse_state,
)

from .test_contract import BACKLOG, TELEMETRY

NOW = 1_795_428_000.0  # vectors.json's "now"
CODES = {
    "not_json",
    "not_object",
    "too_large",
    "wrong_type",
    "out_of_range",
    "missing_field",
    "device_mismatch",
    "future_timestamp",
    "too_many_readings",
}
FIELD_NAMES = (*sorted(KNOWN), *sorted(ALIASES))


def examples(count: int) -> settings:
    """``count`` examples, however long one takes (the whole file: about 15 s)."""
    return settings(
        max_examples=count,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# Strings a sloppy parser might take for numbers, timestamps or relay states.
TRICKY_STRINGS = (
    "", " ", "0", "1", "-0", "1.0", "1e309", "nan", "NaN", "Infinity", "-Infinity",
    "١", "٣", "١٢٣", "１２３", "𝟏", "½", "²", "੧", "ON", "on", "oﬀ", "OFF\u00a0", "true",  # noqa: RUF001
    "null", "\x00", "\ud800", "2026-11-23T10:00:00Z", "2026-11-23T10:00:00",
    "20261123T100000Z", "2026-W47-1T10:00Z", "2026-11-23T10Z", "2026-11-23T10:00:00,5Z",
    "2026-13-01T00:00:00Z", "2026-11-23T10:00:00+24:00", "2026-11-23T10:00:00+99:99",
    "0000-01-01T00:00:00Z", "0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59",
    "٢٠٢٦-١١-٢٣T١٠:٠٠:٠٠Z", "２０２６-11-23T10:00:00Z", "2026-11-23T10:00:00Z\n",  # noqa: RUF001
    "2026-11-23T10:00:00." + "9" * 60 + "Z", "meter-01", "meter 01", "a" * 65, "9" * 400,
)  # fmt: skip
# Numbers at and around the contract's bounds, and past every machine type.
TRICKY_NUMBERS = (
    0, -0.0, 0.0, 1, -1, 0.5, 1.5, 3.0, 1e2, 16, 17, 86400, 86401, 1e9, 1e10, 1e12,
    2e12, 1e6, 1000, 1000.0001, -150, -151, 2**31, 2**32 - 1, 2**32, 2**32 - 1.0,
    2**53 + 1, 2**63, 2**64, -(2**63) - 1, 10**30, 10**400, -(10**400), 1e308,
    -1e308, 5e-324, math.inf, -math.inf, math.nan, CLOCK_VALID_FROM, NOW, NOW + 301,
)  # fmt: skip

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**53, max_value=2**1400) | st.integers(max_value=-(2**53)),
    st.floats(),  # NaN and infinities included: not JSON, or out of range
    st.sampled_from(TRICKY_NUMBERS),
    st.text(max_size=30),
    st.text(st.characters(categories=["Nd", "No"]), max_size=12),  # non-ASCII digits
    st.sampled_from(TRICKY_STRINGS),
)
keys = st.sampled_from(FIELD_NAMES) | st.text(max_size=12)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4)
    ),
    max_leaves=10,
)
# Objects shaped like readings: contract names and aliases mapped to anything
# (mostly scalars: a field of about the right type is where a parser does most).
readingish = st.dictionaries(
    st.sampled_from(FIELD_NAMES) | keys, scalars | json_values, max_size=8
)
anything = json_values | readingish | st.lists(readingish, max_size=4)


def strict_json(value: Any) -> bool:
    """Whether ``value`` is nothing orjson refuses (NaN, beyond a double, lone surrogates)."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, str):
        return not any("\ud800" <= c <= "\udfff" for c in value)
    return not isinstance(value, int) or abs(value) < 1e308


def dumps(value: Any, *, ascii_only: bool) -> str:
    """``value`` as JSON text (NaN and infinities as Python writes them: not JSON)."""
    return json.dumps(value, ensure_ascii=ascii_only)


def refuses_only_with_codes(parse: Any, *args: Any, **kwargs: Any) -> Any:
    """Call ``parse``; nothing but ``PayloadError`` with a contract code may escape."""
    try:
        return parse(*args, **kwargs)
    except PayloadError as err:
        error = err
    assert error.code in CODES, error.code
    assert str(error), error.code
    assert "\n" not in str(error)  # one log line, whatever the meter sent
    return error


@examples(3000)
@given(st.binary(max_size=600) | st.sampled_from((b"\xff\xfe{", b"\xed\xa0\x80")))
def test_arbitrary_bytes(payload: bytes) -> None:
    refuses_only_with_codes(parse_state, payload, NOW)
    refuses_only_with_codes(parse_backlog, payload, NOW)
    refuses_only_with_codes(parse_relay_state, payload)


@examples(3000)
@given(st.text(max_size=300) | st.sampled_from(TRICKY_STRINGS))
def test_arbitrary_text(payload: str) -> None:
    refuses_only_with_codes(parse_state, payload, NOW, topic_device_id="m1")
    refuses_only_with_codes(parse_backlog, payload, NOW)
    refuses_only_with_codes(parse_relay_state, payload)


@examples(2000)
@given(anything, st.booleans(), st.sampled_from((None, "m1", "meter-01")))
def test_arbitrary_json(value: Any, ascii_only: bool, topic: str | None) -> None:
    text = dumps(value, ascii_only=ascii_only)
    for payload in (text, text.encode(errors="surrogatepass")):
        refuses_only_with_codes(parse_state, payload, NOW, topic_device_id=topic)
        refuses_only_with_codes(parse_backlog, payload, NOW, topic_device_id=topic)
        refuses_only_with_codes(parse_relay_state, payload)
    # As Python objects, straight to the reading parser (no JSON on the way:
    # integers past a double, NaN and lone surrogates arrive as they are).
    for need_time in (False, True):
        refuses_only_with_codes(
            parse_reading, value, NOW, topic_device_id=topic, need_time=need_time
        )


@examples(500)
@given(st.lists(readingish, min_size=1, max_size=3), st.integers(0, 4))
def test_arbitrary_backlog_around_valid_readings(
    items: list[dict[str, Any]], at: int
) -> None:
    # One arbitrary reading among valid ones: all or nothing, never a crash.
    valid = [{"timestamp": NOW - 3600 + i, "energy": 1.0 + i} for i in range(4)]
    backlog = [*valid[:at], *items, *valid[at:]]
    refuses_only_with_codes(parse_backlog, dumps(backlog, ascii_only=True), NOW)


def test_missing_field_names_what_was_received() -> None:
    # What was missing and what was seen (names only, at most ten, cut short).
    with pytest.raises(PayloadError) as err:
        parse_state('{"foo": 1, "Energy": 5, "watts": 12}', NOW)
    assert err.value.code == "missing_field"
    assert "neither power nor energy" in str(err.value)
    assert "foo, Energy, watts" in str(err.value)
    payload = {f"field_{n}": 10**30 for n in range(25)} | {"x" * 500: 1, "a\nb": 2}
    with pytest.raises(PayloadError) as err:
        parse_state(json.dumps(payload), NOW)
    message = str(err.value)
    assert "field_0, field_1" in message
    assert "field_9 and 17 more" in message
    assert "field_10" not in message
    assert "1000" not in message  # no values
    assert len(message) < 300
    with pytest.raises(PayloadError) as err:
        parse_state(json.dumps({"a\nb": 1, "x" * 500: 1}), NOW)
    assert "\n" not in str(err.value)
    assert "x" * 33 not in str(err.value)
    with pytest.raises(PayloadError) as err:
        parse_state("{}", NOW)
    assert "empty object" in str(err.value)
    with pytest.raises(PayloadError) as err:
        parse_backlog('[{"energy": 1, "timestamp": 1795420800}, {"power": 5}]', NOW)
    assert err.value.code == "missing_field"
    assert "reading 1" in str(err.value)
    assert "power" in str(err.value)


# --- valid readings parse to the values given ----------------------------------
# (Strategies built once: hypothesis validates each new strategy object anew.)
def _bounded(low: float, high: float) -> st.SearchStrategy[float | int]:
    """Numbers within [low, high], as floats or integers, the bounds included."""
    floats = st.floats(min_value=low, max_value=high, allow_subnormal=low <= 0)
    integers = st.integers(math.ceil(low), math.floor(high))
    return floats | integers | st.sampled_from((low, high))


def _counter(low: int, high: int) -> st.SearchStrategy[int | float]:
    """Integers within bounds, some of them as integral floats (3.0)."""
    integers = st.integers(low, high) | st.sampled_from((low, high))
    return integers | integers.map(float)


FIELDS_UNDER: dict[str, tuple[str, ...]] = {  # the names each field may go under
    name: (name, *(alias for alias, to in ALIASES.items() if to == name))
    for name in ("device_id", *BOUNDS)
}
VALUES_UNDER: dict[str, st.SearchStrategy[float | int]] = {
    key: _bounded(low * DIVISORS.get(key, 1.0), high * DIVISORS.get(key, 1.0))
    for name, (low, high) in BOUNDS.items()
    for key in FIELDS_UNDER[name]
}
NAMES_UNDER = {name: st.sampled_from(keys) for name, keys in FIELDS_UNDER.items()}
COUNTERS = {name: _counter(*bounds) for name, bounds in INTEGER_BOUNDS.items()}
NUMBER_FIELDS = st.sets(st.sampled_from(sorted(BOUNDS)))
POWER_OR_ENERGY = st.sampled_from(("power", "energy"))
RELAYS = st.lists(st.booleans(), max_size=16)
DEVICE_IDS = st.from_regex(r"\A[A-Za-z0-9_-]{1,64}\Z")
TIMESTAMP_KINDS = st.sampled_from(("none", "epoch", "unset", "iso"))
SET_EPOCHS = st.floats(CLOCK_VALID_FROM, NOW + MAX_FUTURE_SECONDS) | st.integers(
    int(CLOCK_VALID_FROM), int(NOW + MAX_FUTURE_SECONDS)
)
UNSET_EPOCHS = st.integers(0, int(CLOCK_VALID_FROM) - 1)
MOMENTS = st.datetimes(
    datetime(2020, 1, 1, 0, 0, 1),  # noqa: DTZ001 - made aware in valid_readings
    datetime(2026, 11, 23, 10, 0),  # noqa: DTZ001 - NOW
)
OFFSETS = st.integers(-23 * 60 - 59, 23 * 60 + 59)  # minutes
TIMESPECS = st.sampled_from(("seconds", "milliseconds", "microseconds"))
UNKNOWN_KEYS = st.lists(
    st.text(min_size=1, max_size=10).filter(lambda key: key not in FIELD_NAMES),
    max_size=3,
)
UNKNOWN_VALUES = scalars.filter(strict_json)


@st.composite
def valid_readings(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """A valid payload object and the reading it must parse to (``as_dict()``)."""
    payload: dict[str, Any] = {}
    expect: dict[str, Any] = dict.fromkeys(
        ("device_id", "timestamp", *BOUNDS, "relays", *INTEGER_BOUNDS)
    )
    fields = draw(NUMBER_FIELDS)
    if "power" not in fields and "energy" not in fields:
        fields.add(draw(POWER_OR_ENERGY))
    for name in sorted(fields):
        key = draw(NAMES_UNDER[name])
        value = draw(VALUES_UNDER[key])
        payload[key] = value
        expect[name] = float(value) / DIVISORS.get(key, 1.0)  # energy_wh: into kWh
    if expect["rssi"] is not None:
        expect["rssi"] = round(expect["rssi"])
    for name, counter in COUNTERS.items():
        if draw(st.booleans()):
            payload[name] = draw(counter)
            expect[name] = int(payload[name])
    if draw(st.booleans()):
        payload["relays"] = expect["relays"] = draw(RELAYS)
    if draw(st.booleans()):
        expect["device_id"] = draw(DEVICE_IDS)
        payload[draw(NAMES_UNDER["device_id"])] = expect["device_id"]
    kind = draw(TIMESTAMP_KINDS)
    if kind == "epoch":
        payload["timestamp"] = draw(SET_EPOCHS)
        expect["timestamp"] = float(payload["timestamp"])
    elif kind == "unset":  # the meter's clock is not set: ignored
        payload["timestamp"] = draw(UNSET_EPOCHS)
    elif kind == "iso":
        moment = draw(MOMENTS)
        offset = timedelta(minutes=draw(OFFSETS))
        timespec = draw(TIMESPECS)
        if timespec == "seconds":  # what the text leaves out is not expected
            moment = moment.replace(microsecond=0)
        elif timespec == "milliseconds":
            moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
        local = moment.replace(tzinfo=UTC).astimezone(timezone(offset))
        text = local.isoformat(timespec=timespec)
        if offset == timedelta(0) and draw(st.booleans()):
            text = text.replace("+00:00", "Z")
        payload["timestamp"] = text
        expect["timestamp"] = local.timestamp()
    unknown = draw(UNKNOWN_KEYS)
    for key in unknown:
        payload[key] = draw(UNKNOWN_VALUES)
    expect["unknown"] = sorted(set(unknown))
    return payload, expect


@examples(1500)
@given(valid_readings(), st.booleans())
def test_valid_readings_parse_to_the_values_given(
    case: tuple[dict[str, Any], dict[str, Any]], as_bytes: bool
) -> None:
    payload, expect = case
    text = json.dumps(payload)
    reading = parse_state(
        text.encode() if as_bytes else text, NOW, topic_device_id=expect["device_id"]
    )
    got = reading.as_dict()
    assert got == expect, text
    for name in INTEGER_BOUNDS:  # integers, never floats
        assert got[name] is None or type(got[name]) is int
    assert TELEMETRY.is_valid(json.loads(text)), text


@examples(200)
@given(st.lists(valid_readings(), max_size=6))
def test_valid_backlogs_parse_sorted_and_deduplicated(
    cases: list[tuple[dict[str, Any], dict[str, Any]]],
) -> None:
    items = [
        (payload, expect)
        for payload, expect in cases
        if expect["timestamp"] is not None and expect["energy"] is not None
    ]
    text = json.dumps([payload for payload, _ in items])
    readings = parse_backlog(text, NOW)
    by_time = {expect["timestamp"]: expect for _, expect in items}  # the last wins
    assert [r.as_dict() for r in readings] == [by_time[t] for t in sorted(by_time)]
    assert BACKLOG.is_valid(json.loads(text))


# --- never more lenient than the schema ----------------------------------------
@examples(500)
@given(readingish | json_values)
def test_what_the_parser_accepts_the_schema_accepts(value: Any) -> None:
    text = dumps(value, ascii_only=True)
    result = refuses_only_with_codes(parse_state, text, NOW)
    if not isinstance(result, PayloadError):
        assert TELEMETRY.is_valid(json.loads(text)), text


# --- what the properties found, pinned ------------------------------------------
@pytest.mark.parametrize(
    ("call", "code"),
    [
        # A str payload with a lone surrogate has no UTF-8: UnicodeEncodeError before.
        (lambda: parse_state('{"power": 1, "x": "\ud800"}', NOW), "not_json"),
        (lambda: parse_backlog('["\udfff"]', NOW), "not_json"),
        # Under the limit in characters, over it in UTF-8 bytes.
        (lambda: parse_state('{"power": 1, "x": "' + "é" * 2100 + '"}', NOW), "too_large"),
        # Integers beyond a double, as a caller's objects: OverflowError before.
        (lambda: parse_reading({"power": 10**400}, NOW), "out_of_range"),
        (lambda: parse_reading({"energy_wh": -(2**1100)}, NOW), "out_of_range"),
        (lambda: parse_reading({"power": 1, "timestamp": 10**400}, NOW), "out_of_range"),
        # ... and past str()'s 4300 digits, in the message.
        (lambda: parse_reading({"power": 1, "boot": 10**5000}, NOW), "out_of_range"),
        (lambda: parse_reading({"power": math.nan}, NOW), "out_of_range"),
        (lambda: parse_reading({"power": 1, "dropped": math.inf}, NOW), "out_of_range"),
        (lambda: parse_reading({"power": 1, "timestamp": -math.inf}, NOW), "out_of_range"),
        # Accepted before, refused by the schema: the parser was more lenient.
        (lambda: parse_state('{"power": 1, "timestamp": "2026-W47-1T10:00Z"}', NOW), "wrong_type"),
        (lambda: parse_state('{"power": 1, "timestamp": "2026-11-23T10Z"}', NOW), "wrong_type"),
        (lambda: parse_state('{"power": 1, "timestamp": -5}', NOW), "out_of_range"),
        (lambda: parse_state('{"power": 1, "deviceId": "a/b"}', NOW), "wrong_type"),
        (lambda: parse_relay_state("oﬀ".encode()), "wrong_type"),
        (lambda: parse_relay_state("\u2003ON"), "wrong_type"),
    ],
)  # fmt: skip
def test_what_the_properties_found(call: Any, code: str) -> None:
    with pytest.raises(PayloadError) as err:
        call()
    assert err.value.code == code
