"""Credentials for the Live API, and how they are obtained before each dial.

Three kinds of credential exist (``wire-protocol.md`` §2):

* :class:`ApiKey`: a long-lived Gemini API key (or a Vertex AI express-mode key),
  sent as the ``x-goog-api-key`` header;
* :class:`EphemeralToken`: a short-lived ``auth_tokens/...`` name minted over REST
  (§8), sent as ``Authorization: Token ...`` on the v1alpha ``...Constrained`` method;
* :class:`BearerToken`: an OAuth2 access token (Vertex AI, or the Gemini API with
  OAuth), sent as ``Authorization: Bearer ...``.

Why providers: a supervised session dials many times over its life (goAway
rotation, reconnects after 1011).  An ephemeral token may be single-use and an
OAuth token expires after an hour, so a credential captured once at start-up is
wrong for the second connection.  Everywhere a credential is accepted, a
*provider* (a sync or async callable returning one) is accepted too, and
:func:`resolve_credentials` calls it afresh before **every** dial.

Secrets never appear in a ``repr``, a ``str``, an exception message or a log
event: the credential classes print only the secret's length.
"""

from __future__ import annotations

import inspect
import os
import threading
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Final, TypeAlias

import anyio.to_thread
import attrs

from ._errors import ConfigError, ConnectError, LiveError

__all__ = [
    "CLOUD_PLATFORM_SCOPE",
    "ApiKey",
    "BearerToken",
    "Credentials",
    "CredentialsProvider",
    "CredentialsSource",
    "EphemeralToken",
    "api_key_from_env",
    "credentials_for",
    "resolve_credentials",
    "vertex_credentials",
]

#: The OAuth scope the Vertex AI Live endpoint needs.
CLOUD_PLATFORM_SCOPE: Final = "https://www.googleapis.com/auth/cloud-platform"

#: Prefix of every ephemeral token name returned by ``POST /v1alpha/auth_tokens``.
EPHEMERAL_PREFIX: Final = "auth_tokens/"


def _redacted(secret: str) -> str:
    # Only the length: enough to tell "empty" from "a key" from "a pasted paragraph".
    return f"<redacted {len(secret)} chars>"


def _check_secret(kind: str, value: object) -> None:
    """Reject values that cannot be a header value, without echoing them."""
    if not isinstance(value, str):
        raise ConfigError(f"{kind} must be a str, got {type(value).__name__}")
    if not value:
        raise ConfigError(f"{kind} is empty; pass the credential itself")
    if value != value.strip() or any(ord(c) < 0x21 or ord(c) == 0x7F for c in value):
        # A trailing newline from `cat key.txt` is the usual culprit; it would make
        # the upgrade request invalid (header injection guard) or be sent verbatim.
        raise ConfigError(
            f"{kind} contains whitespace or control characters "
            "(a trailing newline from a file or environment variable?); strip it"
        )


@attrs.frozen
class ApiKey:
    """A Gemini API key (``x-goog-api-key``); on Vertex AI, an express-mode key.

    The key is sent only as a header, never in the URL, so it cannot leak through
    proxy logs or error messages that quote the URL.
    """

    key: str = attrs.field(repr=_redacted)

    def __attrs_post_init__(self) -> None:
        _check_secret("ApiKey.key", self.key)
        if self.key.startswith(EPHEMERAL_PREFIX):
            raise ConfigError(
                "this looks like an ephemeral token, not an API key; "
                "use EphemeralToken(name) (or pass the plain string, which is detected)"
            )


@attrs.frozen
class EphemeralToken:
    """A short-lived token minted with ``POST /v1alpha/auth_tokens`` (its ``name``).

    Ephemeral tokens only work on the Gemini API's v1alpha
    ``BidiGenerateContentConstrained`` method; :func:`~live_actor._endpoints.build_endpoint`
    picks it.  A token may allow a single use, which is why it is usually handed
    out by a provider that mints a fresh one per dial.
    """

    name: str = attrs.field(repr=_redacted)

    def __attrs_post_init__(self) -> None:
        _check_secret("EphemeralToken.name", self.name)
        if not self.name.startswith(EPHEMERAL_PREFIX) or self.name == EPHEMERAL_PREFIX:
            raise ConfigError(
                "EphemeralToken.name must be the token's full name as returned by the "
                "auth_tokens API, starting with 'auth_tokens/'"
            )


