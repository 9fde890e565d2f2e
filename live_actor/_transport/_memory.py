"""An in-memory transport pair, for tests of the layers above the socket.

It follows the same rules as the real backends (:func:`check_transport` runs on
all three), so a test written against it means the same thing on a socket:

* messages sent before a close are still received, then :class:`TransportClosed`;
* ``aclose(code, reason)`` on one side -> the other side gets
  ``TransportClosed(code, reason, local=False)``, this side ``local=True``;
* :meth:`MemoryTransport.abort` simulates a dropped TCP connection: both sides get
  ``1006`` with ``local=False`` (nobody chose to close);
* a send waits while the peer has ``max_buffer_size`` frames or
  ``write_buffer_size`` bytes unread, and a send cancelled while it waits hands
  nothing over.

Built on anyio events only (no threads, no clock), so it runs on asyncio, on trio
and on trio's ``MockClock``.
"""

from __future__ import annotations

import collections
import math
from types import TracebackType

import anyio
import anyio.lowlevel

from live_actor._transport._base import (
    ABNORMAL_CLOSURE,
    CloseInfo,
    TransportClosed,
    check_close_code,
    check_frame,
    clip_reason,
)

__all__ = ["MemoryTransport", "memory_transport_pair"]


class _Pipe:
    """One direction of a pair: a bounded queue of frames with wake-ups."""

    __slots__ = ("_readable", "_writable", "closed", "frames", "max_bytes", "max_frames", "size")

    def __init__(self, max_frames: float, max_bytes: float) -> None:
        self.frames: collections.deque[str | bytes] = collections.deque()
        self.size = 0
        self.max_frames = max_frames
        self.max_bytes = max_bytes
        self.closed = False
        self._readable: anyio.Event | None = None
        self._writable: anyio.Event | None = None

    def has_room(self) -> bool:
        return len(self.frames) < self.max_frames and self.size < self.max_bytes

    async def wait_for_room(self) -> None:
        """Until a frame may be added, or the pipe is closed (cancellable: adds nothing)."""
        while not self.closed and not self.has_room():
            if self._writable is None:
                self._writable = anyio.Event()
            await self._writable.wait()

    def put(self, frame: str | bytes) -> None:
        self.frames.append(frame)
        self.size += len(frame)
        if self._readable is not None:
            self._readable.set()
            self._readable = None

    async def get(self) -> str | bytes | None:
        """The next frame; ``None`` once the pipe is closed and drained."""
        while not self.frames:
            if self.closed:
                return None
            if self._readable is None:
                self._readable = anyio.Event()
            await self._readable.wait()
        frame = self.frames.popleft()
        self.size -= len(frame)
        if self._writable is not None:
            self._writable.set()
            self._writable = None
        return frame

    def close(self, *, discard: bool = False) -> None:
        self.closed = True
        if discard:
            self.frames.clear()
            self.size = 0
        for event in (self._readable, self._writable):
            if event is not None:
                event.set()
        self._readable = self._writable = None


