"""The household model (docs/dashboard-model.md) over the real websocket API.

Meters run against their simulators on 127.0.0.1; the bills' statistics are
imported into the real recorder (it starts before ``hass``: tests/recorder.py).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
import hashlib
from http import HTTPStatus
from pathlib import Path
import time
from typing import Any
from unittest.mock import patch

from homeassistant.components.frontend import DATA_EXTRA_MODULE_URL
from homeassistant.components.recorder import Recorder
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    area_registry as ar,
    device_registry as dr,
    entity_registry as er,
)
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    WebSocketGenerator,
)
from sqlalchemy.exc import OperationalError

from custom_components.intelergy import dashboard
from custom_components.intelergy.analytics.anomaly.const import CONF_POWER_ENTITY
from custom_components.intelergy.const import (
    CONF_KIND,
    DOMAIN,
    KIND_ANOMALY,
    KIND_PZEM,
    KIND_SHELLY,
)
from custom_components.intelergy.core.tariff import (
    MonthlyCycle,
    RollingCycle,
    Slab,
    SlabTable,
    Tariff,
    TouBand,
)
from custom_components.intelergy.dashboard.household import (
    async_household,
    tariff_table,
)
from simulators.elnet import ElnetSimulator
from simulators.pzem import PzemSimulator
from simulators.shelly import ShellySimulator
from tests.analytics.anomaly.common import pzem_entry
from tests.analytics.billing.common import (
    SEED,
    billing_entry,
    call,
    import_rows,
    setup_integration,
    usage_rows,
)
from tests.conftest import shelly_entry, shelly_mac
from tests.meters.esp32.common import Link, meter_entry
from tests.recorder import auto_enable_custom_integrations  # noqa: F401

D = Decimal


async def model_over_ws(
    hass_ws_client: WebSocketGenerator, token: str | None = None
) -> dict[str, Any]:
    """``intelergy/household`` as the dashboard asks for it."""
    client = (
        await hass_ws_client()
        if token is None
        else await hass_ws_client(access_token=token)
    )
    await client.send_json_auto_id({"type": "intelergy/household"})
    reply = await client.receive_json()
    assert reply["success"], reply
    result: dict[str, Any] = reply["result"]
    return result


def area(hass: HomeAssistant, name: str) -> str:
    """A new area's id."""
    return ar.async_get(hass).async_create(name).id


def object_base(hass: HomeAssistant, unique_id: str) -> str:
    """The object id its power sensor gives a load's entities (the area may lead it)."""
    power = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, unique_id)
    assert power is not None
    return power.removeprefix("sensor.").removesuffix("_power")


def device_of(hass: HomeAssistant, entry: MockConfigEntry) -> dr.DeviceEntry:
    """The entry's one device."""
    [device] = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    return device


# --- One plug ----------------------------------------------------------------------


async def test_one_plug(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    gen1_sim: ShellySimulator,
) -> None:
    kitchen = area(hass, "Kitchen")
    entry = shelly_entry(hass, gen1_sim, area_id=kitchen)
    await setup_integration(hass, entry)
    device = device_of(hass, entry)
    base = object_base(hass, f"{shelly_mac(gen1_sim).replace(':', '')}_0_power")

    model = await model_over_ws(hass_ws_client)

    load = {
        "name": None,
        "power": f"sensor.{base}_power",
        "energy": f"sensor.{base}_energy",
        "relay": f"switch.{base}",
        "cost": None,
        "anomaly": f"binary_sensor.{base}_anomaly",
        "baseline": f"sensor.{base}_baseline_power",
    }
    assert model == {
        "version": 1,
        "currency": hass.config.currency,
        "energy_prefs": False,
        "whole_house_power": None,
        "rooms": [
            {
                "area_id": kitchen,
                "name": "Kitchen",
                "devices": [device.id],
                "power": [f"sensor.{base}_power"],
                "energy": [f"sensor.{base}_energy"],
                "cost": [],
            }
        ],
        "devices": [
            {
                "device_id": device.id,
                "name": "Kitchen kettle",
                "kind": "shelly",
                "model": device.model,
                "area_id": kitchen,
                "entry_id": entry.entry_id,
                "online": True,
                "problem": False,
                "last_seen": None,
                "problems": [
                    f"binary_sensor.{base}_anomaly",
                    f"binary_sensor.{base}_overpower",
                    f"binary_sensor.{base}_overtemperature",
                ],
                "loads": [load],
                "extra": [f"sensor.{base}_device_temperature"],
                "relays": [],
            }
        ],
        "bills": [],
        "prepaid": [],
        "monitors": [
            {
                "name": "Kitchen kettle",
                "device_id": device.id,
                "anomaly": load["anomaly"],
                "baseline": load["baseline"],
                "power": load["power"],
            }
        ],
    }

    # The plug goes away: offline, hence a problem.
    await gen1_sim.stop()
    hass.states.async_set(f"sensor.{base}_power", STATE_UNAVAILABLE)
    [shown] = (await model_over_ws(hass_ws_client))["devices"]
    assert (shown["online"], shown["problem"]) == (False, True)
    await gen1_sim.start()


