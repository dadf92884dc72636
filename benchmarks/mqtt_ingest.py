"""ESP32 meters over MQTT: messages/second into entity states, three ways, one HA.

N meters (default 50) each publish M readings (default 100) on
``intelergy/<id>/state``: canonical contract payloads, 5 s apart, every field
changing in every message (voltage, current, power, rising energy, power
factor, frequency, rssi). The same Home Assistant instance turns them into
states three ways, one way after the other, each on its own device ids:

* intelergy: one ESP32 meter entry per meter, its 7 sensors created at set-up;
* built-in: what a user would configure instead: 7 MQTT ``sensor`` entities per
  meter (YAML ``mqtt: sensor:``), each on the state topic with
  ``value_template: "{{ value_json.power }}"`` (etc.), unique id, device, device
  and state class, unit;
* floor: one bare ``@callback`` subscription per meter that parses the JSON
  once and calls ``hass.states.async_set`` for the 7 fields with fixed
  attributes: the least anything can do per message (no entity at all).

Messages are injected into HA's MQTT client as paho delivers the broker's
(``MQTTMessage`` objects handed to the client's ``on_message``), so the socket
and the broker stay out of the figures; the MQTT entry is connected to a private
Mosquitto only because it does not start without a broker. Time runs from the
first injection until ``async_block_till_done()`` returns; afterwards every
entity must show the last message's values, so no run can measure a no-op. The
ways run interleaved ``--repeats`` times and the best run of each counts.
The integration runs once more with recorder write-throttling on (60 s, 50 W,
0.001 kWh): how fast, and how many readings still become state writes.

    PYTHONPATH=. .venv/bin/python benchmarks/mqtt_ingest.py   (or benchmarks/run)
    ... benchmarks/mqtt_ingest.py --profile   (where the integration's time goes)
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
import cProfile
from dataclasses import dataclass, field
import gc
import io
import json
import logging
from pathlib import Path
import pstats
import random
import statistics
import tempfile
import time
from typing import Any

from homeassistant import loader
from homeassistant.components import mqtt
from homeassistant.components.mqtt.models import DATA_MQTT, ReceiveMessage
from homeassistant.const import ATTR_UNIT_OF_MEASUREMENT
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from homeassistant.util.json import json_loads
from paho.mqtt.client import MQTTMessage
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_test_home_assistant,
)

from custom_components.intelergy.const import CONF_KIND, DOMAIN, KIND_ESP32
from custom_components.intelergy.meters.esp32.const import (
    CONF_DEVICE_ID,
    CONF_FIELDS,
    CONF_INTERVAL,
    CONF_PREFIX,
    CONF_RELAYS,
)
from custom_components.intelergy.quantities import QUANTITIES
from tests.mosquitto import Mosquitto, free_port

PREFIX = "intelergy"
FIELDS = ("voltage", "current", "power", "energy", "power_factor", "frequency", "rssi")
INTERVAL = 5.0  # seconds between two readings of a meter
THROTTLE_OPTIONS = {
    "throttle": True,
    "throttle_seconds": 60,
    "throttle_power": 50,
    "throttle_energy": 0.001,
    "interval": 5,
}
GOAL_FLOOR = 0.80  # intelergy >= 80 % of the floor
GOAL_BUILTIN = 2.5  # intelergy >= 2.5x the built-in MQTT sensors


# --- the meters' side -------------------------------------------------------------
@dataclass
class Meter:
    """One simulated meter: its id, clock and the values it published last."""

    device_id: str
    rng: random.Random
    timestamp: float
    values: dict[str, float] = field(default_factory=dict)

    def next_reading(self) -> dict[str, Any]:
        """The next reading: 5 s later, every field different from the last one."""
        self.timestamp += INTERVAL
        last, rng = self.values, self.rng
        # A steady load with a few watts of noise: a random walk from 150-450 W.
        walk = last.get("power", rng.uniform(150.0, 450.0)) + rng.uniform(-8.0, 8.0)
        power = _moved(last.get("power"), min(max(walk, 50.0), 900.0), 1)
        voltage = _moved(last.get("voltage"), rng.uniform(226.0, 234.0), 1)
        power_factor = _moved(last.get("power_factor"), rng.uniform(0.90, 0.99), 2)
        energy = last.get("energy", rng.uniform(1000.0, 1100.0))
        self.values = {
            "voltage": voltage,
            "current": _moved(last.get("current"), power / voltage / power_factor, 3),
            "power": power,
            "energy": round(energy + power * INTERVAL / 3_600_000 + 1e-6, 6),
            "power_factor": power_factor,
            "frequency": _moved(last.get("frequency"), rng.uniform(49.9, 50.1), 2),
            "rssi": int(_moved(last.get("rssi"), rng.randint(-75, -50), 0)),
        }
        return {"device_id": self.device_id, "timestamp": self.timestamp, **self.values}


def _moved(last: float | None, new: float, digits: int) -> float:
    """``new`` rounded to ``digits``, one step further if that equals ``last``."""
    value = round(new, digits)
    if value == last:
        value = round(value + 10**-digits, digits)
    return value


def messages(meters: list[Meter], count: int) -> list[MQTTMessage]:
    """``count`` readings of every meter as paho hands them over, meters interleaved."""
    batch = []
    for _ in range(count):
        for meter in meters:
            msg = MQTTMessage(topic=f"{PREFIX}/{meter.device_id}/state".encode())
            msg.payload = json.dumps(meter.next_reading()).encode()
            msg.qos = 1
            msg.timestamp = time.monotonic()
            batch.append(msg)
    return batch


# --- the three ways ---------------------------------------------------------------
@dataclass
class Way:
    """One way of turning messages into states, on meters of its own."""

    name: str
    meters: list[Meter]
    entity_ids: dict[str, dict[str, str]] = field(default_factory=dict)  # id, key
    rates: list[float] = field(default_factory=list)  # msg/s of each run
    written: list[int] = field(default_factory=list)  # readings given to entities


def intelergy_entry(device_id: str, options: dict[str, Any]) -> MockConfigEntry:
    """An ESP32 meter entry whose 7 sensors exist from the start."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"ESP32 meter {device_id}",
        unique_id=f"{PREFIX}/{device_id}",
        data={
            CONF_KIND: KIND_ESP32,
            CONF_DEVICE_ID: device_id,
            CONF_PREFIX: PREFIX,
            CONF_INTERVAL: 5,
            CONF_RELAYS: 0,
            CONF_FIELDS: ["voltage", "current", "power_factor", "frequency", "rssi"],
        },
        options=options,
    )


