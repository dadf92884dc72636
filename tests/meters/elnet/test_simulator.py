"""The simulators' own behaviour that the tests and scripts/develop rely on."""

from __future__ import annotations

from pathlib import Path

from simulators.elnet import GENERATOR, ElnetSimulator


def test_elnet_meter_integrates_load_into_the_right_register() -> None:
    sim = ElnetSimulator()
    eb, dg, balance = sim.live["EB"], sim.live["DG"], sim.live["Balance"]
    sim.advance(3600, load_kw=1.0)
    assert sim.live["EB"] == round(eb + 1, 4)
    assert sim.live["Balance"] == round(balance - sim.grid_rate, 2)
    sim.set_supply(GENERATOR)
    sim.advance(1800, load_kw=2.0)
    assert sim.live["DG"] == round(dg + 1, 4)
    assert sim.home["EBDGStatus"] == GENERATOR


def test_elnet_day_rollover_resets_today_counters() -> None:
    sim = ElnetSimulator()
    sim.advance(9 * 3600)  # 15:56 → past midnight
    assert sim.home["kWhRecToday"] == 0.0
    assert sim.home["CurrentDay_EB"] == 0.0
    assert sim.payload("GetLiveUpdates")["Data"]["UpdatedOn"].startswith("26-07-2025")


def test_elnet_state_carries_over(tmp_path: Path) -> None:
    sim = ElnetSimulator()
    sim.advance(3600, load_kw=5.0)
    sim.save(tmp_path / "state.json")
    again = ElnetSimulator()
    again.load(tmp_path / "state.json")
    assert again.live["EB"] == sim.live["EB"]
    (tmp_path / "broken.json").write_text("{")
    fresh = ElnetSimulator()
    fresh.load(tmp_path / "broken.json")
    assert fresh.live["EB"] == 48808.72
