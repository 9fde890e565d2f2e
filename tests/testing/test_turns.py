"""Scripted model: streamed text turns, usage, memory, clientContent/realtime text."""

from __future__ import annotations

import json
import pathlib
import re
from collections.abc import Callable

import pytest

from live_actor.testing import (
    FakeLiveServer,
    Reply,
    Responder,
    ScriptedResponder,
    TurnContext,
)

from ._wsclient import connect, texts

pytestmark = pytest.mark.anyio
DATA = pathlib.Path(__file__).parent.parent / "data"
TEXT = {"generationConfig": {"responseModalities": ["TEXT"]}}


async def test_text_turn_streams_chunks_then_completes(server: FakeLiveServer) -> None:
    async with connect(server.live_url()) as ws:
        await ws.setup(**TEXT)
        messages = await ws.text_turn("hello there, how are you today")
    chunks = [m for m in messages if "modelTurn" in m.get("serverContent", {})]
    assert len(chunks) >= 2
    assert texts(messages) == 'You said: "hello there, how are you today".'
    assert messages[-2] == {"serverContent": {"generationComplete": True}}
    last = messages[-1]
    assert last["serverContent"] == {"turnComplete": True}
    usage = last["usageMetadata"]
    assert usage["responseTokenCount"] == len(texts(messages).split())
    assert usage["promptTokenCount"] == 6
    assert usage["totalTokenCount"] == usage["promptTokenCount"] + usage["responseTokenCount"]
    assert usage["responseTokensDetails"] == [
        {"modality": "TEXT", "tokenCount": usage["responseTokenCount"]}
    ]
    assert usage["promptTokensDetails"][0] == {"modality": "TEXT", "tokenCount": 6}
    conn = server.connections[0]
    assert conn.usage["turns"] == 1 and conn.usage["responseTokenCount"] > 0


async def test_remembers_facts(server: FakeLiveServer) -> None:
    async with connect(server.live_url()) as ws:
        await ws.setup(**TEXT)
        assert "Alice" in texts(await ws.text_turn("Hi, my name is Alice."))
        assert texts(await ws.text_turn("my favourite colour is blue")) == (
            "Got it, your favourite colour is blue."
        )
        assert texts(await ws.text_turn("What is my name?")) == "Your name is Alice."
        assert texts(await ws.text_turn("what's my favourite colour")) == (
            "Your favourite colour is blue."
        )
        assert texts(await ws.text_turn("what is my age?")) == "I don't know your age."


async def test_sdk_snake_case_samples(server: FakeLiveServer) -> None:
    async with connect(server.live_url()) as ws:
        await ws.setup(**TEXT)
        for name, expected in [
            ("deprecated_send_text.json", "deprecated send()"),
            ("client_content.json", "Hello"),
        ]:
            await ws.send(json.loads((DATA / name).read_text()))
            assert expected in texts(await ws.turn())
    session = server.sessions[0]
    assert session.control_texts() == ["deprecated send()", "Hello"]


async def test_realtime_text_is_a_turn(server: FakeLiveServer) -> None:
    async with connect(server.live_url()) as ws:
        await ws.setup(**TEXT)
        await ws.send(json.loads((DATA / "realtime_input_text.json").read_text()))
        assert texts(await ws.turn()) == 'You said: "typed realtime text".'
    entry = server.sessions[0].received[-1]
    assert (entry.kind, entry.text, entry.index) == ("realtimeInput.text", "typed realtime text", 1)


async def test_client_content_turn_complete_false_waits(server: FakeLiveServer) -> None:
    async with connect(server.live_url()) as ws:
        await ws.setup(**TEXT)
        await ws.send(
            {
                "clientContent": {
                    "turns": [{"role": "user", "parts": [{"text": "my city is Paris"}]}],
                    "turnComplete": False,
                }
            }
        )
        await ws.send(
            {
                "clientContent": {
                    "turns": [
                        {"role": "model", "parts": [{"text": "ok"}]},
                        {"role": "user", "parts": [{"text": "what is my city"}]},
                    ],
                    "turnComplete": True,
                }
            }
        )
        messages = await ws.turn()
    # one reply only, for the completed turn, using the prefilled history
    assert sum(1 for m in messages if m.get("serverContent", {}).get("turnComplete")) == 1
    assert texts(messages) == "Your city is Paris."
    history = server.sessions[0].history
    assert [c["role"] for c in history] == ["user", "model", "user", "model"]


