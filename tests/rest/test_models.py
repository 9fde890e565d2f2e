"""``list_models``, the resolver and ``check_model`` against the fake server's REST API."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import httpx
import pytest
import structlog

from live_actor import ApiKey, ConfigError, EphemeralToken, _rest_http
from live_actor.rest import (
    KNOWN_GOOD_MODELS,
    ModelInfo,
    ModelResolver,
    RestAuthError,
    RestError,
    check_model,
    list_models,
    model_kind,
    resolve_model,
)
from live_actor.testing import DEFAULT_MODELS, FakeLiveServer

from ..helpers import API_KEY
from ._local_http import local_http

pytestmark = pytest.mark.anyio
DATA = Path(__file__).parent.parent / "data"


async def test_lists_exactly_the_live_models(server: FakeLiveServer) -> None:
    models = await list_models(api_key=API_KEY, base_url=server.url)
    assert sorted(m.id for m in models) == sorted(DEFAULT_MODELS)
    assert all(isinstance(m, ModelInfo) and m.live for m in models)
    assert all(m.name == f"models/{m.id}" for m in models)
    everything = await list_models(api_key=API_KEY, base_url=server.http_url, live_only=False)
    others = {m.id for m in everything if not m.live}
    assert "gemini-2.5-flash" in others and "text-embedding-004" in others


async def test_follows_pagination(server: FakeLiveServer) -> None:
    one_page = await list_models(api_key=API_KEY, base_url=server.url, live_only=False)
    paged = await list_models(
        api_key=API_KEY, base_url=server.url, live_only=False, page_size=2
    )
    assert len(one_page) > 6
    assert paged == one_page


async def test_sends_the_sdk_request_shape() -> None:
    sample = json.loads((DATA / "rest_models_list_request.json").read_text())
    async with local_http(body=b'{"models": []}') as app:
        assert await list_models(api_key=API_KEY, base_url=app.url, api_version="v1alpha") == []
    head = app.requests[0].decode()
    request_line, *lines = head.split("\r\n")
    assert request_line == f"{sample['method']} {sample['path']} HTTP/1.1"
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines if line)}
    assert headers["x-goog-api-key"] == API_KEY
    assert API_KEY not in request_line  # never in the URL


async def test_a_refused_key_is_a_rest_auth_error_without_the_key(server: FakeLiveServer) -> None:
    wrong = "AIzaWRONG-key-that-must-not-leak"
    with pytest.raises(RestAuthError) as info:
        await list_models(api_key=wrong, base_url=server.url)
    assert info.value.status == 400 and info.value.code == "INVALID_ARGUMENT"
    assert "API key not valid" in str(info.value)
    assert wrong not in str(info.value) and wrong not in repr(info.value)


async def test_credentials_sources(server: FakeLiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="GEMINI_API_KEY"):
        await list_models(base_url=server.url)
    monkeypatch.setenv("GEMINI_API_KEY", API_KEY)
    assert await list_models(base_url=server.url)
    assert await list_models(credentials=lambda: ApiKey(API_KEY), base_url=server.url)
    with pytest.raises(ConfigError, match="long-lived API key"):
        await list_models(credentials=EphemeralToken("auth_tokens/abc"), base_url=server.url)
    with pytest.raises(ConfigError, match="not both"):
        await list_models(api_key=API_KEY, credentials=ApiKey(API_KEY), base_url=server.url)
    with pytest.raises(ConfigError, match="base_url"):
        await list_models(api_key=API_KEY, base_url="ftp://x")


async def test_every_request_times_out() -> None:
    async with local_http(silent=True) as app:
        with anyio.fail_after(10):
            with pytest.raises(RestError, match=r"timed out after 0\.3 s") as info:
                await list_models(api_key=API_KEY, base_url=app.url, request_timeout=0.3)
    assert info.value.status is None
    assert API_KEY not in str(info.value)


async def test_an_oversized_body_is_refused(
    server: FakeLiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_rest_http, "MAX_BODY", 1000)
    with pytest.raises(RestError, match="exceeds 1000 bytes"):
        await list_models(api_key=API_KEY, base_url=server.url)


async def test_server_errors_and_garbage_are_typed() -> None:
    body = b'{"error": {"code": 503, "message": "overloaded", "status": "UNAVAILABLE"}}'
    async with local_http(503, body) as app:
        with pytest.raises(RestError, match="HTTP 503: UNAVAILABLE overloaded") as info:
            await list_models(api_key=API_KEY, base_url=app.url)
    assert info.value.status == 503 and not isinstance(info.value, RestAuthError)
    async with local_http(200, b"<html>") as app:
        with pytest.raises(RestError, match="non-JSON"):
            await list_models(api_key=API_KEY, base_url=app.url)
    async with local_http(200, b'{"models": [{"displayName": "no name"}]}') as app:
        with pytest.raises(RestError, match="without a name"):
            await list_models(api_key=API_KEY, base_url=app.url)


async def test_a_callers_client_is_used_and_left_open(server: FakeLiveServer) -> None:
    async with httpx.AsyncClient() as client:
        first = await list_models(api_key=API_KEY, base_url=server.url, client=client)
        second = await list_models(api_key=API_KEY, base_url=server.url, client=client)
        assert first == second and not client.is_closed


# ------------------------------------------------------------------ resolver


def test_model_kinds() -> None:
    assert model_kind("gemini-2.5-flash-native-audio-preview-12-2025") == {"native_audio"}
    assert model_kind("gemini-live-2.5-flash-preview") == {"text", "audio"}
    assert model_kind("gemini-3.8-live") == {"native_audio"}  # audio only (capability table)
    assert model_kind("gemini-3.8-live-extended-thinking") == set()  # needs thinkingConfig


async def test_the_resolver_prefers_the_newest_live_model(server: FakeLiveServer) -> None:
    resolver = ModelResolver()
    native = await resolver.resolve("native_audio", api_key=API_KEY, base_url=server.url)
    assert native == "gemini-3.8-live"
    text = await resolver.resolve("text", api_key=API_KEY, base_url=server.url)
    assert text == "gemini-3.1-flash-live-preview"
    assert await resolver.resolve("audio", api_key=API_KEY, base_url=server.url) == text
    assert resolver.fetches == 1  # one listing served all three
    assert API_KEY not in repr(resolver)
    with pytest.raises(ConfigError, match="unknown model kind"):
        await resolver.resolve("video", api_key=API_KEY, base_url=server.url)  # type: ignore[arg-type]


async def test_the_resolver_orders_by_generation_then_date() -> None:
    body = json.dumps({"models": [
        {"name": f"models/{m}", "supportedGenerationMethods": ["bidiGenerateContent"]}
        for m in (
            "gemini-2.0-flash-live-001",
            "gemini-2.5-flash-native-audio-preview-09-2025",
            "gemini-2.5-flash-native-audio-latest",
            "gemini-2.5-flash-native-audio-preview-12-2025",
            "gemini-live-2.5-flash-preview",
        )
    ] + [{"name": "models/gemini-9.0-pro", "supportedGenerationMethods": ["generateContent"]}]})
    async with local_http(body=body.encode()) as app:
        resolver = ModelResolver()
        assert await resolver.resolve("text", api_key=API_KEY, base_url=app.url) == (
            "gemini-live-2.5-flash-preview"
        )
        assert await resolver.resolve("native_audio", api_key=API_KEY, base_url=app.url) == (
            "gemini-2.5-flash-native-audio-preview-12-2025"
        )


async def test_the_cache_is_keyed_expires_and_is_bounded() -> None:
    now = [0.0]
    resolver = ModelResolver(ttl=60, max_entries=2, clock=lambda: now[0])
    fake = FakeLiveServer(chunk_delay=0).start()  # any key accepted
    try:
        for key in ("key-a", "key-a", "key-b"):
            await resolver.resolve("text", api_key=key, base_url=fake.url)
        assert resolver.fetches == 2  # per credential
        now[0] = 61.0
        await resolver.resolve("text", api_key="key-a", base_url=fake.url)
        assert resolver.fetches == 3  # expired
        await resolver.resolve("text", api_key="key-c", base_url=fake.url)
        assert len(resolver._cache) == 2  # bounded
        assert not any("key-" in str(k) for k in resolver._cache)  # digests, not keys
    finally:
        fake.stop()


async def test_the_resolver_falls_back_to_known_good_names() -> None:
    async with local_http(503, b'{"error": {"status": "UNAVAILABLE"}}') as app:
        resolver = ModelResolver()
        with structlog.testing.capture_logs() as logs:
            chosen = await resolver.resolve("native_audio", api_key=API_KEY, base_url=app.url)
    assert chosen == KNOWN_GOOD_MODELS["native_audio"][0]
    assert logs[0]["event"] == "live_actor.rest.model_list_unavailable"
    assert API_KEY not in repr(logs)
    assert resolver.fetches == 0  # a fallback is not cached
    # an unreachable endpoint too
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    await listener.aclose()
    assert await resolve_model("text", api_key=API_KEY, base_url=f"http://127.0.0.1:{port}") == (
        KNOWN_GOOD_MODELS["text"][0]
    )


async def test_the_resolver_raises_a_refused_key(server: FakeLiveServer) -> None:
    with pytest.raises(RestAuthError):
        await ModelResolver().resolve("text", api_key="AIzaBAD", base_url=server.url)


# -------------------------------------------------------------- check_model


async def test_check_model_catches_unknown_names_before_dialling(server: FakeLiveServer) -> None:
    models = await list_models(api_key=API_KEY, base_url=server.url, live_only=False)
    check_model("gemini-live-2.5-flash-preview", models)
    check_model("models/gemini-live-2.5-flash-preview", models)
    with pytest.raises(ConfigError, match=r"did you mean 'gemini-live-2\.5-flash-preview'"):
        check_model("gemini-live-2.5-flash-previw", models)
    with pytest.raises(ConfigError, match="exists but does not support bidiGenerateContent"):
        check_model("gemini-2.5-flash", models)
    with pytest.raises(ConfigError, match="not among the"):
        check_model("totally-different", ["a-live-model"])
