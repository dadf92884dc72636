"""ESP32 meter lives end to end: state messages through a real Mosquitto.

The test is the meter: each reading it takes is published on
``intelergy/<device_id>/state`` and reaches the integration through HA's MQTT
client, as tests/meters/esp32/common.py's ``Link`` does it. Two shapes of meter live
the same kind of seeded lives:

* this project's contract: ``energy`` (kWh, persisted across reboots),
  ``uptime`` and the ``boot`` counter, so every restart is known for sure;
* a third-party firmware: ``energy_kwh`` / ``power_w`` and an ISO timestamp,
  no uptime, no boot counter: its counter's semantics are unknown and the
  recorder's own rule applies (a drop of more than 10 % is a reset).

An outage is the meter going silent (its Last Will says ``offline``), a glitch
one message with a corrupt counter (a second after the last reading: a message
with the last one's uptime is a redelivery, and is dropped), a jump a counter
corrupted upwards for good, an HA restart the entry reloaded while the meter
counts on. Each life proves the energy sensor never goes down, counts every
Wh once within the loss budget, and the recorder's hours add up
(tests/life/common.py).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any

from freezegun import freeze_time
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.lifemodel import Device, Event, Reading
from tests.meters.esp32.common import UNIQUE, Link, meter_entry, mqtt_link
from tests.mosquitto import Mosquitto

from .common import T0, Source, Stage, persistent_lives, utc

# common.PERSISTENT_LIVES drawn with these seeds; the meter's option: 26 kW.
CONTRACT_LIVES = persistent_lives(13, 15, 17, 19, 20)
THIRD_PARTY_LIVES = persistent_lives(14, 15, 16, 19, 21)
# A third-party meter that has counted for a while: its restores lose less than
# 10 % (a larger drop is a reset by the recorder's rule), as in the pure lives.
THIRD_PARTY_COUNTER_WH = 1e6


@pytest.fixture
async def meter(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    broker: Mosquitto,
    mock_hass_config: None,
) -> AsyncGenerator[MeterStage]:
    """HA's MQTT on the broker (set up on the real clock), then HA's clock at ``T0``.

    From there only the life moves the clock, and waiting on MQTT ticks it
    (10 ms a wait): HA is a few hundred milliseconds ahead of the meter by the
    end of a life.
    """
    async for link in mqtt_link(hass, broker):
        with freeze_time(utc(T0)) as clock:
            assert isinstance(clock, FrozenDateTimeFactory)
            link.freezer = clock
            await link.settle()
            yield MeterStage(hass, clock, link)


class MeterLife(Source):
    """An ESP32 meter: the test publishes what the model's meter reads."""

    persistent = True
    reads_at_setup = False  # a meter pushes: nothing is read when HA starts
    tolerance_wh = 1e-3  # the model's counter goes out as it is

    def __init__(self, link: Link, *, contract: bool) -> None:
        """``contract``: this project's firmware (uptime, boot); else third-party."""
        super().__init__(link.hass)
        self.link = link
        self.contract = contract
        self.power = 0.0
        self.online = False

    def device(self) -> Device:
        """A meter booted 5000 s before ``T0``."""
        counter = 0.0 if self.contract else THIRD_PARTY_COUNTER_WH
        return Device(persistent=True, time=T0, counter_wh=counter)

    def make_entry(self) -> MockConfigEntry:
        """An ESP32 meter entry under the default prefix (no relays)."""
        return meter_entry(self.hass, relays=0)

    def energy_unique_id(self) -> str:
        """``intelergy/<device_id>_energy``."""
        return f"{UNIQUE}_energy"

    async def pass_time(
        self, freezer: FrozenDateTimeFactory, until: float, seconds: float, power: float
    ) -> None:
        """Then HA's MQTT client catches up (its keep-alive ping after the jump)."""
        await super().pass_time(freezer, until, seconds, power)
        await self.link.sync()

    async def unload(self) -> None:
        """Then HA's MQTT client sends the unsubscriptions (before the clock jumps)."""
        await super().unload()
        await self.link.settle()

    async def set_up(self) -> bool:
        """Set up; its subscriptions live at the broker before anything is sent."""
        loaded = await super().set_up()
        await self.link.settle()
        return loaded

    def message(self, reading: Reading, *, later: float = 0.0) -> dict[str, Any]:
        """One state message; ``later``: taken that many seconds after ``reading``."""
        kwh = reading.counter_wh / 1000
        if self.contract:
            return {
                "timestamp": reading.time + later,
                "power": self.power,
                "energy": kwh,
                "uptime": reading.uptime + later,
                "boot": reading.boot,
            }
        stamp = utc(reading.time + later).isoformat().replace("+00:00", "Z")
        return {"timestamp": stamp, "power_w": self.power, "energy_kwh": kwh}

    async def advance(self, seconds: float, power: float) -> None:
        """The model's meter counts; this one only remembers the power."""
        del seconds
        self.power = power

    async def reboot(self, loss_wh: float) -> None:
        """The model's meter restarted: its next message says so."""
        del loss_wh

    async def reachable(self, on: bool) -> None:
        """``online`` when the meter connects; its Last Will when it drops off."""
        if on != self.online:
            self.online = on
            await self.link.publish(
                "availability", "online" if on else "offline", retain=True
            )

    async def jump(self, wh: float) -> None:
        """The model's counter jumped: its next message carries it."""
        del wh

    async def read(self, reading: Reading) -> None:
        """The meter publishes its reading."""
        await self.link.publish("state", self.message(reading))

    async def glitch(self, reading: Reading) -> None:
        """One message, a second later, with a corrupt counter."""
        await self.link.publish("state", self.message(reading, later=1.0))


@dataclass(frozen=True)
class MeterStage(Stage):
    """The lives of a meter on HA's MQTT link (HA's clock: the link's too)."""

    link: Link

    async def check_meter(self, events: list[Event], *, contract: bool) -> None:
        """A meter of this project's firmware (``contract``) or a third party's."""
        await self.check(MeterLife(self.link, contract=contract), events)


@pytest.mark.parametrize("events", CONTRACT_LIVES)
async def test_contract_meter_lives(meter: MeterStage, events: list[Event]) -> None:
    """This project's firmware: persisted energy, uptime and boot counter."""
    await meter.check_meter(events, contract=True)


@pytest.mark.parametrize("events", THIRD_PARTY_LIVES)
async def test_third_party_meter_lives(meter: MeterStage, events: list[Event]) -> None:
    """A third-party shape: ``energy_kwh`` / ``power_w``, no uptime, no boot."""
    await meter.check_meter(events, contract=False)
