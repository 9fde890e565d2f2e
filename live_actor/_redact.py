"""The secret policy: what may be shown of a URL, a header or a text, and how.

Every module that could put a credential into a log line, a repr, an exception or
a traceback goes through here, so there is one policy to review:

* URLs are shown through :func:`redact_url` (every query value hidden);
* header values are never quoted (:func:`check_headers` names the header only);
* texts that may echo the request (a refused upgrade's body, a library's log line)
  go through :func:`redact_text`, which replaces the known secrets *and* anything
  shaped like a credential, before any cut to length;
* the URL and headers of a dial travel in a :class:`Dial`, whose repr is
  redacted, so a traceback renderer that prints locals (``rich``, structlog's
  ``rich_traceback``) shows nothing secret;
* libraries that log the upgrade request at DEBUG are given a
  :class:`RedactingLogger`.

Nothing here imports the rest of the package except ``_errors``: config,
endpoints and the transports all depend on this module, never the other way.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any, Final
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit, urlunsplit

import attrs

__all__ = [
    "REDACTED",
    "WS_SCHEMES",
    "Dial",
    "RedactingLogger",
    "WsTarget",
    "body_excerpt",
    "check_headers",
    "describe_headers",
    "has_header",
    "parse_ws_url",
    "redact_text",
    "redact_url",
    "scrub",
    "secrets_of",
]

REDACTED: Final = "REDACTED"

#: URL schemes a dial accepts, and the WebSocket scheme each one maps to.
WS_SCHEMES: Final = {"ws": "ws", "wss": "wss", "http": "ws", "https": "wss"}

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

#: Header names whose value is a credential wherever it appears in a text.
_SENSITIVE_HEADERS: Final = (
    "authorization",
    "proxy-authorization",
    "x-goog-api-key",
    "cookie",
    "set-cookie",
    "x-api-key",
)

#: Shapes of credentials worth hiding even when we were not told the value:
#: Google API keys, OAuth access tokens, ``Name: value`` lines of the headers
#: above, ``Bearer``/``Basic`` credentials and URL query values.
_PATTERNS: Final = (
    (re.compile(r"AIza[0-9A-Za-z_\-]{20,}"), REDACTED),
    (re.compile(r"ya29\.[0-9A-Za-z_\-.~+/]+"), REDACTED),
    (
        re.compile(
            r"(?im)\b("
            + "|".join(map(re.escape, _SENSITIVE_HEADERS))
            + r")(['\"]?\s*[:=]\s*)[^\r\n]+"
        ),
        rf"\1\2{REDACTED}",
    ),
    (re.compile(r"(?i)\b(Bearer|Basic|Token)\s+[0-9A-Za-z_\-.~+/=]{4,}"), rf"\1 {REDACTED}"),
    (re.compile(r"([?&][^=\s&#?'\"]+=)[^&\s#'\"]+"), rf"\1{REDACTED}"),
)


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


def scrub(text: str, secrets: Iterable[str], *, truncated: bool = False) -> str:
    """Replace every occurrence of a secret in ``text``, also URL-encoded.

    With ``truncated`` (``text`` was cut from something longer), a tail of
    ``text`` that is the beginning of a secret is hidden too: the cut may have
    gone through the middle of one.
    """
    secrets = [s for s in secrets if len(s) >= 4]
    for secret in secrets:
        for form in {secret, quote(secret, safe=""), quote_plus(secret, safe="")}:
            text = text.replace(form, REDACTED)
    if truncated:
        for secret in secrets:
            for size in range(min(len(secret) - 1, len(text)), 3, -1):
                if text.endswith(secret[:size]):
                    text = text[:-size] + REDACTED
                    break
    return text


def redact_text(text: str, secrets: Iterable[str] = (), *, truncated: bool = False) -> str:
    """:func:`scrub` the known ``secrets``, then hide anything shaped like a credential."""
    text = scrub(text, secrets, truncated=truncated)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def body_excerpt(
    body: bytes | None,
    secrets: Iterable[str],
    limit: int = 200,
    *,
    truncated: bool = False,
) -> str:
    """A short, scrubbed, single-line excerpt of an HTTP error body (``""`` if none).

    The whole body is scrubbed *before* it is cut to ``limit`` characters: a cut
    first could split a secret and let its first half through.  ``truncated``
    says the body itself was only partly read.
    """
    if not body:
        return ""
    text = redact_text(body.decode("utf-8", errors="replace"), secrets, truncated=truncated)
    text = " ".join(text.split())
    return text[:limit] + ("..." if len(text) > limit or truncated else "")


def secrets_of(headers: Iterable[tuple[str, str]], url: str) -> list[str]:
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
        parts = urlsplit(url)
        for name, value in parse_qsl(parts.query, keep_blank_values=True):
            if name.lower() in _SENSITIVE_PARAMS:
                found.append(value)
        if parts.password:
            found.append(parts.password)
    except Exception:
        pass
    # Longest first, so a token inside a longer value is not half-replaced.
    return sorted((s for s in found if s), key=len, reverse=True)


def describe_headers(headers: Mapping[str, str], public: Iterable[str] = ()) -> str:
    """A repr of request headers that shows the names and hides every value but the
    ``public`` ones (lower case names): extra headers may carry proxy credentials."""
    shown = frozenset(public)
    return (
        "{"
        + ", ".join(
            f"{name!r}: {value!r}" if name.lower() in shown else f"{name!r}: '<redacted>'"
            for name, value in headers.items()
        )
        + "}"
    )


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


def has_header(headers: Iterable[tuple[str, str]], name: str) -> bool:
    """Whether ``name`` is present, case-insensitively (HTTP header names are)."""
    lowered = name.lower()
    return any(key.lower() == lowered for key, _ in headers)


def _resource_repr(resource: str) -> str:
    return repr(redact_url(resource))


@attrs.frozen
class WsTarget:
    """Where a ``ws://`` / ``wss://`` URL points; ``resource`` includes the query
    (hidden in the repr: it may hold ``?key=``)."""

    secure: bool
    host: str
    port: int
    resource: str = attrs.field(repr=_resource_repr)
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


class Dial:
    """The URL and headers of one dial, checked, behind a redacted repr.

    The transports keep credentials in this object and unwrap them only in the
    argument list of the library call that sends them: no frame of ours holds
    the raw values in a local variable, so a traceback rendered with its locals
    shows only ``Dial(url='wss://host/path?key=REDACTED', headers=[...])``.
    """

    __slots__ = ("_headers", "_url", "shown", "target")

    def __init__(self, url: str, headers: Mapping[str, str]) -> None:
        self.target = parse_ws_url(url)
        self._headers = tuple(check_headers(headers))
        self._url = url
        #: The URL as it may be shown.
        self.shown = redact_url(url)

    @property
    def url(self) -> str:
        """The real URL (credentials included): pass it straight to a library."""
        return self._url

    @property
    def headers(self) -> list[tuple[str, str]]:
        """The real headers: pass them straight to a library."""
        return list(self._headers)

    def has_header(self, name: str) -> bool:
        return has_header(self._headers, name)

    def secrets(self) -> list[str]:
        """What must be scrubbed from any text about this dial."""
        return secrets_of(self._headers, self._url)

    def __repr__(self) -> str:
        names = ", ".join(repr(name) for name, _ in self._headers)
        return f"Dial(url={self.shown!r}, headers=[{names}] (values hidden))"

    __str__ = __repr__

    def __reduce__(self) -> Any:  # pragma: no cover - a Dial is never pickled
        raise TypeError("a Dial holds credentials and cannot be pickled")


class RedactingLogger(logging.LoggerAdapter):  # type: ignore[type-arg]
    """A logger for third-party libraries that log the upgrade request.

    ``websockets`` logs every request header at DEBUG (``> x-goog-api-key: ...``)
    and the request path with its query.  This adapter formats each record,
    passes the text through :func:`redact_text` with the dial's secrets, and
    logs the result with no arguments; a traceback is rendered, redacted and
    appended instead of being handed over as ``exc_info``.
    """

    def __init__(self, logger: logging.Logger, secrets: Iterable[str] = ()) -> None:
        super().__init__(logger, {})
        self._secrets = tuple(secrets)

    def __repr__(self) -> str:
        return f"<RedactingLogger {self.logger.name}>"

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, Any]:
        return msg, kwargs

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        if not self.isEnabledFor(level):
            return
        try:
            text = str(msg) % args if args else str(msg)
        except Exception:
            text = f"{msg!s} (arguments not shown)"
        exc_info = kwargs.pop("exc_info", None)
        if exc_info:
            if exc_info is True:
                rendered = traceback.format_exc()
            elif isinstance(exc_info, BaseException):
                rendered = "".join(traceback.format_exception(exc_info))
            else:
                rendered = "".join(traceback.format_exception(*exc_info))
            text = f"{text}\n{rendered.rstrip()}"
        kwargs.pop("stack_info", None)
        stacklevel = int(kwargs.pop("stacklevel", 1)) + 1
        extra = kwargs.pop("extra", None)
        self.logger.log(
            level,
            "%s",
            redact_text(text, self._secrets),
            extra=extra,
            stacklevel=stacklevel,
        )
