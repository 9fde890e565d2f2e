"""An in-memory transport pair, for unit tests of the layers above the socket.

It follows the same close rules as the real backends, so a test written against it
means the same thing on a socket:

* messages sent before a close are still received, then :class:`TransportClosed`;
* ``aclose(code, reason)`` on one side -> the other side gets
  ``TransportClosed(code, reason, local=False)``, this side ``local=True``;
* :meth:`MemoryTransport.abort` simulates a dropped TCP connection: both sides get
  ``1006`` with ``local=False`` (nobody chose to close).

Built on anyio memory object streams, so it runs on asyncio and trio.  anyio warns
about memory streams that are garbage-collected unclosed, so close both ends (or use
``async with client, server:``).
"""

from __future__ import annotations

import math
from types import TracebackType

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from live_actor._transport._base import (
    ABNORMAL_CLOSURE,
    TransportClosed,
    check_close_code,
    check_frame,
    clip_reason,
)

__all__ = ["MemoryTransport", "memory_transport_pair"]


class MemoryTransport:
    """One end of :func:`memory_transport_pair`."""

    #: a cancelled send on a full stream delivers nothing (see ``Transport``).
    cancel_safe_send = False

    def __init__(
        self,
        name: str,
        send_stream: MemoryObjectSendStream[str | bytes],
        receive_stream: MemoryObjectReceiveStream[str | bytes],
    ) -> None:
        self._name = name
        self._send_stream = send_stream
        self._receive_stream = receive_stream
        self._peer: MemoryTransport | None = None
        # What this side has learnt about the close, once it is final.
        self._closed: TransportClosed | None = None
        # The peer's close, announced when it happened but only *observed* by
        # receive() after the messages sent before it, as on a socket.
        self._peer_closed: TransportClosed | None = None
        self._acknowledged = False
        #: Every frame this side sent, in order (handy for assertions).
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

    @property
    def close_code(self) -> int | None:
        """The close code once this side knows the connection is closed."""
        return None if self._closed is None else self._closed.code

    @property
    def close_reason(self) -> str:
        """The close reason once closed (``""`` when none or still open)."""
        return "" if self._closed is None else self._closed.reason

    @property
    def close_acknowledged(self) -> bool:
        """We closed first, with the peer still open: it gets everything sent before."""
        return self._acknowledged

    async def send(self, frame: str | bytes) -> None:
        """Queue ``frame`` for the peer; :class:`TransportClosed` once closed."""
        kind = type(frame)
        if kind is not str and kind is not bytes:
            frame = check_frame(frame)
        if self._closed is not None:
            raise self._error()
        if self._peer_closed is not None:
            # Like a socket whose peer's close frame has arrived: no more sending.
            raise self._error(self._peer_closed)
        try:
            await self._send_stream.send(frame)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            raise self._error(self._peer_closed) from None
        self.sent.append(frame)

    async def receive(self) -> str | bytes:
        """Return the next frame; :class:`TransportClosed` once closed."""
        if self._closed is not None:
            raise self._error()
        try:
            return await self._receive_stream.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError, anyio.BrokenResourceError):
            raise self._error(self._peer_closed) from None

    async def aclose(
        self, code: int = 1000, reason: str = "", *, close_timeout: float | None = None
    ) -> None:
        """Close this side; the peer sees ``code``/``reason`` after its pending frames."""
        check_close_code(code)
        if self._closed is not None:
            return
        if self._peer_closed is not None:
            # The peer hung up first: keep its code, as a socket would.
            self._finish(self._peer_closed)
            return
        info = TransportClosed(code, clip_reason(reason), local=True)
        if self._peer is not None and self._peer._closed is None:
            self._peer._peer_closed = TransportClosed(info.code, info.reason, local=False)
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
        if self._peer is not None and self._peer._closed is None:
            self._peer._peer_closed = drop
        self._finish(drop)

    def _finish(self, info: TransportClosed) -> None:
        self._closed = info
        # Closing our receive end also wakes a task of ours blocked in receive()
        # and makes a peer blocked on a full buffer fail its send.
        self._send_stream.close()
        self._receive_stream.close()

    def _error(self, fallback: TransportClosed | None = None) -> TransportClosed:
        if self._closed is None:
            self._closed = fallback or TransportClosed(ABNORMAL_CLOSURE, "", local=False)
            # The connection is over for us too: release our ends.
            self._send_stream.close()
            self._receive_stream.close()
        closed = self._closed
        return TransportClosed(closed.code, closed.reason, local=closed.local)


def memory_transport_pair(
    max_buffer_size: float = math.inf,
) -> tuple[MemoryTransport, MemoryTransport]:
    """Return ``(client, server)``, connected back to back.

    ``max_buffer_size`` frames may wait in each direction before ``send`` blocks
    (unbounded by default; pass a small number to test backpressure).
    """
    to_server_send, to_server_receive = anyio.create_memory_object_stream[str | bytes](
        max_buffer_size
    )
    to_client_send, to_client_receive = anyio.create_memory_object_stream[str | bytes](
        max_buffer_size
    )
    client = MemoryTransport("client", to_server_send, to_client_receive)
    server = MemoryTransport("server", to_client_send, to_server_receive)
    client._peer = server
    server._peer = client
    return client, server
