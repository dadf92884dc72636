"""Billing sensor entities."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from homeassistant.components.sensor import SensorEntity
from homeassistant.const import UnitOfEnergy
from homeassistant.helpers.device_registry import DeviceInfo

from ...entity import IntelergyEntity
from .coordinator import BillingCoordinator
from .descriptions import UNRECORDED, BillingSensorDescription


class BillingSensor(IntelergyEntity[BillingCoordinator], SensorEntity):
    """A figure of the current cycle; unique id ``<entry_id>_<key>``."""

    entity_description: BillingSensorDescription
    _unrecorded_attributes = UNRECORDED

    def __init__(
        self,
        coordinator: BillingCoordinator,
        description: BillingSensorDescription,
        device_info: DeviceInfo,
    ) -> None:
        """Monetary sensors are in the tariff's currency, prices per kWh of it."""
        super().__init__(coordinator, description, device_info)
        currency = coordinator.household.tariff.currency
        if description.monetary:
            self._attr_native_unit_of_measurement = currency
        elif description.price:
            self._attr_native_unit_of_measurement = (
                f"{currency}/{UnitOfEnergy.KILO_WATT_HOUR}"
            )

    @property
    def native_value(self) -> float | Decimal | date | None:
        """The figure from the last read of the statistics."""
        return self.entity_description.value_fn(self.coordinator.data)

    @property
    def last_reset(self) -> datetime | None:
        """The start of the figure's period (cycle or day) for totals."""
        if (last_reset_fn := self.entity_description.last_reset_fn) is None:
            return None
        return last_reset_fn(self.coordinator.data)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """The breakdown (slabs, fixed charge, tax; a projection's band)."""
        if (attributes_fn := self.entity_description.attributes_fn) is None:
            return None
        return attributes_fn(self.coordinator.data)
