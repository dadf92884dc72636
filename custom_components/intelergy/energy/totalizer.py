"""A lifetime energy total per channel from counters that reset (no HA imports).

A Shelly's energy counter starts again from zero when the device reboots (power
cut, firmware update) and Gen2+ counters can be reset by hand; a meter that loses
its persisted counter starts again too. Home Assistant's
statistics treat a drop of more than 10 % on a ``total_increasing`` sensor as a
new meter cycle, and anything smaller as negative consumption followed by the
same energy counted again. Neither should reach the recorder, so the energy
sensors show ``offset + counter``: finished cycles are folded into ``offset`` and
the total never goes down.

The rule for a counter that reads lower than the last accepted value:

* the device's uptime went down too (it rebooted): a reset, at once;
* otherwise it is held (the total keeps its value, one warning), and only when
  the counter stays below the old value for ``CONFIRM_SECONDS`` is it accepted as
  a reset; a counter back at or above the old value was a glitch and is ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Final

CONFIRM_SECONDS: Final = 300.0


@dataclass(slots=True)
class _Channel:
    offset: float
    counter: float
    low_since: float | None = None  # when a lower counter was first seen


@dataclass(slots=True)
class TotalizerUpdate:
    """What one reading did: totals (in the counters' unit) and resets / holds."""

    totals: dict[int, float] = field(default_factory=dict)
    reset: list[int] = field(default_factory=list)
    held: list[int] = field(default_factory=list)  # newly held: warn once
    changed: bool = False  # persisted state changed


class EnergyTotalizer:
    """Folds counter resets into a per-channel offset so totals only ever grow."""

    def __init__(self, stored: Mapping[str, Any] | None = None) -> None:
        """Start empty or from ``as_dict()`` output."""
        self.uptime: int | None = None
        self._channels: dict[int, _Channel] = {}
        if not stored:
            return
        uptime = stored.get("uptime")
        self.uptime = uptime if isinstance(uptime, int) else None
        channels = stored.get("channels")
        for key, value in (channels if isinstance(channels, Mapping) else {}).items():
            try:
                # "offset_wh"/"counter_wh": the names of the first development builds.
                offset = float(value.get("offset", value.get("offset_wh")))
                counter = float(value.get("counter", value.get("counter_wh")))
                low_since = value.get("low_since")
                self._channels[int(key)] = _Channel(
                    offset,
                    counter,
                    float(low_since) if isinstance(low_since, int | float) else None,
                )
            except AttributeError, TypeError, ValueError:
                continue  # an unreadable channel starts again from its counter

    def total(self, channel: int) -> float | None:
        """The channel's lifetime total (``None`` before its first reading)."""
        state = self._channels.get(channel)
        return None if state is None else state.offset + state.counter

    def offset(self, channel: int) -> float:
        """What finished counter cycles add to the channel's counter."""
        state = self._channels.get(channel)
        return 0.0 if state is None else state.offset

    def fold(self, channel: int) -> None:
        """The counter was reset on purpose (a reset command): start a new cycle."""
        if (state := self._channels.get(channel)) is not None:
            state.offset += state.counter
            state.counter = 0.0
            state.low_since = None

    def update(
        self, now: float, uptime: int | None, counters: Mapping[int, float | None]
    ) -> TotalizerUpdate:
        """Take one status reading; ``now`` is a timestamp in seconds."""
        result = TotalizerUpdate()
        rebooted = (
            uptime is not None and self.uptime is not None and uptime < self.uptime
        )
        if uptime is not None and uptime != self.uptime:
            self.uptime = uptime
            result.changed = True
        for channel, counter in counters.items():
            if counter is not None and counter >= 0:
                self._take(channel, counter, now, rebooted=rebooted, result=result)
            if (total := self.total(channel)) is not None:
                result.totals[channel] = total
        return result

    def _take(
        self,
        channel: int,
        counter: float,
        now: float,
        *,
        rebooted: bool,
        result: TotalizerUpdate,
    ) -> None:
        state = self._channels.get(channel)
        if state is None:
            self._channels[channel] = _Channel(0.0, counter)
            result.changed = True
            return
        if counter >= state.counter:
            result.changed |= counter != state.counter or state.low_since is not None
            state.counter = counter
            state.low_since = None
            return
        if state.low_since is None and not rebooted:
            state.low_since = now
            result.held.append(channel)
            result.changed = True
            return
        if rebooted or now - (state.low_since or now) >= CONFIRM_SECONDS:
            state.offset += state.counter
            state.counter = counter
            state.low_since = None
            result.reset.append(channel)
            result.changed = True

    def as_dict(self) -> dict[str, Any]:
        """JSON-able state for the entry's store."""
        return {
            "uptime": self.uptime,
            "channels": {str(k): asdict(v) for k, v in self._channels.items()},
        }