def builtin_sensors(device_id: str) -> list[dict[str, Any]]:
    """The 7 MQTT sensors a user would write for one meter (``mqtt: sensor:``)."""
    sensors = []
    for key in FIELDS:
        quantity = QUANTITIES[key]
        sensor: dict[str, Any] = {
            "name": key.replace("_", " ").capitalize(),
            "unique_id": f"{device_id}_{key}",
            "state_topic": f"{PREFIX}/{device_id}/state",
            "value_template": f"{{{{ value_json.{key} }}}}",
            "device_class": str(quantity["device_class"]),
            "state_class": str(quantity["state_class"]),
            "device": {"identifiers": [device_id], "name": device_id},
        }
        if unit := quantity.get("native_unit_of_measurement"):
            sensor["unit_of_measurement"] = str(unit)
        if (precision := quantity.get("suggested_display_precision")) is not None:
            sensor["suggested_display_precision"] = precision
        if category := quantity.get("entity_category"):
            sensor["entity_category"] = str(category)
        sensors.append(sensor)
    return sensors


def floor_handler(
    hass: HomeAssistant, targets: list[tuple[str, str, dict[str, str]]]
) -> Callable[[ReceiveMessage], None]:
    """Parse once, set each field's state with fixed attributes."""
    async_set = hass.states.async_set

    @callback
    def received(message: ReceiveMessage) -> None:
        data = json_loads(message.payload)
        for key, entity_id, attributes in targets:
            async_set(entity_id, str(data[key]), attributes)

    return received


