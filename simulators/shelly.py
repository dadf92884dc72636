"""A Shelly smart plug / power strip that speaks the real protocols, on 127.0.0.1.

Seeded from the device dumps in ``tests/fixtures/shelly``:

* Gen1 (``shelly`` / ``settings`` / ``status``): ``GET /shelly``, ``/settings``,
  ``/status`` and ``/relay/<n>?turn=on|off|toggle``, HTTP basic auth.
* Gen2+ (``shelly`` / ``config`` / ``status``): JSON-RPC over ``GET /rpc/<Method>``,
  ``POST /rpc`` (HTTP digest auth, SHA-256) and the ``/rpc`` websocket with in-frame
  digest auth and ``NotifyStatus`` pushes, as aioshelly expects.

Power follows the relays (``loads[i]`` watts while channel ``i`` is on) and the device
runs on its own clock: ``advance(seconds)`` moves uptime / unixtime and integrates the
power into the energy counters. Tests script failures through ``http_status``,
``go_offline()`` / ``go_online()``, ``reboot()``, the fault flags and
``serve_counter_once()`` (one corrupt energy counter on the wire).

    python -m simulators.shelly --fixture gen4_power_strip_S4PL-00416EU --port 8332

The fixtures are real dumps, names included ("Test Name", "Switch 1 name"). A demo
names the device and its outlets as a user would, and sets what is plugged in:

    python -m simulators.shelly --fixture gen1_plug_s_SHPLG-S --load 0=2000 --off 0
    python -m simulators.shelly --fixture gen4_power_strip_S4PL-00416EU \
        --name "Living room strip" --channel-name 0=TV --channel-name 1=
"""

from __future__ import annotations

import argparse
import asyncio
import base64
from collections.abc import Awaitable, Callable, Coroutine
import contextlib
import copy
from dataclasses import dataclass
from datetime import UTC, datetime
import hashlib
import hmac
import json
import math
from pathlib import Path
import re
import secrets
import signal
import time
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, hdrs, web

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "shelly"
GEN1_PLUG_S = "gen1_plug_s_SHPLG-S"
GEN4_POWER_STRIP = "gen4_power_strip_S4PL-00416EU"

GEN2_USER = "admin"  # Gen2+ devices have exactly one user
DEFAULT_LOAD_W = 60.0  # for channels whose fixture shows no power
DEFAULT_SWITCH_TEMPERATURE_C = 41.2  # Gen2+ switches report one; the fixture lacks it
NO_AUTH_METHODS = frozenset({"Shelly.GetDeviceInfo"})
MAX_NONCES = 256
# In-frame (websocket) digest auth hashes a fixed pseudo request line.
WS_HA2 = hashlib.sha256(b"dummy_method:dummy_uri").hexdigest()
_DIGEST_FIELD = re.compile(r'(\w+)\s*=\s*(?:"([^"]*)"|([^\s,]+))')

type Json = dict[str, Any]
type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def load_fixture(name: str) -> Json:
    """A device dump, parsed (without its ``_source`` note)."""
    data: Json = json.loads((FIXTURES / f"{name}.json").read_text())
    data.pop("_source", None)
    return data


def fixture_names() -> list[str]:
    """The fixtures a simulator can be seeded from."""
    return sorted(path.stem for path in FIXTURES.glob("*.json"))


def sha256_hex(text: str) -> str:
    """Hex SHA-256 of ``text``, as digest auth uses it."""
    return hashlib.sha256(text.encode()).hexdigest()


def parse_query_value(value: str) -> Any:
    """A ``GET /rpc/<Method>?k=v`` value: JSON where it parses, else the string."""
    try:
        return json.loads(value)
    except ValueError:
        return value


class RpcError(Exception):
    """An RPC call failed with a Shelly error ``code`` and ``message``."""

    def __init__(self, code: int, message: str) -> None:
        """Carry the code and message for the error frame."""
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(eq=False)
class WsClient:
    """One websocket peer: notifications go to its ``src`` once it has sent one."""

    ws: web.WebSocketResponse
    src: str | None = None
    authenticated: bool = False


