"""One counter model for every metered source: lifetime totals counted exactly once.

No Home Assistant imports. A device reports cumulative energy counters; the
energy sensors show ``offset + counter`` so that the lifetime total never goes
down, never counts a kWh twice and never loses one, through reboots, reflashes,
outages (of the device or of Home Assistant), glitches and counter resets.

Each source declares, in a ``CounterSpec``, what its counter does after the
device restarts (``CounterSemantics``) and the most power it can meter
(``max_power_w``), and passes what it knows about restarts (``uptime``, a boot
counter) with every reading.

Restart evidence (``EnergyTotalizer.restarted``), strongest first:

* a boot counter that changed: unambiguous;
* an uptime that went down: a restart between two readings;
* an uptime shorter than the wall time since the device was last seen (minus a
  tolerance of 30 s + 0.1 % of that time, for polling latency and drift): the
  device booted after it was last seen, while it was unreachable or while Home
  Assistant was stopped, even if its new uptime is already larger than the
  stored one. This is the exact form of "lower than the stored uptime plus the
  time since": a device seen at ``seen_at`` with uptime ``u0`` cannot report
  an uptime between the time since and ``u0`` + the time since unless a clock
  stepped, so that band is left to the clocks (a forward step of Home
  Assistant's clock never looks like a restart). A status repeated from a
  cache (an unchanged uptime a minute later) cannot look like one either,
  unless the device had been up for less than the tolerance. What uptime cannot tell: a
  device booted shortly before one reading that reboots again within the
  tolerance after it; its short first cycle may be lost (a boot counter tells).

The rules, each with its reason (``Decision.kind`` names them):

* ``new_cycle`` -- a *volatile* counter (it starts from 0 at boot) after a
  restart: the old counter is folded into the offset and the new counter counts
  in full, because it is the energy used since boot. If the new counter is more
  than the device could have used since boot (``max_power_w`` x uptime), the
  counter evidently survived the restart and it is a continuation instead.
* ``continuation`` -- a *persistent* counter (it survives restarts: PZEM's
  register, this project's firmware, a utility register) that comes back lower
  after a restart or stays lower for ``CONFIRM_SECONDS``: the total carries on
  from where it was (offset += old - new). Nothing doubled, nothing lost.
* ``rejected_jump`` -- an increase larger than ``max_power_w`` could deliver in
  the time since the last accepted reading (x 1.5, + 60 s): never counted. It is
  held; a reading back on the old track drops it (a glitch); a counter that keeps
  going from the new level for ``CONFIRM_SECONDS`` is a new track whose jump is
  not consumption: the total continues from the old value.
* ``glitch`` -- a lower reading without a restart is held (the total keeps its
  value); back at or above the old value it was a glitch and is ignored.
* confirmed drop (lower for ``CONFIRM_SECONDS``) without restart evidence:
  volatile -> ``new_cycle``; persistent -> ``continuation``; *unknown*
  semantics (third-party meters) -> the recorder's own rule: a drop of more than
  10 % is a reset (``new_cycle``), a smaller one a ``continuation``.

Every decision that changes the total, and the start of every hold, comes back
once in ``TotalizerUpdate.decisions`` (the caller logs it at warning level) and
is counted in ``stats`` (diagnostics).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from .numbers import finite_number

CONFIRM_SECONDS: Final = 300.0
# A high reading is confirmed as a new track only after this many readings on it.
CONFIRM_READINGS: Final = 3
# Restart evidence from uptime: allowed shortfall against the expected uptime.
UPTIME_TOLERANCE_SECONDS: Final = 30.0
UPTIME_TOLERANCE_SHARE: Final = 0.001
# The recorder's own rule: a drop of more than 10 % is a meter reset.
RESET_SHARE: Final = 0.9
# Jump plausibility: max power for 1.5x the elapsed time plus a minute.
JUMP_TIME_FACTOR: Final = 1.5
JUMP_SLACK_SECONDS: Final = 60.0


class CounterSemantics(StrEnum):
    """What a device's energy counter does when the device restarts."""

    VOLATILE = "volatile"  # starts from 0 (Shelly Gen1 and Gen2+)
    PERSISTENT = "persistent"  # survives, may come back a little lower or higher
    UNKNOWN = "unknown"  # third-party: the recorder's rule