async def subscribe_floor(hass: HomeAssistant, way: Way) -> None:
    """One bare subscription per meter (the payload as bytes, like the integration)."""
    for meter in way.meters:
        targets = []
        for key in FIELDS:
            entity_id = f"sensor.{meter.device_id.replace('-', '_')}_{key}"
            quantity = QUANTITIES[key]
            attributes = {
                "state_class": str(quantity["state_class"]),
                "device_class": str(quantity["device_class"]),
                "friendly_name": f"{meter.device_id} {key}",
            }
            if unit := quantity.get("native_unit_of_measurement"):
                attributes[ATTR_UNIT_OF_MEASUREMENT] = str(unit)
            targets.append((key, entity_id, attributes))
            way.entity_ids.setdefault(meter.device_id, {})[key] = entity_id
        await mqtt.async_subscribe(
            hass,
            f"{PREFIX}/{meter.device_id}/state",
            floor_handler(hass, targets),
            1,
            None,
        )


def registry_ids(hass: HomeAssistant, way: Way, platform: str, unique: str) -> None:
    """Each meter's 7 sensors by unique id (``unique`` formats ``id`` and ``key``)."""
    registry = er.async_get(hass)
    for meter in way.meters:
        for key in FIELDS:
            entity_id = registry.async_get_entity_id(
                "sensor", platform, unique.format(id=meter.device_id, key=key)
            )
            if entity_id is None:
                raise RuntimeError(f"{way.name}: no sensor {meter.device_id} {key}")
            way.entity_ids.setdefault(meter.device_id, {})[key] = entity_id


def check(hass: HomeAssistant, way: Way, values: Callable[[Meter], dict]) -> None:
    """Every sensor of ``way`` shows ``values(meter)``."""
    for meter in way.meters:
        expected = values(meter)
        for key, entity_id in way.entity_ids[meter.device_id].items():
            state = hass.states.get(entity_id)
            if state is None or abs(float(state.state) - expected[key]) > 1e-6:
                shown = None if state is None else state.state
                raise RuntimeError(
                    f"{way.name}: {entity_id} is {shown}, not {expected[key]}"
                )


def coordinators(hass: HomeAssistant, way: Way) -> list[Any]:
    """The ESP32 coordinators of ``way``'s meters (none for the other ways)."""
    ids = {meter.device_id for meter in way.meters}
    return [
        entry.runtime_data.coordinator
        for entry in hass.config_entries.async_entries(DOMAIN)
        if entry.data[CONF_DEVICE_ID] in ids
    ]


def check_throttled(hass: HomeAssistant, way: Way, ours: list[Any]) -> None:
    """The states show the last written reading; the newest is that or held."""
    newest = {meter.device_id: meter.timestamp for meter in way.meters}
    shown = {}
    for coordinator in ours:
        latest = (coordinator._pending or coordinator.data).reading  # noqa: SLF001
        if latest is None or latest.timestamp != newest[coordinator.device_id]:
            raise RuntimeError(
                f"{way.name}: {coordinator.base} lost its newest reading"
            )
        reading = coordinator.data.reading
        shown[coordinator.device_id] = {key: getattr(reading, key) for key in FIELDS}
        shown[coordinator.device_id]["energy"] = coordinator.data.energy
    check(hass, way, lambda meter: shown[meter.device_id])


async def run(hass: HomeAssistant, way: Way, count: int) -> tuple[float, int]:
    """Inject ``count`` readings of every meter: msg/s, readings given to entities."""
    client = hass.data[DATA_MQTT].client
    on_message = client._async_mqtt_on_message  # noqa: SLF001
    paho = client._mqttc  # noqa: SLF001
    batch = messages(way.meters, count)
    ours = coordinators(hass, way)
    before = sum(coordinator.written for coordinator in ours)
    gc.collect()
    start = time.perf_counter()
    for msg in batch:
        on_message(paho, None, msg)
    await hass.async_block_till_done()
    elapsed = time.perf_counter() - start
    written = sum(coordinator.written for coordinator in ours) - before
    if ours and ours[0].throttle is not None:
        check_throttled(hass, way, ours)
    else:
        check(hass, way, lambda meter: meter.values)
    return len(batch) / elapsed, written


