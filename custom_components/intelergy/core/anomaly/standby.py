"""The standby ("always on") power: what the device draws when it is idle.

**The rule.** The lowest power of each clock hour (UTC hours: a whole hour's
minimum does not care about the zone) is kept for the last ``standby_hours``
(24) hours that had a reading; the standby power is their lower quartile (the
6th lowest of 24, nearest rank). A device idle, or off at its standby draw,
for at least a quarter of the day's hours therefore shows that draw however
its idle power is spread over the day; one never idle (a router, a server)
shows its lowest steady power: what switching it off at the wall would save.
A single low glitch costs one hour's minimum, not the result; a quartile
rather than the lowest hour keeps one outage (0 W while the plug was switched
off) from making a fridge's standby 0. Negative power counts as 0.

**Cold start.** Unknown until ``standby_min_hours`` (6) hours are in.
**Memory.** ``standby_hours`` numbers and the hour being watched; O(1) per
reading (the quartile is taken when asked for, over 24 numbers).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

HOUR: Final = 3600.0


@dataclass(slots=True)
class Standby:
    """The lowest power of the hour being watched and of the last hours."""

    hour: float | None = None  # the start of the hour being watched (epoch s)
    low: float = 0.0  # its lowest power so far (W)
    lows: list[float] = field(default_factory=list)  # the last hours', oldest first

    def take(self, now: float, power: float, keep: int) -> None:
        """Take a power reading (in time order); ``keep``: hours kept."""
        power = max(power, 0.0)
        hour = now - now % HOUR
        if hour == self.hour:
            self.low = min(self.low, power)
            return
        if self.hour is not None:
            if hour < self.hour:
                return  # out of order
            self.lows.append(self.low)
            if len(self.lows) > keep:
                del self.lows[: len(self.lows) - keep]
        self.hour, self.low = hour, power

    def watts(self, needed: int) -> float | None:
        """The lower quartile of the hours' lowest power; ``None`` before ``needed``."""
        if len(self.lows) < needed:
            return None
        return sorted(self.lows)[len(self.lows) // 4]
