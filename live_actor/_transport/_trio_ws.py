"""The trio backend: trio-websocket, with the gaps the Live API needs filled in.

What this module adds on top of trio-websocket, and why:

* **Lifetime.** trio-websocket's reader runs in a nursery that must outlive the
  connection, so the primary API is the async context manager
  :func:`open_trio_transport`, which owns that nursery.  :func:`connect_trio` runs the
  same context manager in a task of a caller-supplied nursery / task group.
* **Prompt connect errors.** trio-websocket reports a refused upgrade by raising
  from its reader task into the nursery, and a connection closed (or a TLS failure)
  during the handshake is only noticed at the connect timeout.  The reader is run
  through :class:`_ReaderGuard`, which notices both at once and turns them into
  :class:`TransportConnectError`.  The TLS handshake is done before the upgrade for
  the same reason.
* **Keepalive.** trio-websocket never pings by itself.  A small task pings every
  ``ping_interval`` and, without a pong within ``ping_timeout``, closes with
  ``1011 keepalive ping timeout``, exactly like the ``websockets`` backend.
* **Close bookkeeping.** trio-websocket records ``1000`` whatever code we close
  with, and does not close the TCP stream after a peer-initiated close; we track our
  own close and always close the stream ourselves (no unclosed-socket warnings).
* **A writer task.** trio writes straight to the socket, and a cancellation
  inside a write may tear the frame (with TLS the stream is broken by any
  cancelled write).  So :meth:`TrioWebsocketTransport.send` only appends the
  frame to an outbox that one writer task, never cancelled by callers, writes
  in order; a sender waits only when ``_OUTBOX_HIGH`` frames are pending
  (backpressure).  Cancelling a task that sends never costs the connection, and
  a tight sending loop gets its frames written in batches.
* **Sizes.** ``max_message_size`` and ``message_queue_size`` are set explicitly
  (library defaults: 1 MiB and 1; a queue of 1 stops the reader, and with it the
  answers to the server's pings, whenever one message waits), and a 64 KiB read
  buffer instead of 4 KiB keeps multi-megabyte messages cheap.

``TransportOptions.compression`` is ignored here: trio-websocket cannot negotiate
permessage-deflate.
"""

from __future__ import annotations

import collections
import itertools
import math
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Final, cast

import anyio.abc
import structlog
import trio
import trio_websocket
from trio_websocket import ConnectionClosed, ConnectionRejected
from wsproto.connection import ConnectionState

from live_actor._transport._base import (
    ABNORMAL_CLOSURE,
    TransportClosed,
    TransportConnectError,
    TransportOptions,
    WsTarget,
    check_close_code,
    check_frame,
    check_headers,
    clip_reason,
    has_header,
    parse_ws_url,
    redact_url,
    refused_message,
    secrets_of,
    user_agent,
)

__all__ = ["TrioWebsocketTransport", "connect_trio", "open_trio_transport"]

_log = structlog.get_logger("live_actor")

_RECEIVE_BUFFER_SIZE: Final = 64 * 1024
_TOO_BIG_PREFIX: Final = "Exceeded maximum message size"  # trio-websocket's own 1009 reason
_KEEPALIVE_REASON: Final = "keepalive ping timeout"  # the same text websockets uses
#: frames pending in the outbox before a sender waits for the writer.
_OUTBOX_HIGH: Final = 64