async def wait_for_subscriptions(hass: HomeAssistant) -> None:
    """Let HA's debounced subscribes reach the broker (no batch mid-run)."""
    client = hass.data[DATA_MQTT].client
    await asyncio.sleep(1.0)
    for _ in range(100):
        await hass.async_block_till_done()
        if not client._pending_subscriptions:  # noqa: SLF001
            return
        await asyncio.sleep(0.1)
    raise RuntimeError("MQTT subscriptions still pending")


# --- set-up, runs, report ---------------------------------------------------------
async def main() -> None:
    """A broker, one HA with the three ways set up, the runs, the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--meters", type=int, default=50)
    parser.add_argument("--messages", type=int, default=100, help="per meter and run")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="cProfile intelergy")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)

    # Every timestamp in the past: none is refused as coming from the future.
    runs = args.repeats + 3  # a warm-up and a profiled run too
    start = dt_util.utcnow().timestamp() - runs * args.messages * INTERVAL - 600

    def meters(tag: str) -> list[Meter]:
        return [
            Meter(f"bench-{tag}-{n:02d}", random.Random(f"{tag}{n}"), start)
            for n in range(args.meters)
        ]

    ways = [
        Way("intelergy", meters("i")),
        Way("built-in MQTT sensor", meters("a")),
        Way("floor", meters("b")),
        Way("intelergy, throttled", meters("t")),
    ]
    broker = Mosquitto()
    await broker.start()
    try:
        with tempfile.TemporaryDirectory(prefix="intelergy-bench-") as config_dir:
            sensors = [
                sensor
                for meter in ways[1].meters
                for sensor in builtin_sensors(meter.device_id)
            ]
            # JSON is YAML: HA's MQTT reads its YAML sensors from here at set-up.
            (Path(config_dir) / "configuration.yaml").write_text(
                json.dumps({"mqtt": {"sensor": sensors}})
            )
            async with async_test_home_assistant(config_dir=config_dir) as hass:
                hass.data.pop(loader.DATA_CUSTOM_COMPONENTS)  # custom integrations
                await set_up(hass, broker, ways)
                await measure(hass, args, ways)
                # Meters and MQTT go before HA stops: no "unavailable" on the way out.
                for domain in (DOMAIN, "mqtt"):
                    for entry in hass.config_entries.async_entries(domain):
                        await hass.config_entries.async_unload(entry.entry_id)
                await hass.async_stop(force=True)
    finally:
        await broker.stop()


async def set_up_mqtt(hass: HomeAssistant, broker: Mosquitto) -> None:
    """HA's MQTT integration on ``broker`` (and http, which it depends on)."""
    # MQTT depends on http, which binds its port at set-up: a free one, not 8123.
    http = {"server_host": [broker.host], "server_port": free_port(broker.host)}
    if not await async_setup_component(hass, "http", {"http": http}):
        raise RuntimeError("http did not set up")
    entry = MockConfigEntry(
        domain="mqtt", data={"broker": broker.host, "port": broker.port}
    )
    entry.add_to_hass(hass)
    if not await hass.config_entries.async_setup(entry.entry_id):
        raise RuntimeError("MQTT did not set up")


async def set_up(hass: HomeAssistant, broker: Mosquitto, ways: list[Way]) -> None:
    """MQTT on the broker (with the YAML sensors), the meter entries, the floor."""
    ours, builtin, floor, throttled = ways
    await set_up_mqtt(hass, broker)
    for meter in ours.meters:
        intelergy_entry(meter.device_id, {}).add_to_hass(hass)
    for meter in throttled.meters:
        intelergy_entry(meter.device_id, dict(THROTTLE_OPTIONS)).add_to_hass(hass)
    if not await async_setup_component(hass, DOMAIN, {}):
        raise RuntimeError("intelergy did not set up")
    await hass.async_block_till_done()
    await subscribe_floor(hass, floor)
    registry_ids(hass, ours, DOMAIN, PREFIX + "/{id}_{key}")
    registry_ids(hass, throttled, DOMAIN, PREFIX + "/{id}_{key}")
    registry_ids(hass, builtin, "mqtt", "{id}_{key}")
    await wait_for_subscriptions(hass)


