"""Tool calls: round trip, ids, NON_BLOCKING scheduling, cancellation."""

from __future__ import annotations

import json
import pathlib
from collections.abc import Callable
from typing import Any

import pytest

from live_actor.testing import FakeLiveServer

from ._wsclient import Client, connect, texts

pytestmark = pytest.mark.anyio
DATA = pathlib.Path(__file__).parent.parent / "data"


def tools_setup(behavior: str = "BLOCKING") -> dict[str, Any]:
    return {
        "generationConfig": {"responseModalities": ["TEXT"]},
        "sessionResumption": {},
        "tools": [
            {"googleSearch": {}},
            {
                "functionDeclarations": [
                    {
                        "name": "get_weather",
                        "behavior": behavior,
                        "parameters": {
                            "type": "OBJECT",
                            "properties": {"city": {"type": "STRING"}},
                        },
                    },
                    {"name": "turn_on_lights"},
                ]
            },
        ],
    }


async def ask(ws: Client, text: str) -> list[dict[str, Any]]:
    await ws.send({"realtimeInput": {"text": text}})
    return await ws.recv_until(lambda m: "toolCall" in m)


def respond(call_id: str, output: Any, **extra: Any) -> dict[str, Any]:
    return {
        "toolResponse": {
            "functionResponses": [
                {"id": call_id, "name": "get_weather", "response": {"output": output}, **extra}
            ]
        }
    }


async def test_blocking_round_trip(server: FakeLiveServer) -> None:
    async with connect(server.live_url()) as ws:
        await ws.setup(**tools_setup())
        await ws.recv()  # resumption update
        before = await ask(ws, "call get_weather city=Paris days=3")
        call = before[-1]["toolCall"]["functionCalls"][0]
        assert call["name"] == "get_weather"
        assert call["args"] == {"city": "Paris", "days": 3}
        assert call["id"].startswith("function-call-")
        # while the call is pending the session is not resumable
        updates = [m for m in before if "sessionResumptionUpdate" in m]
        assert updates[-1]["sessionResumptionUpdate"] == {}  # dev profile: busy = {}
        await ws.send(respond(call["id"], {"temp_c": 21}))
        after = await ws.turn()
        update = await ws.recv()
    assert 'get_weather returned {"temp_c":21}.' in texts(after)
    assert {"serverContent": {"generationComplete": True}} in after
    assert update["sessionResumptionUpdate"]["resumable"] is True
    session = server.sessions[0]
    assert session.received[-1].call_ids == (call["id"],)
    assert session.received[-1].kind == "toolResponse"


async def test_spaced_name_and_sample_response(server: FakeLiveServer) -> None:
    sample = json.loads((DATA / "tool_response.json").read_text())
    async with connect(server.live_url()) as ws:
        await ws.setup(**tools_setup())
        msgs = await ask(ws, "please get weather for me")
        call = msgs[-1]["toolCall"]["functionCalls"][0]
        assert call["args"] == {}
        sample["tool_response"]["functionResponses"][0]["id"] = call["id"]
        await ws.send(sample)
        assert 'get_weather returned {"temp_c":21}.' in texts(await ws.turn())


async def test_parallel_calls(server: FakeLiveServer) -> None:
    async with connect(server.live_url()) as ws:
        await ws.setup(**tools_setup())
        msgs = await ask(ws, "get_weather and turn_on_lights room=kitchen")
        calls = msgs[-1]["toolCall"]["functionCalls"]
        assert [c["name"] for c in calls] == ["get_weather", "turn_on_lights"]
        await ws.send(respond(calls[0]["id"], "sunny"))
        await ws.send(
            {
                "toolResponse": {
                    "functionResponses": [
                        {"id": calls[1]["id"], "name": "turn_on_lights", "response": {"ok": True}}
                    ]
                }
            }
        )
        reply = texts(await ws.turn())
    assert 'turn_on_lights returned {"ok":true}.' in reply


@pytest.mark.parametrize("bad_id", ["function-call-999", None])
async def test_unknown_or_missing_id_closes_1007(
    server: FakeLiveServer, bad_id: str | None
) -> None:
    async with connect(server.live_url()) as ws:
        await ws.setup(**tools_setup())
        await ask(ws, "get_weather")
        fr: dict[str, Any] = {"name": "get_weather", "response": {"output": 1}}
        if bad_id:
            fr["id"] = bad_id
        await ws.send({"toolResponse": {"functionResponses": [fr]}})
        closed = await ws.closed()
    assert (closed.code, closed.reason) == (1007, "Request contains an invalid argument.")