class TrioWebsocketTransport:
    """A :class:`~live_actor._transport._base.Transport` over a trio-websocket connection.

    Create it with :func:`open_trio_transport` or :func:`connect_trio`, not directly.
    """

    #: frames go through the writer task, which callers never cancel (see ``Transport``).
    cancel_safe_send = True

    def __init__(
        self,
        ws: trio_websocket.WebSocketConnection,
        stream: trio.abc.Stream,
        reader_scope: trio.CancelScope,
        url: str,
        options: TransportOptions,
    ) -> None:
        self._ws = ws
        self._stream = stream
        self._reader_scope = reader_scope
        self._url = redact_url(url)
        self._options = options
        # (code, reason) when *we* ended the connection first (aclose or keepalive).
        self._local: tuple[int, str] | None = None
        # Set by the first aclose(): from then on send/receive raise at once.
        self._shutting_down = False
        self._closed = trio.Event()
        self._keepalive_scope = trio.CancelScope()
        self._ping_ids = itertools.count()
        # The writer task's outbox (see the module doc).
        self._outbox: collections.deque[str | bytes] = collections.deque()
        self._writer_idle = False
        self._writer_wakeup = trio.Event()
        self._writer_scope = trio.CancelScope()
        self._write_failed = False
        self._progress = trio.Event()
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
        # with 1002 when the peer's framing is broken (no close frame of the peer
        # was processed then: the protocol state is not REMOTE_CLOSING or CLOSED),
        # and aborts (1006) on a dead socket.
        local = (reason.code == 1009 and text.startswith(_TOO_BIG_PREFIX)) or (
            reason.code == 1002
            and self._wsproto_state() in (ConnectionState.OPEN, ConnectionState.LOCAL_CLOSING)
        )
        return TransportClosed(reason.code, text, local=local)

    def _closed_error(self) -> TransportClosed:
        # No close reason at all means the reader stopped without a close frame
        # (protocol error, crash): report it like a dropped connection.
        return self._close_info() or TransportClosed(ABNORMAL_CLOSURE, "", local=False)

    @property
    def close_code(self) -> int | None:
        """The close code once closed (or closing), else ``None``."""
        info = self._close_info()
        return None if info is None else info.code

    @property
    def close_reason(self) -> str:
        """The close reason once closed (``""`` when none or still open)."""
        info = self._close_info()
        return "" if info is None else info.reason

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

        The frame is queued for the writer task and written whole, in order,
        even if the caller is cancelled afterwards.  Then the caller waits while
        ``_OUTBOX_HIGH`` frames are pending, and only there can it be cancelled
        (like ``websockets`` cancelled in ``drain``: the frame is queued all the
        same).  Not a checkpoint otherwise: the session's ``submit`` is one.
        Raises :class:`TransportClosed` once the connection is closed (frames
        still queued then are not written).
        """
        kind = type(frame)
        if kind is not str and kind is not bytes:
            frame = check_frame(frame)
        if self._shutting_down or self._write_failed or self._ws.closed is not None:
            raise self._closed_error()
        outbox = self._outbox
        outbox.append(frame)
        if self._writer_idle:
            self._writer_idle = False
            self._writer_wakeup.set()
        if len(outbox) >= _OUTBOX_HIGH:
            await self._wait_for_writer(_OUTBOX_HIGH // 2)
            if self._write_failed:
                raise self._closed_error()

    async def _wait_for_writer(self, pending: int) -> None:
        """Until at most ``pending`` frames wait (or writing failed)."""
        while len(self._outbox) > pending and not self._write_failed:
            self._progress_wanted = True
            await self._progress.wait()

    async def _writer(self) -> None:
        """Write the outbox in order; runs as long as the connection."""
        outbox = self._outbox
        with self._writer_scope:
            while True:
                while outbox:
                    try:
                        await self._ws.send_message(outbox[0])
                    except (
                        ConnectionClosed,
                        trio.BrokenResourceError,
                        trio.ClosedResourceError,
                        OSError,
                    ):
                        self._write_failed = True
                        outbox.clear()
                    else:
                        outbox.popleft()
                    if self._progress_wanted:
                        self._progress_wanted = False
                        self._progress.set()
                        self._progress = trio.Event()
                    if self._write_failed:
                        return
                self._writer_idle = True
                await self._writer_wakeup.wait()
                self._writer_wakeup = trio.Event()

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
        (or ``close_timeout``), after which the TCP stream is closed forcefully.

        A second (or concurrent) call waits for the first one to finish.  If the
        peer closed first, its code and reason are kept: the later ``receive`` errors
        say what really happened.
        """
        check_close_code(code)
        if self._shutting_down:
            await self._closed.wait()
            return
        limit = self._options.close_timeout if close_timeout is None else close_timeout
        deadline = trio.current_time() + limit
        self._begin_close(code, clip_reason(reason))  # concurrent calls now wait for us
        try:
            with trio.move_on_at(deadline):
                await self._wait_for_writer(0)  # what callers sent goes out before the close
        finally:
            remaining = max(0.0, deadline - trio.current_time())
            await self._shutdown(code, clip_reason(reason), remaining)

    async def wait_closed(self) -> None:
        """Return once :meth:`aclose` (ours or the keepalive's) has finished."""
        await self._closed.wait()

    # -- internals ----------------------------------------------------------------

    def _begin_close(self, code: int, reason: str) -> None:
        self._shutting_down = True
        if self._close_info() is None:
            self._local = (code, reason)

    async def _shutdown(self, code: int, reason: str, close_timeout: float | None = None) -> None:
        self._keepalive_scope.cancel()
        self._writer_scope.cancel()
        self._write_failed = True  # writing is over: wake senders waiting for room
        self._progress.set()
        try:
            limit = self._options.close_timeout if close_timeout is None else close_timeout
            with trio.move_on_after(limit):
                # Sends the close frame, wakes any task blocked in get_message(),
                # then waits for the peer's close frame.
                await self._ws.aclose(code, reason or None)
        except (ConnectionClosed, trio.BrokenResourceError, trio.ClosedResourceError, OSError):
            pass  # the socket is already dead: nothing left to do gracefully
        finally:
            try:
                # trio-websocket leaves the TCP stream open after a peer-initiated
                # close and after its own 1009; closing it here also ends the reader.
                await trio.aclose_forcefully(self._stream)
            finally:
                self._reader_scope.cancel()
                self._closed.set()

    async def _keepalive(self) -> None:
        """Ping every ``ping_interval``; no pong within ``ping_timeout`` -> close 1011."""
        timed_out = False
        with self._keepalive_scope:
            timed_out = await self._ping_until_late()
        # A ping in flight when the peer closed never gets its pong: that is not a
        # keepalive failure, and closing now would discard unread messages.
        if timed_out and not self._shutting_down and self._ws.closed is None:
            self._begin_close(1011, _KEEPALIVE_REASON)
            await self._shutdown(1011, _KEEPALIVE_REASON)

    async def _ping_until_late(self) -> bool:
        interval = self._options.ping_interval
        assert interval is not None
        timeout = self._options.ping_timeout
        while True:
            await trio.sleep(interval)
            payload = b"live_actor:%d" % next(self._ping_ids)
            with trio.move_on_after(math.inf if timeout is None else timeout) as scope:
                try:
                    await self._ws.ping(payload)
                except ConnectionClosed:
                    return False
            if scope.cancelled_caught:
                return True


