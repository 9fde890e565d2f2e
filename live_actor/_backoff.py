"""Restart pacing: exponential backoff with full jitter, and restart intensity.

Written by hand rather than taken from a retry library (tenacity, backoff):
those wrap a *call* in a retry loop, while the supervisor needs two small pure
values it drives itself — the next delay, reset when a connection stayed
ready for a while, and a sliding window of restart times — both fed by the
event loop's clock and an injectable random source so tests are exact.
"""

from __future__ import annotations

import collections
import random as _random
from collections.abc import Callable

import attrs

__all__ = ["Backoff", "RestartIntensity"]


@attrs.define
class Backoff:
    """Full-jitter exponential backoff: ``uniform(0, min(cap, base * 2**attempt))``.

    See "Exponential Backoff And Jitter" (AWS architecture blog): full jitter
    spreads many clients restarting after one outage.
    """

    base: float = 0.5
    cap: float = 15.0
    random: Callable[[], float] = _random.random
    attempt: int = 0

    def next_delay(self) -> float:
        ceiling: float = min(self.cap, self.base * (2.0**self.attempt))
        self.attempt += 1
        return float(self.random()) * ceiling

    def reset(self) -> None:
        self.attempt = 0


@attrs.define
class RestartIntensity:
    """OTP's restart intensity: more than ``max_restarts`` in ``period`` seconds -> give up."""

    max_restarts: int = 5
    period: float = 60.0
    _times: collections.deque[float] = attrs.field(factory=collections.deque, init=False)

    def charge(self, now: float) -> bool:
        """Record a restart at ``now``; ``False`` means the budget is exhausted."""
        while self._times and now - self._times[0] > self.period:
            self._times.popleft()
        self._times.append(now)
        return len(self._times) <= self.max_restarts

    @property
    def recent(self) -> int:
        return len(self._times)
