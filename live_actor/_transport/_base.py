"""The transport seam: what the connection actor needs from a WebSocket, and nothing more.

The actor above only moves whole messages, so the seam is three coroutines
(:meth:`Transport.send`, :meth:`Transport.receive`, :meth:`Transport.aclose`) plus the
close code and reason once the socket is gone.  Everything library-specific (how
trio-websocket and ``websockets`` report closes, refused upgrades, timeouts) is
normalised here into two exceptions, :class:`TransportClosed` and
:class:`TransportConnectError`, so the supervisor can classify exits the same way on
every backend.

Secrets: the upgrade request carries ``x-goog-api-key`` / ``Authorization`` headers and
sometimes ``?key=`` / ``?access_token=`` in the URL.  Nothing in this package puts a
header value or an unredacted query string into an exception, a repr or a log event;
URLs are shown only through :func:`redact_url`.
"""

from __future__ import annotations

import ssl
from typing import Final, Literal, Protocol, runtime_checkable

import attrs

from live_actor._redact import (
    REDACTED,
    WsTarget,
    body_excerpt,
    check_headers,
    has_header,
    parse_ws_url,
    redact_url,
    scrub,
    secrets_of,
)
from live_actor._validators import at_least, instance_of, one_of, positive

__all__ = [
    "ABNORMAL_CLOSURE",
    "MIN_MAX_MESSAGE_SIZE",
    "REDACTED",
    "CloseInfo",
    "Transport",
    "TransportClosed",
    "TransportConnectError",
    "TransportOptions",
    "WsTarget",
    "body_excerpt",
    "check_close_code",
    "check_frame",
    "check_headers",
    "clip_reason",
    "has_header",
    "parse_ws_url",
    "redact_url",
    "refused_message",
    "scrub",
    "secrets_of",
    "stall_reason",
]

#: The Live API sends whole turns of audio/transcripts in one message; 16 MiB is the
#: floor below which real sessions have been seen to die with 1009.
MIN_MAX_MESSAGE_SIZE: Final = 16 * 1024 * 1024

#: Close code reported when the connection ended without a close frame (RFC 6455 §7.1.5).
ABNORMAL_CLOSURE: Final = 1006

# RFC 6455 §5.5: a close frame's payload is at most 125 bytes, two of them the code.
_MAX_REASON_BYTES: Final = 123


class TransportClosed(Exception):
    """The WebSocket is closed; raised by :meth:`Transport.send` / :meth:`Transport.receive`.

    ``code`` is the close code (``1006`` when the connection ended without a close
    frame), ``reason`` the close reason (``""`` when none), and ``local`` is true when
    *this* side ended the connection: our :meth:`Transport.aclose`, or the library
    failing the connection on our behalf (``1009`` for an oversized message, ``1011
    keepalive ping timeout``).  The supervisor needs ``local`` to tell "we hung up"
    from "the server hung up on us".
    """

    def __init__(self, code: int, reason: str = "", *, local: bool = False) -> None:
        # Both libraries hand out IntEnum members (wsproto's CloseReason, websockets'
        # CloseCode) for known codes; a plain int logs and compares the same everywhere.
        code = int(code)
        super().__init__(code, reason, local)
        self.code = code
        self.reason = reason
        self.local = local

    def __str__(self) -> str:
        who = "locally" if self.local else "by the peer"
        text = f"WebSocket closed {who} with code {self.code}"
        return f"{text}: {self.reason}" if self.reason else text

    def __repr__(self) -> str:
        return f"TransportClosed(code={self.code!r}, reason={self.reason!r}, local={self.local!r})"


