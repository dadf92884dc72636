"""A billing entry's coordinator: the cycle so far, every five minutes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_track_utc_time_change
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util
from sqlalchemy.exc import SQLAlchemyError

from ...const import DOMAIN, LOGGER
from ...core.allocation import Allocation
from ...core.prediction import CostProjection
from ...core.tariff import TariffError
from ..anomaly.standby import household_standby
from .bills import CycleSoFar, async_cycle_so_far, projections
from .const import REFRESH_MINUTES, REFRESH_SECOND
from .hourly import FairCosts, FixedShare, HourlyReader, fixed_share
from .household import Household
from .slabs import SlabEvents, SlabFigures, slab_figures
from .statistics import recorder_loaded


@dataclass(frozen=True, slots=True)
class BillingData:
    """What the billing sensors show."""

    so_far: CycleSoFar
    projection: CostProjection | None  # by the entry's method; None: no full day yet
    slabs: SlabFigures | None = None  # None: the tariff could not place the cycle
    allocation: Allocation | None = None  # None: shared by energy (``hourly``)
    fixed_share: FixedShare = "energy"
    standby: dict[str, Any] | None = None  # ``household_standby``, at this refresh


class BillingCoordinator(DataUpdateCoordinator[BillingData]):
    """Reads the billed sensors' statistics after each 5-minute compile.

    Everything comes from the recorder's statistics, so the figures are right
    after a restart and after a meter's backlog is imported into past hours.
    Each refresh also places the cycle on its slabs (``slabs``: position, price
    of the next kWh, forecast, events) and shares the bill fairly between the
    billed sensors (``hourly``), and reads the household's standby (every
    monitor's, ``household_standby``) for the standby sensors.
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
        self.slab_events = SlabEvents(hass, entry)
        self.hourly = HourlyReader()
        self.fair = FairCosts()

    async def _async_setup(self) -> None:
        """The slab watch as saved: a restart repeats no event."""
        await self.slab_events.async_load()

    async def _async_update_data(self) -> BillingData:
        """The current cycle from the statistics."""
        if not recorder_loaded(self.hass):
            raise UpdateFailed(
                translation_domain=DOMAIN, translation_key="billing_no_recorder"
            )
        household = self.household
        tariff = household.tariff
        tz = dt_util.get_default_time_zone()
        now = dt_util.utcnow()
        try:
            so_far = await async_cycle_so_far(  # at the rates in force each day
                self.hass, household.schedule, household.entities, now, tz
            )
            rows = await self.hourly.async_rows(
                self.hass, household.entities, so_far.cycle_start, now
            )
        except SQLAlchemyError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="billing_statistics_failed",
                translation_placeholders={"error": str(err)},
            ) from err
        projected = projections(so_far, household.schedule, [household.method])
        projection = None if projected is None else projected[household.method]
        figures: SlabFigures | None = None
        try:
            figures = slab_figures(tariff, so_far, projection, tz)
        except TariffError as err:  # not expected: the bill was priced
            LOGGER.debug("%s: slab position not computed: %s", household.title, err)
        if figures is not None:
            await self.slab_events.async_update(so_far, figures, tz)
        fixed = fixed_share(self.config_entry.options)
        # Exact fractions over the cycle's newer hours (the older ones are kept
        # folded; every hour after a restart: ~100 ms for 100 sensors at a month's
        # end, benchmarks/billing.py): off the event loop.
        fair = await self.hass.async_add_executor_job(
            partial(
                self.fair.compute,
                tariff,
                so_far,
                rows,
                fixed,
                tz,
                generation=self.hourly.generation,
            )
        )
        standby = household_standby(self.hass, self.config_entry.entry_id)
        return BillingData(so_far, projection, figures, fair, fixed, standby)

    @callback
    def async_start(self) -> CALLBACK_TYPE:
        """Refresh 30 s after each of the recorder's 5-minute statistics runs."""

        async def _refresh(now: datetime) -> None:
            await self.async_refresh()

        return async_track_utc_time_change(
            self.hass, _refresh, minute=REFRESH_MINUTES, second=REFRESH_SECOND
        )
