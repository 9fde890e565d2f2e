"""Bounds on TCP connections that have not become WebSockets (yet): by time and by count.

Why: a client that opens a socket and never finishes its HTTP request (a half-open
connection, a slowloris) holds a file descriptor and a task for as long as the server
waits.  Without a bound, ~1,000 of them exhaust the descriptors and the server can no
longer accept anybody.  So every request head (and REST body) must arrive within
``handshake_timeout``, and at most ``max_pending_handshakes`` connections may wait at
once: one more evicts the one that has waited longest (a real client sends its
request at once, so it is never the oldest for long).  Both outcomes are counted in
:attr:`Admission.counts` (``FakeLiveServer.http_refusals``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import trio

__all__ = ["Admission"]


class Admission:
    """Deadlines and a bounded waiting room for requests still being read."""

    def __init__(self, *, timeout: float, limit: int, changed: Callable[[], None]) -> None:
        self._timeout = timeout
        self._changed = changed
        self._limit = limit
        self._ids = itertools.count()
        self._waiting: dict[int, trio.CancelScope] = {}
        self._evicted: set[int] = set()
        #: Connections ended by this class, by reason (and HTTP refusals, see _http).
        self.counts: dict[str, int] = {
            "handshake_timeout": 0,
            "handshake_evicted": 0,
            "headers_too_large": 0,
            "body_too_large": 0,
            "bad_request": 0,
        }

    @property
    def waiting(self) -> int:
        """Connections currently waiting for their request."""
        return len(self._waiting)

    def count(self, reason: str) -> None:
        """Count a refusal (a key of :attr:`counts`); waiters see it."""
        self.counts[reason] += 1
        self._changed()

    @contextmanager
    def reading(self) -> Iterator[trio.CancelScope]:
        """Read one request inside this block; it is cancelled on timeout or eviction.

        The caller checks ``scope.cancelled_caught`` after the block and closes the
        connection when it is set (the reason is already counted).
        """
        key = next(self._ids)
        scope = trio.CancelScope(deadline=trio.current_time() + self._timeout)  # inf: none
        self._waiting[key] = scope
        if len(self._waiting) > self._limit:
            oldest = next(iter(self._waiting))
            self._evicted.add(oldest)
            self._waiting.pop(oldest).cancel()
        try:
            with scope:
                yield scope
        finally:
            self._waiting.pop(key, None)
            if scope.cancelled_caught:
                if key in self._evicted:
                    self.count("handshake_evicted")
                else:
                    self.count("handshake_timeout")
            self._evicted.discard(key)