@dataclass(frozen=True, slots=True)
class CounterSpec:
    """A source's declaration of its counters.

    ``wh_per_unit``: 1 for counters in Wh, 1000 for kWh. ``max_power_w``: the
    most the device can meter (its rating); more energy than this in the time
    between two readings is not consumption. ``resolution``: the counter's step,
    added to every allowance.
    """

    semantics: CounterSemantics
    max_power_w: float
    wh_per_unit: float = 1.0
    resolution: float = 0.0

    def allowance(self, seconds: float) -> float:
        """The most the counter can plausibly grow in ``seconds`` (counter units)."""
        seconds = max(seconds, 0.0) * JUMP_TIME_FACTOR + JUMP_SLACK_SECONDS
        return self.max_power_w * seconds / 3600 / self.wh_per_unit + self.resolution


class DecisionKind(StrEnum):
    """What a reading did to a channel's total."""

    NEW_CYCLE = "new_cycle"
    CONTINUATION = "continuation"
    REJECTED_JUMP = "rejected_jump"  # held: not counted
    NEW_TRACK = "new_track"  # a held jump confirmed: continues, jump not counted
    HELD_LOW = "held_low"


@dataclass(frozen=True, slots=True)
class Decision:
    """One decision, with the numbers, for one warning line."""

    kind: DecisionKind
    channel: int
    old: float  # the last accepted counter
    new: float  # the reading
    total: float  # the channel's total after the decision
    reason: str

    def describe(self, unit: str) -> str:
        """One log line: what happened, the numbers, why."""
        return (
            f"energy counter {self.channel}: {self.kind.value.replace('_', ' ')} "
            f"({self.old:.10g} -> {self.new:.10g} {unit}, total {self.total:.10g} {unit}): "
            f"{self.reason}"
        )


@dataclass(slots=True)
class _Held:
    low: bool  # a lower reading (else an implausibly high one)
    first: float
    first_at: float
    latest: float
    latest_at: float
    count: int = 1
    progress: float = 0.0  # how far the held track went up, drops left out

    def follow(self, value: float, now: float) -> None:
        """One more reading on the held track (never lower than ``latest``).

        The first interval of a track is not counted: its first value may be a
        glitch that happened to start the hold, and counting from it would count
        the glitch's depth. What the track rises by after its second reading is.
        """
        if self.count >= 2:
            self.progress += value - self.latest
        self.latest, self.latest_at = value, now
        self.count += 1

    def as_dict(self) -> dict[str, Any]:
        """JSON-able: a hold survives a restart of Home Assistant."""
        return {
            "low": self.low,
            "first": self.first,
            "first_at": self.first_at,
            "latest": self.latest,
            "latest_at": self.latest_at,
            "count": self.count,
            "progress": self.progress,
        }

    @classmethod
    def from_dict(cls, data: Any) -> _Held | None:
        """A stored hold, or ``None`` when there is none or it is unreadable."""
        if not isinstance(data, Mapping) or not isinstance(data.get("low"), bool):
            return None
        numbers = [
            finite_number(data.get(key))
            for key in ("first", "first_at", "latest", "latest_at", "progress")
        ]
        count = data.get("count")
        if any(n is None for n in numbers) or not isinstance(count, int):
            return None
        first, first_at, latest, latest_at, progress = (float(n or 0) for n in numbers)
        return cls(data["low"], first, first_at, latest, latest_at, count, progress)


@dataclass(slots=True)
class _Channel:
    offset: float
    counter: float
    at: float | None = None  # wall time of the last increase
    held: _Held | None = None
    # The accepted point before the last increase: if that increase was a low
    # glitch that happened to be plausible, the next real reading still is
    # plausible from here.
    prev: float | None = None
    prev_at: float | None = None


