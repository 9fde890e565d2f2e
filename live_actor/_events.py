"""What a session tells its user: lifecycle events and the event buffer.

Server messages are delivered as :class:`~live_actor.ServerMessage`; the
supervisor's own news (a reconnect, a resume, giving up, a goAway) as the small
frozen classes here.  ``SessionHandle.events()`` yields server messages, and
lifecycle events too when asked (``events(lifecycle=True)``).
"""

from __future__ import annotations

import collections
import datetime
import math

import anyio
import attrs

from ._protocol._messages import ServerMessage

__all__ = ["Event", "EventBuffer", "GaveUp", "GoingAway", "Reconnecting", "Resumed"]


@attrs.frozen
class Reconnecting:
    """The connection ended; a new one is dialled after ``delay`` seconds."""

    attempt: int
    delay: float
    cause: str


@attrs.frozen
class Resumed:
    """A new connection is ready.

    ``state_restored`` is ``False`` when the server could not resume (no handle,
    or the handle was rejected/expired) and a fresh session was started.
    ``replayed``/``dropped`` count the ledger's outcomes of this reconnect.
    """

    state_restored: bool
    replayed: int
    dropped: int


@attrs.frozen
class GoingAway:
    """The server announced the end of this connection (``goAway``)."""

    time_left: datetime.timedelta
    handle: str | None = attrs.field(repr=False)


@attrs.frozen
class GaveUp:
    """The supervisor stopped restarting the session."""

    reason: str


Event = ServerMessage | Reconnecting | Resumed | GoingAway | GaveUp


class EventBuffer:
    """A single-consumer queue of events that never blocks the producer.

    The producer is the connection's reader, which must keep draining the
    socket, so ``put`` never waits.  The buffer is bounded (``max_size``); on
    overflow the oldest event is dropped and counted — documented policy:
    read ``events()`` or register callbacks, or pass ``event_buffer=0`` to keep
    nothing.
    """

    def __init__(self, max_size: float = 10_000) -> None:
        self.max_size = max_size
        self._items: collections.deque[Event] = collections.deque()
        self._wakeup = anyio.Event()
        self._closed = False
        self.overflowed = 0

    def put(self, event: Event) -> bool:
        """Add an event; ``False`` when an old event had to be dropped."""
        if self.max_size <= 0 or self._closed:
            return True
        dropped = False
        if len(self._items) >= self.max_size and not math.isinf(self.max_size):
            self._items.popleft()
            self.overflowed += 1
            dropped = True
        self._items.append(event)
        self._wakeup.set()
        return not dropped

    def close(self) -> None:
        self._closed = True
        self._wakeup.set()

    async def get(self) -> Event | None:
        """The next event, or ``None`` once closed and drained."""
        while not self._items:
            if self._closed:
                return None
            await self._wakeup.wait()
            if not self._items and not self._closed:
                self._wakeup = anyio.Event()
        return self._items.popleft()

    def __len__(self) -> int:
        return len(self._items)
