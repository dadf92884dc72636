"""A simulated ESP32 energy meter speaking the Intelergy MQTT contract.

Behaves as the real firmware will (``docs/mqtt-contract.md``): connects with a
retained ``offline`` Last Will on ``<prefix>/<device_id>/availability``; on every
connect publishes ``online``, each relay's ``ON`` / ``OFF`` (retained) and
subscribes to ``…/relay/+/set``; every ``interval`` seconds takes a reading
(power follows the relays: ``loads[n]`` watts while relay ``n`` is on, plus a
small base load; energy integrates it over the real elapsed time) and publishes
it on ``…/state``, or, while the broker is unreachable, keeps it in a bounded
offline buffer that goes out on ``…/backlog`` (chunks of at most 500 readings,
oldest first) as soon as the connection is back, before ``state`` resumes.

``shape`` picks the field names: ``canonical`` (the contract's), ``camel``
(``deviceId``, epoch timestamp) or ``snake`` (``power_w`` / ``energy_kwh``, ISO
8601 timestamp), as firmwares in the wild write them. The canonical shape, as the
Intelergy firmware, also carries ``boot`` (the boot counter: ``boot`` at start, one
more at every ``restart()``; with ``state_dir`` persisted with the energy register
and one more at every start, as the firmware's NVS) and, once the offline buffer
has dropped readings since boot, ``dropped`` (their count) in every reading.

    python -m simulators.esp32_meter --device-id kitchen-meter --port 1883 --interval 5

The command runs until SIGINT / SIGTERM, then publishes ``offline`` and exits 0.
Run it as a subprocess from tests: its network loop lives in threads.
"""

from __future__ import annotations

import argparse
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
import json
import logging
import math
from pathlib import Path
import random
import re
import signal
import threading
import time
from types import FrameType
from typing import Any, Final

from paho.mqtt.client import (
    Client,
    ConnectFlags,
    DisconnectFlags,
    MQTTMessage,
    MQTTv311,
)
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

_LOGGER = logging.getLogger(__name__)

SHAPES: Final = ("canonical", "camel", "snake")
DEVICE_ID_PATTERN: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")
BASE_LOAD_W: Final = 3.0  # the meter's own electronics, relays off
DEFAULT_LOADS_W: Final = (100.0, 1000.0, 60.0, 2000.0)  # cycled over the relays
BACKLOG_CHUNK: Final = 500  # readings per backlog message (the contract allows 2000)
BUFFER_SIZE: Final = 10000
MAX_RELAYS: Final = 16
KEEPALIVE: Final = 15  # seconds
BOOT_MODULO: Final = 2**32  # the boot counter is 32 bits (the contract's bounds)
STOP_PUBLISH_TIMEOUT: Final = 2.0  # seconds to wait for ``offline`` to be acknowledged


def backlog_chunks(
    readings: Iterable[dict[str, Any]], size: int = BACKLOG_CHUNK
) -> list[list[dict[str, Any]]]:
    """``readings`` (oldest first) cut into backlog messages of at most ``size``."""
    items = list(readings)
    return [items[start : start + size] for start in range(0, len(items), size)]


def catching_up(since: float, speed: float) -> Callable[[], float]:
    """A clock starting ``since`` seconds ago, running ``speed`` times fast until now.

    Lets a test produce hours of buffered readings in seconds (never in the future).
    """
    real_start = time.time()
    start = real_start - since

    def clock() -> float:
        now = time.time()
        return min(now, start + (now - real_start) * speed)

    return clock


