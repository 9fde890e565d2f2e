"""An optional trio backend: ``websockets``' sans-IO protocol driven over trio streams.

``TransportOptions(trio_backend="websockets")`` selects it.  trio-websocket frames
messages with wsproto in pure Python and writes each one with its own
``send_all``; ``websockets.client.ClientProtocol`` masks frames in C, and this
driver writes whatever is queued in one ``send_all``.  ``bench/trio_transport.py``
measures the difference (about half the CPU per message sent, a third less per
message received).  Everything else follows the trio-websocket backend:

* the same dial (``_trio_dial._open_stream``: TCP, TLS with ``ssl_context`` and
  ``permanent`` certificate errors, all within ``connect_timeout``) and the same
  errors as the asyncio backend for what the server answers (``_websockets``);
* a writer task that callers never cancel, fed through an outbox bounded by
  ``write_buffer_size`` bytes, so a send is all or nothing under cancellation;
* a stall watch (``stall_timeout``), keepalive pings, a close bounded by its
  timeout, and close codes classified like ``websockets`` on asyncio.
"""

from __future__ import annotations

import collections
import itertools
import logging
import math
import os
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from typing import Final

import trio
from websockets.client import ClientProtocol
from websockets.exceptions import InvalidURI
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.protocol import State
from websockets.uri import parse_uri

from live_actor._redact import Dial, RedactingLogger
from live_actor._transport._base import (
    ABNORMAL_CLOSURE,
    CloseInfo,
    TransportClosed,
    TransportConnectError,
    TransportOptions,
    check_close_code,
    check_frame,
    clip_reason,
    stall_reason,
)
from live_actor._transport._trio_dial import _dial_error, _open_stream
from live_actor._transport._trio_scope import run_connection
from live_actor._transport._trio_stream import socket_fd, watch_stalls
from live_actor._transport._websockets import RefusalSnoop, _classify, _connect_error
from live_actor._version import USER_AGENT

__all__ = ["TrioSansIOTransport", "open_trio_sansio_transport"]

_LOGGER: Final = logging.getLogger("websockets.client")
_READ_SIZE: Final = 64 * 1024
_WRITE_CHUNK: Final = 64 * 1024
_KEEPALIVE_REASON: Final = "keepalive ping timeout"
_DATA: Final = (Opcode.TEXT, Opcode.BINARY, Opcode.CONT)
_IO_ERRORS: Final = (trio.BrokenResourceError, trio.ClosedResourceError, OSError)


