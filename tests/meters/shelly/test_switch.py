"""Relays take one command at a time per device (switch.py's PARALLEL_UPDATES)."""

from __future__ import annotations

import asyncio
from typing import Any

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant

from custom_components.intelergy.meters.shelly.coordinator import ShellyCoordinator
from simulators.shelly import ShellySimulator

from .common import entity_id, loaded


async def test_one_relay_command_at_a_time_per_device(
    hass: HomeAssistant, gen4_sim: ShellySimulator
) -> None:
    """Four outlets switched by one call reach the strip one after another.

    A strip's firmware handles one RPC at a time; commands sent together
    would queue on the device and time out there instead of in Home Assistant.
    """
    entry, mac = await loaded(hass, gen4_sim)
    coordinator: ShellyCoordinator = entry.runtime_data.coordinator
    real = coordinator.async_set_output
    in_flight = most = 0
    done: list[tuple[int, bool]] = []

    async def recording(channel: int, on: bool) -> Any:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        try:
            await asyncio.sleep(0.02)  # a command takes a moment on the device
            return await real(channel, on)
        finally:
            in_flight -= 1
            done.append((channel, on))

    coordinator.async_set_output = recording  # type: ignore[method-assign]
    switches = [entity_id(hass, "switch", f"{mac}_{i}_relay") for i in range(4)]
    await hass.services.async_call(
        Platform.SWITCH, "turn_off", {"entity_id": switches}, blocking=True
    )
    await hass.async_block_till_done()
    assert sorted(done) == [(i, False) for i in range(4)]
    assert most == 1
    assert not any(gen4_sim.is_on(i) for i in range(4))
