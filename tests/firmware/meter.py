"""The host meter tests' side of the shared MQTT harness (tests/meters/esp32/harness.py).

The broker is a private Mosquitto, plain or as a house would run it (TLS,
passwords, an ACL); the subscriber a paho client in the test; the meter the
firmware's host build (``intelergy-meter``). The harness holds all of it; this
module fixes the host build's command, its "connected" line and the firmware
tests' longer waits (8 s: a sanitizer build starts slower).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import contextlib
from pathlib import Path
from typing import Final

from tests.meters.esp32 import harness
from tests.meters.esp32.harness import (
    INTERVAL,
    Login,
    Message,
    Subscriber,
    broker_running,
    readings,
)
from tests.mosquitto import Mosquitto

__all__ = [
    "INTERVAL",
    "TIMEOUT",
    "Login",
    "Message",
    "Subscriber",
    "broker_running",
    "meter_process",
    "readings",
    "start_meter",
    "stderr_until",
    "stop_meter",
    "subscribed",
]

TIMEOUT: Final = 8.0  # seconds to wait for any one message


def subscribed(
    broker: Mosquitto, topic: str, login: Login | None = None
) -> contextlib.AbstractAsyncContextManager[Subscriber]:
    """A subscriber, connected and subscribed (anonymously unless ``login``)."""
    return harness.subscribed(broker, topic, login or Login(), within=TIMEOUT)


async def start_meter(
    binary: Path, broker: Mosquitto, device_id: str, *args: str
) -> asyncio.subprocess.Process:
    """``intelergy-meter`` started (not waited for)."""
    return await harness.start_meter((str(binary),), broker, device_id, *args)


@contextlib.asynccontextmanager
async def meter_process(
    binary: Path, broker: Mosquitto, device_id: str, *args: str
) -> AsyncIterator[asyncio.subprocess.Process]:
    """``intelergy-meter``, connected (its one line printed); killed however the test ends."""
    async with harness.meter_running(
        (str(binary),),
        broker,
        device_id,
        *args,
        connected=b"connected to mqtt",
        within=TIMEOUT,
    ) as process:
        yield process


async def stop_meter(process: asyncio.subprocess.Process) -> str:
    """SIGTERM the meter; its stderr, once it exited 0."""
    return await harness.stop_meter(process, within=TIMEOUT)


async def stderr_until(
    process: asyncio.subprocess.Process, text: str, within: float = TIMEOUT
) -> str:
    """The meter's stderr up to the first line holding ``text``."""
    return await harness.stderr_until(process, text, within)