async def test_any_user_may_ask(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    hass_read_only_access_token: str,
    gen1_sim: ShellySimulator,
) -> None:
    """Dashboards are not admin-only: a read-only user gets the same model."""
    await setup_integration(hass, shelly_entry(hass, gen1_sim))
    admin = await model_over_ws(hass_ws_client)
    user = await model_over_ws(hass_ws_client, hass_read_only_access_token)
    assert user == admin
    [room] = user["rooms"]
    assert (room["area_id"], room["name"]) == (None, None)


# --- A household of every kind --------------------------------------------------------


def monthly_rows(first: date, days: int, kwh_a_day: float) -> list[Any]:
    """Hourly statistics rows (a row every 6 h) of ``days`` days from ``first``."""
    start = dt_util.as_utc(dt_util.start_of_local_day(first))
    return usage_rows(start, [kwh_a_day / 4] * (days * 4), step=timedelta(hours=6))


async def test_household_of_every_kind(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    hass_client_no_auth: ClientSessionGenerator,
    gen1_sim: ShellySimulator,
    gen4_sim: ShellySimulator,
    pzem: PzemSimulator,
    elnet_sim: ElnetSimulator,
    elnet_entry: MockConfigEntry,
) -> None:
    assert await async_setup_component(hass, "http", {})
    kitchen, living = area(hass, "Kitchen"), area(hass, "Living room")
    plug = shelly_entry(hass, gen1_sim, area_id=kitchen)
    strip = shelly_entry(hass, gen4_sim, area_id=living)
    meter = pzem_entry(hass, pzem)  # no area: the last room
    await setup_integration(hass, plug, strip, meter, elnet_entry)
    entities = er.async_get(hass)
    mac = shelly_mac(gen4_sim).replace(":", "")
    base = object_base(hass, f"{mac}_0_power").removesuffix("_outlet_0")
    # A disabled entity is left out: the outlet 2 monitor's problem flag.
    entities.async_update_entity(
        f"binary_sensor.{base}_outlet_2_anomaly",
        disabled_by=er.RegistryEntryDisabler.USER,
    )
    # A monitor entry on another integration's plug, in the kitchen.
    other = MockConfigEntry(domain="test")
    other.add_to_hass(hass)
    toaster = dr.async_get(hass).async_get_or_create(
        config_entry_id=other.entry_id,
        identifiers={("test", "toaster")},
        name="Toaster",
    )
    entities.async_get_or_create(
        "sensor",
        "test",
        "toaster_power",
        device_id=toaster.id,
        suggested_object_id="toaster_power",
    )
    hass.states.async_set("sensor.toaster_power", "0", {"device_class": "power"})
    monitor = MockConfigEntry(
        domain=DOMAIN,
        title="Toaster power",
        data={CONF_KIND: KIND_ANOMALY, CONF_POWER_ENTITY: "sensor.toaster_power"},
    )
    monitor.add_to_hass(hass)
    # A bill of the strip's first outlet and the PZEM; three cycles of statistics.
    outlet = f"sensor.{base}_outlet_0_energy"
    pzem_energy = entities.async_get_entity_id(
        "sensor", DOMAIN, f"{meter.unique_id}_energy"
    )
    assert pzem_energy is not None
    today = dt_util.now().date()
    first = (today.replace(day=1) - timedelta(days=70)).replace(day=1)
    days = (today - first).days
    await import_rows(hass, outlet, monthly_rows(first, days, 3.0))
    await import_rows(hass, pzem_energy, monthly_rows(first, days, 8.0))
    bill = billing_entry(hass, [outlet, pzem_energy])
    await setup_integration(hass, monitor, bill)
    devices = dr.async_get(hass)
    devices.async_update_device(device_of(hass, meter).id, name_by_user="Boiler")

    model = await model_over_ws(hass_ws_client)

    # Devices by name, rooms by name and the room without an area last.
    names = [d["name"] for d in model["devices"]]
    assert names == ["Boiler", "Kitchen kettle", "Test Name"]
    assert [r["name"] for r in model["rooms"]] == ["Kitchen", "Living room", None]
    assert [d["kind"] for d in model["devices"]] == ["pzem", "shelly", "shelly"]
    boiler, _, strip_model = model["devices"]
    assert model["rooms"][2]["devices"] == [boiler["device_id"]]

    # The strip: a load per outlet, in the device's order, named as the outlets.
    loads = strip_model["loads"]
    assert [load["name"] for load in loads] == [
        "Outlet 0",
        "Switch 1 name",
        "Outlet 2",
        "Switch 3 name",
    ]
    assert loads[1] == {
        "name": "Switch 1 name",
        "power": f"sensor.{base}_switch_1_name_power",
        "energy": f"sensor.{base}_switch_1_name_energy",
        "relay": f"switch.{base}_switch_1_name",
        "cost": None,
        "anomaly": f"binary_sensor.{base}_switch_1_name_anomaly",
        "baseline": f"sensor.{base}_switch_1_name_baseline_power",
    }
    # The bill's cost of outlet 0 is on its load and in its room.
    cost = loads[0]["cost"]
    assert cost is not None
    assert cost.startswith("sensor.home_")
    assert (loads[2]["anomaly"], loads[2]["baseline"]) == (
        None,
        f"sensor.{base}_outlet_2_baseline_power",
    )
    assert f"binary_sensor.{base}_outlet_2_anomaly" not in strip_model["problems"]
    assert f"binary_sensor.{base}_overtemperature" in strip_model["problems"]
    assert strip_model["extra"] == [
        f"sensor.{base}_voltage",
        f"sensor.{base}_frequency",
        f"sensor.{base}_device_temperature",
    ]
    living_room = model["rooms"][1]
    assert living_room["power"] == [load["power"] for load in loads]
    assert living_room["cost"] == [cost]
    assert boiler["loads"][0]["cost"] is not None
    assert boiler["loads"][0]["energy"] == pzem_energy

    # The ELNET account: prepaid, and the house's power.
    [account] = model["prepaid"]
    assert account["entry_id"] == elnet_entry.entry_id
    assert account["device_id"] == device_of(hass, elnet_entry).id
    assert account["balance"] == "sensor.elnet_meter_1124094_balance"
    assert account["last_update"] is None  # disabled by default
    assert model["whole_house_power"] == account["present_load"] is not None
    assert all(
        account[key] is not None
        for key in account
        if key not in {"last_update", "device_id", "entry_id", "name"}
    )

    # Monitors: every meter's own (not the disabled one) and the entry's, by name.
    monitors = {m["anomaly"]: m for m in model["monitors"]}
    anomaly = entities.async_get_entity_id(
        "binary_sensor", DOMAIN, f"{monitor.entry_id}_anomaly"
    )
    assert anomaly is not None
    assert monitors[anomaly] == {
        "name": "Toaster power",
        "device_id": toaster.id,
        "anomaly": anomaly,
        "baseline": entities.async_get_entity_id(
            "sensor", DOMAIN, f"{monitor.entry_id}_baseline"
        ),
        "power": "sensor.toaster_power",
    }
    assert monitors[anomaly]["baseline"] is not None
    assert monitors[f"binary_sensor.{base}_switch_1_name_anomaly"]["name"] == (
        "Test Name Switch 1 name"
    )
    assert f"binary_sensor.{base}_outlet_2_anomaly" not in monitors
    assert len(model["monitors"]) == 1 + 1 + 3 + 1  # boiler, kettle, strip, toaster

    # The bill, its previous cycles billed as intelergy.calculate_bill bills them.
    [shown] = model["bills"]
    assert shown["name"] == "Home"
    assert shown["cost_cycle"] is not None
    assert shown["energy_cycle"] is not None
    assert shown["billed"] == [
        {"energy": outlet, "cost": cost},
        {"energy": pzem_energy, "cost": boiler["loads"][0]["cost"]},
    ]
    cycle = SEED.cycle.containing(dt_util.now())
    assert shown["cycle"] == {
        "start": cycle.start.isoformat(),
        "end": cycle.last_day.isoformat(),
    }
    previous = shown["previous_cycles"]
    assert len(previous) == 3
    assert [p["start"] for p in previous] == sorted(
        (p["start"] for p in previous), reverse=True
    )
    for past in previous:
        billed = await call(
            hass,
            "calculate_bill",
            period=past["start"][:7],
            config_entry_id=bill.entry_id,
        )
        assert past["end"] == billed["cycles"][0]["cycle_end"]
        assert (past["energy_kwh"], past["total"]) == (
            billed["energy_kwh"],
            billed["total"],
        )
    assert previous[0]["energy_kwh"] > 0

    # Every invoice link opens a PDF without a login, for a day.
    client = await hass_client_no_auth()
    for url in [shown["invoice_url"], *(p["invoice_url"] for p in previous)]:
        response = await client.get(url)
        assert response.status == HTTPStatus.OK, url
        assert (await response.read()).startswith(b"%PDF")
    unsigned = shown["invoice_url"].split("?")[0]
    assert (await client.get(unsigned)).status == HTTPStatus.UNAUTHORIZED


