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

from .common import T0, Source, check_life, life_params, utc

# Drawn from lives(persistent=True, max_power_w=20000.0, max_events=22,
# weighted=True) with these seeds (common.seeded_lives); the meter's option: 26 kW.
CONTRACT_LIVES = life_params(
    {
        13: "run 3600s 0.1W; glitch_high; run 10s 0W; run 60s 0W; offline 3600s; "
        "glitch_high; run 30s 2.22507e-311W; ha_restart 600s 9.37342e-112W; "
        "run 3600s 0W; reboot 6.45021Wh; run 5s 0W; jump 1.57784e+09Wh; "
        "run 60s 0W; run 10s 0W; run 5s 4.30362e-122W; reboot 4.69038Wh; "
        "glitch_low x0.406049; reboot 5.65048Wh; run 10s 0W; "
        "run 300s 2.22507e-308W; run 60s 4142.54W",
        15: "jump 1.6674e+09Wh; run 10s 0W; run 60s 1347.31W; run 300s 10902.5W; "
        "run 60s 0W; run 300s 0W; run 3600s 0W; run 30s 0W; run 900s 0W; "
        "run 10s 416.243W; run 60s 3678.74W; glitch_high; run 300s 0W; "
        "run 60s 15767.6W; glitch_low x0.200617; reboot 6.36886Wh; run 5s 0W; "
        "glitch_low x0.924193; run 30s 5431.24W; ha_restart 3600s 8424.8W; "
        "run 3600s 5.73109e-219W; run 10s 15279.4W",
        17: "glitch_high; run 10s 15623.7W; run 3600s 2620.35W; glitch_low x1e-12; "
        "reboot 9Wh; run 3600s 0W; run 30s 4.44524e-24W; glitch_high; run 60s 0W; "
        "run 300s 0W; run 900s 11563.6W; run 900s 0W; run 10s 15161.8W; "
        "run 10s 0W; offline 86400s; run 10s 18999W; reboot 8.30459Wh; "
        "run 10s 1.17549e-38W; run 60s 10547.4W; jump 2.17007e+09Wh; "
        "run 10s 6449.37W; glitch_high",
        19: "ha_restart 600s 906.236W; run 30s 9084.45W; offline 86400s; "
        "ha_restart 172800s 2500W; glitch_low x0.428401; glitch_high; "
        "run 3600s 13570.6W; run 300s 4.94066e-324W; run 3600s 0W; run 60s 0W; "
        "reboot 1e-12Wh; jump 1.88104e+09Wh; ha_restart 600s 5415.76W; "
        "glitch_low x4.66801e-240; offline 259200s; run 60s 5.01607e-210W; "
        "run 3600s 0W; run 30s 6.10352e-05W",
        20: "reboot; run 3600s 18999W; run 5s 9794.82W; run 60s 0W; run 3600s 0W; "
        "run 30s 16338.1W; run 60s 2500W; run 5s 0W; jump 2.58507e+09Wh; "
        "reboot 7.14989Wh; run 60s 0W; run 30s 77.1907W; run 300s 0W; "
        "offline 600s; run 10s 2489.46W; glitch_low x0.459668; "
        "ha_restart 3600s 8878.81W; run 10s 0W; run 30s 0W; run 30s 4126.22W; "
        "run 300s 11796.8W; run 300s 0W",
    }
)
THIRD_PARTY_LIVES = life_params(
    {
        14: "reboot 0.999949Wh; run 60s 0W; run 30s 0W; run 300s 0W; run 10s 0W; "
        "glitch_low x1.19209e-07; glitch_high; run 900s 0W; run 900s 1000W; "
        "run 30s 0W; run 60s 0W; run 5s 0W; run 60s 0W; run 60s 13489.2W; "
        "glitch_high; run 30s 0W; glitch_low x0.0323563; run 3600s 60W; "
        "ha_restart 30s 578.876W; offline 600s; run 900s 2948.54W",
        15: "jump 1.6674e+09Wh; run 10s 0W; run 60s 1347.31W; run 300s 10902.5W; "
        "run 60s 0W; run 300s 0W; run 3600s 0W; run 30s 0W; run 900s 0W; "
        "run 10s 416.243W; run 60s 3678.74W; glitch_high; run 300s 0W; "
        "run 60s 15767.6W; glitch_low x0.200617; reboot 6.36886Wh; run 5s 0W; "
        "glitch_low x0.924193; run 30s 5431.24W; ha_restart 3600s 8424.8W; "
        "run 3600s 5.73109e-219W; run 10s 15279.4W",
        16: "run 900s 0W; offline 86400s; run 5s 1.19209e-07W; glitch_high; "
        "run 3600s 6473W; ha_restart 30s 4479.02W; offline 3600s; "
        "glitch_low x0.911394; glitch_high; glitch_low x0.939677; run 30s 0W; "
        "run 3600s 253W; run 300s 0W; run 60s 0W; jump 1.90903e+09Wh; "
        "run 300s 11827.4W; reboot 6.1579Wh; ha_restart 600s 9998.82W",
        19: "ha_restart 600s 906.236W; run 30s 9084.45W; offline 86400s; "
        "ha_restart 172800s 2500W; glitch_low x0.428401; glitch_high; "
        "run 3600s 13570.6W; run 300s 4.94066e-324W; run 3600s 0W; run 60s 0W; "
        "reboot 1e-12Wh; jump 1.88104e+09Wh; ha_restart 600s 5415.76W; "
        "glitch_low x4.66801e-240; offline 259200s; run 60s 5.01607e-210W; "
        "run 3600s 0W; run 30s 6.10352e-05W",
        21: "run 900s 2174.24W; offline 86400s; glitch_low x0.395978; "
        "reboot 2.22507e-313Wh; run 30s 4.97676e-81W; run 5s 11121.4W; "
        "ha_restart 600s 3171.24W; glitch_low x0.001; run 300s 0W; run 3600s 0W; "
        "glitch_low x0.287603; glitch_high; run 30s 0W; "
        "ha_restart 172800s 8227.52W; run 10s 0W; run 60s 0W",
    }
)
# A third-party meter that has counted for a while: its restores lose less than
# 10 % (a larger drop is a reset by the recorder's rule), as in the pure lives.
THIRD_PARTY_COUNTER_WH = 1e6


@pytest.fixture
async def meter(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    broker: Mosquitto,
    mock_hass_config: None,
) -> AsyncGenerator[tuple[Link, FrozenDateTimeFactory]]:
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
            yield link, clock


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


@pytest.mark.parametrize("events", CONTRACT_LIVES)
async def test_contract_meter_lives(
    hass: HomeAssistant,
    meter: tuple[Link, FrozenDateTimeFactory],
    events: list[Event],
) -> None:
    """This project's firmware: persisted energy, uptime and boot counter."""
    link, clock = meter
    await check_life(hass, clock, MeterLife(link, contract=True), events)


@pytest.mark.parametrize("events", THIRD_PARTY_LIVES)
async def test_third_party_meter_lives(
    hass: HomeAssistant,
    meter: tuple[Link, FrozenDateTimeFactory],
    events: list[Event],
) -> None:
    """A third-party shape: ``energy_kwh`` / ``power_w``, no uptime, no boot."""
    link, clock = meter
    await check_life(hass, clock, MeterLife(link, contract=False), events)
