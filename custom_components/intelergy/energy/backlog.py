"""Hourly statistics rows from readings a meter buffered offline (no HA imports).

A meter that could not publish for hours sends its buffered readings when it is
back. Home Assistant's recorder would put all that energy in the hour the meter
came back. Instead, each affected hour gets a long-term statistics row whose
``sum`` continues from the last row before the outage (the ``baseline``); the
recorder's own rows after the outage continue from that same baseline, so every
hour's difference of sums is the energy used in that hour.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

HOUR = 3600


@dataclass(frozen=True, slots=True)
class HourRow:
    """A long-term statistics row: the hour's start (epoch s), state and sum (kWh)."""

    start: float
    state: float
    sum: float


def hour_start(timestamp: float) -> float:
    """The start of the hour holding ``timestamp`` (epoch seconds, UTC hours)."""
    return timestamp - timestamp % HOUR


def hourly_rows(
    readings: Sequence[tuple[float, float]],
    baseline: tuple[float, float],
    now: float,
) -> list[HourRow]:
    """Rows for every hour from the first reading's to the last's.

    ``readings``: (timestamp, cumulative kWh), sorted by time. ``baseline``: the
    (state, sum) of the recorder's last 5-minute row before the first reading
    (for a meter with no statistics yet: its first reading and 0). The hour of
    ``now`` is left out: the recorder compiles it from live states. The state
    never goes down.
    """
    if not readings:
        return []
    state0, sum0 = baseline
    state = state0
    last_hour = min(hour_start(readings[-1][0]), hour_start(now) - HOUR)
    rows: list[HourRow] = []
    index = 0
    hour = hour_start(readings[0][0])
    while hour <= last_hour:
        while index < len(readings) and readings[index][0] < hour + HOUR:
            state = max(state, readings[index][1])
            index += 1
        rows.append(HourRow(hour, state, sum0 + state - state0))
        hour += HOUR
    return rows