@attrs.frozen
class BearerToken:
    """An OAuth2 access token (``Authorization: Bearer``), typically for Vertex AI.

    ``quota_project`` becomes the ``x-goog-user-project`` header, which bills and
    rate-limits against that project instead of the credentials' own one.
    """

    token: str = attrs.field(repr=_redacted)
    quota_project: str | None = None

    def __attrs_post_init__(self) -> None:
        _check_secret("BearerToken.token", self.token)
        if self.quota_project is not None and not self.quota_project.strip():
            raise ConfigError("BearerToken.quota_project is empty; pass None instead")


Credentials: TypeAlias = ApiKey | EphemeralToken | BearerToken
#: Called before every dial; may be sync or async.  May also return a plain str
#: (interpreted as by :func:`resolve_credentials`).
CredentialsProvider: TypeAlias = Callable[[], Credentials | str | Awaitable[Credentials | str]]
#: Anything a session accepts as its credentials.
CredentialsSource: TypeAlias = Credentials | str | CredentialsProvider

_CREDENTIAL_TYPES: Final = (ApiKey, EphemeralToken, BearerToken)


def _from_str(value: str) -> Credentials:
    if value.startswith(EPHEMERAL_PREFIX):
        return EphemeralToken(value)
    return ApiKey(value)


def _provider_name(provider: object) -> str:
    name = getattr(provider, "__qualname__", None) or type(provider).__name__
    return str(name)


async def resolve_credentials(source: CredentialsSource) -> Credentials:
    """Turn a credential source into the credential for *this* dial.

    * a credential object is returned as is;
    * a ``str`` is an API key, or an :class:`EphemeralToken` when it starts with
      ``auth_tokens/`` (the same rule google-genai applies to ``api_key``);
    * a callable is called (and awaited if it returns an awaitable) every time,
      so single-use tokens and expiring OAuth tokens stay fresh.  Keep sync
      providers non-blocking; do blocking work in an async provider (e.g. with
      :func:`anyio.to_thread.run_sync`), as :func:`vertex_credentials` does.

    A provider that raises is reported as :class:`ConnectError` chained to the
    original exception; the message names only the provider and the exception
    type, because provider errors (HTTP bodies, ``repr`` of requests) can
    contain secrets.  A :class:`~live_actor.LiveError` it raises passes through
    unchanged.  A provider returning something that is not a credential is a
    programming error: :class:`ConfigError`.
    """
    if isinstance(source, _CREDENTIAL_TYPES):
        return source
    if isinstance(source, str):
        return _from_str(source)
    if not callable(source):
        raise ConfigError(
            "credentials must be ApiKey, EphemeralToken, BearerToken, a str, or a "
            f"callable returning one; got {type(source).__name__}"
        )
    name = _provider_name(source)
    try:
        result: Any = source()
        if inspect.isawaitable(result):
            result = await result
    except LiveError:
        # Our own errors (a provider building ApiKey("") gets ConfigError) are
        # already typed and secret-free: keep their class so the supervisor
        # classifies them correctly.
        raise
    except Exception as exc:
        raise ConnectError(
            f"credentials provider {name} failed with {type(exc).__name__}; "
            "see the chained exception"
        ) from exc
    if isinstance(result, _CREDENTIAL_TYPES):
        return result
    if isinstance(result, str):
        return _from_str(result)
    raise ConfigError(
        f"credentials provider {name} returned {type(result).__name__}; it must return "
        "ApiKey, EphemeralToken, BearerToken or a str"
    )


