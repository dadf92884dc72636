"""The lifetime energy total: counter resets folded in, glitches held."""

from __future__ import annotations

from custom_components.intelergy.energy.totalizer import (
    CONFIRM_SECONDS,
    EnergyTotalizer,
)


def test_first_reading_is_the_device_counter() -> None:
    totalizer = EnergyTotalizer()
    assert totalizer.total(0) is None
    update = totalizer.update(0, 100, {0: 500.0, 1: None})
    assert update.totals == {0: 500.0}
    assert update.changed
    assert totalizer.total(0) == 500.0


def test_reboot_folds_the_old_counter_into_the_total() -> None:
    totalizer = EnergyTotalizer()
    totalizer.update(0, 1000, {0: 500.0})
    totalizer.update(10, 1010, {0: 510.0})
    # The device rebooted: uptime and counter start again.
    update = totalizer.update(20, 5, {0: 2.0})
    assert update.reset == [0]
    assert update.totals == {0: 512.0}
    update = totalizer.update(30, 15, {0: 4.0})
    assert update.totals == {0: 514.0}
    assert not update.reset


def test_small_drop_after_reboot_is_still_a_reset() -> None:
    # Recorder would call a 5 % drop "negative consumption"; the total never drops.
    totalizer = EnergyTotalizer()
    totalizer.update(0, 1000, {0: 10.0})
    update = totalizer.update(10, 3, {0: 9.5})
    assert update.totals == {0: 19.5}


def test_glitch_is_held_and_forgotten() -> None:
    totalizer = EnergyTotalizer()
    totalizer.update(0, 1000, {0: 500.0})
    update = totalizer.update(10, 1010, {0: 0.0})
    assert update.held == [0]
    assert update.totals == {0: 500.0}
    update = totalizer.update(20, 1020, {0: 0.0})
    assert update.held == []  # warned once per episode
    assert update.totals == {0: 500.0}
    update = totalizer.update(30, 1030, {0: 501.0})
    assert update.totals == {0: 501.0}
    assert not update.reset
    # A later drop is a new episode and warns again.
    assert totalizer.update(40, 1040, {0: 3.0}).held == [0]


def test_counter_reset_without_reboot_is_confirmed_after_a_while() -> None:
    totalizer = EnergyTotalizer()
    totalizer.update(0, 1000, {0: 500.0})
    totalizer.update(10, 1010, {0: 1.0})
    update = totalizer.update(10 + CONFIRM_SECONDS - 1, 1300, {0: 2.0})
    assert update.totals == {0: 500.0}
    update = totalizer.update(10 + CONFIRM_SECONDS, 1310, {0: 3.0})
    assert update.reset == [0]
    assert update.totals == {0: 503.0}


def test_missing_and_negative_counters_keep_the_total() -> None:
    totalizer = EnergyTotalizer()
    totalizer.update(0, None, {0: 5.0})
    update = totalizer.update(10, None, {0: None})
    assert update.totals == {0: 5.0}
    update = totalizer.update(20, None, {0: -1.0})
    assert update.totals == {0: 5.0}
    assert not update.changed


def test_state_survives_a_restart() -> None:
    totalizer = EnergyTotalizer()
    totalizer.update(0, 1000, {0: 500.0, 1: 20.0})
    totalizer.update(10, 5, {0: 1.0, 1: 0.5})
    restored = EnergyTotalizer(totalizer.as_dict())
    assert restored.total(0) == 501.0
    assert restored.total(1) == 20.5
    assert restored.uptime == 5
    # The device rebooted while Home Assistant was down.
    update = restored.update(1000, 2, {0: 0.25, 1: 0.0})
    assert update.totals == {0: 501.25, 1: 20.5}
    assert EnergyTotalizer(None).as_dict() == {"uptime": None, "channels": {}}
