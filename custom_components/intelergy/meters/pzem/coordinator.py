"""Polls one PZEM-004T over Modbus; its energy counter is folded into a lifetime total."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, override

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.update_coordinator import UpdateFailed
from homeassistant.util import dt as dt_util

from ...analytics.anomaly.meter import Stream
from ...analytics.anomaly.monitor import Values
from ...const import DOMAIN
from ...core.counter import CounterSemantics, CounterSpec
from ...core.pzem.client import PzemClient, PzemError, PzemReading, Transport
from ...storage import EntryStore
from ..coordinator import MeteredCoordinator
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

# Persistent, in Wh, no restart evidence (a PZEM reports no uptime): a dip that
# comes back is a glitch, a register that stays lower is carried on from.
COUNTER_SPEC: Final = CounterSpec(
    CounterSemantics.PERSISTENT, MAX_POWER_W, wh_per_unit=1.0, resolution=1.0
)


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


class PzemCoordinator(MeteredCoordinator[PzemData]):
    """Reads the ten input registers every 10 s; backs off while the meter is silent."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        client: PzemClient,
        store: EntryStore,
        stored: dict[str, Any] | None,
    ) -> None:
        """Poll ``client``; the energy total is restored from ``stored``."""
        # Before the base class registers async_shutdown with the entry.
        self.client = client
        super().__init__(
            hass,
            entry,
            name=f"PZEM {client.target} #{client.slave}",
            spec=COUNTER_SPEC,
            store=store,
            stored=stored,
            update_interval=SCAN_INTERVAL,
        )

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
                retry_after=self.backoff.failed(),
            ) from err
        self.backoff.succeeded()
        return self._accept(reading)

    @override
    def energy_unique_ids(self) -> dict[int, str]:
        """The meter's lifetime energy sensor (``<unique id>_energy``)."""
        return {ENERGY_CHANNEL: f"{self.config_entry.unique_id}_energy"}

    def anomaly_streams(self) -> list[Stream]:
        """The meter's one power stream (an anomaly monitor's)."""
        return Stream.whole_meter(
            self.config_entry.unique_id, self._values, self._energy
        )

    def _values(self) -> Values:
        """Power, voltage and current now (none while the meter is silent)."""
        if not self.last_update_success:
            return None, None, None
        reading = self.data.reading
        return reading.power, reading.voltage, reading.current

    def _energy(self) -> float | None:
        """The lifetime energy (kWh)."""
        return self.data.energy_kwh if self.last_update_success else None

    def _accept(self, reading: PzemReading) -> PzemData:
        update = self.totalizer.update(
            dt_util.utcnow().timestamp(),
            None,
            {ENERGY_CHANNEL: float(reading.energy_wh)},
        )
        self.counted(update, self.client.target, "Wh")
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
        self.store.schedule_save()
        await self.async_refresh()

    @override
    async def async_shutdown(self) -> None:
        """Close the connection and save the total."""
        await super().async_shutdown()
        await self.client.close()
