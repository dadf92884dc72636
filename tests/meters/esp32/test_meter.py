"""ESP32 meter entries through HA's MQTT integration on a real Mosquitto."""

from __future__ import annotations

from datetime import timedelta
import json
import logging
from pathlib import Path
from typing import Any

from freezegun import freeze_time
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest

from custom_components.intelergy.const import DOMAIN
from custom_components.intelergy.meters.esp32.const import CONF_FIELDS, CONF_RELAYS

from .common import BASE, UNIQUE, Link, entity_of, meter_entry, set_up, state_of

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "esp32"


def reading(**fields: Any) -> dict[str, Any]:
    """A canonical reading taken now."""
    return {"timestamp": dt_util.utcnow().timestamp(), **fields}


class Clock:
    """The meter's clock: readings carry its timestamps, 5 s apart by default."""

    def __init__(self) -> None:
        """Start ten minutes ago."""
        self.now = dt_util.utcnow().timestamp() - 600

    def reading(self, step: float = 5.0, **fields: Any) -> dict[str, Any]:
        """A reading ``step`` seconds after the previous one."""
        self.now += step
        return {"timestamp": self.now, **fields}


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.WARNING and r.name.startswith("custom_components")
    ]


async def test_telemetry_makes_entities(hass: HomeAssistant, link: Link) -> None:
    entry = await set_up(link)
    # Before the meter speaks: unavailable, and only power / energy exist.
    assert state_of(hass, "sensor", "power") == STATE_UNAVAILABLE
    registry = er.async_get(hass)
    assert registry.async_get_entity_id("sensor", DOMAIN, f"{UNIQUE}_voltage") is None

    await link.publish(
        "state",
        reading(
            voltage=231.2,
            current=4.35,
            power=998.1,
            energy=12.5,
            power_factor=0.99,
            frequency=50.02,
            rssi=-71,
            relays=[True, False],
        ),
    )
    expected = {
        "power": "998.1",
        "energy": "12.5",
        "voltage": "231.2",
        "current": "4.35",
        "power_factor": "0.99",
        "frequency": "50.02",
        "rssi": "-71",
    }
    assert {key: state_of(hass, "sensor", key) for key in expected} == expected
    assert state_of(hass, "switch", "relay_0") == STATE_ON
    assert state_of(hass, "switch", "relay_1") == STATE_OFF
    energy = hass.states.get(entity_of(hass, "sensor", "energy"))
    assert energy is not None
    assert energy.attributes["state_class"] == "total_increasing"
    assert energy.attributes["unit_of_measurement"] == "kWh"
    rssi = registry.async_get(entity_of(hass, "sensor", "rssi"))
    assert rssi is not None
    assert rssi.entity_category is not None
    # The fields it reported are remembered for the next start.
    assert set(entry.data[CONF_FIELDS]) >= {"voltage", "current", "rssi"}


@pytest.mark.parametrize("fixture", ["smart-energy-system.json", "pzem-meter.json"])
async def test_both_shapes_from_the_wild(
    hass: HomeAssistant, link: Link, fixture: str
) -> None:
    text = (FIXTURES / fixture).read_text()
    payload = json.loads(text)
    device = payload.get("deviceId") or payload["device_id"]
    entry = meter_entry(hass, device_id=device)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await link.settle()
    from homeassistant.components import mqtt  # noqa: PLC0415

    # HA's clock a second after the reading was taken (the captures are old).
    taken = payload["timestamp"]
    when = (
        dt_util.utc_from_timestamp(taken)
        if isinstance(taken, int | float)
        else dt_util.parse_datetime(taken)
    )
    assert when is not None
    with freeze_time(when + timedelta(seconds=1), tick=True):
        await mqtt.async_publish(hass, f"intelergy/{device}/state", text)
        await link.sync()
    unique = f"intelergy/{device}"
    assert state_of(hass, "sensor", "voltage", unique) == str(payload["voltage"])
    assert state_of(hass, "sensor", "current", unique) == str(payload["current"])


