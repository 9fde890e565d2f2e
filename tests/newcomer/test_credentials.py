"""The README's credentials claims, and secrets never shown.

Each test quotes (in its docstring) the claim it checks and uses only the public
API; each assertion would fail if the quoted claim were false.
"""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

import live_actor
from live_actor.testing import FakeLiveServer

from ..helpers import API_KEY, eventually, text_config
from ._support import no_jitter

pytestmark = pytest.mark.anyio


async def test_api_key_is_a_header_never_in_the_url(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """README: ``api_key=`` is "sent as the x-goog-api-key header, never in the URL"."""
    async with live_actor.open_session(text_config(), api_key=API_KEY, base_url=server.url):
        conn = await server.wait_for_connection()
    assert conn.headers.get("x-goog-api-key") == API_KEY
    assert API_KEY not in conn.path
    assert conn.auth_kind == "api_key"


async def test_ephemeral_token_uses_v1alpha_constrained(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """README: ``credentials=EphemeralToken("auth_tokens/...")`` (v1alpha
    BidiGenerateContentConstrained)."""
    token = server.create_token()
    assert token.startswith("auth_tokens/")
    with capture_logs() as logs:
        async with live_actor.open_session(
            text_config(), credentials=live_actor.EphemeralToken(token), base_url=server.url
        ) as session:
            await session.send_client_content("hi")
            assert (await session.receive_turn()).text == 'You said: "hi".'
            conn = await server.wait_for_connection()
    assert "v1alpha" in conn.path and conn.path.endswith("BidiGenerateContentConstrained")
    assert token not in conn.path
    assert token not in repr(logs)
    assert token not in repr(live_actor.EphemeralToken(token))


async def test_provider_is_called_before_every_dial(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """README: "a provider callable called before every dial (single-use tokens)"."""
    minted: list[str] = []

    async def provider() -> live_actor.EphemeralToken:
        token = server.create_token(uses=1)
        minted.append(token)
        return live_actor.EphemeralToken(token)

    async with live_actor.open_session(
        text_config(), credentials=provider, base_url=server.url, policy=no_jitter()
    ) as session:
        (await server.wait_for_connection(1)).drop()
        await eventually(lambda: session.connection_number == 2)
        await session.wait_ready()
        await session.send_client_content("still here")
        assert (await session.receive_turn()).text == 'You said: "still here".'
    assert len(minted) == 2 and minted[0] != minted[1]


async def test_bearer_token_on_vertex(anyio_backend: str, server: FakeLiveServer) -> None:
    """README: ``BearerToken(...)`` for Vertex; LiveConfig auth="vertex_ai" + project."""
    config = text_config(auth="vertex_ai", project_id="my-project", location="europe-west4")
    async with live_actor.open_session(
        config, credentials=live_actor.BearerToken("ya29.secret-bearer"), base_url=server.url
    ) as session:
        await session.send_client_content("hello vertex")
        assert (await session.receive_turn()).text == 'You said: "hello vertex".'
        conn = await server.wait_for_connection()
    assert conn.backend == "vertex" and conn.auth_kind == "bearer"
    assert conn.headers.get("authorization") == "Bearer ya29.secret-bearer"
    assert "secret-bearer" not in repr(live_actor.BearerToken("ya29.secret-bearer"))


async def test_vertex_without_credentials_is_a_config_error(anyio_backend: str) -> None:
    """start_session: vertex needs credentials= (no silent fallback to an API key)."""
    config = text_config(auth="vertex_ai", project_id="p")
    with pytest.raises(live_actor.ConfigError, match="credentials"):
        async with live_actor.open_session(config, base_url="ws://127.0.0.1:1"):
            pass


async def test_secrets_never_appear_in_logs_reprs_errors_or_urls(
    anyio_backend: str,
) -> None:
    """README: "Secrets never appear in logs, reprs, exception texts or logged URLs";
    CHANGELOG: every query value, the userinfo and the fragment are shown as REDACTED."""
    secret_query = "QUERYSECRET123"
    errors: list[BaseException] = []
    with FakeLiveServer(chunk_delay=0, api_keys=["other"], reject_auth_at_upgrade=True) as srv:
        base = srv.url.replace("ws://", "ws://user:PASSWORDSECRET@") + f"/?key={secret_query}"
        config = text_config(base_url=base)
        with capture_logs() as logs, pytest.raises(live_actor.SetupRejectedError) as info:
            async with live_actor.open_session(config, api_key=API_KEY, on_error=errors.append):
                pass
    texts = [repr(logs), repr(config), str(info.value), repr(info.value), repr(errors)]
    texts.append(str(info.value.reason))
    for text in texts:
        for secret in (API_KEY, secret_query, "PASSWORDSECRET"):
            assert secret not in text
    assert "REDACTED" in repr(config) or "REDACTED" in repr(logs)
    assert "<redacted" in repr(live_actor.ApiKey(API_KEY))


async def test_secrets_absent_from_successful_session_logs(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """README: secrets never in logs or reprs (a normal session, with a reconnect)."""
    with capture_logs() as logs:
        async with live_actor.open_session(
            text_config(), api_key=API_KEY, base_url=server.url, policy=no_jitter()
        ) as session:
            await session.send_client_content("hello")
            await session.receive_turn()
            server.connections[0].drop()
            await eventually(lambda: session.connection_number == 2)
            await session.wait_ready()
            text = repr(session) + repr(session.config) + repr(session.ledger)
    assert logs
    assert API_KEY not in repr(logs) and API_KEY not in text
