"""The asyncio backend: ``websockets`` (the same library google-genai uses).

``websockets`` already does keepalive, close timeouts and size limits; this module
sets them from :class:`TransportOptions` (its defaults, 1 MiB and 20 s / 20 s
pings, are wrong for Live sessions), turns its exceptions into the seam's two, and
never lets its URL or header errors (which quote the API key) escape.  It adds:

* **Wait for room, then write.** ``websockets``' ``send`` writes the frame and
  then waits for the buffer to drain; a sender cancelled in that wait has still
  handed its frame over, and a caller that retries piles frame after frame into
  an unbounded buffer.  :meth:`WebsocketsTransport.send` waits for room first
  (the buffer below ``write_buffer_size``) and then writes without suspending:
  cancelled, it handed nothing over.
* **Stalled peers.** When the write buffer stays full for ``stall_timeout`` (the
  peer stopped reading) the connection is aborted and reported as
  ``TransportClosed(1011, ..., local=True)``.  ``websockets``' keepalive cannot
  see this: its ping waits in the same full buffer before its timeout starts.
* **A bounded close.** :meth:`WebsocketsTransport.aclose` never takes longer than
  its ``close_timeout``, even against a peer that reads nothing.
* **Redacted logs.** ``websockets`` logs the upgrade request at DEBUG, headers and
  ``?key=`` included; it gets a :class:`~live_actor._redact.RedactingLogger`.
* **No redirects.** A redirect would carry the ``x-goog-api-key`` header to
  whatever host it names; a 3xx is reported as a refused upgrade instead.

Proxies: ``websockets`` honours the ``HTTPS_PROXY``/``ALL_PROXY`` environment
variables by default and we keep that; the trio backend has no proxy support.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any, Final

import anyio
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import (
    ConnectionClosed,
    InvalidHandshake,
    InvalidProxy,
    InvalidStatus,
    InvalidURI,
)
from websockets.frames import Close
from websockets.protocol import State

from live_actor._redact import Dial, RedactingLogger, redact_text
from live_actor._transport._base import (
    ABNORMAL_CLOSURE,
    CloseInfo,
    TransportClosed,
    TransportConnectError,
    TransportOptions,
    check_close_code,
    check_frame,
    clip_reason,
    refused_message,
    stall_reason,
)
from live_actor._version import USER_AGENT

__all__ = ["WebsocketsTransport", "connect_websockets", "open_websockets_transport"]

_LOGGER: Final = logging.getLogger("websockets.client")
#: Bytes of a refused upgrade's body kept to explain the refusal.
_REFUSAL_BODY: Final = 64 * 1024
_REFUSAL_HEAD: Final = 64 * 1024


def _classify(
    rcvd: Close | None, sent: Close | None, rcvd_then_sent: bool | None
) -> TransportClosed:
    """Normalise websockets' view of a closed connection.

    Whoever sent the first close frame decides the code.  ``websockets`` fails the
    connection itself with a close frame of its own (1009 message too big, 1011
    keepalive ping timeout, 1002 protocol error); those count as local, like our
    ``aclose``.  No close frame either way is 1006.
    """
    if sent is not None and (rcvd is None or rcvd_then_sent is False):
        return TransportClosed(sent.code, sent.reason, local=True)
    if rcvd is not None:
        return TransportClosed(rcvd.code, rcvd.reason, local=False)
    return TransportClosed(ABNORMAL_CLOSURE, "", local=False)


class RefusalSnoop:
    """Reads the start of the server's answer to the upgrade alongside websockets.

    ``websockets`` reports a refused upgrade only once the whole body has
    arrived, which a server announcing megabytes (or sending them slowly) turns
    into a connect timeout.  This notes the status and the first
    ``_REFUSAL_BODY`` bytes of the body; :meth:`feed` says when that much has
    arrived, so the caller can drop the connection and report the refusal.
    """

    __slots__ = ("_answer", "active", "refusal")

    def __init__(self) -> None:
        self._answer = bytearray()
        #: Still reading the answer's head (false once it is a 101 or unreadable).
        self.active = True
        #: ``(status, body so far, truncated)`` once a non-101 status arrived.
        self.refusal: tuple[int, bytes, bool] | None = None

    def feed(self, data: bytes | bytearray) -> bool:
        answer = self._answer
        answer += data
        head_end = answer.find(b"\r\n\r\n")
        if head_end < 0:
            if len(answer) > _REFUSAL_HEAD:
                self.active = False  # not an HTTP answer we can explain
            return False
        try:
            status = int(answer[: answer.find(b"\r\n")].split()[1])
        except (IndexError, ValueError):
            status = 0
        if status in (0, 101):
            self.active = False
            return False
        body = bytes(answer[head_end + 4 : head_end + 4 + _REFUSAL_BODY])
        full = len(body) >= _REFUSAL_BODY
        self.refusal = (status, body, full)
        if full:
            self.active = False
        return full


class _WatchedConnection(ClientConnection):
    """``ClientConnection`` that drops the connection when the write buffer stays
    above its high-water mark for ``stall_timeout`` (asyncio's flow control
    calls ``pause_writing`` / ``resume_writing`` at the marks)."""

    def __init__(
        self,
        *args: Any,
        stall_timeout: float | None = None,
        created: list[_WatchedConnection] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.stall_timeout = stall_timeout
        self.stalled = False
        self._stall_timer: asyncio.TimerHandle | None = None
        self.snoop = RefusalSnoop()
        if created is not None:
            created.append(self)

    def data_received(self, data: bytes) -> None:
        if self.snoop.active and self.snoop.feed(data):
            self.transport.abort()  # enough of a refusal: report it now
        super().data_received(data)

    @property
    def refusal(self) -> tuple[int, bytes, bool] | None:
        return self.snoop.refusal

    def pause_writing(self) -> None:
        super().pause_writing()
        if self.stall_timeout is not None and self._stall_timer is None:
            self._stall_timer = self.loop.call_later(self.stall_timeout, self._stall)

    def resume_writing(self) -> None:
        super().resume_writing()
        self._cancel_stall_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_stall_timer()
        super().connection_lost(exc)

    def _cancel_stall_timer(self) -> None:
        if self._stall_timer is not None:
            self._stall_timer.cancel()
            self._stall_timer = None

    def _stall(self) -> None:
        self._stall_timer = None
        self.stalled = True
        self.transport.abort()


class _Connect(ws_connect):
    """``websockets.connect`` that never follows a redirect (it would send our
    credentials to the host the redirect names)."""

    def process_redirect(self, exc: Exception) -> Exception | str:
        return exc


class WebsocketsTransport(CloseInfo):
    """A :class:`~live_actor._transport._base.Transport` over a ``websockets`` client.

    Create it with :func:`open_websockets_transport` or :func:`connect_websockets`.
    """

    #: cancelled in ``send``: nothing handed over, connection usable (see ``Transport``).
    cancel_safe_send = True

    def __init__(self, conn: _WatchedConnection, shown_url: str, options: TransportOptions) -> None:
        self._conn = conn
        self._url = shown_url
        self._options = options
        self._local: tuple[int, str] | None = None
        self._shutting_down = False

    def __repr__(self) -> str:
        state = "open" if self.close_code is None else f"closed {self.close_code}"
        return f"<WebsocketsTransport {self._url} {state}>"

    def _close_info(self) -> TransportClosed | None:
        if self._local is not None:
            return TransportClosed(*self._local, local=True)
        conn = self._conn
        if conn.stalled:
            return TransportClosed(1011, stall_reason(conn.stall_timeout or 0.0), local=True)
        if conn.state in (State.CONNECTING, State.OPEN):
            return None
        protocol = conn.protocol
        return _classify(protocol.close_rcvd, protocol.close_sent, protocol.close_rcvd_then_sent)

    def _closed_error(self, exc: ConnectionClosed | None = None) -> TransportClosed:
        if self._local is None and not self._conn.stalled and exc is not None:
            return _classify(exc.rcvd, exc.sent, exc.rcvd_then_sent)
        return self._close_info() or TransportClosed(ABNORMAL_CLOSURE, "", local=False)

    @property
    def close_acknowledged(self) -> bool:
        """Did the peer answer our close frame (see ``Transport``)?"""
        protocol = self._conn.protocol
        return (
            protocol.close_sent is not None
            and protocol.close_rcvd is not None
            and not protocol.close_rcvd_then_sent
        )

    async def send(self, frame: str | bytes) -> None:
        """Send ``frame`` as one text (``str``) or binary (``bytes``) message.

        Waits while the write buffer is full (cancelled there, nothing was
        handed over), then writes the frame without suspending.
        """
        kind = type(frame)
        if kind is not str and kind is not bytes:
            frame = check_frame(frame)
        if self._shutting_down:
            raise self._closed_error()
        conn = self._conn
        if conn.paused:
            with contextlib.suppress(Exception):  # the connection died: reported below
                await conn.drain()  # until the buffer is back under its low-water mark
            if self._shutting_down:
                raise self._closed_error()
        protocol = conn.protocol
        if protocol.state is not State.OPEN or conn.transport.is_closing():
            try:
                await conn.send(frame)  # raises ConnectionClosed, once the close is complete
            except ConnectionClosed as exc:
                raise self._closed_error(exc) from None
            raise self._closed_error()  # pragma: no cover - send() cannot succeed here
        if kind is str:
            protocol.send_text(frame.encode())  # type: ignore[union-attr]
        else:
            protocol.send_binary(frame)  # type: ignore[arg-type]
        write = conn.transport.write
        for data in protocol.data_to_send():
            write(data)

    async def receive(self) -> str | bytes:
        """Return the next message; :class:`TransportClosed` once closed."""
        if self._shutting_down:
            raise self._closed_error()
        try:
            return await self._conn.recv()
        except ConnectionClosed as exc:
            raise self._closed_error(exc) from None

    async def aclose(
        self, code: int = 1000, reason: str = "", *, close_timeout: float | None = None
    ) -> None:
        """Close with ``code``/``reason``; idempotent, bounded by ``close_timeout``
        (the argument, else the option), after which the TCP connection is aborted.

        ``websockets``' own ``close()`` is idempotent and waits for the first call to
        finish; if the peer closed first its code and reason are kept.
        """
        check_close_code(code)
        reason = clip_reason(reason)
        conn = self._conn
        if not self._shutting_down:
            self._shutting_down = True
            if self._close_info() is None:
                self._local = (code, reason)
        limit = self._options.close_timeout if close_timeout is None else max(0.0, close_timeout)
        try:
            if limit > 0:
                conn.close_timeout = limit
                with anyio.move_on_after(limit):
                    await conn.close(code, reason)
            elif conn.protocol.state is State.OPEN and not conn.transport.is_closing():
                # No time to wait: the close frame goes out if the socket takes it now.
                conn.protocol.send_close(code, reason)
                for data in conn.protocol.data_to_send():
                    if data:
                        conn.transport.write(data)
        except (ConnectionClosed, OSError):
            pass  # already dead: nothing left to do gracefully
        finally:
            if conn.state is not State.CLOSED:
                # Timed out, cancelled or no time given: drop the TCP connection.
                conn.transport.abort()

    async def wait_closed(self) -> None:
        """Return once the TCP connection is closed."""
        await self._conn.wait_closed()


def _connect_error(
    dial: Dial,
    exc: BaseException,
    options: TransportOptions,
    refusal: tuple[int, bytes, bool] | None,
) -> TransportConnectError:
    """What to raise for whatever ``websockets.connect`` raised: a text with no
    secret.  Built here, raised by the caller ``from None`` once it dropped
    ``exc``: neither the library's frames (which hold the headers) nor a local
    holding the server's answer (which may echo them) reaches a traceback."""
    shown = dial.shown
    if refusal is not None and not isinstance(exc, InvalidStatus):
        # The server refused; the rest of its answer never came (or was too long).
        status, body, truncated = refusal
        return TransportConnectError(
            refused_message(status, dial.url, body, dial.secrets(), truncated=truncated),
            status=status,
        )
    if isinstance(exc, InvalidStatus):
        status = exc.response.status_code
        body = bytes(exc.response.body or b"")
        return TransportConnectError(
            refused_message(status, dial.url, body, dial.secrets()), status=status
        )
    if isinstance(exc, TimeoutError):
        return TransportConnectError(
            f"timed out connecting to {shown} after {options.connect_timeout:g}s"
        )
    if isinstance(exc, InvalidURI | InvalidProxy):
        # Their text quotes the URL (ours or the proxy's, credentials included).
        return TransportConnectError(
            f"cannot connect to {shown}: {type(exc).__name__} (the URL or the proxy URL "
            "from HTTPS_PROXY/ALL_PROXY is malformed)",
            permanent=True,
        )
    if isinstance(exc, ImportError):
        return TransportConnectError(
            f"cannot connect to {shown}: a SOCKS proxy is configured (ALL_PROXY/HTTPS_PROXY) "
            "and connecting through it needs the python-socks package: "
            "pip install python-socks",
            permanent=True,
        )
    if isinstance(exc, ssl.SSLCertVerificationError):
        return TransportConnectError(
            f"TLS certificate of {shown} failed verification: {exc.verify_message or exc}; "
            "pass TransportOptions(ssl_context=...) for a private CA",
            permanent=True,
        )
    text = redact_text(f"{type(exc).__name__}: {exc}", dial.secrets())
    if isinstance(exc, InvalidHandshake):
        return TransportConnectError(f"WebSocket handshake with {shown} failed: {text}")
    return TransportConnectError(f"could not connect to {shown}: {text}")


