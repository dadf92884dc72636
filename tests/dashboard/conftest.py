"""Fixtures of the dashboard tests: the simulators other kinds' tests start.

The PZEM-004T (drawing 75 W) and the ESP32 meters' MQTT link are those of
tests/analytics/anomaly and tests/meters/esp32, imported rather than copied;
the Shelly and ELNET simulators and the broker come from tests/conftest.py.
"""

from __future__ import annotations

from tests.analytics.anomaly.conftest import pzem
from tests.meters.esp32.conftest import link

__all__ = ["link", "pzem"]
