"""The two REST calls a Live client needs: list models, create ephemeral tokens.

Pure request → response functions (the HTTP plumbing lives in ``_http``).  Errors use
Google's JSON error shape ``{"error": {"code", "message", "status"}}``:

* no credential ⇒ 403 PERMISSION_DENIED "Method doesn't allow unregistered callers ..."
* a key outside the configured set ⇒ 400 INVALID_ARGUMENT "API key not valid. Please
  pass a valid API key." (what the service answers for a bad key)
* unknown path ⇒ 404 NOT_FOUND; bad page token or token body ⇒ 400 INVALID_ARGUMENT.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

import attrs

from ._tokens import TokenError, TokenStore

__all__ = ["RestApp", "error_body"]

MISSING_KEY: Final = (
    "Method doesn't allow unregistered callers (callers without established identity). "
    "Please use API Key or other form of API consumer identity to call this API."
)
BAD_KEY: Final = "API key not valid. Please pass a valid API key."
OTHER_MODELS: Final = ("gemini-2.5-flash", "gemini-2.5-pro", "text-embedding-004")
VERSIONS: Final = frozenset({"v1", "v1beta", "v1alpha"})


def error_body(code: int, message: str, status: str) -> dict[str, Any]:
    """Google's REST error envelope."""
    return {"error": {"code": code, "message": message, "status": status}}


def _model_json(model_id: str, live: bool) -> dict[str, Any]:
    methods = ["generateContent", "countTokens"]
    if live:
        methods = ["bidiGenerateContent", "countTokens"]
    if model_id.startswith("text-embedding"):
        methods = ["embedContent"]
    return {
        "name": f"models/{model_id}",
        "baseModelId": model_id,
        "version": "001",
        "displayName": model_id.replace("-", " ").title(),
        "description": f"Fake {model_id} served by live_actor.testing.",
        "inputTokenLimit": 131072,
        "outputTokenLimit": 8192,
        "supportedGenerationMethods": methods,
        "temperature": 1,
        "topP": 0.95,
        "topK": 64,
    }


@attrs.define
class RestApp:
    """REST handler bound to one server's models, keys and tokens."""

    live_models: Sequence[str]
    tokens: TokenStore
    key_ok: Callable[[str], bool]
    now: Callable[[], dt.datetime]

    def handle(
        self,
        method: str,
        path: str,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        body: Any,
    ) -> tuple[int, dict[str, Any]]:
        """Route one request; returns ``(status, json_body)``."""
        parts = [p for p in path.split("/") if p]
        if not parts or parts[0] not in VERSIONS:
            return 404, error_body(404, f"Path {path} not found.", "NOT_FOUND")
        key = headers.get("x-goog-api-key") or query.get("key") or ""
        if not key:
            return 403, error_body(403, MISSING_KEY, "PERMISSION_DENIED")
        if not self.key_ok(key):
            return 400, error_body(400, BAD_KEY, "INVALID_ARGUMENT")
        version, rest = parts[0], parts[1:]
        if rest == ["models"] and method == "GET":
            return self._list_models(query)
        if len(rest) == 2 and rest[0] == "models" and method == "GET":
            return self._get_model(rest[1])
        if rest == ["auth_tokens"] and method == "POST":
            if version != "v1alpha":
                return 404, error_body(404, f"Path {path} not found.", "NOT_FOUND")
            try:
                token = self.tokens.create(body, self.now())
            except TokenError as exc:
                return 400, error_body(400, str(exc), "INVALID_ARGUMENT")
            return 200, token.as_json()
        return 404, error_body(404, f"Path {path} not found.", "NOT_FOUND")

    def _all_models(self) -> list[dict[str, Any]]:
        models = [_model_json(m, True) for m in self.live_models]
        models += [_model_json(m, False) for m in OTHER_MODELS if m not in self.live_models]
        return models

    def _get_model(self, model_id: str) -> tuple[int, dict[str, Any]]:
        for model in self._all_models():
            if model["name"] == f"models/{model_id}":
                return 200, model
        return 404, error_body(404, f"models/{model_id} is not found.", "NOT_FOUND")

    def _list_models(self, query: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        try:
            size = int(query.get("pageSize") or 50)
        except ValueError:
            return 400, error_body(400, "Invalid value at 'page_size'.", "INVALID_ARGUMENT")
        size = max(1, min(size, 1000))
        offset = 0
        token = query.get("pageToken")
        if token:
            try:
                offset = int(base64.urlsafe_b64decode(token.encode()).decode().removeprefix("o:"))
            except ValueError:
                return 400, error_body(400, "Invalid page token.", "INVALID_ARGUMENT")
        models = self._all_models()
        page = models[offset : offset + size]
        out: dict[str, Any] = {"models": page}
        if offset + size < len(models):
            out["nextPageToken"] = base64.urlsafe_b64encode(f"o:{offset + size}".encode()).decode()
        return 200, out
