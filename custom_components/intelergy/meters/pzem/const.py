"""Constants of PZEM-004T (Modbus) entries."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

CONF_TRANSPORT: Final = "transport"
CONF_HOST: Final = "host"
CONF_PORT: Final = "port"
CONF_SERIAL_PORT: Final = "serial_port"
CONF_BAUDRATE: Final = "baudrate"
CONF_SLAVE: Final = "slave"

# The seed meters publish every 10 s; a PZEM answers in ~100 ms at 9600 baud.
SCAN_INTERVAL: Final = timedelta(seconds=10)
REQUEST_TIMEOUT: Final = 3.0
ENERGY_CHANNEL: Final = 0

# The energy register (Wh) is kept in the meter's EEPROM: it survives power
# cuts and comes back where it was (persistent). The 100 A model at 260 V is the
# most a PZEM-004T v3 meters: more energy than that between two readings is a
# glitch, never consumption (core/counter.py).
MAX_POWER_W: Final = 26000.0
