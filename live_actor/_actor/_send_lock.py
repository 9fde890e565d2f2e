"""The lock around a connection's send side.

Every frame of a session goes out under this lock, so frames never interleave
and commands keep their order.  It is an anyio-neutral FIFO lock whose
uncontended acquire is one attribute test and one store: the per-chunk send
path of a voice agent takes it 50 times a second per stream, and
``anyio.Lock``'s owner bookkeeping (a current-task lookup on acquire and on
release) is a measurable share of that path's cost.

There is no owner check: the session's code is the only user, and every
acquire is paired with a release in a ``try``/``finally`` or ``async with``.
"""

from __future__ import annotations

import collections
from types import TracebackType

import anyio

__all__ = ["SendLock"]


class SendLock:
    """A FIFO mutex; :attr:`held` doubles as the free try-acquire.

    The fast path reads ``not lock.held`` and sets ``lock.held = True`` with no
    checkpoint in between (atomic in one event loop).  Waiters are handed the
    lock directly on release, so a waiter is never overtaken by a later
    ``async with``.
    """

    __slots__ = ("_waiters", "held")

    def __init__(self) -> None:
        self.held = False
        #: made on the first contention (most sessions never have any).
        self._waiters: collections.deque[anyio.Event] | None = None

    async def acquire(self) -> None:
        if not self.held:
            self.held = True
            return
        event = anyio.Event()
        waiters = self._waiters
        if waiters is None:
            waiters = self._waiters = collections.deque()
        waiters.append(event)
        try:
            await event.wait()
        except BaseException:
            if event.is_set():
                self.release()  # handed over while being cancelled: pass it on
            else:
                waiters.remove(event)
            raise

    def release(self) -> None:
        """Hand the lock to the oldest waiter, or free it."""
        if self._waiters:
            self._waiters.popleft().set()  # ``held`` stays True: ownership moves
        else:
            self.held = False

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
