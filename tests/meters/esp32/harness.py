"""The MQTT end-to-end harness: a private broker, a subscriber, a meter as a subprocess.

One harness for every test that runs a meter process against a real Mosquitto
(``tests/mosquitto.py``) and reads what it publishes with a paho client in the
test: the simulated meter (``python -m simulators.esp32_meter``, tests in this
folder) and the firmware's host build (``intelergy-meter``, tests/firmware). The
broker is plain or as a house would run it (TLS, passwords, an ACL); the
subscriber then connects with a ``Login`` (credentials and the CA it trusts).
Every wait ends in ``TIMEOUT`` seconds unless told otherwise (``within``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
import contextlib
from dataclasses import dataclass
from pathlib import Path
import ssl
import sys
import time
from typing import Any

from paho.mqtt.client import Client, ConnectFlags, MQTTMessage, MQTTv311
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from custom_components.intelergy.core.esp32.client import (
    Reading,
    parse_backlog,
    parse_state,
)
from tests.mosquitto import Mosquitto

ROOT = Path(__file__).resolve().parents[3]
INTERVAL = 0.5  # seconds between the meter's readings
TIMEOUT = 5.0  # seconds to wait for any one message
SIMULATED_METER = (sys.executable, "-m", "simulators.esp32_meter")


@dataclass
class Message:
    """One message the test's subscriber received."""

    topic: str
    payload: bytes
    retain: bool

    @property
    def text(self) -> str:
        """The payload as text."""
        return self.payload.decode()


@dataclass(frozen=True)
class Login:
    """How a client connects: credentials and the CA it trusts (TLS when set)."""

    username: str | None = None
    password: str | None = None
    cafile: Path | None = None

    def meter_args(self) -> list[str]:
        """A meter's command-line options for this login."""
        args: list[str] = []
        if self.username is not None:
            args += ["--username", self.username]
        if self.password is not None:
            args += ["--password", self.password]
        if self.cafile is not None:
            args += ["--cafile", str(self.cafile)]
        return args


