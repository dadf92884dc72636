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
from tests.lifemodel import Device, Event

from .common import T0, PolledSource, Stage, persistent_lives

GATEWAY_TARGET_FAILED = 0x0B  # Modbus: gateway target device failed to respond
# common.PERSISTENT_LIVES drawn with these seeds; a PZEM meters 26 kW.
LIVES = persistent_lives(13, 16, 17, 20, 21)


class PzemLife(PolledSource[PzemCoordinator, PzemSimulator]):
    """A PZEM on a Modbus TCP gateway: polled, its register in whole Wh."""

    persistent = True
    # Whole Wh: a reading is up to 1 Wh below the energy used.
    tolerance_wh = 2.0

    def __init__(self, hass: HomeAssistant) -> None:
        """A meter behind a Modbus TCP gateway."""
        super().__init__(hass, PzemSimulator(framing="tcp"))

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

    def serve_glitch(self, counter_wh: float) -> None:
        """One read returns the corrupt register."""
        self.sim.serve_energy_once(counter_wh)


@pytest.mark.parametrize("events", LIVES)
async def test_pzem_lives(stage: Stage, events: list[Event]) -> None:
    """A PZEM-004T behind a Modbus TCP gateway through a seeded life."""
    await stage.check(PzemLife(stage.hass), events)