class TrioSansIOTransport(CloseInfo):
    """A :class:`~live_actor._transport._base.Transport` on ``websockets``' protocol."""

    #: cancelled in ``send``: nothing handed over, connection usable (see ``Transport``).
    cancel_safe_send = True

    def __init__(
        self,
        protocol: ClientProtocol,
        stream: trio.abc.Stream,
        shown_url: str,
        options: TransportOptions,
    ) -> None:
        self._protocol = protocol
        self._stream = stream
        #: plain TCP on POSIX: bytes may go straight to the socket (see ``_queue_output``).
        self._fd = socket_fd(stream)
        self._url = shown_url
        self._options = options
        self._local: tuple[int, str] | None = None
        self._stalled = False
        self._shutting_down = False
        self._closed = trio.Event()
        self._reader_done = trio.Event()
        self._ping_ids = itertools.count()
        self._pings: dict[bytes, trio.Event] = {}
        # Incoming: whole messages, bounded by count (the reader stops reading
        # when full), and the fragments of the one being received.
        self._inbox: collections.deque[str | bytes] = collections.deque()
        self._inbox_limit = options.message_queue_size
        self._parts: list[bytes] = []
        self._part_kind = Opcode.TEXT
        self._arrived = trio.Event()
        self._taken = trio.Event()
        # Outgoing: framed bytes for the writer, bounded by bytes.
        self._outbox: collections.deque[bytes] = collections.deque()
        self._outbox_bytes = 0
        self._limit = options.write_buffer_size
        self._low_water = options.write_buffer_size // 2
        self._eof_wanted = False
        self._writing = False
        self._written = 0
        self._write_failed = False
        self._writer_idle = False
        #: where the writer and the stall watch start once bytes must wait for the
        #: socket (see ``_queue_output``): until then the connection has neither.
        self._tasks_at: trio.Nursery | None = None
        self._writer_wakeup = trio.Event()
        self._progress = trio.Event()
        self._progress_wanted = False
        self._stall_timeout = math.inf if options.stall_timeout is None else options.stall_timeout
        self._writer_scope = trio.CancelScope()
        self._reader_scope = trio.CancelScope(shield=True)  # sees the close reply when cancelled
        self._keepalive_scope = trio.CancelScope()
        self._watch_scope = trio.CancelScope()

    def __repr__(self) -> str:
        state = "open" if self.close_code is None else f"closed {self.close_code}"
        return f"<TrioSansIOTransport {self._url} {state}>"

    # -- what happened ------------------------------------------------------------

    def _close_info(self) -> TransportClosed | None:
        if self._local is not None:
            return TransportClosed(*self._local, local=True)
        if self._stalled:
            return TransportClosed(1011, stall_reason(self._stall_timeout), local=True)
        protocol = self._protocol
        if protocol.state is State.OPEN and not self._reader_done.is_set():
            return None
        return _classify(protocol.close_rcvd, protocol.close_sent, protocol.close_rcvd_then_sent)

    def _closed_error(self) -> TransportClosed:
        return self._close_info() or TransportClosed(ABNORMAL_CLOSURE, "", local=False)

    @property
    def close_acknowledged(self) -> bool:
        """Did the peer answer our close frame (see ``Transport``)?"""
        protocol = self._protocol
        return (
            protocol.close_sent is not None
            and protocol.close_rcvd is not None
            and not protocol.close_rcvd_then_sent
        )

    # -- the seam -----------------------------------------------------------------

    async def send(self, frame: str | bytes) -> None:
        """Frame ``frame`` and queue it for the writer; waits first while
        ``write_buffer_size`` bytes are queued (cancelled there: nothing sent)."""
        kind = type(frame)
        if kind is not str and kind is not bytes:
            frame = check_frame(frame)
            kind = type(frame)
        if self._shutting_down or self._write_failed or self._protocol.state is not State.OPEN:
            raise self._closed_error()
        if self._outbox_bytes >= self._limit:
            while self._outbox_bytes > self._low_water and not self._write_failed:
                self._progress_wanted = True
                await self._progress.wait()
            if self._shutting_down or self._write_failed or self._protocol.state is not State.OPEN:
                raise self._closed_error()
        if kind is str:
            self._protocol.send_text(frame.encode())  # type: ignore[union-attr]
        else:
            self._protocol.send_binary(frame)  # type: ignore[arg-type]
        self._queue_output()

    async def receive(self) -> str | bytes:
        """Return the next message; :class:`TransportClosed` once closed."""
        while True:
            if self._shutting_down:
                raise self._closed_error()
            if self._inbox:
                message = self._inbox.popleft()
                self._taken.set()
                return message
            if self._reader_done.is_set() or self._protocol.state is not State.OPEN:
                raise self._closed_error()
            await self._arrived.wait()
            self._arrived = trio.Event()

    async def aclose(
        self, code: int = 1000, reason: str = "", *, close_timeout: float | None = None
    ) -> None:
        """Close with ``code``/``reason`` within ``close_timeout`` (the argument,
        else the option); idempotent; the stream is dropped at the deadline."""
        check_close_code(code)
        if self._shutting_down:
            await self._closed.wait()
            return
        limit = self._options.close_timeout if close_timeout is None else close_timeout
        deadline = trio.current_time() + max(0.0, limit)
        reason = clip_reason(reason)
        self._shutting_down = True
        if self._close_info() is None:
            self._local = (code, reason)
        try:
            with trio.move_on_at(deadline):
                await self._flush()
                if self._protocol.state is State.OPEN and not self._writing:
                    self._protocol.send_close(code, reason)
                    self._queue_output()
                # The server answers our close frame, then closes TCP.
                await self._reader_done.wait()
        finally:
            await self._shutdown()

    async def wait_closed(self) -> None:
        """Return once the connection is closed and its stream released."""
        await self._closed.wait()

    # -- tasks ----------------------------------------------------------------------

    async def reader(self) -> None:
        """Read, parse, answer pings and collect messages until the stream ends."""
        protocol = self._protocol
        with self._reader_scope:
            try:
                while protocol.state is not State.CLOSED:
                    while len(self._inbox) >= self._inbox_limit:
                        await self._taken.wait()  # backpressure: stop reading
                        self._taken = trio.Event()
                    try:
                        data = await self._stream.receive_some(_READ_SIZE)
                    except _IO_ERRORS:
                        data = b""
                    if data:
                        protocol.receive_data(data)
                    else:
                        protocol.receive_eof()
                    self._handle(protocol.events_received())
                    self._queue_output()
                    if not data:
                        break
            finally:
                self._reader_done.set()
                self._arrived.set()

    def _handle(self, events: Sequence[object]) -> None:
        for event in events:
            if not isinstance(event, Frame):
                continue
            opcode = event.opcode
            if opcode in _DATA:
                if opcode is not Opcode.CONT:
                    self._part_kind = opcode
                self._parts.append(bytes(event.data))
                if event.fin:
                    data = b"".join(self._parts)
                    self._parts = []
                    if self._part_kind is Opcode.TEXT:
                        try:
                            self._inbox.append(data.decode())
                        except UnicodeDecodeError as exc:
                            self._protocol.fail(1007, f"{exc.reason} at position {exc.start}")
                            break
                    else:
                        self._inbox.append(data)
                    self._arrived.set()
            elif opcode is Opcode.PONG:
                self._pong(bytes(event.data))

    def _pong(self, payload: bytes) -> None:
        if payload not in self._pings:
            return
        while self._pings:  # a pong answers every earlier ping too
            key, event = next(iter(self._pings.items()))
            del self._pings[key]
            event.set()
            if key == payload:
                return

    def _queue_output(self) -> None:
        """Hand what the protocol framed to the socket, in order.

        With nothing queued and no write in progress, the bytes are written at
        once without waiting (one non-blocking ``write``, as trio's own
        ``send_all`` starts): no writer wake-up and no trip through the event
        loop per frame.  Whatever the socket did not take goes to the writer.
        A synchronous write cannot be cancelled half-way, so frames stay whole.
        """
        for data in self._protocol.data_to_send():
            if data:
                if self._fd is not None and not self._outbox and not self._writing:
                    try:
                        written = os.write(self._fd, data)
                    except OSError:  # full (BlockingIOError) or broken: the writer finds out
                        written = 0
                    if written:
                        self._written += 1
                        if written == len(data):
                            continue
                        data = data[written:]
                self._outbox.append(data)
                self._outbox_bytes += len(data)
            else:
                self._eof_wanted = True
        if self._outbox or self._eof_wanted:
            self._wake_writer()

    def start_tasks_in(self, nursery: trio.Nursery) -> None:
        """The writer and the stall watch start in ``nursery`` when first needed."""
        self._tasks_at = nursery

    def _wake_writer(self) -> None:
        nursery = self._tasks_at
        if nursery is not None:
            self._tasks_at = None
            with suppress(RuntimeError):  # the connection's nursery is closing
                nursery.start_soon(self.writer)
                if self._options.stall_timeout is not None:
                    nursery.start_soon(self.stall_watch)
        elif self._writer_idle:
            self._writer_idle = False
            self._writer_wakeup.set()

    async def writer(self) -> None:
        """Write what is queued, everything queued at once, in order."""
        outbox = self._outbox
        stream = self._stream
        with self._writer_scope:
            while True:
                while outbox:
                    data = outbox.popleft() if len(outbox) == 1 else b"".join(outbox)
                    outbox.clear()
                    self._writing = True
                    try:
                        if len(data) <= _WRITE_CHUNK:
                            await stream.send_all(data)
                            self._written += 1
                        else:  # in pieces, each one progress for the stall watch
                            view = memoryview(data)
                            for start in range(0, len(data), _WRITE_CHUNK):
                                await stream.send_all(view[start : start + _WRITE_CHUNK])
                                self._written += 1
                    except _IO_ERRORS:
                        self._write_failed = True
                        self._writing = False
                        self._progress.set()
                        return
                    self._writing = False
                    self._outbox_bytes -= len(data)
                    if self._progress_wanted and self._outbox_bytes <= self._low_water:
                        self._progress_wanted = False
                        self._progress.set()
                        self._progress = trio.Event()
                if self._eof_wanted and isinstance(stream, trio.abc.HalfCloseableStream):
                    self._eof_wanted = False
                    with suppress(*_IO_ERRORS):
                        await stream.send_eof()
                self._writer_idle = True
                await self._writer_wakeup.wait()
                self._writer_wakeup = trio.Event()

    async def _flush(self) -> None:
        while (self._outbox or self._writing) and not self._write_failed:
            self._progress_wanted = True
            await self._progress.wait()

    async def stall_watch(self) -> None:
        """Drop the connection once a write made no progress for ``stall_timeout``."""
        with self._watch_scope:
            await watch_stalls(self._stall_timeout, lambda: self._writing, lambda: self._written)
        if not self._shutting_down and not self._watch_scope.cancel_called:
            self._stalled = True
            self._shutting_down = True
            await self._shutdown()

    async def keepalive(self) -> None:
        """Ping every ``ping_interval``; no pong within ``ping_timeout`` -> close 1011."""
        interval = self._options.ping_interval
        assert interval is not None
        timeout = math.inf if self._options.ping_timeout is None else self._options.ping_timeout
        late = False
        with self._keepalive_scope:
            while not late:
                await trio.sleep(interval)
                if self._protocol.state is not State.OPEN:
                    return
                payload = b"live_actor:%d" % next(self._ping_ids)
                answered = self._pings[payload] = trio.Event()
                self._protocol.send_ping(payload)
                self._queue_output()
                with trio.move_on_after(timeout) as scope:
                    await answered.wait()
                late = scope.cancelled_caught and self._protocol.state is State.OPEN
        if late and not self._shutting_down:
            await self.aclose(1011, _KEEPALIVE_REASON)

    async def _shutdown(self) -> None:
        self._fd = None  # the descriptor may be reused once the stream is closed
        self._keepalive_scope.cancel()
        self._watch_scope.cancel()
        self._writer_scope.cancel()
        self._write_failed = True  # wake senders waiting for room
        self._progress.set()
        try:
            await trio.aclose_forcefully(self._stream)
        finally:
            self._reader_scope.cancel()
            self._arrived.set()
            self._closed.set()


