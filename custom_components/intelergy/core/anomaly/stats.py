"""The stream's running statistics: the learned baseline and the energy.

**The baseline: a robust (Huber-clipped) EWMA.** Every reading must cost O(1)
time and a stream's memory must stay bounded, for years. An exact running
median over a window needs the window (thousands of readings to span a few
hours) and O(log n) per reading; a fixed histogram needs a range and bin width
chosen up front for streams from 5 W to 10 kW; a P² quantile estimator is O(1)
but estimates the median of *everything* seen and never forgets, so it cannot
follow a device that ages or a season that changes. The baseline is instead
an exponentially weighted mean of the power while the device is on (readings
at or below ``idle_watts`` are ignored), each reading's pull clipped to
``huber_c`` times a scale, the scale being an EWMA of the absolute deviation
clipped the same way. A 2 kW reading on a 150 W baseline therefore pulls it
no more than a reading ``huber_c`` scales away would (a 3-minute kettle moves
it well under a watt), and only a level that persists is adopted: the scale
widens while the deviations last, so a real change of the load is followed
rather than alerted about forever (150 W stuck at 2 kW: the spike clears after
~18 hours of it with the default 6-hour half-life). The weights are
time-based: a reading weighs ``1 - 2^(-dt / learn_halflife_s)``, so a 1 s and
a 60 s meter learn at the same speed; while that weight is below ``1/n`` (for
the first ~1.4 half-lives of on-time) the n-th reading weighs ``1/n`` instead,
a clipped running mean that converges fast and without the bias of a cold
EWMA. It is seeded by the median
and median absolute deviation of the first ``warmup_readings`` "on" readings
(held only until then), so a compressor's inrush or a kettle among the very
first readings does not linger. State: a handful of numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import median
from typing import Final

from .model import DetectorConfig

SCALE_FLOOR_W: Final = 0.5  # the baseline's scale never drops below this ...
SCALE_FLOOR_RATIO: Final = 0.01  # ... nor below 1 % of the baseline


@dataclass(slots=True)
class Baseline:
    """The robust EWMA of "on" power and what the cold-start rule needs."""

    level: float = 0.0  # W
    scale: float = 0.0  # W, the clipped mean absolute deviation; 0: not seeded
    count: int = 0  # "on" readings learned
    first: float | None = None  # timestamp of the first one
    ready: bool = False  # the cold-start rule was met
    seed: list[float] = field(default_factory=list)  # the first readings

    def learn(
        self, now: float, power: float, weight: float, config: DetectorConfig
    ) -> None:
        """Take one "on" reading; ``weight``: its time-based EWMA weight."""
        self.count += 1
        if self.first is None:
            self.first = now
        if self.scale == 0:
            # Seeded by the median and median absolute deviation of the first
            # readings: an inrush or a kettle among them changes nothing.
            self.seed.append(power)
            if len(self.seed) >= config.warmup_readings:
                self.level = median(self.seed)
                spread = median(abs(value - self.level) for value in self.seed)
                self.scale = max(
                    spread, SCALE_FLOOR_W, SCALE_FLOOR_RATIO * abs(self.level)
                )
                self.seed = []
        else:
            alpha = max(1.0 / self.count, weight)
            limit = config.huber_c * self.scale
            residual = power - self.level
            self.level += alpha * min(max(residual, -limit), limit)
            self.scale += alpha * (min(abs(residual), limit) - self.scale)
            self.scale = max(
                self.scale, SCALE_FLOOR_W, SCALE_FLOOR_RATIO * abs(self.level)
            )
        if not self.ready and self.scale > 0 and now - self.first >= config.warmup_s:
            self.ready = True


@dataclass(slots=True)
class Energy:
    """The last power reading, and the energy integrated since the last reset.

    Each reading's power is held until the next one, over intervals up to
    ``max_gap_s``; a longer interval (a gap) counts nothing.
    """

    last: float | None = None  # the last power reading's timestamp
    value: float = 0.0  # its power (W)
    kwh: float = 0.0
    kwh_ahead: float = 0.0  # s after the last reading already integrated

    def take(
        self, now: float, power: float, max_gap_s: float
    ) -> tuple[float, bool] | None:
        """Take a power reading: ``(dt, gap)`` since the last one, or ``None``.

        ``None``: the reading is older than the last one (ignored). The first
        reading comes after a gap of ``max_gap_s``.
        """
        last = self.last
        if last is not None and now < last:
            return None
        dt = max_gap_s if last is None else now - last
        gap = last is None or dt > max_gap_s
        if not gap and dt > self.kwh_ahead:
            self.kwh += self.value * (dt - self.kwh_ahead) / 3_600_000
        self.last, self.value, self.kwh_ahead = now, power, 0.0
        return dt, gap

    def reset(self, until: float | None, max_gap_s: float) -> float:
        """Start again at 0 kWh; the energy so far (integrated up to ``until``)."""
        if until is not None:
            self._integrate_until(until, max_gap_s)
        kwh, self.kwh = self.kwh, 0.0
        return kwh

    def _integrate_until(self, timestamp: float, max_gap_s: float) -> None:
        """Count the last reading's power up to ``timestamp`` (within a gap)."""
        last = self.last
        if last is not None and self.kwh_ahead < timestamp - last <= max_gap_s:
            self.kwh += self.value * (timestamp - last - self.kwh_ahead) / 3_600_000
            self.kwh_ahead = timestamp - last