def iso_timestamp(now: float) -> str:
    """Epoch seconds as ISO 8601 UTC with milliseconds and a ``Z``."""
    text = datetime.fromtimestamp(now, UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


class SimulatedMeter:
    """One ESP32 meter: its relays, energy register, offline buffer and MQTT client."""

    def __init__(
        self,
        device_id: str,
        host: str = "127.0.0.1",
        port: int = 1883,
        *,
        prefix: str = "intelergy",
        interval: float = 5.0,
        relays: int = 2,
        loads: list[float] | None = None,
        shape: str = "canonical",
        energy_kwh: float = 0.0,
        buffer_size: int = BUFFER_SIZE,
        seed: int | None = None,
        clock: Callable[[], float] = time.time,
        boot: int | None = 1,
        state_dir: str | Path | None = None,
    ) -> None:
        """A meter publishing under ``<prefix>/<device_id>/`` on ``host:port``.

        ``loads[n]``: watts drawn while relay ``n`` is on (all relays start on);
        ``energy_kwh``: the register's starting value; ``buffer_size``: readings
        kept while offline (older ones are dropped and counted); ``seed``: for
        reproducible noise; ``clock``: the meter's time (epoch s); ``boot``: the
        boot counter of this start (``None``: not reported); ``state_dir``: where
        the energy register and the boot counter persist (``<device_id>.json``):
        a stored register replaces ``energy_kwh``, the stored counter plus one
        replaces ``boot``.
        """
        if DEVICE_ID_PATTERN.fullmatch(device_id) is None:
            raise ValueError(f"device id {device_id!r}: 1-64 of A-Z a-z 0-9 _ -")
        if not prefix or any(c in prefix for c in "+#") or prefix.endswith("/"):
            raise ValueError(f"prefix {prefix!r}")
        if shape not in SHAPES:
            raise ValueError(f"shape {shape!r}: one of {', '.join(SHAPES)}")
        if not 0 <= relays <= MAX_RELAYS:
            raise ValueError(f"relays: {relays} (0..{MAX_RELAYS})")
        if interval <= 0:
            raise ValueError(f"interval: {interval}")
        if loads is None:
            loads = [DEFAULT_LOADS_W[n % len(DEFAULT_LOADS_W)] for n in range(relays)]
        if len(loads) != relays:
            raise ValueError(f"{len(loads)} loads for {relays} relays")
        if boot is not None and not 0 <= boot < BOOT_MODULO:
            raise ValueError(f"boot: {boot} (0..{BOOT_MODULO - 1})")
        self.clock = clock
        self.device_id = device_id
        self.host = host
        self.port = port
        self.prefix = prefix
        self.interval = interval
        self.loads = [float(load) for load in loads]
        self.shape = shape
        self.energy_kwh = float(energy_kwh)
        self.relay_states = [True] * relays
        self.buffer: deque[dict[str, Any]] = deque(maxlen=buffer_size)
        self.dropped = 0  # readings lost because the buffer was full (since boot)
        self.boot = boot
        self.state_file = (
            None if state_dir is None else Path(state_dir) / f"{device_id}.json"
        )
        self.published = 0  # state messages handed to the client
        self.backlog_messages = 0
        self._random = random.Random(seed)  # noqa: S311 (noise, not crypto)
        self._boot: float | None = None
        self._last: float | None = None  # when energy was last integrated
        self._lock = threading.RLock()
        self._connected = threading.Event()
        self._stopping = threading.Event()
        self._ticker: threading.Thread | None = None
        self._client: Client | None = None
        if self.state_file is not None:
            stored = self._load_state(self.state_file)
            self.energy_kwh = float(stored.get("energy_kwh", self.energy_kwh))
            if "boot" in stored:
                self.boot = (int(stored["boot"]) + 1) % BOOT_MODULO
            elif self.boot is None:
                self.boot = 1
            self.save_state()  # this start is counted before anything is sent

    # --- persistence (the firmware's NVS) ----------------------------------------
    @staticmethod
    def _load_state(path: Path) -> dict[str, Any]:
        """What ``path`` holds (nothing if missing or unreadable)."""
        try:
            stored = json.loads(path.read_text())
        except OSError, ValueError:
            return {}
        if not isinstance(stored, dict):
            return {}
        valid: dict[str, Any] = {}
        energy = stored.get("energy_kwh")
        if (
            isinstance(energy, int | float)
            and not isinstance(energy, bool)
            and math.isfinite(energy)
            and energy >= 0
        ):
            valid["energy_kwh"] = energy
        boot = stored.get("boot")
        if isinstance(boot, int) and not isinstance(boot, bool):
            valid["boot"] = boot % BOOT_MODULO
        return valid

    def save_state(self) -> None:
        """Store the energy register and the boot counter (all or nothing)."""
        if self.state_file is None:
            return
        with self._lock:
            text = json.dumps({"boot": self.boot, "energy_kwh": self.energy_kwh})
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.state_file.with_name(self.state_file.name + ".tmp")
        temporary.write_text(text)
        temporary.replace(self.state_file)

    # --- topics ---------------------------------------------------------------
    def topic(self, suffix: str) -> str:
        """``<prefix>/<device_id>/<suffix>``."""
        return f"{self.prefix}/{self.device_id}/{suffix}"

    @property
    def buffered(self) -> int:
        """Readings waiting in the offline buffer."""
        return len(self.buffer)

    @property
    def connected(self) -> bool:
        """Whether the meter is connected to the broker."""
        return self._connected.is_set()

    def wait_connected(self, timeout: float | None = None) -> bool:
        """Block until connected (or ``timeout``); whether it is."""
        return self._connected.wait(timeout)

    # --- the meter ------------------------------------------------------------
    def load_w(self) -> float:
        """Power drawn now, W: the base load plus the loads of the relays that are on."""
        return BASE_LOAD_W + sum(
            load for load, on in zip(self.loads, self.relay_states, strict=True) if on
        )

    def _integrate(self, now: float) -> None:
        """Add the present load from the last integration up to ``now``."""
        if self._last is not None and now > self._last:
            self.energy_kwh += self.load_w() * (now - self._last) / 3_600_000
        if self._last is None or now > self._last:
            self._last = now

    def set_relay(self, index: int, on: bool, now: float | None = None) -> None:
        """Switch relay ``index``; energy up to ``now`` is counted at the old load."""
        with self._lock:
            self._integrate(self.clock() if now is None else now)
            self.relay_states[index] = on

    def reading(self, now: float) -> dict[str, Any]:
        """Take one reading at ``now`` (epoch s; advances energy); the payload dict."""
        with self._lock:
            self._integrate(now)
            if self._boot is None:
                self._boot = now
            voltage = 230.0 + self._random.uniform(-2.0, 2.0)
            power = self.load_w() * (1 + self._random.uniform(-0.01, 0.01))
            power_factor = 0.95 + self._random.uniform(-0.02, 0.02)
            values: dict[str, Any] = {
                "voltage": round(voltage, 2),
                "current": round(power / voltage, 3),
                "power": round(power, 2),
                "energy": round(self.energy_kwh, 6),
                "power_factor": round(power_factor, 3),
                "frequency": round(50.0 + self._random.uniform(-0.05, 0.05), 2),
                "rssi": -60 + self._random.randint(-3, 3),
                "uptime": round(max(0.0, now - self._boot), 1),
                "relays": list(self.relay_states),
            }
            if self.boot is not None:
                values["boot"] = self.boot
            if self.dropped > 0:
                values["dropped"] = self.dropped
            return self._shaped(values, now)

    def _shaped(self, values: dict[str, Any], now: float) -> dict[str, Any]:
        """``values`` under the field names and timestamp format of ``shape``."""
        if self.shape == "camel":
            # As the "smart energy system" firmware: few fields, epoch timestamp.
            return {
                "deviceId": self.device_id,
                "voltage": values["voltage"],
                "current": values["current"],
                "power": values["power"],
                "energy": values["energy"],
                "timestamp": round(now, 3),
                "relays": values["relays"],
            }
        if self.shape == "snake":
            # As the PZEM firmware: unit suffixes, ISO 8601 timestamp.
            return {
                "device_id": self.device_id,
                "timestamp": iso_timestamp(now),
                "voltage": values["voltage"],
                "current": values["current"],
                "power_w": values["power"],
                "energy_kwh": values["energy"],
                "power_factor": values["power_factor"],
                "rssi": values["rssi"],
                "uptime": values["uptime"],
                "relays": values["relays"],
            }
        payload = {"device_id": self.device_id, "timestamp": round(now, 3), **values}
        if 1 <= self.interval <= 86400:  # the contract's bounds for ``interval``
            payload["interval"] = self.interval
        return payload

    def buffer_reading(self, reading: dict[str, Any]) -> None:
        """Keep ``reading`` for the backlog; the oldest goes when the buffer is full."""
        with self._lock:
            if (
                self.buffer.maxlen is not None
                and len(self.buffer) >= self.buffer.maxlen
            ):
                self.dropped += 1
            self.buffer.append(reading)

    def drain_backlog(self) -> list[list[dict[str, Any]]]:
        """Empty the offline buffer into backlog messages (oldest first)."""
        with self._lock:
            chunks = backlog_chunks(self.buffer)
            self.buffer.clear()
            return chunks

    def tick(self, now: float | None = None) -> dict[str, Any]:
        """Take a reading; publish it on ``…/state`` if connected, else buffer it."""
        with self._lock:
            reading = self.reading(self.clock() if now is None else now)
            if self._client is not None and self.connected:
                self._client.publish(self.topic("state"), json.dumps(reading), qos=1)
                self.published += 1
            else:
                self.buffer_reading(reading)
        self.save_state()
        return reading

    def restart(self, now: float | None = None) -> None:
        """Reboot the meter: one more boot, uptime from 0, RAM lost, energy kept.

        The offline buffer and its ``dropped`` count go (they live in RAM), relays
        come back on; the energy register and the boot counter survive (NVS). A
        started meter says ``offline``, disconnects and connects again.
        """
        running = self._client is not None
        if running:
            self.stop()
        with self._lock:
            now = self.clock() if now is None else now
            self._integrate(now)
            if self.boot is not None:
                self.boot = (self.boot + 1) % BOOT_MODULO
            self._boot = now
            self.buffer.clear()
            self.dropped = 0
            self.relay_states = [True] * len(self.relay_states)
        self.save_state()
        if running:
            self.start()

    # --- MQTT -----------------------------------------------------------------
    def _on_connect(
        self,
        client: Client,
        userdata: Any,
        flags: ConnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        """Announce the meter, its relays and its backlog; then go live."""
        if reason_code.is_failure:
            _LOGGER.warning(
                "%s: broker refused the connection: %s", self.device_id, reason_code
            )
            return
        with self._lock:
            client.publish(self.topic("availability"), "online", qos=1, retain=True)
            self._publish_relays(client, range(len(self.relay_states)))
            client.subscribe(self.topic("relay/+/set"), qos=1)
            chunks = self.drain_backlog()
            for chunk in chunks:
                client.publish(self.topic("backlog"), json.dumps(chunk), qos=1)
            self.backlog_messages += len(chunks)
            self._connected.set()
        if chunks:
            _LOGGER.info(
                "%s: sent a backlog of %d readings in %d messages",
                self.device_id,
                sum(len(chunk) for chunk in chunks),
                len(chunks),
            )
        _LOGGER.info("%s: connected to %s:%s", self.device_id, self.host, self.port)

    def _on_disconnect(
        self,
        client: Client,
        userdata: Any,
        flags: DisconnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        """Buffer readings from now on until the connection is back."""
        with self._lock:
            self._connected.clear()
        if not self._stopping.is_set():
            _LOGGER.info(
                "%s: disconnected (%s), buffering", self.device_id, reason_code
            )

    def _on_message(self, client: Client, userdata: Any, message: MQTTMessage) -> None:
        """A relay command on ``…/relay/<n>/set``: ``ON`` or ``OFF``."""
        parts = message.topic.split("/")
        command = message.payload.decode(errors="replace").strip()
        index = int(parts[-2]) if parts[-2].isascii() and parts[-2].isdecimal() else -1
        if not 0 <= index < len(self.relay_states) or command not in ("ON", "OFF"):
            _LOGGER.warning(
                "%s: ignored command %r on %s",
                self.device_id,
                command[:20],
                message.topic,
            )
            return
        with self._lock:
            self.set_relay(index, command == "ON")
            self._publish_relays(client, [index])
        _LOGGER.info("%s: relay %d %s", self.device_id, index, command)

    def _publish_relays(self, client: Client, indices: Iterable[int]) -> None:
        """Publish the retained state of the relays ``indices``."""
        for index in indices:
            state = "ON" if self.relay_states[index] else "OFF"
            client.publish(self.topic(f"relay/{index}"), state, qos=1, retain=True)

    def _run_ticker(self) -> None:
        """Take a reading every ``interval`` seconds, on a drift-free schedule."""
        start = time.monotonic()
        count = 0
        while True:
            count += 1
            delay = start + count * self.interval - time.monotonic()
            if delay < 0:  # fell behind (a suspended machine): skip, don't burst
                count += int(-delay // self.interval) + 1
                delay = start + count * self.interval - time.monotonic()
            if self._stopping.wait(delay):
                return
            try:
                self.tick()
            except Exception:
                _LOGGER.exception("%s: reading failed", self.device_id)

    def start(self) -> None:
        """Connect (retrying with backoff) and take readings in background threads."""
        if self._client is not None:
            return
        client = Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"intelergy-sim-{self.device_id}",
            protocol=MQTTv311,
        )
        client.will_set(self.topic("availability"), "offline", qos=1, retain=True)
        client.reconnect_delay_set(1, 30)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        self._stopping.clear()
        self._boot = self.clock() if self._boot is None else self._boot
        self._client = client
        client.connect_async(self.host, self.port, keepalive=KEEPALIVE)
        client.loop_start()
        self._ticker = threading.Thread(
            target=self._run_ticker, name=f"esp32-meter-{self.device_id}", daemon=True
        )
        self._ticker.start()

    def stop(self) -> None:
        """Publish ``offline``, disconnect cleanly and join every thread."""
        self._stopping.set()
        if self._ticker is not None:
            self._ticker.join()
            self._ticker = None
        client, self._client = self._client, None
        if client is None:
            return
        if self.connected:
            info = client.publish(
                self.topic("availability"), "offline", qos=1, retain=True
            )
            try:
                info.wait_for_publish(STOP_PUBLISH_TIMEOUT)
            except RuntimeError:  # the connection went meanwhile
                _LOGGER.debug("%s: offline not sent", self.device_id)
        client.disconnect()
        client.loop_stop()
        self._connected.clear()
        self.save_state()


def main(argv: Sequence[str] | None = None) -> None:
    """Run one simulated meter until SIGINT / SIGTERM."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device-id", default="kitchen-meter")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1883)
    parser.add_argument("--prefix", default="intelergy")
    parser.add_argument(
        "--interval", type=float, default=5.0, help="seconds per reading"
    )
    parser.add_argument("--relays", type=int, default=2)
    parser.add_argument(
        "--loads", help="watts per relay, comma-separated (default 100,1000,...)"
    )
    parser.add_argument("--shape", choices=SHAPES, default="canonical")
    parser.add_argument(
        "--energy",
        type=float,
        default=0.0,
        help="starting kWh (when --state-dir holds none)",
    )
    parser.add_argument(
        "--state-dir",
        help="where the energy register and boot counter persist (default: memory)",
    )
    parser.add_argument(
        "--since",
        type=float,
        default=0.0,
        help="start the meter's clock this many seconds in the past (with --speed)",
    )
    parser.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="meter seconds per real second until its clock catches up with now",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log every event")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(message)s",
    )
    loads = None if args.loads is None else [float(w) for w in args.loads.split(",")]
    try:
        meter = SimulatedMeter(
            args.device_id,
            args.host,
            args.port,
            prefix=args.prefix,
            interval=args.interval,
            relays=args.relays,
            loads=loads,
            shape=args.shape,
            energy_kwh=args.energy,
            clock=catching_up(args.since, args.speed),
            state_dir=args.state_dir,
        )
    except ValueError as err:
        parser.error(str(err))
    stopping = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, request_stop)
    meter.start()
    announced = False
    try:
        while not stopping.wait(0.1):
            if not announced and meter.connected:
                announced = True
                print(
                    f"ESP32 meter {args.device_id!r} connected to "
                    f"mqtt://{args.host}:{args.port}, publishing on "
                    f"{meter.topic('state')} every {args.interval:g} s",
                    flush=True,
                )
    finally:
        meter.stop()


if __name__ == "__main__":
    main()