def _new_protocol(dial: Dial, options: TransportOptions) -> ClientProtocol:
    """The client protocol with the upgrade request queued.  A function of its
    own: its locals (the parsed URI, the header values) end with it."""
    try:
        protocol = ClientProtocol(
            parse_uri(dial.url),
            max_size=options.max_message_size,
            logger=RedactingLogger(_LOGGER, dial.secrets()),
        )
    except InvalidURI:
        raise TransportConnectError(f"invalid WebSocket URL {dial.shown}", permanent=True) from None
    request = protocol.connect()
    for name, value in dial.headers:
        request.headers[name] = value
    if not dial.has_header("user-agent"):
        request.headers["User-Agent"] = USER_AGENT
    protocol.send_request(request)
    return protocol


async def _read_answer(
    stream: trio.abc.Stream, protocol: ClientProtocol, snoop: RefusalSnoop
) -> tuple[bool, list[Frame]]:
    """Read until the server answered the upgrade; returns whether it did and the
    frames that came with the answer.  (The answer itself stays in ``protocol``
    and ``snoop``, out of the caller's locals: it may echo our headers.)"""
    events: list[object] = []
    while True:
        data = await stream.receive_some(_READ_SIZE)
        if snoop.active and snoop.feed(data):
            return False, []  # enough of a refusal: report it now
        if data:
            protocol.receive_data(data)
        else:
            protocol.receive_eof()
        events += protocol.events_received()
        if not data or any(isinstance(e, Response) for e in events):
            return True, [e for e in events if isinstance(e, Frame)]