async def connect_websockets(dial: Dial, options: TransportOptions) -> WebsocketsTransport:
    """Open a ``websockets`` connection; the caller must ``aclose`` the transport."""
    tls: dict[str, Any] = {"ssl": options.ssl_context or True} if dial.target.secure else {}
    created: list[_WatchedConnection] = []
    try:
        conn = await _Connect(
            dial.url,
            additional_headers=dial.headers,
            # websockets uses setdefault, but say it explicitly: the caller's wins.
            user_agent_header=None if dial.has_header("user-agent") else USER_AGENT,
            compression="deflate" if options.compression else None,
            open_timeout=options.connect_timeout,
            close_timeout=options.close_timeout,
            ping_interval=options.ping_interval,
            ping_timeout=options.ping_timeout,
            max_size=options.max_message_size,
            max_queue=options.message_queue_size,
            write_limit=options.write_buffer_size,
            logger=RedactingLogger(_LOGGER, dial.secrets()),
            create_connection=partial(  # type: ignore[arg-type]
                _WatchedConnection, stall_timeout=options.stall_timeout, created=created
            ),
            **tls,
        )
    except (OSError, InvalidHandshake, InvalidURI, InvalidProxy, ImportError, TimeoutError) as exc:
        error = _connect_error(dial, exc, options, created[-1].refusal if created else None)
        del exc, created
        raise error from None
    assert isinstance(conn, _WatchedConnection)
    return WebsocketsTransport(conn, dial.shown, options)


@asynccontextmanager
async def open_websockets_transport(
    dial: Dial, options: TransportOptions
) -> AsyncIterator[WebsocketsTransport]:
    """Connect under asyncio; on exit the transport is closed (shielded, bounded by
    ``close_timeout``; at once when the block was cancelled)."""
    transport = await connect_websockets(dial, options)
    prompt = False
    try:
        yield transport
    except asyncio.CancelledError:
        prompt = True
        raise
    finally:
        with anyio.CancelScope(shield=True):
            await transport.aclose(close_timeout=0 if prompt else None)