class TransportConnectError(Exception):
    """Dialling or the WebSocket upgrade failed; no connection exists.

    ``status`` is the HTTP status of a refused upgrade (403 for a bad key, 404 for a
    wrong path...), ``None`` for network errors and timeouts.  ``permanent`` is
    true when retrying the same dial cannot help: the server's certificate failed
    verification, an optional dependency is missing, the URL (or the proxy's) is
    malformed; a supervisor should give up rather than back off and retry.
    ``message`` is safe to log: it names the redacted URL and never contains a
    request header value.
    """

    def __init__(self, message: str, *, status: int | None = None, permanent: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.permanent = permanent

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return (
            f"TransportConnectError(status={self.status!r}, permanent={self.permanent!r}, "
            f"message={self.message!r})"
        )


@attrs.frozen
class TransportOptions:
    """Socket-level knobs, identical in meaning on every backend.

    The defaults differ from both libraries' on purpose:

    * ``max_message_size`` (32 MiB): both libraries default to 1 MiB, and a Live
      server message carrying a long transcript or a burst of audio exceeds that,
      killing the session with 1009.  Must be at least 16 MiB.
    * ``ping_interval`` / ``ping_timeout`` (30 s / 60 s): ``websockets`` defaults to
      20 s / 20 s, which turns a briefly busy event loop into a self-inflicted
      ``1011 keepalive ping timeout``.  ``None`` disables keepalive.
    * ``message_queue_size`` (1024): trio-websocket's default of 1 makes its reader
      stop reading the socket (and stop answering pings) whenever one message is
      waiting; ``websockets``' default of 16 does the same a little later.
    * ``compression`` (off): permessage-deflate costs latency and CPU on every audio
      chunk while base64 audio barely compresses.  Only the ``websockets`` (asyncio)
      backend can negotiate it; trio-websocket never offers it, so ``True`` is
      ignored under trio.
    * ``write_buffer_size`` (256 KiB): outgoing bytes the transport holds for the
      socket (beyond the kernel's own buffer).  A ``send`` finding that much
      already waiting waits for room *before* it hands its frame over, so at
      most ``write_buffer_size`` plus one message is held per connection, and a
      send cancelled while it waits leaves nothing behind.  256 KiB is about
      five seconds of 16 kHz audio: a few hundred sessions fit in 100 MB even
      when every peer is slow.  Text frames are counted in characters.
    * ``stall_timeout`` (20 s): how long our writes may make no headway (the
      peer stopped reading) before the connection is failed with
      ``TransportClosed(1011, "write stalled...", local=True)``, a transient drop.
      On trio: no byte of a pending write accepted by the socket for that long;
      on asyncio: the write buffer full (over ``write_buffer_size``) and not
      drained back to a quarter of it.  Keepalive cannot notice this by itself:
      its ping waits behind the stuck data.  ``None`` disables the check.
    * ``ssl_context`` (``None``: the system's trust store via
      ``ssl.create_default_context()``): the context ``wss://`` URLs are verified
      with; pass ``ssl.create_default_context(cafile=...)`` for a private CA.
      A certificate that fails verification is a ``TransportConnectError`` with
      ``permanent=True``.
    * ``trio_backend`` (``None``: trio-websocket): under trio, ``"websockets"``
      drives ``websockets``' sans-IO protocol over trio streams instead
      (``_trio_sansio``): the same contract and guarantees, about half the CPU per
      message sent and a third less per message received (``bench/trio_transport.py``).
      Ignored under asyncio, which always uses ``websockets``.
    """

    max_message_size: int = attrs.field(
        default=32 * 1024 * 1024,
        validator=at_least(
            MIN_MAX_MESSAGE_SIZE,
            integer=True,
            advice=" (16 MiB): Live server messages exceed the usual 1 MiB default",
        ),
    )
    connect_timeout: float = attrs.field(default=10.0, validator=positive())
    close_timeout: float = attrs.field(default=5.0, validator=positive())
    ping_interval: float | None = attrs.field(default=30.0, validator=positive(optional=True))
    ping_timeout: float | None = attrs.field(default=60.0, validator=positive(optional=True))
    message_queue_size: int = attrs.field(
        default=1024, validator=at_least(1, integer=True, advice=" (1024 recommended)")
    )
    compression: bool = attrs.field(default=False, validator=instance_of(bool, "a bool"))
    write_buffer_size: int = attrs.field(
        default=256 * 1024, validator=at_least(1024, integer=True, advice=" (bytes)")
    )
    stall_timeout: float | None = attrs.field(default=20.0, validator=positive(optional=True))
    ssl_context: ssl.SSLContext | None = attrs.field(
        default=None,
        eq=False,
        repr=False,
        validator=instance_of(
            (ssl.SSLContext, type(None)),
            "an ssl.SSLContext or None (for a CA file: ssl.create_default_context(cafile=...))",
        ),
    )
    trio_backend: Literal["trio-websocket", "websockets"] | None = attrs.field(
        default=None, validator=one_of(None, "trio-websocket", "websockets")
    )


@runtime_checkable
class Transport(Protocol):
    """One open WebSocket, as the connection actor sees it.

    Implementations: ``TrioWebsocketTransport`` (trio), ``WebsocketsTransport``
    (asyncio) and ``MemoryTransport`` (tests); :func:`check_transport` checks the
    whole contract.  One task may ``receive`` while another ``send``s; neither
    method may be entered by two tasks at once.
    """

    #: Does a caller cancelled inside :meth:`send` leave the connection usable,
    #: with the frame handed over all or nothing (see :meth:`send`)?  True for
    #: every transport here; the session sends from the caller's task only then.
    #: A send cancelled while it waits for room hands *nothing* over: its
    #: caller must count the frame as not sent.
    cancel_safe_send: bool

    @property
    def close_code(self) -> int | None:
        """The close code once the connection is closed, else ``None``."""
        ...

    @property
    def close_reason(self) -> str:
        """The close reason once the connection is closed (``""`` when none)."""
        ...

    @property
    def close_acknowledged(self) -> bool:
        """Did the peer answer *our* close frame?

        Then it read every frame sent before that close.  ``False`` while open,
        when the peer closed first, and when the handshake timed out or the
        socket died.
        """
        ...

    async def send(self, frame: str | bytes) -> None:
        """Send one message: ``str`` as a text frame, ``bytes`` as a binary frame.

        A send is all or nothing under cancellation: if it returns, the frame was
        handed over whole (it is written in order, unless the connection dies);
        if the caller is cancelled inside it, nothing of the frame was handed
        over and the connection is still usable.  It waits only for room in a
        full write buffer (backpressure).  Raises :class:`TransportClosed` once
        the connection is closed; the frame may then have been lost.
        """
        ...

    async def receive(self) -> str | bytes:
        """Return the next message (``str`` for text, ``bytes`` for binary frames).

        Messages that arrived before the peer's close frame are still returned; then
        :class:`TransportClosed` is raised, on every later call too.  After our own
        :meth:`aclose`, it raises at once.
        """
        ...

    async def aclose(
        self, code: int = 1000, reason: str = "", *, close_timeout: float | None = None
    ) -> None:
        """Close gracefully: flush what was sent, send a close frame, wait for the
        reply, then drop the connection, all within ``close_timeout`` seconds (the
        argument, else ``TransportOptions.close_timeout``); ``0`` drops the
        connection at once.

        Idempotent, safe to call concurrently, and never raises because the socket is
        already dead: there is nothing useful a caller could do with such an error.
        """
        ...


class CloseInfo:
    """``close_code`` / ``close_reason`` for transports that can say how they closed.

    A transport subclasses this and implements :meth:`_close_info`: what it knows
    about the close so far (``None`` while open).
    """

    __slots__ = ()

    def _close_info(self) -> TransportClosed | None:
        raise NotImplementedError

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


# ---------------------------------------------------------------------------------
# helpers shared by the implementations (the secret policy lives in live_actor._redact)


def check_frame(frame: object) -> str | bytes:
    """A frame as ``str`` (text message) or ``bytes`` (binary); ``TypeError`` otherwise.

    Transports call this only when ``type(frame)`` is neither, keeping the
    per-frame test to two identity checks.
    """
    if isinstance(frame, str | bytes):
        return frame
    if isinstance(frame, bytearray | memoryview):
        return bytes(frame)
    raise TypeError(f"frame must be str or bytes, not {type(frame).__name__}")


def check_close_code(code: int) -> None:
    """Reject close codes that may not be sent on the wire (RFC 6455 §7.4).

    1005/1006/1015 are reserved for reporting and 1004 is undefined; sending them is
    a programming error, better caught here than as a protocol error from a library.
    """
    if isinstance(code, bool) or not isinstance(code, int):
        raise TypeError(f"close code must be an int, got {code!r}")
    if not (1000 <= code <= 1014 and code not in (1004, 1005, 1006)) and not (3000 <= code <= 4999):
        raise ValueError(f"close code {code} may not be sent in a close frame")


def clip_reason(reason: str) -> str:
    """Truncate a close reason to the 123 UTF-8 bytes a close frame can carry."""
    encoded = reason.encode("utf-8")
    if len(encoded) <= _MAX_REASON_BYTES:
        return reason
    return encoded[:_MAX_REASON_BYTES].decode("utf-8", errors="ignore")


def stall_reason(seconds: float) -> str:
    """The close reason of a connection whose peer stopped reading (every backend)."""
    return f"write stalled: the peer read nothing for {seconds:g}s"


def refused_message(
    status: int, url: str, body: bytes | None, secrets: list[str], *, truncated: bool = False
) -> str:
    """The text of a :class:`TransportConnectError` for a refused upgrade.

    ``url`` may be the real URL: only its redacted form is shown.  ``truncated``
    says the body was only partly read.
    """
    message = f"WebSocket upgrade to {redact_url(url)} refused with HTTP {status}"
    excerpt = body_excerpt(body, secrets, truncated=truncated)
    return f"{message}: {excerpt}" if excerpt else message
