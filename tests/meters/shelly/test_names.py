"""What a Shelly looks like in Home Assistant: names, and a strip that is no wall of tiles.

A name given on the device wins; an unnamed device is called after its room and
model. Outlets are numbered as the device numbers them (a Gen2+ strip's
``switch:0..3``), so a default never repeats the number of a given name. A
strip shows each outlet's relay, power and energy, the supply's voltage once
(its frequency as a diagnostic); an outlet's own voltage, current, power factor
and frequency are disabled by default.
"""

from __future__ import annotations

from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    area_registry as ar,
    device_registry as dr,
    entity_registry as er,
)
import pytest

from custom_components.intelergy.const import CONF_AREA_ID, DOMAIN
from custom_components.intelergy.meters.shelly import named_by_user
from custom_components.intelergy.meters.shelly.coordinator import DeviceIdentity
from custom_components.intelergy.meters.shelly.entity import outlet_number
from simulators.shelly import ShellySimulator
from tests.conftest import shelly_mac

from .common import entity_id, loaded

OUTLET_KEYS = ("power", "energy", "voltage", "current", "power_factor", "frequency")


def friendly(hass: HomeAssistant, platform: str, unique_id: str) -> str:
    """The friendly name of the entity with ``unique_id``."""
    state = hass.states.get(entity_id(hass, platform, unique_id))
    assert state is not None, unique_id
    return str(state.attributes["friendly_name"])


def device_of(hass: HomeAssistant, sim: ShellySimulator) -> dr.DeviceEntry:
    """The simulated device's entry in the device registry."""
    [entry] = hass.config_entries.async_entries(DOMAIN)
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, shelly_mac(sim)), entry.entry_id
    )
    assert device is not None
    return device


def identity(name: str, mac: str = "A4CF12F45678") -> DeviceIdentity:
    """A Gen1 plug's identity called ``name``."""
    return DeviceIdentity(mac=mac, gen=1, model="SHPLG-S", name=name, firmware="1")


@pytest.mark.parametrize(
    ("name", "given"),
    [
        ("Kitchen kettle", True),
        ("shellyplug-s-F45678", False),  # the host name, no name given
        ("Shelly", False),
        ("", False),
        ("shelly kettle", True),
        ("shellyplug-s-ABCDEF", True),  # another device's host name: a choice
    ],
)
def test_named_by_user(name: str, given: bool) -> None:
    assert named_by_user(identity(name)) is given


def test_outlets_numbered_as_the_device_numbers_them() -> None:
    assert [outlet_number(2, c) for c in range(4)] == [0, 1, 2, 3]  # switch:<id>
    assert [outlet_number(1, c) for c in range(2)] == [1, 2]  # Gen1 channels


async def test_strip_names_given_on_the_device_and_defaults(
    hass: HomeAssistant, gen4_sim: ShellySimulator
) -> None:
    # The dump's names: "Test Name", switch:1 "Switch 1 name", switch:3 "Switch 3 name".
    _entry, mac = await loaded(hass, gen4_sim)
    assert device_of(hass, gen4_sim).name == "Test Name"
    assert [friendly(hass, "switch", f"{mac}_{c}_relay") for c in range(4)] == [
        "Test Name Outlet 0",
        "Test Name Switch 1 name",
        "Test Name Outlet 2",
        "Test Name Switch 3 name",
    ]
    assert friendly(hass, "sensor", f"{mac}_2_energy") == "Test Name Outlet 2 energy"
    assert friendly(hass, "sensor", f"{mac}_3_power") == "Test Name Switch 3 name power"