async def test_relays_follow_the_meter_not_the_command(
    hass: HomeAssistant, link: Link
) -> None:
    await set_up(link)
    await link.capture(f"{BASE}/relay/+/set")
    await link.publish("state", reading(power=5.0))
    await link.publish("relay/0", "ON", retain=True)
    switch = entity_of(hass, "switch", "relay_0")
    await hass.services.async_call(
        "switch", "turn_off", {"entity_id": switch}, blocking=True
    )
    await link.sync()
    assert link.sent == [(f"{BASE}/relay/0/set", "OFF")]
    # Not optimistic: still on until the meter says otherwise.
    assert state_of(hass, "switch", "relay_0") == STATE_ON
    await link.publish("relay/0", "OFF", retain=True)
    assert state_of(hass, "switch", "relay_0") == STATE_OFF
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": switch}, blocking=True
    )
    await link.sync()
    assert link.sent[-1] == (f"{BASE}/relay/0/set", "ON")


async def test_new_relay_and_fields_appear(hass: HomeAssistant, link: Link) -> None:
    entry = await set_up(link, relays=0)
    await link.publish("state", reading(power=5.0))
    await link.publish("relay/2", "ON")
    assert entry.data[CONF_RELAYS] == 3
    assert state_of(hass, "switch", "relay_2") == STATE_ON
    assert state_of(hass, "switch", "relay_0") == STATE_UNKNOWN
    await link.publish("state", reading(power=6.0, voltage=229.0))
    assert state_of(hass, "sensor", "voltage") == "229.0"
    # After a restart they are there from the start (unavailable until it speaks).
    assert await hass.config_entries.async_reload(entry.entry_id)
    await link.settle()
    assert state_of(hass, "sensor", "voltage") == STATE_UNAVAILABLE
    assert state_of(hass, "switch", "relay_2") == STATE_UNAVAILABLE


async def test_availability_lwt_and_silence(
    hass: HomeAssistant, link: Link, caplog: pytest.LogCaptureFixture
) -> None:
    await set_up(link)
    await link.publish("availability", "online")
    await link.publish("state", reading(power=5.0))
    assert state_of(hass, "sensor", "power") == "5.0"

    await link.publish("availability", "offline")  # the meter's Last Will
    assert state_of(hass, "sensor", "power") == STATE_UNAVAILABLE
    assert warnings(caplog) == [f"{BASE}: meter unavailable: offline (Last Will)"]

    await link.publish("availability", "online")
    await link.publish("state", reading(power=6.0))
    assert state_of(hass, "sensor", "power") == "6.0"

    caplog.clear()
    await link.later(14)  # under 3 x 5 s
    assert state_of(hass, "sensor", "power") == "6.0"
    await link.later(16)
    assert state_of(hass, "sensor", "power") == STATE_UNAVAILABLE
    assert warnings(caplog) == [f"{BASE}: meter unavailable: no telemetry for 15 s"]
    await link.publish("state", reading(power=7.0))
    assert state_of(hass, "sensor", "power") == "7.0"

    await link.publish("availability", "maybe")
    assert state_of(hass, "sensor", "power") == "7.0"


async def test_interval_from_the_payload(hass: HomeAssistant, link: Link) -> None:
    await set_up(link)
    await link.publish("state", reading(power=5.0, interval=60))
    await link.later(150)
    assert state_of(hass, "sensor", "power") == "5.0"
    await link.later(181)
    assert state_of(hass, "sensor", "power") == STATE_UNAVAILABLE


async def test_broker_lost_makes_unavailable(
    hass: HomeAssistant, link: Link, caplog: pytest.LogCaptureFixture
) -> None:
    await set_up(link)
    await link.publish("state", reading(power=5.0))
    assert state_of(hass, "sensor", "power") == "5.0"
    await link.broker.stop()
    for _ in range(2000):
        await link.wait()
        if state_of(hass, "sensor", "power") == STATE_UNAVAILABLE:
            break
    assert state_of(hass, "sensor", "power") == STATE_UNAVAILABLE
    assert f"{BASE}: meter unavailable: MQTT disconnected" in warnings(caplog)