class ShellySimulator:
    """State of one Shelly device and the aiohttp app serving it."""

    def __init__(
        self,
        fixture: str = GEN1_PLUG_S,
        *,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        """Start from ``fixture``; auth is enabled when ``password`` is not None."""
        data = load_fixture(fixture)
        self.fixture = fixture
        self.shelly: Json = data["shelly"]
        self.status: Json = data["status"]
        self.gen: int = int(self.shelly.get("gen", 1))
        self.settings: Json = data.get("settings", {})  # Gen1
        self.config: Json = data.get("config", {})  # Gen2+
        self.mac: str = self.shelly["mac"]
        self.password = password
        self.auth = password is not None
        if self.gen == 1:
            self.username = username if username is not None else "admin"
            self.device_id: str = self.settings.get("device", {}).get(
                "hostname", f"shelly-{self.mac}"
            )
            self.realm = self.device_id
            self.shelly["auth"] = self.auth
        else:
            self.username = GEN2_USER
            self.device_id = self.shelly["id"]
            self.realm = self.shelly.get("auth_domain") or self.device_id
            self.shelly["auth_en"] = self.auth
            # A real device reports no auth domain while auth is off.
            self.shelly["auth_domain"] = self.realm if self.auth else None

        # --- the device's own state; ``_sync`` renders it into ``status`` --------
        components = self._channel_status_fixture()
        self.channels: int = len(components)
        self._on: list[bool] = []
        self._source: list[str] = []
        self.loads: list[float] = []
        self._pf: list[float] = []
        self._voltage: list[float] = []
        self._energy_j: list[float] = []  # since boot, W·s
        self._minute_j: list[float] = []  # in the minute running now
        self._last_minutes_j: list[list[float]] = []  # last whole minutes, newest first
        self._overpower: list[bool] = []
        self._overtemperature = False
        self.switch_temperature_c = DEFAULT_SWITCH_TEMPERATURE_C
        clock = self._sys_fixture()
        self._clock = float(clock["unixtime"])
        self._uptime = float(clock["uptime"])
        self._local_offset = 0  # Gen1 meter timestamps are local time as epoch
        if self.gen == 1:
            meters = self.status.get("meters", [])
            if meters:
                self._local_offset = int(meters[0]["timestamp"]) - int(self._clock)
        else:
            self._local_offset = int(self.status["sys"].get("utc_offset", 0))
        self._int_total = False
        for index, (relay, meter) in enumerate(components):
            on = bool(relay["ison"] if self.gen == 1 else relay["output"])
            power = float(meter["power"] if self.gen == 1 else meter["apower"])
            self._on.append(on)
            self._source.append(str(relay.get("source", "init")))
            self.loads.append(power if power > 0 else DEFAULT_LOAD_W)
            self._pf.append(float(meter.get("pf", 0.0)))
            self._voltage.append(float(meter.get("voltage", 230.0)))
            self._overpower.append(bool(relay.get("overpower", False)))
            if self.gen == 1:
                self._int_total = isinstance(meter["total"], int)
                self._energy_j.append(float(meter["total"]) * 60)
                minutes = [float(c) * 60 for c in meter.get("counters", [0, 0, 0])]
            else:
                self._energy_j.append(float(meter["aenergy"]["total"]) * 3600)
                minutes = [float(c) * 3.6 for c in meter["aenergy"]["by_minute"]]
            self._last_minutes_j.append(minutes)
            self._minute_j.append(self._power(index) * (self._clock % 60))
        if self.gen == 1:
            self._overtemperature = bool(self.status.get("overtemperature", False))

        # --- failure scripting and bookkeeping ----------------------------------
        self.http_status: int | None = None  # answer every HTTP request with this
        self._corrupt_once: dict[int, float] = {}  # channel -> Wh, for one status
        self.requests: list[str] = []
        self.online = False
        self.host = "127.0.0.1"
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._clients: set[WsClient] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._nonces: dict[str, set[str]] = {}  # issued nonce → nc values used
        self._sync()

    # --- fixture access ---------------------------------------------------------
    def _channel_status_fixture(self) -> list[tuple[Json, Json]]:
        """(relay-like, meter-like) status objects per channel, in channel order."""
        if self.gen == 1:
            relays: list[Json] = self.status.get("relays", [])
            meters: list[Json] = self.status.get("meters", [])
            return [
                (relay, meters[i] if i < len(meters) else {"power": 0.0, "total": 0})
                for i, relay in enumerate(relays)
            ]
        ids = sorted(
            int(key.split(":", 1)[1])
            for key in self.status
            if key.startswith("switch:")
        )
        return [(self._switch(i), self._switch(i)) for i in ids]

    def _sys_fixture(self) -> Json:
        """The object holding unixtime / uptime."""
        if self.gen == 1:
            return self.status
        sys_status: Json = self.status["sys"]
        return sys_status

    def _switch(self, channel: int) -> Json:
        """The Gen2+ ``switch:<channel>`` status object."""
        switch: Json = self.status[f"switch:{channel}"]
        return switch

    def _check_channel(self, channel: int) -> None:
        """Refuse a channel the device does not have."""
        if not 0 <= channel < self.channels:
            raise ValueError(f"no channel {channel} (device has {self.channels})")

    # --- the device ---------------------------------------------------------------
    @property
    def url(self) -> str:
        """Base URL of the running server."""
        return f"http://{self.host}:{self.port}"

    @property
    def unixtime(self) -> float:
        """The device's clock (UTC epoch seconds)."""
        return self._clock

    def set_clock(self, unixtime: float) -> None:
        """Set the device's clock without running it (no energy is integrated)."""
        self._clock = float(unixtime)
        self._sync()

    def is_on(self, channel: int) -> bool:
        """Whether the relay of ``channel`` is closed."""
        self._check_channel(channel)
        return self._on[channel]

    def _power(self, channel: int) -> float:
        """Watts drawn on ``channel`` now."""
        return self.loads[channel] if self._on[channel] else 0.0

    def _sync(self) -> None:
        """Render the internal state into the ``status`` / ``settings`` documents."""
        local = int(self._clock) + self._local_offset
        hhmm = datetime.fromtimestamp(local, UTC).strftime("%H:%M")
        minute_ts = int(self._clock // 60 * 60)
        for i in range(self.channels):
            power = self._power(i)
            if self.gen == 1:
                self._sync_gen1_channel(i, power, local)
            else:
                self._sync_gen2_channel(i, power, minute_ts)
        clock = self._sys_fixture()
        clock["unixtime"] = int(self._clock)
        clock["uptime"] = int(self._uptime)
        clock["time"] = hhmm
        if self.gen == 1:
            self.status["overtemperature"] = self._overtemperature

    def _sync_gen1_channel(self, i: int, power: float, local: int) -> None:
        """Gen1 ``relays[i]`` / ``meters[i]`` (watt-minutes) and settings."""
        relay = self.status["relays"][i]
        relay["ison"] = self._on[i]
        relay["source"] = self._source[i]
        relay["overpower"] = self._overpower[i]
        with contextlib.suppress(KeyError, IndexError):
            self.settings["relays"][i]["ison"] = self._on[i]
        meters = self.status.get("meters", [])
        if i >= len(meters):
            return
        meter = meters[i]
        meter["power"] = round(power, 2)
        meter["overpower"] = round(self.loads[i], 2) if self._overpower[i] else 0.0
        meter["timestamp"] = local
        meter["counters"] = [round(j / 60, 3) for j in self._last_minutes_j[i]]
        total = self._energy_j[i] / 60
        meter["total"] = round(total) if self._int_total else round(total, 3)

    def _sync_gen2_channel(self, i: int, power: float, minute_ts: int) -> None:
        """Gen2+ ``switch:i`` (Wh / mWh per minute) with temperature and errors."""
        switch = self._switch(i)
        switch["output"] = self._on[i]
        switch["source"] = self._source[i]
        switch["apower"] = round(power, 1)
        voltage = self._voltage[i]
        switch["current"] = round(power / voltage, 3) if voltage else 0.0
        switch["pf"] = self._pf[i] if self._on[i] else 0.0
        switch["aenergy"] = {
            "by_minute": [round(j / 3.6, 3) for j in self._last_minutes_j[i]],
            "minute_ts": minute_ts,
            "total": round(self._energy_j[i] / 3600, 3),
        }
        if isinstance(returned := switch.get("ret_aenergy"), dict):
            returned["minute_ts"] = minute_ts  # nothing is ever returned to the grid
        temp_c = self.switch_temperature_c
        switch["temperature"] = {"tC": temp_c, "tF": round(temp_c * 9 / 5 + 32, 1)}
        errors = (["overtemp"] if self._overtemperature else []) + (
            ["overpower"] if self._overpower[i] else []
        )
        if errors:
            switch["errors"] = errors
        else:
            switch.pop("errors", None)

    def _integrate(self, channel: int, seconds: float) -> None:
        """Run ``channel`` for ``seconds`` at its present power (clock not moved)."""
        power = self._power(channel)
        start, end = self._clock, self._clock + seconds
        self._energy_j[channel] += power * seconds
        crossed = math.floor(end / 60) - math.floor(start / 60)
        if crossed <= 0:
            self._minute_j[channel] += power * seconds
            return
        first_boundary = (math.floor(start / 60) + 1) * 60
        first = self._minute_j[channel] + power * (first_boundary - start)
        whole = [power * 60] * min(crossed - 1, 3)
        newest_first = [*reversed([first, *whole]), *self._last_minutes_j[channel]]
        self._last_minutes_j[channel] = newest_first[:3]
        self._minute_j[channel] = power * (end - math.floor(end / 60) * 60)

    def _set(self, channel: int, on: bool, source: str) -> bool:
        """Switch the relay; return whether it was on."""
        self._check_channel(channel)
        was_on = self._on[channel]
        self._on[channel] = on
        self._source[channel] = source
        return was_on

    async def set_output(self, channel: int, on: bool) -> None:
        """Switch a relay as its button would; pushes ``NotifyStatus``."""
        before = self._snapshot()
        self._set(channel, on, "input" if self.gen == 1 else "button")
        await self._push(self._changes(before))

    async def set_load(self, channel: int, watts: float) -> None:
        """Set what the appliance on ``channel`` draws while on (pushes if on)."""
        self._check_channel(channel)
        before = self._snapshot()
        self.loads[channel] = float(watts)
        await self._push(self._changes(before))

    async def advance(
        self, seconds: float, loads: dict[int, float] | None = None
    ) -> None:
        """Run the device's clock: uptime, unixtime and energy counters move.

        ``loads``: what channels draw from then on (``set_load``), in the same
        ``NotifyStatus`` push as the counters, as a device reports a new power.
        """
        if seconds < 0:
            raise ValueError("the device's clock does not run backwards")
        before = self._snapshot()
        for channel in range(self.channels):
            self._integrate(channel, seconds)
        self._clock += seconds
        self._uptime += seconds
        for channel, watts in (loads or {}).items():
            self._check_channel(channel)
            self.loads[channel] = float(watts)
        await self._push(self._changes(before))

    async def reboot(self) -> None:
        """Restart: counters and uptime from zero, relays kept, websockets dropped."""
        for channel in range(self.channels):
            self._energy_j[channel] = 0.0
            self._minute_j[channel] = 0.0
            self._last_minutes_j[channel] = [0.0, 0.0, 0.0]
            if self.gen != 1:
                self._source[channel] = "init"
        self._uptime = 0.0
        if self.gen != 1:
            for switch in (self._switch(i) for i in range(self.channels)):
                if "ret_aenergy" in switch:
                    switch["ret_aenergy"]["total"] = 0.0
                    switch["ret_aenergy"]["by_minute"] = [0.0, 0.0, 0.0]
        self._sync()
        await self._close_websockets()

    def serve_counter_once(self, channel: int, wh: float) -> None:
        """The next full status read shows ``wh`` as ``channel``'s energy counter.

        A corrupt reading on the wire (Gen1 ``/status``, Gen2+ ``Shelly.GetStatus``),
        not the device's state: its counter goes on, and pushes never carry it.
        """
        self._check_channel(channel)
        self._corrupt_once[channel] = float(wh)

    def _status_document(self) -> Json:
        """``status`` as served now: a copy, with a corrupt counter if one is due."""
        document = copy.deepcopy(self.status)
        corrupt, self._corrupt_once = self._corrupt_once, {}
        for channel, wh in corrupt.items():
            if self.gen == 1:
                meter = document["meters"][channel]
                minutes = wh * 60
                meter["total"] = (
                    round(minutes) if self._int_total else round(minutes, 3)
                )
            else:
                document[f"switch:{channel}"]["aenergy"]["total"] = round(wh, 3)
        return document

    def set_overtemperature(self, value: bool) -> None:
        """Raise or clear the device's overtemperature fault."""
        before = self._snapshot()
        self._overtemperature = value
        self._push_soon(self._changes(before))

    def set_overpower(self, channel: int, value: bool) -> None:
        """Raise or clear the overpower fault of ``channel``."""
        self._check_channel(channel)
        before = self._snapshot()
        self._overpower[channel] = value
        self._push_soon(self._changes(before))

    def set_name(self, name: str | None) -> None:
        """Name the device as its app would (``None``: no name, the host name shows)."""
        if self.gen == 1:
            self.settings["name"] = name
            return
        self.config.setdefault("sys", {}).setdefault("device", {})["name"] = name
        self.shelly["name"] = name

    def set_channel_name(self, channel: int, name: str | None) -> None:
        """Name an outlet as the device's app would (``None``: no name)."""
        self._check_channel(channel)
        if self.gen == 1:
            relays = self.settings.setdefault("relays", [])
            while len(relays) <= channel:
                relays.append({})
            relays[channel]["name"] = name
            return
        self.config.setdefault(f"switch:{channel}", {"id": channel})["name"] = name

    def start_off(self, channel: int) -> None:
        """Leave ``channel``'s relay open at power-up (before ``start()``)."""
        self._set(channel, False, "init")
        self._sync()

    def device_info(self) -> Json:
        """``/shelly`` (and ``Shelly.GetDeviceInfo``)."""
        return copy.deepcopy(self.shelly)

    # --- notifications ----------------------------------------------------------
    def _snapshot(self) -> dict[str, Json]:
        """The Gen2+ switch statuses now, to diff against after a change."""
        self._sync()
        if self.gen == 1:
            return {}
        return {
            key: copy.deepcopy(value)
            for key, value in self.status.items()
            if key.startswith("switch:")
        }

    def _changes(self, before: dict[str, Json]) -> dict[str, Json]:
        """The changed fields of each component since ``before`` (with its id)."""
        self._sync()
        changes: dict[str, Json] = {}
        for key, old in before.items():
            new: Json = self.status[key]
            diff = {k: copy.deepcopy(v) for k, v in new.items() if old.get(k) != v}
            if "errors" in old and "errors" not in new:
                diff["errors"] = []  # a merge cannot delete: report the list emptied
            if diff:
                changes[key] = {"id": new.get("id"), **diff}
        return changes

    async def _push(self, changes: dict[str, Json]) -> None:
        """Send ``NotifyStatus`` with ``changes`` to every websocket peer."""
        if not changes:
            return
        params = {"ts": round(self._clock, 2), **changes}
        for client in list(self._clients):
            if client.src is None or client.ws.closed:
                continue
            if self.auth and not client.authenticated:
                continue
            frame = {
                "src": self.device_id,
                "dst": client.src,
                "method": "NotifyStatus",
                "params": params,
            }
            with contextlib.suppress(ConnectionError, RuntimeError):
                await client.ws.send_str(json.dumps(frame))

    def _push_soon(self, changes: dict[str, Json]) -> None:
        """``_push`` from synchronous code, when there is a loop and a listener."""
        if not changes or not self._clients:
            return
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        self._spawn(self._push(changes))

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run ``coro`` in the background; ``stop()`` cancels what is left."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- RPC (Gen2+) ------------------------------------------------------------
    def _channel_param(self, params: Json) -> int:
        """The ``id`` parameter, checked."""
        if "id" not in params:
            raise RpcError(-103, "Invalid argument: missing required 'id'")
        value = params["id"]
        if isinstance(value, bool) or not isinstance(value, int):
            raise RpcError(-103, "Invalid argument 'id': expected a number")
        if not 0 <= value < self.channels:
            raise RpcError(-105, f"Bad id={value}")
        return value

    def _rpc_methods(self) -> dict[str, Callable[[Json, str], Any]]:
        """Method name → handler(params, source)."""
        return {
            "Shelly.GetDeviceInfo": lambda _p, _s: self.device_info(),
            "Shelly.GetStatus": lambda _p, _s: self._status_document(),
            "Shelly.GetConfig": lambda _p, _s: copy.deepcopy(self.config),
            "Shelly.GetComponents": self._rpc_get_components,
            "Shelly.ListMethods": lambda _p, _s: {
                "methods": sorted(self._rpc_methods())
            },
            "Shelly.Reboot": self._rpc_reboot,
            "Switch.Set": self._rpc_switch_set,
            "Switch.Toggle": self._rpc_switch_toggle,
            "Switch.GetStatus": lambda p, _s: copy.deepcopy(
                self._switch(self._channel_param(p))
            ),
            "Switch.GetConfig": lambda p, _s: copy.deepcopy(
                self.config.get(f"switch:{self._channel_param(p)}", {})
            ),
            "Sys.GetStatus": lambda _p, _s: copy.deepcopy(self.status["sys"]),
            "Sys.GetConfig": lambda _p, _s: copy.deepcopy(self.config.get("sys", {})),
        }

    def _rpc_get_components(self, params: Json, _source: str) -> Json:
        """``Shelly.GetComponents``: this device has no dynamic components."""
        offset = params.get("offset", 0)
        if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
            raise RpcError(-103, "Invalid argument 'offset'")
        cfg_rev = self.config.get("sys", {}).get("cfg_rev", 0)
        return {"components": [], "cfg_rev": cfg_rev, "offset": offset, "total": 0}

    def _rpc_switch_set(self, params: Json, source: str) -> Json:
        """``Switch.Set``: ``{"id", "on"}`` → ``{"was_on"}``."""
        channel = self._channel_param(params)
        on = params.get("on")
        if not isinstance(on, bool):
            raise RpcError(-103, "Invalid argument 'on': expected a boolean")
        return {"was_on": self._set(channel, on, source)}

    def _rpc_switch_toggle(self, params: Json, source: str) -> Json:
        """``Switch.Toggle``: ``{"id"}`` → ``{"was_on"}``."""
        channel = self._channel_param(params)
        return {"was_on": self._set(channel, not self._on[channel], source)}

    def _rpc_reboot(self, params: Json, _source: str) -> None:
        """``Shelly.Reboot``: answer, then reboot after ``delay_ms`` (default 1000)."""
        delay_ms = params.get("delay_ms", 1000)
        if isinstance(delay_ms, bool) or not isinstance(delay_ms, int | float):
            raise RpcError(-103, "Invalid argument 'delay_ms'")
        self._spawn(self._reboot_later(max(float(delay_ms) / 1000, 0.05)))

    async def _reboot_later(self, delay: float) -> None:
        """Reboot once the answer to ``Shelly.Reboot`` is out."""
        await asyncio.sleep(delay)
        await self.reboot()

    def call(
        self, method: str, params: Json | None = None, source: str = "loopback"
    ) -> Any:
        """Run one RPC method (no auth); raises ``RpcError``."""
        if params is None:
            params = {}
        if not isinstance(params, dict):
            raise RpcError(-103, "Invalid argument: params must be an object")
        handler = self._rpc_methods().get(method)
        if handler is None:
            raise RpcError(404, f"No handler for {method}")
        self._sync()
        return handler(params, source)

    # --- digest auth ------------------------------------------------------------
    def _issue_nonce(self) -> int:
        """A fresh nonce for a challenge."""
        nonce = secrets.randbelow(2**31 - 1) + 1
        while str(nonce) in self._nonces:
            nonce = secrets.randbelow(2**31 - 1) + 1
        self._nonces[str(nonce)] = set()
        while len(self._nonces) > MAX_NONCES:
            del self._nonces[next(iter(self._nonces))]
        return nonce

    def _ha1(self) -> str:
        """HA1 = H(user:realm:password)."""
        return sha256_hex(f"{GEN2_USER}:{self.realm}:{self.password}")

    def _digest_ok(self, fields: Json, ha2: str) -> bool:
        """Check a digest answer (``nonce``, ``nc``, ``cnonce``, ``response``)."""
        try:
            nonce, nc = str(fields["nonce"]), str(fields["nc"])
            cnonce, response = str(fields["cnonce"]), str(fields["response"])
        except KeyError:
            return False
        if fields.get("username") != GEN2_USER or fields.get("realm") != self.realm:
            return False
        if str(fields.get("algorithm", "SHA-256")).upper() != "SHA-256":
            return False
        used = self._nonces.get(nonce)
        if used is None or nc in used:
            return False  # not ours, or a replay
        expected = sha256_hex(f"{self._ha1()}:{nonce}:{nc}:{cnonce}:auth:{ha2}")
        if not hmac.compare_digest(expected.encode(), response.encode()):
            return False
        used.add(nc)
        return True

    def _ws_challenge(self) -> RpcError:
        """The 401 error aioshelly answers with in-frame auth."""
        challenge = {
            "auth_type": "digest",
            "nonce": self._issue_nonce(),
            "nc": 1,
            "realm": self.realm,
            "algorithm": "SHA-256",
        }
        return RpcError(401, json.dumps(challenge))

    def _http_digest_ok(self, request: web.Request) -> bool:
        """RFC 7616 digest (SHA-256, qop=auth) in the Authorization header."""
        scheme, _, rest = request.headers.get(hdrs.AUTHORIZATION, "").partition(" ")
        if scheme.lower() != "digest":
            return False
        fields = {
            m[1].lower(): m[2] if m[2] is not None else m[3]
            for m in _DIGEST_FIELD.finditer(rest)
        }
        if fields.get("qop") != "auth" or fields.get("uri") != request.raw_path:
            return False
        return self._digest_ok(fields, sha256_hex(f"{request.method}:{fields['uri']}"))

    def _http_digest_challenge(self) -> web.Response:
        """401 with a fresh SHA-256 digest challenge."""
        header = (
            f'Digest qop="auth", realm="{self.realm}", '
            f'nonce="{self._issue_nonce()}", algorithm=SHA-256'
        )
        return web.json_response(
            {"code": 401, "message": "Unauthorized"},
            status=401,
            headers={hdrs.WWW_AUTHENTICATE: header},
        )

    def _basic_ok(self, request: web.Request) -> bool:
        """Gen1 basic auth (always fine while auth is off)."""
        if not self.auth:
            return True
        scheme, _, token = request.headers.get(hdrs.AUTHORIZATION, "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(token.strip(), validate=True).decode()
        except ValueError:  # binascii.Error and UnicodeDecodeError both are
            return False
        login, _, password = decoded.partition(":")
        return hmac.compare_digest(
            login.encode(), self.username.encode()
        ) and hmac.compare_digest(password.encode(), (self.password or "").encode())

    def _basic_challenge(self) -> web.Response:
        """401 asking for basic auth."""
        return web.Response(
            status=401,
            text="401 Unauthorized",
            headers={hdrs.WWW_AUTHENTICATE: f'Basic realm="{self.realm}"'},
        )

    # --- HTTP handlers ----------------------------------------------------------
    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Handler
    ) -> web.StreamResponse:
        """Log the request and apply ``http_status`` (the control endpoint is exempt)."""
        if request.path == "/simulator":
            return await handler(request)
        is_ws = request.path == "/rpc" and request.method == hdrs.METH_GET
        is_rpc_post = request.path == "/rpc" and request.method == hdrs.METH_POST
        if self.http_status is not None:
            if not is_ws:
                self.requests.append(f"{request.method} {request.path_qs}")
            return web.Response(status=self.http_status, text="simulated failure")
        if not (is_ws or is_rpc_post):  # those log their RPC methods
            self.requests.append(f"{request.method} {request.path_qs}")
        return await handler(request)

    async def _get_shelly(self, _request: web.Request) -> web.Response:
        """``GET /shelly``: never needs auth."""
        return web.json_response(self.device_info())

    async def _gen1_document(self, request: web.Request) -> web.Response:
        """Gen1 ``GET /status`` and ``GET /settings``."""
        if not self._basic_ok(request):
            return self._basic_challenge()
        self._sync()
        if request.path == "/status":
            return web.json_response(self._status_document())
        return web.json_response(self.settings)

    async def _gen1_relay(self, request: web.Request) -> web.Response:
        """Gen1 ``GET /relay/<n>[?turn=on|off|toggle]``."""
        if not self._basic_ok(request):
            return self._basic_challenge()
        channel = int(request.match_info["index"])
        if channel >= self.channels:
            return web.Response(status=404, text="Not Found")
        turn = request.query.get("turn")
        if turn is not None:
            if turn not in {"on", "off", "toggle"}:
                return web.Response(status=400, text="Bad turn!")
            on = not self._on[channel] if turn == "toggle" else turn == "on"
            self._set(channel, on, "http")
        self._sync()
        return web.json_response(self.status["relays"][channel])

    async def _rpc_get(self, request: web.Request) -> web.Response:
        """Gen2+ ``GET /rpc/<Method>?k=v``: bare result, or ``{code, message}``."""
        method = request.match_info["method"]
        if (
            self.auth
            and method not in NO_AUTH_METHODS
            and not self._http_digest_ok(request)
        ):
            return self._http_digest_challenge()
        params = {key: parse_query_value(value) for key, value in request.query.items()}
        before = self._snapshot()
        try:
            result = self.call(method, params, "HTTP_in")
        except RpcError as err:
            status = 404 if err.code == 404 else 500
            return web.json_response(
                {"code": err.code, "message": err.message}, status=status
            )
        await self._push(self._changes(before))
        return web.json_response(result)

    async def _rpc_post(self, request: web.Request) -> web.Response:
        """Gen2+ ``POST /rpc`` with a JSON-RPC request frame."""
        try:
            frame = await request.json()
        except ValueError:
            frame = None
        if not isinstance(frame, dict) or not isinstance(frame.get("method"), str):
            self.requests.append("POST /rpc")
            return web.Response(status=400, text="bad JSON-RPC frame")
        method: str = frame["method"]
        self.requests.append(f"POST /rpc {method}")
        if (
            self.auth
            and method not in NO_AUTH_METHODS
            and not self._http_digest_ok(request)
        ):
            return self._http_digest_challenge()
        before = self._snapshot()
        reply = self._answer(frame, method, "HTTP_in")
        response = web.json_response(reply)
        await self._push(self._changes(before))
        return response

    def _answer(self, frame: Json, method: str, source: str) -> Json:
        """The response frame to one request frame (auth already settled)."""
        reply: Json = {"id": frame.get("id"), "src": self.device_id}
        if isinstance(frame.get("src"), str):
            reply["dst"] = frame["src"]
        try:
            reply["result"] = self.call(method, frame.get("params"), source)
        except RpcError as err:
            reply["error"] = {"code": err.code, "message": err.message}
        return reply

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        """Gen2+ ``GET /rpc`` websocket: JSON-RPC frames both ways."""
        ws = web.WebSocketResponse(timeout=1.0)
        if not ws.can_prepare(request).ok:
            self.requests.append("GET /rpc")
            return web.Response(status=400, text="websocket upgrade expected")
        await ws.prepare(request)
        client = WsClient(ws)
        self._clients.add(client)
        try:
            async for message in ws:
                if message.type is WSMsgType.TEXT:
                    await self._ws_frame(client, message.data)
        finally:
            self._clients.discard(client)
        return ws

    async def _ws_frame(self, client: WsClient, data: str) -> None:
        """Answer one websocket request frame, then push what it changed."""
        try:
            frame = json.loads(data)
        except ValueError:
            return
        if not isinstance(frame, dict) or not isinstance(frame.get("method"), str):
            return
        method: str = frame["method"]
        self.requests.append(f"WS {method}")
        if isinstance(frame.get("src"), str) and frame["src"]:
            client.src = frame["src"]
        if "id" not in frame:
            return  # a notification to the device: nothing to answer
        before = self._snapshot()
        if self.auth and method not in NO_AUTH_METHODS:
            if self._digest_ok(frame.get("auth") or {}, WS_HA2):
                client.authenticated = True
                reply = self._answer(frame, method, "WS_in")
            else:
                challenge = self._ws_challenge()
                reply = {"id": frame["id"], "src": self.device_id}
                if client.src is not None:
                    reply["dst"] = client.src
                reply["error"] = {"code": challenge.code, "message": challenge.message}
        else:
            reply = self._answer(frame, method, "WS_in")
        with contextlib.suppress(ConnectionError, RuntimeError):
            await client.ws.send_str(json.dumps(reply))
        await self._push(self._changes(before))

    async def _control(self, request: web.Request) -> web.Response:
        """``POST /simulator``: ``output``, ``load``, ``advance``, ``reboot``, faults."""
        body = await request.json()
        if "output" in body:
            await self.set_output(
                int(body["output"]["channel"]), bool(body["output"]["on"])
            )
        if "load" in body:
            await self.set_load(
                int(body["load"]["channel"]), float(body["load"]["watts"])
            )
        if "advance" in body:
            await self.advance(float(body["advance"]))
        if "overtemperature" in body:
            self.set_overtemperature(bool(body["overtemperature"]))
        if "overpower" in body:
            self.set_overpower(
                int(body["overpower"]["channel"]), bool(body["overpower"]["value"])
            )
        if "http_status" in body:
            self.http_status = body["http_status"]
        if body.get("reboot"):
            await self.reboot()
        self._sync()
        return web.json_response({"status": self.status})

    def app(self) -> web.Application:
        """The aiohttp application serving this device's API."""
        app = web.Application(middlewares=[self._middleware])
        app.router.add_get("/shelly", self._get_shelly)
        if self.gen == 1:
            app.router.add_get("/status", self._gen1_document)
            app.router.add_get("/settings", self._gen1_document)
            app.router.add_get(r"/relay/{index:\d+}", self._gen1_relay)
        else:
            app.router.add_get("/rpc", self._websocket)
            app.router.add_post("/rpc", self._rpc_post)
            app.router.add_get(r"/rpc/{method:[A-Za-z0-9_.]+}", self._rpc_get)
        app.router.add_post("/simulator", self._control)
        return app

    # --- server life cycle -----------------------------------------------------
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Serve on ``host:port`` (0: a free port, see ``port`` afterwards)."""
        self._runner = web.AppRunner(self.app(), access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        self.host = host
        self.port = port
        await self._listen()

    async def _listen(self) -> None:
        """Open the listening socket on ``host:port``."""
        if self._runner is None:
            raise RuntimeError("start() the simulator first")
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self._site = site
        self.port = site.port
        self.online = True

    async def _close_websockets(self) -> None:
        """Close every websocket peer."""
        clients = list(self._clients)
        self._clients.clear()
        await asyncio.gather(
            *(c.ws.close(code=WSCloseCode.GOING_AWAY) for c in clients),
            return_exceptions=True,
        )

    async def _stop_listening(self) -> None:
        """Close the listening socket (first, so dropped peers cannot reconnect)."""
        if self._site is not None:
            site, self._site = self._site, None
            await site.stop()

    async def go_offline(self) -> None:
        """Drop every connection and stop listening (new connections are refused)."""
        if not self.online:
            return
        self.online = False
        await self._stop_listening()
        await self._close_websockets()
        if self._runner is not None and self._runner.server is not None:
            for connection in self._runner.server.connections:
                connection.force_close()

    async def go_online(self) -> None:
        """Listen again, on the same port."""
        if not self.online:
            await self._listen()

    async def stop(self) -> None:
        """Close the websockets and the server (idempotent)."""
        self.online = False
        tasks = [task for task in self._tasks if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._stop_listening()
        await self._close_websockets()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()


async def _serve(args: argparse.Namespace) -> None:
    """Run one simulated device until SIGINT / SIGTERM."""
    sim = ShellySimulator(args.fixture, username=args.username, password=args.password)
    sim.set_clock(time.time())
    if args.name is not None:
        sim.set_name(args.name or None)
    for channel, name in args.channel_name:
        sim.set_channel_name(channel, name or None)
    for channel, watts in args.load:
        sim.loads[channel] = float(watts)
    for channel in args.off:
        sim.start_off(channel)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    await sim.start(args.host, args.port)
    auth = f", auth {sim.username!r}" if sim.auth else ""
    print(
        f"Shelly Gen{sim.gen} simulator ({args.fixture}{auth}) on {sim.url}; "
        f"POST {sim.url}/simulator",
        flush=True,
    )
    try:
        while not stopping.is_set():
            try:
                await asyncio.wait_for(stopping.wait(), args.tick)
            except TimeoutError:
                await sim.advance(args.tick)
    finally:
        await sim.stop()


def _channel_value[T](convert: Callable[[str], T]) -> Callable[[str], tuple[int, T]]:
    """An ``N=VALUE`` argument: the channel and its converted value."""

    def parse(text: str) -> tuple[int, T]:
        channel, sep, value = text.partition("=")
        if not sep:
            raise argparse.ArgumentTypeError(f"expected N=VALUE, not {text!r}")
        try:
            return int(channel), convert(value)
        except ValueError as err:
            raise argparse.ArgumentTypeError(str(err)) from err

    return parse


def main() -> None:
    """Run a live simulator until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fixture", default=GEN1_PLUG_S, choices=fixture_names())
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8331)
    parser.add_argument("--username", help="Gen1 only; Gen2+ always use 'admin'")
    parser.add_argument("--password", help="enables auth")
    parser.add_argument("--tick", type=float, default=5.0, help="seconds per update")
    parser.add_argument(
        "--name",
        help="the device's name as set in its app ('' for none; default: the fixture's)",
    )
    parser.add_argument(
        "--channel-name",
        type=_channel_value(str),
        action="append",
        default=[],
        metavar="N=NAME",
        help="channel N's name (N from 0; 'N=' for none); repeatable",
    )
    parser.add_argument(
        "--load",
        type=_channel_value(float),
        action="append",
        default=[],
        metavar="N=WATTS",
        help="what channel N draws while on; repeatable",
    )
    parser.add_argument(
        "--off",
        type=int,
        action="append",
        default=[],
        metavar="N",
        help="channel N's relay starts open (off); repeatable",
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(parser.parse_args()))


if __name__ == "__main__":
    main()
