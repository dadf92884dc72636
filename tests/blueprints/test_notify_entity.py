"""A blueprint sends to a notify entity (a Telegram bot's chat, say) by send_message.

HA 2026.10's telegram_bot makes a ``notify.*`` entity per allowed chat; a
blueprint's *Notify entities* input targets them with ``notify.send_message``.
A minimal notify entity stands in for one and records what it is sent.
"""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.notify import DOMAIN as NOTIFY, NotifyEntity
from homeassistant.components.notify.const import DATA_COMPONENT
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component

from simulators.elnet import ElnetSimulator

from .common import use_blueprint
from .test_elnet import meter, poll  # noqa: F401


class Chat(NotifyEntity):
    """A chat that keeps every message it is sent."""

    _attr_has_entity_name = True
    _attr_name = "Family chat"
    _attr_unique_id = "family_chat"

    def __init__(self) -> None:
        """Nothing received yet."""
        self.received: list[tuple[str | None, str]] = []

    async def async_send_message(self, message: str, title: str | None = None) -> None:
        """Keep it."""
        self.received.append((title, message))


async def test_recharge_to_a_notify_entity(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    meter: dr.DeviceEntry,  # noqa: F811
    elnet_sim: ElnetSimulator,
) -> None:
    chat = Chat()
    assert await async_setup_component(hass, NOTIFY, {})
    # Added to the notify component as an integration's platform adds its own.
    await hass.data[DATA_COMPONENT].async_add_entities([chat])
    await hass.async_block_till_done()
    assert chat.entity_id == "notify.family_chat"
    await use_blueprint(
        hass, "elnet_recharge", meter=meter.id, notify_entities=[chat.entity_id]
    )
    elnet_sim.recharge(500)
    await poll(hass, freezer, elnet_sim, load_kw=0)
    assert chat.received == [
        (
            "Recharge received",
            "Recharged 500.00 INR: the balance is now 2,287.42 INR.",
        )
    ]
    # The entity's state is when it last sent.
    state = hass.states.get(chat.entity_id)
    assert state is not None
    assert state.state not in ("unknown", "unavailable")