class _ReaderGuard:
    """Stands in for the ``trio.Nursery`` that ``wrap_client_stream`` wants.

    trio-websocket only calls ``nursery.start_soon(connection._reader_task)``.  We run
    that reader in our real nursery under a guard which

    * catches ``ConnectionRejected`` (a refused upgrade, raised *from the reader*,
      which would otherwise cancel every task in the nursery),
    * notices the reader ending before the handshake finished (TCP closed, protocol
      error), which trio-websocket would report only at the connect timeout,

    and in both cases cancels the dial so :func:`_dial` can report it at once.  After
    the handshake an unexpected reader crash is logged and swallowed: the reader
    closes its channel on the way out, so ``receive`` reports 1006 instead of the
    crash tearing down the caller's nursery.
    """

    def __init__(self, nursery: trio.Nursery, dial_scope: trio.CancelScope) -> None:
        self._nursery = nursery
        self._dial_scope = dial_scope
        # Set by _dial once it has its answer; after that the reader ending is the
        # connection's business, not a dial failure.
        self.dial_over = False
        self.rejected: ConnectionRejected | None = None
        self.ended_early = False
        # Shielded so that when the caller's scope is cancelled the reader still
        # sees the peer's reply to our close frame, keeping the (shielded) aclose()
        # graceful instead of waiting out close_timeout.  Whoever closes the stream
        # cancels this scope too, so the reader can never outlive the connection.
        self.reader_scope = trio.CancelScope(shield=True)

    def start_soon(
        self, async_fn: Callable[..., Awaitable[object]], *args: object, name: object = None
    ) -> None:
        self._nursery.start_soon(self._run, async_fn, *args, name=name)

    async def _run(self, async_fn: Callable[..., Awaitable[object]], *args: object) -> None:
        try:
            with self.reader_scope:
                await async_fn(*args)
        except ConnectionRejected as exc:
            self.rejected = exc
        except Exception as exc:
            # Type only: an exception's text could quote the request.
            _log.error("live_actor.transport.reader_crashed", error_type=type(exc).__name__)
        finally:
            if not self.dial_over:
                self.ended_early = True
                self._dial_scope.cancel()


def _describe(exc: BaseException) -> str:
    """A one-line description of a dial failure (OS and TLS errors carry no secrets)."""
    cause = exc.__cause__ if isinstance(exc, trio.BrokenResourceError) else None
    shown = cause if cause is not None else exc
    text = str(shown)
    return f"{type(shown).__name__}: {text}" if text else type(shown).__name__


