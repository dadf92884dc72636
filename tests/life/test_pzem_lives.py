"""PZEM-004T lives end to end: a persistent Wh register, no uptime, no boot counter.

The meter behind a Modbus TCP gateway (simulators/pzem.py) lives seeded lives:
its register survives reboots a little lower (restored from its last EEPROM
save), an outage is the meter off the bus (the gateway answers exception 0x0B),
a glitch one corrupt register read, a jump a register corrupted upwards for
good, an HA restart the entry reloaded while the meter counts on. With no
restart evidence at all, each life proves a lower register is held and then
carried on from, a jump never counted, the total never down, every Wh once
within the loss budget, and the recorder's hours adding up
(tests/life/common.py).
"""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.intelergy.const import CONF_KIND, DOMAIN, KIND_PZEM
from custom_components.intelergy.meters.pzem.const import (
    CONF_HOST,
    CONF_PORT,
    CONF_SLAVE,
    CONF_TRANSPORT,
)
from custom_components.intelergy.meters.pzem.coordinator import PzemCoordinator
from simulators.pzem import PzemSimulator
from tests.lifemodel import Device, Event, Reading

from .common import T0, Source, check_life, life_params

# Drawn from lives(persistent=True, max_power_w=20000.0, max_events=22,
# weighted=True) with these seeds (common.seeded_lives); a PZEM meters 26 kW.
GATEWAY_TARGET_FAILED = 0x0B  # Modbus: gateway target device failed to respond
LIVES = life_params(
    {
        13: "run 3600s 0.1W; glitch_high; run 10s 0W; run 60s 0W; offline 3600s; "
        "glitch_high; run 30s 2.22507e-311W; ha_restart 600s 9.37342e-112W; "
        "run 3600s 0W; reboot 6.45021Wh; run 5s 0W; jump 1.57784e+09Wh; "
        "run 60s 0W; run 10s 0W; run 5s 4.30362e-122W; reboot 4.69038Wh; "
        "glitch_low x0.406049; reboot 5.65048Wh; run 10s 0W; "
        "run 300s 2.22507e-308W; run 60s 4142.54W",
        16: "run 900s 0W; offline 86400s; run 5s 1.19209e-07W; glitch_high; "
        "run 3600s 6473W; ha_restart 30s 4479.02W; offline 3600s; "
        "glitch_low x0.911394; glitch_high; glitch_low x0.939677; run 30s 0W; "
        "run 3600s 253W; run 300s 0W; run 60s 0W; jump 1.90903e+09Wh; "
        "run 300s 11827.4W; reboot 6.1579Wh; ha_restart 600s 9998.82W",
        17: "glitch_high; run 10s 15623.7W; run 3600s 2620.35W; glitch_low x1e-12; "
        "reboot 9Wh; run 3600s 0W; run 30s 4.44524e-24W; glitch_high; run 60s 0W; "
        "run 300s 0W; run 900s 11563.6W; run 900s 0W; run 10s 15161.8W; "
        "run 10s 0W; offline 86400s; run 10s 18999W; reboot 8.30459Wh; "
        "run 10s 1.17549e-38W; run 60s 10547.4W; jump 2.17007e+09Wh; "
        "run 10s 6449.37W; glitch_high",
        20: "reboot; run 3600s 18999W; run 5s 9794.82W; run 60s 0W; run 3600s 0W; "
        "run 30s 16338.1W; run 60s 2500W; run 5s 0W; jump 2.58507e+09Wh; "
        "reboot 7.14989Wh; run 60s 0W; run 30s 77.1907W; run 300s 0W; "
        "offline 600s; run 10s 2489.46W; glitch_low x0.459668; "
        "ha_restart 3600s 8878.81W; run 10s 0W; run 30s 0W; run 30s 4126.22W; "
        "run 300s 11796.8W; run 300s 0W",
        21: "run 900s 2174.24W; offline 86400s; glitch_low x0.395978; "
        "reboot 2.22507e-313Wh; run 30s 4.97676e-81W; run 5s 11121.4W; "
        "ha_restart 600s 3171.24W; glitch_low x0.001; run 300s 0W; run 3600s 0W; "
        "glitch_low x0.287603; glitch_high; run 30s 0W; "
        "ha_restart 172800s 8227.52W; run 10s 0W; run 60s 0W",
    }
)


