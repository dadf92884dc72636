"""Numbers read from outside (a device's JSON, a stored state): finite floats only."""

from __future__ import annotations

import math


def finite_number(value: object) -> float | None:
    """A finite float, or ``None`` for absent / non-numeric / NaN / infinite values.

    A bool is not a number here, and an integer too large for a float (JSON
    integers have no size limit) is ``None``.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None
