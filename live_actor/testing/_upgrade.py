"""What a WebSocket upgrade decides: which API its path is, and whether its credentials pass.

WebSocket paths (a leading ``//`` is tolerated, as the SDK dials it):

* ``/ws/google.ai.generativelanguage.{v1alpha|v1beta|v1}.GenerativeService.BidiGenerateContent``
* ``/ws/google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateContentConstrained``
* ``/ws/google.cloud.aiplatform.{v1beta1|v1}.LlmBidiService/BidiGenerateContent``

Credentials (header or query) are evaluated at the upgrade; the outcome travels with
the connection, which reports a refusal as close 1008 after the client's first
message (how the SDK surfaces it as ``APIError``), or with
``reject_auth_at_upgrade=True`` the HTTP layer refuses the upgrade with 401/403.

Refusal reasons: no credential ⇒ "The request is missing a valid API key."; key not
in ``api_keys`` ⇒ "API key not valid. Please pass a valid API key."; ephemeral
token on the plain method ⇒ "Method doesn't allow unregistered callers ...";
unknown token ⇒ "The ephemeral token is not valid."; bearer not in
``bearer_tokens`` ⇒ "Request had invalid authentication credentials."
"""

from __future__ import annotations

import re
from typing import Final

import attrs

from ._settings import FakeServerSettings
from ._setup import Reject
from ._tokens import EphemeralToken, TokenStore

__all__ = ["AuthInfo", "WsRoute", "evaluate_auth", "match_ws_path", "normalise_path"]

_GEMINI = re.compile(
    r"^/ws/google\.ai\.generativelanguage\.(v1alpha|v1beta|v1)\.GenerativeService\."
    r"(BidiGenerateContent|BidiGenerateContentConstrained)$"
)
_VERTEX = re.compile(
    r"^/ws/google\.cloud\.aiplatform\.(v1beta1|v1)\.LlmBidiService/BidiGenerateContent$"
)
MISSING: Final = "The request is missing a valid API key."
BAD_KEY: Final = "API key not valid. Please pass a valid API key."
UNREGISTERED: Final = (
    "Method doesn't allow unregistered callers (callers without established identity)."
)
BAD_TOKEN: Final = "The ephemeral token is not valid."
BAD_BEARER: Final = "Request had invalid authentication credentials."


@attrs.frozen
class WsRoute:
    """Which API a WebSocket path belongs to."""

    backend: str
    api_version: str
    constrained: bool = False


@attrs.frozen
class AuthInfo:
    """Outcome of credential checks at the upgrade (refusal deferred to the first message)."""

    kind: str | None
    error: Reject | None = None
    token: EphemeralToken | None = None
    http_status: int = 403


def normalise_path(path: str) -> str:
    """Collapse repeated leading slashes (``//ws/...`` → ``/ws/...``)."""
    return "/" + path.lstrip("/")


def match_ws_path(path: str) -> WsRoute | None:
    """Route a WebSocket path, or None for unknown paths (HTTP 404)."""
    path = normalise_path(path)
    m = _GEMINI.match(path)
    if m:
        constrained = m.group(2) == "BidiGenerateContentConstrained"
        if constrained and m.group(1) != "v1alpha":
            return None
        return WsRoute("gemini", m.group(1), constrained)
    m = _VERTEX.match(path)
    if m:
        return WsRoute("vertex", m.group(1))
    return None


def evaluate_auth(
    settings: FakeServerSettings,
    tokens: TokenStore,
    route: WsRoute,
    headers: dict[str, str],
    query: dict[str, str],
) -> AuthInfo:
    """Decide whether the credentials of an upgrade request are acceptable."""
    authz = headers.get("authorization", "")
    api_key = headers.get("x-goog-api-key") or query.get("key") or ""
    if route.backend == "vertex":
        if authz.lower().startswith("bearer "):
            bearer = authz[7:].strip()
            if bearer and settings.bearer_ok(bearer):
                return AuthInfo("bearer")
            return AuthInfo("bearer", Reject(1008, BAD_BEARER), http_status=401)
        if api_key:
            if settings.key_ok(api_key):
                return AuthInfo("api_key")
            return AuthInfo("api_key", Reject(1008, BAD_KEY))
        return AuthInfo(None, Reject(1008, MISSING), http_status=401)
    token_name = ""
    if authz.startswith("Token "):
        token_name = authz[6:].strip()
    elif query.get("access_token"):
        token_name = query["access_token"]
    elif api_key.startswith("auth_tokens/"):
        token_name = api_key
    if token_name:
        if not route.constrained:
            return AuthInfo("token", Reject(1008, UNREGISTERED))
        token = tokens.get(token_name)
        if token is None:
            return AuthInfo("token", Reject(1008, BAD_TOKEN), http_status=401)
        return AuthInfo("token", token=token)
    if route.constrained:
        return AuthInfo(None, Reject(1008, UNREGISTERED))
    if not api_key:
        return AuthInfo(None, Reject(1008, MISSING))
    if not settings.key_ok(api_key):
        return AuthInfo("api_key", Reject(1008, BAD_KEY))
    return AuthInfo("api_key")
