"""Conformance: the official google-genai live client against the fake server.

google-genai runs on asyncio only.  Every frame the fake sends in these tests is
validated with the SDK's strict path by the ``make_server`` fixture at teardown.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest
from google import genai
from google.genai import errors, types

from live_actor.testing import FakeLiveServer, silence, speech, transcribe

pytestmark = [
    pytest.mark.anyio,
    # the SDK flags ephemeral tokens as experimental; that is not our concern here
    pytest.mark.filterwarnings("ignore::google.genai._common.ExperimentalWarning"),
]
MODEL = "gemini-live-2.5-flash-preview"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def sdk_client(
    server: FakeLiveServer, api_key: str = "test-key", version: str = "v1beta"
) -> genai.Client:
    client = genai.Client(
        api_key=api_key, http_options={"api_version": version, "base_url": server.http_url}
    )
    # wire-protocol.md §10: make the SDK dial plain ws:// (it appends "/ws/...": a double slash)
    client._api_client._websocket_base_url = lambda http_options=None: server.url + "/"  # type: ignore[method-assign]
    client._api_client._websocket_ssl_ctx = {}
    return client


async def collect_turn(session: Any) -> list[types.LiveServerMessage]:
    return [msg async for msg in session.receive()]


def text_of(messages: list[types.LiveServerMessage]) -> str:
    return "".join(
        m.text or "" for m in messages if m.server_content and m.server_content.model_turn
    )


async def test_text_turn_and_usage(server: FakeLiveServer) -> None:
    client = sdk_client(server)
    config = {"response_modalities": ["TEXT"], "system_instruction": "Be terse."}
    async with client.aio.live.connect(model=MODEL, config=config) as session:
        await session.send_client_content(
            turns=types.Content(role="user", parts=[types.Part(text="my name is Ada")])
        )
        first = await collect_turn(session)
        await session.send_realtime_input(text="what is my name?")
        second = await collect_turn(session)
    assert text_of(first) == "Got it, your name is Ada."
    assert text_of(second) == "Your name is Ada."
    last = second[-1]
    assert last.server_content is not None and last.server_content.turn_complete
    assert last.usage_metadata is not None and last.usage_metadata.response_token_count == 4
    assert server.connections[0].path.startswith("/ws/google.ai.generativelanguage.v1beta.")


async def test_tool_call_round_trip(server: FakeLiveServer) -> None:
    client = sdk_client(server)
    weather = types.FunctionDeclaration(
        name="get_weather",
        description="Weather for a city.",
        parameters=types.Schema(
            type=types.Type.OBJECT, properties={"city": types.Schema(type=types.Type.STRING)}
        ),
    )
    config = types.LiveConnectConfig(
        response_modalities=[types.Modality.TEXT],
        tools=[types.Tool(function_declarations=[weather])],
    )
    async with client.aio.live.connect(model=MODEL, config=config) as session:
        await session.send_realtime_input(text="call get_weather city=Paris")
        messages: list[types.LiveServerMessage] = []
        async for msg in session.receive():
            messages.append(msg)
            if msg.tool_call and msg.tool_call.function_calls:
                call = msg.tool_call.function_calls[0]
                assert call.name == "get_weather" and call.args == {"city": "Paris"}
                await session.send_tool_response(
                    function_responses=[
                        types.FunctionResponse(
                            id=call.id, name=call.name, response={"output": {"temp_c": 21}}
                        )
                    ]
                )
    assert 'get_weather returned {"temp_c":21}.' in text_of(messages)


async def test_audio_in_and_out(server: FakeLiveServer) -> None:
    client = sdk_client(server)
    config = types.LiveConnectConfig(
        response_modalities=[types.Modality.AUDIO],
        input_audio_transcription=types.AudioTranscriptionConfig(),
        output_audio_transcription=types.AudioTranscriptionConfig(),
        realtime_input_config=types.RealtimeInputConfig(
            automatic_activity_detection=types.AutomaticActivityDetection(silence_duration_ms=100)
        ),
    )
    pcm = speech("hello audio") + silence(200)
    async with client.aio.live.connect(
        model="gemini-2.5-flash-native-audio-preview-12-2025", config=config
    ) as session:
        for i in range(0, len(pcm), 640):
            await session.send_realtime_input(
                audio=types.Blob(data=pcm[i : i + 640], mime_type="audio/pcm;rate=16000")
            )
        messages = await collect_turn(session)
    audio = b"".join(m.data for m in messages if m.data)
    assert transcribe(audio) == 'You said: "hello audio".'
    heard = [
        m.server_content.input_transcription.text
        for m in messages
        if m.server_content and m.server_content.input_transcription
    ]
    assert heard == ["hello audio"]
    spoken = "".join(
        m.server_content.output_transcription.text or ""
        for m in messages
        if m.server_content and m.server_content.output_transcription
    )
    assert spoken == 'You said: "hello audio".'
    starts = [m.voice_activity for m in messages if m.voice_activity]
    assert starts and starts[0].voice_activity_type == types.VoiceActivityType.ACTIVITY_START


async def test_resumption_update_and_resume(server: FakeLiveServer) -> None:
    client = sdk_client(server)
    config = types.LiveConnectConfig(
        response_modalities=[types.Modality.TEXT],
        session_resumption=types.SessionResumptionConfig(),
    )
    handle = None
    async with client.aio.live.connect(model=MODEL, config=config) as session:
        await session.send_realtime_input(text="my code is 4242")
        await collect_turn(session)
        async for msg in session.receive():  # the trailing update (python-genai#2527)
            update = msg.session_resumption_update
            if update and update.resumable and update.new_handle:
                handle = update.new_handle
                break
    assert handle
    config.session_resumption = types.SessionResumptionConfig(handle=handle)
    async with client.aio.live.connect(model=MODEL, config=config) as session:
        await session.send_realtime_input(text="what is my code")
        assert text_of(await collect_turn(session)) == "Your code is 4242."
    session_obj = server.session_for_handle(handle)
    assert len(session_obj.connections) == 2


async def test_go_away(make_server: Callable[..., FakeLiveServer]) -> None:
    server = make_server(connection_lifetime=0.5, go_away_notice=0.3)
    client = sdk_client(server)
    async with client.aio.live.connect(
        model=MODEL, config={"response_modalities": ["TEXT"]}
    ) as session:
        msg = await anext(session.receive())
        assert msg.go_away is not None and msg.go_away.time_left == "0.300s"
        with pytest.raises(errors.APIError) as info:
            await session._receive()
    assert info.value.code == 1000


async def test_unknown_model_1008(server: FakeLiveServer) -> None:
    client = sdk_client(server)
    with pytest.raises(errors.APIError) as info:
        async with client.aio.live.connect(model="gemini-unknown", config={}):
            pass
    assert info.value.code == 1008
    assert "models/gemini-unknown is not found for API version v1beta" in str(info.value)


async def test_ephemeral_token_and_models_list(server: FakeLiveServer) -> None:
    admin = sdk_client(server, version="v1alpha")
    token = await admin.aio.auth_tokens.create(
        config=types.CreateAuthTokenConfig(
            uses=1,
            live_connect_constraints=types.LiveConnectConstraints(
                model=MODEL, config=types.LiveConnectConfig(response_modalities=["TEXT"])
            ),
        )
    )
    assert token.name and token.name.startswith("auth_tokens/")
    user = sdk_client(server, api_key=token.name, version="v1alpha")
    async with user.aio.live.connect(model=MODEL) as session:
        await session.send_realtime_input(text="hi")
        assert text_of(await collect_turn(session)) == 'You said: "hi".'
    assert server.connections[0].auth_kind == "token"
    pager = await admin.aio.models.list(config={"page_size": 5})
    names = [m.name async for m in pager]
    assert len(names) > 5
    live = [
        m
        for m in (await admin.aio.models.list()).page
        if "bidiGenerateContent" in (m.supported_actions or [])
    ]
    assert live


def test_vertex_bearer_sample_path() -> None:
    """The SDK's Vertex setup sample (mixed casing, transparent resumption) is accepted."""
    import json
    import pathlib

    import anyio

    from ._wsclient import connect

    setup = json.loads(
        (pathlib.Path(__file__).parent.parent / "data" / "vertex_setup_rich.json").read_text()
    )
    del setup["setup"]["sessionResumption"]["handle"]
    with FakeLiveServer(extra_models=["probe-echo"], chunk_delay=0) as server:

        async def run() -> dict[str, Any]:
            async with connect(server.vertex_url(), {"Authorization": "Bearer x"}, key=None) as ws:
                await ws.send(setup)
                return await ws.recv()

        assert anyio.run(run) == {"setupComplete": {}}


_ = base64
