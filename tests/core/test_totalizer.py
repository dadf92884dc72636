"""The counter model: each rule of core/counter.py, and the reported cases."""

from __future__ import annotations

import json

import pytest

from custom_components.intelergy.core.counter import (
    CONFIRM_SECONDS,
    CounterSemantics,
    CounterSpec,
    DecisionKind,
    EnergyTotalizer,
)

VOLATILE_WH = CounterSpec(CounterSemantics.VOLATILE, 3680.0)
PERSISTENT_KWH = CounterSpec(CounterSemantics.PERSISTENT, 25000.0, wh_per_unit=1000.0)
PERSISTENT_WH = CounterSpec(CounterSemantics.PERSISTENT, 26000.0, resolution=1.0)
UNKNOWN_KWH = CounterSpec(CounterSemantics.UNKNOWN, 25000.0, wh_per_unit=1000.0)


def kinds(totalizer: EnergyTotalizer, *args: object, **kwargs: object) -> list[str]:
    update = totalizer.update(*args, **kwargs)  # type: ignore[arg-type]
    return [d.kind.value for d in update.decisions]


def test_first_reading_is_the_device_counter() -> None:
    totalizer = EnergyTotalizer(VOLATILE_WH)
    assert totalizer.total(0) is None
    update = totalizer.update(0, 100, {0: 500.0, 1: None})
    assert update.totals == {0: 500.0}
    assert update.changed
    assert totalizer.total(0) == 500.0


def test_volatile_reboot_between_polls_starts_a_new_cycle() -> None:
    totalizer = EnergyTotalizer(VOLATILE_WH)
    totalizer.update(0, 1000, {0: 500.0})
    totalizer.update(10, 1010, {0: 510.0})
    update = totalizer.update(20, 5, {0: 2.0})  # uptime and counter start again
    assert update.restarted
    assert update.reset == [0]
    assert update.totals == {0: 512.0}
    assert totalizer.update(30, 15, {0: 4.0}).totals == {0: 514.0}
    assert totalizer.stats["new_cycles"] == 1
    assert totalizer.stats["restarts"] == 1


def test_reboot_that_climbed_above_the_old_counter_while_unreachable() -> None:
    """The reported case: update(0,100,{0:0}); (10,110,{0:1}); (20,0,{0:1}) -> 2."""
    totalizer = EnergyTotalizer(VOLATILE_WH)
    totalizer.update(0, 100, {0: 0.0})
    totalizer.update(10, 110, {0: 1.0})
    assert totalizer.update(20, 0, {0: 1.0}).totals == {0: 2.0}  # was 1


def test_reboot_while_ha_was_stopped_is_seen_from_the_time_since() -> None:
    """A plug at 25.5 kWh, HA stopped for 2 days, the plug up for 1 day on 0.3 kWh."""
    totalizer = EnergyTotalizer(VOLATILE_WH)
    totalizer.update(0, 10 * 86400, {0: 25_500.0})
    restored = EnergyTotalizer(VOLATILE_WH, json.loads(json.dumps(totalizer.as_dict())))
    # Its new uptime (1 day) is larger than nothing, smaller than the 2 days since.
    update = restored.update(2 * 86400, 86400, {0: 300.0})
    assert update.restarted
    assert update.totals == {0: 25_800.0}  # was 25_500 for ever, then 300 short


def test_no_restart_while_the_uptime_keeps_pace_with_the_wall_clock() -> None:
    totalizer = EnergyTotalizer(VOLATILE_WH)
    totalizer.update(0, 1000, {0: 10.0})
    # Polls late, HA restarted, a status repeated from a cache: never a restart.
    assert not totalizer.update(600, 1590, {0: 11.0}).restarted
    assert not totalizer.update(700, 1590, {0: 11.0}).restarted
    assert not totalizer.update(86400 * 3, 1000 + 86400 * 3 - 60, {0: 12.0}).restarted
    # HA's own clock stepped forward by an hour: the device's uptime is still
    # longer than the time since it was seen, so it did not boot since then.
    assert not totalizer.update(86400 * 3 + 3700, 1000 + 86400 * 3, {0: 12.0}).restarted
    assert totalizer.total(0) == 12.0