def credentials_for(
    auth: str, api_key: str | None, credentials: CredentialsSource | None
) -> CredentialsSource:
    """The credentials a session dials with: ``api_key=``, ``credentials=`` or the environment.

    ``auth`` is :attr:`LiveConfig.auth`; Vertex AI has no API key, so it needs
    ``credentials=`` (checked here, before anything dials).
    """
    if api_key is not None and credentials is not None:
        raise ConfigError("pass api_key or credentials, not both")
    if credentials is not None:
        return credentials
    if api_key is not None:
        return ApiKey(api_key)
    if auth == "vertex_ai":
        raise ConfigError(
            "auth='vertex_ai' needs credentials=: pass live_actor.vertex_credentials()"
            " (pip install live_actor[vertex]) or a BearerToken"
        )
    return api_key_from_env()


def api_key_from_env(environ: Mapping[str, str] | None = None) -> ApiKey:
    """Read the API key from ``GOOGLE_API_KEY`` or ``GEMINI_API_KEY``.

    ``GOOGLE_API_KEY`` wins when both are set, as in google-genai, so a machine
    set up for the SDK behaves the same here.  Surrounding whitespace (a
    trailing newline from ``export KEY=$(cat file)``) is stripped.
    """
    env = os.environ if environ is None else environ
    for var in ("GOOGLE_API_KEY", "GEMINI_API_KEY"):
        value = env.get(var, "").strip()
        if value:
            return ApiKey(value)
    raise ConfigError(
        "no API key found: set GEMINI_API_KEY (or GOOGLE_API_KEY) in the environment, "
        "or pass credentials explicitly"
    )


class _GoogleAuthTokenSource:
    """google-auth credentials, refreshed when stale; used from worker threads only.

    google-auth's ``refresh`` does blocking HTTP, so it must never run on the
    event loop; the threading lock makes two concurrent dials share one refresh.
    """

    def __init__(self, scopes: Sequence[str], credentials: Any, quota_project: str | None) -> None:
        self._scopes = list(scopes)
        self._credentials = credentials
        self._quota_project = quota_project
        self._lock = threading.Lock()

    def token(self) -> BearerToken:
        import google.auth
        import google.auth.transport.requests

        with self._lock:
            if self._credentials is None:
                self._credentials, _project = google.auth.default(scopes=self._scopes)
            creds = self._credentials
            if not creds.valid:
                creds.refresh(google.auth.transport.requests.Request())
            token = creds.token
            quota = self._quota_project or getattr(creds, "quota_project_id", None)
        if not isinstance(token, str) or not token:
            raise RuntimeError("google-auth returned no access token after refresh")
        return BearerToken(token, quota_project=quota or None)


def vertex_credentials(
    scopes: Sequence[str] = (CLOUD_PLATFORM_SCOPE,),
    *,
    credentials: Any = None,
    quota_project: str | None = None,
) -> Callable[[], Awaitable[BearerToken]]:
    """A provider of OAuth bearer tokens from google-auth (Application Default Credentials).

    ``credentials`` may be any ``google.auth.credentials.Credentials`` (service
    account, impersonated, ...); by default ``google.auth.default(scopes=...)``
    is used, loaded lazily on the first dial.  The token is refreshed when
    google-auth says it is no longer valid (expired or about to), in a worker
    thread, before each dial.  ``quota_project`` (else the credentials'
    ``quota_project_id``) is sent as ``x-goog-user-project``.

    Needs the optional extra: ``pip install 'live_actor[vertex]'``.  Its absence
    is reported here, at configuration time, not at the first dial.
    """
    try:
        import google.auth
        import google.auth.transport.requests  # noqa: F401
    except ImportError as exc:
        raise ConfigError(
            "vertex_credentials() needs google-auth (and requests): "
            "pip install 'live_actor[vertex]'"
        ) from exc
    if isinstance(scopes, str):
        raise ConfigError("scopes must be a sequence of scope URLs, not a single str")
    source = _GoogleAuthTokenSource(scopes, credentials, quota_project)

    async def google_auth_provider() -> BearerToken:
        return await anyio.to_thread.run_sync(source.token)

    return google_auth_provider
