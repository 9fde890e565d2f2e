"""The trio backend's dial: TCP (and TLS), the WebSocket upgrade, and clear errors.

What this module adds on top of trio-websocket, and why:

* **Lifetime.** trio-websocket's reader runs in a nursery that must outlive the
  connection, so the primary API is the async context manager
  :func:`open_trio_transport`, which owns that nursery.  :func:`connect_trio` runs the
  same context manager in a task of a caller-supplied nursery / task group.
* **Prompt, clear connect errors.** trio-websocket reports a refused upgrade by
  raising from its reader task into the nursery, waits for the whole body of the
  refusal first (growing it by concatenation), and notices a connection closed
  (or a TLS failure, or a bad ``Sec-WebSocket-Accept``) during the handshake only
  at the connect timeout, or as a crash of its reader.  Here the reader runs
  through :class:`_ReaderGuard` on a :class:`_ClientConnection` that keeps at
  most ``_REJECT_BODY_LIMIT`` bytes of a refusal's body and reports the refusal
  as soon as it has them; every failure becomes a :class:`TransportConnectError`
  at once.  The TLS handshake is done before the upgrade, bounded by
  ``connect_timeout``, and a certificate that fails verification is
  ``permanent``.
* **Sizes.** ``max_message_size`` and ``message_queue_size`` are set explicitly
  (library defaults: 1 MiB and 1; a queue of 1 stops the reader, and with it the
  answers to the server's pings, whenever one message waits), and a 64 KiB read
  buffer instead of 4 KiB keeps multi-megabyte messages cheap.
* **Secrets.** The URL and headers stay in a :class:`~live_actor._redact.Dial`
  until the call that sends them; errors are raised ``from None`` so no library
  frame holding them is chained to what the caller sees.

``TransportOptions.compression`` is ignored here: trio-websocket cannot negotiate
permessage-deflate.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Final, Protocol, cast

import anyio
import anyio.abc
import trio
import trio_websocket
import wsproto.events
from trio_websocket import ConnectionRejected
from wsproto import ConnectionType, WSConnection

from live_actor._log import get_logger
from live_actor._redact import Dial, redact_text
from live_actor._transport._base import (
    Transport,
    TransportConnectError,
    TransportOptions,
    refused_message,
)
from live_actor._transport._trio_scope import run_connection
from live_actor._transport._trio_stream import WatchedStream
from live_actor._transport._trio_ws import TrioWebsocketTransport
from live_actor._version import USER_AGENT

__all__ = ["connect_trio", "open_trio_transport"]


class _ClosableTransport(Transport, Protocol):
    async def wait_closed(self) -> None: ...


_RECEIVE_BUFFER_SIZE: Final = 64 * 1024
#: Bytes of a refused upgrade's body kept to explain the refusal.
_REJECT_BODY_LIMIT: Final = 64 * 1024


class _HandshakeFailed(Exception):
    """The server's answer to the upgrade is not a valid WebSocket handshake."""