# --- ESP32 meters ---------------------------------------------------------------------


async def test_esp32_meters(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    link: Link,
) -> None:
    """A meter's one relay switches its load; more relays are the device's."""
    one = meter_entry(hass, relays=1, device_id="hall-meter")
    two = meter_entry(hass, relays=2, device_id="shed-meter")
    await setup_integration(hass, one, two)

    hall, shed = (await model_over_ws(hass_ws_client))["devices"]

    assert (hall["kind"], hall["name"]) == ("esp32", "ESP32 meter hall-meter")
    assert hall["loads"] == [
        {
            "name": None,
            "power": "sensor.esp32_meter_hall_meter_power",
            "energy": "sensor.esp32_meter_hall_meter_energy",
            "relay": "switch.esp32_meter_hall_meter_relay_0",
            "cost": None,
            "anomaly": "binary_sensor.esp32_meter_hall_meter_anomaly",
            "baseline": "sensor.esp32_meter_hall_meter_baseline_power",
        }
    ]
    assert hall["relays"] == []
    assert shed["loads"][0]["relay"] is None
    assert shed["relays"] == [
        "switch.esp32_meter_shed_meter_relay_0",
        "switch.esp32_meter_shed_meter_relay_1",
    ]


# --- Many devices, from the registries alone ---------------------------------------------


