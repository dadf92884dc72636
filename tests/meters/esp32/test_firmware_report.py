"""A meter's firmware report (``…/ota``) in Home Assistant: version and last update."""

from __future__ import annotations

import logging

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.util import dt as dt_util
import pytest

from custom_components.intelergy.const import DOMAIN

from .common import UNIQUE, Link, set_up, state_of


async def test_version_on_the_device_and_the_last_update_as_a_sensor(
    hass: HomeAssistant, link: Link, caplog: pytest.LogCaptureFixture
) -> None:
    entry = await set_up(link)
    now = dt_util.utcnow().timestamp()
    await link.publish("state", {"timestamp": now, "power": 5.0, "energy": 1.0})
    await link.publish("ota", {"version": "0.1.0", "result": "none"}, retain=True)
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, UNIQUE), entry.entry_id
    )
    assert device is not None
    assert device.sw_version == "0.1.0"
    assert state_of(hass, "sensor", "firmware_update") == "none"
    # A forged image offered and refused: said once at warning level.
    caplog.clear()
    report = {
        "version": "0.1.0",
        "result": "bad_signature",
        "target": "0.2.0",
        "detail": "signature does not match",
    }
    await link.publish("ota", report, retain=True)
    assert state_of(hass, "sensor", "firmware_update") == "bad_signature"
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert (
        "last update: bad_signature (signature does not match)" in warnings[0].message
    )
    # The genuine one, then the meter restarted into it.
    await link.publish("ota", {"version": "0.2.0", "result": "ok"}, retain=True)
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, UNIQUE), entry.entry_id
    )
    assert device is not None
    assert device.sw_version == "0.2.0"
    assert state_of(hass, "sensor", "firmware_update") == "ok"


async def test_a_malformed_report_changes_nothing(
    hass: HomeAssistant, link: Link, caplog: pytest.LogCaptureFixture
) -> None:
    await set_up(link)
    now = dt_util.utcnow().timestamp()
    await link.publish("state", {"timestamp": now, "power": 5.0, "energy": 1.0})
    await link.publish("ota", {"version": "0.1.0", "result": "ok"})
    await link.publish("ota", {"version": "not a version", "result": "ok"})
    assert state_of(hass, "sensor", "firmware_update") == "ok"
    assert "refused ota message" in caplog.text


async def test_a_report_before_the_first_reading_is_kept(
    hass: HomeAssistant, link: Link
) -> None:
    """Found in a real HA: the retained report came first, the first state dropped it."""
    await set_up(link)
    await link.publish("ota", {"version": "0.1.0", "result": "none"}, retain=True)
    now = dt_util.utcnow().timestamp()
    await link.publish("state", {"timestamp": now, "power": 5.0, "energy": 1.0})
    assert state_of(hass, "sensor", "firmware_update") == "none"
    await link.publish("state", {"timestamp": now + 5, "power": 6.0, "energy": 1.0})
    assert state_of(hass, "sensor", "firmware_update") == "none"


async def test_an_outcome_this_contract_does_not_name_reads_other(
    hass: HomeAssistant, link: Link
) -> None:
    """The sensor is an enum with translated states; a newer firmware's token is "other"."""
    await set_up(link)
    now = dt_util.utcnow().timestamp()
    await link.publish("state", {"timestamp": now, "power": 5.0, "energy": 1.0})
    await link.publish("ota", {"version": "0.3.0", "result": "quarantined"})
    assert state_of(hass, "sensor", "firmware_update") == "other"
    entity_id = next(
        s.entity_id
        for s in hass.states.async_all("sensor")
        if s.entity_id.endswith("firmware_update")
    )
    state = hass.states.get(entity_id)
    assert state is not None
    assert "other" in state.attributes["options"]
    assert "bad_signature" in state.attributes["options"]
