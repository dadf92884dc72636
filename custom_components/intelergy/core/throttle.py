"""The recorder write-throttling rule (no Home Assistant imports).

A meter publishing every 5 s writes 17,280 states a day per sensor. Most of them
say nothing new. The rule (WattBuddy's): write a reading when ``seconds`` have
passed since the last write, or when power moved by more than ``power_w`` or
energy by at least ``energy_kwh`` since the last write. Readings in between are
held; the caller writes the newest held one when ``seconds`` have passed, so the
last value always reaches the recorder and no energy is lost (energy is
cumulative: a skipped reading is only a skipped intermediate point).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class WriteThrottle:
    """Decides, reading by reading, whether to write."""

    seconds: float = 60.0
    power_w: float = 50.0
    energy_kwh: float = 0.001
    _time: float | None = None
    _power: float | None = None
    _energy: float | None = None

    def should_write(
        self, now: float, power: float | None, energy: float | None
    ) -> bool:
        """Whether the reading at ``now`` is written; a written one is remembered."""
        write = (
            self._time is None
            or now - self._time >= self.seconds
            or _moved(power, self._power, self.power_w, strict=True)
            or _moved(energy, self._energy, self.energy_kwh, strict=False)
        )
        if write:
            self.wrote(now, power, energy)
        return write

    def wrote(self, now: float, power: float | None, energy: float | None) -> None:
        """Remember a reading that was written (also for a flushed held one)."""
        self._time, self._power, self._energy = now, power, energy

    def due(self) -> float | None:
        """When a held reading must be written at the latest."""
        return None if self._time is None else self._time + self.seconds


def _moved(
    value: float | None, last: float | None, step: float, *, strict: bool
) -> bool:
    if value is None or last is None:
        return value is not last
    change = abs(value - last)
    return change > step if strict else change >= step - 1e-12