def registered_meter(
    hass: HomeAssistant, index: int, area_id: str | None
) -> tuple[MockConfigEntry, dr.DeviceEntry]:
    """A PZEM entry (not set up) with a device and its entities in the registries."""
    unique = f"10.0.0.{index}:502:1"
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=f"Meter {index}",
        unique_id=unique,
        data={CONF_KIND: KIND_PZEM},
    )
    entry.add_to_hass(hass)
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, unique)},
        name=f"Meter {index:02d}",
        model="PZEM-004T",
    )
    if area_id is not None:
        dr.async_get(hass).async_update_device(device.id, area_id=area_id)
    registry = er.async_get(hass)
    for domain, key, device_class in (
        ("sensor", "power", "power"),
        ("sensor", "energy", "energy"),
        ("sensor", "voltage", "voltage"),
        ("binary_sensor", "power_alarm", "problem"),
        ("binary_sensor", "anomaly", "problem"),
        ("sensor", "baseline", "power"),
    ):
        registry.async_get_or_create(
            domain,
            DOMAIN,
            f"{unique}_{key}",
            config_entry=entry,
            device_id=device.id,
            translation_key=key,
            original_device_class=device_class,
            suggested_object_id=f"meter_{index}_{key}",
        )
    return entry, device


async def test_forty_devices(recorder_mock: Recorder, hass: HomeAssistant) -> None:
    rooms = [area(hass, f"Room {n}") for n in range(5)]
    made = [
        registered_meter(hass, i, None if i % 8 == 7 else rooms[i % 5])
        for i in range(40)
    ]
    hass.states.async_set("sensor.meter_3_power", STATE_UNAVAILABLE)
    hass.states.async_set("binary_sensor.meter_4_power_alarm", "on")
    for i in range(40):
        if i != 3:
            hass.states.async_set(f"sensor.meter_{i}_power", "10")
    assert await async_setup_component(hass, DOMAIN, {})

    started = time.perf_counter()
    model = await async_household(hass)
    assert time.perf_counter() - started < 2

    devices = model["devices"]
    assert [d["name"] for d in devices] == [f"Meter {i:02d}" for i in range(40)]
    for (entry, device), shown in zip(made, devices, strict=True):
        i = int(entry.title.split()[1])
        assert shown["device_id"] == device.id
        assert shown["loads"] == [
            {
                "name": None,
                "power": f"sensor.meter_{i}_power",
                "energy": f"sensor.meter_{i}_energy",
                "relay": None,
                "cost": None,
                "anomaly": f"binary_sensor.meter_{i}_anomaly",
                "baseline": f"sensor.meter_{i}_baseline",
            }
        ]
        assert shown["extra"] == [f"sensor.meter_{i}_voltage"]
        assert shown["online"] is (i != 3)
        assert shown["problem"] is (i in {3, 4})
    assert [r["name"] for r in model["rooms"]] == [f"Room {n}" for n in range(5)] + [
        None
    ]
    assert sum(len(r["devices"]) for r in model["rooms"]) == 40
    assert model["rooms"][-1]["power"] == [
        f"sensor.meter_{i}_power" for i in range(7, 40, 8)
    ]
    assert len(model["monitors"]) == 40