def test_boot_counter_is_unambiguous() -> None:
    totalizer = EnergyTotalizer(PERSISTENT_KWH)
    totalizer.update(0, None, {0: 12.345}, boot=7)
    assert not totalizer.update(10, None, {0: 12.346}, boot=7).restarted
    update = totalizer.update(20, None, {0: 12.340}, boot=8)
    assert update.restarted
    assert [d.kind for d in update.decisions] == [DecisionKind.CONTINUATION]
    assert update.totals == {0: 12.346}
    assert totalizer.boot == 8


def test_persistent_restore_lower_is_a_continuation_not_a_doubling() -> None:
    """The reported case: 12.345 kWh, then 12.340 after a reboot (uptime 0)."""
    totalizer = EnergyTotalizer(PERSISTENT_KWH)
    totalizer.update(0, 5000, {0: 12.345})
    update = totalizer.update(10, 0, {0: 12.340})
    assert update.totals[0] == pytest.approx(12.345)  # was 24.685
    assert totalizer.update(20, 10, {0: 12.350}).totals[0] == pytest.approx(12.355)
    assert totalizer.stats["continuations"] == 1


def test_persistent_restore_higher_counts_what_was_used_meanwhile() -> None:
    totalizer = EnergyTotalizer(PERSISTENT_KWH)
    totalizer.update(0, 5000, {0: 12.345})
    assert totalizer.update(600, 3, {0: 12.5}).totals[0] == pytest.approx(12.5)


def test_persistent_drop_without_evidence_is_confirmed_as_a_continuation() -> None:
    """No uptime (PZEM, old meters): a small drop that stays is not a doubling."""
    totalizer = EnergyTotalizer(PERSISTENT_KWH)
    totalizer.update(0, None, {0: 12.345})
    assert kinds(totalizer, 10, None, {0: 12.340}) == ["held_low"]
    assert totalizer.update(10 + CONFIRM_SECONDS - 1, None, {0: 12.342}).totals == {
        0: 12.345
    }
    update = totalizer.update(10 + CONFIRM_SECONDS, None, {0: 12.343})
    assert [d.kind for d in update.decisions] == [DecisionKind.CONTINUATION]
    # Carried on from where it was: what the register went up by after its
    # second lower reading counts (the first interval may start on a glitch).
    assert update.totals[0] == pytest.approx(12.346)  # was 24.688


def test_volatile_drop_without_evidence_is_confirmed_as_a_reset() -> None:
    totalizer = EnergyTotalizer(VOLATILE_WH)
    totalizer.update(0, None, {0: 500.0})
    totalizer.update(10, None, {0: 1.0})
    assert totalizer.update(10 + CONFIRM_SECONDS - 1, None, {0: 2.0}).totals == {
        0: 500.0
    }
    update = totalizer.update(10 + CONFIRM_SECONDS, None, {0: 3.0})
    assert update.reset == [0]
    assert update.totals == {0: 503.0}


@pytest.mark.parametrize(
    ("low", "expected"),
    [(0.5, DecisionKind.NEW_CYCLE), (9.5, DecisionKind.CONTINUATION)],
)
def test_unknown_semantics_follow_the_recorders_rule(
    low: float, expected: DecisionKind
) -> None:
    totalizer = EnergyTotalizer(UNKNOWN_KWH)
    totalizer.update(0, 1000, {0: 10.0})
    update = totalizer.update(10, 2, {0: low})
    assert [d.kind for d in update.decisions] == [expected]
    expected_total = 10.0 + low if expected is DecisionKind.NEW_CYCLE else 10.0
    assert update.totals[0] == pytest.approx(expected_total)


