"""The README's senders: what each takes, and what it refuses.

Each test quotes (in its docstring) the claim it checks and uses only the public
API; each assertion would fail if the quoted claim were false.
"""

from __future__ import annotations

import pytest

import live_actor
from live_actor import types
from live_actor.testing import FakeLiveServer, silence, speech

from ..helpers import API_KEY, text_config
from ._support import server_wait

pytestmark = pytest.mark.anyio


async def test_every_documented_sender_reaches_the_server(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """README: send_realtime_input takes audio, video, text, activity_start, activity_end,
    audio_stream_end, media_chunks; send_client_content(str|Content|dict|list,
    turn_complete=True); send_context_update; send_text; send(message)."""
    config = text_config(realtime_input_config={"automatic_activity_detection": {"disabled": True}})
    jpeg = b"\xff\xd8\xff\xe0" + b"\x00" * 16
    async with live_actor.open_session(config, api_key=API_KEY, base_url=server.url) as session:
        await session.send_realtime_input(activity_start=True)
        await session.send_realtime_input(audio=speech("hi"))
        await session.send_realtime_input(video=jpeg)
        await session.send_realtime_input(
            media_chunks=[{"mime_type": "audio/pcm;rate=16000", "data": silence(20)}]
        )
        await session.send_realtime_input(activity_end=True)
        await session.send_realtime_input(audio_stream_end=True)
        await session.send_realtime_input(text="typed")
        await session.send_text("more typed")
        await session.send_client_content(
            [
                "first",
                types.Content(role="model", parts=[types.Part(text="ok")]),
                {"role": "user", "parts": [{"text": "third"}]},
            ],
            turn_complete=False,
        )
        await session.send_context_update(system_instruction="Be brief.", tools=[])
        await session.send(
            types.ClientContent(
                turns=[types.Content(role="user", parts=[types.Part(text="x")])],
                turn_complete=True,
            )
        )
        sid = (await server.wait_for_connection()).session_id
        await server_wait(server, lambda: len(server.ledger(sid)) >= 12)
    kinds = [e.kind for e in server.ledger(sid)]
    assert kinds[:12] == [
        "setup",
        "realtimeInput.activityStart",
        "realtimeInput.audio",
        "realtimeInput.video",
        "realtimeInput.mediaChunks",
        "realtimeInput.activityEnd",
        "realtimeInput.audioStreamEnd",
        "realtimeInput.text",
        "realtimeInput.text",
        "clientContent",
        "contextUpdate",
        "clientContent",
    ]
    entries = server.ledger(sid)
    assert entries[3].message["realtimeInput"]["video"]["mimeType"] == "image/jpeg"
    assert entries[2].message["realtimeInput"]["audio"]["mimeType"] == "audio/pcm;rate=16000"
    assert entries[9].message["clientContent"]["turnComplete"] is False
    assert len(entries[9].message["clientContent"]["turns"]) == 3


async def test_send_realtime_input_takes_exactly_one_argument(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """README: "send_realtime_input takes exactly one of ..."; LocalProtocolError is "you
    asked for something the protocol forbids"."""
    async with live_actor.open_session(
        text_config(), api_key=API_KEY, base_url=server.url
    ) as session:
        with pytest.raises(live_actor.LocalProtocolError, match="exactly one"):
            await session.send_realtime_input()
        with pytest.raises(live_actor.LocalProtocolError, match="exactly one"):
            await session.send_realtime_input(audio=b"\x00\x00", text="both")
        with pytest.raises(live_actor.LocalProtocolError):
            await session.send_realtime_input(video=b"not an image")
        with pytest.raises(live_actor.LiveError):
            await session.send(types.Setup(model="models/x"))  # "except Setup"
        assert session.status is live_actor.SessionStatus.READY
        assert session.ledger.accepted == 0


async def test_sending_on_a_closed_session_raises_session_closed_error(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """README: ``SessionClosedError`` (sending on a closed session), with code/reason."""
    async with live_actor.open_session(
        text_config(), api_key=API_KEY, base_url=server.url
    ) as session:
        pass
    senders = [
        lambda: session.send_client_content("late"),
        lambda: session.send_realtime_input(audio=silence(20)),
        lambda: session.send_realtime_input(text="late"),
        lambda: session.send_text("late"),
        lambda: session.send_tool_response({"id": "function-call-1", "response": {}}),
        lambda: session.send_context_update(system_instruction="late"),
    ]
    for send in senders:
        with pytest.raises(live_actor.SessionClosedError) as info:
            await send()
        assert info.value.code == 1000
    with pytest.raises(live_actor.SessionClosedError):
        await session.wait_ready()
    await session.wait_closed()  # returns at once
    await session.close()  # idempotent
