"""Make a running Home Assistant ready to use, for scripts/develop.

Through HA's real HTTP APIs, the way the frontend does it, and idempotently:
waits until HA answers, finishes onboarding (owner ``dev`` / ``dev-password``)
or logs in, adds the Intelergy entries of the simulated devices through the
config flow (an ELNET account, a Gen1 Shelly Plug S and a Gen4 Shelly Power
Strip with a login; a device that is already set up aborts its flow as
"already_configured"), and prints a few entities. Standard library only.

    .venv/bin/python scripts/develop_bootstrap.py --url http://127.0.0.1:8123
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any
import urllib.error
import urllib.parse
import urllib.request

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


def add_household_bill(ha: HomeAssistant) -> None:
    """A billing entry over the simulated plugs and meters: the seed's India tariff.

    0-100 kWh at 3.50, 101-300 at 4.50, above at 6.00; 50 a month; GST 18 %.
    """
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
    args = parser.parse_args()
    ha = HomeAssistant(args.url)
    try:
        ha.wait_until_up(args.wait_pid, args.timeout)
        onboard_or_log_in(ha)
        add_entries(ha, args)
        remove_online_only_entries(ha)
        show_entities(ha, timeout=60)
    except urllib.error.HTTPError as err:
        body = err.read().decode(errors="replace")[:500]
        sys.exit(f"bootstrap: {err.url}: HTTP {err.code} {body}")
    except (BootstrapError, OSError, KeyError, ValueError) as err:
        sys.exit(f"bootstrap: {type(err).__name__}: {err}")


if __name__ == "__main__":
    main()