def test_low_glitch_is_held_and_forgotten() -> None:
    totalizer = EnergyTotalizer(VOLATILE_WH)
    totalizer.update(0, 1000, {0: 500.0})
    update = totalizer.update(10, 1010, {0: 0.0})
    assert update.held == [0]
    assert update.totals == {0: 500.0}
    update = totalizer.update(20, 1020, {0: 0.0})
    assert update.held == []  # one decision per episode
    assert update.totals == {0: 500.0}
    update = totalizer.update(30, 1030, {0: 501.0})
    assert update.totals == {0: 501.0}
    assert not update.reset
    assert totalizer.stats["glitches"] == 1
    assert totalizer.update(40, 1040, {0: 3.0}).held == [0]  # a new episode


def test_corrupt_high_reading_is_never_counted() -> None:
    """The reported case: 500 -> 1e9 -> 501 Wh gave 1,000,000,502 Wh after 300 s."""
    totalizer = EnergyTotalizer(VOLATILE_WH)
    totalizer.update(0, 1000, {0: 500.0})
    update = totalizer.update(10, 1010, {0: 1e9})
    assert update.held == [0]
    assert [d.kind for d in update.decisions] == [DecisionKind.REJECTED_JUMP]
    assert update.totals == {0: 500.0}
    assert totalizer.update(20, 1020, {0: 501.0}).totals == {0: 501.0}
    for t in range(30, 30 + int(CONFIRM_SECONDS) + 60, 10):
        totalizer.update(t, 1000 + t, {0: 501.0})
    assert totalizer.total(0) == 501.0  # was 1,000,000,502
    assert totalizer.stats["rejected_jumps"] == 1


def test_counter_that_keeps_going_from_a_jump_is_a_new_track() -> None:
    totalizer = EnergyTotalizer(PERSISTENT_KWH)
    totalizer.update(0, None, {0: 10.0})
    assert kinds(totalizer, 10, None, {0: 5000.0}) == ["rejected_jump"]
    totalizer.update(100, None, {0: 5000.1})
    totalizer.update(200, None, {0: 5000.2})
    assert totalizer.total(0) == 10.0  # held: not counted yet
    update = totalizer.update(10 + CONFIRM_SECONDS, None, {0: 5000.3})
    assert [d.kind for d in update.decisions] == [DecisionKind.NEW_TRACK]
    # The jump is not consumption; what came after its second reading is.
    assert update.totals[0] == pytest.approx(10.2)
    assert totalizer.update(400, None, {0: 5000.5}).totals[0] == pytest.approx(10.4)


def test_plausible_increases_are_counted_however_large() -> None:
    totalizer = EnergyTotalizer(VOLATILE_WH)
    totalizer.update(0, 1000, {0: 0.0})
    # 3.68 kW for an hour, read once: plausible.
    assert totalizer.update(3600, 4600, {0: 3680.0}).totals == {0: 3680.0}
    # Two days of HA down: everything the plug could have used counts.
    assert totalizer.update(3600 + 2 * 86400, 4600 + 2 * 86400, {0: 90_000.0}).totals


def test_volatile_counter_that_survived_a_restart_is_carried_on() -> None:
    """A Gen2+ firmware that kept its counter: more than it could use since boot."""
    totalizer = EnergyTotalizer(VOLATILE_WH)
    totalizer.update(0, 86400, {0: 25_500.0})
    update = totalizer.update(10, 3, {0: 25_490.0})
    assert [d.kind for d in update.decisions] == [DecisionKind.CONTINUATION]
    assert update.totals == {0: 25_500.0}  # not 50,990


def test_missing_negative_and_non_finite_counters_keep_the_total() -> None:
    totalizer = EnergyTotalizer(VOLATILE_WH)
    totalizer.update(0, None, {0: 5.0})
    for bad in (None, -1.0, float("nan"), float("inf")):
        update = totalizer.update(20, None, {0: bad})
        assert update.totals == {0: 5.0}
    assert not totalizer.update(30, float("nan"), {0: 5.0}).restarted


