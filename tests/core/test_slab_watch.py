"""Slab forecast: the crossing day and the watch's events, once each."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
import json

from hypothesis import given, settings, strategies as st

from custom_components.intelergy.core.prediction import (
    SlabEvent,
    SlabWatch,
    slab_crossing,
)
from custom_components.intelergy.core.tariff import Slab, SlabPosition, Tariff

D = Decimal
SEED = Tariff(
    "INR",
    slabs=(Slab(D(100), D("3.50")), Slab(D(300), D("4.50")), Slab(None, D("6.00"))),
)
MARCH = date(2026, 3, 1)
APRIL = date(2026, 4, 1)


def days(*kwh: int) -> list[tuple[date, Decimal]]:
    return [(MARCH + timedelta(days=n), D(value)) for n, value in enumerate(kwh)]


def test_slab_crossing_is_the_first_day_at_the_limit() -> None:
    position = SEED.slab_position(D(60))
    assert slab_crossing(position, days(70, 90, 100, 130)) == date(2026, 3, 3)
    assert slab_crossing(position, days(70, 99)) is None  # not this cycle
    assert slab_crossing(position, []) is None
    assert slab_crossing(SEED.slab_position(D(400)), days(1000)) is None  # open
    cheaper = SlabPosition(0, D(0), D(100), D(5), D(40), None, D(2))
    assert slab_crossing(cheaper, days(200)) is None
    last = SlabPosition(0, D(0), D(100), D(5), D(40))
    assert slab_crossing(last, days(200)) is None


def test_watch_events_once_per_cycle_and_slab() -> None:
    watch = SlabWatch()
    assert watch.update(MARCH, 0, None) == []
    assert watch.update(MARCH, 0, date(2026, 3, 20)) == [
        SlabEvent("forecast", MARCH, 1, date(2026, 3, 20))
    ]
    assert watch.update(MARCH, 0, date(2026, 3, 22)) == []  # once
    assert watch.update(MARCH, 1, None) == [SlabEvent("entered", MARCH, 1)]
    assert watch.update(MARCH, 0, date(2026, 3, 25)) == []  # a correction
    assert watch.update(MARCH, 1, None) == []
    assert watch.update(MARCH, 3, date(2026, 3, 30)) == [
        SlabEvent("entered", MARCH, 3),
        SlabEvent("forecast", MARCH, 4, date(2026, 3, 30)),
    ]
    assert watch.update(APRIL, 2, None) == []  # a new cycle: where it stands
    assert watch.update(APRIL, 3, None) == [SlabEvent("entered", APRIL, 3)]
    assert watch.update(APRIL, 4, None, dearer=False) == []
    assert watch.update(APRIL, 4, None) == []
    assert watch.update(MARCH, 5, date(2026, 3, 30)) == []  # a past cycle
    assert watch.cycle_start == APRIL
    assert SlabEvent("forecast", MARCH, 1, date(2026, 3, 20)).as_dict() == {
        "kind": "forecast",
        "cycle_start": "2026-03-01",
        "slab": 1,
        "date": "2026-03-20",
    }
    assert SlabEvent("entered", MARCH, 1).as_dict()["date"] is None


def test_watch_state_is_json() -> None:
    watch = SlabWatch()
    watch.update(MARCH, 1, date(2026, 3, 9))
    watch.update(MARCH, 2, None)
    data = json.loads(json.dumps(watch.as_dict()))
    assert data == {
        "cycle_start": "2026-03-01",
        "highest": 2,
        "forecast": [2],
        "entered": [2],
    }
    restored = SlabWatch.from_dict(data)
    assert restored == watch
    assert restored.update(MARCH, 1, date(2026, 3, 9)) == []
    assert SlabWatch.from_dict(SlabWatch().as_dict()) == SlabWatch()
    for bad in (
        None,
        {},
        {**data, "cycle_start": "March"},
        {**data, "highest": -1},
        {**data, "entered": ["1"]},
        {**data, "forecast": 3},
    ):
        assert SlabWatch.from_dict(bad) == SlabWatch()


UPDATES = st.lists(
    st.tuples(
        st.sampled_from([MARCH, APRIL]),
        st.integers(0, 5),
        st.none() | st.dates(date(2026, 3, 1), date(2026, 4, 30)),
        st.booleans(),
        st.booleans(),
    ),
    max_size=40,
)


@settings(max_examples=300, deadline=None, database=None)
@given(updates=UPDATES)
def test_never_two_entered_nor_an_event_for_a_cheaper_slab(
    updates: list[tuple[date, int, date | None, bool, bool]],
) -> None:
    watch = SlabWatch()
    seen: set[tuple[str, date, int]] = set()
    cycle: date | None = None
    highest = 0
    for start, index, forecast, dearer, reload in updates:
        if reload:
            watch = SlabWatch.from_dict(json.loads(json.dumps(watch.as_dict())))
        if cycle is not None and start < cycle:
            assert watch.update(start, index, forecast, dearer=dearer) == []
            continue
        if start != cycle:
            cycle, highest = start, index
        before = highest
        events = watch.update(start, index, forecast, dearer=dearer)
        highest = max(highest, index)
        for event in events:
            key = (event.kind, event.cycle_start, event.slab)
            assert key not in seen, key  # once per cycle and slab
            seen.add(key)
            assert event.cycle_start == start
            assert event.slab > before  # never a slab already passed
            if event.kind == "entered":
                assert event.slab == index
                assert dearer
            else:
                assert event.slab == index + 1
                assert event.date == forecast
        if index > before and dearer:
            assert ("entered", start, index) in seen
