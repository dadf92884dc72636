"""Helpers of the recorder-backed billing tests: statistics, sensors, entries."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from homeassistant.components.recorder.models import (
    StatisticData,
    StatisticMeanType,
    StatisticMetaData,
)
from homeassistant.components.recorder.statistics import async_import_statistics
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.intelergy.analytics.billing.const import (
    CONF_ENTITIES,
    CONF_METHOD,
    CONF_NAME,
    CONF_TARIFF,
)
from custom_components.intelergy.const import CONF_KIND, DOMAIN, KIND_BILLING
from custom_components.intelergy.core.tariff import Slab, Tariff

D = Decimal
# The tariff: 0-100 kWh at 3.50, 101-300 at 4.50, 301+ at 6.00,
# 50 a month fixed, 18 % GST.
SEED = Tariff(
    "INR",
    slabs=(Slab(D(100), D("3.50")), Slab(D(300), D("4.50")), Slab(None, D("6.00"))),
    fixed_charge=D(50),
    tax_percent=D(18),
)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def energy_sensor(
    hass: HomeAssistant,
    entity_id: str,
    *,
    state: float = 0.0,
    state_class: str = "total_increasing",
    unit: str = "kWh",
    name: str | None = None,
) -> None:
    """A state as an energy sensor has it (the flow and targets check it)."""
    hass.states.async_set(
        entity_id,
        str(state),
        {
            "device_class": "energy",
            "state_class": state_class,
            "unit_of_measurement": unit,
            "friendly_name": name or entity_id.split(".", 1)[1].replace("_", " "),
        },
    )


def usage_rows(
    start: datetime,
    usage: Sequence[float],
    *,
    state: float = 1000.0,
    total: float = 0.0,
    resets: Iterable[int] = (),
    step: timedelta = HOUR,
) -> list[tuple[datetime, float, float]]:
    """Hourly (start, state, sum) rows, ``step`` apart, using ``usage[i]`` in row i.

    Rows further apart than an hour leave gaps, as a sensor that reports
    seldom does; the energy of a gap lands in the row after it. At a row in
    ``resets`` the meter restarts from 0: its state drops, the sum (as the
    recorder keeps it) carries on.
    """
    rows = []
    reset_hours = set(resets)
    for index, kwh in enumerate(usage):
        if index in reset_hours:
            state = 0.0
        state += kwh
        total += kwh
        rows.append((start + index * step, state, total))
    return rows


def energy_metadata(entity_id: str, unit: str = "kWh") -> StatisticMetaData:
    """The recorder's statistics metadata of an energy sensor ``entity_id``."""
    return StatisticMetaData(
        mean_type=StatisticMeanType.NONE,
        has_sum=True,
        name=None,
        source="recorder",
        statistic_id=entity_id,
        unit_class="energy",
        unit_of_measurement=unit,
    )


async def import_rows(
    hass: HomeAssistant,
    entity_id: str,
    rows: Iterable[tuple[datetime, float, float]],
    *,
    unit: str = "kWh",
) -> None:
    """Hourly statistics of ``entity_id`` as the recorder keeps a sensor's."""
    async_import_statistics(
        hass,
        energy_metadata(entity_id, unit),
        [
            StatisticData(start=start, state=state, sum=total)
            for start, state, total in rows
        ],
    )
    await async_wait_recording_done(hass)


def billing_entry(
    hass: HomeAssistant,
    entities: Sequence[str],
    tariff: Tariff = SEED,
    *,
    title: str = "Home",
    method: str = "average",
) -> MockConfigEntry:
    """A billing entry (not yet set up)."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=title,
        data={CONF_KIND: KIND_BILLING, CONF_NAME: title},
        options={
            CONF_ENTITIES: list(entities),
            CONF_TARIFF: tariff.as_dict(),
            CONF_METHOD: method,
        },
    )
    entry.add_to_hass(hass)
    return entry


async def setup_integration(hass: HomeAssistant, *entries: MockConfigEntry) -> None:
    """Intelergy (and so its billing actions) with ``entries`` set up."""
    assert await async_setup_component(hass, DOMAIN, {})
    for entry in entries:
        if entry.state is ConfigEntryState.NOT_LOADED:
            assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def call(hass: HomeAssistant, service: str, **data: Any) -> dict[str, Any]:
    """An Intelergy action's response."""
    response = await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=True
    )
    assert response is not None
    return dict(response)
