"""Blueprint tests: automations are turned off at the end (no time trigger lingers)."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from homeassistant.core import HomeAssistant
import pytest

from .common import stop_automations


@pytest.fixture(autouse=True)
async def automations_off(hass: HomeAssistant) -> AsyncGenerator[None]:
    """Turn every automation off after the test."""
    yield
    await stop_automations(hass)
