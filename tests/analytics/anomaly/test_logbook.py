"""Logbook lines of anomalies."""

from __future__ import annotations

from typing import Any

from homeassistant.core import Event, HomeAssistant

from custom_components.intelergy.const import DOMAIN
from custom_components.intelergy.logbook import async_describe_events, describe

from .common import ATTRS, POWER


def test_sentences() -> None:
    spike = {"kind": "spike", "active": True, "value": 2010.0, "threshold": 150.0}
    assert describe(spike, "Kettle") == "power spike: 2010 W (threshold 150 W)"
    run = {"kind": "long_run", "active": True, "value": 36000.0, "threshold": 3600.0}
    assert describe(run, "Heater") == "running too long: on for 600 min (limit 60 min)"
    assert (
        describe({"kind": "voltage", "active": False}, "x")
        == "voltage out of range cleared"
    )


async def test_describes_the_event(hass: HomeAssistant) -> None:
    hass.states.async_set(POWER, "0", ATTRS)
    registered: dict[str, Any] = {}

    def register(domain: str, event_type: str, describer: Any) -> None:
        registered[event_type] = (domain, describer)

    async_describe_events(hass, register)
    domain, describer = registered["intelergy_anomaly"]
    assert domain == DOMAIN
    event = Event(
        "intelergy_anomaly",
        {
            "entity_id": POWER,
            "kind": "current",
            "active": True,
            "value": 17.5,
            "threshold": 16.0,
        },
    )
    assert describer(event) == {
        "name": "Kettle power",
        "message": "over-current: 17.5 A (threshold 16 A)",
        "entity_id": POWER,
    }
