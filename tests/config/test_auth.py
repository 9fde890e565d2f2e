"""Credentials: redaction, resolution before each dial, env lookup, google-auth provider."""

from __future__ import annotations

import sys
import threading
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from live_actor._auth import (
    ApiKey,
    BearerToken,
    Credentials,
    EphemeralToken,
    api_key_from_env,
    resolve_credentials,
    vertex_credentials,
)
from live_actor._errors import ConfigError, ConnectError

KEY = "AIzaSyD-SECRET-key-0123456789abcdef"
TOKEN = "auth_tokens/SECRET-ephemeral-0123"
BEARER = "ya29.SECRET-bearer-0123456789"

# Secrets that cannot collide with the text of a repr ("ApiKey", "redacted", ...).
secrets = st.text(alphabet="0123456789QZJXqzjx-_.", min_size=6, max_size=64)


# ----------------------------------------------------------------- redaction


@pytest.mark.parametrize(
    ("credential", "secret"),
    [
        (ApiKey(KEY), KEY),
        (EphemeralToken(TOKEN), TOKEN),
        (BearerToken(BEARER, quota_project="billing-proj"), BEARER),
    ],
)
def test_repr_and_str_hide_the_secret(credential: Credentials, secret: str) -> None:
    for text in (repr(credential), str(credential), f"{credential!r:}", repr([credential])):
        assert secret not in text
        assert "SECRET" not in text
        assert f"<redacted {len(secret)} chars>" in text


def test_bearer_repr_shows_quota_project() -> None:
    assert repr(BearerToken(BEARER, quota_project="billing-proj")) == (
        f"BearerToken(token=<redacted {len(BEARER)} chars>, quota_project='billing-proj')"
    )


@given(secrets)
def test_no_secret_in_any_repr(secret: str) -> None:
    for credential in (
        ApiKey(secret),
        EphemeralToken("auth_tokens/" + secret),
        BearerToken(secret),
    ):
        assert secret not in repr(credential)


@pytest.mark.parametrize("cls", [ApiKey, BearerToken])
@pytest.mark.parametrize("bad", ["", f"{KEY}\n", f" {KEY}", "a b", "a\x00b"])
def test_bad_secret_values_are_rejected_without_echo(cls: Any, bad: str) -> None:
    with pytest.raises(ConfigError) as info:
        cls(bad)
    if bad.strip():
        assert bad.strip() not in str(info.value)


def test_trailing_newline_hint() -> None:
    with pytest.raises(ConfigError, match="trailing newline"):
        ApiKey(KEY + "\n")


def test_api_key_that_is_an_ephemeral_token() -> None:
    with pytest.raises(ConfigError, match="use EphemeralToken"):
        ApiKey(TOKEN)


@pytest.mark.parametrize("name", ["abc", "auth_tokens/", "tokens/abc"])
def test_ephemeral_token_needs_full_name(name: str) -> None:
    with pytest.raises(ConfigError, match="starting with 'auth_tokens/'"):
        EphemeralToken(name)


def test_credentials_are_frozen_values() -> None:
    assert ApiKey(KEY) == ApiKey(KEY)
    assert hash(ApiKey(KEY)) == hash(ApiKey(KEY))
    assert BearerToken(BEARER) != BearerToken(BEARER, quota_project="q")


# ---------------------------------------------------------------- resolution


@pytest.mark.anyio
async def test_resolve_plain_values() -> None:
    key = ApiKey(KEY)
    assert await resolve_credentials(key) is key
    assert await resolve_credentials(KEY) == ApiKey(KEY)
    assert await resolve_credentials(TOKEN) == EphemeralToken(TOKEN)


@pytest.mark.anyio
async def test_sync_provider_is_called_every_time() -> None:
    minted = iter(["auth_tokens/one", "auth_tokens/two"])

    def provider() -> EphemeralToken:
        return EphemeralToken(next(minted))

    assert await resolve_credentials(provider) == EphemeralToken("auth_tokens/one")
    assert await resolve_credentials(provider) == EphemeralToken("auth_tokens/two")


@pytest.mark.anyio
async def test_async_provider_and_str_result() -> None:
    calls = 0

    async def provider() -> str:
        nonlocal calls
        calls += 1
        return KEY if calls == 1 else TOKEN

    assert await resolve_credentials(provider) == ApiKey(KEY)
    assert await resolve_credentials(provider) == EphemeralToken(TOKEN)


@pytest.mark.anyio
async def test_failing_provider_raises_connect_error_without_secret() -> None:
    def provider() -> ApiKey:
        raise RuntimeError(f"HTTP 500 while minting; request had key={KEY}")

    with pytest.raises(ConnectError) as info:
        await resolve_credentials(provider)
    assert KEY not in str(info.value)
    assert "provider" in str(info.value) and "RuntimeError" in str(info.value)
    assert isinstance(info.value.__cause__, RuntimeError)


@pytest.mark.anyio
async def test_failing_async_provider() -> None:
    async def provider() -> ApiKey:
        raise OSError("network down")

    with pytest.raises(ConnectError, match="OSError") as info:
        await resolve_credentials(provider)
    assert isinstance(info.value.__cause__, OSError)


