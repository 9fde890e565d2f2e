"""google-genai's ``types`` objects go straight into a live_actor session (issue 13 item 3),
and ``session.receive()`` reads one turn as google-genai's does."""

from __future__ import annotations

import pytest
from google.genai import types

import live_actor
from live_actor.testing import FakeLiveServer, speech, transcribe

from ..helpers import API_KEY

pytestmark = pytest.mark.anyio

LOOKUP = {"function_declarations": [{"name": "lookup"}]}


async def test_senders_take_genai_types_and_receive_reads_one_turn(
    server: FakeLiveServer,
) -> None:
    config = live_actor.LiveConfig(
        model="gemini-live-2.5-flash-preview",
        generation_config={"response_modalities": ["TEXT"]},
        tools=[LOOKUP],
    )
    async with live_actor.open_session(config, api_key=API_KEY, base_url=server.url) as session:
        await session.send_client_content(
            types.Content(role="user", parts=[types.Part(text="my name is Ada")])
        )
        texts = [message.text async for message in session.receive() if message.text]
        assert "".join(texts) == "Got it, your name is Ada."
        await session.send_client_content("call lookup city=Rome")
        call = None
        async for message in session.receive():
            if message.tool_call is not None:
                call = message.tool_call.function_calls[0]
                break
        assert call is not None
        await session.send_tool_response(
            types.FunctionResponse(id=call.id, name=call.name, response={"output": "warm"})
        )
        reply = "".join([m.text or "" async for m in session.receive()])
        assert "warm" in reply
        await session.send_context_update(
            system_instruction=types.Content(parts=[types.Part(text="Be brief.")])
        )
    kinds = [e.kind for e in server.connections[0].received]
    assert "toolResponse" in kinds and "contextUpdate" in kinds


async def test_realtime_audio_as_a_genai_blob(server: FakeLiveServer) -> None:
    config = live_actor.LiveConfig(
        model="gemini-2.5-flash-native-audio-preview-12-2025",
        generation_config={"response_modalities": ["AUDIO"]},
        output_audio_transcription=True,
    )
    pcm = speech("my name is Grace")
    async with live_actor.open_session(config, api_key=API_KEY, base_url=server.url) as session:
        for start in range(0, len(pcm), 640):
            await session.send_realtime_input(
                audio=types.Blob(data=pcm[start : start + 640], mime_type="audio/pcm;rate=16000")
            )
        from live_actor.testing import silence

        await session.send_realtime_input(audio=silence(800))
        audio = b"".join([m.data or b"" async for m in session.receive()])
    assert transcribe(audio) == "Got it, your name is Grace."
