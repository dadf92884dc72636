"""What changes between ELNET readings: events and persisted state (no HA imports).

``ElnetTracker.update`` takes each new pair of readings and returns the events it
implies. Its state (accepted power source, open generator session, low-balance
latch, last balance, start-of-day balance) round-trips through ``as_dict`` /
``from_dict`` so a generator session that spans a restart keeps its true start.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
import logging
from typing import Any, Final

from .client import HomeData, LiveUpdate, PowerSource

_LOGGER = logging.getLogger(__name__)

# Cumulative registers: a value below the last accepted one is a server glitch,
# never a real reset (the recorder would count the jump back up twice).
REGISTERS: Final = ("grid_kwh", "generator_kwh", "solar_kwh")

EVENT_POWER_SOURCE_CHANGED: Final = "intelergy_power_source_changed"
EVENT_RECHARGE: Final = "intelergy_recharge"
EVENT_LOW_BALANCE: Final = "intelergy_low_balance"
EVENT_DAILY_SUMMARY: Final = "intelergy_daily_summary"

# A balance rise smaller than this is rounding noise between the two endpoints.
RECHARGE_MIN_AMOUNT: Final = 1.0
# ``UpdatedOn`` not advancing for this long marks the data stale.
STALE_AFTER: Final = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class Event:
    """An event for the bus: its type and its data."""

    event_type: str
    data: dict[str, Any]


@dataclass(slots=True)
class GeneratorSession:
    """A stretch on generator power, opened when the supply leaves the grid."""

    started: datetime
    start_kwh: float
    start_cost_month: float


@dataclass(slots=True)
class ElnetTracker:
    """Turns successive readings into events; holds what must survive restarts."""

    low_balance_threshold: float
    source: PowerSource | None = None
    session: GeneratorSession | None = None
    low_balance_notified: bool = False
    balance: float | None = None
    day_start_balance: float | None = None
    registers: dict[str, float] = field(default_factory=dict)
    held: set[str] = field(default_factory=set)
    last_updated_on: datetime | None = None
    last_advance: datetime | None = None
    last_live: LiveUpdate | None = field(default=None, repr=False)
    last_home: HomeData | None = field(default=None, repr=False)

    def is_stale(self, now: datetime) -> bool:
        """Whether ``UpdatedOn`` has not advanced for ``STALE_AFTER``."""
        return self.last_advance is not None and now - self.last_advance >= STALE_AFTER

    @property
    def low_balance(self) -> bool:
        """Whether the last accepted balance is under the threshold."""
        return self.balance is not None and self.balance < self.low_balance_threshold

    def is_new(self, live: LiveUpdate) -> bool:
        """Whether ``live`` is newer than the last accepted reading."""
        return self.last_updated_on is None or live.updated_on > self.last_updated_on

    def update(self, live: LiveUpdate, home: HomeData, now: datetime) -> list[Event]:
        """Accept a new reading taken at ``now``; return the events it implies.

        A reading whose ``UpdatedOn`` does not advance is not new: it changes no
        state and raises no event, so a stale server cannot flip the source.
        """
        if not self.is_new(live):
            return []
        self.last_updated_on = live.updated_on
        self.last_advance = now
        live = self._hold_registers(live)
        self.last_live = live
        self.last_home = home
        events: list[Event] = []
        self._track_source(live, home, events)
        self._track_balance(live.balance, events)
        if self.day_start_balance is None:
            self.day_start_balance = live.balance
        return events

    def _hold_registers(self, live: LiveUpdate) -> LiveUpdate:
        return replace(
            live,
            grid_kwh=self._hold("grid_kwh", live.grid_kwh),
            generator_kwh=self._hold("generator_kwh", live.generator_kwh),
            solar_kwh=self._hold("solar_kwh", live.solar_kwh),
        )

    def _hold(self, name: str, value: float) -> float:
        last = self.registers.get(name)
        if last is not None and value < last:
            if name not in self.held:  # log once per episode, not every poll
                self.held.add(name)
                _LOGGER.warning(
                    "Holding %s at %s kWh: the server reports %s (a glitch, "
                    "or a replaced meter)",
                    name,
                    last,
                    value,
                )
            return last
        if name in self.held:
            self.held.discard(name)
            _LOGGER.info("%s advances again from %s kWh", name, value)
        self.registers[name] = value
        return value

    def _track_source(
        self, live: LiveUpdate, home: HomeData, events: list[Event]
    ) -> None:
        previous, current = self.source, live.source
        self.source = current
        if current is PowerSource.GENERATOR and self.session is None:
            # Also when the first reading (no persisted session) is already on DG:
            # the session then starts at the first reading we saw.
            self.session = GeneratorSession(
                live.updated_on, live.generator_kwh, home.generator_cost_month
            )
        if previous is None or previous is current:
            return
        data: dict[str, Any] = {"from": str(previous), "to": str(current)}
        if current is PowerSource.GRID and self.session is not None:
            data.update(self._close_session(live, home))
        events.append(Event(EVENT_POWER_SOURCE_CHANGED, data))

    def _close_session(self, live: LiveUpdate, home: HomeData) -> dict[str, Any]:
        session, self.session = self.session, None
        assert session is not None  # noqa: S101  (checked by the caller)
        seconds = max((live.updated_on - session.started).total_seconds(), 0.0)
        kwh = max(live.generator_kwh - session.start_kwh, 0.0)
        cost: float | None = home.generator_cost_month - session.start_cost_month
        if cost is not None and cost < 0:  # the month rolled over mid-session
            cost = None
        return {
            "generator_started": session.started.isoformat(),
            "generator_ended": live.updated_on.isoformat(),
            "duration_seconds": round(seconds),
            "energy_kwh": round(kwh, 3),
            "cost": None if cost is None else round(cost, 2),
            "average_kw": round(kwh / (seconds / 3600), 3) if seconds else None,
        }

    def _track_balance(self, balance: float, events: list[Event]) -> None:
        previous, self.balance = self.balance, balance
        if previous is not None and balance - previous >= RECHARGE_MIN_AMOUNT:
            events.append(
                Event(
                    EVENT_RECHARGE,
                    {"amount": round(balance - previous, 2), "balance": balance},
                )
            )
        if self.low_balance:
            if not self.low_balance_notified:
                self.low_balance_notified = True
                events.append(
                    Event(
                        EVENT_LOW_BALANCE,
                        {"balance": balance, "threshold": self.low_balance_threshold},
                    )
                )
        else:
            self.low_balance_notified = False

    def end_of_day(self, day: date) -> Event | None:
        """Summarise ``day`` from the last reading; start the next day's balance."""
        home = self.last_home
        if home is None or self.balance is None:
            return None
        start = (
            self.day_start_balance
            if self.day_start_balance is not None
            else self.balance
        )
        self.day_start_balance = self.balance
        cost = (
            home.grid_cost_today + home.generator_cost_today + home.fixed_charges_today
        )
        return Event(
            EVENT_DAILY_SUMMARY,
            {
                "date": day.isoformat(),
                "grid_kwh": home.grid_kwh_today,
                "generator_kwh": home.generator_kwh_today,
                "solar_kwh": home.solar_kwh_today,
                "grid_cost": home.grid_cost_today,
                "generator_cost": home.generator_cost_today,
                "fixed_charges": home.fixed_charges_today,
                "cost": round(cost, 2),
                "balance_start": start,
                "balance_end": self.balance,
                "balance_change": round(self.balance - start, 2),
            },
        )

    def as_dict(self) -> dict[str, Any]:
        """What must survive a restart, as JSON-ready data."""
        session = self.session
        return {
            "source": None if self.source is None else str(self.source),
            "session": None
            if session is None
            else {
                "started": session.started.isoformat(),
                "start_kwh": session.start_kwh,
                "start_cost_month": session.start_cost_month,
            },
            "low_balance_notified": self.low_balance_notified,
            "balance": self.balance,
            "day_start_balance": self.day_start_balance,
            "registers": dict(self.registers),
        }

    @classmethod
    def from_dict(
        cls, low_balance_threshold: float, data: dict[str, Any]
    ) -> ElnetTracker:
        """Restore from ``as_dict`` output; unknown or broken data starts afresh."""
        tracker = cls(low_balance_threshold)
        try:
            if data.get("source") is not None:
                tracker.source = PowerSource(data["source"])
            if (session := data.get("session")) is not None:
                tracker.session = GeneratorSession(
                    datetime.fromisoformat(session["started"]),
                    float(session["start_kwh"]),
                    float(session["start_cost_month"]),
                )
            tracker.low_balance_notified = bool(data.get("low_balance_notified", False))
            for key in ("balance", "day_start_balance"):
                if data.get(key) is not None:
                    setattr(tracker, key, float(data[key]))
            tracker.registers = {
                name: float(value)
                for name, value in data.get("registers", {}).items()
                if name in REGISTERS
            }
        except AttributeError, KeyError, TypeError, ValueError:
            return cls(low_balance_threshold)
        return tracker