async def test_strip_names_without_relays_and_monitors_of_their_own(
    recorder_mock: Recorder, hass: HomeAssistant
) -> None:
    """Outlets without a relay, monitors without a device or a problem flag.

    An outlet without a relay is named after its power (or energy); a monitor
    entry on a sensor without a device shows none, and one without its problem
    flag none at all.
    """
    entry = MockConfigEntry(
        domain=DOMAIN, unique_id="aa", data={CONF_KIND: KIND_SHELLY}
    )
    entry.add_to_hass(hass)
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, "aa")}, name="Strip"
    )
    registry = er.async_get(hass)
    for unique, key, name in (
        ("aa_0_power", "outlet_power", "Outlet 0 power"),
        ("aa_1_energy", "named_energy", "Lamp energy"),
        ("aa_2_power", "outlet_power", None),
    ):
        registry.async_get_or_create(
            "sensor",
            DOMAIN,
            unique,
            config_entry=entry,
            device_id=device.id,
            translation_key=key,
            original_name=name,
        )
    registry.async_get_or_create(
        "sensor",
        DOMAIN,
        "aa_last",
        config_entry=entry,
        device_id=device.id,
        translation_key="last_update",
        suggested_object_id="strip_last_update",
    )
    registry.async_get_or_create(  # no translation key: no role
        "sensor", DOMAIN, "aa_odd", config_entry=entry, device_id=device.id
    )
    gone = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, "bb")}, name="Gone"
    )
    dr.async_get(hass).async_update_device(
        gone.id, disabled_by=dr.DeviceEntryDisabler.USER
    )
    outlet_0 = registry.async_get_entity_id("sensor", DOMAIN, "aa_0_power")
    assert outlet_0 is not None
    watching = (
        ("Lonely", "sensor.lonely_power"),
        ("Off", "sensor.off_power"),
        ("Outlet watcher", outlet_0),  # a monitor entry on an outlet: its load's
    )
    for title, data in watching:
        monitor = MockConfigEntry(
            domain=DOMAIN,
            title=title,
            data={CONF_KIND: KIND_ANOMALY, CONF_POWER_ENTITY: data},
        )
        monitor.add_to_hass(hass)
        own = dr.async_get(hass).async_get_or_create(
            config_entry_id=monitor.entry_id,
            identifiers={(DOMAIN, f"anomaly_{monitor.entry_id}")},
        )
        registry.async_get_or_create(
            "binary_sensor",
            DOMAIN,
            f"{monitor.entry_id}_anomaly",
            config_entry=monitor,
            device_id=own.id,
            translation_key="anomaly",
            suggested_object_id=f"{title.lower()}_anomaly",
            disabled_by=er.RegistryEntryDisabler.USER if title == "Off" else None,
        )
    hass.states.async_set("sensor.lonely_power", "1")  # not in the registry

    model = await async_household(hass)

    [strip] = model["devices"]
    assert [load["name"] for load in strip["loads"]] == ["Outlet 0", "Lamp", None]
    assert strip["loads"][1]["power"] is None
    assert strip["last_seen"] == "sensor.strip_last_update"
    assert (strip["online"], strip["problem"]) == (False, True)
    watcher = registry.async_get_entity_id(
        "binary_sensor", DOMAIN, f"{monitor.entry_id}_anomaly"
    )
    assert strip["loads"][0]["anomaly"] == watcher
    assert strip["loads"][2]["anomaly"] is None
    assert model["monitors"] == [
        {
            "name": "Lonely",
            "device_id": None,
            "anomaly": "binary_sensor.lonely_anomaly",
            "baseline": None,
            "power": None,
        },
        {
            "name": "Outlet watcher",
            "device_id": None,
            "anomaly": watcher,
            "baseline": None,
            "power": outlet_0,
        },
    ]


