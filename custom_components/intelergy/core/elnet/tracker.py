"""What changes between ELNET readings: events, energy totals, persisted state.

No Home Assistant imports. ``ElnetTracker.update`` takes each pair of readings and
returns the events it implies. A reading is new only when its ``UpdatedOn``
advanced past the last accepted one; that stamp and the time it last advanced
are persisted with the rest of the state (accepted power source, open generator
session, low-balance latch, last balance, start-of-day balance, energy
counters), so after a restart a reading the server has not refreshed is still
not new (it fires nothing, cannot flip the source) and stays stale, and a
generator session that spans a restart keeps its true start.

The cumulative registers (EB, DG, solar) go through the project's counter model,
``EnergyTotalizer``: one channel per register, a persistent utility register
with no restart evidence. The entities show its totals, which never go down: a
dip that comes back is a glitch, a register that stays lower for 5 minutes is a
continuation (a replaced meter: nothing doubled or lost), a rise more than the
supply could deliver is never counted. It runs on the meter's clock
(``UpdatedOn``): the energy a register can gain between two readings is bounded
by the meter time between them, and only new readings reach it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
import math
from typing import Any, Final

from ..counter import CounterSemantics, CounterSpec, Decision, EnergyTotalizer
from .client import HomeData, LiveUpdate, PowerSource

# The most a flat's supply can deliver: a register rising faster than this between
# two readings (x 1.5 + a minute, see core/counter.py) is not consumption.
MAX_SUPPLY_POWER_W: Final = 50_000.0

# The cumulative registers and their fixed totalizer channels.
REGISTER_CHANNELS: Final = {"grid_kwh": 0, "generator_kwh": 1, "solar_kwh": 2}
REGISTERS: Final = tuple(REGISTER_CHANNELS)
ENERGY_SPEC: Final = CounterSpec(
    semantics=CounterSemantics.PERSISTENT,
    max_power_w=MAX_SUPPLY_POWER_W,
    wh_per_unit=1000.0,  # the registers count kWh
    resolution=0.01,
)

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
    energy: EnergyTotalizer = field(
        default_factory=lambda: EnergyTotalizer(ENERGY_SPEC), repr=False
    )
    # The totalizer's decisions of the last update, for the caller to log.
    decisions: list[Decision] = field(default_factory=list, repr=False)
    # An older layout's held registers, until the first reading starts the counters.
    legacy_registers: dict[str, float] = field(default_factory=dict)
    last_updated_on: datetime | None = None  # the last accepted reading's UpdatedOn
    last_advance: datetime | None = None  # when UpdatedOn last advanced
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
        state and raises no event, so a stale server cannot flip the source, also
        right after a restart. Then it is only shown (with the accepted source and
        the totals) if nothing has been shown since the restart.
        """
        self.decisions = []
        if not self.is_new(live):
            if self.last_live is None:
                source = live.source if self.source is None else self.source
                self.last_live = self._with_totals(replace(live, source=source))
                self.last_home = home
            return []
        self.last_updated_on = live.updated_on
        self.last_advance = now
        meter_time = live.updated_on.timestamp()
        if self.legacy_registers:
            self._start_from_legacy(live, meter_time)
        counted = self.energy.update(
            meter_time,
            None,  # a utility register gives no restart evidence
            {
                channel: getattr(live, name)
                for name, channel in REGISTER_CHANNELS.items()
            },
        )
        self.decisions = counted.decisions
        live = self._with_totals(live)
        self.last_live = live
        self.last_home = home
        events: list[Event] = []
        self._track_source(live, home, events)
        self._track_balance(live.balance, events)
        if self.day_start_balance is None:
            self.day_start_balance = live.balance
        return events

    def _start_from_legacy(self, live: LiveUpdate, meter_time: float) -> None:
        """Start the counters from an older layout's held registers.

        When they were read is unknown, so the rise since cannot be judged: a
        register at or above its held value starts the counter where it is (as the
        old rule took it: nothing lost, nothing doubled), one below it starts at
        the held value, which the totalizer then holds (a glitch) or continues
        from (a replaced meter).
        """
        stored = self.energy.as_dict()
        for name, held in self.legacy_registers.items():
            if getattr(live, name) < held:
                stored["channels"][str(REGISTER_CHANNELS[name])] = {
                    "offset": 0.0,
                    "counter": held,
                    "at": meter_time,
                }
        self.legacy_registers = {}
        self.energy = EnergyTotalizer(ENERGY_SPEC, stored)

    def _with_totals(self, live: LiveUpdate) -> LiveUpdate:
        """``live`` with each register replaced by its lifetime total."""

        def total(name: str) -> float:
            value = self.energy.total(REGISTER_CHANNELS[name])
            if value is None:  # not counted yet: as read, never below an old hold
                value = max(getattr(live, name), self.legacy_registers.get(name, 0.0))
            return round(value, 6)

        return replace(
            live,
            grid_kwh=total("grid_kwh"),
            generator_kwh=total("generator_kwh"),
            solar_kwh=total("solar_kwh"),
        )

    @staticmethod
    def describe(decision: Decision) -> str:
        """A totalizer decision as one log line, naming the register."""
        names = {channel: name for name, channel in REGISTER_CHANNELS.items()}
        name = names.get(decision.channel, str(decision.channel))
        return f"{name}: {decision.describe('kWh')}"

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
            "last_updated_on": _iso(self.last_updated_on),
            "last_advance": _iso(self.last_advance),
            "energy": self.energy.as_dict(),
            # Until the first reading after an upgrade: the old layout's registers.
            **(
                {"registers": dict(self.legacy_registers)}
                if self.legacy_registers
                else {}
            ),
        }

    @classmethod
    def from_dict(cls, low_balance_threshold: float, data: Any) -> ElnetTracker:
        """Restore from ``as_dict`` output or an older layout.

        Broken event state starts afresh; the energy counters are restored on their
        own (a broken channel starts again from its next reading). Layouts before
        ``energy`` held ``registers`` (the highest value seen of each): they become
        the counters' starting state at the first reading (``_start_from_legacy``),
        so an upgrade neither loses nor doubles energy. Layouts before
        ``last_updated_on`` take the first reading as new.
        """
        tracker = cls(low_balance_threshold)
        if not isinstance(data, Mapping):
            return tracker
        try:
            if data.get("source") is not None:
                tracker.source = PowerSource(data["source"])
            if (session := data.get("session")) is not None:
                tracker.session = GeneratorSession(
                    _aware(session["started"]),
                    float(session["start_kwh"]),
                    float(session["start_cost_month"]),
                )
            tracker.low_balance_notified = bool(data.get("low_balance_notified", False))
            for key in ("balance", "day_start_balance"):
                if data.get(key) is not None:
                    setattr(tracker, key, float(data[key]))
            for key in ("last_updated_on", "last_advance"):
                if data.get(key) is not None:
                    setattr(tracker, key, _aware(data[key]))
        except AttributeError, KeyError, TypeError, ValueError:
            tracker = cls(low_balance_threshold)
        stored = data.get("energy")
        tracker.energy = EnergyTotalizer(
            ENERGY_SPEC, stored if isinstance(stored, Mapping) else None
        )
        tracker.legacy_registers = {
            name: value
            for name, value in _registers(data.get("registers")).items()
            if tracker.energy.total(REGISTER_CHANNELS[name]) is None
        }
        return tracker


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _aware(value: Any) -> datetime:
    """A stored ISO time with its offset; ``ValueError`` if naive or not a string."""
    stamp = datetime.fromisoformat(value)  # TypeError if not a string
    if stamp.tzinfo is None:
        raise ValueError(f"naive time {value!r}")
    return stamp


def _registers(stored: Any) -> dict[str, float]:
    """An older layout's held registers (the highest value seen of each)."""
    if not isinstance(stored, Mapping):
        return {}
    registers: dict[str, float] = {}
    for name in REGISTERS:
        value = stored.get(name)
        if (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and math.isfinite(value)
            and value >= 0
        ):
            registers[name] = float(value)
    return registers
