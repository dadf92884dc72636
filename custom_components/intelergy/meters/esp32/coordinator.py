"""One ESP32 meter on HA's MQTT integration: telemetry, relays, availability, backlog.

Everything arrives pushed; the coordinator only keeps the last accepted reading
and tells its entities. The meter is available while HA's MQTT client is
connected, its Last Will has not said ``offline`` and its telemetry has not been
silent for ``SILENCE_INTERVALS`` intervals.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Final, override

from homeassistant.components import mqtt
from homeassistant.components.mqtt.models import ReceiveMessage
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.event import async_call_later
from homeassistant.util import dt as dt_util

from ...analytics.anomaly.meter import Stream
from ...analytics.anomaly.monitor import Values
from ...const import DOMAIN, LOGGER
from ...core.backlog import BacklogLedger
from ...core.counter import CounterSemantics, CounterSpec
from ...core.esp32.client import (
    PayloadError,
    Reading,
    parse_backlog,
    parse_relay_state,
    parse_state,
    relay_command,
)
from ...core.esp32.ota import OtaReport, parse_ota
from ...core.throttle import WriteThrottle
from ...storage import EntryStore
from ..coordinator import MeteredCoordinator
from .backlog import async_import_backlog
from .const import (
    CONF_DEVICE_ID,
    CONF_INTERVAL,
    CONF_MAX_POWER,
    CONF_PREFIX,
    CONF_THROTTLE,
    CONF_THROTTLE_ENERGY,
    CONF_THROTTLE_POWER,
    CONF_THROTTLE_SECONDS,
    DEFAULT_THROTTLE_ENERGY,
    DEFAULT_THROTTLE_POWER,
    DEFAULT_THROTTLE_SECONDS,
    MAX_POWER_W,
    MAX_RELAYS,
    SILENCE_INTERVALS,
)

ENERGY_CHANNEL: Final = 0  # a meter has one energy counter


def counter_spec(
    semantics: CounterSemantics, max_power_w: float = MAX_POWER_W
) -> CounterSpec:
    """A meter's counter: kWh, rated ``max_power_w`` (the entry's option).

    The contract says ``energy`` survives reboots, but a third-party firmware
    may not keep that promise: until a meter sends ``boot`` (the contract's
    boot counter, which only a firmware that persists its state sends) its
    semantics are unknown and the recorder's own rule applies; from then on it
    is persistent and ``boot`` tells every restart.
    """
    return CounterSpec(semantics, max_power_w, wh_per_unit=1000.0)


@dataclass(frozen=True, slots=True)
class MeterData:
    """The last accepted reading, the lifetime energy (kWh) and the relays."""

    reading: Reading | None = None
    energy: float | None = None
    relays: Mapping[int, bool] = field(default_factory=dict)
    taken: float = 0.0  # the reading's time (the meter's clock when it has one)
    ota: OtaReport | None = None  # the firmware and its last update (…/ota)


def throttle_from_options(options: Mapping[str, Any]) -> WriteThrottle | None:
    """The entry's write throttle, or ``None`` when it is off (the default)."""
    if not options.get(CONF_THROTTLE, False):
        return None
    return WriteThrottle(
        seconds=float(options.get(CONF_THROTTLE_SECONDS, DEFAULT_THROTTLE_SECONDS)),
        power_w=float(options.get(CONF_THROTTLE_POWER, DEFAULT_THROTTLE_POWER)),
        energy_kwh=float(options.get(CONF_THROTTLE_ENERGY, DEFAULT_THROTTLE_ENERGY)),
    )


