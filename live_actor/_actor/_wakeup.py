"""A reusable wake-up: the cheapest way for one task to wait for "something changed".

The queues of the receive path (``EventBuffer``, ``CallbackQueue``) wake their
consumer once per server message: 25 times a second per call for a voice
agent's audio.  With ``anyio.Event`` that meant a new event per message, and on
asyncio each new event is an ``asyncio.Event`` whose first wait takes a global
lock; a wake-up cost about twice a bare future's.  :class:`Wakeup` is made once
and reused: on asyncio a waiter parks on a plain future, on trio on
``wait_task_rescheduled``; both are cancelled like any other wait.

Semantics are those of a level-triggered "dirty" flag: :meth:`Wakeup.wait`
returns at once if :meth:`Wakeup.wake` was called since the last wait
returned, else when it is called.  Callers re-check their condition in a loop,
so a spurious return is harmless.  Any number of tasks may wait; one is usual.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import sniffio

__all__ = ["Flag", "Wakeup"]


class Wakeup:
    """Wake the tasks waiting in :meth:`wait` (see the module doc)."""

    __slots__ = ("_asyncio", "_pending", "_trio", "_waiter", "_waiters")

    def __init__(self) -> None:
        self._pending = False
        #: the one parked waiter (a future on asyncio, a task on trio) ...
        self._waiter: Any = None
        #: ... and any more, rarely.
        self._waiters: list[Any] | None = None
        #: the backend, known from the first wait on (a session lives in one loop).
        self._trio: Any = None
        self._asyncio = False

    def wake(self) -> None:
        """Wake every waiter; with none, the next :meth:`wait` returns at once."""
        waiter = self._waiter
        if waiter is None:
            self._pending = True
            return
        self._waiter = None
        self._resume(waiter)
        others = self._waiters
        if others:
            self._waiters = None
            for other in others:
                self._resume(other)

    def _resume(self, waiter: Any) -> None:
        if self._trio is not None:
            self._trio.reschedule(waiter)
        elif not waiter.done():  # a cancelled waiter's future is done
            waiter.set_result(None)

    async def wait(self) -> None:
        """Return once :meth:`wake` was called (since the last :meth:`wait` returned)."""
        if self._pending:
            self._pending = False
            return
        if not self._asyncio and (
            self._trio is not None or sniffio.current_async_library() == "trio"
        ):
            await self._wait_trio()
        else:
            self._asyncio = True
            future = asyncio.get_running_loop().create_future()
            self._park(future)
            try:
                await future
            finally:
                if self._waiter is future or self._waiters:  # not woken: cancelled
                    self._unpark(future)
        self._pending = False

    async def _wait_trio(self) -> None:
        import trio

        self._trio = trio.lowlevel
        task = trio.lowlevel.current_task()
        self._park(task)

        def abort(_raise_cancel: Any) -> trio.lowlevel.Abort:
            self._unpark(task)
            return trio.lowlevel.Abort.SUCCEEDED

        await trio.lowlevel.wait_task_rescheduled(abort)

    def _park(self, waiter: Any) -> None:
        if self._waiter is None:
            self._waiter = waiter
        else:
            if self._waiters is None:
                self._waiters = []
            self._waiters.append(waiter)

    def _unpark(self, waiter: Any) -> None:
        if self._waiter is waiter:
            self._waiter = None
            if self._waiters:  # promote the next one
                self._waiter = self._waiters.pop(0)
        elif self._waiters and waiter in self._waiters:
            self._waiters.remove(waiter)


class Flag:
    """A flag set once, that wakes a :class:`Wakeup` when set.

    ``anyio.Event``'s interface for a flag that is mostly only tested: set,
    tested, and waited for through the :class:`Wakeup` it shares with the other
    conditions the waiter watches (an ``anyio.Event`` costs an idle session
    about a kilobyte on asyncio; this, a few dozen bytes).
    """

    __slots__ = ("_on_set", "_set", "_wakeup")

    def __init__(
        self, wakeup: Wakeup | None = None, *, on_set: Callable[[], None] | None = None
    ) -> None:
        self._set = False
        self._wakeup = wakeup if wakeup is not None else Wakeup()
        #: called once, when the flag is set (e.g. to start the task that waits for it).
        self._on_set = on_set

    def set(self) -> None:
        if not self._set:
            self._set = True
            self._wakeup.wake()
            if self._on_set is not None:
                self._on_set()

    def is_set(self) -> bool:
        return self._set

    async def wait(self) -> None:
        while not self._set:
            await self._wakeup.wait()
