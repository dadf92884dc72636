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

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.intelergy.const import CONF_KIND, DOMAIN, KIND_ELNET
from custom_components.intelergy.meters.elnet.const import CONF_TOKEN, CONF_URL
from custom_components.intelergy.meters.elnet.coordinator import ElnetCoordinator
from simulators.elnet import GRID, ElnetSimulator
from tests.conftest import ELNET_SERIAL, ELNET_TOKEN, elnet_options
from tests.lifemodel import Device, Event, Reading

from .common import T0, Source, check_life, life_params, utc

REGISTER = "EB"  # the grid register, in kWh
# Drawn from lives(persistent=True, max_power_w=20000.0, max_events=22,
# weighted=True) with these seeds (common.seeded_lives); the supply is rated 50 kW.
LIVES = life_params(
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


class ElnetLife(Source):
    """An ELNET account on grid supply: its EB register, polled."""

    persistent = True
    # The simulator rounds its registers to 0.1 Wh at every advance.
    tolerance_wh = 3.0

    def __init__(self, hass: HomeAssistant, sim: ElnetSimulator) -> None:
        """``sim`` is serving; on grid, its clock at ``T0`` in HA's time zone."""
        super().__init__(hass)
        self.sim = sim
        self._online = True
        sim.set_supply(GRID)
        sim.updated_on = dt_util.as_local(utc(T0)).replace(tzinfo=None)

    @property
    def coordinator(self) -> ElnetCoordinator:
        """The loaded entry's coordinator."""
        coordinator: ElnetCoordinator = self.entry.runtime_data.coordinator
        return coordinator

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

    async def read(self, reading: Reading) -> None:
        """One poll of both endpoints."""
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
        """One answer, a second newer, carries the corrupt register."""
        self.sim.serve_once = {
            REGISTER: reading.counter_wh / 1000,
            "UpdatedOn": self.sim.updated_on + timedelta(seconds=1),
        }
        await self.read(reading)


@pytest.mark.parametrize("events", LIVES)
async def test_elnet_lives(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    at_t0: None,
    socket_enabled: None,
    events: list[Event],
) -> None:
    """An ELNET account's grid register through a seeded life."""
    sim = ElnetSimulator(ELNET_TOKEN)
    await sim.start()
    try:
        await check_life(hass, freezer, ElnetLife(hass, sim), events)
    finally:
        await sim.stop()
