"""The retry back-off every polled source uses (no Home Assistant imports)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class Backoff:
    """Seconds until the next attempt: ``first``, doubling to ``cap``; 0 after a success."""

    first: float = 5.0
    cap: float = 300.0
    seconds: float = 0.0

    def failed(self) -> float:
        """One more failure: the (longer) wait before the next attempt."""
        self.seconds = min(max(self.seconds * 2, self.first), self.cap)
        return self.seconds

    def succeeded(self) -> None:
        """Back to polling at the normal interval."""
        self.seconds = 0.0