async def measure(
    hass: HomeAssistant, args: argparse.Namespace, ways: list[Way]
) -> None:
    """Warm up, run the ways interleaved, report; profile the integration if asked."""
    for way in ways:  # untimed: every entity has a state, caches are warm
        await run(hass, way, 2)
    for _ in range(args.repeats):
        for way in ways:
            rate, written = await run(hass, way, args.messages)
            way.rates.append(rate)
            way.written.append(written)
    report(args, ways)
    if args.profile:
        await profile(hass, ways[0], args.messages)


def report(args: argparse.Namespace, ways: list[Way]) -> None:
    """Best and median run of each way, the ratios against the goals, throttling."""
    ours, builtin, floor, throttled = ways
    total = args.meters * args.messages
    print(
        f"MQTT ingest: {args.meters} meters x {args.messages} readings = {total} "
        f"messages per run, {len(FIELDS)} states each; best of {args.repeats} runs"
    )
    for way in ways:
        best = max(way.rates)
        print(
            f"  {way.name:<21}: {best:8.0f} msg/s  {1e6 / best:6.1f} µs/msg  "
            f"(median {statistics.median(way.rates):.0f})"
        )
    to_builtin = max(ours.rates) / max(builtin.rates)
    to_floor = max(ours.rates) / max(floor.rates)
    print(
        f"  intelergy / built-in: {to_builtin:.2f}x   goal >= {GOAL_BUILTIN:g}x: "
        f"{'met' if to_builtin >= GOAL_BUILTIN else 'MISSED'}"
    )
    print(
        f"  intelergy / floor   : {to_floor:.0%}   goal >= {GOAL_FLOOR:.0%}: "
        f"{'met' if to_floor >= GOAL_FLOOR else 'MISSED'}"
    )
    written = statistics.median(throttled.written)
    print(
        f"  throttled: {max(throttled.rates) / max(builtin.rates):.2f}x built-in, "
        f"{max(throttled.rates) / max(floor.rates):.0%} of floor; {written:.0f} of "
        f"{total} readings written ({written * len(FIELDS):.0f} of "
        f"{total * len(FIELDS)} state writes, {written / total:.0%}); the others "
        "held, the newest flushed at the 60 s deadline"
    )


async def profile(hass: HomeAssistant, way: Way, count: int) -> None:
    """One profiled run of the integration: its own code against HA's entity writes."""
    profiler = cProfile.Profile()
    profiler.enable()
    await run(hass, way, count)
    profiler.disable()
    stats = pstats.Stats(profiler, stream=io.StringIO())
    cumulative = {
        (Path(file).name, name): entry[3]
        for (file, _, name), entry in stats.stats.items()  # type: ignore[attr-defined]
    }
    handler = cumulative[("meter.py", "_state")]
    parts = {
        "HA entity state writes (7 sensors)": ("update_coordinator.py", "async_update_listeners"),
        "payload parsing (parse_state)": ("payload.py", "parse_state"),
        "silence timer (_heard)": ("meter.py", "_heard"),
        "energy totalizer": ("totalizer.py", "update"),
        "store delayed save": ("storage.py", "async_delay_save"),
        "new-field announcements": ("meter.py", "_announce"),
    }  # fmt: skip
    print(f"Profile of the intelergy handler (meter.py _state = {handler:.3f} s):")
    for label, key in parts.items():
        seconds = cumulative.get(key, 0.0)
        print(f"  {label:<36}: {seconds:6.3f} s  {seconds / handler:4.0%}")
    out = io.StringIO()
    stats.stream = out  # type: ignore[attr-defined]
    stats.sort_stats("tottime").print_stats(20)
    print(out.getvalue())


if __name__ == "__main__":
    asyncio.run(main())
