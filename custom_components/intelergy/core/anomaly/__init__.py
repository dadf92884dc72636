"""Anomaly detectors for one power stream (no Home Assistant imports).

One ``Detector`` watches one stream (a plug, a circuit, a whole meter) and
reports six kinds of anomaly, each one an episode that starts and clears:

* ``spike``: power above ``k`` times the learned baseline *and* at least
  ``min_watts``, sustained for ``debounce_s`` (WattBuddy's seed: a 75 W
  baseline alerts above 150 W, so ``k`` = 2);
* ``long_run``: the device stays on longer than ``max_run_s``, or than
  ``run_factor`` times its typical run (the median of its last
  ``run_history`` completed runs), whichever is shorter;
* ``voltage``: voltage outside [``voltage_low``, ``voltage_high``];
* ``current``: current above ``current_max``;
* ``daily_energy``: a day's energy above ``daily_factor`` times the median of
  the previous (up to) ``daily_days`` days;
* ``unusual_time`` (off unless ``unusual_time``): on at an hour of the week
  when the device is seldom on (``hourofweek``).

It also learns the device's standby ("always on") power (``standby``).
Categories (``categories``) fill in the settings that suit a kind of device.

The modules: ``model`` (``DetectorConfig``, ``Anomaly``), ``readings`` (which
values count, a history of changes as a stream), ``stats`` (the baseline, why
a robust EWMA, and the integrated energy), ``rules`` (debounced conditions,
runs, daily totals), ``standby`` (the standby power), ``hourofweek`` (usual
hours, unusual use), ``categories``, ``state`` (all of that as JSON, and back), ``detector``
(``Detector``, ``replay``).

**Cold start.** No spike is reported until the baseline has learned from at
least ``warmup_readings`` "on" readings spanning at least ``warmup_s`` of wall
time (defaults 30 readings and one hour). The learned run length needs
``min_runs`` completed runs, the daily check ``daily_min_days`` finished days.

**Debounce and clearing.** A spike, voltage or current anomaly starts at the
reading where its condition has held continuously for ``debounce_s`` (spike)
or ``limit_debounce_s`` (voltage, current) and clears at the reading where it
has not held for ``clear_s``; ``started`` is when the condition began, so a
kettle that crosses the threshold at t starts an episode with ``started`` = t
reported at t + 30 s. A device is "off" (its run ends) once its power has
stayed at or below ``idle_watts`` for ``off_s``; shorter idle dips belong to
the run. A ``long_run`` starts at the reading where the run passes its limit
and clears when the run ends.

**Missing readings and gaps.** ``None`` (and NaN or infinite) values are
skipped, and so are absurd ones, beyond +-``MAX_READING`` (10^12 W, V or A: no
stream comes near; a broken sensor or a parsing error does): they alert nothing,
they are not "off", they do not clear anything and they do not interrupt a
debounce, which simply continues with the next real reading. A reading whose
timestamp is not finite is skipped as a whole. The bound is what keeps the state
finite: the integrated energy, the baseline and every peak are then at most a
few times 10^12 per reading and can grow for millennia without overflowing, so
``as_dict()`` is always strict JSON (Home Assistant's Store refuses NaN and
infinity). When two real readings are more than ``max_gap_s`` apart (a
dropout, Home Assistant restarting) nothing is assumed about the gap: a
pending debounce (to start or to clear) starts again from the reading after
the gap, while an active anomaly whose condition still holds stays active
(no cleared-then-restarted flapping); the run timer is paused, not reset (the
gap's time is not counted; on both sides of the gap it is the same run), but
a run with a gap while it was on is not used to learn the typical run length,
as its length is uncertain (idle before and after the gap, the run was already
over: an idle device still needs ``off_s`` of idle readings after the gap to
end its run); the gap's energy is not integrated. A source that reports only
changes (Home Assistant's states) must therefore be fed its last value again
at least every ``max_gap_s`` (a constant 2 kW heater sends no new state);
``replay()`` does that for recorder history with ``fill_s``.

**Daily energy.** ``end_of_day()`` takes the day's kWh from the caller (an
energy sensor is more accurate than sampled power) or, without one, what the
detector integrated from power since the last call (each reading's power held
until the next one, over intervals up to ``max_gap_s``; the interval across
the day's end is split at the ``end_of_day()`` timestamp). The day is compared
with the median of the previous days and then kept, anomalous or not (the
median shrugs off a few); only the last ``daily_days`` daily totals are kept.
"""

from .categories import CATEGORIES, Category, category_config, hint
from .detector import Detector, replay
from .model import KINDS, Anomaly, AnomalyKind, DetectorConfig
from .readings import MAX_READING, ReadingRow
from .state import STATE_VERSION
from .stats import SCALE_FLOOR_RATIO, SCALE_FLOOR_W

__all__ = [
    "CATEGORIES",
    "KINDS",
    "MAX_READING",
    "SCALE_FLOOR_RATIO",
    "SCALE_FLOOR_W",
    "STATE_VERSION",
    "Anomaly",
    "AnomalyKind",
    "Category",
    "Detector",
    "DetectorConfig",
    "ReadingRow",
    "category_config",
    "hint",
    "replay",
]