# --- Bills ------------------------------------------------------------------------------


def test_tariff_tables() -> None:
    """Slabs from 0, whole-bill tables, time of use, rolling cycles."""
    tou = Tariff(
        "INR",
        slabs=(Slab(D(100), D("3.5")), Slab(None, D(6))),
        fixed_charge=D(50),
        tax_percent=D(18),
        tou_bands=(TouBand("peak", 18, 22, D(8)), TouBand("night", 22, 6, D(2))),
        cycle=MonthlyCycle(5),
    )
    assert tariff_table(tou) == {
        "type": "slabs",
        "cycle": "monthly",
        "cycle_day": 5,
        "slabs": [
            {"from_kwh": 0.0, "to_kwh": 100.0, "rate": 3.5},
            {"from_kwh": 100.0, "to_kwh": None, "rate": 6.0},
        ],
        "tables": [],
        "tou": [
            {"band": "peak", "start": "18:00", "end": "22:00", "rate": 8.0},
            {"band": "night", "start": "22:00", "end": "06:00", "rate": 2.0},
        ],
        "fixed_charge": 50.0,
        "fixed_per_kw": 0.0,
        "sanctioned_kw": 0.0,
        "tax_percent": 18.0,
    }
    tables = Tariff(
        "INR",
        tables=(
            SlabTable(D(100), (Slab(None, D(3)),)),
            SlabTable(None, (Slab(D(200), D(4)), Slab(None, D(5)))),
        ),
        cycle=RollingCycle(60, date(2026, 1, 1)),
    )
    table = tariff_table(tables)
    assert (table["type"], table["cycle"], table["slabs"]) == ("tables", "rolling", [])
    assert (table["cycle_days"], table["cycle_anchor"]) == (60, "2026-01-01")
    assert "cycle_day" not in table
    assert table["tables"] == [
        {"upto_kwh": 100.0, "slabs": [{"from_kwh": 0.0, "to_kwh": None, "rate": 3.0}]},
        {
            "upto_kwh": None,
            "slabs": [
                {"from_kwh": 0.0, "to_kwh": 200.0, "rate": 4.0},
                {"from_kwh": 200.0, "to_kwh": None, "rate": 5.0},
            ],
        },
    ]


