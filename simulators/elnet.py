"""An ELNET meter server that speaks the real API, on 127.0.0.1.

Seeded from the captured responses in ``tests/fixtures/elnet``. The meter runs on
its own clock: ``advance(seconds)`` integrates the present load into the EB or DG
register (whichever ``Supply`` says), the day / month counters and their costs,
drains the balance and moves ``UpdatedOn``. Tests script failures through plain
attributes (``http_status``, ``delay``, ``raw_body``, ``api_status``,
``drop_fields``, ``frozen``, ``strings``) and ``serve_once`` (fields of the next
``GetLiveUpdates`` answer only, e.g. a corrupt register).

    python -m simulators.elnet --port 8321 --token develop-token   # live, for scripts/develop
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
from datetime import datetime, timedelta
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from .web import LoopbackServer

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "elnet"
UPDATED_ON_FORMAT = "%d-%m-%Y %H:%M:%S"
GRID, GENERATOR = 0, 1


def load_fixture(name: str) -> dict[str, Any]:
    """A captured response, parsed."""
    return json.loads((FIXTURES / f"{name}.json").read_text())


class ElnetSimulator(LoopbackServer):
    """State of one meter account and the aiohttp app serving it."""

    def __init__(self, token: str = "test-token") -> None:  # noqa: S107
        """Start from the captured responses; ``token`` is the accepted bearer."""
        self.token = token
        self.live: dict[str, Any] = load_fixture("GetLiveUpdates")["Data"]
        self.home: dict[str, Any] = load_fixture("HomeData")["Data"]
        # The meter's clock is naive local time, as UpdatedOn is.
        self.updated_on = datetime.strptime(  # noqa: DTZ007
            self.live["UpdatedOn"], UPDATED_ON_FORMAT
        )
        self.grid_rate = 8.33  # currency per kWh: CurrentDay_EB / kWhRecToday
        self.generator_rate = 22.0  # CurrentDay_DG / kWhDelToday
        # Failure scripting.
        self.http_status: int | None = None  # answer every request with this status
        self.delay = 0.0  # seconds before answering
        self.raw_body: str | None = None  # answer this body verbatim
        self.api_status = "Success"
        self.drop_fields: set[str] = set()
        self.frozen = False  # advance() leaves UpdatedOn (and all state) alone
        self.strings = False  # every number served as a string ("Supply": "0")
        # Fields of the next GetLiveUpdates answer only (then cleared): a corrupt
        # register, say, with its own "UpdatedOn" (a datetime or the served text).
        self.serve_once: dict[str, Any] = {}
        self.requests: list[str] = []
        self.url = ""  # set by start()

    # --- the meter -----------------------------------------------------------
    def set_supply(self, source: int) -> None:
        """Switch between grid (0) and generator (1)."""
        self.live["Supply"] = self.home["EBDGStatus"] = source

    def set_balance(self, balance: float) -> None:
        """Set the account balance (both endpoints)."""
        self.live["Balance"] = round(balance, 2)
        self.home["MeterBal"] = round(balance, 2)

    def recharge(self, amount: float) -> None:
        """Top the balance up."""
        self.set_balance(self.live["Balance"] + amount)

    def advance(self, seconds: float, load_kw: float | None = None) -> None:
        """Run the meter for ``seconds`` at ``load_kw`` (default: the present load)."""
        if self.frozen:
            return
        if load_kw is not None:
            self.live["PresentLoad"] = load_kw
        kwh = self.live["PresentLoad"] * seconds / 3600
        on_grid = self.live["Supply"] == GRID
        rate = self.grid_rate if on_grid else self.generator_rate
        register, today, month, cost_day, cost_month = (
            ("EB", "kWhRecToday", "kWhRecMonth", "CurrentDay_EB", "CurrentMonth_EB")
            if on_grid
            else (
                "DG",
                "kWhDelToday",
                "kWhDelMonth",
                "CurrentDay_DG",
                "CurrentMonth_DG",
            )
        )
        self.live[register] = round(self.live[register] + kwh, 4)
        self.home[today] = round(self.home[today] + kwh, 4)
        self.home[month] = round(self.home[month] + kwh, 4)
        self.home[cost_day] = round(self.home[cost_day] + kwh * rate, 2)
        self.home[cost_month] = round(self.home[cost_month] + kwh * rate, 2)
        self.set_balance(self.live["Balance"] - kwh * rate)
        previous = self.updated_on
        self.updated_on += timedelta(seconds=seconds)
        if self.updated_on.date() != previous.date():
            for key in ("kWhRecToday", "kWhDelToday", "CurrentDay_EB", "CurrentDay_DG"):
                self.home[key] = 0.0

    def payload(self, name: str) -> dict[str, Any]:
        """The JSON document an endpoint answers now."""
        data = copy.deepcopy(self.live if name == "GetLiveUpdates" else self.home)
        if name == "GetLiveUpdates":
            data["UpdatedOn"] = self.updated_on.strftime(UPDATED_ON_FORMAT)
            once, self.serve_once = self.serve_once, {}
            for key, value in once.items():
                data[key] = (
                    value.strftime(UPDATED_ON_FORMAT)
                    if isinstance(value, datetime)
                    else value
                )
        for field in self.drop_fields:
            data.pop(field, None)
        if self.strings:
            data = {
                key: str(value)
                if isinstance(value, int | float) and not isinstance(value, bool)
                else value
                for key, value in data.items()
            }
        if self.api_status != "Success":
            return {
                "Status": self.api_status,
                "Message": "No Data Available",
                "Data": None,
            }
        return {"Status": "Success", "Message": "Data Available", "Data": data}

    # --- the server ----------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        self.requests.append(name)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.http_status is not None:
            return web.Response(status=self.http_status, text="simulated failure")
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.json_response(
                {"Message": "Authorization has been denied"}, status=401
            )
        if self.raw_body is not None:
            return web.Response(text=self.raw_body, content_type="application/json")
        return web.json_response(self.payload(name))

    async def _control(self, request: web.Request) -> web.Response:
        """``POST /simulator``: ``supply`` (0/1), ``recharge``, ``balance``, ``load_kw``."""
        body = await request.json()
        if "supply" in body:
            self.set_supply(int(body["supply"]))
        if "recharge" in body:
            self.recharge(float(body["recharge"]))
        if "balance" in body:
            self.set_balance(float(body["balance"]))
        if "load_kw" in body:
            self.live["PresentLoad"] = float(body["load_kw"])
        return web.json_response({"live": self.payload("GetLiveUpdates")})

    def save(self, path: Path) -> None:
        """Write the meter's registers and balance, so a restart continues them."""
        path.write_text(json.dumps({"live": self.live, "home": self.home}))

    def load(self, path: Path) -> None:
        """Continue from a ``save``; a missing or broken file keeps the fixtures."""
        try:
            saved = json.loads(path.read_text())
            live, home = saved["live"], saved["home"]
        except OSError, ValueError, KeyError, TypeError:
            return
        self.live.update(live)
        self.home.update(home)

    def app(self) -> web.Application:
        """The aiohttp application serving the API."""
        app = web.Application()
        app.router.add_get(
            r"/api/Dashboard/{name:GetLiveUpdates|HomeData}", self._handle
        )
        app.router.add_post("/simulator", self._control)
        return app


async def _serve(args: argparse.Namespace) -> None:
    sim = ElnetSimulator(args.token)
    if args.state is not None:
        sim.load(args.state)
    # The meter's clock: naive local time in its own zone, as UpdatedOn is.
    sim.updated_on = datetime.now(ZoneInfo(args.tz)).replace(tzinfo=None, microsecond=0)
    url = await sim.start(args.host, args.port)
    print(f"ELNET simulator on {url} (token {args.token!r}); POST {url}/simulator")
    try:
        while True:
            await asyncio.sleep(args.tick)
            sim.advance(args.tick)
            if args.state is not None:
                sim.save(args.state)
    finally:
        await sim.stop()


def main() -> None:
    """Run a live simulator until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8321)
    parser.add_argument("--token", default="develop-token")
    parser.add_argument("--tick", type=float, default=5.0, help="seconds per update")
    parser.add_argument("--tz", default="Asia/Kolkata", help="the meter's time zone")
    parser.add_argument("--state", type=Path, help="keeps registers across runs")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(parser.parse_args()))


if __name__ == "__main__":
    main()