async def _handshake(dial: Dial, options: TransportOptions) -> TrioSansIOTransport:
    """TCP/TLS, the upgrade request, the server's answer; within ``connect_timeout``."""
    protocol = _new_protocol(dial, options)
    snoop = RefusalSnoop()
    stream: trio.abc.Stream | None = None
    error: TransportConnectError | None = None
    frames: list[Frame] = []
    answered = opened = False
    try:
        with trio.move_on_after(options.connect_timeout):
            try:
                stream = await _open_stream(dial, options)
                await stream.send_all(b"".join(protocol.data_to_send()))
                answered, frames = await _read_answer(stream, protocol, snoop)
            except _IO_ERRORS as exc:
                error = _dial_error(dial, exc)
                del exc
        if error is None and protocol.handshake_exc is not None:
            error = _connect_error(dial, protocol.handshake_exc, options, snoop.refusal)
        elif error is None and snoop.refusal is not None:
            # A refusal whose body is long or slow: the status and its start.
            error = _connect_error(dial, TimeoutError(), options, snoop.refusal)
        elif error is None and not answered:
            error = TransportConnectError(
                f"timed out connecting to {dial.shown} after {options.connect_timeout:g}s"
            )
        opened = error is None
    finally:
        if stream is not None and not opened:
            await trio.aclose_forcefully(stream)  # also when cancelled
    if error is not None:
        raise error from None
    assert stream is not None
    transport = TrioSansIOTransport(protocol, stream, dial.shown, options)
    transport._handle(frames)  # frames that came in the same packets as the answer
    return transport


@asynccontextmanager
async def open_trio_sansio_transport(
    dial: Dial, options: TransportOptions
) -> AsyncIterator[TrioSansIOTransport]:
    """Connect under trio; the connection's tasks live exactly as long as the block
    (closed on exit like ``open_trio_transport``)."""

    async def connect(nursery: trio.Nursery) -> TrioSansIOTransport:
        transport = await _handshake(dial, options)
        nursery.start_soon(transport.reader)
        return transport

    async with run_connection(connect, keepalive=options.ping_interval is not None) as transport:
        yield transport
