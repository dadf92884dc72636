"""A model of a metering device's life, to prove energy is counted exactly once.

A ``Device`` is the physics: the true energy used, the device's own counter (which
a reboot resets when it is volatile, or restores a little lower when it is
persistent), its uptime and boot counter, glitches on the wire. A life is a list
of ``Event``s (hypothesis generates them: ``lives()``). ``Life`` keeps, next to
the device, the **loss budget**: the energy the device itself made unknowable
(used between the last reading anyone saw and a reboot that reset the counter, or
the part of a persistent counter its restore lost, or the reading interval across
which a corrupt counter jumped). A correct integration counts, between two
readings, no more than the true energy and no less than the true energy minus the
budget; its total never goes down.

The model drives the pure counter model here (tests/core/test_device_life.py)
and the real integration with its simulators (the end-to-end lives).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Final, Literal

from hypothesis import strategies as st

EventKind = Literal[
    "run",  # use `power` W for `seconds`, then one reading reaches HA (if it can)
    "reboot",  # the device restarts (its restore loses `loss_wh` when persistent)
    "offline",  # the device is unreachable for the next `seconds`
    "ha_restart",  # Home Assistant stops for `seconds` (the device goes on)
    "glitch_high",  # one reading on the wire is corrupt: far too high
    "glitch_low",  # one reading on the wire is corrupt: lower than the counter
    "jump",  # the counter is corrupted upwards by `jump_wh` and carries on from there
]


@dataclass(frozen=True, slots=True)
class Event:
    """One thing that happens in a device's life."""

    kind: EventKind
    seconds: float = 0.0
    power: float = 0.0  # W
    loss_wh: float = 0.0  # persistent restore: how much lower
    factor: float = 0.0  # glitch_low: the share of the counter shown
    jump_wh: float = 0.0


@dataclass(slots=True)
class Reading:
    """What reaches Home Assistant: wall time, uptime, boot, counter (Wh)."""

    time: float
    uptime: float
    boot: int
    counter_wh: float
    glitch: bool = False


@dataclass(slots=True)
class Device:
    """The physics of one metering device with one channel."""

    persistent: bool
    time: float = 1_790_000_000.0
    true_wh: float = 0.0
    counter_wh: float = 0.0
    uptime: float = 5000.0
    boot: int = 1

    def run(self, seconds: float, power: float) -> None:
        """Use ``power`` W for ``seconds``: the counter counts it all."""
        used = power * seconds / 3600
        self.true_wh += used
        self.counter_wh += used
        self.uptime += seconds
        self.time += seconds

    def reboot(self, loss_wh: float) -> float:
        """Restart; returns what the counter lost."""
        before = self.counter_wh
        self.counter_wh = max(0.0, before - loss_wh) if self.persistent else 0.0
        self.uptime = 0.0
        self.boot += 1
        return before - self.counter_wh

    def reading(self) -> Reading:
        """The device's reading now."""
        return Reading(self.time, self.uptime, self.boot, self.counter_wh)


@dataclass(slots=True)
class Life:
    """A device, what HA can see of it, and the loss budget of its life."""

    device: Device
    budget_wh: float = 0.0
    seen_true_wh: float | None = None  # true energy at the last good reading seen
    first_true_wh: float | None = None
    seen_at: float = -1e18  # when the last good reading was seen
    heard_at: float = -1e18  # when the last reading of any kind was (its uptime counts)
    drop_pending: int = 0
    offline_until: float = 0.0
    jump_pending: int = 0  # good readings whose interval the jump makes unknown
    readings: list[Reading] = field(default_factory=list)

    def deliverable(self) -> bool:
        """Whether a reading taken now reaches HA."""
        return self.device.time >= self.offline_until

    def seen(self, reading: Reading) -> None:
        """A good reading reached HA: the budget's marker moves."""
        if self.jump_pending:
            # The interval across the jump, and the first one on its new track,
            # are not counted (core/counter.py: a new track).
            self.budget_wh += self.device.true_wh - (self.seen_true_wh or 0.0)
            self.jump_pending -= 1
        if self.drop_pending:
            # A persistent counter lower without restart evidence: the first
            # interval of the held track is not counted.
            self.drop_pending -= 1
            if self.drop_pending == 0:
                self.budget_wh += self.device.true_wh - (self.seen_true_wh or 0.0)
        self.seen_true_wh = self.device.true_wh
        self.seen_at = self.heard_at = self.device.time
        if self.first_true_wh is None:
            self.first_true_wh = self.device.true_wh
        self.readings.append(reading)

    def reboot(self, loss_wh: float) -> None:
        """The device restarts; the budget takes what becomes unknowable."""
        since_seen = self.device.time - self.heard_at
        old_counter = self.device.counter_wh
        lost = self.device.reboot(loss_wh)
        if self.seen_true_wh is None:
            return
        unseen = self.device.true_wh - self.seen_true_wh
        if self.device.persistent:
            self.budget_wh += lost  # a restore lower than the counter; no more
            self.drop_pending = 2
        else:
            self.budget_wh += unseen
            # After the marker moves, the next reboot's unseen starts here.
            self.seen_true_wh = self.device.true_wh
            if since_seen < 700:
                # A reboot right after a reading, by a device booted not long
                # before it, cannot be told by uptime (the new uptime is as long
                # as the time since, within the tolerance): that counter may be
                # lost (core/counter.py, restart evidence).
                self.budget_wh += old_counter


