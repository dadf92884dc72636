"""Polls one PZEM-004T over Modbus; its energy counter is folded into a lifetime total."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, override

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.storage import Store
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from ...const import DOMAIN, LOGGER
from ...core.backoff import Backoff
from ...core.counter import CounterSemantics, CounterSpec, EnergyTotalizer
from ...core.pzem.client import PzemClient, PzemError, PzemReading, Transport
from .const import (
    CONF_BAUDRATE,
    CONF_HOST,
    CONF_PORT,
    CONF_SERIAL_PORT,
    CONF_SLAVE,
    CONF_TRANSPORT,
    ENERGY_CHANNEL,
    MAX_POWER_W,
    REQUEST_TIMEOUT,
    SCAN_INTERVAL,
)

STORAGE_VERSION: Final = 1
SAVE_DELAY: Final = 10
# Persistent, in Wh, no restart evidence (a PZEM reports no uptime): a dip that
# comes back is a glitch, a register that stays lower is carried on from.
COUNTER_SPEC: Final = CounterSpec(
    CounterSemantics.PERSISTENT, MAX_POWER_W, wh_per_unit=1.0, resolution=1.0
)


def storage_key(entry_id: str) -> str:
    """The ``.storage`` key of an entry's energy total."""
    return f"{DOMAIN}.pzem.{entry_id}"


def create_client(data: dict[str, Any] | Any) -> PzemClient:
    """A client for the entry data (raises ``ValueError`` for bad settings)."""
    transport = Transport(data[CONF_TRANSPORT])
    if transport is Transport.SERIAL:
        return PzemClient(
            transport,
            serial_port=data[CONF_SERIAL_PORT],
            baudrate=int(data[CONF_BAUDRATE]),
            slave=int(data[CONF_SLAVE]),
            timeout=REQUEST_TIMEOUT,
        )
    return PzemClient(
        transport,
        host=data[CONF_HOST],
        port=int(data[CONF_PORT]),
        slave=int(data[CONF_SLAVE]),
        timeout=REQUEST_TIMEOUT,
    )


@dataclass(frozen=True, slots=True)
class PzemData:
    """The last reading and the lifetime energy (kWh)."""

    reading: PzemReading
    energy_kwh: float


class PzemCoordinator(DataUpdateCoordinator[PzemData]):
    """Reads the ten input registers every 10 s; backs off while the meter is silent."""

    config_entry: ConfigEntry[Any]

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        client: PzemClient,
        store: Store[dict[str, Any]],
        stored: dict[str, Any] | None,
    ) -> None:
        """Poll ``client``; the energy total is restored from ``stored``."""
        # Before the base class registers async_shutdown with the entry.
        self.client = client
        self.totalizer = EnergyTotalizer(COUNTER_SPEC, stored)
        self._store = store
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"PZEM {client.target} #{client.slave}",
            update_interval=SCAN_INTERVAL,
        )
        self._backoff = Backoff()

    @override
    async def _async_update_data(self) -> PzemData:
        try:
            reading = await self.client.read()
        except PzemError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="pzem_read_failed",
                translation_placeholders={
                    "target": self.client.target,
                    "error": str(err),
                },
                retry_after=self._backoff.failed(),
            ) from err
        self._backoff.succeeded()
        return self._accept(reading)

    def _accept(self, reading: PzemReading) -> PzemData:
        update = self.totalizer.update(
            dt_util.utcnow().timestamp(),
            None,
            {ENERGY_CHANNEL: float(reading.energy_wh)},
        )
        for decision in update.decisions:
            LOGGER.warning("%s: %s", self.client.target, decision.describe("Wh"))
        if update.changed:
            self._store.async_delay_save(self.totalizer.as_dict, SAVE_DELAY)
        total = update.totals.get(ENERGY_CHANNEL, 0.0)
        return PzemData(reading, round(total / 1000, 6))

    async def async_reset_energy(self) -> None:
        """Function 0x42: the meter's register to 0; the lifetime total carries on."""
        try:
            await self.client.reset_energy()
        except PzemError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="pzem_reset_failed",
                translation_placeholders={
                    "target": self.client.target,
                    "error": str(err),
                },
            ) from err
        self.totalizer.fold(ENERGY_CHANNEL)
        self._store.async_delay_save(self.totalizer.as_dict, SAVE_DELAY)
        await self.async_refresh()

    @override
    async def async_shutdown(self) -> None:
        """Close the connection and save the total."""
        await super().async_shutdown()
        await self.client.close()
        await self._store.async_save(self.totalizer.as_dict())
