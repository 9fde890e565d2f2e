"""Handshake: paths, credentials, setup validation, frame types, casing."""

from __future__ import annotations

import json
import pathlib
from collections.abc import Callable

import pytest

from live_actor.testing import FakeLiveServer

from ._wsclient import Rejected, connect

pytestmark = pytest.mark.anyio

RICH_SETUP = (pathlib.Path(__file__).parent.parent / "data" / "setup_rich.json").read_text()
GEMINI_V1BETA = "/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent"


async def test_setup_complete_in_binary_frame(server: FakeLiveServer) -> None:
    async with connect(server.live_url()) as ws:
        await ws.send({"setup": {"model": "models/gemini-2.0-flash-live-001"}})
        frame = await ws.recv_frame()
        assert isinstance(frame, bytes)
        assert json.loads(frame) == {"setupComplete": {}}
    conn = await server.wait_for_connection()
    assert conn.session_id == "session-1"
    assert conn.received[0].kind == "setup" and conn.received[0].index == 0


async def test_text_frames_option(make_server: Callable[..., FakeLiveServer]) -> None:
    server = make_server(text_frames=True)
    async with connect(server.live_url()) as ws:
        await ws.send({"setup": {"model": "models/gemini-2.0-flash-live-001"}}, binary=True)
        frame = await ws.recv_frame()
        assert isinstance(frame, str) and json.loads(frame) == {"setupComplete": {}}


@pytest.mark.parametrize(
    "path",
    [
        GEMINI_V1BETA,
        "/" + GEMINI_V1BETA,  # the SDK dials a double slash
        GEMINI_V1BETA.replace("v1beta", "v1alpha"),
        GEMINI_V1BETA.replace("v1beta", "v1"),
    ],
)
async def test_gemini_paths(server: FakeLiveServer, path: str) -> None:
    async with connect(server.url + path) as ws:
        assert await ws.setup() == {"setupComplete": {}}


@pytest.mark.parametrize("version", ["v1beta1", "v1"])
async def test_vertex_path_with_bearer(server: FakeLiveServer, version: str) -> None:
    url = server.vertex_url(version)
    async with connect(url, {"Authorization": "Bearer ya29.x"}, key=None) as ws:
        model = "projects/p/locations/us-central1/publishers/google/models/gemini-live-2.5-flash"
        assert await ws.setup(model) == {"setupComplete": {}}
    conn = await server.wait_for_connection()
    assert conn.backend == "vertex" and conn.auth_kind == "bearer"


async def test_unknown_path_is_404(server: FakeLiveServer) -> None:
    with pytest.raises(Rejected) as info:
        async with connect(server.url + "/ws/nope"):
            pass
    assert info.value.status == 404


async def test_key_in_query(make_server: Callable[..., FakeLiveServer]) -> None:
    server = make_server(api_keys={"good"})
    async with connect(server.live_url() + "?key=good", key=None) as ws:
        assert await ws.setup() == {"setupComplete": {}}


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("bad", "API key not valid. Please pass a valid API key."),
        (None, "The request is missing a valid API key."),
    ],
)
async def test_bad_credentials_close_1008(
    make_server: Callable[..., FakeLiveServer], key: str | None, reason: str
) -> None:
    server = make_server(api_keys={"good"})
    async with connect(server.live_url(), key=key) as ws:
        await ws.send({"setup": {"model": "models/gemini-2.0-flash-exp"}})
        closed = await ws.closed()
    assert (closed.code, closed.reason) == (1008, reason)
    assert server.sessions == []


async def test_bad_credentials_http_403_when_configured(
    make_server: Callable[..., FakeLiveServer],
) -> None:
    server = make_server(api_keys={"good"}, reject_auth_at_upgrade=True)
    with pytest.raises(Rejected) as info:
        async with connect(server.live_url(), key="bad"):
            pass
    assert info.value.status == 403


async def test_unknown_model_1008(server: FakeLiveServer) -> None:
    async with connect(server.live_url("v1alpha")) as ws:
        await ws.send({"setup": {"model": "models/gemini-nope"}})
        closed = await ws.closed()
    assert closed.code == 1008
    assert closed.reason == (
        "models/gemini-nope is not found for API version v1alpha, "
        "or is not supported for bidiGenerateContent"
    )


