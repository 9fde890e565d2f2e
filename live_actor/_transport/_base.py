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

import re
from collections.abc import Mapping
from typing import Final, Protocol, runtime_checkable
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import attrs

from live_actor._errors import ConfigError

__all__ = [
    "MIN_MAX_MESSAGE_SIZE",
    "Transport",
    "TransportClosed",
    "TransportConnectError",
    "TransportOptions",
    "check_close_code",
    "check_frame",
    "redact_url",
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
    wrong path...), ``None`` for network errors and timeouts.  ``message`` is safe to
    log: it names the redacted URL and never contains a request header value.
    """

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"TransportConnectError(status={self.status!r}, message={self.message!r})"


def _positive(name: str, value: float | None, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if value is None or isinstance(value, bool) or not value > 0:
        allowed = "a positive number or None" if optional else "a positive number"
        raise ConfigError(f"TransportOptions.{name} must be {allowed}, got {value!r}")


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
    """

    max_message_size: int = 32 * 1024 * 1024
    connect_timeout: float = 10.0
    close_timeout: float = 5.0
    ping_interval: float | None = 30.0
    ping_timeout: float | None = 60.0
    message_queue_size: int = 1024
    compression: bool = False

    def __attrs_post_init__(self) -> None:
        if (
            not isinstance(self.max_message_size, int)
            or isinstance(self.max_message_size, bool)
            or self.max_message_size < MIN_MAX_MESSAGE_SIZE
        ):
            raise ConfigError(
                "TransportOptions.max_message_size must be an int of at least "
                f"{MIN_MAX_MESSAGE_SIZE} (16 MiB): Live server messages exceed the usual "
                f"1 MiB default; got {self.max_message_size!r}"
            )
        _positive("connect_timeout", self.connect_timeout)
        _positive("close_timeout", self.close_timeout)
        _positive("ping_interval", self.ping_interval, optional=True)
        _positive("ping_timeout", self.ping_timeout, optional=True)
        if (
            not isinstance(self.message_queue_size, int)
            or isinstance(self.message_queue_size, bool)
            or self.message_queue_size < 1
        ):
            raise ConfigError(
                "TransportOptions.message_queue_size must be an int >= 1 (1024 recommended), "
                f"got {self.message_queue_size!r}"
            )
        if not isinstance(self.compression, bool):
            raise ConfigError(
                f"TransportOptions.compression must be a bool, got {self.compression!r}"
            )


@runtime_checkable
class Transport(Protocol):
    """One open WebSocket, as the connection actor sees it.

    Implementations: ``TrioWebsocketTransport`` (trio), ``WebsocketsTransport``
    (asyncio) and ``MemoryTransport`` (tests).  One task may ``receive`` while another
    ``send``s; neither method may be entered by two tasks at once.
    """

    #: Does cancelling a task inside :meth:`send` leave the connection usable,
    #: with the frame either written whole or not at all?  ``websockets`` buffers
    #: whole frames before suspending (``True``); trio writes straight to the
    #: socket, and a cancellation there may tear the frame (TLS state included),
    #: so the trio transport drops the connection instead (``False``): callers
    #: that may be cancelled send through a task of their own.
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

        Raises :class:`TransportClosed` once the connection is closed.
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
        """Close gracefully (close frame, wait at most ``close_timeout`` — or the
        ``close_timeout`` argument — for the reply, then drop the connection).

        Idempotent, safe to call concurrently, and never raises because the socket is
        already dead: there is nothing useful a caller could do with such an error.
        """
        ...


# ---------------------------------------------------------------------------------
# helpers shared by the implementations

_SENSITIVE_PARAMS: Final = frozenset(
    {
        "key",
        "api_key",
        "apikey",
        "access_token",
        "token",
        "auth",
        "authorization",
        "password",
        "secret",
        "signature",
        "sig",
        "x-goog-api-key",
    }
)
REDACTED: Final = "REDACTED"


def redact_url(url: str) -> str:
    """Return ``url`` safe for logs, reprs and exceptions: the one redaction policy.

    Every query value becomes ``REDACTED`` (a proxy's ``?tenant=`` or a custom
    parameter may be as secret as ``?key=``; the names stay, they are what one
    needs to debug), and so do a bare query value, the userinfo and a
    fragment.  Scheme, host, port and path are kept.  Never raises: an
    unparseable URL collapses to a placeholder rather than being echoed back
    with its secret.
    """
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:  # a proxy's user name can be as telling as its password
            netloc = f"{REDACTED}@{netloc.rpartition('@')[2]}"
        query = parts.query
        if query:
            shown: list[str] = []
            for item in query.split("&"):
                name, eq, _ = item.partition("=")
                # A bare value ("?AIza...") may itself be the secret.
                shown.append(f"{name}={REDACTED}" if eq else REDACTED if item else "")
            query = "&".join(shown)
        # Fragments never reach the server but may still hold a token copied from a browser.
        fragment = REDACTED if parts.fragment else ""
        return urlunsplit((parts.scheme, netloc, parts.path, query, fragment))
    except Exception:
        return "<unparseable url>"


