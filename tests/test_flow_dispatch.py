"""Every entry kind through every flow step the registry (kinds.py) says it has.

Reauth, reconfigure and options dispatch on ``EntryKind``: a kind that declares
a step reaches its own form (or its own abort, such as a device that does not
answer); a kind that does not aborts with ``<step>_not_supported`` — before,
reconfiguring an anomaly or billing entry opened the ELNET form, which crashed
with ``KeyError: 'token'``.
"""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlow, OptionsFlow
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.intelergy.config_flow import (
    IntelergyConfigFlow,
    IntelergyOptionsFlow,
)
from custom_components.intelergy.const import CONF_KIND, DOMAIN
from custom_components.intelergy.kinds import ENTRY_KINDS

# What an entry of each kind holds (enough for its forms; nothing answers).
DATA: dict[str, dict[str, Any]] = {
    "shelly": {"host": "127.0.0.1", "port": 9, "gen": 1},
    "esp32": {"device_id": "hall", "prefix": "intelergy", "interval": 5, "relays": 0},
    "pzem": {"transport": "tcp", "host": "127.0.0.1", "port": 9, "slave": 1},
    "elnet": {"url": "http://127.0.0.1:9", "token": "t"},
    "anomaly": {"power_entity": "sensor.kettle_power"},
    "billing": {"entities": ["sensor.house_energy"]},
}
STEPS = ("reauth", "reconfigure")
# Steps Home Assistant names: a kind answers the discovery it is found by.
DISCOVERY = {"zeroconf", "mqtt", "integration_discovery"}


def own_steps(cls: type, base: type) -> set[str]:
    """The ``async_step_*`` names ``cls`` adds to ``base``."""
    return {
        name.removeprefix("async_step_")
        for name in set(dir(cls)) - set(dir(base))
        if name.startswith("async_step_")
    }


def test_each_kind_brings_its_own_steps() -> None:
    """A kind's steps are named after it and no two kinds' steps collide.

    The flows are made of the kinds' mixins: a step two kinds defined would
    silently be one kind's only.
    """
    owner: dict[tuple[str, str], str] = {}
    for kind, entry_kind in ENTRY_KINDS.items():
        flows = [("config", entry_kind.config_flow, ConfigFlow)]
        if entry_kind.options_flow is not None:
            flows.append(("options", entry_kind.options_flow, OptionsFlow))
        for flow, cls, base in flows:
            assert issubclass(
                IntelergyConfigFlow if flow == "config" else IntelergyOptionsFlow, cls
            )
            steps = own_steps(cls, base)
            assert kind in steps, (kind, flow)
            for step in steps:
                assert step in DISCOVERY or step.split("_")[0] == kind, step
                assert (flow, step) not in owner, (step, owner.get((flow, step)))
                owner[flow, step] = kind


def test_every_kind_is_described_and_its_steps_exist() -> None:
    assert set(DATA) == set(ENTRY_KINDS)
    for kind, entry_kind in ENTRY_KINDS.items():
        for step in STEPS:
            has = hasattr(IntelergyConfigFlow, f"async_step_{kind}_{step}")
            assert has == getattr(entry_kind, step), (kind, step)
        assert hasattr(IntelergyOptionsFlow, f"async_step_{kind}") == entry_kind.options


@pytest.mark.parametrize("kind", sorted(DATA))
@pytest.mark.parametrize("step", STEPS)
async def test_reauth_and_reconfigure_reach_the_kind_or_abort_clearly(
    hass: HomeAssistant, socket_enabled: None, kind: str, step: str
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN, unique_id=f"{kind}-1", data={CONF_KIND: kind, **DATA[kind]}
    )
    entry.add_to_hass(hass)
    if step == "reauth":
        result = await entry.start_reauth_flow(hass)
    else:
        result = await entry.start_reconfigure_flow(hass)
    if not getattr(ENTRY_KINDS[kind], step):
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == f"{step}_not_supported"
        return
    if result["type"] is FlowResultType.FORM:
        assert result["step_id"] == f"{kind}_{step}"
    else:  # the kind's own answer: nothing listens on port 9
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "cannot_connect"


@pytest.mark.parametrize("kind", sorted(DATA))
async def test_options_reach_the_kind(hass: HomeAssistant, kind: str) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN, unique_id=f"{kind}-1", data={CONF_KIND: kind, **DATA[kind]}
    )
    entry.add_to_hass(hass)
    supported = IntelergyConfigFlow.async_supports_options_flow(entry)
    assert supported == ENTRY_KINDS[kind].options
    if not supported:
        return
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == kind
