"""Timing profiles: when resumption updates go out, first-response delay, resumed silence."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import anyio
import pytest
import trio.testing

from live_actor.testing import FakeLiveServer

from ._wsclient import Client, connect, texts

pytestmark = pytest.mark.anyio
TEXT: dict[str, Any] = {"generationConfig": {"responseModalities": ["TEXT"]}}
WEATHER_TOOL = [{"functionDeclarations": [{"name": "get_weather"}]}]


def _update(message: dict[str, Any]) -> dict[str, Any] | None:
    update: dict[str, Any] | None = message.get("sessionResumptionUpdate")
    return update


def _turn_complete(message: dict[str, Any]) -> bool:
    return bool(message.get("serverContent", {}).get("turnComplete"))


async def _nothing_within(ws: Client, seconds: float) -> bool:
    """True when no message arrives within ``seconds`` of real time."""
    with anyio.move_on_after(seconds):
        await ws.recv()
        return False
    return True


async def test_dev_empty_update_when_a_turn_starts_then_a_handle_after_turn_complete(
    server: FakeLiveServer,
) -> None:
    async with connect(server.live_url()) as ws:
        await ws.setup(sessionResumption={}, **TEXT)
        assert _update(await ws.recv())["resumable"] is True  # type: ignore[index]
        await ws.send({"realtimeInput": {"text": "hello"}})
        messages = await ws.turn()
        assert messages[0] == {"sessionResumptionUpdate": {}}
        assert [_update(m) for m in messages[1:] if _update(m) is not None] == []
        after = await ws.recv()  # right after turnComplete, nothing in between
        assert after["sessionResumptionUpdate"]["resumable"] is True
        assert after["sessionResumptionUpdate"]["newHandle"]


async def test_the_older_busy_update_is_a_setting(
    make_server: Callable[..., FakeLiveServer],
) -> None:
    server = make_server(busy_resumption_update="resumable_false")
    async with connect(server.live_url()) as ws:
        await ws.setup(sessionResumption={}, **TEXT)
        await ws.recv()
        messages = await ws.text_turn("hello")
        assert messages[0] == {"sessionResumptionUpdate": {"resumable": False}}


async def test_vertex_every_update_is_resumable_even_mid_answer(
    make_server: Callable[..., FakeLiveServer],
) -> None:
    server = make_server(profile="vertex")
    async with connect(server.vertex_url(), {"authorization": "Bearer t"}, key=None) as ws:
        await ws.setup(sessionResumption={}, **TEXT)
        await ws.recv()
        messages = await ws.text_turn("my name is Zoe")
        first = _update(messages[0])
        assert first is not None and first["resumable"] is True
        # the mid-answer checkpoint holds the question, not the answer
        mid = server.session_for_handle(first["newHandle"])
        assert mid.id == "session-1"
        late = await ws.recv()
        assert late["sessionResumptionUpdate"]["resumable"] is True


def test_vertex_handle_trails_turn_complete_by_its_seeded_delay() -> None:
    """On a manual virtual clock: the handle comes exactly the seeded 20-70 ms later."""
    seed = 7
    expected = random.Random(f"{seed}:1").uniform(0.02, 0.07)
    clock = trio.testing.MockClock()
    with FakeLiveServer(chunk_delay=0, clock=clock, profile="vertex", seed=seed) as server:

        async def client() -> None:
            async with connect(server.live_url()) as ws:
                await ws.setup(sessionResumption={}, **TEXT)
                await ws.recv()  # checkpoint after setupComplete
                await ws.text_turn("hello")
                server.advance_time(expected - 0.001)
                assert await _nothing_within(ws, 0.2)
                server.advance_time(0.002)
                with anyio.fail_after(5):
                    assert (await ws.recv())["sessionResumptionUpdate"]["resumable"] is True

        anyio.run(client)
    assert not server.errors
    assert 0.02 <= expected <= 0.07


async def test_3x_profile_sends_updates_unasked_several_parts_and_interaction_status(
    make_server: Callable[..., FakeLiveServer],
) -> None:
    server = make_server(profile="3.x", words_per_chunk=1)
    async with connect(server.live_url()) as ws:
        await ws.setup(**TEXT)  # no sessionResumption
        assert _update(await ws.recv())["resumable"] is True  # type: ignore[index]
        messages = await ws.text_turn("one two three four five six seven")
        parts = [
            len(m["serverContent"]["modelTurn"]["parts"])
            for m in messages
            if "modelTurn" in m.get("serverContent", {})
        ]
        assert max(parts) == 3
        assert texts(messages) == 'You said: "one two three four five six seven".'
        assert messages[-1]["serverContent"] == {"turnComplete": True, "interactionStatus": "IDLE"}


async def test_3x_profile_checkpoints_right_after_a_tool_response(
    make_server: Callable[..., FakeLiveServer],
) -> None:
    server = make_server(profile="3.x")
    async with connect(server.live_url()) as ws:
        await ws.setup(sessionResumption={}, tools=WEATHER_TOOL, **TEXT)
        await ws.recv()
        await ws.send({"realtimeInput": {"text": "call get_weather city=Paris"}})
        messages = await ws.recv_until(lambda m: "toolCall" in m)
        call = messages[-1]["toolCall"]["functionCalls"][0]
        response = {"id": call["id"], "name": "get_weather", "response": {"output": 21}}
        await ws.send({"toolResponse": {"functionResponses": [response]}})
        after = await ws.recv()
        assert after["sessionResumptionUpdate"]["resumable"] is True  # before the answer
        rest = await ws.turn()
        assert "get_weather returned 21." in texts(rest)
        handle = after["sessionResumptionUpdate"]["newHandle"]
    history = server.session_for_handle(handle).history
    assert any("functionResponse" in p for c in history for p in c["parts"])


def test_first_response_delay_holds_the_reply_on_the_server_clock() -> None:
    clock = trio.testing.MockClock()
    with FakeLiveServer(chunk_delay=0, clock=clock, first_response_delay=2.0) as server:

        async def client() -> None:
            async with connect(server.live_url()) as ws:
                await ws.setup(**TEXT)
                await ws.send({"realtimeInput": {"text": "hello"}})
                assert await _nothing_within(ws, 0.2)  # thinking: no output yet
                server.advance_time(2.0)
                with anyio.fail_after(5):
                    assert texts(await ws.turn()) == 'You said: "hello".'

        anyio.run(client)
    assert not server.errors


async def test_a_resumed_connection_does_not_continue_a_cut_answer(
    make_server: Callable[..., FakeLiveServer],
) -> None:
    server = make_server(profile="vertex", chunk_delay=0.05, words_per_chunk=1)
    async with connect(server.live_url()) as ws:
        await ws.setup(sessionResumption={}, **TEXT)
        await ws.recv()
        await ws.send({"realtimeInput": {"text": "my name is Zoe. Please answer at length"}})
        mid = await ws.recv()  # vertex: a resumable handle as the answer starts
        handle = mid["sessionResumptionUpdate"]["newHandle"]
        await ws.recv_until(lambda m: "modelTurn" in m.get("serverContent", {}))
        (await server.wait_for_connection()).drop()
        await ws.closed()
    async with connect(server.live_url()) as ws:
        assert await ws.setup(sessionResumption={"handle": handle}, **TEXT) == {"setupComplete": {}}
        await ws.recv()  # the checkpoint after setupComplete
        assert await _nothing_within(ws, 0.3)  # silent until new input
        assert texts(await ws.text_turn("what is my name")) == "Your name is Zoe."
    history = server.sessions[0].history
    assert [c["role"] for c in history] == ["user", "user", "model"]


async def test_a_response_to_a_call_issued_after_the_resumed_handle_is_ignored(
    server: FakeLiveServer,
) -> None:
    async with connect(server.live_url()) as ws:
        await ws.setup(sessionResumption={}, tools=WEATHER_TOOL, **TEXT)
        handle = (await ws.recv())["sessionResumptionUpdate"]["newHandle"]
        await ws.send({"realtimeInput": {"text": "call get_weather"}})
        messages = await ws.recv_until(lambda m: "toolCall" in m)
        call_id = messages[-1]["toolCall"]["functionCalls"][0]["id"]
    async with connect(server.live_url()) as ws:
        await ws.setup(sessionResumption={"handle": handle}, tools=WEATHER_TOOL, **TEXT)
        await ws.recv()
        response = {"id": call_id, "name": "get_weather", "response": {"output": 1}}
        await ws.send({"toolResponse": {"functionResponses": [response]}})
        assert await _nothing_within(ws, 0.3)  # no close, no answer
        assert texts(await ws.text_turn("hello")) == 'You said: "hello".'
        # a call id never issued in the session is still an error
        await ws.send({"toolResponse": {"functionResponses": [{"id": "nope", "response": {}}]}})
        assert (await ws.closed()).code == 1007
    session = server.sessions[0]
    [entry] = [e for e in session.received if e.call_ids == (call_id,)]
    assert entry.ignored == "calls issued after the resumed handle"
    assert entry not in session.consumed
    assert not any(e.kind == "toolResponse" and e.call_ids == (call_id,) for e in session.consumed)