def test_fold_starts_a_new_cycle_on_purpose() -> None:
    totalizer = EnergyTotalizer(PERSISTENT_WH)
    totalizer.update(0, None, {0: 12_345.0})
    totalizer.fold(0)
    assert totalizer.total(0) == 12_345.0
    assert totalizer.update(10, None, {0: 1.0}).totals == {0: 12_346.0}


def test_state_survives_a_restart_and_old_layouts_load() -> None:
    totalizer = EnergyTotalizer(VOLATILE_WH)
    totalizer.update(0, 1000, {0: 500.0, 1: 20.0})
    totalizer.update(10, 5, {0: 1.0, 1: 0.5})
    stored = json.loads(json.dumps(totalizer.as_dict()))
    restored = EnergyTotalizer(VOLATILE_WH, stored)
    assert restored.total(0) == 501.0
    assert restored.total(1) == 20.5
    assert restored.uptime == 5
    assert restored.stats == totalizer.stats
    update = restored.update(1000, 2, {0: 0.25, 1: 0.0})  # rebooted while HA was down
    assert update.totals == {0: 501.25, 1: 20.5}
    # The layout of the landed version: offset/counter/low_since, no seen_at.
    old = {
        "uptime": 7,
        "channels": {"0": {"offset": 1.0, "counter": 2.0, "low_since": None}},
    }
    legacy = EnergyTotalizer(VOLATILE_WH, old)
    assert legacy.total(0) == 3.0
    assert legacy.update(10, 8, {0: 2.5}).totals == {0: 3.5}
    broken = {"uptime": "x", "boot": True, "channels": {"0": {"offset": "a"}, "z": 1}}
    assert EnergyTotalizer(VOLATILE_WH, broken).as_dict()["channels"] == {}


def test_decisions_describe_themselves_with_the_numbers() -> None:
    totalizer = EnergyTotalizer(PERSISTENT_KWH)
    totalizer.update(0, 100, {0: 12.345})
    (decision,) = totalizer.update(10, 0, {0: 12.34}).decisions
    line = decision.describe("kWh")
    assert "continuation" in line
    assert "12.345 -> 12.34 kWh" in line
    assert "carries on" in line
    diagnostics = totalizer.diagnostics()
    assert diagnostics["semantics"] == "persistent"
    assert diagnostics["stats"]["continuations"] == 1


def test_integers_too_large_for_a_float_are_no_reading() -> None:
    totalizer = EnergyTotalizer(VOLATILE_WH)
    totalizer.update(0, 100, {0: 5.0})
    update = totalizer.update(10, 10**400, {0: 10**400})
    assert update.totals == {0: 5.0}
    assert not update.restarted
    stored = {"uptime": 10**400, "channels": {"0": {"offset": 10**400, "counter": 1}}}
    assert EnergyTotalizer(VOLATILE_WH, stored).as_dict()["channels"] == {}


def test_a_dip_that_confirms_a_hold_does_not_become_the_counter() -> None:
    """Found by a generated life: the confirming reading was a glitch to 0."""
    elnet = CounterSpec(
        CounterSemantics.PERSISTENT, 50000.0, wh_per_unit=1000.0, resolution=0.01
    )
    totalizer = EnergyTotalizer(elnet)
    totalizer.update(0, None, {0: 1.0014})
    totalizer.update(5, None, {0: 0.0014})  # restored lower: held
    totalizer.update(305, None, {0: 0.0014})
    update = totalizer.update(305, None, {0: 0.0})  # a glitch confirms the hold
    assert [d.kind for d in update.decisions] == [DecisionKind.CONTINUATION]
    assert totalizer.counter(0) == pytest.approx(0.0014)
    assert totalizer.update(605, None, {0: 0.1014}).totals[0] == pytest.approx(1.1014)


