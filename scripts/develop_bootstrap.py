"""Make a running Home Assistant ready to use, for scripts/develop.

Through HA's real HTTP APIs, the way the frontend does it, and idempotently:
waits until HA answers, finishes onboarding (owner ``dev`` / ``dev-password``)
or logs in, adds the Intelergy entries of the simulated devices through the
config flow (an ELNET account, a Gen1 Shelly Plug S and a Gen4 Shelly Power
Strip with a login; a device that is already set up aborts its flow as
"already_configured"), and prints a few entities. Then the demo, over HA's
websocket API: a week of hourly statistics for the simulated devices' energy and
power sensors (shapes: develop_history.py), the Energy dashboard's preferences,
the "Intelergy" dashboard (the custom:intelergy strategy) as the user's default
panel and first in the sidebar, and a "Demo phone" registered with mobile_app
whose pushes go to simulators/phone.py. Standard library only.

    .venv/bin/python scripts/develop_bootstrap.py --url http://127.0.0.1:8123
"""

from __future__ import annotations

import argparse
import base64
from datetime import UTC, datetime, timedelta
import json
import os
from pathlib import Path
import socket
import struct
import sys
import time
import traceback
from typing import Any
import urllib.error
import urllib.parse
import urllib.request
from zoneinfo import ZoneInfo

import develop_history as history

USER = {
    "name": "Developer",
    "username": "dev",
    "password": "dev-password",
    "language": "en",
}
DOMAIN = "intelergy"
# The ELNET account's entities (its device is "ELNET meter <serial>"): not billed.
ELNET_MARK = "elnet_meter"
EXAMPLES = (
    "_present_load",
    "_balance",
    "_power_source",
    "kettle_power",
    "tv_power",
    "meter_power",
    "pzem_004t_power",
)


class BootstrapError(Exception):
    """Home Assistant did something this script does not expect."""