BAD = [
    ("not JSON", "power=5", "not_json"),
    ("wrong type", json.dumps({"power": "5"}), "wrong_type"),
    ("NaN", '{"power": NaN}', "not_json"),
    ("infinite", '{"power": 1e999}', "out_of_range"),
    ("negative power", json.dumps({"power": -3}), "out_of_range"),
    ("future timestamp", None, "future_timestamp"),
    ("huge", json.dumps({"power": 1, "pad": "x" * 10000}), "too_large"),
    (
        "other device",
        json.dumps({"power": 1, "device_id": "hall-meter"}),
        "device_mismatch",
    ),
    ("array", "[1]", "not_object"),
    ("non-UTF-8", b"\xff\xfe\x00", "not_json"),
]


@pytest.mark.parametrize(("name", "payload", "code"), BAD, ids=[b[0] for b in BAD])
async def test_bad_input_changes_nothing_and_logs_once(
    hass: HomeAssistant,
    link: Link,
    caplog: pytest.LogCaptureFixture,
    name: str,
    payload: Any,
    code: str,
) -> None:
    await set_up(link)
    await link.publish("state", reading(power=5.0, energy=2.0))
    if payload is None:
        payload = json.dumps(
            {"power": 1, "timestamp": dt_util.utcnow().timestamp() + 86400}
        )
    caplog.clear()
    await link.publish("state", payload)
    assert state_of(hass, "sensor", "power") == "5.0"
    assert state_of(hass, "sensor", "energy") == "2.0"
    lines = warnings(caplog)
    assert len(lines) == 1, lines
    assert f"refused state message ({code})" in lines[0]
    # The same again: debug only.
    caplog.clear()
    await link.publish("state", payload)
    assert warnings(caplog) == []


async def test_odd_topics_and_ids_are_not_ours(
    hass: HomeAssistant, link: Link, caplog: pytest.LogCaptureFixture
) -> None:
    # "+" and "#" cannot be published; "/" makes another topic level; a non-ASCII
    # id is another topic. None of them reaches the meter, nothing is logged.
    await set_up(link)
    await link.publish("state", reading(power=5.0))
    from homeassistant.components import mqtt  # noqa: PLC0415

    for topic in ("intelergy/kitchen-meter/x/state", "intelergy/kïtchen-meter/state"):
        await mqtt.async_publish(hass, topic, json.dumps(reading(power=99.0)))
    await link.sync()
    assert state_of(hass, "sensor", "power") == "5.0"
    assert warnings(caplog) == []


async def test_unknown_fields_logged_once(
    hass: HomeAssistant, link: Link, caplog: pytest.LogCaptureFixture
) -> None:
    await set_up(link)
    with caplog.at_level(logging.INFO):
        await link.publish("state", reading(power=5.0, firmware="1.2", heap=1000))
        await link.publish("state", reading(power=6.0, firmware="1.2", heap=999))
    lines = [
        r.getMessage() for r in caplog.records if "unknown fields" in r.getMessage()
    ]
    assert lines == [f"{BASE}: ignoring unknown fields firmware, heap"]
    assert state_of(hass, "sensor", "power") == "6.0"


async def test_bad_relay_messages(
    hass: HomeAssistant, link: Link, caplog: pytest.LogCaptureFixture
) -> None:
    await set_up(link)
    await link.publish("state", reading(power=5.0))
    await link.publish("relay/0", "ON")
    await link.publish("relay/0", "maybe")
    await link.publish("relay/99", "ON")
    await link.publish("relay/x", "ON")
    assert state_of(hass, "switch", "relay_0") == STATE_ON
    assert len(warnings(caplog)) == 2  # one per kind: wrong_type, out_of_range


async def test_duplicate_and_out_of_order_readings(
    hass: HomeAssistant, link: Link
) -> None:
    # Ordered by (boot, uptime): a redelivered or late message is dropped.
    await set_up(link)
    now = dt_util.utcnow().timestamp()
    first = {"timestamp": now, "boot": 4, "uptime": 100, "power": 5.0, "energy": 2.0}
    await link.publish("state", first)
    late = {"timestamp": now - 10, "boot": 4, "uptime": 90, "power": 9.0}
    await link.publish("state", {**late, "energy": 1.9})
    await link.publish("state", {**first, "power": 9.0})  # same uptime: a repeat
    assert state_of(hass, "sensor", "power") == "5.0"
    assert state_of(hass, "sensor", "energy") == "2.0"
    # A new boot starts its own order.
    await link.publish("state", {**first, "boot": 5, "uptime": 3, "power": 7.0})
    assert state_of(hass, "sensor", "power") == "7.0"


