"""A detector's learned and running state, and that state as JSON.

**Persistence.** ``as_dict()`` is the whole learned and running state as JSON
(baseline, debounces, the run, the last runs and days, active anomalies):
``Detector(config, state)`` carries on exactly where it stopped, so a restart
neither relearns nor re-alerts. The configuration is not part of the state. A
stored number that is not finite makes its part unreadable (that part starts
again), like any other wrong value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, fields
from typing import Any, Final

from ..numbers import finite_number
from .hourofweek import Week
from .model import KINDS, Anomaly, AnomalyKind, DetectorConfig
from .rules import Days, Episodes, Hold, Run, Runs
from .standby import Standby
from .stats import Baseline, Energy

STATE_VERSION: Final = 1


class State:
    """Everything a detector has learned and is running, not its configuration."""

    __slots__ = (
        "baseline",
        "current",
        "days",
        "energy",
        "episodes",
        "runs",
        "spike",
        "standby",
        "unusual",
        "voltage",
        "week",
    )

    def __init__(
        self, config: DetectorConfig, data: Mapping[str, Any] | None = None
    ) -> None:
        """A fresh state, or one carrying on from ``as_dict()`` output.

        An unreadable part of ``data`` starts again on its own; data of
        another version is ignored.
        """
        self.baseline = Baseline()
        self.energy = Energy()
        self.spike = Hold()
        self.voltage = Hold()
        self.current = Hold()
        self.runs = Runs(config)
        self.days = Days(config)
        self.episodes = Episodes()
        self.standby = Standby()
        self.unusual = Hold()
        # The hour-of-week profile: only while the check is on.
        self.week: Week | None = Week() if config.unusual_time else None
        if data and data.get("version") == STATE_VERSION:
            self._load(data, config)

    def holds(self) -> tuple[tuple[AnomalyKind, Hold], ...]:
        """The debounced conditions by the kind they report."""
        return (
            ("spike", self.spike),
            ("voltage", self.voltage),
            ("current", self.current),
            ("unusual_time", self.unusual),
        )

    def as_dict(self) -> dict[str, Any]:
        """The whole state as JSON-able data."""
        run = self.runs.current
        return {
            "version": STATE_VERSION,
            "baseline": asdict(self.baseline),
            "power": asdict(self.energy),
            "spike": asdict(self.spike),
            "voltage": asdict(self.voltage),
            "current": asdict(self.current),
            "run": None if run is None else asdict(run),
            "runs": list(self.runs.lengths),
            "days": [[day, total] for day, total in self.days.totals],
            "active": {kind: asdict(a) for kind, a in self.episodes.active.items()},
            "standby": asdict(self.standby),
            "unusual": asdict(self.unusual),
            "week": None if self.week is None else self.week.as_dict(),
        }

    def _load(self, data: Mapping[str, Any], config: DetectorConfig) -> None:
        # Parts an older build did not store ("standby", "unusual", "week")
        # start afresh like unreadable ones.
        baseline = _parse(Baseline, data.get("baseline"))
        if baseline is not None:
            self.baseline = baseline
        power = data.get("power")
        if isinstance(power, Mapping) and {"last", "value", "kwh"} <= power.keys():
            self.energy = _parse(Energy, power) or Energy()
        self.spike = _parse(Hold, data.get("spike")) or Hold()
        self.voltage = _parse(Hold, data.get("voltage")) or Hold()
        self.current = _parse(Hold, data.get("current")) or Hold()
        self.standby = _parse(Standby, data.get("standby")) or Standby()
        del self.standby.lows[: -config.standby_hours]  # a longer list: the last
        if self.week is not None:
            self.unusual = _parse(Hold, data.get("unusual")) or Hold()
            self.week = Week.parse(data.get("week"), config) or Week()
        runs = self.runs
        runs.current = _parse(Run, data.get("run"))
        try:
            runs.lengths.extend(_num(length) for length in data["runs"])
        except KeyError, TypeError, ValueError:
            runs.lengths.clear()
        runs.relearn()
        totals = self.days.totals
        try:
            totals.extend((str(day), _num(total)) for day, total in data["days"])
        except KeyError, TypeError, ValueError:
            totals.clear()
        active = self.episodes.active
        stored = data.get("active")
        for kind, item in (stored if isinstance(stored, Mapping) else {}).items():
            anomaly = _parse(Anomaly, item)
            if kind in KINDS and anomaly is not None and anomaly.kind == kind:
                active[kind] = anomaly
        # An active anomaly whose episode the state lost cannot clear: drop it.
        for kind, hold in self.holds():
            if not hold.active:
                active.pop(kind, None)
            elif kind not in active:
                hold.active = False  # nothing to clear: the episode starts again
                hold.since = hold.clear_since = None
        if runs.current is None:
            active.pop("long_run", None)


def _num(value: object) -> float:
    """A stored finite number; anything else is a ``TypeError``."""
    if (number := finite_number(value)) is None:
        raise TypeError(value)
    return number


def _field(annotation: str, value: object) -> Any:  # checked, of the field's type
    """A stored field checked against its annotation; ``TypeError`` if wrong."""
    if annotation == "bool":
        if not isinstance(value, bool):
            raise TypeError(value)
        return value
    if annotation == "int":  # a count
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise TypeError(value)
        return value
    if annotation == "list[float]":
        if not isinstance(value, list):
            raise TypeError(value)
        return [_num(item) for item in value]
    if annotation == "AnomalyKind":
        if value not in KINDS:
            raise TypeError(value)
        return value
    if value is None and annotation.endswith("| None"):
        return None
    return _num(value)


def _parse[T: (Baseline, Energy, Hold, Run, Anomaly, Standby)](
    cls: type[T], data: object
) -> T | None:
    """A state dataclass from its ``asdict()`` form; ``None`` if unreadable.

    A missing field takes its default (``as_dict()`` of an older build).
    """
    if not isinstance(data, Mapping):
        return None
    try:
        return cls(
            **{
                item.name: _field(str(item.type), data[item.name])
                for item in fields(cls)
                if item.name in data
            }
        )
    except TypeError:
        return None