class Subscriber:
    """A paho client in the test, collecting every message under ``topic``."""

    def __init__(
        self,
        broker: Mosquitto,
        topic: str,
        login: Login = Login(),
        *,
        timeout: float = TIMEOUT,
    ) -> None:
        """Subscribe to ``topic`` on ``broker`` once started."""
        self.broker = broker
        self.topic = topic
        self.timeout = timeout
        self.messages: list[Message] = []
        self.granted: list[int] = []  # the broker's SUBACK codes (0x80: refused)
        self._loop = asyncio.get_running_loop()
        self._changed = asyncio.Event()
        self._subscribed = asyncio.Event()
        self.client = Client(CallbackAPIVersion.VERSION2, protocol=MQTTv311)
        if login.username is not None:
            self.client.username_pw_set(login.username, login.password)
        if login.cafile is not None:
            self.client.tls_set(str(login.cafile), tls_version=ssl.PROTOCOL_TLS_CLIENT)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message

    def _on_connect(
        self,
        client: Client,
        userdata: Any,
        flags: ConnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if not reason_code.is_failure:
            client.subscribe(self.topic, qos=1)

    def _on_subscribe(
        self,
        client: Client,
        userdata: Any,
        mid: int,
        reason_codes: list[ReasonCode],
        properties: Properties | None,
    ) -> None:
        granted = [code.value for code in reason_codes]
        self._loop.call_soon_threadsafe(self._granted, granted)

    def _granted(self, granted: list[int]) -> None:
        self.granted.extend(granted)
        self._subscribed.set()

    def _on_message(self, client: Client, userdata: Any, message: MQTTMessage) -> None:
        received = Message(message.topic, message.payload, message.retain)
        self._loop.call_soon_threadsafe(self._add, received)

    def _add(self, message: Message) -> None:
        self.messages.append(message)
        self._changed.set()

    async def start(self) -> None:
        """Connect in paho's thread and return once subscribed."""
        self.client.connect_async(self.broker.host, self.broker.port)
        self.client.loop_start()
        await asyncio.wait_for(self._subscribed.wait(), self.timeout)

    def stop(self) -> None:
        """Disconnect and join paho's thread."""
        self.client.disconnect()
        self.client.loop_stop()

    def resubscribe(self) -> None:
        """Subscribe again: the broker re-sends the retained messages."""
        self.client.subscribe(self.topic, qos=1)

    async def wait_for(
        self,
        suffix: str,
        match: Callable[[Message], bool] = lambda _: True,
        *,
        after: int = 0,
        within: float | None = None,
    ) -> tuple[int, Message]:
        """The first message from index ``after`` on ``…/<suffix>`` that ``match``es.

        Also the index just past it, to wait for what comes after.
        """
        index = after
        async with asyncio.timeout(self.timeout if within is None else within):
            while True:
                while index < len(self.messages):
                    message = self.messages[index]
                    index += 1
                    if message.topic.endswith(f"/{suffix}") and match(message):
                        return index, message
                self._changed.clear()
                await self._changed.wait()

    def payloads(self, suffix: str, after: int = 0) -> list[Message]:
        """Every message on ``…/<suffix>`` from index ``after``."""
        return [m for m in self.messages[after:] if m.topic.endswith(f"/{suffix}")]

    def publish(self, topic: str, payload: str, *, retain: bool = False) -> None:
        """Publish at QoS 1 and wait until the broker acknowledged it."""
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        info.wait_for_publish(self.timeout)


def on_topic(topic: str) -> Callable[[Message], bool]:
    """A ``Subscriber.wait_for`` match: messages on exactly ``topic``."""
    return lambda message: message.topic == topic


@contextlib.asynccontextmanager
async def broker_running(**options: Any) -> AsyncIterator[Mosquitto]:
    """A private broker (``options``: ``Mosquitto``'s), stopped however the test ends."""
    broker = Mosquitto(**options)
    await broker.start()
    try:
        yield broker
    finally:
        await broker.stop()


@contextlib.asynccontextmanager
async def subscribed(
    broker: Mosquitto,
    topic: str,
    login: Login = Login(),
    *,
    within: float = TIMEOUT,
) -> AsyncIterator[Subscriber]:
    """A started ``Subscriber`` (its waits last ``within`` s), stopped however the test ends."""
    subscriber = Subscriber(broker, topic, login, timeout=within)
    try:
        await subscriber.start()
        yield subscriber
    finally:
        subscriber.stop()


async def start_meter(
    command: Sequence[str],
    broker: Mosquitto,
    device_id: str,
    *args: str,
    interval: float = INTERVAL,
    cwd: Path | None = None,
) -> asyncio.subprocess.Process:
    """``command`` as a meter of ``device_id`` on ``broker``, started (not waited for)."""
    return await asyncio.create_subprocess_exec(
        *command,
        "--device-id",
        device_id,
        "--host",
        broker.host,
        "--port",
        str(broker.port),
        "--interval",
        str(interval),
        *args,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


@contextlib.asynccontextmanager
async def meter_running(
    command: Sequence[str],
    broker: Mosquitto,
    device_id: str,
    *args: str,
    connected: bytes,
    interval: float = INTERVAL,
    cwd: Path | None = None,
    within: float = TIMEOUT,
) -> AsyncIterator[asyncio.subprocess.Process]:
    """The meter, once its first stdout line says ``connected``; killed however the test ends."""
    process = await start_meter(
        command, broker, device_id, *args, interval=interval, cwd=cwd
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), within)
        assert connected in line, line
        yield process
    finally:
        if process.returncode is None:
            process.kill()
        await process.communicate()


def simulated_meter(
    broker: Mosquitto, device_id: str, *args: str
) -> contextlib.AbstractAsyncContextManager[asyncio.subprocess.Process]:
    """``python -m simulators.esp32_meter``, connected; killed however the test ends."""
    return meter_running(
        SIMULATED_METER, broker, device_id, *args, connected=b"connected", cwd=ROOT
    )


async def stop_meter(
    process: asyncio.subprocess.Process, *, within: float = TIMEOUT
) -> str:
    """SIGTERM the meter; its stderr, once it exited 0 (within ``within`` s)."""
    process.terminate()
    _, stderr = await asyncio.wait_for(process.communicate(), within)
    assert process.returncode == 0, stderr.decode()
    return stderr.decode()


async def stderr_until(
    process: asyncio.subprocess.Process, text: str, within: float = TIMEOUT
) -> str:
    """The meter's stderr up to the first line holding ``text``."""
    assert process.stderr is not None
    seen: list[str] = []
    async with asyncio.timeout(within):
        while True:
            line = (await process.stderr.readline()).decode()
            if not line:
                raise AssertionError(
                    f"no {text!r} before the meter ended:\n{''.join(seen)}"
                )
            seen.append(line)
            if text in line:
                return "".join(seen)


def readings(messages: list[Message], device: str) -> list[Reading]:
    """Every reading in ``state`` and ``backlog`` messages, through the parser."""
    now = time.time()
    found: list[Reading] = []
    for message in messages:
        if message.topic.endswith("/state"):
            found.append(parse_state(message.payload, now, topic_device_id=device))
        elif message.topic.endswith("/backlog"):
            found.extend(parse_backlog(message.payload, now, topic_device_id=device))
    return found
