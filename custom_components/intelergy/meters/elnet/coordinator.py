"""Polls an ELNET account and turns readings into entity data and bus events."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Final, override

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util
from sqlalchemy.exc import SQLAlchemyError

from ...analytics.billing.statistics import recorder_loaded
from ...const import DOMAIN, KIND_ELNET, LOGGER
from ...core.elnet.client import (
    ElnetApiError,
    ElnetAuthError,
    ElnetClient,
    ElnetConnectionError,
    ElnetInvalidResponseError,
    HomeData,
    LiveUpdate,
    PowerSource,
)
from ...core.elnet.tracker import ElnetTracker, Event
from ...core.prepaid import MIN_SPAN, WINDOW, PrepaidForecast, forecast
from ...storage import EntryStore
from .const import (
    CONF_LOW_BALANCE_THRESHOLD,
    CONF_SCAN_INTERVAL,
    DEFAULT_LOW_BALANCE_THRESHOLD,
    DEFAULT_SCAN_INTERVAL,
    REQUEST_TIMEOUT,
)

SAVE_DELAY: Final = 5
# The balance's recorded history (for days left) is read again at most this often.
HISTORY_EVERY: Final = timedelta(hours=1)
# "Balance runs out" moves only when the estimate moved this much: a timestamp
# that followed every poll's estimate would change every poll (the logbook).
DEPLETION_STEP: Final = timedelta(hours=1)
# Why there is no forecast (the prepaid sensors' ``reason`` attribute).
REASON_COLLECTING: Final = "collecting_history"  # under MIN_SPAN of balance history
REASON_NO_SPENDING: Final = "no_spending"  # the balance has not gone down
REASON_NO_RECORDER: Final = "no_recorder"  # no recorder to read the history from


def create_client(hass: HomeAssistant, url: str, token: str) -> ElnetClient:
    """A client on HA's shared session; ``UpdatedOn`` read in HA's time zone."""
    return ElnetClient(
        url,
        token,
        async_get_clientsession(hass),
        timeout=REQUEST_TIMEOUT,
        tz=dt_util.get_default_time_zone(),
    )


async def async_recorded_balance(
    hass: HomeAssistant, entity_id: str, start: datetime, end: datetime
) -> list[tuple[datetime, float]]:
    """A balance sensor's recorded states in ``[start, end]`` (time, balance)."""
    from homeassistant.helpers.recorder import get_instance  # noqa: PLC0415

    return await get_instance(hass).async_add_executor_job(
        _recorded_balance, hass, entity_id, start, end
    )


def _recorded_balance(
    hass: HomeAssistant, entity_id: str, start: datetime, end: datetime
) -> list[tuple[datetime, float]]:
    from homeassistant.components.recorder.history import (  # noqa: PLC0415
        state_changes_during_period,
    )

    states = state_changes_during_period(
        hass, start, end, entity_id, no_attributes=True
    )
    points: list[tuple[datetime, float]] = []
    for state in states.get(entity_id, []):
        try:
            points.append((state.last_changed, float(state.state)))
        except ValueError:  # unknown, unavailable
            continue
    return points


@dataclass(frozen=True, slots=True)
class ElnetData:
    """The last accepted reading and what the tracker derived from it."""

    live: LiveUpdate
    home: HomeData
    source: PowerSource
    stale: bool
    low_balance: bool
    generator_since: datetime | None
    prepaid: PrepaidForecast | None = None  # days of balance left
    # Without days left: why (REASON_*), and from when there can be some.
    prepaid_reason: str | None = None
    prepaid_available_from: datetime | None = None


