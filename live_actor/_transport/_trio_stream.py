"""The trio transports' byte stream: writes that skip the event loop, and the stall watch.

* :class:`WatchedStream` wraps the socket (or TLS) stream of the trio-websocket
  transport: it counts write progress for the stall watch and, on plain TCP,
  hands a frame to the socket at once (:meth:`WatchedStream.write_now`).
* :func:`socket_fd`: the descriptor such direct writes go to (both transports).
* :func:`watch_stalls`: the loop both transports' stall watch runs.

Why write directly: trio's ``send_all`` costs a trip through the event loop
even when the socket takes the whole frame at once, and a writer task costs a
wake-up per frame besides; a voice call sends 50 frames a second.  A
synchronous ``write`` cannot be cancelled half-way, so frames stay whole.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import Final

import trio

__all__ = ["WatchedStream", "socket_fd", "watch_stalls"]

#: Writes are split into chunks this big, each pushing the stall deadline back.
_WRITE_CHUNK: Final = 64 * 1024


def socket_fd(stream: trio.abc.Stream) -> int | None:
    """The socket's descriptor when bytes may be written to it directly: plain TCP on
    POSIX (``os.write`` on a socket is ``send``); ``None`` for TLS and elsewhere."""
    if os.name != "posix" or not isinstance(stream, trio.SocketStream):
        return None
    return stream.socket.fileno()


async def watch_stalls(
    stall_timeout: float, writing: Callable[[], bool], progress: Callable[[], int]
) -> None:
    """Return once a write made no progress for ``stall_timeout`` (else run until cancelled).

    Looks four times per ``stall_timeout``: a stall is noticed within 1.25 times
    the timeout, and a healthy connection pays one wake-up per quarter timeout
    instead of a clock read per frame.
    """
    timeout = stall_timeout
    if math.isinf(timeout):
        await trio.sleep_forever()
    period = timeout / 4
    stuck_for = 0.0
    last = -1
    while True:
        await trio.sleep(period)
        now = progress()
        if writing() and now == last:
            stuck_for += period
            if stuck_for >= timeout:
                return
        else:
            stuck_for = 0.0
        last = now


class WatchedStream(trio.abc.Stream):
    """The socket (or TLS) stream, counting the progress of every write.

    trio-websocket writes a whole frame with one ``send_all``; this wrapper
    writes a big one in ``_WRITE_CHUNK`` pieces and counts each, so the stall
    watch sees progress however big the frame, and only a peer that reads
    *nothing* for ``stall_timeout`` counts as stalled.  Counting is one integer
    increment: the hot path pays no clock read and no deadline change.

    On plain TCP (POSIX) :meth:`write_now` hands a frame to the socket without
    waiting: one non-blocking ``write``, as trio's ``send_all`` starts, but no
    trip through the event loop.  What the socket did not take is *pending*:
    the next ``send_all`` (whoever calls it) writes it first, so frames stay
    whole and in order.  ``send_all`` calls never overlap (trio-websocket
    serializes its own; the transport's flush of pending bytes waits its turn).
    """

    def __init__(self, stream: trio.abc.Stream) -> None:
        self.inner = stream
        self.progress = 0
        # Reads need no watching: the inner stream's method, without a layer.
        self.receive_some = stream.receive_some  # type: ignore[method-assign]
        self._fd = socket_fd(stream)
        #: bytes handed over by ``write_now`` that the socket has not taken yet.
        self.pending: bytes | memoryview = b""
        #: a ``send_all`` is writing; the next one waits for ``_turn``.
        self.writing = False
        self._turn: trio.Event | None = None
        #: a write was interrupted: the stream may end in the middle of a frame.
        self.torn = False

    def can_write_now(self) -> bool:
        return self._fd is not None and not self.writing and not self.pending

    def write_now(self, data: bytes) -> bool:
        """Hand ``data`` over without waiting; ``False``: could not, nothing handed over.

        Raises ``OSError`` when the socket is dead (reset, or shut down by the peer).
        """
        if self._fd is None or self.writing or self.pending:
            return False
        try:
            written = os.write(self._fd, data)
        except BlockingIOError:
            written = 0
        if written:
            self.progress += 1
        if written < len(data):
            self.pending = memoryview(data)[written:]
        return True

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        while self.writing:  # only the flush of pending bytes can meet another writer
            turn = self._turn = self._turn or trio.Event()
            await turn.wait()
        self.writing = True
        try:
            if self.pending:
                pending, self.pending = self.pending, b""
                await self._write(pending)
            if data:
                await self._write(data)
        finally:
            self.writing = False
            if self._turn is not None:
                self._turn.set()
                self._turn = None

    async def _write(self, data: bytes | bytearray | memoryview) -> None:
        try:
            if len(data) <= _WRITE_CHUNK:
                await self.inner.send_all(data)
                self.progress += 1
                return
            view = memoryview(data)
            for start in range(0, len(view), _WRITE_CHUNK):
                await self.inner.send_all(view[start : start + _WRITE_CHUNK])
                self.progress += 1
        except BaseException:
            self.torn = True
            raise

    def forget_socket(self) -> None:
        """No more direct writes: the stream is being closed (its descriptor may be reused)."""
        self._fd = None

    async def wait_send_all_might_not_block(self) -> None:
        await self.inner.wait_send_all_might_not_block()

    async def receive_some(self, max_bytes: int | None = None) -> bytes | bytearray:
        return await self.inner.receive_some(max_bytes)

    async def aclose(self) -> None:
        # Whoever closes the stream (the transport, or trio-websocket after a protocol
        # error), its descriptor may be reused at once: never write to it again.
        self._fd = None
        await self.inner.aclose()
