"""Which readings count, and a history of changes as a steady stream."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Final, TypeGuard

type ReadingRow = (
    tuple[float, float | None] | tuple[float, float | None, float | None, float | None]
)
type Reading = tuple[float, float | None, float | None, float | None]

MAX_READING: Final = 1e12  # W, V, A: a reading beyond +- this is skipped


def real(value: float | None) -> TypeGuard[float]:
    """A reading to take: a number within +-``MAX_READING`` (not None, NaN, inf)."""
    return value is not None and abs(value) <= MAX_READING


def filled(
    readings: Iterable[ReadingRow], fill_s: float | None, until: float | None
) -> Iterator[Reading]:
    """The readings as 4-tuples, each repeated every ``fill_s`` until the next."""
    held: Reading | None = None
    for row in readings:
        reading = (row[0], row[1], None, None) if len(row) == 2 else row
        if held is not None and fill_s:
            yield from _repeat(held, reading[0], fill_s, last=False)
        yield reading
        held = reading
    if held is not None and fill_s and until is not None:
        yield from _repeat(held, until, fill_s, last=True)


def _repeat(
    held: Reading, end: float, fill_s: float, *, last: bool
) -> Iterator[Reading]:
    """``held`` again every ``fill_s`` before ``end`` (up to it if ``last``)."""
    if held[1] is None and held[2] is None and held[3] is None:
        return
    step = 1
    while (now := held[0] + step * fill_s) < end or (last and now == end):
        yield (now, held[1], held[2], held[3])
        step += 1
