"""The trio backend's connection: trio-websocket, with the gaps the Live API needs filled.

Dialling lives in ``_trio_dial``; this module is one open connection.  What it adds
on top of trio-websocket, and why:

* **A writer task.** trio writes straight to the socket, and a cancellation
  inside a write may tear the frame (with TLS the stream is broken by any
  cancelled write).  So :meth:`TrioWebsocketTransport.send` only appends the
  frame to an outbox that one writer task, never cancelled by callers, writes
  in order.  A sender finding ``write_buffer_size`` bytes already waiting waits
  for room *before* appending, so a cancelled sender leaves nothing behind and
  the outbox is bounded by bytes.
* **Stalled peers.** A peer that stops reading blocks the writer in the socket
  write; keepalive cannot help (its ping waits behind the stuck frame).  A watch
  task looks four times per ``stall_timeout`` at the writes' progress (counted
  per 64 KiB written); when a write made none for ``stall_timeout`` the
  connection is dropped and reported as ``TransportClosed(1011, ..., local=True)``.
* **Keepalive.** trio-websocket never pings by itself.  A small task pings every
  ``ping_interval`` and, without a pong within ``ping_timeout``, closes with
  ``1011 keepalive ping timeout``, exactly like the ``websockets`` backend.
* **Close bookkeeping.** trio-websocket records ``1000`` whatever code we close
  with, and does not close the TCP stream after a peer-initiated close; we track our
  own close and always close the stream ourselves (no unclosed-socket warnings).
  :meth:`~TrioWebsocketTransport.aclose` is bounded by its ``close_timeout``
  whatever the peer does: a frame still half-written then is not followed by a
  close frame (it would be garbage after a torn frame); the stream is dropped.
"""

from __future__ import annotations

import collections
import itertools
import math
from contextlib import suppress
from typing import Any, Final

import trio
import trio_websocket
from trio_websocket import ConnectionClosed
from wsproto.connection import ConnectionState
from wsproto.events import BytesMessage, TextMessage
from wsproto.utilities import LocalProtocolError

from live_actor._redact import redact_url
from live_actor._transport._base import (
    ABNORMAL_CLOSURE,
    CloseInfo,
    TransportClosed,
    TransportOptions,
    check_close_code,
    check_frame,
    clip_reason,
    stall_reason,
)
from live_actor._transport._trio_stream import WatchedStream, watch_stalls

__all__ = ["TrioWebsocketTransport", "WatchedStream"]

_TOO_BIG_PREFIX: Final = "Exceeded maximum message size"  # trio-websocket's own 1009 reason
_KEEPALIVE_REASON: Final = "keepalive ping timeout"  # the same text websockets uses
#: Writes are split into chunks this big, each pushing the stall deadline back.
_WRITE_CHUNK: Final = 64 * 1024
_WRITE_ERRORS: Final = (
    ConnectionClosed,
    trio.BrokenResourceError,
    trio.ClosedResourceError,
    OSError,
)


#: The outbox of a connection whose writer has not started (shared, kept empty).
_NO_OUTBOX: Final[collections.deque[str | bytes]] = collections.deque(maxlen=0)
#: The writer's wake-up event until the writer starts (never set, never awaited).
_NO_EVENT: Final = trio.Event()


