"""``live_actor.rest``: the REST calls a Live client needs, without google-genai.

* :func:`list_models`: the models that serve the Live API (``bidiGenerateContent``);
* :func:`resolve_model` / :class:`ModelResolver`: "the newest native-audio model"
  instead of a hard-coded preview name, cached per endpoint and key;
* :func:`check_model`: an unknown model name as a :class:`~live_actor.ConfigError`
  with a suggestion, before any dial;
* :func:`create_ephemeral_token` and :class:`EphemeralTokenProvider`: short-lived
  tokens for clients that must not hold the API key, one fresh token per dial.

All calls are async (``httpx``), run on asyncio and trio, time out, and raise
:class:`RestError` / :class:`RestAuthError` (both :class:`~live_actor.LiveError`)
whose texts never contain a credential.  They work against
:class:`live_actor.testing.FakeLiveServer` (pass its URL as ``base_url``).
"""

from __future__ import annotations

from ._rest_http import RestAuthError, RestError
from ._rest_models import (
    KNOWN_GOOD_MODELS,
    ModelInfo,
    ModelKind,
    ModelResolver,
    check_model,
    list_models,
    model_kind,
    resolve_model,
)
from ._rest_tokens import (
    AuthToken,
    EphemeralTokenProvider,
    create_ephemeral_token,
    token_request_body,
)

__all__ = [
    "KNOWN_GOOD_MODELS",
    "AuthToken",
    "EphemeralTokenProvider",
    "ModelInfo",
    "ModelKind",
    "ModelResolver",
    "RestAuthError",
    "RestError",
    "check_model",
    "create_ephemeral_token",
    "list_models",
    "model_kind",
    "resolve_model",
    "token_request_body",
]