@pytest.mark.parametrize("step", [-2.0, -240.0, 3.0])
async def test_live_readings_are_never_dropped_for_the_meters_clock(
    hass: HomeAssistant, link: Link, step: float
) -> None:
    """SNTP correcting the meter's clock (2 s, 4 min back) freezes nothing."""
    await set_up(link)
    now = dt_util.utcnow().timestamp()
    await link.publish("state", {"timestamp": now, "power": 5.0, "energy": 2.0})
    for n in range(1, 4):
        taken = now + n * step
        await link.publish(
            "state", {"timestamp": taken, "power": 5.0 + n, "energy": 2.0}
        )
        assert state_of(hass, "sensor", "power") == f"{5.0 + n}"
    # A clock that is not set (before 2020) never becomes the newest time.
    await link.publish("state", {"timestamp": 1000, "power": 42.0, "energy": 2.0})
    assert state_of(hass, "sensor", "power") == "42.0"
    await link.publish("state", {"timestamp": now, "power": 43.0, "energy": 2.0})
    assert state_of(hass, "sensor", "power") == "43.0"


async def test_old_retained_state_is_counted_not_shown_live(
    hass: HomeAssistant, link: Link
) -> None:
    """A 3-day-old retained 2500 W (no Last Will) at HA's start is no live power."""
    old = dt_util.utcnow().timestamp() - 3 * 86400
    await link.publish(
        "state", {"timestamp": old, "power": 2500.0, "energy": 7.5}, retain=True
    )
    entry = await set_up(link)
    coordinator = entry.runtime_data.coordinator
    await link.sync()
    assert coordinator.totalizer.total(0) == 7.5  # its energy counts
    assert state_of(hass, "sensor", "power") == STATE_UNAVAILABLE
    await link.publish("state", reading(power=100.0, energy=7.6))
    assert state_of(hass, "sensor", "power") == "100.0"
    assert state_of(hass, "sensor", "energy") == "7.6"