async def _dial(
    nursery: trio.Nursery,
    url: str,
    target: WsTarget,
    headers: list[tuple[str, str]],
    options: TransportOptions,
) -> TrioWebsocketTransport:
    shown = redact_url(url)
    if not has_header(headers, "user-agent"):
        headers = [*headers, ("User-Agent", user_agent())]
    extra_headers = [(name.encode("ascii"), value.encode("ascii")) for name, value in headers]
    dial_scope = trio.move_on_after(options.connect_timeout)
    guard = _ReaderGuard(nursery, dial_scope)
    stream: trio.SocketStream | trio.SSLStream[trio.SocketStream] | None = None
    ws: trio_websocket.WebSocketConnection | None = None
    try:
        with dial_scope:
            if target.secure:
                ssl_stream = await trio.open_ssl_over_tcp_stream(
                    target.host,
                    target.port,
                    ssl_context=ssl.create_default_context(),
                    https_compatible=True,
                )
                stream = ssl_stream
                # Fail fast on certificate errors: inside trio-websocket's reader a
                # TLS failure would only surface as a connect timeout.
                await ssl_stream.do_handshake()
            else:
                stream = await trio.open_tcp_stream(target.host, target.port)
            ws = await trio_websocket.wrap_client_stream(
                cast(trio.Nursery, guard),
                stream,
                target.host_header,
                target.resource,
                extra_headers=extra_headers,
                message_queue_size=options.message_queue_size,
                max_message_size=options.max_message_size,
                receive_buffer_size=_RECEIVE_BUFFER_SIZE,
            )
    except (OSError, trio.BrokenResourceError) as exc:
        raise TransportConnectError(f"could not connect to {shown}: {_describe(exc)}") from exc
    finally:
        guard.dial_over = True
        if ws is None and stream is not None:
            try:
                await trio.aclose_forcefully(stream)
            finally:
                guard.reader_scope.cancel()
    if ws is None or stream is None:
        if guard.rejected is not None:
            status = guard.rejected.status_code
            message = refused_message(status, url, guard.rejected.body, secrets_of(headers, url))
            raise TransportConnectError(message, status=status)
        if guard.ended_early:
            raise TransportConnectError(
                f"connection to {shown} closed during the WebSocket handshake"
            )
        raise TransportConnectError(
            f"timed out connecting to {shown} after {options.connect_timeout:g}s"
        )
    return TrioWebsocketTransport(ws, stream, guard.reader_scope, url, options)


def _sole_exception(group: BaseExceptionGroup[BaseException]) -> BaseException | None:
    """The one exception a nursery wrapped, if it wrapped exactly one."""
    if len(group.exceptions) == 1:
        return group.exceptions[0]
    others = [exc for exc in group.exceptions if not isinstance(exc, trio.Cancelled)]
    return others[0] if len(others) == 1 else None


@asynccontextmanager
async def open_trio_transport(
    url: str, headers: Mapping[str, str], options: TransportOptions
) -> AsyncIterator[TrioWebsocketTransport]:
    """Connect under trio; the connection's tasks live exactly as long as the block.

    On exit the transport is closed (``aclose()``, shielded, bounded by
    ``close_timeout``).  Exceptions from the block come out unchanged, not wrapped in
    the ``ExceptionGroup`` our internal nursery would add.
    """
    target = parse_ws_url(url)
    checked = check_headers(headers)
    if options.compression:
        _log.info("live_actor.transport.compression_unsupported", backend="trio")
    try:
        async with trio.open_nursery() as nursery:
            transport = await _dial(nursery, url, target, checked, options)
            nursery.start_soon(transport._writer)
            if options.ping_interval is not None:
                nursery.start_soon(transport._keepalive)
            try:
                yield transport
            finally:
                with trio.CancelScope(shield=True):
                    await transport.aclose()
    except BaseExceptionGroup as group:
        sole = _sole_exception(group)
        if sole is None:
            raise
        # Re-raise the exception itself, keeping its own context rather than
        # chaining it to the group that contains it.
        context = sole.__context__
        try:
            raise sole
        finally:
            sole.__context__ = context
            del sole, context


async def connect_trio(
    url: str,
    headers: Mapping[str, str],
    options: TransportOptions,
    task_group: anyio.abc.TaskGroup | trio.Nursery,
) -> TrioWebsocketTransport:
    """Connect in a task of ``task_group`` (a ``trio.Nursery`` or anyio ``TaskGroup``).

    The task holds the connection open until :meth:`TrioWebsocketTransport.aclose`;
    the caller must call it, or ``task_group`` never finishes.  Connect errors are
    raised here, not in ``task_group``.
    """

    async def host(*, task_status: trio.TaskStatus[TrioWebsocketTransport]) -> None:
        async with open_trio_transport(url, headers, options) as transport:
            task_status.started(transport)
            await transport.wait_closed()

    transport = await task_group.start(host)
    return cast(TrioWebsocketTransport, transport)