class _ClientConnection(trio_websocket.WebSocketConnection):
    """trio-websocket's connection with a bounded, linear read of a refusal's body,
    and handshake errors raised as :class:`_HandshakeFailed` instead of crashing
    its reader (it tries to *send* a rejection, which a client cannot)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        #: the wsproto connection we created and handed over (framing for direct writes).
        self.wsproto = args[1]
        self.reject_parts: list[bytes] = []
        self.reject_size = 0
        self.reject_truncated = False
        # Only until the handshake is over: every later frame goes straight to
        # trio-websocket's own _send, without a layer of ours.
        self._send = self._send_in_handshake  # type: ignore[method-assign]

    def handshake_done(self) -> None:
        del self._send

    @property
    def reject_status(self) -> int:
        return self._reject_status

    async def _handle_reject_data_event(self, event: wsproto.events.RejectData) -> None:
        room = _REJECT_BODY_LIMIT - self.reject_size
        data = bytes(event.data)
        if len(data) > room:
            data = data[:room]
            self.reject_truncated = True
        self.reject_parts.append(data)
        self.reject_size += len(data)
        if event.body_finished or self.reject_truncated:
            raise ConnectionRejected(
                self._reject_status, self._reject_headers, body=b"".join(self.reject_parts)
            )

    async def _send_in_handshake(self, event: wsproto.events.Event) -> None:
        if isinstance(event, wsproto.events.RejectConnection):
            # wsproto's hint after a RemoteProtocolError in the handshake: the
            # error is this exception's __context__.
            raise _HandshakeFailed
        await trio_websocket.WebSocketConnection._send(self, event)


class _ReaderGuard:
    """Stands in for the ``trio.Nursery`` trio-websocket's reader wants.

    The reader runs in our real nursery under a guard which records a refused
    upgrade, a handshake error or the reader ending before the handshake
    finished, and then cancels the dial so :func:`_dial` can report it at once.
    After the handshake an unexpected reader crash is logged (its type only: an
    exception's text could quote the request) and swallowed: the reader closes
    its channel on the way out, so ``receive`` reports 1006 instead of the crash
    tearing down the caller's nursery.
    """

    def __init__(self, nursery: trio.Nursery, dial_scope: trio.CancelScope) -> None:
        self._nursery = nursery
        self._dial_scope = dial_scope
        # Set by _dial once it has its answer; after that the reader ending is the
        # connection's business, not a dial failure.
        self.dial_over = False
        self.rejected: ConnectionRejected | None = None
        self.failure: str | None = None
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
        except _HandshakeFailed as exc:
            self.failure = f"invalid handshake response: {exc.__context__}"
        except Exception as exc:
            if self.dial_over:
                get_logger().error(
                    "live_actor.transport.reader_crashed", error_type=type(exc).__name__
                )
            else:
                self.failure = f"the WebSocket reader failed: {type(exc).__name__}"
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


def _certificate_error(exc: BaseException) -> ssl.SSLCertVerificationError | None:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _dial_error(dial: Dial, exc: BaseException) -> TransportConnectError:
    """What to raise when TCP or TLS failed (the caller raises it ``from None``)."""
    bad_certificate = _certificate_error(exc)
    if bad_certificate is not None:
        return TransportConnectError(
            f"TLS certificate of {dial.shown} failed verification: "
            f"{bad_certificate.verify_message or bad_certificate}; pass "
            "TransportOptions(ssl_context=...) for a private CA",
            permanent=True,
        )
    return TransportConnectError(
        f"could not connect to {dial.shown}: {redact_text(_describe(exc), dial.secrets())}"
    )


async def _open_stream(dial: Dial, options: TransportOptions) -> trio.abc.Stream:
    target = dial.target
    if not target.secure:
        return await trio.open_tcp_stream(target.host, target.port)
    context = options.ssl_context or ssl.create_default_context()
    tls = await trio.open_ssl_over_tcp_stream(
        target.host, target.port, ssl_context=context, https_compatible=True
    )
    try:
        # Fail fast on certificate errors: inside trio-websocket's reader a TLS
        # failure would only surface as a connect timeout.
        await tls.do_handshake()
    except BaseException:
        await trio.aclose_forcefully(tls)
        raise
    return tls


async def _dial(
    nursery: trio.Nursery, dial: Dial, options: TransportOptions
) -> TrioWebsocketTransport:
    dial_scope = trio.move_on_after(options.connect_timeout)
    guard = _ReaderGuard(nursery, dial_scope)
    stream: WatchedStream | None = None
    ws: _ClientConnection | None = None
    opened = False
    try:
        with dial_scope:
            stream = WatchedStream(await _open_stream(dial, options))
            ws = _ClientConnection(
                stream,
                WSConnection(ConnectionType.CLIENT),
                host=dial.target.host_header,
                path=dial.target.resource,
                client_extra_headers=[
                    (name.encode("ascii"), value.encode("ascii"))
                    for name, value in (
                        dial.headers
                        if dial.has_header("user-agent")
                        else [*dial.headers, ("User-Agent", USER_AGENT)]
                    )
                ],
                message_queue_size=options.message_queue_size,
                max_message_size=options.max_message_size,
                receive_buffer_size=_RECEIVE_BUFFER_SIZE,
            )
            guard.start_soon(ws._reader_task)
            await ws._open_handshake.wait()
            ws.handshake_done()
            opened = True
    except (OSError, trio.BrokenResourceError) as exc:
        error: TransportConnectError | None = _dial_error(dial, exc)
        del exc
    else:
        error = None
    finally:
        guard.dial_over = True
        if not opened:
            try:
                if stream is not None:
                    await trio.aclose_forcefully(stream)
            finally:
                guard.reader_scope.cancel()
    if error is None and (not opened or ws is None or stream is None):
        error = _unopened_error(dial, guard, ws, options)
    if error is not None:
        raise error from None
    assert ws is not None and stream is not None
    return TrioWebsocketTransport(ws, stream, guard.reader_scope, dial.shown, options)


def _unopened_error(
    dial: Dial, guard: _ReaderGuard, ws: _ClientConnection | None, options: TransportOptions
) -> TransportConnectError:
    """Why the handshake did not complete (built here so that the refusal's body,
    which may echo our headers, is no local of the frame that raises)."""
    status = guard.rejected.status_code if guard.rejected is not None else 0
    if not status and ws is not None:
        status = ws.reject_status  # the refusal's head arrived, its body did not finish
    if status:
        assert ws is not None
        body = b"".join(ws.reject_parts)
        truncated = ws.reject_truncated or guard.rejected is None
        message = refused_message(status, dial.url, body, dial.secrets(), truncated=truncated)
        return TransportConnectError(message, status=status)
    if guard.failure is not None:
        return TransportConnectError(
            f"WebSocket handshake with {dial.shown} failed: "
            f"{redact_text(guard.failure, dial.secrets())}"
        )
    if guard.ended_early:
        return TransportConnectError(
            f"connection to {dial.shown} closed during the WebSocket handshake"
        )
    return TransportConnectError(
        f"timed out connecting to {dial.shown} after {options.connect_timeout:g}s"
    )


@asynccontextmanager
async def open_trio_transport(
    dial: Dial, options: TransportOptions
) -> AsyncIterator[TrioWebsocketTransport]:
    """Connect under trio; the connection's tasks live exactly as long as the block.

    On exit the transport is closed (``aclose()``, shielded, bounded by
    ``close_timeout``; at once when the block was cancelled).  Exceptions from the
    block come out unchanged, not wrapped in the ``ExceptionGroup`` our internal
    nursery would add.
    """
    if options.compression:
        get_logger().info("live_actor.transport.compression_unsupported", backend="trio")
    async with run_connection(
        lambda nursery: _dial(nursery, dial, options), keepalive=options.ping_interval is not None
    ) as transport:
        yield transport


async def connect_trio(
    dial: Dial,
    options: TransportOptions,
    task_group: anyio.abc.TaskGroup | trio.Nursery,
    opener: Callable[
        [Dial, TransportOptions], AbstractAsyncContextManager[_ClosableTransport]
    ] = open_trio_transport,
) -> Transport:
    """Connect in a task of ``task_group`` (a ``trio.Nursery`` or anyio ``TaskGroup``).

    The task holds the connection open until the transport's ``aclose``; the
    caller must call it, or ``task_group`` never finishes.  Connect errors are
    raised here, not in ``task_group``.  ``opener`` is the backend's context
    manager (trio-websocket's by default).
    """

    async def host(*, task_status: trio.TaskStatus[Transport]) -> None:
        async with opener(dial, options) as transport:
            task_status.started(transport)
            await transport.wait_closed()

    transport = await task_group.start(host)
    return cast(Transport, transport)