async def test_energy_going_backwards(
    hass: HomeAssistant, link: Link, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    await set_up(link)
    await link.publish("state", clock.reading(power=5.0, energy=10.0, uptime=1000))
    # A glitch: lower, uptime still counting up. Held, one warning.
    caplog.clear()
    await link.publish("state", clock.reading(power=5.0, energy=3.0, uptime=1005))
    assert state_of(hass, "sensor", "energy") == "10.0"
    assert len(warnings(caplog)) == 1
    await link.publish("state", clock.reading(power=5.0, energy=10.1, uptime=1010))
    assert state_of(hass, "sensor", "energy") == "10.1"
    # A reset: the meter rebooted and lost its counter. The total carries on.
    await link.publish("state", clock.reading(power=5.0, energy=0.2, uptime=3))
    assert float(state_of(hass, "sensor", "energy")) == pytest.approx(10.3)


async def test_throttled_writes(hass: HomeAssistant, link: Link) -> None:
    clock = Clock()
    entry = await set_up(
        link,
        options={
            "interval": 60,  # silence (3 intervals) must not cut in here
            "throttle": True,
            "throttle_seconds": 60,
            "throttle_power": 50,
            "throttle_energy": 0.001,
        },
    )
    coordinator = entry.runtime_data.coordinator
    await link.publish("state", clock.reading(power=100.0, energy=1.0))
    assert coordinator.written == 1
    for step in range(1, 6):  # small changes every 5 s: held
        await link.publish(
            "state", clock.reading(power=100.0 + step, energy=1.0 + step * 1e-4)
        )
    assert coordinator.written == 1
    assert state_of(hass, "sensor", "power") == "100.0"
    await link.publish("state", clock.reading(power=200.0, energy=1.0006))  # +95 W
    assert coordinator.written == 2
    assert state_of(hass, "sensor", "power") == "200.0"
    await link.publish("state", clock.reading(power=201.0, energy=1.0007))
    assert state_of(hass, "sensor", "power") == "200.0"
    # The held reading is written when 60 s have passed since the last write.
    await link.later(54)
    assert coordinator.written == 2
    await link.later(56)
    assert coordinator.written == 3
    assert state_of(hass, "sensor", "power") == "201.0"


async def test_setup_waits_for_mqtt(hass: HomeAssistant) -> None:
    entry = meter_entry(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY


async def test_unload_and_remove(
    hass: HomeAssistant, link: Link, hass_storage: dict[str, Any]
) -> None:
    entry = await set_up(link)
    await link.publish("state", reading(power=5.0, energy=3.0))
    assert await hass.config_entries.async_unload(entry.entry_id)
    stored = hass_storage[f"intelergy.esp32.{entry.entry_id}"]["data"]
    assert stored["totalizer"]["channels"]["0"]["counter"] == 3.0
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert f"intelergy.esp32.{entry.entry_id}" not in hass_storage


@pytest.mark.parametrize("boot", [True, False])
async def test_reboot_restoring_a_little_lower_is_not_doubled(
    hass: HomeAssistant, link: Link, caplog: pytest.LogCaptureFixture, boot: bool
) -> None:
    """12.345 kWh, reboot, 12.340 restored (uptime 0): 12.345 carries on, not 24.685."""
    entry = await set_up(link)
    extra = {"boot": 7} if boot else {}
    await link.publish("state", reading(power=5.0, energy=12.345, uptime=5000, **extra))
    caplog.clear()
    extra = {"boot": 8} if boot else {}
    await link.publish("state", reading(power=5.0, energy=12.340, uptime=0, **extra))
    assert float(state_of(hass, "sensor", "energy")) == pytest.approx(12.345)
    await link.publish("state", reading(power=5.0, energy=12.350, uptime=5, **extra))
    assert float(state_of(hass, "sensor", "energy")) == pytest.approx(12.355)
    (line,) = warnings(caplog)
    assert "continuation (12.345 -> 12.34 kWh" in line
    counters = entry.runtime_data.coordinator.totalizer.diagnostics()
    assert counters["stats"]["continuations"] == 1
    assert counters["semantics"] == ("persistent" if boot else "unknown")


async def test_corrupt_high_energy_is_never_counted(
    hass: HomeAssistant, link: Link
) -> None:
    await set_up(link)
    await link.publish("state", reading(power=5.0, energy=0.5, uptime=100))
    await link.publish("state", reading(power=5.0, energy=1e9, uptime=105))
    await link.publish("state", reading(power=5.0, energy=0.501, uptime=110))
    assert float(state_of(hass, "sensor", "energy")) == pytest.approx(0.501)


async def test_dropped_readings_are_shown_and_logged(
    hass: HomeAssistant, link: Link, caplog: pytest.LogCaptureFixture
) -> None:
    entry = await set_up(link)
    await link.publish("state", reading(power=5.0, energy=1.0, boot=2, uptime=10))
    assert (
        er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{UNIQUE}_dropped")
        is None
    )  # created when the meter first reports it
    caplog.clear()
    await link.publish(
        "state", reading(power=5.0, energy=1.1, boot=2, uptime=20, dropped=3600)
    )
    await link.sync()
    assert state_of(hass, "sensor", "dropped") == "3600"
    assert [w for w in warnings(caplog) if "dropped 3600 readings" in w]
    # A reading without it (the meter rebooted, nothing dropped since) shows 0.
    await link.publish("state", reading(power=5.0, energy=1.2, boot=3, uptime=1))
    assert state_of(hass, "sensor", "dropped") == "0"
    assert entry.runtime_data.diagnostics()["dropped_readings"] == 3600


@pytest.mark.parametrize(
    ("device_id", "prefix"), [("+", "intelergy"), ("meter", "home/#"), ("a/b", "x")]
)
async def test_stored_wildcard_topics_are_refused_with_a_repair_issue(
    hass: HomeAssistant, link: Link, device_id: str, prefix: str
) -> None:
    from homeassistant.helpers import issue_registry as ir  # noqa: PLC0415

    entry = meter_entry(hass)
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, "device_id": device_id, "prefix": prefix}
    )
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, f"esp32_invalid_topic_{entry.entry_id}"
    )
    assert issue is not None
    assert issue.translation_placeholders == {
        "title": entry.title,
        "device_id": device_id,
        "prefix": prefix,
    }
