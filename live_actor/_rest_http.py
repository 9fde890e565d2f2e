"""HTTP plumbing shared by the REST companions: base URL, auth headers, bounded JSON calls.

Why a module of its own: listing models and minting tokens must agree on the
rules that keep secrets out of logs and make every call finite:

* the credential travels in a header only (``x-goog-api-key`` or ``Authorization``),
  never in the URL, so a logged or raised URL is harmless;
* every request has a timeout, and a response body larger than ``MAX_BODY``
  bytes is refused before it is parsed;
* Google's error envelope ``{"error": {"code", "message", "status"}}`` becomes a
  typed :class:`RestError` whose text never contains the credential (the
  server's message is scrubbed of it in case an endpoint echoes it back).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlsplit, urlunsplit

import anyio
import httpx
import orjson

from ._auth import (
    ApiKey,
    BearerToken,
    Credentials,
    CredentialsSource,
    EphemeralToken,
    api_key_from_env,
    resolve_credentials,
)
from ._errors import ConfigError, LiveError
from ._transport._base import redact_url
from ._version import client_headers

__all__ = [
    "DEFAULT_TIMEOUT",
    "GEMINI_REST_URL",
    "MAX_BODY",
    "RestAuthError",
    "RestError",
    "auth_headers",
    "credentials_for_rest",
    "http_base_url",
    "request_json",
]

GEMINI_REST_URL: Final = "https://generativelanguage.googleapis.com"
#: Seconds for one HTTP request (connect + send + read), unless the caller says otherwise.
DEFAULT_TIMEOUT: Final = 10.0
#: Largest response body read; a models page is ~30 KB, a token a few hundred bytes.
MAX_BODY: Final = 4 * 1024 * 1024

_HTTP_SCHEMES: Final = {"ws": "http", "wss": "https", "http": "http", "https": "https"}


class RestError(LiveError):
    """A REST call failed: the server answered an error, or the request did not complete.

    ``status`` is the HTTP status (``None`` when no response arrived: timeout,
    refused connection, oversized body); ``code`` is Google's status name
    (``"INVALID_ARGUMENT"``, ``"NOT_FOUND"``, ...) when the body carried one.
    """

    def __init__(self, message: str, *, status: int | None = None, code: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class RestAuthError(RestError):
    """The credential was refused (missing, invalid, or not allowed to do this).

    Not worth retrying with the same credential.
    """


def http_base_url(base_url: str | None) -> str:
    """``base_url`` as an http(s) root without a trailing slash (ws -> http, wss -> https).

    The fake server serves REST and WebSocket on one port, so the ``ws://`` URL
    a session dials also works here.
    """
    if base_url is None:
        return GEMINI_REST_URL
    try:
        parts = urlsplit(base_url)
        _ = parts.port
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in _HTTP_SCHEMES or not parts.hostname:
        raise ConfigError(
            f"base_url {redact_url(base_url)!r} is not usable: give an absolute http(s):// "
            "or ws(s):// URL such as 'http://127.0.0.1:8765'"
        )
    scheme = _HTTP_SCHEMES[parts.scheme.lower()]
    return urlunsplit((scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


async def credentials_for_rest(
    api_key: str | None, credentials: CredentialsSource | None
) -> Credentials:
    """The long-lived credential for a REST call (``GEMINI_API_KEY`` when none is given)."""
    if api_key is not None and credentials is not None:
        raise ConfigError("pass api_key or credentials, not both")
    if api_key is not None:
        resolved: Credentials = ApiKey(api_key)
    elif credentials is not None:
        resolved = await resolve_credentials(credentials)
    else:
        resolved = api_key_from_env()
    if isinstance(resolved, EphemeralToken):
        raise ConfigError(
            "an ephemeral token only opens Live sessions; REST calls (listing models, "
            "minting tokens) need the long-lived API key"
        )
    return resolved


def auth_headers(credentials: Credentials) -> dict[str, str]:
    """Request headers carrying ``credentials`` plus the client identification."""
    headers = client_headers()
    if isinstance(credentials, ApiKey):
        headers["x-goog-api-key"] = credentials.key
    elif isinstance(credentials, BearerToken):
        headers["authorization"] = f"Bearer {credentials.token}"
        if credentials.quota_project:
            headers["x-goog-user-project"] = credentials.quota_project
    else:  # pragma: no cover - credentials_for_rest rules the rest out
        raise ConfigError(f"unsupported credentials for REST: {type(credentials).__name__}")
    return headers


def _secret_of(credentials: Credentials) -> str:
    if isinstance(credentials, ApiKey):
        return credentials.key
    if isinstance(credentials, BearerToken):
        return credentials.token
    return credentials.name


def _scrub(text: str, secret: str) -> str:
    return text.replace(secret, "<redacted>") if secret else text


def _error_from_response(status: int, body: bytes, what: str, secret: str) -> RestError:
    code = ""
    message = ""
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        parsed = None
    if isinstance(parsed, dict) and isinstance(parsed.get("error"), dict):
        error = parsed["error"]
        code = str(error.get("status") or "")
        message = str(error.get("message") or "")
    message = _scrub(message[:500], secret)
    detail = f": {code} {message}".rstrip() if code or message else ""
    text = f"{what} failed with HTTP {status}{detail}"
    auth_refused = status in (401, 403) or "API key not valid" in message
    if auth_refused:
        return RestAuthError(
            text + " (check the API key: it must be a valid long-lived key)",
            status=status,
            code=code,
        )
    return RestError(text, status=status, code=code)


async def request_json(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    credentials: Credentials,
    what: str,
    params: Mapping[str, str] | None = None,
    body: Any = None,
    request_timeout: float = DEFAULT_TIMEOUT,
) -> dict[str, Any]:
    """One JSON request with a timeout and a body-size bound; errors are :class:`RestError`.

    ``what`` names the call in error messages (``"list_models"``).
    """
    headers = auth_headers(credentials)
    content = None
    if body is not None:
        headers["content-type"] = "application/json"
        content = orjson.dumps(body)
    secret = _secret_of(credentials)
    size = 0
    status = 0
    chunks: list[bytes] = []
    try:
        # httpx's timeout bounds each network operation; the scope bounds the whole
        # call, so a server trickling bytes cannot hold it forever either.
        with anyio.move_on_after(request_timeout) as deadline:
            async with client.stream(
                method,
                url,
                params=params,
                headers=headers,
                content=content,
                timeout=httpx.Timeout(request_timeout),
            ) as response:
                status = response.status_code
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > MAX_BODY:
                    size = int(declared)
                else:
                    # Drained to the end even past the bound (and discarded): leaving
                    # httpx's async generators unfinished would leak them to the GC.
                    async for chunk in response.aiter_bytes():
                        size += len(chunk)
                        if size <= MAX_BODY:
                            chunks.append(chunk)
    except httpx.TimeoutException as exc:
        raise RestError(
            f"{what} timed out after {request_timeout:g} s ({type(exc).__name__}) "
            f"calling {redact_url(url)}"
        ) from None
    except httpx.HTTPError as exc:
        # httpx messages name the URL (no secret in it) and the OS error, never headers.
        raise RestError(
            f"{what} could not reach {redact_url(url)}: {type(exc).__name__}: "
            f"{_scrub(str(exc), secret)}"
        ) from None
    if deadline.cancelled_caught:
        raise RestError(f"{what} timed out after {request_timeout:g} s calling {redact_url(url)}")
    if size > MAX_BODY:
        raise RestError(
            f"{what}: the response body exceeds {MAX_BODY} bytes; refusing it", status=status
        )
    raw = b"".join(chunks)
    if status >= 400:
        raise _error_from_response(status, raw, what, secret)
    try:
        parsed = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise RestError(
            f"{what}: the server answered HTTP {status} with non-JSON", status=status
        ) from None
    if not isinstance(parsed, dict):
        raise RestError(
            f"{what}: expected a JSON object, got {type(parsed).__name__}", status=status
        )
    return parsed
