"""The README's tool calls: answers, cancellation, failures and timeouts.

Each test quotes (in its docstring) the claim it checks and uses only the public
API; each assertion would fail if the quoted claim were false.
"""

from __future__ import annotations

from typing import Any

import anyio
import anyio.lowlevel
import pytest
from structlog.testing import capture_logs

import live_actor
from live_actor import types
from live_actor.testing import FakeLiveServer, silence, speech

from ..helpers import API_KEY, eventually, text_config
from ._support import LOOKUP_TOOL, Recorder, send_audio, server_wait

pytestmark = pytest.mark.anyio


async def test_on_tool_call_return_values_become_tool_responses(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """Callbacks docstring: the return value of on_tool_call is sent as the tool response;
    "a dict without id/name/response keys is the response of the single call"."""
    calls: list[types.ToolCall] = []

    def on_tool_call(call: types.ToolCall) -> dict[str, Any]:  # a sync tool
        calls.append(call)
        return {"output": {"temp_c": 21}}

    async with live_actor.open_session(
        text_config(tools=[LOOKUP_TOOL]),
        api_key=API_KEY,
        base_url=server.url,
        on_tool_call=on_tool_call,
    ) as session:
        await session.send_client_content("call lookup city=Paris")
        text = ""
        while "returned" not in text:
            text += (await session.receive_turn()).text
    assert calls[0].function_calls[0].name == "lookup"
    assert calls[0].function_calls[0].args == {"city": "Paris"}
    assert 'lookup returned {"temp_c":21}.' in text
    [entry] = [e for e in server.ledger(server.sessions[-1].id) if e.kind == "toolResponse"]
    assert entry.call_ids == (calls[0].function_calls[0].id,)
    response = entry.message["toolResponse"]["functionResponses"][0]
    assert response["name"] == "lookup"
    assert response["response"] == {"output": {"temp_c": 21}}


async def test_on_tool_call_none_then_send_tool_response_with_scheduling(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """Callbacks: returning ``None`` means "answer later with send_tool_response";
    ``pending_tool_calls`` lists the open call; ``send_tool_response(responses,
    scheduling=...)`` applies scheduling to every response that does not set its own."""
    got: list[types.ToolCall] = []
    async with live_actor.open_session(
        text_config(tools=[LOOKUP_TOOL]),
        api_key=API_KEY,
        base_url=server.url,
        on_tool_call=got.append,
    ) as session:
        await session.send_client_content("call lookup city=Oslo")
        await eventually(lambda: got and session.pending_tool_calls)
        call = got[0].function_calls[0]
        assert session.pending_tool_calls == (call.id,)
        await session.send_tool_response(
            {"id": call.id, "name": call.name, "response": {"output": "cold"}},
            scheduling="WHEN_IDLE",
        )
        await eventually(lambda: not session.pending_tool_calls)
        await server_wait(
            server,
            lambda: [e for e in server.ledger(server.sessions[-1].id) if e.kind == "toolResponse"],
        )
    [entry] = [e for e in server.ledger(server.sessions[-1].id) if e.kind == "toolResponse"]
    response = entry.message["toolResponse"]["functionResponses"][0]
    assert response["scheduling"] == "WHEN_IDLE"
    assert response["id"] == call.id


async def test_tool_call_cancellation_cancels_the_tool_task(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """README: on_tool_call "runs in its own task; cancelled on toolCallCancellation
    (barge-in)"; ``on_tool_call_cancellation(ids)``; "responses for withdrawn calls are
    never sent"."""
    started = anyio.Event()
    cancelled_tool = anyio.Event()
    rec = Recorder()

    async def slow_tool(call: types.ToolCall) -> dict[str, Any]:
        started.set()
        try:
            await anyio.sleep(30)
        finally:
            cancelled_tool.set()
        return {"output": "never"}

    async with live_actor.open_session(
        text_config(tools=[LOOKUP_TOOL]),
        api_key=API_KEY,
        base_url=server.url,
        on_tool_call=slow_tool,
        **rec.kwargs("on_tool_call_cancellation"),
    ) as session:
        await session.send_client_content("call lookup city=Rome")
        with anyio.fail_after(5):
            await started.wait()
        call_id = session.pending_tool_calls[0]
        await send_audio(session, speech("never mind") + silence(700))  # barge-in
        with anyio.fail_after(5):
            await cancelled_tool.wait()
        await eventually(lambda: rec.args("on_tool_call_cancellation"))
    assert rec.args("on_tool_call_cancellation") == [((call_id,),)]
    kinds = [e.kind for e in server.ledger(server.sessions[-1].id)]
    assert "toolResponse" not in kinds


async def test_failing_tool_is_reported_not_fatal(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """Callbacks docstring: on_error gets "a LiveError that did not end the session
    (... failing tool ...)"; README log event ``live_actor.session.tool_error``."""
    errors: list[BaseException] = []

    def broken_tool(call: types.ToolCall) -> None:
        raise ValueError("tool bug")

    with capture_logs() as logs:
        async with live_actor.open_session(
            text_config(tools=[LOOKUP_TOOL]),
            api_key=API_KEY,
            base_url=server.url,
            on_tool_call=broken_tool,
            on_error=errors.append,
        ) as session:
            await session.send_client_content("call lookup city=Rome")
            await eventually(lambda: errors)
            assert session.status is live_actor.SessionStatus.READY
    assert isinstance(errors[0], live_actor.LiveError)
    assert "tool bug" in str(errors[0])
    events = [e["event"] for e in logs]
    assert "live_actor.session.tool_call" in events
    assert "live_actor.session.tool_error" in events