async def test_client_content_interrupts_reply(make_server: Callable[..., FakeLiveServer]) -> None:
    server = make_server(chunk_delay=0.05, words_per_chunk=1)
    async with connect(server.live_url()) as ws:
        await ws.setup(**TEXT)
        await ws.send(
            {
                "clientContent": {
                    "turns": [{"role": "user", "parts": [{"text": " ".join(["word"] * 40)}]}],
                    "turnComplete": True,
                }
            }
        )
        first = await ws.recv_until(lambda m: "modelTurn" in m.get("serverContent", {}))
        assert first
        await ws.send(
            {
                "clientContent": {
                    "turns": [{"role": "user", "parts": [{"text": "stop"}]}],
                    "turnComplete": True,
                }
            }
        )
        interrupted = await ws.turn()
        assert {"serverContent": {"interrupted": True}} in interrupted
        assert {"serverContent": {"generationComplete": True}} not in interrupted
        second = await ws.turn()
    assert texts(second) == 'You said: "stop".'


async def test_rules_and_custom_responder(make_server: Callable[..., FakeLiveServer]) -> None:
    server = make_server(responder=ScriptedResponder(rules=[(r"ping (\w+)", "pong {0}")]))
    async with connect(server.live_url()) as ws:
        await ws.setup(**TEXT)
        assert texts(await ws.text_turn("ping abc")) == "pong abc"

    class Upper(Responder):
        def respond(self, context: TurnContext) -> Reply:
            return Reply(text=context.user_text.upper(), thought="thinking hard")

    server2 = make_server(responder=Upper())
    async with connect(server2.live_url()) as ws:
        await ws.setup(
            generationConfig={
                "responseModalities": ["TEXT"],
                "thinkingConfig": {"includeThoughts": True},
            }
        )
        messages = await ws.text_turn("shout")
    assert texts(messages) == "SHOUT"
    thought = messages[0]["serverContent"]["modelTurn"]["parts"][0]
    assert thought == {"text": "thinking hard", "thought": True}
    assert messages[-1]["usageMetadata"]["thoughtsTokenCount"] == 2


async def test_context_update_replaces_tools(server: FakeLiveServer) -> None:
    async with connect(server.live_url()) as ws:
        await ws.setup(**TEXT)
        await ws.send(json.loads((DATA / "context_update.json").read_text()))
        await ws.send(
            {
                "contextUpdate": {
                    "tools": {"tools": [{"functionDeclarations": [{"name": "get_time"}]}]}
                }
            }
        )
        await ws.send({"realtimeInput": {"text": "get_time please"}})
        msg = await ws.recv_until(lambda m: "toolCall" in m)
    assert msg[-1]["toolCall"]["functionCalls"][0]["name"] == "get_time"
    conn = server.connections[0]
    assert conn.config is not None and conn.config.system_instruction == "Now be verbose."


def test_scripted_responder_is_pure() -> None:
    r = ScriptedResponder()
    ctx = TurnContext(
        history=[{"role": "user", "parts": [{"text": "my dog is Rex"}]}],
        user_text="what's my dog?",
        functions={},
        response_modality="TEXT",
        system_instruction="",
        session_id="s",
    )
    assert r.respond(ctx) == r.respond(ctx) == Reply(text="Your dog is Rex.")
    assert re.fullmatch(
        r"I heard 1\.50 seconds of audio\.",
        r.respond(
            TurnContext(
                history=[],
                user_text="",
                functions={},
                response_modality="AUDIO",
                system_instruction="",
                session_id="s",
                audio_seconds=1.5,
            )
        ).text,
    )


async def test_a_failing_responder_closes_with_1011_and_is_recorded() -> None:
    """A bug in the model (or the fake) is an internal error: 1011, as the service does."""

    class Broken(Responder):
        def respond(self, context: TurnContext) -> Reply:
            raise ZeroDivisionError("the responder broke")

    server = FakeLiveServer(responder=Broken(), chunk_delay=0, close_timeout=0.5).start()
    try:
        async with connect(server.live_url()) as ws:
            await ws.setup(**TEXT)
            await ws.send({"realtimeInput": {"text": "hello"}})
            closed = await ws.closed()
        assert (closed.code, closed.reason) == (1011, "Internal error occurred.")
        assert [type(e) for e in server.errors] == [ZeroDivisionError]
    finally:
        server.stop()
