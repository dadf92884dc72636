"""For tests against the real recorder: import these into the test module.

from tests.recorder import HOUR, auto_enable_custom_integrations, hour_of
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
    do_adhoc_statistics,
    statistics_during_period,
)

# A whole hour: statistics runs start on 5-minute boundaries.
HOUR = datetime(2026, 11, 23, 10, 0, tzinfo=dt_util.UTC)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: Recorder, enable_custom_integrations: None
) -> None:
    """Here the recorder must start before ``hass`` (overrides the conftest one)."""


async def hour_of(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, entity_id: str
) -> dict[str, Any]:
    """Compile ``HOUR``'s twelve 5-minute runs; its hourly row for ``entity_id``."""
    await async_wait_recording_done(hass)
    freezer.move_to(HOUR + timedelta(hours=1, minutes=5))
    for five in range(0, 60, 5):  # the recorder's 5-minute runs; :55 closes the hour
        do_adhoc_statistics(hass, start=HOUR + timedelta(minutes=five))
        await async_wait_recording_done(hass)
    stats = await hass.async_add_executor_job(
        statistics_during_period,
        hass,
        HOUR,
        None,
        {entity_id},
        "hour",
        None,
        {"sum", "state"},
    )
    [row] = stats[entity_id]
    return dict(row)