@dataclass(slots=True)
class TotalizerUpdate:
    """What one reading did: totals (in the counters' unit) and the decisions."""

    totals: dict[int, float] = field(default_factory=dict)
    decisions: list[Decision] = field(default_factory=list)
    restarted: bool = False
    changed: bool = False  # persisted state changed
    started: bool = False  # a channel's first reading: the reference from now on
    holding: bool = False  # a held track moved on: its progress is not to be lost

    @property
    def reset(self) -> list[int]:
        """Channels that started a new cycle."""
        return [d.channel for d in self.decisions if d.kind is DecisionKind.NEW_CYCLE]

    @property
    def held(self) -> list[int]:
        """Channels newly held (a lower or an implausibly high reading)."""
        return [
            d.channel
            for d in self.decisions
            if d.kind in (DecisionKind.HELD_LOW, DecisionKind.REJECTED_JUMP)
        ]


_STAT: Final = {
    DecisionKind.NEW_CYCLE: "new_cycles",
    DecisionKind.CONTINUATION: "continuations",
    DecisionKind.NEW_TRACK: "new_tracks",
}
STAT_KEYS: Final = (
    "restarts",
    "new_cycles",
    "continuations",
    "rejected_jumps",
    "new_tracks",
    "glitches",
)


class EnergyTotalizer:
    """Applies a source's ``CounterSpec`` to its counters: totals only ever grow."""

    def __init__(
        self, spec: CounterSpec, stored: Mapping[str, Any] | None = None
    ) -> None:
        """Start empty or from ``as_dict()`` output (older layouts accepted)."""
        self.spec = spec
        self.uptime: float | None = None
        self.seen_at: float | None = None  # wall time of the last reading with uptime
        self.boot: int | None = None
        self.stats: dict[str, int] = dict.fromkeys(STAT_KEYS, 0)
        self._channels: dict[int, _Channel] = {}
        if stored:
            self._restore(stored)

    def _restore(self, stored: Mapping[str, Any]) -> None:
        self.uptime = finite_number(stored.get("uptime"))
        self.seen_at = finite_number(stored.get("seen_at"))
        boot = stored.get("boot")
        self.boot = (
            boot if isinstance(boot, int) and not isinstance(boot, bool) else None
        )
        stats = stored.get("stats")
        if isinstance(stats, Mapping):
            for key in STAT_KEYS:
                if isinstance(value := stats.get(key), int):
                    self.stats[key] = value
        channels = stored.get("channels")
        for key, value in (channels if isinstance(channels, Mapping) else {}).items():
            try:
                # "offset_wh"/"counter_wh": the names of the first development builds.
                offset = finite_number(value.get("offset", value.get("offset_wh")))
                counter = finite_number(value.get("counter", value.get("counter_wh")))
                if offset is None or counter is None:
                    continue
                self._channels[int(key)] = _Channel(
                    offset,
                    counter,
                    finite_number(value.get("at")),
                    _Held.from_dict(value.get("held")),
                    finite_number(value.get("prev")),
                    finite_number(value.get("prev_at")),
                )
            except AttributeError, TypeError, ValueError:
                continue  # an unreadable channel starts again from its counter

    # --- reading ----------------------------------------------------------------
    @property
    def channels(self) -> list[int]:
        """The channels counted so far."""
        return list(self._channels)

    def total(self, channel: int) -> float | None:
        """The channel's lifetime total (``None`` before its first reading)."""
        state = self._channels.get(channel)
        return None if state is None else state.offset + state.counter

    def offset(self, channel: int) -> float:
        """What finished counter cycles add to the channel's counter."""
        state = self._channels.get(channel)
        return 0.0 if state is None else state.offset

    def counter(self, channel: int) -> float | None:
        """The channel's last accepted counter."""
        state = self._channels.get(channel)
        return None if state is None else state.counter

    def fold(self, channel: int) -> None:
        """The counter was reset on purpose (a reset command): start a new cycle."""
        if (state := self._channels.get(channel)) is not None:
            state.offset += state.counter
            state.counter = 0.0
            state.held = None

    def floor(self, channel: int, total: float, at: float) -> bool:
        """Catch up with a total reported at ``at``, newer than the store.

        A store saved lazily (``counted``: only when the counters moved on, no
        decision) can be older than the last total Home Assistant reported
        before it stopped without saving: a crash, a power cut. Every decision
        is saved at once, so between that save and the report the counter only
        moved on: it stood at ``total - offset`` at ``at``. For a persistent
        counter this changes nothing (the next reading adds what it moved); a
        volatile counter that a power cut reset with Home Assistant starts a
        new cycle on top of it instead of on top of the older saved counter.

        Only a total reported after the saved reading, and no more than the
        device could have used since (its rating, as for a reading), is taken: an older one or
        another device's (an entity id used again) is not. Call it after
        loading, before the first reading. ``True``: the counter caught up.
        """
        state = self._channels.get(channel)
        total_f, at_f = finite_number(total), finite_number(at)
        if state is None or total_f is None or at_f is None or state.at is None:
            return False
        counter = total_f - state.offset
        if (
            at_f < state.at
            or counter <= state.counter
            or not self._plausible(state, counter, at_f)
        ):
            return False
        state.prev, state.prev_at = state.counter, state.at
        state.counter, state.at, state.held = counter, at_f, None
        # The device was seen then: a boot before it is in the total (Home
        # Assistant took it as a restart, a decision saved at once, or counted
        # on); a boot after it (a power cut) is a restart. The saved uptime
        # stays: a later uptime below it is a restart as ever.
        if self.seen_at is None or at_f > self.seen_at:
            self.seen_at = at_f
        return True

    def restarted(self, now: float, uptime: float | None, boot: int | None) -> bool:
        """Whether the device restarted since the stored reading (module docstring)."""
        if boot is not None and self.boot is not None:
            return boot != self.boot
        if uptime is None or self.uptime is None:
            return False
        if uptime < self.uptime:
            return True
        if self.seen_at is None or now <= self.seen_at:
            return False
        elapsed = now - self.seen_at
        tolerance = UPTIME_TOLERANCE_SECONDS + UPTIME_TOLERANCE_SHARE * elapsed
        return uptime + tolerance < elapsed

    def update(
        self,
        now: float,
        uptime: float | None,
        counters: Mapping[int, float | None],
        *,
        boot: int | None = None,
    ) -> TotalizerUpdate:
        """Take one reading; ``now`` is the receiver's wall time in seconds."""
        result = TotalizerUpdate()
        uptime = finite_number(uptime)
        if uptime is not None and uptime < 0:
            uptime = None
        restarted = self.restarted(now, uptime, boot)
        if restarted:
            result.restarted = True
            self.stats["restarts"] += 1
        if uptime is not None:
            # Every reading moves "last seen", a repeated (cached) uptime too:
            # the restart rule asks whether the device booted after it was last
            # seen, and a later "last seen" only makes that question stricter
            # (a restart already taken must not be found again later).
            self.uptime, self.seen_at = uptime, now
            result.changed = True
        if boot is not None and boot != self.boot:
            self.boot = boot
            result.changed = True
        for channel, counter in counters.items():
            if (value := finite_number(counter)) is not None and value >= 0:
                self._take(
                    channel,
                    value,
                    now,
                    restarted=restarted,
                    uptime=uptime,
                    result=result,
                )
            if (total := self.total(channel)) is not None:
                result.totals[channel] = total
        return result

    # --- the rules ----------------------------------------------------------------
    def _take(
        self,
        channel: int,
        value: float,
        now: float,
        *,
        restarted: bool,
        uptime: float | None,
        result: TotalizerUpdate,
    ) -> None:
        state = self._channels.get(channel)
        if state is None:
            self._channels[channel] = _Channel(0.0, value, now)
            result.changed = result.started = True
            return
        result.changed = True  # at least ``at`` moves
        if restarted:
            if state.held is not None and (
                state.held.low or self.spec.semantics is CounterSemantics.VOLATILE
            ):
                state.held = None
            if self._after_restart(
                channel, state, value, now, uptime=uptime, result=result
            ):
                return
        if value >= state.counter:
            self._higher(channel, state, value, now, result)
        else:
            self._lower(channel, state, value, now, result)

    def _after_restart(
        self,
        channel: int,
        state: _Channel,
        value: float,
        now: float,
        *,
        uptime: float | None,
        result: TotalizerUpdate,
    ) -> bool:
        """Apply a restart's rule; ``False``: the reading is an ordinary one."""
        semantics = self.spec.semantics
        since_boot = uptime if uptime is not None else now - _or(state.at, now)
        if semantics is CounterSemantics.VOLATILE:
            if value <= self.spec.allowance(since_boot):
                self._rebase(
                    channel,
                    state,
                    DecisionKind.NEW_CYCLE,
                    anchor=0.0,
                    value=value,
                    now=now,
                    result=result,
                    reason="the device restarted and "
                    "its counter starts from 0 at boot: the new counter is counted "
                    "on top of the old one",
                )
                return True
            if value >= state.counter:
                if self._plausible(state, value, now):
                    return False  # it survived the restart: an ordinary reading
                # Neither energy since boot nor the old counter grown: a corrupt
                # first reading. The counter did start again from 0; the
                # reading goes through the jump rule against that 0.
                self._rebase(
                    channel,
                    state,
                    DecisionKind.NEW_CYCLE,
                    anchor=0.0,
                    value=0.0,
                    now=now - since_boot,
                    result=result,
                    reason="the device restarted and its counter starts from 0 at "
                    "boot; its first reading is implausible",
                )
                return False
            self._rebase(
                channel,
                state,
                DecisionKind.CONTINUATION,
                anchor=value,
                value=value,
                now=now,
                result=result,
                reason="the device restarted "
                "but its counter is more than it could have used since boot, so it "
                "survived the restart: the total carries on",
            )
            return True
        if value >= state.counter:
            return False
        if (
            semantics is CounterSemantics.UNKNOWN
            and value < RESET_SHARE * state.counter
        ):
            self._rebase(
                channel,
                state,
                DecisionKind.NEW_CYCLE,
                anchor=0.0,
                value=value,
                now=now,
                result=result,
                reason="the device restarted and its "
                "counter dropped by more than 10 %: a reset (the recorder's rule)",
            )
            return True
        self._rebase(
            channel,
            state,
            DecisionKind.CONTINUATION,
            anchor=value,
            value=value,
            now=now,
            result=result,
            reason="the device restarted and "
            "restored its counter a little lower: the total carries on from where "
            "it was",
        )
        return True

    def _higher(
        self,
        channel: int,
        state: _Channel,
        value: float,
        now: float,
        result: TotalizerUpdate,
    ) -> None:
        if self._plausible(state, value, now):
            if state.held is not None:  # back on track: the held one was a glitch
                self.stats["glitches"] += 1
            if value > state.counter:
                # The allowance counts from the last increase: a counter that a
                # cache repeats must not shrink the window of the next one.
                state.prev, state.prev_at = state.counter, state.at
                state.at = now
            state.counter, state.held = value, None
            return
        held = state.held
        if (
            held is not None
            and not held.low
            # On the held track: not below it by more than a minute at full
            # power (a persistent counter restored a little lower after a
            # restart stays on it), not above it by more than is plausible.
            and value >= held.latest - self.spec.allowance(0.0)
            and value - held.latest <= self.spec.allowance(now - held.latest_at)
        ):
            held.follow(max(value, held.latest), now)
            result.holding = True
            if (
                now - held.first_at >= CONFIRM_SECONDS
                and held.count >= CONFIRM_READINGS
            ):
                self._rebase(
                    channel,
                    state,
                    DecisionKind.NEW_TRACK,
                    anchor=held.latest - held.progress,
                    value=held.latest,
                    now=now,
                    result=result,
                    reason=f"the counter kept going from {held.first:g}: the total "
                    f"continues, the jump of {held.first - state.counter:g} not "
                    "counted",
                )
            return
        if (
            held is not None
            and not held.low
            and held.count >= 2
            and value > held.latest
        ):
            # Above an established held track: an outlier, ignored. (Below it,
            # the new reading replaces the hold: glitches go high.)
            return
        state.held = _Held(False, value, now, value, now)
        self.stats["rejected_jumps"] += 1
        result.decisions.append(
            Decision(
                DecisionKind.REJECTED_JUMP,
                channel,
                state.counter,
                value,
                state.offset + state.counter,
                f"more than {self.spec.max_power_w:g} W could deliver since the "
                "last reading: not counted",
            )
        )

    def _plausible(self, state: _Channel, value: float, now: float) -> bool:
        """Whether the device could have used ``value - counter`` since then."""
        allowance = self.spec.allowance
        if value - state.counter <= allowance(now - _or(state.at, now)):
            return True
        return (
            state.prev is not None
            and state.prev_at is not None
            and value - state.prev <= allowance(now - state.prev_at)
        )

    def _lower(
        self,
        channel: int,
        state: _Channel,
        value: float,
        now: float,
        result: TotalizerUpdate,
    ) -> None:
        held = state.held
        if held is None or not held.low:
            state.held = _Held(True, value, now, value, now)
            result.decisions.append(
                Decision(
                    DecisionKind.HELD_LOW,
                    channel,
                    state.counter,
                    value,
                    state.offset + state.counter,
                    "lower without a restart: held (a glitch unless it stays "
                    f"lower for {CONFIRM_SECONDS:g} s)",
                )
            )
            return
        if value < held.latest - self.spec.resolution or value - held.latest > (
            self.spec.allowance(now - held.latest_at)
        ):
            # Not one track: a dip or an impossible rise. Start the hold again
            # from this reading (one warning per episode is enough).
            state.held = _Held(True, value, now, value, now)
            result.holding = True
            return
        held.follow(max(value, held.latest), now)
        result.holding = True
        if now - held.first_at < CONFIRM_SECONDS or held.count < CONFIRM_READINGS:
            return
        semantics = self.spec.semantics
        if semantics is CounterSemantics.VOLATILE or (
            semantics is CounterSemantics.UNKNOWN
            and held.first < RESET_SHARE * state.counter
        ):
            self._rebase(
                channel,
                state,
                DecisionKind.NEW_CYCLE,
                anchor=0.0,
                value=held.latest,
                now=now,
                result=result,
                reason=f"the counter stayed lower for {CONFIRM_SECONDS:g} s: a reset",
            )
            return
        self._rebase(
            channel,
            state,
            DecisionKind.CONTINUATION,
            # What the counter went up by while held counts; its drops do not.
            # The track's top (not this reading, which may be a dip) is where
            # the counter stands.
            anchor=held.latest - held.progress,
            value=held.latest,
            now=now,
            result=result,
            reason=f"the counter stayed lower for {CONFIRM_SECONDS:g} s: the total carries "
            "on from where it was",
        )

    def _rebase(
        self,
        channel: int,
        state: _Channel,
        kind: DecisionKind,
        *,
        anchor: float,
        value: float,
        now: float,
        result: TotalizerUpdate,
        reason: str,
    ) -> None:
        """Move to ``value``; ``anchor`` meets the old counter in the total.

        ``anchor`` 0: a new cycle (the old counter is folded in, the new one counts
        in full); the first lower value: a continuation; the first value of a
        held jump: a new track (the jump is not counted).
        """
        old = state.counter
        state.offset += old - anchor
        state.counter, state.at, state.held = value, now, None
        self.stats[_STAT[kind]] += 1
        result.decisions.append(
            Decision(kind, channel, old, value, state.offset + value, reason)
        )

    # --- persistence --------------------------------------------------------------
    def as_dict(self) -> dict[str, Any]:
        """JSON-able state for the entry's store."""
        return {
            "uptime": self.uptime,
            "seen_at": self.seen_at,
            "boot": self.boot,
            "stats": dict(self.stats),
            "channels": {
                str(k): {
                    "offset": v.offset,
                    "counter": v.counter,
                    "at": v.at,
                    "held": None if v.held is None else v.held.as_dict(),
                    "prev": v.prev,
                    "prev_at": v.prev_at,
                }
                for k, v in self._channels.items()
            },
        }

    def diagnostics(self) -> dict[str, Any]:
        """What diagnostics show: the spec, the decisions counted, the channels."""
        return {
            "semantics": self.spec.semantics.value,
            "max_power_w": self.spec.max_power_w,
            **self.as_dict(),
        }


def _or(value: float | None, default: float) -> float:
    """``value`` unless it is ``None`` (0.0 is a time like any other)."""
    return default if value is None else value
