"""Anomaly monitors built into meters: one per power sensor of a Shelly, ESP32 or PZEM.

A meter's monitors are part of the meter, not entries of their own: on by
default, switched and tuned in the meter's options (the ``anomaly_monitor``
section, ``meter_section()`` in flow.py), their problem and baseline entities on
the meter's device, their learned state in the entry's ``anomaly`` store part
(storage.py), removed with the entry. They are fed the meter's own readings as
its coordinator hands them to its entities (unavailable while the meter is),
and tick every 30 s like any monitor. Their events name the meter's entry,
device and power sensor, so device triggers and the blueprint work on them as
on a monitor entry's.

A power sensor that a monitor entry watches (one added before monitors were
built in, or by hand to watch it with the voltage of another sensor, say) is
that entry's: the meter runs none for it, so nothing alerts twice. A new entry
takes over from the meter's monitor (the meter reloads without it), and a
deleted one hands the sensor back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Final

from homeassistant.config_entries import (
    SOURCE_IGNORE,
    ConfigEntry,
    ConfigEntryState,
)
from homeassistant.const import Platform
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity
from homeassistant.util import dt as dt_util

from ...const import CONF_KIND, DOMAIN, KIND_ANOMALY
from ...storage import PART_ANOMALY, EntryStore
from .const import (
    CONF_CATEGORY,
    CONF_MONITOR,
    CONF_MONITOR_SECTION,
    CONF_POWER_ENTITY,
    METERED_KINDS,
    SAVE_DELAY,
)
from .entity import (
    BASELINE,
    PROBLEM,
    STANDBY_ENERGY,
    STANDBY_POWER,
    AnomalyProblem,
    sensors,
)
from .monitor import AnomalyMonitor, Values, detector_config

# How a meter tells its listeners about a new reading: its coordinator's
# ``async_add_listener``, which returns the listener's remover.
type Subscribe = Callable[[CALLBACK_TYPE], Callable[[], None]]
# The monitors' entities, by platform.
PLATFORM_DESCRIPTIONS: Final = (
    (Platform.BINARY_SENSOR, PROBLEM),
    (Platform.SENSOR, BASELINE),
    (Platform.SENSOR, STANDBY_POWER),
    (Platform.SENSOR, STANDBY_ENERGY),
)


def _no_energy() -> float | None:
    return None


@dataclass(frozen=True, slots=True)
class Stream:
    """One power stream of a meter to watch: a power sensor of its own.

    ``key``: the stream's place in the store (stable: a Shelly's outlet number);
    ``unique_id_prefix``: its entities' (``<prefix>_anomaly``,
    ``<prefix>_baseline``); ``power_unique_id``: the meter's power sensor the
    events name; ``values``: the present power, voltage and current (``None``
    for what the meter does not report, all ``None`` while it is unavailable);
    ``energy``: its energy counter (kWh) for the daily check; ``label``: names
    the entities on a device with several streams (a strip's outlet), as its
    own entities are: (translation variant, placeholder), ``("named", "Lamp")``
    or ``("outlet", "2")``.
    """

    key: str
    unique_id_prefix: str
    power_unique_id: str
    values: Callable[[], Values]
    energy: Callable[[], float | None] = _no_energy
    label: tuple[str, str] | None = None

    @classmethod
    def whole_meter(
        cls,
        unique_id: str | None,
        values: Callable[[], Values],
        energy: Callable[[], float | None],
    ) -> list[Stream]:
        """The one stream of a single-channel meter: its entry's ``<unique id>_power``."""
        prefix = str(unique_id)
        return [
            cls(
                key="power",
                unique_id_prefix=prefix,
                power_unique_id=f"{prefix}_power",
                values=values,
                energy=energy,
            )
        ]


class MeterMonitor(AnomalyMonitor):
    """A monitor of one of a meter's power streams, fed the meter's readings."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry_id: str,
        settings: Mapping[str, Any],
        *,
        stored: Mapping[str, Any] | None,
        save: Callable[[], None],
        stream: Stream,
        subscribe: Subscribe,
    ) -> None:
        """``stream`` of the meter ``entry_id``, thresholds from ``settings``."""
        super().__init__(
            hass,
            entry_id,
            detector_config(settings),
            stored,
            save,
            unique_id_prefix=stream.unique_id_prefix,
            label=stream.label,
            category=settings.get(CONF_CATEGORY),
        )
        self.stream = stream
        self._subscribe = subscribe

    @property
    def power_entity(self) -> str | None:
        """The meter's power sensor as it is called now (renames included)."""
        return er.async_get(self.hass).async_get_entity_id(
            Platform.SENSOR, DOMAIN, self.stream.power_unique_id
        )

    def values(self) -> Values:
        """The meter's present power, voltage and current."""
        return self.stream.values()

    def energy(self) -> float | None:
        """The meter's energy counter (kWh)."""
        return self.stream.energy()

    def _follow(self) -> list[CALLBACK_TYPE]:
        return [self._subscribe(self._updated)]

    @callback
    def _updated(self) -> None:
        self.feed(dt_util.utcnow().timestamp())


@dataclass(slots=True)
class MeterMonitors:
    """A meter's built-in monitors (none while switched off), their entities and store."""

    monitors: tuple[MeterMonitor, ...] = ()
    info: DeviceInfo | None = None
    store: EntryStore | None = field(default=None, repr=False)

    @property
    def anomaly_monitors(self) -> Sequence[AnomalyMonitor]:
        """The monitors."""
        return self.monitors

    def entities(self, platform: Platform) -> list[Entity]:
        """Per monitor a problem flag (binary sensor), its baseline and standby."""
        if platform is Platform.BINARY_SENSOR:
            return [AnomalyProblem(m, PROBLEM, None, self.info) for m in self.monitors]
        if platform is Platform.SENSOR:
            return [e for m in self.monitors for e in sensors(m, None, self.info)]
        return []

    def diagnostics(self) -> dict[str, Any]:
        """Each monitor's configuration, baseline and active anomalies, by stream."""
        return {m.stream.key: m.diagnostics() for m in self.monitors}

    async def async_stop(self) -> None:
        """Stop following the meter and save what was learned."""
        for monitor in self.monitors:
            monitor.async_stop()
        if self.store is not None:
            await self.store.async_save()


class MonitoredMeter:
    """Runtime data of a meter with built-in monitors (its ``monitors`` field)."""

    __slots__ = ()
    monitors: MeterMonitors

    @property
    def anomaly_monitors(self) -> Sequence[AnomalyMonitor]:
        """The meter's monitors, one per power stream (none while switched off)."""
        return self.monitors.anomaly_monitors


def meter_settings(options: Mapping[str, Any]) -> Mapping[str, Any]:
    """The ``anomaly_monitor`` section of a meter's options (empty: the defaults)."""
    settings = options.get(CONF_MONITOR_SECTION)
    return settings if isinstance(settings, Mapping) else {}


def monitoring(entry: ConfigEntry[Any]) -> bool:
    """Whether a meter entry runs its built-in monitors (on by default)."""
    return bool(meter_settings(entry.options).get(CONF_MONITOR, True))


async def async_setup_meter_monitors(
    hass: HomeAssistant,
    entry: ConfigEntry[Any],
    info: DeviceInfo,
    streams: Iterable[Stream],
    subscribe: Subscribe,
) -> MeterMonitors:
    """Start a monitor per stream of the meter ``entry`` (registered as ``info``).

    Switched off: none, and the entities of earlier ones leave the registry. A
    stream whose power sensor a monitor entry watches gets none either. The
    monitors stop and save with the entry's unload.
    """
    registry = er.async_get(hass)
    streams = list(streams)
    if not monitoring(entry):
        _forget(registry, streams)
        return MeterMonitors()
    watched = {
        other.data.get(CONF_POWER_ENTITY)
        for other in hass.config_entries.async_entries(DOMAIN)
        if other.data.get(CONF_KIND) == KIND_ANOMALY
    }
    kept: list[Stream] = []
    for stream in streams:
        power = registry.async_get_entity_id(
            Platform.SENSOR, DOMAIN, stream.power_unique_id
        )
        if power is not None and power in watched:
            _forget(registry, [stream])
            continue
        kept.append(stream)
        if power is not None:
            _drop_ignored_offer(hass, power)
    if not kept:
        return MeterMonitors()
    store = EntryStore(
        hass, entry.data[CONF_KIND], entry.entry_id, SAVE_DELAY, part=PART_ANOMALY
    )
    stored = await store.async_load() or {}
    saved = stored.get("monitors")
    saved = saved if isinstance(saved, Mapping) else {}
    settings = meter_settings(entry.options)
    monitors = tuple(
        MeterMonitor(
            hass,
            entry.entry_id,
            settings,
            stored=saved.get(stream.key),
            save=partial(store.schedule_save, lazy=True),  # learning (storage)
            stream=stream,
            subscribe=subscribe,
        )
        for stream in kept
    )
    store.bind(
        lambda: {"monitors": {m.stream.key: m.detector.as_dict() for m in monitors}}
    )
    device = next(
        iter(
            dr.async_get(hass).async_get_devices(
                identifiers=info["identifiers"], config_entry_id=entry.entry_id
            )
        ),
        None,
    )
    for monitor in monitors:
        monitor.device_id = None if device is None else device.id
        monitor.async_start()
    result = MeterMonitors(monitors, info, store)
    entry.async_on_unload(result.async_stop)
    return result


def _forget(registry: er.EntityRegistry, streams: Iterable[Stream]) -> None:
    """Remove the entities of monitors the meter no longer runs."""
    for stream in streams:
        for platform, description in PLATFORM_DESCRIPTIONS:
            unique_id = f"{stream.unique_id_prefix}_{description.key}"
            if entity_id := registry.async_get_entity_id(platform, DOMAIN, unique_id):
                registry.async_remove(entity_id)


def _drop_ignored_offer(hass: HomeAssistant, power: str) -> None:
    """Forget an ignored monitor offer for ``power`` (monitors were offered once).

    Earlier versions offered a monitor entry per power sensor (*Discovered*);
    one the user ignored would linger in the ignored list.
    """
    offer = hass.config_entries.async_entry_for_domain_unique_id(
        DOMAIN, f"{KIND_ANOMALY}:{power}"
    )
    if offer is not None and offer.source == SOURCE_IGNORE:
        hass.async_create_task(
            hass.config_entries.async_remove(offer.entry_id),
            f"intelergy forget ignored monitor offer {power}",
        )


def _meter_of(hass: HomeAssistant, entity_id: str) -> ConfigEntry[Any] | None:
    """The loaded meter entry running monitors whose power sensor ``entity_id`` is."""
    entity = er.async_get(hass).async_get(entity_id)
    if (
        entity is None
        or entity.platform != DOMAIN
        or entity.domain != Platform.SENSOR
        or not entity.unique_id.endswith("_power")
        or entity.config_entry_id is None
    ):
        return None
    meter = hass.config_entries.async_get_entry(entity.config_entry_id)
    if (
        meter is None
        or meter.data.get(CONF_KIND) not in METERED_KINDS
        or meter.state is not ConfigEntryState.LOADED
        or not monitoring(meter)
    ):
        return None
    return meter


@callback
def async_entry_takes_over(hass: HomeAssistant, entity_id: str) -> None:
    """A monitor entry watches ``entity_id``: a meter's own monitor of it gives way.

    The meter reloads without it (its entities leave; its learned state stays
    for when the entry is deleted).
    """
    meter = _meter_of(hass, entity_id)
    if meter is not None and any(
        m.power_entity == entity_id for m in meter.runtime_data.anomaly_monitors
    ):
        hass.config_entries.async_schedule_reload(meter.entry_id)


@callback
def async_entry_gave_up(hass: HomeAssistant, entity_id: str) -> None:
    """A monitor entry of ``entity_id`` was deleted: its meter watches it again."""
    if (meter := _meter_of(hass, entity_id)) is not None:
        hass.config_entries.async_schedule_reload(meter.entry_id)
