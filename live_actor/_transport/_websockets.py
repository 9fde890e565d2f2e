"""The asyncio backend: ``websockets`` (the same library google-genai uses).

``websockets`` already does keepalive, close timeouts and size limits; this module
only sets them from :class:`TransportOptions` (its defaults, 1 MiB and 20 s / 20 s
pings, are wrong for Live sessions), turns its exceptions into the seam's two, and
never lets its URL or header errors (which quote the API key) escape.

Proxies: ``websockets`` honours the ``HTTPS_PROXY``/``ALL_PROXY`` environment
variables by default and we keep that; the trio backend has no proxy support.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

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

from live_actor._transport._base import (
    ABNORMAL_CLOSURE,
    TransportClosed,
    TransportConnectError,
    TransportOptions,
    check_close_code,
    check_frame,
    check_headers,
    clip_reason,
    has_header,
    parse_ws_url,
    redact_url,
    refused_message,
    scrub,
    secrets_of,
    user_agent,
)

__all__ = ["WebsocketsTransport", "connect_websockets", "open_websockets_transport"]


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


class WebsocketsTransport:
    """A :class:`~live_actor._transport._base.Transport` over a ``websockets`` client.

    Create it with :func:`open_websockets_transport` or :func:`connect_websockets`.
    """

    #: whole frames are buffered before any suspension (see ``Transport``).
    cancel_safe_send = True

    def __init__(self, conn: ClientConnection, url: str, options: TransportOptions) -> None:
        self._conn = conn
        self._url = redact_url(url)
        self._options = options
        self._local: tuple[int, str] | None = None
        self._shutting_down = False

    def __repr__(self) -> str:
        state = "open" if self.close_code is None else f"closed {self.close_code}"
        return f"<WebsocketsTransport {self._url} {state}>"

    def _close_info(self) -> TransportClosed | None:
        if self._local is not None:
            return TransportClosed(*self._local, local=True)
        if self._conn.state in (State.CONNECTING, State.OPEN):
            return None
        protocol = self._conn.protocol
        return _classify(protocol.close_rcvd, protocol.close_sent, protocol.close_rcvd_then_sent)

    def _closed_error(self, exc: ConnectionClosed | None = None) -> TransportClosed:
        if self._local is None and exc is not None:
            return _classify(exc.rcvd, exc.sent, exc.rcvd_then_sent)
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
        protocol = self._conn.protocol
        return (
            protocol.close_sent is not None
            and protocol.close_rcvd is not None
            and not protocol.close_rcvd_then_sent
        )

    async def send(self, frame: str | bytes) -> None:
        """Send ``frame`` as one text (``str``) or binary (``bytes``) message."""
        kind = type(frame)
        if kind is not str and kind is not bytes:
            frame = check_frame(frame)
        if self._shutting_down:
            raise self._closed_error()
        try:
            await self._conn.send(frame)
        except ConnectionClosed as exc:
            raise self._closed_error(exc) from None

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
        (or ``close_timeout``), after which the TCP connection is aborted.

        ``websockets``' own ``close()`` is idempotent and waits for the first call to
        finish; if the peer closed first its code and reason are kept.
        """
        check_close_code(code)
        reason = clip_reason(reason)
        if not self._shutting_down:
            self._shutting_down = True
            if self._close_info() is None:
                self._local = (code, reason)
        try:
            # Bounded by close_timeout inside websockets; the outer bound only
            # guards against a stuck write buffer.
            limit = (
                self._options.close_timeout + 1.0 if close_timeout is None else close_timeout
            )
            with anyio.move_on_after(limit):
                await self._conn.close(code, reason)
        except (ConnectionClosed, OSError):
            pass  # already dead: nothing left to do gracefully
        finally:
            if self._conn.state is not State.CLOSED:
                # Timed out or cancelled: drop the TCP connection rather than leak it.
                self._conn.transport.abort()

    async def wait_closed(self) -> None:
        """Return once the TCP connection is closed."""
        await self._conn.wait_closed()


async def connect_websockets(
    url: str, headers: Mapping[str, str], options: TransportOptions
) -> WebsocketsTransport:
    """Open a ``websockets`` connection; the caller must ``aclose`` the transport."""
    parse_ws_url(url)  # our errors show only the redacted URL
    checked = check_headers(headers)
    shown = redact_url(url)
    try:
        conn = await ws_connect(
            url,
            additional_headers=checked,
            # websockets uses setdefault, but say it explicitly: the caller's wins.
            user_agent_header=None if has_header(checked, "user-agent") else user_agent(),
            compression="deflate" if options.compression else None,
            open_timeout=options.connect_timeout,
            close_timeout=options.close_timeout,
            ping_interval=options.ping_interval,
            ping_timeout=options.ping_timeout,
            max_size=options.max_message_size,
            max_queue=options.message_queue_size,
        )
    except InvalidStatus as exc:
        status = exc.response.status_code
        message = refused_message(status, url, bytes(exc.response.body), secrets_of(checked, url))
        raise TransportConnectError(message, status=status) from None
    except TimeoutError:
        raise TransportConnectError(
            f"timed out connecting to {shown} after {options.connect_timeout:g}s"
        ) from None
    except (InvalidURI, InvalidProxy) as exc:
        # Their text quotes the URL (ours or the proxy's, credentials included).
        raise TransportConnectError(f"cannot connect to {shown}: {type(exc).__name__}") from None
    except InvalidHandshake as exc:
        text = scrub(str(exc), secrets_of(checked, url))
        raise TransportConnectError(
            f"WebSocket handshake with {shown} failed: {type(exc).__name__}: {text}"
        ) from exc
    except OSError as exc:
        raise TransportConnectError(
            f"could not connect to {shown}: {type(exc).__name__}: {exc}"
        ) from exc
    return WebsocketsTransport(conn, url, options)


@asynccontextmanager
async def open_websockets_transport(
    url: str, headers: Mapping[str, str], options: TransportOptions
) -> AsyncIterator[WebsocketsTransport]:
    """Connect under asyncio; on exit the transport is closed (shielded, bounded)."""
    transport = await connect_websockets(url, headers, options)
    try:
        yield transport
    finally:
        with anyio.CancelScope(shield=True):
            await transport.aclose()