class Esp32Coordinator(MeteredCoordinator[MeterData]):
    """Subscribes to one meter's topics and keeps what it said last."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        store: EntryStore,
        stored: dict[str, Any] | None,
    ) -> None:
        """Nothing is polled: ``update_interval`` is ``None``."""
        self.device_id: str = entry.data[CONF_DEVICE_ID]
        self.base = f"{entry.data[CONF_PREFIX]}/{self.device_id}"
        # What async_shutdown uses, before the base class registers it.
        stored = stored or {}
        if "channels" in stored:  # the first layout: the totalizer alone
            stored = {"totalizer": stored}
        semantics = (
            CounterSemantics.PERSISTENT
            if stored.get("semantics") == CounterSemantics.PERSISTENT
            else CounterSemantics.UNKNOWN
        )
        self.max_power_w = float(entry.options.get(CONF_MAX_POWER, MAX_POWER_W))
        self.backlog = BacklogLedger(_mapping(stored.get("backlog")))
        self.dropped: int | None = None  # readings the meter's buffer dropped
        self._unsub: list[CALLBACK_TYPE] = []
        self._silence: CALLBACK_TYPE | None = None
        self._flush: CALLBACK_TYPE | None = None
        super().__init__(
            hass,
            entry,
            name=f"ESP32 meter {self.device_id}",
            spec=counter_spec(semantics, self.max_power_w),
            store=store,
            stored=stored,
        )
        self.data = MeterData(energy=self.totalizer.total(ENERGY_CHANNEL))
        self.interval = float(
            entry.options.get(CONF_INTERVAL) or entry.data[CONF_INTERVAL]
        )
        self.throttle = throttle_from_options(entry.options)
        self.online: bool | None = None  # the meter's availability topic
        self.silent = False
        self.connected = True  # HA's MQTT client
        self.written = 0  # readings handed to the entities (and the recorder)
        self._pending: MeterData | None = None
        self._last_order: tuple[int | None, float] | None = None  # (boot, uptime)
        self._heard_at = dt_util.utcnow()  # when the last telemetry came
        self._announced: set[str] = set()
        self._warned: set[str] = set()
        self._unknown: set[str] = set()
        self._was_available = False
        self.new_relay_listeners: list[Callable[[int], None]] = []
        self.new_field_listeners: list[Callable[[str], None]] = []

    @override
    async def _async_update_data(self) -> MeterData:
        """Nothing to fetch: a meter pushes."""
        return self.data

    @property
    def available(self) -> bool:
        """Connected, not offline by its Last Will, not silent, and heard from."""
        return (
            self.connected
            and self.online is not False
            and not self.silent
            and self.data.reading is not None
        )

    def anomaly_streams(self) -> list[Stream]:
        """The meter's one power stream (an anomaly monitor's).

        Fed as the entities are: with recorder throttling on, a held reading
        reaches it with the next write (a power change beyond the throttle's
        limit is written at once).
        """
        return Stream.whole_meter(
            self.config_entry.unique_id, self._values, self._energy
        )

    def _values(self) -> Values:
        """Power, voltage and current now (none while the meter is unavailable)."""
        reading = self.data.reading
        if not self.available or reading is None:
            return None, None, None
        return reading.power, reading.voltage, reading.current

    def _energy(self) -> float | None:
        """The lifetime energy (kWh)."""
        return self.data.energy if self.available else None

    async def async_start(self) -> None:
        """Subscribe to the meter's topics and to the broker connection."""
        hass, base = self.hass, self.base
        self._unsub = [
            await mqtt.async_subscribe(hass, f"{base}/state", self._state, 1, None),
            await mqtt.async_subscribe(
                hass, f"{base}/availability", self._availability, 1, None
            ),
            await mqtt.async_subscribe(hass, f"{base}/relay/+", self._relay, 1, None),
            await mqtt.async_subscribe(hass, f"{base}/backlog", self._backlog, 1, None),
            await mqtt.async_subscribe(hass, f"{base}/ota", self._ota, 1, None),
            mqtt.async_subscribe_connection_status(hass, self._connection),
        ]

    @override
    async def async_shutdown(self) -> None:
        """Unsubscribe, cancel timers, write a held reading, save the total."""
        await super().async_shutdown()
        for unsub in (*self._unsub, self._silence, self._flush):
            if unsub is not None:
                unsub()
        self._unsub, self._silence, self._flush = [], None, None

    @override
    def totalizer_state(self, stored: dict[str, Any] | None) -> dict[str, Any] | None:
        """The counter model's part of ``{semantics, totalizer, backlog}``."""
        return _mapping((stored or {}).get("totalizer"))

    @override
    def stored(self) -> dict[str, Any]:
        """What the entry's store keeps: the counter model and the backlog."""
        return {
            "semantics": self.totalizer.spec.semantics.value,
            "totalizer": self.totalizer.as_dict(),
            "backlog": self.backlog.as_dict(),
        }

    # --- messages --------------------------------------------------------------
    def _now(self) -> float:
        return dt_util.utcnow().timestamp()

    def _refused(self, what: str, err: PayloadError) -> None:
        """One line per refused message: a warning the first time per kind."""
        key = f"{what}:{err.code}"
        level = 10 if key in self._warned else 30  # DEBUG, then WARNING
        self._warned.add(key)
        LOGGER.log(
            level, "%s: refused %s message (%s): %s", self.base, what, err.code, err
        )

    @callback
    def _state(self, message: ReceiveMessage) -> None:
        now = self._now()
        try:
            reading = parse_state(message.payload, now, topic_device_id=self.device_id)
        except PayloadError as err:
            self._refused("state", err)
            return
        if new := set(reading.unknown) - self._unknown:
            self._unknown |= new
            LOGGER.info(
                "%s: ignoring unknown fields %s", self.base, ", ".join(sorted(new))
            )
        if not self._in_order(reading):
            LOGGER.debug(
                "%s: reading of boot %s, uptime %s s came after a later one; ignored",
                self.base,
                reading.boot,
                reading.uptime,
            )
            return
        # The meter's clock places a reading, it never orders or drops one.
        taken = reading.timestamp if reading.timestamp is not None else now
        stale = self._stale(now, reading.timestamp, retained=message.retain)
        if reading.boot is not None and (
            self.totalizer.spec.semantics is not CounterSemantics.PERSISTENT
        ):
            self.totalizer.spec = counter_spec(
                CounterSemantics.PERSISTENT, self.max_power_w
            )
        update = self.totalizer.update(
            now,
            # An old message's uptime says nothing about the time since.
            None if stale else reading.uptime,
            {ENERGY_CHANNEL: reading.energy},
            boot=reading.boot,
        )
        self.counted(update, self.base, "kWh")
        if reading.dropped is not None and reading.dropped != self.dropped:
            if reading.dropped > (self.dropped or 0):
                LOGGER.warning(
                    "%s: the meter's offline buffer was full and dropped %d "
                    "readings since it booted; the backlog's hours spread the "
                    "energy of the missing span evenly",
                    self.base,
                    reading.dropped,
                )
            self.dropped = reading.dropped
        if stale:
            # A retained or delayed message: its energy counts (above), but it
            # is no live power (a 3-day-old retained 2500 W must not show).
            LOGGER.info(
                "%s: reading taken %s is older than the silence timeout; "
                "counted, not shown as live",
                self.base,
                dt_util.utc_from_timestamp(taken).isoformat(),
            )
            self.data = replace(
                self.data, energy=update.totals.get(ENERGY_CHANNEL, self.data.energy)
            )
            return
        if reading.interval is not None:
            self.interval = reading.interval
        self._heard(now)
        # The relay topics and the telemetry both come from the meter: the newest wins.
        relays = {**self.data.relays, **dict(enumerate(reading.relays or ()))}
        data = MeterData(
            reading,
            update.totals.get(ENERGY_CHANNEL),
            relays,
            taken,
            ota=self.data.ota,  # the firmware report comes on its own topic
        )
        self._announce(reading, relays)
        if (
            self.throttle is not None
            and self._was_available
            and not self.throttle.should_write(taken, reading.power, data.energy)
        ):
            self._pending = data
            self._schedule_flush(taken)
            return
        self._pending = None
        self._write(data)

    def _stale(self, now: float, timestamp: float | None, *, retained: bool) -> bool:
        """Whether a reading is too old to show as live power.

        A retained message (the broker delivers it because HA subscribed: HA
        started, or reconnected) taken longer ago than the silence timeout is
        history, not the present: a meter without a Last Will leaves its last
        reading there for days. Messages that arrive as they are published are
        live whatever the meter's clock says: a clock set minutes wrong, or
        stepped back by SNTP, must not hide the present.
        """
        if timestamp is None or not retained:
            return False
        return now - timestamp > SILENCE_INTERVALS * self.interval

    def _in_order(self, reading: Reading) -> bool:
        """Order live readings by (boot, uptime) when the meter sends them.

        A reading of the same boot whose uptime is not larger than the last one's
        is a redelivered or late message. Without uptime the arrival order is
        the order (the meter's clock is never used for it: a clock stepped back
        must not freeze the live values).
        """
        if reading.uptime is None:
            return True
        order = (reading.boot, reading.uptime)
        last = self._last_order
        if (
            last is not None
            and reading.boot is not None
            and last[0] == reading.boot
            and reading.uptime <= last[1]
        ):
            return False
        self._last_order = order
        return True

    def _announce(self, reading: Reading, relays: Mapping[int, bool]) -> None:
        """Tell the platforms about relays and fields seen for the first time."""
        for index in relays:
            if (key := f"relay_{index}") not in self._announced:
                self._announced.add(key)
                for relay_listener in self.new_relay_listeners:
                    relay_listener(index)
        for name in ("voltage", "current", "power_factor", "frequency", "rssi"):
            if name not in self._announced and getattr(reading, name) is not None:
                self._announced.add(name)
                for field_listener in self.new_field_listeners:
                    field_listener(name)
        if "dropped" not in self._announced and self.dropped is not None:
            self._announced.add("dropped")
            for field_listener in self.new_field_listeners:
                field_listener("dropped")

    def _write(self, data: MeterData) -> None:
        """Hand ``data`` to the entities (a recorder write for changed values)."""
        if self.throttle is not None and data.reading is not None:
            self.throttle.wrote(data.taken, data.reading.power, data.energy)
            if self._flush is not None:  # the held reading is superseded
                self._flush()
                self._flush = None
        self.written += 1
        self.data = data
        self._availability_changed()
        self.async_update_listeners()

    def _schedule_flush(self, now: float) -> None:
        if self._flush is not None or self.throttle is None:
            return
        due = self.throttle.due() or now

        @callback
        def flush(_: datetime) -> None:
            self._flush = None
            if self._pending is not None:
                pending, self._pending = self._pending, None
                self._write(pending)

        self._flush = async_call_later(self.hass, max(due - now, 0.0), flush)

    def _heard(self, now: float) -> None:
        """Telemetry arrived: the silence timer counts from now.

        One timer, re-armed when it fires early, rather than a new timer for every
        message (at 5 s a meter would otherwise cancel 17,280 timers a day).
        """
        self.silent = False
        self._heard_at = dt_util.utcnow()
        if self._silence is None:
            self._arm_silence(SILENCE_INTERVALS * self.interval)

    def _arm_silence(self, delay: float) -> None:
        @callback
        def check(now: datetime) -> None:
            self._silence = None
            window = timedelta(seconds=SILENCE_INTERVALS * self.interval)
            left = (self._heard_at + window - now).total_seconds()
            if left > 0:
                self._arm_silence(left)
                return
            self.silent = True
            self._availability_changed()
            self.async_update_listeners()

        self._silence = async_call_later(self.hass, delay, check)

    def _availability_changed(self) -> None:
        """Log the meter going unavailable and coming back, once each."""
        available = self.available
        if available == self._was_available:
            return
        self._was_available = available
        if available:
            LOGGER.info("%s: meter available", self.base)
            return
        reason = (
            "MQTT disconnected"
            if not self.connected
            else "offline (Last Will)"
            if self.online is False
            else f"no telemetry for {SILENCE_INTERVALS * self.interval:g} s"
        )
        LOGGER.warning("%s: meter unavailable: %s", self.base, reason)

    @callback
    def _availability(self, message: ReceiveMessage) -> None:
        text = _text(message.payload).strip().lower()
        if text not in ("online", "offline"):
            self._refused(
                "availability",
                PayloadError(
                    "wrong_type", f"availability {text[:20]!r} (online or offline)"
                ),
            )
            return
        self.online = text == "online"
        self._availability_changed()
        self.async_update_listeners()

    @callback
    def _ota(self, message: ReceiveMessage) -> None:
        """The firmware's version and last update: the device's software version."""
        try:
            report = parse_ota(message.payload)
        except PayloadError as err:
            self._refused("ota", err)
            return
        previous = self.data.ota
        self.data = replace(self.data, ota=report)
        if self._pending is not None:
            self._pending = replace(self._pending, ota=report)
        if previous is None or previous.version != report.version:
            registry = dr.async_get(self.hass)
            if device := registry.async_get_device_by_identifier(
                (DOMAIN, str(self.config_entry.unique_id)), self.config_entry.entry_id
            ):
                registry.async_update_device(device.id, sw_version=report.version)
        if previous is None or previous.result != report.result:
            level = 20 if report.result in ("ok", "none", "up_to_date") else 30
            LOGGER.log(
                level,
                "%s: firmware %s, last update: %s%s",
                self.base,
                report.version,
                report.result,
                f" ({report.detail})" if report.detail else "",
            )
        if "ota" not in self._announced:
            self._announced.add("ota")
            for field_listener in self.new_field_listeners:
                field_listener("firmware_update")
        self.async_update_listeners()

    @callback
    def _relay(self, message: ReceiveMessage) -> None:
        index_text = message.topic.rsplit("/", 1)[-1]
        if not index_text.isdigit() or int(index_text) >= MAX_RELAYS:
            self._refused(
                "relay",
                PayloadError("out_of_range", f"relay number {index_text[:8]!r}"),
            )
            return
        try:
            on = parse_relay_state(message.payload)
        except PayloadError as err:
            self._refused("relay", err)
            return
        index = int(index_text)
        for listener in self.new_relay_listeners:
            listener(index)
        self.data = replace(self.data, relays={**self.data.relays, index: on})
        if self._pending is not None:
            self._pending = replace(self._pending, relays=self.data.relays)
        self.async_update_listeners()

    @callback
    def _connection(self, connected: bool) -> None:
        self.connected = connected
        self._availability_changed()
        self.async_update_listeners()

    async def async_set_relay(self, index: int, on: bool) -> None:
        """Command a relay; its state comes back on the relay topic."""
        await mqtt.async_publish(
            self.hass, f"{self.base}/relay/{index}/set", relay_command(on), 1, False
        )

    # --- backlog ---------------------------------------------------------------
    @callback
    def _backlog(self, message: ReceiveMessage) -> None:
        try:
            readings = parse_backlog(
                message.payload, self._now(), topic_device_id=self.device_id
            )
        except PayloadError as err:
            self._refused("backlog", err)
            return
        if not readings:
            return
        offset = self.totalizer.offset(ENERGY_CHANNEL)
        points = [
            (float(r.timestamp or 0.0), offset + float(r.energy or 0.0))
            for r in readings
        ]
        self.config_entry.async_create_background_task(
            self.hass, self._async_import(points), f"intelergy {self.base} backlog"
        )

    async def _async_import(self, points: list[tuple[float, float]]) -> None:
        """Write the backlog's hours into the energy sensor's statistics (backlog.py)."""
        await async_import_backlog(
            self.hass,
            base=self.base,
            unique_id=str(self.config_entry.unique_id),
            ledger=self.backlog,
            allowance_kwh=self.totalizer.spec.allowance,
            max_power_w=self.totalizer.spec.max_power_w,
            points=points,
            now=self._now(),
            saved=self.store.schedule_save,
        )


def _mapping(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


def _text(payload: str | bytes | bytearray) -> str:
    return (
        payload.decode(errors="replace")
        if isinstance(payload, bytes | bytearray)
        else payload
    )
