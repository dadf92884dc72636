"""ELNET lives end to end: a utility's persistent kWh register on the meter's clock.

The ELNET API server (simulators/elnet.py) lives seeded lives on its grid (EB)
register: a meter restart restores it a little lower, an outage is the API
server gone (connections refused), a glitch one answer with a corrupt register
(a second after the last reading: ``UpdatedOn`` must advance for a reading to
be new), a jump a register corrupted upwards for good, an HA restart the entry
reloaded while the meter counts on. The tracker runs the totalizer on the
meter's ``UpdatedOn``, which moves with HA's clock here. Each life proves the
grid energy sensor never goes down, counts every Wh once within the loss
budget, and that the recorder's hours add up (tests/life/common.py).
"""

from __future__ import annotations

from datetime import timedelta

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.intelergy.const import CONF_KIND, DOMAIN, KIND_ELNET
from custom_components.intelergy.meters.elnet.const import CONF_TOKEN, CONF_URL
from custom_components.intelergy.meters.elnet.coordinator import ElnetCoordinator
from simulators.elnet import GRID, ElnetSimulator
from tests.conftest import ELNET_SERIAL, ELNET_TOKEN, elnet_options
from tests.lifemodel import Device, Event

from .common import T0, PolledSource, Stage, persistent_lives, utc

REGISTER = "EB"  # the grid register, in kWh
# common.PERSISTENT_LIVES drawn with these seeds; the supply is rated 50 kW.
LIVES = persistent_lives(13, 15, 17, 19, 20)


class ElnetLife(PolledSource[ElnetCoordinator, ElnetSimulator]):
    """An ELNET account on grid supply: its EB register, polled."""

    persistent = True
    # The simulator rounds its registers to 0.1 Wh at every advance.
    tolerance_wh = 3.0

    def __init__(self, hass: HomeAssistant) -> None:
        """An API server, on grid, its clock at ``T0`` in HA's time zone."""
        super().__init__(hass, ElnetSimulator(ELNET_TOKEN))
        self._online = True
        self.sim.set_supply(GRID)
        self.sim.updated_on = dt_util.as_local(utc(T0)).replace(tzinfo=None)

    def device(self) -> Device:
        """The grid register at ``T0``."""
        return Device(
            persistent=True, time=T0, counter_wh=self.sim.live[REGISTER] * 1000
        )

    def make_entry(self) -> MockConfigEntry:
        """An ELNET entry for the simulator."""
        entry = MockConfigEntry(
            domain=DOMAIN,
            title=f"ELNET meter {ELNET_SERIAL}",
            unique_id=ELNET_SERIAL,
            data={
                CONF_KIND: KIND_ELNET,
                CONF_URL: self.sim.url,
                CONF_TOKEN: ELNET_TOKEN,
            },
            options=elnet_options(),
        )
        entry.add_to_hass(self.hass)
        return entry

    def energy_unique_id(self) -> str:
        """``<serial>_grid_energy``."""
        return f"{ELNET_SERIAL}_grid_energy"

    def _set_register(self, kwh: float) -> None:
        self.sim.live[REGISTER] = round(max(kwh, 0.0), 4)

    async def advance(self, seconds: float, power: float) -> None:
        """The meter runs on its clock (``UpdatedOn`` moves) at ``power``."""
        self.sim.advance(seconds, load_kw=power / 1000)

    async def reboot(self, loss_wh: float) -> None:
        """The meter's register is restored ``loss_wh`` lower."""
        self._set_register(self.sim.live[REGISTER] - loss_wh / 1000)

    async def reachable(self, on: bool) -> None:
        """The API server listens (on its port), or is gone: connections refused."""
        if on and not self._online:
            await self.sim.start(port=int(self.sim.url.rsplit(":", 1)[1]))
        elif not on and self._online:
            await self.sim.stop()
        self._online = on

    async def jump(self, wh: float) -> None:
        """The register is corrupted upwards and counts on from there."""
        self._set_register(self.sim.live[REGISTER] + wh / 1000)

    def serve_glitch(self, counter_wh: float) -> None:
        """One answer, a second newer, carries the corrupt register."""
        self.sim.serve_once = {
            REGISTER: counter_wh / 1000,
            "UpdatedOn": self.sim.updated_on + timedelta(seconds=1),
        }


@pytest.mark.parametrize("events", LIVES)
async def test_elnet_lives(stage: Stage, events: list[Event]) -> None:
    """An ELNET account's grid register through a seeded life."""
    await stage.check(ElnetLife(stage.hass), events)