def lives(
    *,
    persistent: bool,
    max_power_w: float,
    min_events: int = 5,
    max_events: int = 40,
    jumps: bool = True,
    glitches: bool = True,
    restarts: bool = True,
    weighted: bool = False,
) -> st.SearchStrategy[list[Event]]:
    """Hypothesis lives: mostly running, with the misfortunes real devices meet.

    ``weighted``: draw kinds by their weights (12 runs to 1 or 2 of each
    misfortune). Without it every kind is about as likely: ``st.one_of`` drops
    repeated strategies, so the repetitions below do not weigh.
    """
    run = st.builds(
        Event,
        kind=st.just("run"),
        seconds=st.sampled_from([5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0]),
        power=st.one_of(
            st.just(0.0),
            st.floats(0.0, max_power_w * 0.95, allow_nan=False),
        ),
    )
    reboot = st.builds(
        Event,
        kind=st.just("reboot"),
        loss_wh=st.floats(0.0, 10.0) if persistent else st.just(0.0),
    )
    offline = st.builds(
        Event,
        kind=st.just("offline"),
        seconds=st.sampled_from([60.0, 600.0, 3600.0, 86400.0, 3 * 86400.0]),
    )
    ha_restart = st.builds(
        Event,
        kind=st.just("ha_restart"),
        seconds=st.sampled_from([30.0, 600.0, 3600.0, 2 * 86400.0]),
        power=st.floats(0.0, max_power_w * 0.5, allow_nan=False),
    )
    glitch_high = st.builds(Event, kind=st.just("glitch_high"))
    glitch_low = st.builds(
        Event, kind=st.just("glitch_low"), factor=st.floats(0.0, 0.999)
    )
    # A corruption larger than any rating could deliver over a whole life (40
    # events of at most 3 days at 50 kW: 1.4e8 Wh), within a PZEM's 32-bit
    # register: after a long idle gap a smaller one is plausible consumption.
    jump = st.builds(
        Event, kind=st.just("jump"), jump_wh=st.floats(1e9, 4e9, allow_nan=False)
    )
    choices: list[tuple[int, st.SearchStrategy[Event]]] = [(12, run)]
    if restarts:
        choices += [(2, reboot), (1, offline), (1, ha_restart)]
    if glitches:
        choices += [(1, glitch_high), (1, glitch_low)]
    if jumps and persistent:
        choices.append((1, jump))
    repeated = [s for w, s in choices for _ in range(w)]
    event = (
        st.sampled_from(repeated).flatmap(lambda kind: kind)
        if weighted
        else st.one_of(*repeated)
    )
    return st.lists(event, min_size=min_events, max_size=max_events)


Deliver = Callable[[Reading], None]

StepKind = Literal["start", "run", "reboot", "offline", "ha_restart", "glitch", "jump"]
SETTLE: Final = Event("run", seconds=300.0, power=100.0)