# RFC 7230 token characters for header names; values: visible ASCII, space and tab.
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_HEADER_VALUE = re.compile(r"[\t\x20-\x7e]*")


def check_headers(headers: Mapping[str, str]) -> list[tuple[str, str]]:
    """Validate upgrade-request headers before any library sees them.

    Both libraries validate too, but their errors quote the offending *value*, which
    is usually the API key.  Ours name only the header.
    """
    checked: list[tuple[str, str]] = []
    for name, value in headers.items():
        if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
            raise ValueError(f"invalid HTTP header name {name!r}")
        if not isinstance(value, str) or not _HEADER_VALUE.fullmatch(value):
            # Deliberately no value in the message: it is probably a credential.
            raise ValueError(
                f"invalid value for HTTP header {name!r}: must be printable ASCII "
                "without line breaks (value not shown)"
            )
        checked.append((name, value))
    return checked


def has_header(headers: list[tuple[str, str]], name: str) -> bool:
    """Whether ``name`` is present, case-insensitively (HTTP header names are)."""
    lowered = name.lower()
    return any(key.lower() == lowered for key, _ in headers)


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


def scrub(text: str, secrets: list[str]) -> str:
    """Replace every occurrence of a secret (a header value) in ``text``.

    Used on the body of a refused upgrade, which we show because it explains the
    refusal ("API key not valid") but which some proxies echo the request into.
    """
    for secret in secrets:
        if len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    return text


def body_excerpt(body: bytes | None, secrets: list[str], limit: int = 200) -> str:
    """A short, scrubbed, single-line excerpt of an HTTP error body ('' if none)."""
    if not body:
        return ""
    text = body[: limit * 4].decode("utf-8", errors="replace")
    text = scrub(text, secrets)
    text = " ".join(text.split())
    return text[:limit] + ("..." if len(text) > limit else "")


def refused_message(status: int, url: str, body: bytes | None, secrets: list[str]) -> str:
    """The text of a :class:`TransportConnectError` for a refused upgrade."""
    message = f"WebSocket upgrade to {redact_url(url)} refused with HTTP {status}"
    excerpt = body_excerpt(body, secrets)
    return f"{message}: {excerpt}" if excerpt else message


def secrets_of(headers: list[tuple[str, str]], url: str) -> list[str]:
    """Every string that must never appear in a message: header values and the
    values of credential-like query parameters, plus the credential part of
    ``Authorization: Bearer <token>`` / ``Token <token>``."""
    found: list[str] = []
    for _, value in headers:
        found.append(value)
        scheme, _, credential = value.partition(" ")
        if credential and scheme.isalpha():
            found.append(credential.strip())
    try:
        for name, value in parse_qsl(urlsplit(url).query, keep_blank_values=True):
            if name.lower() in _SENSITIVE_PARAMS:
                found.append(value)
    except Exception:
        pass
    # Longest first, so a token inside a longer value is not half-replaced.
    return sorted((s for s in found if s), key=len, reverse=True)


@attrs.frozen
class WsTarget:
    """Where a ``ws://`` / ``wss://`` URL points; ``resource`` includes the query."""

    secure: bool
    host: str
    port: int
    resource: str
    host_header: str


def parse_ws_url(url: str) -> WsTarget:
    """Validate a WebSocket URL up front, with errors that show only the redacted URL.

    Both libraries parse URLs too, but their errors (``websockets.InvalidURI``) quote
    the whole URL, ``?key=...`` included.
    """
    shown = redact_url(url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ValueError(f"invalid WebSocket URL {shown}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("ws", "wss"):
        raise ValueError(f"unsupported URL scheme in {shown}: use ws:// or wss://")
    host = parts.hostname
    if not host:
        raise ValueError(f"WebSocket URL {shown} has no host")
    secure = scheme == "wss"
    default_port = 443 if secure else 80
    if port is None:
        port = default_port
    resource = parts.path or "/"
    if parts.query:
        resource = f"{resource}?{parts.query}"
    bracketed = f"[{host}]" if ":" in host else host
    host_header = bracketed if port == default_port else f"{bracketed}:{port}"
    return WsTarget(secure=secure, host=host, port=port, resource=resource, host_header=host_header)


def user_agent() -> str:
    """``live_actor/<version>``, sent unless the caller supplies a User-Agent."""
    try:
        from importlib.metadata import version

        return f"live_actor/{version('live_actor')}"
    except Exception:
        return "live_actor"