def test_a_floor_catches_a_crashed_store_up_only_with_a_newer_plausible_total() -> None:
    """``floor``: the recorder's last total, newer than the store, caught up with.

    The store saw 100 Wh at t=1000; the plug (3680 W) was shown at 160 Wh at
    t=1060 before a power cut. Older totals, totals below the store's and
    totals the plug could not have reached (another life of the entity id) are
    not taken; a channel never read is not made up.
    """
    saved = EnergyTotalizer(VOLATILE_WH)
    saved.update(1000.0, 5000.0, {0: 100.0})
    stored = json.loads(json.dumps(saved.as_dict()))

    def loaded() -> EnergyTotalizer:
        return EnergyTotalizer(VOLATILE_WH, stored)

    assert not loaded().floor(0, 160.0, 999.0)  # before the saved reading
    assert not loaded().floor(0, 90.0, 1060.0)  # below it
    assert not loaded().floor(0, 100.0, 1060.0)  # the same
    # 3680 W for 1.5 x 60 s + 60 s is 153.3 Wh at most.
    assert not loaded().floor(0, 100.0 + 154.0, 1060.0)
    assert not loaded().floor(1, 160.0, 1060.0)  # never read
    assert not loaded().floor(0, float("nan"), 1060.0)

    caught_up = loaded()
    assert caught_up.floor(0, 160.0, 1060.0)
    assert caught_up.total(0) == 160.0
    # The plug was cut off with Home Assistant: it boots from 0 and used 5 Wh.
    update = caught_up.update(1200.0, 100.0, {0: 5.0})
    assert [d.kind for d in update.decisions] == [DecisionKind.NEW_CYCLE]
    assert update.totals[0] == 165.0
    # Without the floor the 60 Wh after the store's save would be gone.
    assert loaded().update(1200.0, 100.0, {0: 5.0}).totals[0] == 105.0


def test_a_floor_is_plausible_as_a_reading_is_from_the_point_before() -> None:
    """Found by a generated life: the floor weighs a rise as a reading does.

    0 Wh, then two days later a reading of 48 Wh (plausible over the two days)
    is saved; 5 s later 96 Wh is shown (plausible from the 0 two days before,
    as the reading itself was taken) and not saved. The floor takes the 96.
    """
    saved = EnergyTotalizer(VOLATILE_WH)
    saved.update(1000.0, 5000.0, {0: 0.0})
    saved.update(1000.0 + 172800, 5000.0 + 172800, {0: 48.0})
    stored = json.loads(json.dumps(saved.as_dict()))
    assert saved.update(1005.0 + 172800, 5005.0 + 172800, {0: 96.0}).totals[0] == 96.0
    caught_up = EnergyTotalizer(VOLATILE_WH, stored)
    assert caught_up.floor(0, 96.0, 1005.0 + 172800)
    assert caught_up.total(0) == 96.0


def test_after_a_floor_a_boot_before_it_is_no_restart() -> None:
    """Found by a generated life: the floor's time is when the plug was seen.

    A young plug (5 s up) is saved at 0 Wh; it reboots right after a reading at
    t=65 and HA, within the uptime tolerance, counts on (0.0833 Wh by t=365,
    not saved). After a crash the floor takes the 0.0833 Wh; the next reading
    (uptime 630 at t=695) is the same boot: no restart, 8.5 Wh in all, not the
    0.0833 Wh twice.
    """
    live = EnergyTotalizer(VOLATILE_WH)
    live.update(5.0, 5.0, {0: 0.0})
    stored = json.loads(json.dumps(live.as_dict()))
    live.update(65.0, 65.0, {0: 0.0})
    assert not live.update(365.0, 300.0, {0: 1 / 12}).restarted
    caught_up = EnergyTotalizer(VOLATILE_WH, stored)
    assert caught_up.floor(0, 1 / 12, 365.0)
    update = caught_up.update(695.0, 630.0, {0: 8.5})
    assert not update.restarted
    assert update.totals[0] == pytest.approx(8.5)
    # A boot after the floor's time (a power cut) is a restart.
    cut = EnergyTotalizer(VOLATILE_WH, stored)
    assert cut.floor(0, 1 / 12, 365.0)
    update = cut.update(695.0, 200.0, {0: 0.5})
    assert update.restarted
    assert update.totals[0] == pytest.approx(1 / 12 + 0.5)