class PzemLife(Source):
    """A PZEM on a Modbus TCP gateway: polled, its register in whole Wh."""

    persistent = True
    # Whole Wh: a reading is up to 1 Wh below the energy used.
    tolerance_wh = 2.0

    def __init__(self, hass: HomeAssistant, sim: PzemSimulator) -> None:
        """``sim`` is serving."""
        super().__init__(hass)
        self.sim = sim

    @property
    def coordinator(self) -> PzemCoordinator:
        """The loaded entry's coordinator."""
        coordinator: PzemCoordinator = self.entry.runtime_data.coordinator
        return coordinator

    def device(self) -> Device:
        """The meter's register at ``T0``."""
        return Device(persistent=True, time=T0, counter_wh=float(self.sim.energy_wh))

    def make_entry(self) -> MockConfigEntry:
        """A Modbus TCP entry for the gateway."""
        entry = MockConfigEntry(
            domain=DOMAIN,
            title=f"PZEM-004T 127.0.0.1:{self.sim.port} #1",
            unique_id=f"127.0.0.1:{self.sim.port}:1",
            data={
                CONF_KIND: KIND_PZEM,
                CONF_TRANSPORT: "tcp",
                CONF_HOST: "127.0.0.1",
                CONF_PORT: self.sim.port,
                CONF_SLAVE: 1,
            },
        )
        entry.add_to_hass(self.hass)
        return entry

    def energy_unique_id(self) -> str:
        """``<host>:<port>:<slave>_energy``."""
        return f"{self.entry.unique_id}_energy"

    async def advance(self, seconds: float, power: float) -> None:
        """The meter integrates ``power`` into its register."""
        self.sim.power = power
        self.sim.advance(seconds)

    async def reboot(self, loss_wh: float) -> None:
        """The register comes back from the last EEPROM save, ``loss_wh`` lower."""
        self.sim.reboot(loss_wh)

    async def reachable(self, on: bool) -> None:
        """The meter answers, or its gateway says it does not (exception 0x0B).

        A TCP gateway whose meter is off the RS-485 bus answers "gateway target
        device failed to respond" at once. (With the gateway itself gone, the
        client's connection timeout would wait on a clock that moves only when
        the life moves it.)
        """
        self.sim.exception_code = None if on else GATEWAY_TARGET_FAILED

    async def jump(self, wh: float) -> None:
        """The register is corrupted upwards and counts on from there."""
        self.sim.energy_wh += round(wh)

    async def read(self, reading: Reading) -> None:
        """One poll of the ten input registers."""
        del reading
        await self.coordinator.async_refresh()
        await self.hass.async_block_till_done()
        assert self.coordinator.last_update_success

    async def unreachable(self) -> None:
        """A poll that fails."""
        if self.entry.state is ConfigEntryState.LOADED:
            await self.coordinator.async_refresh()
            await self.hass.async_block_till_done()

    async def glitch(self, reading: Reading) -> None:
        """One read returns the corrupt register."""
        self.sim.serve_energy_once(reading.counter_wh)
        await self.read(reading)


@pytest.mark.parametrize("events", LIVES)
async def test_pzem_lives(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    at_t0: None,
    socket_enabled: None,
    events: list[Event],
) -> None:
    """A PZEM-004T behind a Modbus TCP gateway through a seeded life."""
    sim = PzemSimulator(framing="tcp")
    await sim.start()
    try:
        await check_life(hass, freezer, PzemLife(hass, sim), events)
    finally:
        await sim.stop()