class MemoryTransport(CloseInfo):
    """One end of :func:`memory_transport_pair`."""

    #: cancelled in ``send``: nothing handed over, connection usable (see ``Transport``).
    cancel_safe_send = True

    def __init__(self, name: str, outgoing: _Pipe, incoming: _Pipe) -> None:
        self._name = name
        self._outgoing = outgoing
        self._incoming = incoming
        self._peer: MemoryTransport | None = None
        # What this side has learnt about the close, once it is final.
        self._closed: TransportClosed | None = None
        # The peer's close, announced when it happened but only *observed* by
        # receive() after the messages sent before it, as on a socket.
        self._peer_closed: TransportClosed | None = None
        self._acknowledged = False
        #: Every frame this side handed over, in order (handy for assertions).
        self.sent: list[str | bytes] = []

    def __repr__(self) -> str:
        state = "open" if self._closed is None else f"closed {self._closed.code}"
        return f"<MemoryTransport {self._name} {state}>"

    async def __aenter__(self) -> MemoryTransport:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def _close_info(self) -> TransportClosed | None:
        return self._closed

    @property
    def close_acknowledged(self) -> bool:
        """We closed first, with the peer still open: it gets everything sent before."""
        return self._acknowledged

    async def send(self, frame: str | bytes) -> None:
        """Queue ``frame`` for the peer; :class:`TransportClosed` once closed.

        A checkpoint, then a wait while the peer's buffer is full; cancelled in
        either, nothing is handed over.
        """
        kind = type(frame)
        if kind is not str and kind is not bytes:
            frame = check_frame(frame)
        await anyio.lowlevel.checkpoint()
        self._check_sendable()
        pipe = self._outgoing
        if not pipe.has_room():
            await pipe.wait_for_room()
            self._check_sendable()
        pipe.put(frame)
        self.sent.append(frame)

    def _check_sendable(self) -> None:
        if self._closed is not None:
            raise self._error()
        if self._peer_closed is not None or self._outgoing.closed:
            # Like a socket whose peer's close frame has arrived: no more sending.
            raise self._error(self._peer_closed)

    async def receive(self) -> str | bytes:
        """Return the next frame; :class:`TransportClosed` once closed."""
        if self._closed is not None:
            raise self._error()
        frame = await self._incoming.get()
        if frame is None:
            raise self._error(self._peer_closed)
        return frame

    async def aclose(
        self, code: int = 1000, reason: str = "", *, close_timeout: float | None = None
    ) -> None:
        """Close this side; the peer sees ``code``/``reason`` after its pending frames."""
        check_close_code(code)
        if self._closed is None:
            if self._peer_closed is not None:
                # The peer hung up first: keep its code, as a socket would.
                self._finish(self._peer_closed)
            else:
                info = TransportClosed(code, clip_reason(reason), local=True)
                peer = self._peer
                if peer is not None and peer._closed is None:
                    peer._peer_closed = TransportClosed(info.code, info.reason, local=False)
                    self._acknowledged = True
                self._finish(info)
        await anyio.lowlevel.checkpoint()

    close = aclose
    """Alias of :meth:`aclose` (tests read better as ``server.close(1011, "...")``)."""

    def abort(self) -> None:
        """Simulate a dropped connection: both sides see ``1006``, nobody chose it.

        Frames this side had not received are lost; the peer still receives what was
        already queued for it (it was "in its socket buffer"), then 1006.
        """
        if self._closed is not None:
            return
        drop = TransportClosed(ABNORMAL_CLOSURE, "", local=False)
        peer = self._peer
        if peer is not None and peer._closed is None:
            peer._peer_closed = drop
        self._finish(drop)

    def _finish(self, info: TransportClosed) -> None:
        self._closed = info
        # What we sent stays readable by the peer, then it sees the close; what
        # the peer sent us and we never read is gone.  Closing both pipes also
        # wakes our own blocked receive and a peer blocked on a full buffer.
        self._outgoing.close()
        self._incoming.close(discard=True)

    def _error(self, fallback: TransportClosed | None = None) -> TransportClosed:
        if self._closed is None:
            self._closed = fallback or TransportClosed(ABNORMAL_CLOSURE, "", local=False)
            # The connection is over for us too.
            self._outgoing.close()
            self._incoming.close(discard=True)
        closed = self._closed
        return TransportClosed(closed.code, closed.reason, local=closed.local)


def memory_transport_pair(
    max_buffer_size: float = math.inf,
    *,
    write_buffer_size: float = math.inf,
) -> tuple[MemoryTransport, MemoryTransport]:
    """Return ``(client, server)``, connected back to back.

    A send waits while the peer has ``max_buffer_size`` frames or
    ``write_buffer_size`` bytes (characters for text) unread: pass small numbers
    to test backpressure.
    """
    if not max_buffer_size >= 1 or not write_buffer_size >= 1:
        raise ValueError("max_buffer_size and write_buffer_size must be at least 1")
    to_server = _Pipe(max_buffer_size, write_buffer_size)
    to_client = _Pipe(max_buffer_size, write_buffer_size)
    client = MemoryTransport("client", to_server, to_client)
    server = MemoryTransport("server", to_client, to_server)
    client._peer = server
    server._peer = client
    return client, server
