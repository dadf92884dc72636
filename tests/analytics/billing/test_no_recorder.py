"""Without the recorder there is nothing to bill from: retried, and said so."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest

from .common import billing_entry, call, setup_integration


async def test_without_the_recorder(hass: HomeAssistant) -> None:
    entry = billing_entry(hass, ["sensor.main"])
    await setup_integration(hass)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    for service in (
        "calculate_bill",
        "predict_bill",
        "energy_report",
        "export_invoice",
    ):
        with pytest.raises(ServiceValidationError) as raised:
            await call(hass, service)
        assert raised.value.translation_key == "billing_no_recorder"
