"""Slab sensors and events: where the cycle stands, when it will climb, once each.

The issue's slab tariff (0-100 kWh at 3.50, 100-300 at 4.50, above at 6.00,
18 % GST) over one sensor using 1 kWh an hour from the cycle's start: 24 kWh a
day, so the projection reaches 100 kWh on the 4th (and 300 on the 13th).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import automation
from homeassistant.components.device_automation import DeviceAutomationType
from homeassistant.components.recorder import Recorder
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
    async_get_device_automations,
)

from custom_components.intelergy import logbook
from custom_components.intelergy.analytics.billing.slabs import (
    EVENT_SLAB_ENTERED,
    EVENT_SLAB_FORECAST,
    includes,
    projected_path,
)
from custom_components.intelergy.const import DOMAIN
from custom_components.intelergy.core.tariff import Slab, SlabTable, Tariff, TouBand
from tests.recorder import auto_enable_custom_integrations  # noqa: F401

from .common import (
    HOUR,
    SEED,
    billing_entry,
    energy_sensor,
    import_rows,
    setup_integration,
    usage_rows,
)

D = Decimal
OCT = datetime(2026, 10, 1, tzinfo=UTC)
NOW = datetime(2026, 10, 3, 10, 2, tzinfo=UTC)


def state_of(hass: HomeAssistant, entry: MockConfigEntry, key: str) -> Any:
    entity_id = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{entry.entry_id}_{key}"
    )
    assert entity_id is not None
    return hass.states.get(entity_id)


async def refresh_at(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, when: datetime
) -> None:
    freezer.move_to(when)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def household(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    tariff: Tariff = SEED,
    hours: int = 58,
) -> MockConfigEntry:
    await hass.config.async_set_time_zone("UTC")
    freezer.move_to(OCT + hours * HOUR + timedelta(minutes=2))
    energy_sensor(hass, "sensor.main")
    await import_rows(hass, "sensor.main", usage_rows(OCT, [1.0] * hours))
    entry = billing_entry(hass, ["sensor.main"], tariff)
    await setup_integration(hass, entry)
    return entry


async def test_events_once_each_across_a_restart(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    forecast = async_capture_events(hass, EVENT_SLAB_FORECAST)
    entered = async_capture_events(hass, EVENT_SLAB_ENTERED)
    entry = await household(hass, freezer)
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, f"billing_{entry.entry_id}"), entry.entry_id
    )
    assert device is not None
    # 58 kWh: the first slab, 42 kWh left; the projection reaches 100 on the 4th.
    assert state_of(hass, entry, "slab_kwh_left").state == "42.0"
    assert state_of(hass, entry, "next_slab_date").state == "2026-10-04"
    assert [e.data for e in forecast] == [
        {
            "entry_id": entry.entry_id,
            "device_id": device.id,
            "name": "Home",
            "currency": "INR",
            "slab": 2,
            "from_kwh": 100.0,
            "to_kwh": 300.0,
            "rate": 4.5,
            "date": "2026-10-04",
            "cycle_start": "2026-10-01",
        }
    ]
    assert entered == []

    # A device trigger on the bill's device, as the automation editor offers it.
    triggers = await async_get_device_automations(
        hass, DeviceAutomationType.TRIGGER, device.id
    )
    assert sorted(t["type"] for t in triggers if t["domain"] == DOMAIN) == [
        "slab_entered",
        "slab_forecast",
    ]
    assert await async_setup_component(
        hass,
        automation.DOMAIN,
        {
            automation.DOMAIN: {
                "triggers": {
                    "trigger": "device",
                    "domain": DOMAIN,
                    "device_id": device.id,
                    "type": "slab_entered",
                },
                "actions": {
                    "event": "dearer_now",
                    "event_data": {"slab": "{{ trigger.event.data.slab }}"},
                },
            }
        },
    )
    fired = async_capture_events(hass, "dearer_now")

    # The same refresh again: nothing new.
    await refresh_at(hass, freezer, NOW.replace(minute=5, second=40))
    assert len(forecast) == 1

    # 101 kWh: slab 2 entered (and slab 3 forecast, on the 13th).
    await import_rows(
        hass, "sensor.main", usage_rows(OCT + 58 * HOUR, [1.0] * 43, total=58)
    )
    await refresh_at(hass, freezer, OCT + 101 * HOUR + timedelta(minutes=5, seconds=40))
    assert [(e.data["slab"], e.data["date"]) for e in entered] == [(2, "2026-10-05")]
    assert [(e.data["slab"], e.data["date"]) for e in forecast][1:] == [
        (3, "2026-10-13")
    ]
    assert [e.data["slab"] for e in fired] == [2]
    assert state_of(hass, entry, "slab_kwh_left").state == "199.0"
    price = state_of(hass, entry, "next_kwh_price")
    assert price.state == "5.31"  # 4.50 + 18 %
    assert price.attributes["slab"] == 2
    stored = hass_storage[f"{DOMAIN}.billing.{entry.entry_id}"]["data"]
    assert stored == {
        "final": True,
        "cycle_start": "2026-10-01",
        "highest": 1,
        "forecast": [1, 2],
        "entered": [1],
    }

    # A restart (reload): the watch is read back, no event again.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    await refresh_at(
        hass, freezer, OCT + 101 * HOUR + timedelta(minutes=10, seconds=40)
    )
    assert (len(forecast), len(entered)) == (2, 1)


async def test_no_forecast_without_a_projection_and_in_the_last_slab(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    forecast = async_capture_events(hass, EVENT_SLAB_FORECAST)
    # 10 hours: no complete day, nothing projected.
    entry = await household(hass, freezer, hours=10)
    assert state_of(hass, entry, "next_slab_date").state == "unknown"
    assert state_of(hass, entry, "next_slab_date").attributes.get("slab") is None
    assert forecast == []
    flat = Tariff("INR", slabs=(Slab(None, D(5)),))
    assert projected_path is not None
    assert includes(flat, D(0)) == ("energy",)


async def test_a_time_of_use_hour_prices_at_its_band(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    # 10:00 is in the day band: the next kWh is priced at it, not on the slabs.
    tariff = Tariff(
        "INR",
        slabs=SEED.slabs,
        tax_percent=D(18),
        tou_bands=(TouBand("day", 9, 17, D(8)),),
        duty_percent=D(5),
        fac_per_kwh=D("0.10"),
        rebate_per_kwh=D("0.50"),
        rebate_limit=D(1000),
    )
    entry = await household(hass, freezer, tariff)
    price = state_of(hass, entry, "next_kwh_price")
    assert price.attributes["band"] == "day"
    assert price.attributes["band_rate"] == 8.0
    assert price.attributes["includes"] == ["energy", "duty", "fac", "rebate", "tax"]
    assert float(price.state) == float(tariff.next_kwh_price(D(58), band="day"))


async def test_whole_bill_tables_show_their_table(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    tariff = Tariff(
        "INR",
        tables=(
            SlabTable(D(500), (Slab(D(100), D(0)), Slab(D(500), D("4.50")))),
            SlabTable(None, (Slab(D(100), D(0)), Slab(None, D("6.60")))),
        ),
    )
    entry = await household(hass, freezer, tariff)
    left = state_of(hass, entry, "slab_kwh_left")
    assert left.attributes["table"] == 1
    assert left.attributes["next_rate"] == 4.5
    # The first slab is free: entering the second is dearer, the price says 0.
    assert state_of(hass, entry, "next_kwh_price").state == "0.0"


async def test_an_unplaceable_cycle_leaves_the_slab_sensors_unknown(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    from custom_components.intelergy.core.tariff import TariffError  # noqa: PLC0415

    with patch(
        "custom_components.intelergy.analytics.billing.coordinator.slab_figures",
        side_effect=TariffError("broken"),
    ):
        entry = await household(hass, freezer)
        assert state_of(hass, entry, "next_kwh_price").state == "unknown"
        assert state_of(hass, entry, "next_kwh_price").attributes.get("slab") is None
        assert state_of(hass, entry, "slab_kwh_left").attributes.get("slab") is None
    assert state_of(hass, entry, "cost_cycle").state == "244.14"


def test_logbook_lines() -> None:
    described: dict[str, Callable[[Event], dict[str, str]]] = {}

    def collect(domain: str, event_type: str, fn: Callable[[Event], Any]) -> None:
        described[event_type] = fn

    logbook.async_describe_events(None, collect)  # type: ignore[arg-type]
    data = {"name": "Home", "currency": "INR", "slab": 2, "from_kwh": 100.0,
            "to_kwh": 300.0, "rate": 4.5, "date": "2026-10-04"}  # fmt: skip
    line = described[EVENT_SLAB_FORECAST](Event(EVENT_SLAB_FORECAST, data))
    assert line == {
        "name": "Home",
        "message": "projected to enter slab 2 (100 to 300 kWh at 4.5 INR/kWh) "
        "on 2026-10-04",
    }
    top = {**data, "slab": 3, "from_kwh": 300.0, "to_kwh": None, "rate": 6.0}
    line = described[EVENT_SLAB_ENTERED](Event(EVENT_SLAB_ENTERED, top))
    assert line["message"] == "entered slab 3 (above 300 kWh at 6 INR/kWh)"
    assert date(2026, 10, 4).isoformat() == data["date"]