async def test_extra_models(make_server: Callable[..., FakeLiveServer]) -> None:
    server = make_server(extra_models=["probe-echo"])
    async with connect(server.live_url()) as ws:
        assert await ws.setup("models/probe-echo") == {"setupComplete": {}}


async def test_native_audio_rejects_text(server: FakeLiveServer) -> None:
    async with connect(server.live_url()) as ws:
        await ws.send(
            {
                "setup": {
                    "model": "models/gemini-2.5-flash-native-audio-preview-12-2025",
                    "generationConfig": {"responseModalities": ["TEXT"]},
                }
            }
        )
        closed = await ws.closed()
    assert closed.code == 1007
    assert closed.reason == (
        "The requested combination of response modalities (TEXT) is not supported by the model"
    )


@pytest.mark.parametrize(
    "setup",
    [
        {"generationConfig": {"responseModalities": ["TEXT", "AUDIO"]}},
        {"generationConfig": {"responseModalities": ["VIDEO"]}},
        {"generationConfig": {"temperature": "hot"}},
        {"generationConfig": "nope"},
        {"realtimeInputConfig": {"activityHandling": "SOMETIMES"}},
        {"realtimeInputConfig": {"automatic_activity_detection": {"disabled": "yes"}}},
        {"sessionResumption": {"handle": 5}},
        {"notAField": {}},
        {"tools": [{"functionDeclarations": [{"description": "no name"}]}]},
    ],
)
async def test_invalid_setup_1007(server: FakeLiveServer, setup: dict[str, object]) -> None:
    async with connect(server.live_url()) as ws:
        await ws.send({"setup": {"model": "models/gemini-2.0-flash-exp", **setup}})
        closed = await ws.closed()
    assert (closed.code, closed.reason) == (1007, "Request contains an invalid argument.")


@pytest.mark.parametrize(
    "first",
    [
        {"clientContent": {"turns": [], "turnComplete": True}},
        {"setup": {"model": "models/gemini-2.0-flash-exp"}, "clientContent": {}},
        "not json",
    ],
)
async def test_setup_must_be_first_and_alone(server: FakeLiveServer, first: object) -> None:
    async with connect(server.live_url()) as ws:
        await ws.send_raw(first if isinstance(first, str) else json.dumps(first))
        closed = await ws.closed()
    assert closed.code == 1007


async def test_second_setup_rejected(server: FakeLiveServer) -> None:
    async with connect(server.live_url()) as ws:
        await ws.setup()
        await ws.send({"setup": {"model": "models/gemini-2.0-flash-exp"}})
        closed = await ws.closed()
    assert closed.code == 1007


async def test_sdk_rich_setup_sample_accepted(make_server: Callable[..., FakeLiveServer]) -> None:
    """samples/setup_rich.json (mixed casing, every feature), minus its stale handle."""
    server = make_server(extra_models=["probe-echo"])
    setup = json.loads(RICH_SETUP)
    del setup["setup"]["sessionResumption"]["handle"]
    async with connect(server.live_url()) as ws:
        await ws.send(setup)
        assert await ws.recv() == {"setupComplete": {}}
    conn = await server.wait_for_connection()
    assert conn.config is not None
    assert conn.config.modality == "AUDIO"
    assert conn.config.vad.start_sensitivity == "START_SENSITIVITY_LOW"
    assert conn.config.vad.silence_duration_ms == 500
    assert conn.config.functions["get_weather"].behavior == "NON_BLOCKING"
    assert conn.config.compression and conn.config.input_transcription


async def test_async_context_manager_on_this_backend() -> None:
    async with FakeLiveServer(chunk_delay=0) as server:
        assert server.url.startswith("ws://127.0.0.1:")
        assert server.http_url == server.url.replace("ws://", "http://")
        async with connect(server.live_url()) as ws:
            assert await ws.setup() == {"setupComplete": {}}
        conn = await server.wait_for_connection()
        assert conn.api_version == "v1beta" and conn.headers["x-goog-api-key"] == "test-key"
    assert server.errors == []
