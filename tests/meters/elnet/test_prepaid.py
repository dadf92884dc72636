"""ELNET's prepaid view: days of balance left from the Balance sensor's statistics.

Runs once the two sensors of the report are in sources/elnet (skipped before).
"""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.components.recorder.models import (
    StatisticData,
    StatisticMeanType,
    StatisticMetaData,
)
from homeassistant.components.recorder.statistics import async_import_statistics
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.intelergy.meters.elnet.descriptions import SENSORS
from simulators.elnet import ElnetSimulator
from tests.recorder import HOUR, auto_enable_custom_integrations  # noqa: F401

from .common import entity_id, poll, setup

pytestmark = pytest.mark.skipif(
    "balance_days_left" not in {d.key for d in SENSORS},
    reason="the ELNET prepaid sensors are not added to sources/elnet yet",
)


async def test_days_left_from_the_balance_history(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    elnet_sim: ElnetSimulator,
    elnet_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    freezer.move_to(HOUR + timedelta(minutes=1))
    await setup(hass, elnet_entry)
    balance = entity_id(hass, "sensor", "balance")
    # Nothing to go on yet: no forecast.
    assert (
        hass.states.get(entity_id(hass, "sensor", "balance_days_left")).state
        == "unknown"
    )
    now_balance = float(hass.states.get(balance).state)
    # Three days of history, spending 5 an hour (120 a day), ending at the balance.
    async_import_statistics(
        hass,
        StatisticMetaData(
            mean_type=StatisticMeanType.NONE,
            has_sum=True,
            name=None,
            source="recorder",
            statistic_id=balance,
            unit_class=None,
            unit_of_measurement=hass.config.currency,
        ),
        [
            StatisticData(
                start=HOUR - timedelta(hours=72 - h),
                state=now_balance + 5.0 * (71 - h),
                sum=-5.0 * h,
            )
            for h in range(72)
        ],
    )
    await async_wait_recording_done(hass)
    freezer.move_to(HOUR + timedelta(hours=1, minutes=2))  # the history is re-read
    await poll(hass, elnet_entry)
    days = float(hass.states.get(entity_id(hass, "sensor", "balance_days_left")).state)
    current = float(hass.states.get(balance).state)
    assert days == pytest.approx(current / 120.0, rel=0.05)
    assert (
        hass.states.get(entity_id(hass, "sensor", "balance_depletion")).state
        != "unknown"
    )