async def test_strip_shows_what_every_outlet_shares_once(
    hass: HomeAssistant, gen4_sim: ShellySimulator
) -> None:
    _entry, mac = await loaded(hass, gen4_sim)
    registry = er.async_get(hass)

    def entry(platform: str, unique_id: str) -> er.RegistryEntry:
        found = registry.async_get(entity_id(hass, platform, unique_id))
        assert found is not None
        return found

    primary, diagnostic, disabled = set(), set(), set()
    unique_ids = [
        *(("switch", f"{mac}_{c}_relay") for c in range(4)),
        *(("sensor", f"{mac}_{c}_{key}") for c in range(4) for key in OUTLET_KEYS),
        *(("sensor", f"{mac}_{key}") for key in ("voltage", "frequency")),
    ]
    for platform, unique_id in unique_ids:
        found = entry(platform, unique_id)
        key = unique_id.removeprefix(f"{mac}_")
        if found.disabled_by is not None:
            assert found.disabled_by is er.RegistryEntryDisabler.INTEGRATION
            disabled.add(key)
        elif found.entity_category is EntityCategory.DIAGNOSTIC:
            diagnostic.add(key)
        else:
            primary.add(key)
    # 13 tiles: per outlet its relay, power and energy; the supply's voltage once.
    assert primary == {
        *(f"{c}_{key}" for c in range(4) for key in ("relay", "power", "energy")),
        "voltage",
    }
    assert diagnostic == {"frequency"}
    assert disabled == {
        f"{c}_{key}"
        for c in range(4)
        for key in ("voltage", "current", "power_factor", "frequency")
    }
    # The strip's voltage and frequency are switch:0's (every outlet's alike).
    voltage = hass.states.get(entity_id(hass, "sensor", f"{mac}_voltage"))
    assert voltage is not None
    assert (voltage.state, voltage.attributes["friendly_name"]) == (
        "232.5",
        "Test Name Voltage",
    )
    frequency = hass.states.get(entity_id(hass, "sensor", f"{mac}_frequency"))
    assert frequency is not None
    assert frequency.state == "50.0"


async def test_single_plug_has_no_device_voltage(
    hass: HomeAssistant, gen1_sim: ShellySimulator
) -> None:
    """A plug's channel is the device: no second voltage or frequency."""
    _entry, mac = await loaded(hass, gen1_sim)
    registry = er.async_get(hass)
    for key in ("voltage", "frequency"):
        assert registry.async_get_entity_id("sensor", DOMAIN, f"{mac}_{key}") is None
    assert friendly(hass, "sensor", f"{mac}_0_energy") == "Kitchen kettle Energy"
    assert friendly(hass, "switch", f"{mac}_0_relay") == "Kitchen kettle"


@pytest.fixture(params=["gen1_sim", "gen4_sim"], ids=["gen1", "gen2"])
def sim(request: pytest.FixtureRequest) -> ShellySimulator:
    """The simulated Gen1 plug or Gen2+ strip (tests/conftest.py's fixtures)."""
    simulator: ShellySimulator = request.getfixturevalue(request.param)
    return simulator


async def test_unnamed_device_is_named_after_its_room_and_model(
    hass: HomeAssistant, sim: ShellySimulator
) -> None:
    model = "Shelly Plug S" if sim.gen == 1 else "Shelly Power Strip 4 Gen4"
    sim.set_name(None)
    for channel in range(sim.channels):
        sim.set_channel_name(channel, None)
    area = ar.async_get(hass).async_create("Living room")
    entry, mac = await loaded(hass, sim, **{CONF_AREA_ID: area.id})
    name = f"Living room {model}"
    assert device_of(hass, sim).name == name
    if sim.channels > 1:
        assert friendly(hass, "switch", f"{mac}_1_relay") == f"{name} Outlet 1"
    else:
        assert friendly(hass, "switch", f"{mac}_0_relay") == name

    # The room is the device's area from then on: a restart keeps the name.
    assert CONF_AREA_ID not in entry.data
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert device_of(hass, sim).name == name


async def test_unnamed_device_without_a_room(
    hass: HomeAssistant, gen1_sim: ShellySimulator
) -> None:
    gen1_sim.set_name(None)
    await loaded(hass, gen1_sim)
    assert device_of(hass, gen1_sim).name == "Shelly Plug S"
