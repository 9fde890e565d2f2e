"""Ephemeral tokens: ``create_ephemeral_token`` and a provider that mints one per dial.

Why: a browser or phone should never hold the long-lived API key.  A server
mints a short-lived ``auth_tokens/...`` token (``POST /v1alpha/auth_tokens``,
``wire-protocol.md`` §8) and hands it out; the client opens its Live session
with it.  A token allows ``uses`` *new* sessions (resuming does not consume a
use), so a supervised session that reconnects after a drop can resume with the
same token, but one that must start afresh (expired handle) needs a new one:
:class:`EphemeralTokenProvider` mints a fresh single-use token before every
dial, which covers both.

Request shape (what google-genai 3.4.0 sends, ``samples/rest_auth_tokens_create_*``):
``uses``, ``expireTime``, ``newSessionExpireTime`` (RFC 3339),
``bidiGenerateContentSetup`` (the ``setup`` object the token is locked to) and
``fieldMask`` (comma-separated setup paths).  Locking: without
``lock_additional_fields`` no mask is sent and the whole setup is locked;
``[]`` locks the fields the setup sets; extra names lock those too (bare
generation-config names get the ``generationConfig.`` prefix).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Final, cast

import attrs
import httpx
import orjson

from ._auth import CredentialsSource, EphemeralToken
from ._config import LiveConfig
from ._errors import ConfigError
from ._protocol._codec import encode_client_message
from ._protocol._messages import GenerationConfig
from ._rest_http import (
    DEFAULT_TIMEOUT,
    RestError,
    credentials_for_rest,
    http_base_url,
    request_json,
)
from ._rest_models import _ClientScope

__all__ = ["AuthToken", "EphemeralTokenProvider", "create_ephemeral_token", "token_request_body"]

#: Tokens may not be valid for 20 hours or more (the service refuses them).
MAX_AHEAD: Final = dt.timedelta(hours=20)
_GENERATION_FIELDS: Final = frozenset(
    f.name for f in attrs.fields(cast(Any, GenerationConfig)) if f.name != "extra"
)


def _redacted(secret: str) -> str:
    return f"<redacted {len(secret)} chars>"


def _parse_time(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


@attrs.frozen
class AuthToken:
    """A minted ephemeral token.  ``name`` (``auth_tokens/...``) is the secret.

    Pass it to a session as ``credentials=token.credentials`` (or the plain
    ``name`` string, which is detected).
    """

    name: str = attrs.field(repr=_redacted)
    uses: int | None = None
    expire_time: dt.datetime | None = None
    new_session_expire_time: dt.datetime | None = None

    @property
    def credentials(self) -> EphemeralToken:
        """The session credential for this token."""
        return EphemeralToken(self.name)


def _timestamp(
    value: dt.datetime | dt.timedelta | None, field: str, now: dt.datetime
) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.timedelta):
        when = now + value
    elif isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ConfigError(
                f"{field} is a naive datetime; pass an aware one "
                "(datetime.now(timezone.utc) + ...) or a timedelta from now"
            )
        when = value
    else:
        raise ConfigError(f"{field} must be a datetime or a timedelta, got {type(value).__name__}")
    if when <= now:
        raise ConfigError(f"{field} is in the past; tokens must expire in the future")
    if when - now >= MAX_AHEAD:
        raise ConfigError(f"{field} must be less than 20 hours ahead")
    return when.astimezone(dt.UTC).isoformat()


def _setup_json(constraints: LiveConfig | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(constraints, Mapping):
        # google-genai's LiveConnectConstraints as a dict: {"model": ..., "config": ...}
        from ._genai import live_config_from_genai

        unknown = set(constraints) - {"model", "config"}
        if unknown or "model" not in constraints:
            raise ConfigError(
                "live_connect_constraints must be a LiveConfig or {'model': ..., "
                "'config': <LiveConnectConfig or its dict>}"
                + (f"; unknown keys: {', '.join(sorted(unknown))}" if unknown else "")
            )
        constraints = live_config_from_genai(constraints["model"], constraints.get("config"))
    elif not isinstance(constraints, LiveConfig):
        dumped = getattr(constraints, "model_dump", None)
        if not callable(dumped):
            raise ConfigError(
                f"live_connect_constraints must be a LiveConfig, got {type(constraints).__name__}"
            )
        return _setup_json(dumped(exclude_none=True))
    if constraints.auth != "gemini":
        raise ConfigError("ephemeral tokens are a Gemini API feature; use auth='gemini'")
    setup: dict[str, Any] = orjson.loads(encode_client_message(constraints.to_setup()))["setup"]
    return setup


def _field_mask(setup: Mapping[str, Any]) -> list[str]:
    # Same two-level rule as google-genai: a non-empty object contributes its keys.
    fields: list[str] = []
    for key, value in setup.items():
        if isinstance(value, dict) and value:
            fields += [f"{key}.{sub}" for sub in value]
        else:
            fields.append(key)
    return fields


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def token_request_body(
    *,
    uses: int | None = None,
    expire_time: dt.datetime | dt.timedelta | None = None,
    new_session_expire_time: dt.datetime | dt.timedelta | None = None,
    live_connect_constraints: LiveConfig | Mapping[str, Any] | None = None,
    lock_additional_fields: Sequence[str] | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """The JSON body of ``POST /v1alpha/auth_tokens`` (pure; see the module docstring)."""
    now = now or dt.datetime.now(dt.UTC)
    body: dict[str, Any] = {}
    if uses is not None:
        if isinstance(uses, bool) or not isinstance(uses, int) or uses < 0:
            raise ConfigError(f"uses must be an int >= 0 (0 = unlimited), got {uses!r}")
        body["uses"] = uses
    expire = _timestamp(expire_time, "expire_time", now)
    new_session = _timestamp(new_session_expire_time, "new_session_expire_time", now)
    if expire is not None:
        body["expireTime"] = expire
    if new_session is not None:
        body["newSessionExpireTime"] = new_session
    if isinstance(lock_additional_fields, str):
        raise ConfigError("lock_additional_fields must be a list of field names, not a str")
    if live_connect_constraints is None:
        if lock_additional_fields:
            raise ConfigError(
                "lock_additional_fields needs live_connect_constraints (the setup to lock)"
            )
        return body
    setup = _setup_json(live_connect_constraints)
    body["bidiGenerateContentSetup"] = setup
    if lock_additional_fields is not None:
        mask = _field_mask(setup)
        for field in lock_additional_fields:
            if not isinstance(field, str) or not field:
                raise ConfigError("lock_additional_fields must hold non-empty field names")
            path = ".".join(_camel(part) for part in field.split("."))
            if field in _GENERATION_FIELDS or path in {_camel(f) for f in _GENERATION_FIELDS}:
                path = f"generationConfig.{path}"
            mask.append(path)
        body["fieldMask"] = ",".join(dict.fromkeys(mask))
    return body


async def create_ephemeral_token(
    *,
    uses: int | None = None,
    expire_time: dt.datetime | dt.timedelta | None = None,
    new_session_expire_time: dt.datetime | dt.timedelta | None = None,
    live_connect_constraints: LiveConfig | Mapping[str, Any] | None = None,
    lock_additional_fields: Sequence[str] | None = None,
    api_key: str | None = None,
    credentials: CredentialsSource | None = None,
    base_url: str | None = None,
    request_timeout: float = DEFAULT_TIMEOUT,
    client: httpx.AsyncClient | None = None,
) -> AuthToken:
    """Mint an ephemeral token with the long-lived key (Gemini API, v1alpha).

    * ``uses``: new sessions the token may open (0 = unlimited; server default 1).
    * ``expire_time``: after it the token's sessions are refused (default 30 min);
      ``new_session_expire_time``: no new session after it (default 60 s).  Both
      take an aware ``datetime`` or a ``timedelta`` from now, < 20 h ahead.
    * ``live_connect_constraints``: a :class:`~live_actor.LiveConfig` (or
      google-genai's ``{"model", "config"}``) the token's sessions are locked to;
      ``lock_additional_fields`` selects what is locked (see the module docstring).

    The key is ``api_key``, else ``credentials``, else ``GEMINI_API_KEY``.
    Errors: :class:`ConfigError` for a bad request built here, :class:`RestAuthError`
    for a refused key, :class:`RestError` for the rest; none contains a secret.
    """
    body = token_request_body(
        uses=uses,
        expire_time=expire_time,
        new_session_expire_time=new_session_expire_time,
        live_connect_constraints=live_connect_constraints,
        lock_additional_fields=lock_additional_fields,
    )
    creds = await credentials_for_rest(api_key, credentials)
    url = f"{http_base_url(base_url)}/v1alpha/auth_tokens"
    async with _ClientScope(client) as http:
        answer = await request_json(
            http,
            "POST",
            url,
            credentials=creds,
            what="create_ephemeral_token",
            body=body,
            request_timeout=request_timeout,
        )
    name = answer.get("name")
    if not isinstance(name, str) or not name.startswith("auth_tokens/"):
        raise RestError("create_ephemeral_token: the response has no 'auth_tokens/...' name")
    raw_uses = answer.get("uses")
    return AuthToken(
        name=name,
        uses=raw_uses if isinstance(raw_uses, int) else uses,
        expire_time=_parse_time(answer.get("expireTime")),
        new_session_expire_time=_parse_time(answer.get("newSessionExpireTime")),
    )


class EphemeralTokenProvider:
    """A credentials provider minting a fresh ephemeral token before every dial.

    ::

        provider = EphemeralTokenProvider(api_key=LONG_LIVED_KEY, uses=1)
        async with live_actor.open_session(config, credentials=provider) as session:
            ...

    Each call mints one token (``uses`` defaults to 1) with the long-lived key,
    so every connection of a supervised session, first dial, goAway rotation or
    reconnect, gets its own single-use token.  ``minted`` counts the tokens.
    The long-lived key is held only in memory and never shown by ``repr``.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        credentials: CredentialsSource | None = None,
        base_url: str | None = None,
        uses: int = 1,
        expire_time: dt.timedelta = dt.timedelta(minutes=30),
        new_session_expire_time: dt.timedelta = dt.timedelta(minutes=1),
        live_connect_constraints: LiveConfig | Mapping[str, Any] | None = None,
        lock_additional_fields: Sequence[str] | None = None,
        request_timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        if api_key is not None and credentials is not None:
            raise ConfigError("pass api_key or credentials, not both")
        # Build one body now so a bad argument fails at construction, not at the first dial.
        token_request_body(
            uses=uses,
            expire_time=expire_time,
            new_session_expire_time=new_session_expire_time,
            live_connect_constraints=live_connect_constraints,
            lock_additional_fields=lock_additional_fields,
        )
        self._api_key = api_key
        self._credentials = credentials
        self.base_url = base_url
        self.uses = uses
        self.expire_time = expire_time
        self.new_session_expire_time = new_session_expire_time
        self.live_connect_constraints = live_connect_constraints
        self.lock_additional_fields = lock_additional_fields
        self.request_timeout = request_timeout
        #: Tokens minted so far.
        self.minted = 0

    def __repr__(self) -> str:
        return f"<EphemeralTokenProvider uses={self.uses} minted={self.minted}>"

    async def mint(self) -> AuthToken:
        """Mint one token (what each call does)."""
        token = await create_ephemeral_token(
            uses=self.uses,
            expire_time=self.expire_time,
            new_session_expire_time=self.new_session_expire_time,
            live_connect_constraints=self.live_connect_constraints,
            lock_additional_fields=self.lock_additional_fields,
            api_key=self._api_key,
            credentials=self._credentials,
            base_url=self.base_url,
            request_timeout=self.request_timeout,
        )
        self.minted += 1
        return token

    async def __call__(self) -> EphemeralToken:
        return (await self.mint()).credentials
