"""ELNET configuration keys and defaults."""

from __future__ import annotations

from typing import Final

CONF_URL: Final = "url"
CONF_TOKEN: Final = "token"  # noqa: S105
CONF_SCAN_INTERVAL: Final = "scan_interval"
CONF_LOW_BALANCE_THRESHOLD: Final = "low_balance_threshold"

DEFAULT_SCAN_INTERVAL: Final = 30  # seconds
MIN_SCAN_INTERVAL: Final = 10
MAX_SCAN_INTERVAL: Final = 3600
DEFAULT_LOW_BALANCE_THRESHOLD: Final = 200.0  # in the account's currency
REQUEST_TIMEOUT: Final = 10.0  # seconds, per request