async def test_bills_without_statistics_http_or_a_tariff(
    recorder_mock: Recorder, hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    """No statistics: no past cycle, no invoice link; a broken tariff: no bill."""
    assert await async_setup_component(hass, "http", {})
    assert await async_setup_component(hass, DOMAIN, {})
    good = billing_entry(hass, ["sensor.nowhere_energy"], title="Flat")
    broken = billing_entry(hass, [], title="Broken")
    hass.config_entries.async_update_entry(broken, options={"tariff": {"cycle": 3}})

    [bill] = (await async_household(hass))["bills"]
    assert bill["entry_id"] == good.entry_id
    assert bill["billed"] == []  # the sensor is not in the registry
    assert (bill["previous_cycles"], bill["invoice_url"]) == ([], None)
    assert bill["cost_cycle"] is None  # the entry is not set up: no sensors

    with patch(
        "custom_components.intelergy.dashboard.household.async_statement",
        side_effect=OperationalError("select", {}, Exception("locked")),
    ):
        [bill] = (await async_household(hass))["bills"]
    assert (bill["previous_cycles"], bill["invoice_url"]) == ([], None)
    assert "Flat: past cycles not read" in caplog.text

    with patch(
        "custom_components.intelergy.dashboard.household.recorder_loaded",
        return_value=False,
    ):
        [bill] = (await async_household(hass))["bills"]
    assert bill["previous_cycles"] == []


async def test_invoice_links_that_open_nothing(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
) -> None:
    """Another entry, a day no cycle starts on, a future cycle: not found."""
    assert await async_setup_component(hass, "http", {})
    await setup_integration(hass)
    energy = "sensor.flat_energy"
    today = dt_util.now().date()
    await import_rows(
        hass, energy, monthly_rows(today.replace(day=1) - timedelta(days=40), 40, 2.0)
    )
    bill = billing_entry(hass, [energy], title="Flat")
    [shown] = (await async_household(hass))["bills"]
    assert shown["invoice_url"] is not None
    client = await hass_client()
    future = SEED.cycle.following(SEED.cycle.containing(today)).start
    base = "/api/intelergy/invoices"
    for path in (
        f"{base}/{bill.entry_id}/{today.replace(day=2)}",  # no cycle starts then
        f"{base}/{bill.entry_id}/{future}",
        f"{base}/{bill.entry_id}/someday",
        f"{base}/nothing/{today.replace(day=1)}",
    ):
        assert (await client.get(path)).status == HTTPStatus.NOT_FOUND, path
    ok = await client.get(f"{base}/{bill.entry_id}/{today.replace(day=1)}")
    assert ok.status == HTTPStatus.OK
    assert ok.headers["Content-Type"] == "application/pdf"


# --- Energy preferences, the module --------------------------------------------------


async def test_energy_prefs(recorder_mock: Recorder, hass: HomeAssistant) -> None:
    assert await async_setup_component(hass, DOMAIN, {})
    assert (await async_household(hass))["energy_prefs"] is False
    assert await async_setup_component(hass, "energy", {})
    assert (await async_household(hass))["energy_prefs"] is False  # nothing set
    from homeassistant.components.energy.data import async_get_manager  # noqa: PLC0415

    manager = await async_get_manager(hass)
    await manager.async_update(
        {"device_consumption": [{"stat_consumption": "sensor.meter_energy"}]}
    )
    assert (await async_household(hass))["energy_prefs"] is True


async def test_module_served_and_loaded(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Served at /intelergy_static/…, added to the frontend with its hash."""
    module = tmp_path / "intelergy-strategy.js"
    module.write_text("export const strategy = 1;\n")
    monkeypatch.setattr(dashboard, "MODULE", module)
    assert await async_setup_component(hass, "frontend", {})
    assert await async_setup_component(hass, DOMAIN, {})

    version = hashlib.sha256(module.read_bytes()).hexdigest()[:12]
    url = f"/intelergy_static/intelergy-strategy.js?v={version}"
    assert url in hass.data[DATA_EXTRA_MODULE_URL].urls
    response = await (await hass_client()).get(url)
    assert response.status == HTTPStatus.OK
    assert await response.text() == "export const strategy = 1;\n"


async def test_module_missing(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Without the file nothing is served or added; the command still answers."""
    monkeypatch.setattr(dashboard, "MODULE", tmp_path / "missing.js")
    assert await async_setup_component(hass, "frontend", {})
    assert await async_setup_component(hass, DOMAIN, {})
    assert "The dashboard module" in caplog.text
    assert not any("intelergy" in u for u in hass.data[DATA_EXTRA_MODULE_URL].urls)
    response = await (await hass_client()).get(
        "/intelergy_static/intelergy-strategy.js"
    )
    assert response.status == HTTPStatus.NOT_FOUND


async def test_module_without_frontend(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """HTTP without the frontend: served, nothing to add it to."""
    module = tmp_path / "intelergy-strategy.js"
    module.write_text("export {};\n")
    monkeypatch.setattr(dashboard, "MODULE", module)
    assert await async_setup_component(hass, "http", {})
    assert await async_setup_component(hass, DOMAIN, {})
    assert DATA_EXTRA_MODULE_URL not in hass.data
    response = await (await hass_client()).get(
        "/intelergy_static/intelergy-strategy.js"
    )
    assert response.status == HTTPStatus.OK