class HomeAssistant:
    """The few calls of HA's HTTP API this script needs."""

    def __init__(self, url: str) -> None:
        """Talk to HA at ``url``; the frontend's client id is the URL itself."""
        self.url = url.rstrip("/")
        self.client_id = f"{self.url}/"
        self.redirect_uri = f"{self.url}/?auth_callback=1"
        self.token: str | None = None

    def call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        form: bool = False,
    ) -> Any:
        """Send a request (JSON body, or form with ``form=True``); return its JSON.

        Raises ``urllib.error.HTTPError`` for an error status.
        """
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        data = None
        if body is not None and form:
            data = urllib.parse.urlencode(body).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(
            self.url + path, data=data, headers=headers, method=method
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            text = response.read().decode()
        return json.loads(text) if text else None

    def wait_until_up(self, pid: int | None, timeout: float) -> None:
        """Poll until HA's HTTP server answers (any status) or ``pid`` exits."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.call("GET", "/api/onboarding")  # needs no token
            except urllib.error.HTTPError:
                return  # 404 once onboarded: the server is up all the same
            except OSError:
                pass  # not listening yet
            else:
                return
            if pid is not None and not pid_alive(pid):
                raise BootstrapError("Home Assistant exited during start-up")
            if time.monotonic() > deadline:
                raise BootstrapError(f"Home Assistant did not answer in {timeout}s")
            time.sleep(1)

    def exchange_code(self, code: str) -> None:
        """Trade an authorization code for an access token and keep it."""
        tokens = self.call(
            "POST",
            "/auth/token",
            {
                "grant_type": "authorization_code",
                "code": code,
                "client_id": self.client_id,
            },
            form=True,
        )
        self.token = tokens["access_token"]


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` still runs."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def expect(result: dict[str, Any], what: str, **fields: Any) -> None:
    """Fail unless ``result`` has each of ``fields`` with the given value."""
    for key, value in fields.items():
        if result.get(key) != value:
            detail = {"errors": result["errors"]} if result.get("errors") else result
            raise BootstrapError(
                f"{what}: expected {key}={value!r}, got {json.dumps(detail)}"
            )


def onboarding_steps_done(ha: HomeAssistant) -> set[str] | None:
    """The finished onboarding steps; ``None`` once onboarding is complete.

    HA only serves ``/api/onboarding`` while onboarding is unfinished.
    """
    try:
        steps = ha.call("GET", "/api/onboarding")
    except urllib.error.HTTPError as err:
        if err.code == 404:
            return None
        raise
    done = {step["step"] for step in steps if step["done"]}
    return None if len(done) == len(steps) else done


def log_in(ha: HomeAssistant) -> None:
    """The login form's flow: username and password for an authorization code."""
    flow = ha.call(
        "POST",
        "/auth/login_flow",
        {
            "client_id": ha.client_id,
            "handler": ["homeassistant", None],
            "redirect_uri": ha.redirect_uri,
        },
    )
    result = ha.call(
        "POST",
        f"/auth/login_flow/{flow['flow_id']}",
        {
            "username": USER["username"],
            "password": USER["password"],
            "client_id": ha.client_id,
        },
    )
    expect(result, f"login as {USER['username']!r}", type="create_entry")
    ha.exchange_code(result["result"])


def onboard_or_log_in(ha: HomeAssistant) -> None:
    """Finish whatever onboarding steps are left, ending logged in as the owner."""
    done = onboarding_steps_done(ha)
    if done is not None and "user" not in done:
        print("bootstrap: onboarding: creating the owner account")
        created = ha.call(
            "POST", "/api/onboarding/users", {"client_id": ha.client_id, **USER}
        )
        ha.exchange_code(created["auth_code"])
    else:
        log_in(ha)
        print(f"bootstrap: logged in as {USER['username']!r}")
    if done is None:
        return
    # Location, units and currency come from configuration.yaml; the step only
    # has to be marked done (HA then offers its default integrations).
    for step in ("core_config", "analytics"):
        if step not in done:
            ha.call("POST", f"/api/onboarding/{step}", {})
    if "integration" not in done:
        ha.call(
            "POST",
            "/api/onboarding/integration",
            {"client_id": ha.client_id, "redirect_uri": ha.redirect_uri},
        )
    print("bootstrap: onboarding finished")


def run_flow(
    ha: HomeAssistant,
    step: str,
    *forms: dict[str, Any],
    aborts: tuple[str, ...] = ("already_configured",),
) -> dict[str, Any]:
    """Pick ``step`` in the source menu and submit ``forms`` one after the other.

    The flow's last result; an abort other than one of ``aborts`` fails.
    """
    flow = "/api/config/config_entries/flow"
    menu = ha.call("POST", flow, {"handler": DOMAIN, "show_advanced_options": False})
    expect(menu, "config flow start", type="menu", step_id="user")
    if step not in menu.get("menu_options", []):
        raise BootstrapError(f"no {step!r} in the menu: {json.dumps(menu)}")
    result = ha.call("POST", f"{flow}/{menu['flow_id']}", {"next_step_id": step})
    for form in forms:
        if result.get("type") != "form":
            break
        fields = {field["name"] for field in result["data_schema"]}
        answer = {key: value for key, value in form.items() if key in fields}
        if not {f["name"] for f in result["data_schema"] if f.get("required")} <= set(
            answer
        ):
            raise BootstrapError(f"{step}: form {result['step_id']} wants {fields}")
        result = ha.call("POST", f"{flow}/{result['flow_id']}", answer)
        if result.get("errors"):
            raise BootstrapError(f"{step}: {result['step_id']}: {result['errors']}")
    if result.get("type") == "create_entry":
        print(f"bootstrap: created entry {result['title']!r}")
    elif result.get("type") == "abort" and result["reason"] in aborts:
        if result["reason"] == "already_configured":
            print(f"bootstrap: {step}: already set up")
    else:
        raise BootstrapError(f"{step}: unexpected {json.dumps(result)[:300]}")
    return dict(result)


def field_default(field: dict[str, Any]) -> Any:
    """What the frontend would send for a field left alone (None: nothing)."""
    if "default" in field:
        return field["default"]
    if not field.get("required"):
        return None
    selector = field.get("selector", {})
    if "boolean" in selector:
        return False
    if "select" in selector:
        options = [
            o["value"] if isinstance(o, dict) else o
            for o in selector["select"]["options"]
        ]
        return "off" if "off" in options else options[0]
    return None


def add_mqtt_entry(ha: HomeAssistant, port: int) -> None:
    """HA's own MQTT integration on the local broker (once)."""
    if ha.call("GET", "/api/config/config_entries/entry?domain=mqtt"):
        print("bootstrap: mqtt: already set up")
        return
    flow = "/api/config/config_entries/flow"
    result = ha.call("POST", flow, {"handler": "mqtt", "show_advanced_options": False})
    if result.get("type") == "menu":  # some versions ask how to connect first
        option = next(o for o in result["menu_options"] if "broker" in o)
        result = ha.call(
            "POST", f"{flow}/{result['flow_id']}", {"next_step_id": option}
        )
    expect(result, "MQTT broker form", type="form")
    answer: dict[str, Any] = {"broker": "127.0.0.1", "port": port}
    for field in result["data_schema"]:
        if field["name"] in answer:
            continue
        if field.get("type") == "expandable":  # a collapsed section: its defaults
            answer[field["name"]] = {
                f["name"]: value
                for f in field["schema"]
                if (value := field_default(f)) is not None
            }
        elif field.get("required") and "default" in field:
            answer[field["name"]] = field["default"]
    result = ha.call("POST", f"{flow}/{result['flow_id']}", answer)
    expect(result, "MQTT broker", type="create_entry")
    print("bootstrap: created the MQTT entry")


def add_entries(ha: HomeAssistant, args: argparse.Namespace) -> None:
    """The simulated devices, through the config flow."""
    run_flow(ha, "elnet", {"url": args.elnet_url, "token": args.token})
    add_mqtt_entry(ha, args.broker_port)
    run_flow(
        ha,
        "esp32",
        {"device_id": "kitchen-meter", "prefix": "intelergy", "interval": 5, "relays": 2,
         "room": "Kitchen"},
    )  # fmt: skip
    host, _, port = args.pzem.rpartition(":")
    run_flow(
        ha,
        "pzem",
        {"transport": "tcp"},
        {"host": host, "port": int(port), "slave": 1, "room": "Utility room"},
    )
    for host_port, password, room in (
        (args.shelly_gen1, None, "Kitchen"),
        (args.shelly_gen4, args.shelly_password, "Living room"),
    ):
        host, _, port = host_port.rpartition(":")
        forms: list[dict[str, Any]] = [{"host": host, "port": int(port), "room": room}]
        if password:
            forms.append({"password": password})
        run_flow(ha, "shelly", *forms)
    add_kettle_monitor(ha)
    add_household_bill(ha)


def intelergy_entities(ha: HomeAssistant) -> set[str]:
    """Intelergy's entity ids, whatever its devices are called.

    Through a template: HA's REST API has no entity registry.
    """
    template = "{{ integration_entities('" + DOMAIN + "') | list | tojson }}"
    return set(ha.call("POST", "/api/template", {"template": template}))


# The household bill's sensors: one per simulated metered device (entity id endings).
BILLED = (
    "kettle_energy",
    "esp32_meter_energy",
    "pzem_004t_energy",
    "tv_energy",
    "lamp_energy",
    "router_energy",
)


def add_household_bill(ha: HomeAssistant) -> None:
    """A billing entry over the simulated plugs and meters: the seed's India tariff.

    0-100 kWh at 3.50, 101-300 at 4.50, above at 6.00; 50 a month; GST 18 %.
    """
    deadline = time.monotonic() + 60
    while (
        True
    ):  # every device's energy sensor, the Gen1 plug's comes with its first poll
        ours = intelergy_entities(ha)
        energy = sorted(
            s["entity_id"]
            for s in ha.call("GET", "/api/states")
            if s["entity_id"] in ours
            and s["entity_id"].startswith("sensor.")
            and ELNET_MARK not in s["entity_id"]
            and s["attributes"].get("device_class") == "energy"
            and s["attributes"].get("state_class") == "total_increasing"
        )
        missing = [e for e in BILLED if not any(i.endswith(e) for i in energy)]
        if not missing:
            break
        if time.monotonic() > deadline:
            raise BootstrapError(f"no energy sensor for {missing} after 60 s")
        time.sleep(1)
    run_flow(
        ha,
        "billing",
        {
            "name": "Home",
            "entities": energy,
            "currency": "INR",
            "cycle_type": "monthly",
            "tariff_type": "slabs",
            "fixed_charge": 50,
            "fixed_per_kw": 0,
            "sanctioned_kw": 0,
            "tax_percent": 18,
            "method": "average",
            "fixed_share": "energy",
        },
        {
            "cycle": {"cycle_day": 1},
            "slabs": [
                {"upto": 100, "rate": 3.5},
                {"upto": 300, "rate": 4.5},
                {"rate": 6.0},
            ],
        },
    )


def add_kettle_monitor(ha: HomeAssistant) -> None:
    """The Gen1 kettle's anomaly monitor, strict enough to show from the UI.

    The plug's own monitor (a meter's is built in: the anomaly flow then aborts
    with ``monitored_by_meter``), or an entry of its own. "Running too long" after
    one minute: switch the kettle on in the UI and the Anomaly sensor turns on a
    minute later; switched off, it clears a minute later.
    """
    deadline = time.monotonic() + 60
    while (
        kettle := next(
            (
                s["entity_id"]
                for s in ha.call("GET", "/api/states")
                if s["entity_id"].startswith("sensor.")
                and s["entity_id"].endswith("kettle_power")
            ),
            None,
        )
    ) is None:
        if time.monotonic() > deadline:
            raise BootstrapError("no kettle power sensor to monitor after 60 s")
        time.sleep(1)
    entries = ha.call("GET", f"/api/config/config_entries/entry?domain={DOMAIN}")
    monitors = [e for e in entries if e["title"].startswith("Anomalies:")]
    if not any("kettle" in e["title"].lower() for e in monitors):
        result = run_flow(
            ha, "anomaly", {"power_entity": kettle}, aborts=("monitored_by_meter",)
        )
        entries = ha.call("GET", f"/api/config/config_entries/entry?domain={DOMAIN}")
        if result.get("type") == "abort":  # the plug's own monitor watches it
            meter = result["description_placeholders"]["meter"]
            monitors = [e for e in entries if e["title"] == meter]
        else:
            monitors = [e for e in entries if e["title"].startswith("Anomalies:")]
    if not monitors:
        raise BootstrapError("no anomaly monitor watches the kettle")
    set_option(ha, monitors[0], "max_run_minutes", 1)
    print("bootstrap: the kettle's monitor calls a run of over 1 minute too long")


def form_values(schema: list[dict[str, Any]]) -> dict[str, Any]:
    """What a form shows filled in (sections nested), as the frontend would send it."""
    values: dict[str, Any] = {}
    for field in schema:
        if field.get("type") == "expandable":
            values[field["name"]] = form_values(field["schema"])
            continue
        value = (field.get("description") or {}).get("suggested_value")
        if value is None:
            value = field_default(field)
        if value is not None:
            values[field["name"]] = value
    return values


def set_option(ha: HomeAssistant, entry: dict[str, Any], key: str, value: Any) -> None:
    """Change one option of ``entry`` (in whichever section holds it), keep the rest."""
    options = "/api/config/config_entries/options/flow"
    form = ha.call("POST", options, {"handler": entry["entry_id"]})
    expect(form, f"{entry['title']} options", type="form")
    answer = form_values(form["data_schema"])
    holders = [answer, *(v for v in answer.values() if isinstance(v, dict))]
    holder = next((h for h in holders if key in h), None)
    if holder is None:
        raise BootstrapError(f"{entry['title']}: no option {key!r} in {answer}")
    holder[key] = value
    result = ha.call("POST", f"{options}/{form['flow_id']}", answer)
    expect(result, f"{entry['title']} options", type="create_entry")


# Onboarding adds these default entries; they need the internet and, offline,
# fill the log with DNS errors every few seconds.
ONLINE_ONLY = {"met", "radio_browser", "google_translate"}


def remove_online_only_entries(ha: HomeAssistant) -> None:
    """Delete onboarding's internet-only default entries (idempotent)."""
    for entry in ha.call("GET", "/api/config/config_entries/entry"):
        if entry["domain"] in ONLINE_ONLY:
            ha.call("DELETE", f"/api/config/config_entries/entry/{entry['entry_id']}")
            print(f"bootstrap: removed the default {entry['domain']!r} entry")


def show_entities(ha: HomeAssistant, timeout: float) -> None:
    """Wait for the devices' entities to have states, then summarise them."""
    deadline = time.monotonic() + timeout
    while True:
        ours = intelergy_entities(ha)
        states = [s for s in ha.call("GET", "/api/states") if s["entity_id"] in ours]
        known = [s for s in states if s["state"] not in ("unknown", "unavailable")]
        if known or time.monotonic() > deadline:
            break
        time.sleep(1)
    if not known:
        raise BootstrapError(
            f"no Intelergy entity has a state after {timeout}s "
            f"({len(states)} entities); see config/home-assistant.log"
        )
    print(f"bootstrap: {len(states)} entities, {len(known)} with a state, e.g.")
    examples = [
        s
        for s in known
        if s["entity_id"].startswith("sensor.") and s["entity_id"].endswith(EXAMPLES)
    ]
    for state in sorted(examples or known, key=lambda s: s["entity_id"])[:8]:
        unit = state["attributes"].get("unit_of_measurement", "")
        print(f"  {state['entity_id']} = {state['state']} {unit}".rstrip())


class WebSocket:
    """HA's websocket API over a plain socket (RFC 6455, text frames, no extensions)."""

    def __init__(self, url: str, token: str) -> None:
        """Connect to ``url``'s /api/websocket and authenticate with ``token``."""
        self.url, self.token = url, token
        parts = urllib.parse.urlsplit(url)
        host, port = parts.hostname or "127.0.0.1", parts.port or 80
        self.sock = socket.create_connection((host, port), timeout=120)
        self.buffer = b""
        self.next_id = 0
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                f"GET /api/websocket HTTP/1.1\r\nHost: {host}:{port}\r\n"
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise BootstrapError(f"websocket upgrade refused: {head[:200]!r}")
        self._receive()  # auth_required
        self._send({"type": "auth", "access_token": token})
        if (answer := self._receive()).get("type") != "auth_ok":
            raise BootstrapError(f"websocket auth: {answer}")

    def close(self) -> None:
        """Close the connection."""
        self.sock.close()

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise BootstrapError("websocket closed by Home Assistant")
        self.buffer += chunk

    def _take(self, count: int) -> bytes:
        while len(self.buffer) < count:
            self._fill()
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def _frame(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)
        size = len(payload)
        if size < 126:
            header = struct.pack("!BB", 0x80 | opcode, 0x80 | size)
        elif size < 65536:
            header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, size)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, size)
        key = int.from_bytes(mask * (size // 4 + 1))
        masked = int.from_bytes(payload.ljust(len(mask) * (size // 4 + 1), b"\0")) ^ key
        body = masked.to_bytes(len(mask) * (size // 4 + 1))[:size]
        self.sock.sendall(header + mask + body)

    def _send(self, message: dict[str, Any]) -> None:
        self._frame(0x1, json.dumps(message).encode())

    def _receive(self) -> dict[str, Any]:
        message = b""
        while True:
            first, second = self._take(2)
            size = second & 0x7F
            if size == 126:
                (size,) = struct.unpack("!H", self._take(2))
            elif size == 127:
                (size,) = struct.unpack("!Q", self._take(8))
            payload = self._take(size)
            opcode = first & 0x0F
            if opcode == 0x8:
                raise BootstrapError(f"websocket closed: {payload[2:]!r}")
            if opcode == 0x9:
                self._frame(0xA, payload)
                continue
            if opcode in (0x0, 0x1, 0x2):
                message += payload
                if first & 0x80:
                    return dict(json.loads(message))

    def command(self, kind: str, **fields: Any) -> Any:
        """Send command ``kind``; its result, or BootstrapError with HA's error.

        Home Assistant closes a connection that left its pings unanswered for a
        while (the bootstrap waits for sensors between commands): connect again.
        """
        self.next_id += 1
        try:
            self._send({"id": self.next_id, "type": kind, **fields})
        except OSError:
            self.sock.close()
            self.__init__(self.url, self.token)  # type: ignore[misc]
            self.next_id += 1
            self._send({"id": self.next_id, "type": kind, **fields})
        while True:
            answer = self._receive()
            if answer.get("id") == self.next_id and answer.get("type") == "result":
                if not answer.get("success"):
                    raise CommandError(kind, answer.get("error") or {})
                return answer.get("result")


class CommandError(BootstrapError):
    """A websocket command HA refused; ``code`` is HA's error code."""

    def __init__(self, kind: str, error: dict[str, Any]) -> None:
        """Keep HA's error code and message."""
        super().__init__(f"{kind}: {error.get('code')}: {error.get('message')}")
        self.code = error.get("code")


# -- the demo: a week of history -----------------------------------------------------


def metered_sensors(ha: HomeAssistant) -> list[dict[str, Any]]:
    """The simulated devices' Intelergy energy and power sensors with statistics.

    Each with the series it shows (develop_history.series_for); anomaly baselines
    and bill sensors are not devices' and are left out.
    """
    ours = intelergy_entities(ha)
    found = []
    for state in ha.call("GET", "/api/states"):
        attributes = state["attributes"]
        entity_id = state["entity_id"]
        if (
            entity_id not in ours
            or not entity_id.startswith("sensor.")
            or "baseline" in entity_id
            or "standby" in entity_id  # learned by the monitors, unknown for hours
            or attributes.get("device_class") not in ("energy", "power")
            or attributes.get("state_class") not in ("measurement", "total_increasing")
        ):
            continue
        series = history.series_for(entity_id, attributes.get("friendly_name", ""))
        if series is not None:
            found.append({**state, "series": series})
    return sorted(found, key=lambda s: s["entity_id"])


def first_rows(
    ws: WebSocket, ids: list[str], start: datetime, now: datetime
) -> tuple[dict[str, datetime], set[str]]:
    """Per statistic, HA's first row (hourly or 5-minute) since ``start``.

    And the statistics that have rows from before ``start``.
    """
    first: dict[str, datetime] = {}
    for period in ("hour", "5minute"):
        found = ws.command(
            "recorder/statistics_during_period",
            start_time=start.isoformat(),
            end_time=now.isoformat(),
            statistic_ids=ids,
            period=period,
            types=["mean", "sum"],
        )
        for statistic_id, rows in found.items():
            if rows:
                when = datetime.fromtimestamp(rows[0]["start"] / 1000, UTC)
                first[statistic_id] = min(first.get(statistic_id, when), when)
    older = ws.command(
        "recorder/statistics_during_period",
        start_time="2000-01-01T00:00:00+00:00",
        end_time=start.isoformat(),
        statistic_ids=ids,
        period="month",
        types=["mean", "sum"],
    )
    return first, {statistic_id for statistic_id, rows in older.items() if rows}


EXPECTED_SERIES = {
    *(("energy", name) for name in (*history.DEVICES, "grid", "generator")),
    *(("power", name) for name in (*history.DEVICES, "house")),
}


def wait_for_metered(ha: HomeAssistant, timeout: float) -> list[dict[str, Any]]:
    """The metered sensors with a state, once every device's have one (or timeout).

    An ESP32 meter's entities appear with its first MQTT message, a little after
    the others.
    """
    deadline = time.monotonic() + timeout
    while True:
        sensors = metered_sensors(ha)
        known = [s for s in sensors if s["state"] not in ("unknown", "unavailable")]
        shown = {(s["attributes"]["device_class"], s["series"]) for s in known}
        if (len(known) == len(sensors) and shown >= EXPECTED_SERIES) or (
            time.monotonic() > deadline
        ):
            return known
        time.sleep(1)


def import_history(ha: HomeAssistant, ws: WebSocket, days: int, config: Path) -> None:
    """A week of hourly statistics before HA's own, through recorder/import_statistics.

    Idempotent: only hours before the sensor's first statistics row (ours, from an
    earlier run, included) are imported. Energy sums count from 0 at the week's
    start; HA's own rows of the sensor are moved up by the week's energy once they
    exist (``<config>/demo-history.json`` keeps what is pending; adjust_sums).
    """
    sensors = wait_for_metered(ha, timeout=90)
    if not sensors:
        print("bootstrap: history: no sensor with a state to back-fill")
        return
    now = datetime.now(UTC)
    if now - history.hour_start(now) < timedelta(seconds=60):
        # HA compiles the hour that just ended at hh:00:10; look after it.
        time.sleep(61 - (now - history.hour_start(now)).total_seconds())
        now = datetime.now(UTC)
    start = history.hour_start(now) - timedelta(days=days)
    ids = [s["entity_id"] for s in sensors]
    first, older = first_rows(ws, ids, start, now)
    tz = ZoneInfo(ha.call("GET", "/api/config")["time_zone"])
    profile = history.week_profile(start, days * 24, tz)
    imported: list[str] = []
    for sensor in sensors:
        entity_id = sensor["entity_id"]
        hours = history.import_hours(
            now, first.get(entity_id), has_older=entity_id in older, days=days
        )
        if not hours:
            continue
        powers = profile[sensor["series"]][: len(hours)]
        unit = sensor["attributes"].get("unit_of_measurement")
        if sensor["attributes"]["device_class"] == "energy":
            if unit not in history.ENERGY_SCALE:
                continue
            scale = history.ENERGY_SCALE[unit]
            rows = history.energy_rows(powers, float(sensor["state"]), scale=scale)
            meta = {"has_sum": True, "mean_type": 0, "unit_class": "energy"}
            what = f"{math_sum(powers):.2f} kWh"
        else:
            if unit not in history.POWER_SCALE:
                continue
            rows = history.power_rows(powers, scale=history.POWER_SCALE[unit])
            meta = {"has_sum": False, "mean_type": 1, "unit_class": "power"}
            what = f"mean {math_sum(powers) * 1000 / len(powers):.0f} W"
        ws.command(
            "recorder/import_statistics",
            metadata={
                **meta,
                "name": None,
                "source": "recorder",
                "statistic_id": entity_id,
                "unit_of_measurement": unit,
            },
            stats=[{**row, "start": row["start"].isoformat()} for row in rows],
        )
        if meta["has_sum"]:
            pending_adjustment(
                config,
                entity_id,
                {
                    "from": (hours[-1] + timedelta(hours=1)).isoformat(),
                    "adjustment": rows[-1]["sum"],
                    "unit": unit,
                },
            )
        imported.append(f"  {entity_id}: {len(rows)} hours, {what}")
    if imported:
        print(f"bootstrap: history: imported {days} days of hourly statistics")
        print("\n".join(imported))
    else:
        print("bootstrap: history: already there (nothing imported)")
    adjust_sums(ws, config)


def _history_file(config: Path) -> tuple[Path, dict[str, Any]]:
    path = config / "demo-history.json"
    try:
        return path, dict(json.loads(path.read_text()))
    except OSError, ValueError:
        return path, {}


def pending_adjustment(config: Path, entity_id: str, entry: dict[str, Any]) -> None:
    """Remember that HA's own rows of ``entity_id`` are to be moved up, once."""
    path, saved = _history_file(config)
    saved.setdefault("pending", {})[entity_id] = entry
    path.write_text(json.dumps(saved, indent=2))


def adjust_sums(ws: WebSocket, config: Path) -> int:
    """Move HA's own rows up by the imported week, where they exist now: once each.

    Returns how many statistics still wait for HA's first 5-minute row.
    """
    path, saved = _history_file(config)
    pending: dict[str, dict[str, Any]] = saved.get("pending", {})
    if not pending:
        return 0
    since = min(datetime.fromisoformat(e["from"]) for e in pending.values())
    found = ws.command(
        "recorder/statistics_during_period",
        start_time=since.isoformat(),
        statistic_ids=sorted(pending),
        period="5minute",
        types=["sum"],
    )
    first = {
        statistic_id: datetime.fromtimestamp(rows[0]["start"] / 1000, UTC)
        for statistic_id, rows in found.items()
        if rows
    }
    for statistic_id in history.due_adjustments(pending, first):
        entry = pending.pop(statistic_id)
        ws.command(
            "recorder/adjust_sum_statistics",
            statistic_id=statistic_id,
            start_time=entry["from"],
            adjustment=entry["adjustment"],
            adjustment_unit_of_measurement=entry["unit"],
        )
        saved.setdefault("adjusted", {})[statistic_id] = entry
        path.write_text(json.dumps(saved, indent=2))
        print(
            f"history: {statistic_id}: Home Assistant's own statistics now continue "
            f"the imported week (+{entry['adjustment']} {entry['unit']})",
            flush=True,
        )
    return len(pending)


def refresh_bills(ha: HomeAssistant) -> None:
    """Have the bills read the continued statistics now, not at their next 5-minute run.

    ``homeassistant.update_entity`` on a bill's money sensors refreshes its
    coordinator (an ELNET account's cost sensors just poll the meter once more).
    """
    ours = intelergy_entities(ha)
    money = sorted(
        s["entity_id"]
        for s in ha.call("GET", "/api/states")
        if s["entity_id"] in ours and s["attributes"].get("device_class") == "monetary"
    )
    if money:
        ha.call(
            "POST", "/api/services/homeassistant/update_entity", {"entity_id": money}
        )
        print(f"history: {len(money)} cost sensors read the week again", flush=True)


def finish_history(ha: HomeAssistant, config: Path, timeout: float) -> None:
    """Wait for HA's first 5-minute statistics rows and adjust_sums (background)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            log_in(ha)
            ws = WebSocket(ha.url, ha.token or "")
            try:
                if adjust_sums(ws, config) == 0:
                    refresh_bills(ha)
                    return
            finally:
                ws.close()
        except (OSError, BootstrapError, urllib.error.HTTPError) as err:
            print(f"history: waiting for Home Assistant ({err})", flush=True)
        time.sleep(15)
    print("history: gave up waiting for Home Assistant's first statistics", flush=True)


def math_sum(powers: list[history.HourPower]) -> float:
    """The energy (kWh) of ``powers``."""
    return sum(power.kwh for power in powers)


# -- the demo: the Energy dashboard ---------------------------------------------------


def elnet_rate(states: dict[str, dict[str, Any]], register: str) -> float | None:
    """ELNET's rate (currency/kWh) of ``register`` ("grid" or "generator").

    This month's cost over this month's energy, as the meter bills it (ELNET has
    no rate entity); None if unknown.
    """

    def value(suffix: str) -> float | None:
        found = next(
            (s for e, s in states.items() if ELNET_MARK in e and e.endswith(suffix)),
            None,
        )
        try:
            return float(found["state"]) if found else None
        except ValueError:
            return None

    cost = value(f"_{register}_cost_this_month")
    energy = value(f"_{register}_energy_this_month")
    if cost is None or not energy:
        return None
    return round(cost / energy, 2)


def save_energy_prefs(ha: HomeAssistant, ws: WebSocket) -> None:
    """The Energy dashboard's preferences, through energy/save_prefs.

    ELNET's grid and generator registers as two grid connections priced at the
    meter's rates, every metered device as an individual device. Merged into what
    is there (a second run changes nothing; sources and devices added in the UI
    stay).
    """
    ours = intelergy_entities(ha)
    states = {
        s["entity_id"]: s
        for s in ha.call("GET", "/api/states")
        if s["entity_id"] in ours
    }
    sensors = metered_sensors(ha)
    energy = [s for s in sensors if s["attributes"]["device_class"] == "energy"]
    power_of = {
        s["series"]: s["entity_id"]
        for s in sensors
        if s["attributes"]["device_class"] == "power"
    }
    prefs = ws.command("energy/get_prefs") if _has_prefs(ws) else {}
    sources = list(prefs.get("energy_sources") or [])
    devices = list(prefs.get("device_consumption") or [])
    have_sources = {s.get("stat_energy_from") for s in sources}
    have_devices = {d["stat_consumption"] for d in devices}
    changed = False
    for register, name in (("grid", "Grid (EB)"), ("generator", "Generator (DG)")):
        sensor = next((s for s in energy if s["series"] == register), None)
        if sensor is None or sensor["entity_id"] in have_sources:
            continue
        sources.append(
            {
                "type": "grid",
                "name": name,
                "stat_energy_from": sensor["entity_id"],
                "stat_energy_to": None,
                "stat_cost": None,
                "entity_energy_price": None,
                "number_energy_price": elnet_rate(states, register),
                "stat_compensation": None,
                "entity_energy_price_export": None,
                "number_energy_price_export": None,
                "cost_adjustment_day": 0,
            }
        )
        changed = True
    for sensor in energy:
        if sensor["series"] in ("grid", "generator", "house"):
            continue
        if sensor["entity_id"] in have_devices:
            continue
        device: dict[str, Any] = {
            "stat_consumption": sensor["entity_id"],
            "name": _device_name(sensor),
        }
        # Its power sensor: the twin entity id, else the one of the same series.
        twin = sensor["entity_id"].removesuffix("_energy") + "_power"
        power = twin if twin in states else power_of.get(sensor["series"])
        if power is not None:
            device["stat_rate"] = power
        devices.append(device)
        changed = True
    if not changed:
        print("bootstrap: energy dashboard: already set up")
        return
    ws.command("energy/save_prefs", energy_sources=sources, device_consumption=devices)
    grid = [s for s in sources if s.get("type") == "grid"]
    print(
        f"bootstrap: energy dashboard: {len(grid)} grid connections "
        f"({', '.join(f'{s.get("name")} at {s.get("number_energy_price")}' for s in grid)}"
        f" a kWh), {len(devices)} individual devices"
    )


def _has_prefs(ws: WebSocket) -> bool:
    """Whether the Energy dashboard has preferences yet (get_prefs errors if not)."""
    try:
        ws.command("energy/get_prefs")
    except CommandError as err:
        if err.code == "not_found":
            return False
        raise
    return True


def _device_name(sensor: dict[str, Any]) -> str:
    """A device's name: "Living room strip TV energy" → "Living room strip TV"."""
    name = str(sensor["attributes"].get("friendly_name") or sensor["entity_id"])
    return name[: -len(" energy")] if name.lower().endswith(" energy") else name


# -- the demo: the Intelergy dashboard, opened first ---------------------------------

DASHBOARD = {
    "url_path": "intelergy-home",
    "title": "Intelergy",
    "icon": "mdi:lightning-bolt-circle",
    "show_in_sidebar": True,
    "require_admin": False,
    "mode": "storage",
}
DASHBOARD_CONFIG = {"strategy": {"type": "custom:intelergy"}}


def create_dashboard(ws: WebSocket) -> None:
    """The Intelergy dashboard, opened first.

    Storage mode, the custom:intelergy strategy; the user's default panel and
    first in the sidebar, where the frontend keeps them.
    The frontend keeps the default panel in ``frontend/*_data`` key ``core``
    (``default_panel``: the user's wins over the system's, which Settings →
    Dashboards → Set as default writes) and the sidebar's order in the user's
    key ``sidebar`` (``panelOrder``, ``hiddenPanels``). Idempotent; a dashboard
    config already saved (perhaps edited) is kept.
    """
    url_path = DASHBOARD["url_path"]
    dashboards = ws.command("lovelace/dashboards/list")
    if not any(d.get("url_path") == url_path for d in dashboards):
        ws.command("lovelace/dashboards/create", **DASHBOARD)
        print(f"bootstrap: created the dashboard /{url_path}")
    try:
        ws.command("lovelace/config", url_path=url_path)
    except CommandError as err:
        if err.code != "config_not_found":
            raise
        ws.command("lovelace/config/save", url_path=url_path, config=DASHBOARD_CONFIG)
        print("bootstrap: its config: the custom:intelergy strategy")
    for scope in ("user", "system"):
        core = ws.command(f"frontend/get_{scope}_data", key="core")["value"] or {}
        if core.get("default_panel") != url_path:
            ws.command(
                f"frontend/set_{scope}_data",
                key="core",
                value={**core, "default_panel": url_path},
            )
            print(f"bootstrap: /{url_path} is the {scope}'s default panel")
    sidebar = ws.command("frontend/get_user_data", key="sidebar")["value"] or {}
    order = list(sidebar.get("panelOrder") or [])
    if order[:1] != [url_path]:
        ws.command(
            "frontend/set_user_data",
            key="sidebar",
            value={
                **sidebar,
                "panelOrder": [url_path, *(p for p in order if p != url_path)],
                "hiddenPanels": list(sidebar.get("hiddenPanels") or []),
            },
        )
        print(f"bootstrap: /{url_path} is first in the sidebar")


# -- the demo: a phone for the blueprint ---------------------------------------------

PHONE = {
    "device_id": "intelergy-demo-phone",
    "app_id": "io.intelergy.demo_phone",
    "app_name": "Intelergy demo phone",
    "app_version": "1.0",
    "device_name": "Demo phone",
    "manufacturer": "Intelergy",
    "model": "Simulated phone (simulators/phone.py)",
    "os_name": "Android",
    "os_version": "15",
    "supports_encryption": False,
}
PHONE_TOKEN = "demo-phone-push-token"  # noqa: S105 (the simulator's, not a secret)


def register_phone(ha: HomeAssistant, config: Path, phone_url: str) -> None:
    """The demo phone through mobile_app's registration API, once.

    Its webhook id goes to ``<config>/demo-phone.json`` for simulators/phone.py.
    A registration whose entry is gone, or an entry without that file, is done
    again; a moved push URL is updated through the app's webhook.
    """
    path = config / "demo-phone.json"
    push_url = f"{phone_url.rstrip('/')}/push"
    try:
        saved = json.loads(path.read_text())
    except OSError, ValueError:
        saved = {}
    entries = ha.call("GET", "/api/config/config_entries/entry?domain=mobile_app")
    ours = [e for e in entries if e["entry_id"] == saved.get("entry_id")]
    if ours:
        if saved.get("push_url") != push_url:
            ha.call(
                "POST",
                f"/api/webhook/{saved['webhook_id']}",
                {
                    "type": "update_registration",
                    "data": {
                        key: PHONE[key]
                        for key in (
                            "app_version",
                            "device_name",
                            "manufacturer",
                            "model",
                            "os_version",
                        )
                    }
                    | {"app_data": {"push_url": push_url, "push_token": PHONE_TOKEN}},
                },
            )
            path.write_text(json.dumps({**saved, "push_url": push_url}, indent=2))
            print(f"bootstrap: demo phone: pushes now go to {push_url}")
        else:
            print("bootstrap: demo phone: already registered")
        return
    for entry in entries:  # a registration this script lost track of
        if entry["title"] == PHONE["device_name"]:
            ha.call("DELETE", f"/api/config/config_entries/entry/{entry['entry_id']}")
    before = {e["entry_id"] for e in entries}
    answer = ha.call(
        "POST",
        "/api/mobile_app/registrations",
        {**PHONE, "app_data": {"push_url": push_url, "push_token": PHONE_TOKEN}},
    )
    deadline = time.monotonic() + 30
    while True:
        entries = ha.call("GET", "/api/config/config_entries/entry?domain=mobile_app")
        new = [e for e in entries if e["entry_id"] not in before]
        services = ha.call("GET", "/api/services")
        notify = next((s["services"] for s in services if s["domain"] == "notify"), {})
        if new and "mobile_app_demo_phone" in notify:
            break
        if time.monotonic() > deadline:
            raise BootstrapError(
                "the demo phone's entry or notify action did not appear"
            )
        time.sleep(0.5)
    path.write_text(
        json.dumps(
            {
                "webhook_id": answer["webhook_id"],
                "entry_id": new[0]["entry_id"],
                "ha_url": ha.url,
                "push_url": push_url,
                "push_token": PHONE_TOKEN,
            },
            indent=2,
        )
    )
    print(
        f"bootstrap: registered the demo phone (notify.mobile_app_demo_phone → {push_url})"
    )


# The ELNET meter is the whole house: the metered devices draw about 1.8 kW live
# (the ESP32 meter ~1.1 kW, the PZEM ~0.5 kW, the strip ~0.1 kW), the rest of the
# house some more; the simulator's fixture starts at 0.58 kW.
HOUSE_LOAD_KW = 2.4


def house_load(elnet_url: str) -> None:
    """Set the ELNET meter's present load above the metered devices' sum."""
    request = urllib.request.Request(
        elnet_url.rstrip("/") + "/simulator",
        data=json.dumps({"load_kw": HOUSE_LOAD_KW}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10):
        pass


def set_up_demo(ha: HomeAssistant, args: argparse.Namespace) -> None:
    """A week of history, the Energy dashboard, the Intelergy dashboard, the phone."""
    if args.config is not None and args.phone_url:
        register_phone(ha, Path(args.config), args.phone_url)
    house_load(args.elnet_url)
    ws = WebSocket(ha.url, ha.token or "")
    try:
        if args.config is not None:
            import_history(ha, ws, args.history_days, Path(args.config))
        save_energy_prefs(ha, ws)
        create_dashboard(ws)
    finally:
        ws.close()


def main() -> None:
    """Parse the arguments and bootstrap; exit 1 with a message on failure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8123", help="HA's URL")
    parser.add_argument("--elnet-url", default="http://127.0.0.1:8321")
    parser.add_argument("--token", default="develop-token", help="ELNET token")
    parser.add_argument("--shelly-gen1", default="127.0.0.1:8331", help="host:port")
    parser.add_argument("--shelly-gen4", default="127.0.0.1:8332", help="host:port")
    parser.add_argument("--shelly-password", help="the Gen4 strip's login password")
    parser.add_argument("--broker-port", type=int, default=18830, help="Mosquitto")
    parser.add_argument("--pzem", default="127.0.0.1:8502", help="Modbus TCP host:port")
    parser.add_argument("--wait-pid", type=int, help="give up if this process exits")
    parser.add_argument("--timeout", type=float, default=600, help="start-up seconds")
    parser.add_argument(
        "--config", type=Path, help="HA's config dir (the phone's file)"
    )
    parser.add_argument(
        "--phone-url", help="simulators/phone.py, e.g. http://127.0.0.1:8341"
    )
    parser.add_argument("--history-days", type=int, default=7, help="days to back-fill")
    parser.add_argument(
        "--finish-history",
        action="store_true",
        help="only wait for HA's first statistics and continue the imported week",
    )
    args = parser.parse_args()
    ha = HomeAssistant(args.url)
    if args.finish_history:
        finish_history(ha, Path(args.config or "config"), timeout=1200)
        return
    try:
        ha.wait_until_up(args.wait_pid, args.timeout)
        onboard_or_log_in(ha)
        add_entries(ha, args)
        remove_online_only_entries(ha)
        show_entities(ha, timeout=60)
        set_up_demo(ha, args)
    except urllib.error.HTTPError as err:
        body = err.read().decode(errors="replace")[:500]
        sys.exit(f"bootstrap: {err.url}: HTTP {err.code} {body}")
    except (BootstrapError, OSError, KeyError, ValueError) as err:
        if not isinstance(err, BootstrapError):  # where: an unexpected one
            traceback.print_exc()
        sys.exit(f"bootstrap: {type(err).__name__}: {err}")


if __name__ == "__main__":
    main()
