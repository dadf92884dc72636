"""A billing entry's coordinator: the cycle so far, every five minutes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_track_utc_time_change
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util
from sqlalchemy.exc import SQLAlchemyError

from ...const import DOMAIN, LOGGER
from ...core.prediction import CostProjection
from .bills import CycleSoFar, async_cycle_so_far, projections
from .const import REFRESH_MINUTES, REFRESH_SECOND
from .household import Household
from .statistics import recorder_loaded


@dataclass(frozen=True, slots=True)
class BillingData:
    """What the billing sensors show."""

    so_far: CycleSoFar
    projection: CostProjection | None  # by the entry's method; None: no full day yet


class BillingCoordinator(DataUpdateCoordinator[BillingData]):
    """Reads the billed sensors' statistics after each 5-minute compile.

    Everything comes from the recorder's statistics, so the figures are right
    after a restart and after a meter's backlog is imported into past hours.
    """

    config_entry: ConfigEntry[Any]

    def __init__(
        self, hass: HomeAssistant, entry: ConfigEntry[Any], household: Household
    ) -> None:
        """No interval of its own: ``async_start`` follows the recorder's runs."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} billing {entry.title}",
            update_interval=None,
        )
        self.household = household

    async def _async_update_data(self) -> BillingData:
        """The current cycle from the statistics."""
        if not recorder_loaded(self.hass):
            raise UpdateFailed(
                translation_domain=DOMAIN, translation_key="billing_no_recorder"
            )
        household = self.household
        try:
            so_far = await async_cycle_so_far(
                self.hass,
                household.tariff,
                household.entities,
                dt_util.utcnow(),
                dt_util.get_default_time_zone(),
            )
        except SQLAlchemyError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="billing_statistics_failed",
                translation_placeholders={"error": str(err)},
            ) from err
        projected = projections(so_far, household.tariff, [household.method])
        return BillingData(
            so_far, None if projected is None else projected[household.method]
        )

    @callback
    def async_start(self) -> CALLBACK_TYPE:
        """Refresh 30 s after each of the recorder's 5-minute statistics runs."""

        async def _refresh(now: datetime) -> None:
            await self.async_refresh()

        return async_track_utc_time_change(
            self.hass, _refresh, minute=REFRESH_MINUTES, second=REFRESH_SECOND
        )
