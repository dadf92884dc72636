"""``intelergy.detect_anomalies``: the detectors replayed over recorded history."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.intelergy.const import DOMAIN
from tests.recorder import HOUR, auto_enable_custom_integrations  # noqa: F401

from .common import ATTRS, POWER, add_monitor, run


async def test_replays_history(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    freezer.move_to(HOUR)
    hass.states.async_set(POWER, "0", ATTRS)
    await add_monitor(hass)
    await run(hass, freezer, 75, 3700)
    await run(hass, freezer, 2000, 120)
    await run(hass, freezer, 75, 300)
    await async_wait_recording_done(hass)

    response = await hass.services.async_call(
        DOMAIN,
        "detect_anomalies",
        {"entity_id": POWER, "start": HOUR, "end": dt_util.utcnow()},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    spikes = [a for a in response["anomalies"] if a["kind"] == "spike"]  # type: ignore[union-attr]
    assert len(spikes) == 1
    assert spikes[0]["entity_id"] == POWER
    assert spikes[0]["value"] >= 1999
    assert spikes[0]["ended"] is not None
    started = dt_util.parse_datetime(spikes[0]["started"])
    assert started is not None
    assert HOUR + timedelta(seconds=3690) <= started <= HOUR + timedelta(seconds=3720)

    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "detect_anomalies",
            {"entity_id": POWER, "start": dt_util.utcnow(), "end": HOUR},
            blocking=True,
            return_response=True,
        )
    assert err.value.translation_key == "bad_period"
