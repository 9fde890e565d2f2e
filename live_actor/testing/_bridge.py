"""The server's trio loop as seen from other threads.

Everything the fake server owns is mutated only in its own trio thread.  Tests run in
other threads (an asyncio or trio loop, or a plain thread), so they reach the server
through this bridge:

* :meth:`LoopBridge.call` runs a function in the server thread and returns its result
  (directly when already there);
* waiters register a *waker* (:meth:`add_waker`), which the server calls after every
  state change (:meth:`changed`); the waiter re-checks its own predicate;
* :meth:`now_wall` is the loop clock expressed as wall time, so a virtual clock moves
  token expiry times too.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import threading
import time
from collections.abc import Callable
from typing import TypeVar

import trio

__all__ = ["LoopBridge"]

T = TypeVar("T")


class LoopBridge:
    """Cross-thread access to one running server loop."""

    def __init__(self) -> None:
        self.token: trio.lowlevel.TrioToken | None = None
        self.thread_id: int | None = None
        self._wakers: set[Callable[[], None]] = set()
        self._wakers_lock = threading.Lock()
        self._wall0 = time.time()
        self._clock0 = 0.0

    def bind_loop(self) -> None:
        """Called once inside the server's trio loop, before it serves."""
        self.token = trio.lowlevel.current_trio_token()
        self.thread_id = threading.get_ident()
        self._wall0 = time.time()
        self._clock0 = trio.current_time()

    def now_wall(self) -> dt.datetime:
        """Wall-clock time derived from the loop clock (virtual time moves it too)."""
        elapsed = trio.current_time() - self._clock0
        return dt.datetime.fromtimestamp(self._wall0 + elapsed, dt.UTC)

    def call(self, fn: Callable[[], T], timeout: float = 10.0) -> T:
        """Run ``fn`` in the server thread (directly if already there) and return its result."""
        if threading.get_ident() == self.thread_id:
            return fn()
        if self.token is None:
            raise RuntimeError("the fake server is not running")
        future: concurrent.futures.Future[T] = concurrent.futures.Future()

        def run() -> None:
            try:
                future.set_result(fn())
            except BaseException as exc:  # delivered to the calling thread
                future.set_exception(exc)

        try:
            self.token.run_sync_soon(run)
        except trio.RunFinishedError:
            raise RuntimeError("the fake server is not running") from None
        return future.result(timeout)

    def add_waker(self, waker: Callable[[], None]) -> None:
        """Register a callback invoked (in the server thread) after each state change."""
        with self._wakers_lock:
            self._wakers.add(waker)

    def remove_waker(self, waker: Callable[[], None]) -> None:
        """Unregister a waker."""
        with self._wakers_lock:
            self._wakers.discard(waker)

    def has_waiters(self) -> bool:
        """Cheap check so the hot path skips notification when nobody waits."""
        return bool(self._wakers)

    def changed(self) -> None:
        """Wake every waiter (they re-check their predicate)."""
        if not self._wakers:
            return
        with self._wakers_lock:
            wakers = list(self._wakers)
        for waker in wakers:
            try:
                waker()
            except Exception:  # a waiter whose loop is gone must not hurt the server
                self.remove_waker(waker)