class TrioWebsocketTransport(CloseInfo):
    """A :class:`~live_actor._transport._base.Transport` over a trio-websocket connection.

    Create it with ``open_trio_transport`` or ``connect_trio``, not directly.
    """

    #: cancelled in ``send``: nothing handed over, connection usable (see ``Transport``).
    cancel_safe_send = True

    def __init__(
        self,
        ws: trio_websocket.WebSocketConnection,
        stream: WatchedStream,
        reader_scope: trio.CancelScope,
        url: str,
        options: TransportOptions,
    ) -> None:
        self._ws = ws
        self._stream = stream
        #: the connection's wsproto, to frame a message for ``WatchedStream.write_now``.
        self._wsproto: Any = getattr(ws, "wsproto", None)
        self._reader_scope = reader_scope
        self._url = redact_url(url)
        self._options = options
        # (code, reason) when *we* ended the connection first (aclose, keepalive, stall).
        self._local: tuple[int, str] | None = None
        # Set by the first aclose(): from then on send/receive raise at once.
        self._shutting_down = False
        self._closed = trio.Event()
        self._keepalive_scope = trio.CancelScope()
        #: made with their tasks (see ``_wake_writer``).
        self._watch_scope: trio.CancelScope | None = None
        self._ping_ids = itertools.count()
        # The writer task's outbox (see the module doc), and its size in bytes.
        #: made with the writer (most connections never need either).
        self._outbox: collections.deque[str | bytes] = _NO_OUTBOX
        self._outbox_bytes = 0
        self._limit = options.write_buffer_size
        # A sender that found the outbox full waits until it is half empty:
        # the writer then writes a batch before the sender is woken, instead of
        # the two taking turns frame by frame.
        self._low_water = options.write_buffer_size // 2
        self._stall_timeout = math.inf if options.stall_timeout is None else options.stall_timeout
        self._writer_idle = False
        #: where the writer (and the stall watch, which only watches its writes)
        #: start on the first frame that cannot be written at once: a connection
        #: whose frames all go straight to the socket, or an idle one, has neither.
        self._tasks_at: trio.Nursery | None = None
        self._writing = False
        self._writer_wakeup: trio.Event = _NO_EVENT  # a real one with the writer
        self._writer_scope: trio.CancelScope | None = None
        self._write_failed = False
        #: what senders waiting for room (and ``aclose``) wait on, made when needed.
        self._progress: trio.Event | None = None
        self._progress_wanted = False

    def __repr__(self) -> str:
        state = "open" if self.close_code is None else f"closed {self.close_code}"
        return f"<TrioWebsocketTransport {self._url} {state}>"

    # -- what the peer or the library decided ------------------------------------

    def _close_info(self) -> TransportClosed | None:
        if self._local is not None:
            return TransportClosed(*self._local, local=True)
        reason = self._ws.closed
        if reason is None:
            return None
        text = reason.reason or ""
        # trio-websocket closes by itself with 1009 when a message exceeds our limit,
        # with 1002/1007 when the peer's framing or text is broken (no close frame of the peer
        # was processed then: the protocol state is not REMOTE_CLOSING or CLOSED),
        # and aborts (1006) on a dead socket.
        # wsproto's protocol errors: 1002 (broken framing), 1007 (a text frame that is
        # not UTF-8); trio-websocket sends that close and drops the stream at once.
        local = (reason.code == 1009 and text.startswith(_TOO_BIG_PREFIX)) or (
            reason.code in (1002, 1007)
            and self._wsproto_state() in (ConnectionState.OPEN, ConnectionState.LOCAL_CLOSING)
        )
        return TransportClosed(reason.code, text, local=local)

    def _closed_error(self) -> TransportClosed:
        # No close reason at all means the reader stopped without a close frame
        # (protocol error, crash): report it like a dropped connection.
        return self._close_info() or TransportClosed(ABNORMAL_CLOSURE, "", local=False)

    @property
    def close_acknowledged(self) -> bool:
        """Did the peer answer our close frame (see ``Transport``)?"""
        # trio-websocket does not say whether its aclose() got the reply or gave
        # up; its wsproto state does.  Should that attribute ever go away, the
        # answer is "no", which only makes the ledger more cautious.
        return self._local is not None and self._wsproto_state() is ConnectionState.CLOSED

    def _wsproto_state(self) -> ConnectionState | None:
        """trio-websocket's protocol state (private there, hence the care)."""
        return getattr(getattr(self._ws, "_wsproto", None), "state", None)

    # -- the seam -----------------------------------------------------------------

    async def send(self, frame: str | bytes) -> None:
        """Send ``frame`` as one text (``str``) or binary (``bytes``) message.

        When ``write_buffer_size`` bytes already wait for the writer, wait for
        room first: cancelled there, nothing is handed over.  Then the frame is
        queued for the writer task and written whole, in order.  Not a
        checkpoint otherwise: the session's ``submit`` is one.  Raises
        :class:`TransportClosed` once the connection is closed (frames still
        queued then are not written).
        """
        kind = type(frame)
        if kind is not str and kind is not bytes:
            frame = check_frame(frame)
        if self._shutting_down or self._write_failed or self._ws.closed is not None:
            raise self._closed_error()
        if (
            not self._outbox
            and self._wsproto is not None
            and not self._writing
            and self._stream.can_write_now()
            and self._write_now(frame)
        ):
            return
        if self._outbox_bytes >= self._limit:
            await self._wait_for_room()
            if self._shutting_down or self._write_failed:
                raise self._closed_error()
        if self._outbox is _NO_OUTBOX:
            self._outbox = collections.deque()
        self._outbox.append(frame)
        self._outbox_bytes += len(frame)
        self._wake_writer()

    def _write_now(self, frame: str | bytes) -> bool:
        """Frame ``frame`` and hand it to the socket at once (``WatchedStream.write_now``:
        no writer wake-up); the writer writes what the socket did not take."""
        try:
            event: TextMessage | BytesMessage = (
                TextMessage(data=frame) if isinstance(frame, str) else BytesMessage(data=frame)
            )
            data = self._wsproto.send(event)
        except LocalProtocolError:
            return False  # closing: the regular path says how
        try:
            if not self._stream.write_now(data):
                return False  # wsproto keeps no state for a whole message: framing again is fine
        except OSError:  # dead: not via trio-websocket's send, whose failure would
            # discard messages already received (a goAway, the close frame)
            self._write_failed = True
            self._report_progress()
            raise self._closed_error() from None
        if self._stream.pending:
            self._wake_writer()
        return True

    def start_tasks_in(self, nursery: trio.Nursery) -> None:
        """The writer and the stall watch start in ``nursery`` when first needed."""
        self._tasks_at = nursery

    def _wake_writer(self) -> None:
        nursery = self._tasks_at
        if nursery is not None:
            self._tasks_at = None
            if self._outbox is _NO_OUTBOX:  # the writer keeps the one it starts with
                self._outbox = collections.deque()
            self._writer_scope = trio.CancelScope()
            self._watch_scope = trio.CancelScope()
            self._writer_wakeup = trio.Event()
            with suppress(RuntimeError):  # the connection's nursery is closing
                nursery.start_soon(self.writer)
                if self._options.stall_timeout is not None:
                    nursery.start_soon(self.stall_watch)
        elif self._writer_idle:
            self._writer_idle = False
            self._writer_wakeup.set()

    async def _wait_for_room(self) -> None:
        """Until at most half of ``write_buffer_size`` waits (or writing failed)."""
        while self._outbox_bytes > self._low_water and not self._write_failed:
            await self._wait_progress()

    async def _wait_for_flush(self) -> None:
        """Until every queued frame is written whole (or writing failed)."""
        while (self._outbox or self._writing or self._stream.pending) and not self._write_failed:
            await self._wait_progress()

    async def _wait_progress(self) -> None:
        """Until the writer reports progress (or writing ends)."""
        self._progress_wanted = True
        if self._progress is None:
            self._progress = trio.Event()
        await self._progress.wait()

    def _report_progress(self) -> None:
        if self._progress_wanted:
            self._progress_wanted = False
            if self._progress is not None:
                self._progress.set()
                self._progress = None

    async def writer(self) -> None:
        """Write the outbox in order; runs as long as the connection."""
        outbox = self._outbox
        assert self._writer_scope is not None  # made with the task
        with self._writer_scope:
            while True:
                if self._stream.pending and not outbox:  # the rest of a direct write
                    self._writing = True
                    try:
                        await self._stream.send_all(b"")
                    except _WRITE_ERRORS:
                        self._write_failed = True
                        self._writing = False
                        self._report_progress()
                        return
                    self._writing = False
                    self._report_progress()
                while outbox:
                    frame = outbox[0]
                    self._writing = True
                    try:
                        await self._ws.send_message(frame)
                    except _WRITE_ERRORS:
                        self._write_failed = True
                        outbox.clear()
                        self._outbox_bytes = 0
                        self._writing = False
                        self._report_progress()
                        return
                    self._writing = False
                    outbox.popleft()
                    self._outbox_bytes -= len(frame)
                    if self._progress_wanted and self._outbox_bytes <= self._low_water:
                        self._report_progress()
                self._writer_idle = True
                await self._writer_wakeup.wait()
                self._writer_wakeup = trio.Event()

    async def stall_watch(self) -> None:
        """Fail the connection once a write has made no progress for ``stall_timeout``."""
        assert self._watch_scope is not None  # made with the task
        with self._watch_scope:
            await watch_stalls(
                self._stall_timeout, lambda: self._writing, lambda: self._stream.progress
            )
        if not self._shutting_down and not self._watch_scope.cancel_called:
            await self._fail_stalled()

    async def receive(self) -> str | bytes:
        """Return the next message; :class:`TransportClosed` once closed."""
        if self._shutting_down:
            raise self._closed_error()
        try:
            return await self._ws.get_message()
        except ConnectionClosed:
            raise self._closed_error() from None

    async def aclose(
        self, code: int = 1000, reason: str = "", *, close_timeout: float | None = None
    ) -> None:
        """Close with ``code``/``reason``; idempotent, bounded by ``close_timeout``
        (the argument, else the option), after which the stream is dropped.

        What was sent is written first, within the same bound.  A second (or
        concurrent) call waits for the first one to finish.  If the peer closed
        first, its code and reason are kept: the later ``receive`` errors say what
        really happened.
        """
        check_close_code(code)
        if self._shutting_down:
            await self._closed.wait()
            return
        limit = self._options.close_timeout if close_timeout is None else close_timeout
        deadline = trio.current_time() + max(0.0, limit)
        reason = clip_reason(reason)
        self._begin_close(code, reason)  # concurrent calls now wait for us
        try:
            with trio.move_on_at(deadline):
                await self._wait_for_flush()  # what callers sent goes out before the close
        finally:
            await self._shutdown(code, reason, deadline)

    async def wait_closed(self) -> None:
        """Return once :meth:`aclose` (ours, the keepalive's or the stall's) has finished."""
        await self._closed.wait()

    # -- internals ----------------------------------------------------------------

    def _begin_close(self, code: int, reason: str) -> None:
        self._shutting_down = True
        if self._close_info() is None:
            self._local = (code, reason)

    async def _shutdown(self, code: int, reason: str, deadline: float) -> None:
        # A frame cut short by the deadline leaves the stream mid-frame: a close
        # frame after it would be garbage, so the stream is just dropped.
        stream = self._stream
        graceful = (
            not self._writing
            and not stream.torn
            and not stream.pending
            and deadline > trio.current_time()
        )
        stream.forget_socket()
        self._keepalive_scope.cancel()
        if self._watch_scope is not None:
            self._watch_scope.cancel()
        if self._writer_scope is not None:
            self._writer_scope.cancel()
        self._write_failed = True  # writing is over: wake senders waiting for room
        if self._progress is not None:
            self._progress.set()
        try:
            if graceful:
                with trio.move_on_at(deadline):
                    # Sends the close frame, wakes any task blocked in get_message(),
                    # then waits for the peer's close frame.
                    await self._ws.aclose(code, reason or None)
        except _WRITE_ERRORS:
            pass  # the socket is already dead: nothing left to do gracefully
        finally:
            try:
                # trio-websocket leaves the TCP stream open after a peer-initiated
                # close and after its own 1009; closing it here also ends the reader.
                await trio.aclose_forcefully(self._stream)
            finally:
                self._reader_scope.cancel()
                self._closed.set()

    async def _fail_stalled(self) -> None:
        """The peer read nothing for ``stall_timeout``: drop the connection."""
        self._begin_close(1011, stall_reason(self._stall_timeout))
        self._writing = True  # the frame in the socket is torn: no close frame
        await self._shutdown(1011, "", trio.current_time())

    async def keepalive(self) -> None:
        """Ping every ``ping_interval``; no pong within ``ping_timeout`` -> close 1011."""
        interval = self._options.ping_interval
        assert interval is not None
        timeout = math.inf if self._options.ping_timeout is None else self._options.ping_timeout
        timed_out = False
        # One frame, not two: this task waits for the whole connection (its memory counts).
        with self._keepalive_scope:
            while not timed_out:
                await trio.sleep(interval)
                payload = b"live_actor:%d" % next(self._ping_ids)
                with trio.move_on_after(timeout) as scope:
                    try:
                        await self._ws.ping(payload)
                    except ConnectionClosed:
                        break
                timed_out = scope.cancelled_caught
        # A ping in flight when the peer closed never gets its pong: that is not a
        # keepalive failure, and closing now would discard unread messages.
        if timed_out and not self._shutting_down and self._ws.closed is None:
            self._begin_close(1011, _KEEPALIVE_REASON)
            await self._shutdown(
                1011, _KEEPALIVE_REASON, trio.current_time() + self._options.close_timeout
            )
