"""``intelergy.detect_anomalies``: the same detectors, replayed over recorded history."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Final

from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, State
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util
import probatio

from ...const import CONF_KIND, DOMAIN, KIND_ANOMALY
from ...core.anomaly import Anomaly, DetectorConfig, replay
from .const import CONF_POWER_ENTITY
from .monitor import Monitored, detector_config, number

SERVICE_DETECT_ANOMALIES: Final = "detect_anomalies"
ATTR_START: Final = "start"
ATTR_END: Final = "end"
DETECT_SCHEMA: Final = probatio.Schema(
    {
        probatio.Required(ATTR_ENTITY_ID): cv.entity_ids,
        probatio.Optional(ATTR_START): cv.datetime,
        probatio.Optional(ATTR_END): cv.datetime,
    }
)
# History between state changes is filled every 30 s, as the live monitor ticks.
FILL_SECONDS: Final = 30.0


def _config_for(hass: HomeAssistant, entity_id: str) -> DetectorConfig:
    """The settings of the sensor's monitor (an entry's, a meter's), or the defaults."""
    for loaded in hass.config_entries.async_loaded_entries(DOMAIN):
        if isinstance(data := getattr(loaded, "runtime_data", None), Monitored):
            for monitor in data.anomaly_monitors:
                if monitor.power_entity == entity_id:
                    return monitor.detector.config
    for entry in hass.config_entries.async_entries(DOMAIN):
        if (
            entry.data.get(CONF_KIND) == KIND_ANOMALY
            and entry.data.get(CONF_POWER_ENTITY) == entity_id
        ):
            return detector_config(entry.options)
    return DetectorConfig()


def _history(
    hass: HomeAssistant, entity_id: str, start: datetime, end: datetime
) -> list[State]:
    from homeassistant.components.recorder import history  # noqa: PLC0415

    changes = history.state_changes_during_period(
        hass, start, end, entity_id, include_start_time_state=True
    )
    return list(changes.get(entity_id, []))


def _as_dict(entity_id: str, anomaly: Anomaly) -> dict[str, Any]:
    def moment(timestamp: float | None) -> str | None:
        return (
            None
            if timestamp is None
            else dt_util.utc_from_timestamp(timestamp).isoformat()
        )

    return {
        "entity_id": entity_id,
        "kind": anomaly.kind,
        "value": round(anomaly.value, 3),
        "threshold": round(anomaly.threshold, 3),
        "baseline": None if anomaly.baseline is None else round(anomaly.baseline, 3),
        "started": moment(anomaly.started),
        "ended": moment(anomaly.ended),
    }


async def _async_detect(call: ServiceCall) -> ServiceResponse:
    hass = call.hass
    if "recorder" not in hass.config.components:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="no_recorder"
        )
    from homeassistant.helpers.recorder import get_instance  # noqa: PLC0415

    end: datetime = call.data.get(ATTR_END) or dt_util.utcnow()
    start: datetime = call.data.get(ATTR_START) or end - timedelta(days=1)
    if start >= end:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="bad_period"
        )
    start, end = dt_util.as_utc(start), dt_util.as_utc(end)
    found: list[Any] = []
    for entity_id in call.data[ATTR_ENTITY_ID]:
        states = await get_instance(hass).async_add_executor_job(
            _history, hass, entity_id, start, end
        )
        readings = [
            (max(state.last_changed, start).timestamp(), number(state))
            for state in states
        ]
        found.extend(
            _as_dict(entity_id, anomaly)
            for anomaly in replay(
                readings,
                _config_for(hass, entity_id),
                fill_s=FILL_SECONDS,
                until=end.timestamp(),
                tz=dt_util.get_default_time_zone(),
            )
        )
    return {"start": start.isoformat(), "end": end.isoformat(), "anomalies": found}


def async_setup_anomaly_actions(hass: HomeAssistant) -> None:
    """Register ``intelergy.detect_anomalies`` (response only)."""
    from homeassistant.core import SupportsResponse  # noqa: PLC0415

    hass.services.async_register(
        DOMAIN,
        SERVICE_DETECT_ANOMALIES,
        _async_detect,
        schema=DETECT_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
