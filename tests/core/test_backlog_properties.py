"""Backlog import is idempotent under any order, duplication and chunking."""

from __future__ import annotations

import itertools
import json

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.intelergy.core.backlog import BacklogLedger, Episode

T0 = 1795428000.0  # 2026-11-23T10:00:00Z
BASELINE = (T0 + 300, 10.0, 100.0)


def allowance(seconds: float) -> float:
    return 25.0 * (max(seconds, 0.0) * 1.5 + 60) / 3600


@st.composite
def backlogs(draw: st.DrawFn) -> list[tuple[float, float]]:
    """A meter's buffer: readings every few seconds over hours, cumulative kWh."""
    step = draw(st.sampled_from([5.0, 10.0, 60.0, 600.0]))
    count = draw(st.integers(1, 400))
    start = T0 + 300 + draw(st.floats(0, 7200))
    powers = draw(st.lists(st.floats(0, 20000), min_size=1, max_size=8))
    total, before, readings = 10.0, BASELINE[0], []
    for n in range(count):
        taken = start + n * step
        total += powers[n % len(powers)] * (taken - before) / 3_600_000
        readings.append((taken, total))
        before = taken
    return readings


@st.composite
def deliveries(draw: st.DrawFn) -> tuple[list[tuple[float, float]], list[list]]:
    """The readings, cut in chunks, some sent twice, in any order."""
    readings = draw(backlogs())
    cuts = sorted(draw(st.lists(st.integers(0, len(readings)), max_size=6)))
    bounds = [0, *cuts, len(readings)]
    chunks = [readings[a:b] for a, b in itertools.pairwise(bounds) if b > a]
    repeats = draw(st.lists(st.sampled_from(chunks), max_size=3))
    order = draw(st.permutations(chunks + repeats))
    return readings, list(order)


@settings(max_examples=1500, deadline=None)
@given(deliveries(), st.booleans())
def test_rows_do_not_depend_on_how_the_backlog_arrives(
    case: tuple[list[tuple[float, float]], list[list]], restart: bool
) -> None:
    readings, chunks = case
    now = readings[-1][0] + 7200
    whole = Episode(BASELINE)
    whole.add(readings, allowance)
    ledger = BacklogLedger()
    for n, chunk in enumerate(chunks):
        ledger.episode("1", BASELINE).add(chunk, allowance)
        if restart and n == 0:  # HA restarts between two chunks
            ledger = BacklogLedger(json.loads(json.dumps(ledger.as_dict())))
    rows = ledger.episodes["1"].rows(now)
    expected = whole.rows(now)
    assert [(r.start, round(r.sum, 9)) for r in rows] == [
        (r.start, round(r.sum, 9)) for r in expected
    ]
    # No hour is negative, and the hours add up to the energy of the outage.
    sums = [BASELINE[2]] + [r.sum for r in rows]
    assert all(b >= a - 1e-12 for a, b in itertools.pairwise(sums))
    assert sums[-1] - BASELINE[2] == pytest.approx(
        readings[-1][1] - BASELINE[1], abs=1e-9
    )
