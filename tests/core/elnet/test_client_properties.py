"""Property tests: whatever JSON the server sends, the parsers raise only typed errors.

``parse_live_updates`` / ``parse_home_data`` get arbitrary JSON (every known field
name mapped to arbitrary values: lists, objects, huge integers, NaN-like and
non-ASCII-digit strings; random extra keys; tops that are not objects) and the
captured payloads with fields replaced by arbitrary values. A parse either
succeeds with sane values or raises ``ElnetInvalidResponseError`` (or
``ElnetApiError`` when ``Status`` is not ``"Success"``); nothing else escapes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, tzinfo
import math
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings, strategies as st

from custom_components.intelergy.core.elnet.client import (
    ElnetApiError,
    ElnetInvalidResponseError,
    HomeData,
    LiveUpdate,
    PowerSource,
    parse_home_data,
    parse_live_updates,
)
from simulators.elnet import load_fixture

LIVE_PAYLOAD = load_fixture("GetLiveUpdates")
HOME_PAYLOAD = load_fixture("HomeData")
LIVE_FIELDS = tuple(LIVE_PAYLOAD["Data"])
HOME_FIELDS = tuple(HOME_PAYLOAD["Data"])
KNOWN_KEYS = (*LIVE_FIELDS, *HOME_FIELDS, "Status", "Message", "Data")

# Strings a sloppy parser might take for numbers, flags or dates. Non-ASCII digits
# (escaped): Arabic-Indic, fullwidth, mathematical bold, Gurmukhi; and ½, ².
ARABIC_1, ARABIC_0, FULLWIDTH_1 = "\u0661", "\u0660", "\uff11"
DIGITS = "0123456789" + ARABIC_1 + ARABIC_0 + FULLWIDTH_1 + "\u0a67\U0001d7cf"
TRICKY_STRINGS = (
    "", " ", "0", "1", "2", "-0", " 1 ", "1.0", "0.0", "+1", "0x10", "1_000", "1e309",
    "-1e309", "1e-400", "nan", "NaN", "-nan", "inf", "-inf", "Infinity", "+Infinity",
    ARABIC_1, ARABIC_0, ARABIC_1 * 3, FULLWIDTH_1 * 3, "\U0001d7cf", "\u00bd",
    "\u00b2", "\u0a67", "ON", "on", "OFF", "Off", "MAYBE", "true", "null", "\x00",
    "25-07-2025 15:56:59", "31-02-2025 00:00:00", "01-01-0001 00:00:00",
    "31-12-9999 23:59:59", "25-07-2025 15:56:59 ", f"{ARABIC_1 * 2}-07-2025 15:56:59",
    "9" * 5000, "1" * 400, "-" + "9" * 4400,
)  # fmt: skip

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**53, max_value=2**1100),  # past float precision / range
    # Past float's range, and past str() (more than 4,300 digits).
    st.builds(
        lambda digits, sign: sign * 10**digits,
        st.sampled_from((309, 400, 5000)),
        st.sampled_from((1, -1)),
    ),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(TRICKY_STRINGS),
    # Numeric-looking strings, some with non-ASCII digits.
    st.builds(
        "{}{}{}{}{}".format,
        st.sampled_from(("", "+", "-", " ")),
        st.text(DIGITS, min_size=1, max_size=30),
        st.sampled_from(("", ".", ".5", f".{ARABIC_1}")),
        st.sampled_from(("", "e5", "E-7", "e400", "e-400", f"e{ARABIC_1}")),
        st.sampled_from(("", " ", "\t", "\u00a0")),
    ),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.one_of(st.sampled_from(KNOWN_KEYS), st.text(max_size=8)),
            children,
            max_size=4,
        ),
    ),
    max_leaves=6,
)
timezones = st.sampled_from(
    [
        UTC,
        ZoneInfo("Asia/Kolkata"),
        ZoneInfo("America/New_York"),
        ZoneInfo("Pacific/Kiritimati"),
    ]
)


_ABSENT = object()  # a field left out


def data_objects(fields: tuple[str, ...], original: dict[str, Any]) -> Any:
    """A ``Data`` object: the captured one or an empty one, and random extra keys.

    Any of the known fields is set to an arbitrary value or left out.
    """

    def build(
        base: dict[str, Any], changes: dict[str, Any], extra: dict[str, Any]
    ) -> dict[str, Any]:
        data = {**extra, **base}
        for key, value in changes.items():
            if value is _ABSENT:
                data.pop(key, None)
            else:
                data[key] = value
        return data

    return st.builds(
        build,
        st.sampled_from((original, {})),
        st.dictionaries(
            st.sampled_from(fields),
            st.one_of(json_values, st.just(_ABSENT)),
            max_size=8,
        ),
        st.dictionaries(st.text(max_size=10), json_values, max_size=3),
    )


def payloads(fields: tuple[str, ...], original: dict[str, Any]) -> Any:
    """Any top-level JSON value, or an envelope around an arbitrary ``Data``."""
    return st.one_of(
        json_values,
        st.fixed_dictionaries(
            {
                "Status": st.one_of(st.just("Success"), json_values),
                "Data": st.one_of(data_objects(fields, original), json_values),
            },
            optional={"Message": json_values},
        ),
    )


def check_live(live: LiveUpdate) -> None:
    """A parsed ``LiveUpdate`` holds only what the entities and tracker can use."""
    assert isinstance(live.source, PowerSource)
    for value in (
        live.present_load_kw,
        live.balance,
        live.grid_kwh,
        live.generator_kwh,
        live.solar_kwh,
        live.sanctioned_grid_kw,
        live.sanctioned_generator_kw,
    ):
        assert type(value) is float
        assert math.isfinite(value)
    assert live.updated_on.tzinfo is not None
    assert math.isfinite(live.updated_on.timestamp())
    # HA shows it in UTC and the local zone: no overflow at either end.
    live.updated_on.astimezone(UTC)
    live.updated_on.astimezone(ZoneInfo("Pacific/Kiritimati"))
    live.updated_on.astimezone(ZoneInfo("Pacific/Pago_Pago"))


def check_home(home: HomeData) -> None:
    """A parsed ``HomeData`` holds only what the entities and tracker can use."""
    assert isinstance(home.source, PowerSource)
    assert type(home.device_id) is int
    assert isinstance(home.meter_serial, str)
    assert home.meter_serial
    assert home.meter_serial == home.meter_serial.strip()
    assert isinstance(home.relay_on, bool)
    for name in HomeData.__dataclass_fields__:
        value = getattr(home, name)
        if isinstance(value, float):
            assert math.isfinite(value), name


def parse_or_typed_error(
    parse: Callable[[Any], Any], payload: Any, check: Callable[[Any], None]
) -> None:
    """Parse; only the typed errors may come out, with a short printable message."""
    error: ElnetApiError | ElnetInvalidResponseError | None = None
    try:
        result = parse(payload)
    except (ElnetApiError, ElnetInvalidResponseError) as err:
        error = err
    else:
        check(result)
        return
    if isinstance(error, ElnetApiError):
        assert isinstance(payload, dict)
        assert payload.get("Status") != "Success"
    assert len(str(error)) < 500


FAST = settings(
    max_examples=1000,
    deadline=None,
    database=None,  # nothing written into the working tree
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@FAST
@given(payloads(LIVE_FIELDS, LIVE_PAYLOAD["Data"]), timezones)
def test_live_updates_any_json(payload: Any, tz: tzinfo) -> None:
    parse_or_typed_error(lambda p: parse_live_updates(p, tz), payload, check_live)


@FAST
@given(payloads(HOME_FIELDS, HOME_PAYLOAD["Data"]))
def test_home_data_any_json(payload: Any) -> None:
    parse_or_typed_error(parse_home_data, payload, check_home)


def replaced(original: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    """The captured envelope with ``Data[key]`` (or a top-level key) set to ``value``."""
    payload = {**original, "Data": dict(original["Data"])}
    if key in original:
        payload[key] = value
    else:
        payload["Data"][key] = value
    return payload


ONE_FIELD = settings(FAST, max_examples=500)


@ONE_FIELD
@given(
    st.sampled_from((*LIVE_FIELDS, "Status", "Message", "Data")),
    json_values,
    timezones,
)
def test_live_updates_one_field_replaced(key: str, value: Any, tz: tzinfo) -> None:
    payload = replaced(LIVE_PAYLOAD, key, value)
    parse_or_typed_error(lambda p: parse_live_updates(p, tz), payload, check_live)


@ONE_FIELD
@given(st.sampled_from((*HOME_FIELDS, "Status", "Message", "Data")), json_values)
def test_home_data_one_field_replaced(key: str, value: Any) -> None:
    payload = replaced(HOME_PAYLOAD, key, value)
    parse_or_typed_error(parse_home_data, payload, check_home)
