"""Helpers of the anomaly monitor tests: a power sensor fed on a frozen clock, a meter."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.intelergy.const import CONF_KIND, DOMAIN, KIND_PZEM
from simulators.pzem import PzemSimulator

POWER = "sensor.kettle_power"
ATTRS = {
    "device_class": "power",
    "unit_of_measurement": "W",
    "friendly_name": "Kettle power",
}


async def add_monitor(hass: HomeAssistant, **data: str) -> object:
    """Menu -> anomaly monitor for ``POWER``; the created entry."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "anomaly"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"power_entity": POWER, **data}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    return result["result"]


async def run(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    watts: float,
    seconds: float,
    *,
    step: float = 10,
) -> None:
    """The sensor reads ``watts`` (a little noise) for ``seconds``, one state per step."""
    elapsed = 0.0
    flip = 0.0
    while elapsed < seconds:
        flip = 0.4 if flip <= 0 else -0.4
        hass.states.async_set(
            POWER, str(round(watts + flip, 2)) if watts else "0", ATTRS
        )
        freezer.tick(timedelta(seconds=step))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
        elapsed += step


def pzem_entry(hass: HomeAssistant, sim: PzemSimulator) -> MockConfigEntry:
    """A PZEM-004T entry for ``sim`` (its monitor built in; not yet set up)."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=f"PZEM-004T 127.0.0.1:{sim.port} #1",
        unique_id=f"127.0.0.1:{sim.port}:1",
        data={
            CONF_KIND: KIND_PZEM,
            "transport": "tcp",
            "host": "127.0.0.1",
            "port": sim.port,
            "slave": 1,
        },
    )
    entry.add_to_hass(hass)
    return entry


async def run_meter(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float
) -> None:
    """Move the clock in 30 s steps: the meter is polled and its monitor ticks."""
    for _ in range(int(seconds // 30)):
        freezer.tick(timedelta(seconds=30))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