async def test_vertex_response_without_id(server: FakeLiveServer) -> None:
    sample = json.loads((DATA / "vertex_tool_response_no_id.json").read_text())
    async with connect(server.vertex_url(), {"Authorization": "Bearer t"}, key=None) as ws:
        await ws.setup("publishers/google/models/gemini-live-2.5-flash", **tools_setup())
        await ask(ws, "get_weather")
        await ws.send(sample)
        assert "get_weather returned 1." in texts(await ws.turn())


async def test_interruption_cancels_pending_call(server: FakeLiveServer) -> None:
    async with connect(server.live_url()) as ws:
        await ws.setup(**tools_setup())
        msgs = await ask(ws, "get_weather city=Rome")
        call_id = msgs[-1]["toolCall"]["functionCalls"][0]["id"]
        await ws.send({"realtimeInput": {"text": "never mind"}})
        interrupted = await ws.turn()
        assert interrupted[0] == {"serverContent": {"interrupted": True}}
        assert {"toolCallCancellation": {"ids": [call_id]}} in interrupted
        assert texts(await ws.turn()) == 'You said: "never mind".'
        # a late answer for the cancelled call is ignored, not an error
        await ws.send(respond(call_id, "late"))
        assert texts(await ws.text_turn("still there?")) == 'You said: "still there?".'


async def test_non_blocking_when_idle(server: FakeLiveServer) -> None:
    async with connect(server.live_url()) as ws:
        await ws.setup(**tools_setup("NON_BLOCKING"))
        msgs = await ask(ws, "get_weather city=Oslo")
        call_id = msgs[-1]["toolCall"]["functionCalls"][0]["id"]
        # the model keeps talking and finishes its turn without waiting
        first = await ws.turn()
        assert texts(msgs + first) == "Calling get_weather."
        pending = await ws.recv()
        assert pending["sessionResumptionUpdate"] == {}  # not resumable (dev: empty)
        await ws.send(respond(call_id, "rain", scheduling="WHEN_IDLE"))
        assert 'get_weather returned "rain".' in texts(await ws.turn())


async def test_non_blocking_silent(server: FakeLiveServer) -> None:
    async with connect(server.live_url()) as ws:
        await ws.setup(**tools_setup("NON_BLOCKING"))
        msgs = await ask(ws, "get_weather")
        call_id = msgs[-1]["toolCall"]["functionCalls"][0]["id"]
        await ws.turn()
        await ws.recv()  # busy update {}
        await ws.send(respond(call_id, "snow", scheduling="SILENT"))
        update = await ws.recv()
        # nothing spoken; the result is in context and the session is resumable again
        assert update["sessionResumptionUpdate"]["resumable"] is True
    history = server.sessions[0].history
    assert history[-1]["parts"][0]["functionResponse"]["response"] == {"output": "snow"}


async def test_non_blocking_interrupt(make_server: Callable[..., FakeLiveServer]) -> None:
    server = make_server(chunk_delay=0.05, words_per_chunk=1)
    async with connect(server.live_url()) as ws:
        await ws.setup(**tools_setup("NON_BLOCKING"))
        msgs = await ask(ws, "get_weather")
        call_id = msgs[-1]["toolCall"]["functionCalls"][0]["id"]
        await ws.turn()
        # start a long reply, then deliver the result with INTERRUPT
        await ws.send({"realtimeInput": {"text": " ".join(["blah"] * 40)}})
        await ws.recv_until(lambda m: "modelTurn" in m.get("serverContent", {}))
        await ws.send(respond(call_id, "hail", scheduling="INTERRUPT"))
        interrupted = await ws.turn()
        assert {"serverContent": {"interrupted": True}} in interrupted
        assert 'get_weather returned "hail".' in texts(await ws.turn())


async def test_non_blocking_will_continue(server: FakeLiveServer) -> None:
    async with connect(server.live_url()) as ws:
        await ws.setup(**tools_setup("NON_BLOCKING"))
        msgs = await ask(ws, "get_weather")
        call_id = msgs[-1]["toolCall"]["functionCalls"][0]["id"]
        await ws.turn()
        await ws.send(respond(call_id, "part 1", willContinue=True, scheduling="WHEN_IDLE"))
        assert '"part 1"' in texts(await ws.turn())
        # still pending: a second response for the same id is accepted
        await ws.send(respond(call_id, "part 2", scheduling="WHEN_IDLE"))
        assert '"part 2"' in texts(await ws.turn())