@dataclass(slots=True)
class Step:
    """What a driver does for one event, with the reading that may reach HA.

    ``play()`` yields one per event that changes anything (and a ``start`` step
    first, and the settling runs last); the device's physics and the loss budget
    are already applied, and the model takes what the driver reports when the
    driver asks for the next step.

    * ``start``: the integration is set up; ``reading`` is the device now.
    * ``run``: the device used ``event.power`` W for ``event.seconds``; ``reading``
      must reach the integration (``None``: the device is unreachable).
    * ``reboot``: the device restarted (``event.loss_wh``: what a persistent
      counter's restore loses); ``reading`` is the device just after, if it is
      reachable.
    * ``offline``: the device is unreachable from now until a ``run`` whose
      ``reading`` is not ``None``.
    * ``ha_restart``: Home Assistant stopped while the device ran ``event.seconds``
      at ``event.power``; ``reading`` is the device when HA is back, if reachable.
    * ``glitch``: ``reading`` is one corrupt reading on the wire (``glitch`` set).
    * ``jump``: the device's counter was corrupted upwards by ``event.jump_wh``.

    ``delivered``: a driver whose integration read ``reading`` at a ``start``,
    ``reboot`` or ``ha_restart`` step sets it, and the model counts that reading
    as seen (a ``run``'s reading is always seen; a glitch never is).
    """

    kind: StepKind
    event: Event
    reading: Reading | None = None
    delivered: bool = False


def play(life: Life, events: list[Event]) -> Iterator[Step]:
    """The steps of ``events`` for a driver (``live()`` is the synchronous one).

    The physics and the budget are those ``live()`` always had; a driver that
    reports no ``delivered`` reading gets exactly ``live()``'s life.
    """
    device = life.device

    def reading_if_deliverable() -> Reading | None:
        return device.reading() if life.deliverable() else None

    def take(step: Step) -> None:
        if step.delivered and step.reading is not None:
            life.seen(step.reading)

    start = Step("start", Event("run"), reading_if_deliverable())
    yield start
    take(start)
    last_jump_at = -1.0
    last_glitch_at = -1.0
    for event in events:
        if event.kind == "run":
            device.run(event.seconds, event.power)
            reading = reading_if_deliverable()
            yield Step("run", event, reading)
            if reading is not None:
                life.seen(reading)
        elif event.kind == "reboot":
            life.reboot(event.loss_wh)
            step = Step("reboot", event, reading_if_deliverable())
            yield step
            take(step)
        elif event.kind == "offline":
            life.offline_until = device.time + event.seconds
            yield Step("offline", event)
        elif event.kind == "ha_restart":
            device.run(event.seconds, event.power)  # the device goes on meanwhile
            step = Step("ha_restart", event, reading_if_deliverable())
            yield step
            take(step)
        elif event.kind in ("glitch_high", "glitch_low"):
            # A corrupt counter that jumped is not also glitched low: after a long
            # gap any value below it is plausible, and no rule can tell.
            # Nor is it the first reading: the first is the reference, and a
            # corrupt reference cannot be told from a good one. Nor the first
            # reading after a restart (a persistent counter carries on from that
            # one), nor twice without a good reading between (three equal low
            # readings over five minutes are a reset by any rule).
            if (
                life.deliverable()
                and life.readings
                and last_jump_at < 0
                and life.readings[-1].boot == device.boot
                and life.readings[-1].time > last_glitch_at
            ):
                last_glitch_at = device.time
                reading = device.reading()
                reading.glitch = True
                reading.counter_wh = (
                    reading.counter_wh * 1000 + 1e12
                    if event.kind == "glitch_high"
                    else reading.counter_wh * event.factor
                )
                yield Step("glitch", event, reading)
                life.heard_at = device.time  # its uptime is real all the same
        elif event.kind == "jump" and last_jump_at < 0:
            # One corruption per life: a second within the first one's five
            # minutes of confirmation is not told apart (README).
            device.counter_wh += event.jump_wh
            life.jump_pending = 2
            last_jump_at = device.time
            yield Step("jump", event)
    # Settle: a quiet quarter of an hour, read every 5 minutes, confirms what is held.
    life.offline_until = 0.0
    for _ in range(4):
        device.run(SETTLE.seconds, SETTLE.power)
        reading = device.reading()
        yield Step("run", SETTLE, reading)
        life.seen(reading)


def live(
    life: Life,
    events: list[Event],
    *,
    deliver: Deliver,
    restart_ha: Callable[[], None],
) -> None:
    """Play ``events``; ``deliver`` hands a reading to the integration under test."""
    for step in play(life, events):
        if step.kind in ("run", "glitch") and step.reading is not None:
            deliver(step.reading)
        elif step.kind == "ha_restart":
            restart_ha()