class ElnetCoordinator(DataUpdateCoordinator[ElnetData]):
    """Fetches both endpoints on a fixed interval; fires events on changes."""

    config_entry: ConfigEntry[Any]

    def __init__(
        self, hass: HomeAssistant, entry: ConfigEntry[Any], client: ElnetClient
    ) -> None:
        """Set up polling at the entry's configured interval."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"ELNET {entry.unique_id}",
            update_interval=timedelta(
                seconds=entry.options.get(CONF_SCAN_INTERVAL, DEFAULT_SCAN_INTERVAL)
            ),
        )
        self.client = client
        self.threshold: float = entry.options.get(
            CONF_LOW_BALANCE_THRESHOLD, DEFAULT_LOW_BALANCE_THRESHOLD
        )
        self.tracker = ElnetTracker(self.threshold)
        self._history: list[tuple[datetime, float]] = []
        self._history_read: datetime | None = None
        self._first_seen: datetime | None = None  # the first balance this run
        self._depletes_at: datetime | None = None  # as last published
        self.store = EntryStore(hass, KIND_ELNET, entry.entry_id, delay=SAVE_DELAY)
        self.store.bind(self._stored)

    def _stored(self) -> dict[str, Any]:
        """The tracker as it is now (set-up replaces it with the restored one)."""
        return self.tracker.as_dict()

    @override
    async def _async_setup(self) -> None:
        """Restore the tracker (open generator session, latches) from storage."""
        if (stored := await self.store.async_load()) is not None:
            self.tracker = ElnetTracker.from_dict(self.threshold, stored)

    @override
    async def _async_update_data(self) -> ElnetData:
        try:
            live, home = await self.client.fetch()
        except ElnetAuthError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="elnet_invalid_auth"
            ) from err
        except ElnetConnectionError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="elnet_cannot_connect",
                translation_placeholders={"error": str(err)},
            ) from err
        except ElnetApiError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="elnet_api_error",
                translation_placeholders={"error": str(err)},
            ) from err
        except ElnetInvalidResponseError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="elnet_invalid_response",
                translation_placeholders={"error": str(err)},
            ) from err

        tracker = self.tracker
        now = dt_util.utcnow()
        if not tracker.is_new(live):
            LOGGER.debug(
                "ELNET %s: UpdatedOn %s has not advanced",
                home.meter_serial,
                live.updated_on,
            )
        for event in tracker.update(live, home, now):
            self._fire(event)
        for decision in tracker.decisions:  # each once, when it is taken
            LOGGER.warning(
                "%s: %s", self.config_entry.title, tracker.describe(decision)
            )
        self.store.schedule_save()
        # update() has accepted or shown at least this reading, so these are set.
        assert tracker.last_live is not None  # noqa: S101
        assert tracker.last_home is not None  # noqa: S101
        prepaid, reason, available_from = await self._async_prepaid(
            tracker.last_live.balance, now
        )
        return ElnetData(
            live=tracker.last_live,
            home=tracker.last_home,
            source=tracker.last_live.source
            if tracker.source is None
            else tracker.source,
            stale=tracker.is_stale(now),
            low_balance=tracker.low_balance,
            generator_since=None
            if tracker.session is None
            else tracker.session.started,
            prepaid=prepaid,
            prepaid_reason=reason,
            prepaid_available_from=available_from,
        )

    async def _async_prepaid(
        self, balance: float, now: datetime
    ) -> tuple[PrepaidForecast | None, str | None, datetime | None]:
        """Days left of ``balance`` at the burn rate of the *Balance* history.

        The history is the *Balance* sensor's recorded states (it has no
        long-term statistics: a balance is no cost to offer the Energy
        dashboard). Without days left, also why (``REASON_*``) and, while the
        history is too short, from when there will be some.
        """
        if not recorder_loaded(self.hass):
            return None, REASON_NO_RECORDER, None
        if self._first_seen is None:
            self._first_seen = now
        first_seen = self._first_seen
        if self._history_read is None or now - self._history_read >= HISTORY_EVERY:
            entity_id = er.async_get(self.hass).async_get_entity_id(
                "sensor", DOMAIN, f"{self.config_entry.unique_id}_balance"
            )
            if entity_id is not None:  # None: set-up has not added it yet
                try:
                    self._history = await async_recorded_balance(
                        self.hass, entity_id, now - WINDOW, now
                    )
                except SQLAlchemyError as err:
                    LOGGER.debug("ELNET balance history not read: %s", err)
                else:
                    self._history_read = now
        result = forecast(self._history, balance, now)
        if result.days_left is None:
            self._depletes_at = None
            if result.daily_burn is None:  # too little history
                first = min(
                    [first_seen, *(t for t, _ in self._history if t >= now - WINDOW)]
                )
                return result, REASON_COLLECTING, first + MIN_SPAN
            return result, REASON_NO_SPENDING, None
        kept = self._depletes_at
        if (
            result.depletes_at is not None
            and kept is not None
            and abs(result.depletes_at - kept) < DEPLETION_STEP
        ):
            result = replace(result, depletes_at=kept)
        self._depletes_at = result.depletes_at
        return result, None, None

    @override
    async def async_shutdown(self) -> None:
        """Write the tracker state now: the entry is unloading or HA stopping."""
        await super().async_shutdown()
        await self.store.async_save()

    @callback
    def async_end_of_day(self, now: datetime) -> None:
        """At local midnight: fire the summary of the day that just ended."""
        day = (dt_util.as_local(now) - timedelta(minutes=1)).date()
        if (event := self.tracker.end_of_day(day)) is not None:
            self._fire(event)
            self.store.schedule_save()

    def _fire(self, event: Event) -> None:
        LOGGER.debug(
            "ELNET %s: %s %s", self.config_entry.title, event.event_type, event.data
        )
        device = dr.async_get(self.hass).async_get_device_by_identifier(
            (DOMAIN, str(self.config_entry.unique_id)), self.config_entry.entry_id
        )
        self.hass.bus.async_fire(
            event.event_type,
            {
                "config_entry_id": self.config_entry.entry_id,
                "device_id": None if device is None else device.id,
                **event.data,
            },
        )
