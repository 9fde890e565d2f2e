"""Where to dial and with which headers: ``(LiveConfig, Credentials) -> Endpoint``.

Pure functions, so every URL rule of ``wire-protocol.md`` §1-§2 is unit-tested
without a socket:

* Gemini API: ``{base}/ws/google.ai.generativelanguage.{v}.GenerativeService.BidiGenerateContent``;
  an ephemeral token switches to the v1alpha ``...BidiGenerateContentConstrained``
  method (the plain method answers "Method doesn't allow unregistered callers").
* Vertex AI: ``{base}/ws/google.cloud.aiplatform.{v}.LlmBidiService/BidiGenerateContent``
  on the regional host (``aiplatform.googleapis.com`` for ``global`` and express
  mode, ``aiplatform.{us|eu}.rep.googleapis.com`` for multi-regions).

Credentials travel in headers only, never in the URL: a URL ends up in proxy
logs, exception messages and tracebacks.  One slash joins base and path (the
SDK's ``//ws/`` is tolerated by the service but is an accident).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final
from urllib.parse import urlsplit, urlunsplit

import attrs

from ._auth import ApiKey, BearerToken, Credentials, EphemeralToken
from ._config import V1ALPHA, LiveConfig
from ._errors import ConfigError
from ._redact import WS_SCHEMES, describe_headers, redact_url
from ._version import client_headers

__all__ = ["Endpoint", "build_endpoint", "rest_base_url"]

GEMINI_HOST: Final = "generativelanguage.googleapis.com"
VERTEX_GLOBAL_HOST: Final = "aiplatform.googleapis.com"
_MULTI_REGIONS: Final = frozenset({"us", "eu"})

#: Header values safe to show in a repr; every other value is redacted.
_PUBLIC_HEADERS: Final = frozenset({"user-agent", "x-goog-api-client"})

_HTTP_SCHEME: Final = {"ws": "http", "wss": "https", "http": "http", "https": "https"}


def _headers_repr(headers: Mapping[str, str]) -> str:
    return describe_headers(headers, _PUBLIC_HEADERS)


@attrs.frozen(kw_only=True)
class Endpoint:
    """One dial target: the URL, the upgrade-request headers, and a loggable URL.

    ``repr`` shows ``redacted_url`` and hides every header value except the
    user agent, so an ``Endpoint`` can be logged as is.
    """

    url: str = attrs.field(repr=False)
    headers: Mapping[str, str] = attrs.field(repr=_headers_repr, hash=False)
    redacted_url: str


def _vertex_host(config: LiveConfig, credentials: Credentials | None) -> str:
    location = config.location
    if location == "global" or isinstance(credentials, ApiKey):
        return VERTEX_GLOBAL_HOST
    if location in _MULTI_REGIONS:
        return f"aiplatform.{location}.rep.googleapis.com"
    return f"{location}-aiplatform.googleapis.com"


def _base(config: LiveConfig, credentials: Credentials | None, schemes: Mapping[str, str]) -> str:
    """Scheme + host (+ path prefix) with no trailing slash, in the wanted scheme family."""
    if config.base_url is None:
        secure = schemes["https"]
        host = GEMINI_HOST if config.auth == "gemini" else _vertex_host(config, credentials)
        return f"{secure}://{host}"
    parts = urlsplit(config.base_url)
    # LiveConfig validated the scheme already.
    scheme = schemes[parts.scheme.lower()]
    return urlunsplit((scheme, parts.netloc, parts.path.rstrip("/"), parts.query, ""))


def _join(base: str, path: str) -> str:
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, parts.path + path, parts.query, ""))


def build_endpoint(config: LiveConfig, credentials: Credentials) -> Endpoint:
    """The URL and headers for dialling ``config`` with ``credentials``.

    Raises :class:`ConfigError` for combinations that cannot work: an ephemeral
    token with an explicit non-v1alpha ``api_version`` or on Vertex AI.
    """
    headers = client_headers()
    headers.update(config.extra_headers)

    if config.auth == "gemini":
        ephemeral = isinstance(credentials, EphemeralToken)
        if ephemeral and config.api_version not in (None, V1ALPHA):
            raise ConfigError(
                "ephemeral tokens only work with the v1alpha API; set api_version='v1alpha' "
                "(or leave it unset)"
            )
        version = config.resolved_api_version(ephemeral_token=ephemeral)
        method = "BidiGenerateContentConstrained" if ephemeral else "BidiGenerateContent"
        path = f"/ws/google.ai.generativelanguage.{version}.GenerativeService.{method}"
    else:
        if isinstance(credentials, EphemeralToken):
            raise ConfigError(
                "ephemeral tokens are a Gemini API feature; on Vertex AI use "
                "vertex_credentials() or a BearerToken (or set auth='gemini')"
            )
        version = config.resolved_api_version()
        path = f"/ws/google.cloud.aiplatform.{version}.LlmBidiService/BidiGenerateContent"

    if isinstance(credentials, ApiKey):
        headers["x-goog-api-key"] = credentials.key
    elif isinstance(credentials, EphemeralToken):
        headers["Authorization"] = f"Token {credentials.name}"
    elif isinstance(credentials, BearerToken):
        headers["Authorization"] = f"Bearer {credentials.token}"
        if credentials.quota_project:
            headers["x-goog-user-project"] = credentials.quota_project
    else:
        raise ConfigError(
            f"credentials must be ApiKey, EphemeralToken or BearerToken, "
            f"got {type(credentials).__name__}; see resolve_credentials()"
        )

    url = _join(_base(config, credentials, WS_SCHEMES), path)
    return Endpoint(url=url, headers=MappingProxyType(headers), redacted_url=redact_url(url))


def rest_base_url(config: LiveConfig, credentials: Credentials | None = None) -> str:
    """The http(s) root for REST calls (listing models, minting ephemeral tokens).

    No trailing slash and no version: callers append ``/{version}/...``.  It
    follows ``base_url`` (ws -> http, wss -> https) so a fake server serves both.
    ``credentials`` only matters on Vertex AI, where an API key selects the
    express-mode global host.
    """
    return _base(config, credentials, _HTTP_SCHEME)
