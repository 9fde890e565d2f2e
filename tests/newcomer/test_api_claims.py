"""Smaller claims of the README, the CHANGELOG and the docstrings.

Each test quotes (in its docstring) the claim it checks and uses only the public
API; each assertion would fail if the quoted claim were false.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest

import live_actor
from live_actor import wire
from live_actor.testing import FakeLiveServer

from ..helpers import API_KEY, eventually, text_config
from ._support import README, no_jitter

pytestmark = pytest.mark.anyio


def test_credentials_validation_and_env() -> None:
    """ApiKey/EphemeralToken validation; api_key_from_env: GOOGLE_API_KEY wins, whitespace
    stripped; the ConfigError texts do not echo the secret."""
    with pytest.raises(live_actor.ConfigError) as info:
        live_actor.ApiKey(API_KEY + "\n")
    assert API_KEY not in str(info.value)
    with pytest.raises(live_actor.ConfigError):
        live_actor.ApiKey("auth_tokens/abc")
    with pytest.raises(live_actor.ConfigError):
        live_actor.EphemeralToken("abc")
    env = {"GOOGLE_API_KEY": " g-key\n", "GEMINI_API_KEY": "m-key"}
    assert live_actor.api_key_from_env(env) == live_actor.ApiKey("g-key")
    assert live_actor.api_key_from_env({"GEMINI_API_KEY": "m-key"}).key == "m-key"
    with pytest.raises(live_actor.ConfigError):
        live_actor.api_key_from_env({})


async def test_api_key_from_environment_when_none_given(
    anyio_backend: str, server: FakeLiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """start_session docstring: without api_key/credentials, the GEMINI_API_KEY/
    GOOGLE_API_KEY environment variables."""
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    monkeypatch.setenv("GEMINI_API_KEY", "env-key-123")
    async with live_actor.open_session(text_config(), base_url=server.url):
        conn = await server.wait_for_connection()
    assert conn.headers.get("x-goog-api-key") == "env-key-123"


async def test_vertex_credentials_provider(anyio_backend: str, server: FakeLiveServer) -> None:
    """vertex_credentials docstring: refreshed when no longer valid, in a worker thread,
    before each dial; quota_project (else the credentials' quota_project_id) is sent as
    x-goog-user-project."""

    class FakeCreds:
        valid = False
        token: str | None = None
        quota_project_id = "billing-project"
        refreshes = 0

        def refresh(self, request: Any) -> None:
            FakeCreds.refreshes += 1
            self.token = f"ya29.token-{FakeCreds.refreshes}"
            self.valid = True

    creds = FakeCreds()
    provider = live_actor.vertex_credentials(credentials=creds)
    config = text_config(auth="vertex_ai", project_id="p")
    async with live_actor.open_session(
        config, credentials=provider, base_url=server.url, policy=no_jitter()
    ) as session:
        conn = await server.wait_for_connection(1)
        creds.valid = False  # expired
        conn.drop()
        await eventually(lambda: session.connection_number == 2)
        await session.wait_ready()
    first, second = server.connections[:2]
    assert first.headers["authorization"] == "Bearer ya29.token-1"
    assert second.headers["authorization"] == "Bearer ya29.token-2"
    assert first.headers["x-goog-user-project"] == "billing-project"


def test_documented_defaults() -> None:
    """README/CHANGELOG defaults: event_buffer=2 MiB (bytes), callback_buffer=4 MiB,
    media_buffer_seconds=1.0, tool_timeout=60, RestartPolicy transient; TransportOptions:
    32 MiB messages, 30 s / 60 s keepalive, "Must be at least 16 MiB"."""
    options = live_actor.SessionOptions()
    assert options.event_buffer == 2 * 1024 * 1024 and options.media_buffer_seconds == 1.0
    assert options.callback_buffer == 4 * 1024 * 1024 and options.tool_timeout == 60.0
    assert live_actor.RestartPolicy().restart == "transient"
    transport = live_actor.TransportOptions()
    assert transport.max_message_size == 32 * 1024 * 1024
    assert (transport.ping_interval, transport.ping_timeout) == (30.0, 60.0)
    with pytest.raises(live_actor.ConfigError):
        live_actor.TransportOptions(max_message_size=1024 * 1024)
    with pytest.raises(live_actor.ConfigError):
        live_actor.RestartPolicy(restart="sometimes")  # type: ignore[arg-type]


def test_codec_leniency() -> None:
    """CHANGELOG: lenient base64 (standard and URL-safe, optional padding), int64 as strings
    or numbers, proto Durations as timedelta; UsageMetadata: Vertex's candidates* names
    decode into response_*."""
    raw = bytes(range(250, 256)) * 2  # URL-safe base64 differs from standard here
    import base64

    for encoded in (
        base64.b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
    ):
        message = wire.decode_server_message(
            '{"serverContent": {"modelTurn": {"parts": [{"inlineData": '
            f'{{"mimeType": "audio/pcm;rate=24000", "data": "{encoded}"}}}}]}}}}}}'
        )
        assert message.data == raw
    message = wire.decode_server_message(
        '{"goAway": {"timeLeft": "1.5s"}, "usageMetadata": {"totalTokenCount": "12",'
        ' "candidatesTokenCount": 5}, "sessionResumptionUpdate":'
        ' {"lastConsumedClientMessageIndex": "7"}}'
    )
    assert message.go_away is not None
    assert message.go_away.time_left == datetime.timedelta(seconds=1.5)
    assert message.usage_metadata is not None
    assert message.usage_metadata.total_token_count == 12
    assert message.usage_metadata.response_token_count == 5
    assert message.session_resumption_update is not None
    assert message.session_resumption_update.last_consumed_client_message_index == 7


def test_where_names_live() -> None:
    """README "Where names live": about 35 names at the top level; the wire classes and
    enums in ``live_actor.types`` (``from live_actor import types``), the codec in
    ``live_actor.wire``; "the old top-level spellings (``live_actor.Content``) still
    work and warn with the new home"."""
    from live_actor import types

    readme = README.split("## Where names live", 1)[1].split("\n## ", 1)[0]
    for name in re.findall(r"`(\w+)`", readme):
        if hasattr(types, name) and name != "types":
            assert name not in live_actor.__all__, name
        elif name[:1].isupper() or name == "open_session":
            assert name in live_actor.__all__, name
    assert 30 <= len(live_actor.__all__) <= 40
    content = types.Content(role="user", parts=[types.Part(text="hi")])
    frame = wire.encode_client_message(types.ClientContent(turns=[content]))
    assert frame == '{"clientContent":{"turns":[{"parts":[{"text":"hi"}],"role":"user"}]}}'
    with pytest.warns(DeprecationWarning, match=r"live_actor\.Content moved to live_actor\.types"):
        assert live_actor.Content is types.Content
