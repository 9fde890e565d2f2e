"""Encryption at rest of what a store keeps (the transcript is personal data).

Fernet (AES-128-CBC with HMAC-SHA256, from ``cryptography``, the ``fleet``
extra) with a key the application supplies.  Several keys rotate: the first
encrypts, every one decrypts (``MultiFernet``), so a new key is rolled out by
putting it first and the old one is dropped once the retention period passed.
Keys are never logged, and neither is anything decrypted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from .._errors import ConfigError
from ._api import StoreError

__all__ = ["Sealer", "generate_key", "sealer"]

Key = str | bytes


class Sealer(Protocol):
    def seal(self, data: bytes) -> bytes: ...

    def open(self, data: bytes) -> bytes: ...


class _Plain:
    """No encryption (an explicit choice: ``RedisStore(..., plaintext=True)``)."""

    def seal(self, data: bytes) -> bytes:
        return data

    def open(self, data: bytes) -> bytes:
        return data


class _Fernet:
    def __init__(self, keys: Sequence[Key]) -> None:
        from cryptography.fernet import Fernet, MultiFernet

        try:
            self._fernet = MultiFernet([Fernet(key) for key in keys])
        except (ValueError, TypeError):
            raise ConfigError(
                "a store key must be 32 url-safe base64-encoded bytes:"
                " make one with live_actor.stores.generate_key()"
            ) from None

    def seal(self, data: bytes) -> bytes:
        return self._fernet.encrypt(data)

    def open(self, data: bytes) -> bytes:
        from cryptography.fernet import InvalidToken

        try:
            return self._fernet.decrypt(data)
        except InvalidToken:
            raise StoreError(
                "cannot decrypt a stored session: it was written with another key"
                " (pass every key still in use, newest first) or it was altered"
            ) from None


def _require_cryptography() -> None:
    try:
        import cryptography.fernet  # noqa: F401
    except ImportError:
        raise ConfigError(
            "encrypting stored sessions needs the cryptography package:"
            " pip install 'live_actor[fleet]'"
        ) from None


def sealer(key: Key | Sequence[Key] | None, *, plaintext: bool) -> Sealer:
    """The sealer for a store's ``key`` (or none, when ``plaintext`` says so)."""
    if key is None:
        if not plaintext:
            raise ConfigError(
                "RedisStore keeps transcripts (personal data) and resumption handles"
                " (secrets): pass key=live_actor.stores.generate_key() (kept by the app,"
                " e.g. in a secret manager), or plaintext=True to store them unencrypted"
            )
        return _Plain()
    if plaintext:
        raise ConfigError("pass a key or plaintext=True, not both")
    _require_cryptography()
    keys = [key] if isinstance(key, str | bytes) else list(key)
    if not keys:
        raise ConfigError("key must name at least one key")
    return _Fernet(keys)


def generate_key() -> str:
    """A new random encryption key for a store (keep it secret, e.g. in a secret manager)."""
    _require_cryptography()
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()
