"""The ELNET client against the simulator (real HTTP on 127.0.0.1) and raw payloads."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import UTC, datetime
import json
import math
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
import pytest

from custom_components.intelergy.core.elnet.client import (
    LIVE_UPDATES_PATH,
    ElnetApiError,
    ElnetAuthError,
    ElnetClient,
    ElnetConnectionError,
    ElnetInvalidResponseError,
    PowerSource,
    normalize_base_url,
    parse_home_data,
    parse_live_updates,
)
from simulators.elnet import ElnetSimulator, load_fixture

TOKEN = "test-token"


@pytest.fixture
async def session() -> AsyncGenerator[aiohttp.ClientSession]:
    """A plain aiohttp session, closed after the test."""
    async with aiohttp.ClientSession() as session:
        yield session


def test_parse_captured_live_updates() -> None:
    live = parse_live_updates(load_fixture("GetLiveUpdates"), ZoneInfo("Asia/Kolkata"))
    assert live.source is PowerSource.GRID
    assert live.present_load_kw == 0.58
    assert live.balance == 1787.42
    assert live.grid_kwh == 48808.72
    assert live.generator_kwh == 477.24
    assert live.solar_kwh == 0.0
    assert live.sanctioned_grid_kw == live.sanctioned_generator_kw == 52.0
    assert live.updated_on == datetime(
        2025, 7, 25, 15, 56, 59, tzinfo=ZoneInfo("Asia/Kolkata")
    )
    assert live.updated_on.astimezone(UTC).hour == 10


def test_parse_captured_home_data() -> None:
    home = parse_home_data(load_fixture("HomeData"))
    assert home.meter_serial == "1124094"
    assert home.device_id == 454
    assert home.relay_on is True
    assert home.source is PowerSource.GRID
    assert (home.grid_kwh_today, home.generator_kwh_today) == (10.96, 0.06)
    assert (home.grid_kwh_month, home.generator_kwh_month) == (418.65, 28.91)
    assert (home.grid_cost_today, home.generator_cost_today) == (91.3, 1.38)
    assert (home.grid_cost_month, home.generator_cost_month) == (3487.34, 636.05)
    assert home.balance == 1787.5
    assert (home.has_grid, home.has_generator, home.has_solar) == (True, True, False)


def _live(**changes: Any) -> dict[str, Any]:
    payload = load_fixture("GetLiveUpdates")
    payload["Data"].update(changes)
    return payload


def _home(**changes: Any) -> dict[str, Any]:
    payload = load_fixture("HomeData")
    payload["Data"].update(changes)
    return payload


def test_generator_supply_and_numeric_strings() -> None:
    live = parse_live_updates(_live(Supply=1, Balance="12.5"))
    assert live.source is PowerSource.GENERATOR
    assert live.balance == 12.5
    assert parse_home_data(_home(RelStatus="off", Meter_SN=42)).relay_on is False
    assert parse_home_data(_home(Meter_SN=42)).meter_serial == "42"


@pytest.mark.parametrize("supply", [0, 1, "0", "1", " 1 ", 1.0])
def test_supply_and_ebdg_status_as_numbers_or_strings(supply: Any) -> None:
    # Some servers send every number as a string; the source is then "0" / "1".
    expected = PowerSource.GENERATOR if float(supply) else PowerSource.GRID
    assert parse_live_updates(_live(Supply=supply)).source is expected
    assert parse_home_data(_home(EBDGStatus=supply)).source is expected


def test_every_number_as_a_string() -> None:
    live_payload = load_fixture("GetLiveUpdates")
    home_payload = load_fixture("HomeData")
    for data in (live_payload["Data"], home_payload["Data"]):
        for key, value in data.items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                data[key] = str(value)
    live = parse_live_updates(live_payload)
    home = parse_home_data(home_payload)
    assert (live.source, live.grid_kwh, live.balance) == (
        PowerSource.GRID,
        48808.72,
        1787.42,
    )
    assert (home.source, home.device_id, home.grid_kwh_today) == (
        PowerSource.GRID,
        454,
        10.96,
    )


@pytest.mark.parametrize(
    ("payload", "match"),
    [
        ([], "not a JSON object"),
        (_live(Supply=[]), "'Supply' is not 0"),
        (_live(Supply={}), "'Supply' is not 0"),
        (_live(Supply="2"), "'Supply' is not 0"),
        (_live(Supply="\u0661"), "'Supply' is not 0"),  # an Arabic-Indic 1
        (_live(Supply=0.5), "'Supply' is not 0"),
        (_live(Supply=True), "'Supply' is not 0"),
        (_live(Supply=None), "'Supply' is not 0"),
        (_live(Balance=10**400), "'Balance' is not finite"),
        (_live(Balance="\u0661\u0662"), "'Balance' is not a number"),  # Arabic-Indic
        (_live(Balance="1_000"), "'Balance' is not a number"),
        (_live(Balance="x" * 5000), r"'Balance' is not a number: 'x+\.\.\.$"),
        (_live(EB="1e999"), "'EB' is not finite"),
        (_live(EB="Infinity"), "'EB' is not a number"),
        (_live(EB="nan"), "'EB' is not a number"),
        (_live(UpdatedOn="\u0662\u0665-07-2025 15:56:59"), "bad 'UpdatedOn'"),
        (_live(UpdatedOn="01-01-0001 00:00:00"), "bad 'UpdatedOn'"),
        ({"Status": "Success", "Data": None}, "no 'Data'"),
        (_live(Balance=None), "'Balance' is missing"),
        (_live(Balance="lots"), "'Balance' is not a number"),
        (_live(Balance=math.nan), "'Balance' is not finite"),
        (_live(EB=math.inf), "'EB' is not finite"),
        (_live(PresentLoad=True), "'PresentLoad' is missing or not a number"),
        (_live(Supply=2), "'Supply' is not 0"),
        (_live(UpdatedOn=None), "'UpdatedOn' is missing"),
        (_live(UpdatedOn="2025-07-25T15:56:59"), "bad 'UpdatedOn'"),
        (_live(UpdatedOn="32-07-2025 15:56:59"), "bad 'UpdatedOn'"),
    ],
)
def test_malformed_live_updates(payload: Any, match: str) -> None:
    with pytest.raises(ElnetInvalidResponseError, match=match):
        parse_live_updates(payload)


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"Meter_SN": None}, "'Meter_SN' is missing"),
        ({"Meter_SN": ""}, "'Meter_SN' is missing"),
        ({"RelStatus": "MAYBE"}, "'RelStatus'"),
        ({"IsDG": "yes"}, "'IsDG' is missing or not a boolean"),
        ({"kWhRecToday": None}, "'kWhRecToday' is missing"),
        ({"EBDGStatus": None}, "'EBDGStatus'"),
        ({"EBDGStatus": [0]}, "'EBDGStatus'"),
        ({"Meter_SN": 10**5000}, "'Meter_SN' is missing"),
        ({"Meter_SN": "   "}, "'Meter_SN' is missing"),
        ({"DeviceId": 10**400}, "'DeviceId' is not finite"),
        ({"DeviceId": 4.5}, "'DeviceId' is not an integer"),
    ],
)
def test_malformed_home_data(changes: dict[str, Any], match: str) -> None:
    with pytest.raises(ElnetInvalidResponseError, match=match):
        parse_home_data(_home(**changes))


def test_failed_status_is_api_error() -> None:
    with pytest.raises(ElnetApiError, match="No Data"):
        parse_live_updates({"Status": "Failed", "Message": "No Data", "Data": None})
    with pytest.raises(ElnetApiError, match="status 'Failed'"):
        parse_home_data({"Status": "Failed"})
    # A message that is not text (even one too big to print) is not echoed.
    with pytest.raises(ElnetApiError, match="status 'Failed'"):
        parse_home_data({"Status": "Failed", "Message": 10**5000})
    with pytest.raises(ElnetApiError, match=r"status \[1, 2\]"):
        parse_home_data({"Status": [1, 2], "Message": {"a": 1}})


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8321/", "http://127.0.0.1:8321"),
        (" https://meters.example.com/elnet// ", "https://meters.example.com/elnet"),
    ],
)
def test_normalize_base_url(url: str, expected: str) -> None:
    assert normalize_base_url(url) == expected


@pytest.mark.parametrize("url", ["meters.example.com", "ftp://x", "http://"])
def test_normalize_rejects(url: str) -> None:
    with pytest.raises(ValueError, match="not an http"):
        normalize_base_url(url)


async def test_fetch_over_http(
    elnet_sim: ElnetSimulator, session: aiohttp.ClientSession
) -> None:
    client = ElnetClient(elnet_sim.url + "/", TOKEN, session)
    live, home = await client.fetch()
    assert live.balance == 1787.42
    assert home.meter_serial == "1124094"
    assert sorted(elnet_sim.requests) == ["GetLiveUpdates", "HomeData"]


@pytest.mark.parametrize("status", [401, 403])
async def test_http_auth_errors(
    elnet_sim: ElnetSimulator, session: aiohttp.ClientSession, status: int
) -> None:
    elnet_sim.http_status = status
    with pytest.raises(ElnetAuthError, match=f"HTTP {status}"):
        await ElnetClient(elnet_sim.url, TOKEN, session).home_data()


async def test_wrong_token(
    elnet_sim: ElnetSimulator, session: aiohttp.ClientSession
) -> None:
    with pytest.raises(ElnetAuthError):
        await ElnetClient(elnet_sim.url, "wrong", session).live_updates()


async def test_server_error(
    elnet_sim: ElnetSimulator, session: aiohttp.ClientSession
) -> None:
    elnet_sim.http_status = 500
    with pytest.raises(ElnetConnectionError, match="HTTP 500"):
        await ElnetClient(elnet_sim.url, TOKEN, session).live_updates()


async def test_timeout(
    elnet_sim: ElnetSimulator, session: aiohttp.ClientSession
) -> None:
    elnet_sim.delay = 1.0
    with pytest.raises(ElnetConnectionError, match="timeout"):
        await ElnetClient(elnet_sim.url, TOKEN, session, timeout=0.1).live_updates()


async def test_connection_refused(
    elnet_sim: ElnetSimulator, session: aiohttp.ClientSession
) -> None:
    url = elnet_sim.url
    await elnet_sim.stop()
    with pytest.raises(ElnetConnectionError, match="cannot reach"):
        await ElnetClient(url, TOKEN, session).live_updates()


async def test_invalid_json(
    elnet_sim: ElnetSimulator, session: aiohttp.ClientSession
) -> None:
    elnet_sim.raw_body = "<html>maintenance</html>"
    with pytest.raises(ElnetInvalidResponseError, match="did not answer JSON"):
        await ElnetClient(elnet_sim.url, TOKEN, session).home_data()


async def test_nan_over_the_wire(
    elnet_sim: ElnetSimulator, session: aiohttp.ClientSession
) -> None:
    elnet_sim.raw_body = json.dumps(_live(Balance=math.nan))  # JSON "NaN"
    with pytest.raises(ElnetInvalidResponseError, match="not finite"):
        await ElnetClient(elnet_sim.url, TOKEN, session).live_updates()


async def test_deeply_nested_json_over_the_wire(
    elnet_sim: ElnetSimulator, session: aiohttp.ClientSession
) -> None:
    elnet_sim.raw_body = "[" * 100_000 + "]" * 100_000  # RecursionError in json
    with pytest.raises(ElnetInvalidResponseError, match="did not answer JSON"):
        await ElnetClient(elnet_sim.url, TOKEN, session).live_updates()


async def test_undecodable_body(
    socket_enabled: None, session: aiohttp.ClientSession
) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(
            body=b'{"Status": "\xff"}', content_type="application/json", charset="utf-8"
        )

    app = web.Application()
    app.router.add_get(LIVE_UPDATES_PATH, handler)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        client = ElnetClient(str(server.make_url("/")), TOKEN, session)
        with pytest.raises(ElnetInvalidResponseError, match="did not answer JSON"):
            await client.live_updates()
    finally:
        await server.close()


async def test_status_failed_and_missing_fields_over_http(
    elnet_sim: ElnetSimulator, session: aiohttp.ClientSession
) -> None:
    client = ElnetClient(elnet_sim.url, TOKEN, session)
    elnet_sim.api_status = "Failed"
    with pytest.raises(ElnetApiError):
        await client.live_updates()
    elnet_sim.api_status = "Success"
    elnet_sim.drop_fields = {"EB"}
    with pytest.raises(ElnetInvalidResponseError, match="'EB'"):
        await client.live_updates()