@pytest.mark.anyio
async def test_library_errors_from_a_provider_pass_through() -> None:
    def provider() -> ApiKey:
        return ApiKey("")

    with pytest.raises(ConfigError, match="empty"):
        await resolve_credentials(provider)

    async def refusing() -> ApiKey:
        raise ConnectError("token service said no", code=None)

    with pytest.raises(ConnectError, match="token service said no"):
        await resolve_credentials(refusing)


@pytest.mark.anyio
async def test_provider_returning_garbage_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="returned int; it must return ApiKey"):
        await resolve_credentials(lambda: 42)  # type: ignore[arg-type,return-value]


@pytest.mark.anyio
async def test_non_callable_source_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="credentials must be"):
        await resolve_credentials(42)  # type: ignore[arg-type]


@pytest.mark.anyio
async def test_provider_returning_invalid_value_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="trailing newline"):
        await resolve_credentials(lambda: KEY + "\n")


# ----------------------------------------------------------------- env lookup


def test_api_key_from_env() -> None:
    assert api_key_from_env({"GEMINI_API_KEY": KEY}) == ApiKey(KEY)
    assert api_key_from_env({"GOOGLE_API_KEY": KEY + "\n"}) == ApiKey(KEY)
    # google-genai's precedence: GOOGLE_API_KEY wins.
    both = {"GEMINI_API_KEY": "gemini-key-1", "GOOGLE_API_KEY": "google-key-2"}
    assert api_key_from_env(both) == ApiKey("google-key-2")
    assert api_key_from_env({"GOOGLE_API_KEY": " ", "GEMINI_API_KEY": "g"}) == ApiKey("g")


def test_api_key_from_env_missing() -> None:
    with pytest.raises(ConfigError, match="set GEMINI_API_KEY"):
        api_key_from_env({})


def test_api_key_from_process_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    monkeypatch.setenv("GEMINI_API_KEY", KEY)
    assert api_key_from_env() == ApiKey(KEY)


# ------------------------------------------------------------ vertex provider


class FakeGoogleCredentials:
    """Duck-typed google.auth credentials: counts refreshes and where they ran."""

    def __init__(self, *, valid: bool, quota_project_id: str | None = None) -> None:
        self.valid = valid
        self.token: str | None = "ya29.initial" if valid else None
        self.quota_project_id = quota_project_id
        self.refresh_threads: list[int] = []

    def refresh(self, request: Any) -> None:
        self.refresh_threads.append(threading.get_ident())
        self.token = f"ya29.refreshed-{len(self.refresh_threads)}"
        self.valid = True


@pytest.mark.anyio
async def test_vertex_credentials_refresh_in_worker_thread() -> None:
    creds = FakeGoogleCredentials(valid=False, quota_project_id="quota-p")
    provider = vertex_credentials(credentials=creds)
    token = await resolve_credentials(provider)
    assert token == BearerToken("ya29.refreshed-1", quota_project="quota-p")
    assert creds.refresh_threads and creds.refresh_threads[0] != threading.get_ident()
    # Still valid: no second refresh, same token.
    assert await resolve_credentials(provider) == token
    assert len(creds.refresh_threads) == 1
    # Expired: refreshed again before the next dial.
    creds.valid = False
    assert await resolve_credentials(provider) == BearerToken(
        "ya29.refreshed-2", quota_project="quota-p"
    )


@pytest.mark.anyio
async def test_vertex_credentials_explicit_quota_project_wins() -> None:
    creds = FakeGoogleCredentials(valid=True, quota_project_id="from-creds")
    provider = vertex_credentials(credentials=creds, quota_project="explicit")
    assert await provider() == BearerToken("ya29.initial", quota_project="explicit")


@pytest.mark.anyio
async def test_vertex_credentials_uses_adc_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    import google.auth

    creds = FakeGoogleCredentials(valid=False)
    seen: dict[str, Any] = {}

    def fake_default(*, scopes: list[str]) -> tuple[Any, str]:
        seen["scopes"] = scopes
        return creds, "adc-project"

    monkeypatch.setattr(google.auth, "default", fake_default)
    provider = vertex_credentials(scopes=["scope-a"])
    assert await provider() == BearerToken("ya29.refreshed-1")
    assert seen["scopes"] == ["scope-a"]


@pytest.mark.anyio
async def test_vertex_credentials_failure_is_connect_error() -> None:
    class Broken(FakeGoogleCredentials):
        def refresh(self, request: Any) -> None:
            raise RuntimeError("invalid_grant: secret-refresh-token-xyz")

    provider = vertex_credentials(credentials=Broken(valid=False))
    with pytest.raises(ConnectError) as info:
        await resolve_credentials(provider)
    assert "secret-refresh-token-xyz" not in str(info.value)
    assert isinstance(info.value.__cause__, RuntimeError)


def test_vertex_credentials_without_google_auth(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "google.auth", None)
    with pytest.raises(ConfigError, match=r"pip install 'live_actor\[vertex\]'"):
        vertex_credentials()


def test_vertex_credentials_scopes_must_be_a_sequence() -> None:
    with pytest.raises(ConfigError, match="sequence of scope URLs"):
        vertex_credentials(scopes="https://www.googleapis.com/auth/cloud-platform")
