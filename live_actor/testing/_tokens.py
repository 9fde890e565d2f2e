"""Ephemeral tokens (``auth_tokens/...``): creation rules, use counting, setup locking.

Semantics implemented (from the SDK docstrings and the public docs):

* ``uses``: 0 = unlimited, default 1.  A *new* session consumes a use; resuming a
  session (setup with a resumption handle) does not.
* ``newSessionExpireTime`` (default now+60 s): no new session after it.
  ``expireTime`` (default now+30 min): after it, every message of a session opened
  with the token is refused (close 1008).  Both must be less than 20 h ahead.
* Locking: with ``bidiGenerateContentSetup`` and no ``fieldMask`` the whole token
  setup replaces the client's (client changes are ignored, as the SDK docs say);
  with a ``fieldMask`` only the listed paths (dotted camelCase) are taken from the
  token (a locked path the token leaves unset is removed from the client's setup).
  ``sessionResumption.handle`` is never locked, so resumption works with any token.

Retention: expired tokens are forgotten (when a connection closes or a session
starts), and at most ``MAX_TOKENS`` are kept (oldest forgotten first).

Times are wall-clock datetimes derived from the server loop clock, so virtual time
applies to tokens too.
"""

from __future__ import annotations

import copy
import datetime as dt
import secrets
from typing import Any, Final

import attrs

from ._setup import Reject
from ._wire import camelize, parse_int

__all__ = ["EphemeralToken", "TokenError", "TokenStore"]

MAX_AHEAD: Final = dt.timedelta(hours=20)
#: Tokens a server remembers at most (the oldest is forgotten first).
MAX_TOKENS: Final = 10_000


class TokenError(ValueError):
    """A bad ``auth_tokens.create`` request (HTTP 400)."""


@attrs.define
class EphemeralToken:
    """A created token and its remaining budget."""

    name: str
    uses: int
    expire_time: dt.datetime
    new_session_expire_time: dt.datetime
    setup: dict[str, Any] | None
    field_mask: list[str] | None
    used: int = 0

    def as_json(self) -> dict[str, Any]:
        """The REST representation returned by ``POST /v1alpha/auth_tokens``."""
        out: dict[str, Any] = {
            "name": self.name,
            "uses": self.uses,
            "expireTime": _rfc3339(self.expire_time),
            "newSessionExpireTime": _rfc3339(self.new_session_expire_time),
        }
        if self.setup is not None:
            out["bidiGenerateContentSetup"] = self.setup
        if self.field_mask is not None:
            out["fieldMask"] = ",".join(self.field_mask)
        return out

    def check_new_session(self, now: dt.datetime, *, resuming: bool) -> None:
        """Raise :class:`Reject` if the token cannot open (or resume) a session now."""
        if now >= self.expire_time:
            raise Reject(1008, "The ephemeral token has expired.")
        if resuming:
            return
        if now >= self.new_session_expire_time:
            raise Reject(1008, "The ephemeral token no longer allows new sessions.")
        if self.uses and self.used >= self.uses:
            raise Reject(1008, "The ephemeral token has no uses left.")
        self.used += 1

    def apply(self, client_setup: dict[str, Any]) -> dict[str, Any]:
        """The effective setup: the client's, with the token's locked fields imposed."""
        if self.setup is None:
            return client_setup
        handle = (client_setup.get("sessionResumption") or {}).get("handle")
        if self.field_mask is None:
            merged = copy.deepcopy(self.setup)
        else:
            merged = copy.deepcopy(client_setup)
            for path in self.field_mask:
                _copy_path(self.setup, merged, path.split("."))
        if handle is not None and isinstance(merged.get("sessionResumption"), dict | None):
            resumption = dict(merged.get("sessionResumption") or {})
            resumption["handle"] = handle
            merged["sessionResumption"] = resumption
        return merged


def _copy_path(src: dict[str, Any], dst: dict[str, Any], keys: list[str]) -> None:
    head, rest = keys[0], keys[1:]
    if not rest:
        if head in src:
            dst[head] = copy.deepcopy(src[head])
        else:
            dst.pop(head, None)
        return
    sub_src = src.get(head)
    if not isinstance(sub_src, dict):
        sub_src = {}
    sub_dst = dst.get(head)
    if not isinstance(sub_dst, dict):
        sub_dst = {}
        dst[head] = sub_dst
    _copy_path(sub_src, sub_dst, rest)


def _rfc3339(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _parse_time(value: Any, field: str) -> dt.datetime:
    if not isinstance(value, str):
        raise TokenError(f"Invalid value at '{field}': expected an RFC 3339 timestamp.")
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        raise TokenError(f"Invalid value at '{field}' ({value!r}).") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when


class TokenStore:
    """All tokens created on one server."""

    def __init__(self) -> None:
        self._tokens: dict[str, EphemeralToken] = {}

    def get(self, name: str) -> EphemeralToken | None:
        """Look a token up by its full name (``auth_tokens/...``)."""
        return self._tokens.get(name)

    def __len__(self) -> int:
        return len(self._tokens)

    def prune(self, now: dt.datetime) -> None:
        """Forget expired tokens (a session opened with one keeps its own reference)."""
        for name in [n for n, t in self._tokens.items() if t.expire_time <= now]:
            del self._tokens[name]

    def create(self, body: Any, now: dt.datetime) -> EphemeralToken:
        """Create a token from a REST body (camel or snake case)."""
        if body is None:
            body = {}
        if not isinstance(body, dict):
            raise TokenError("Invalid JSON payload received.")
        body = camelize(body)
        try:
            uses = parse_int(body.get("uses", 1))
        except ValueError:
            raise TokenError("Invalid value at 'uses'.") from None
        if uses < 0:
            raise TokenError("uses must not be negative.")
        expire = (
            _parse_time(body["expireTime"], "expire_time")
            if body.get("expireTime") is not None
            else now + dt.timedelta(minutes=30)
        )
        new_session = (
            _parse_time(body["newSessionExpireTime"], "new_session_expire_time")
            if body.get("newSessionExpireTime") is not None
            else now + dt.timedelta(seconds=60)
        )
        for when, field in ((expire, "expire_time"), (new_session, "new_session_expire_time")):
            if when - now >= MAX_AHEAD:
                raise TokenError(f"{field} must be less than 20 hours in the future.")
        setup = body.get("bidiGenerateContentSetup")
        if setup is not None and not isinstance(setup, dict):
            raise TokenError("Invalid value at 'bidi_generate_content_setup'.")
        mask_raw = body.get("fieldMask")
        if mask_raw is not None and not isinstance(mask_raw, str):
            raise TokenError("Invalid value at 'field_mask'.")
        mask = (
            [p.strip() for p in mask_raw.split(",") if p.strip()] if mask_raw is not None else None
        )
        name = f"auth_tokens/{secrets.token_hex(16)}"
        token = EphemeralToken(
            name=name,
            uses=uses,
            expire_time=expire,
            new_session_expire_time=new_session,
            setup=camelize(setup) if setup is not None else None,
            field_mask=mask,
        )
        self._tokens[name] = token
        while len(self._tokens) > MAX_TOKENS:
            del self._tokens[next(iter(self._tokens))]
        return token
