"""A newcomer checks the README, the CHANGELOG and the public docstrings.

Every test quotes (in its docstring) the claim it checks, and uses only the public
API: ``import live_actor`` and ``live_actor.testing``.  Each assertion would fail if
the quoted claim were false.
"""

from __future__ import annotations

import datetime
import inspect
import logging
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import anyio.lowlevel
import httpx
import pytest
import structlog
from structlog.testing import capture_logs

import live_actor
from live_actor.testing import (
    FakeLiveServer,
    FaultPlan,
    Reply,
    ScriptedResponder,
    count_tokens,
    silence,
    speech,
    tone,
    transcribe,
)

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
API_KEY = "AIzaNEWCOMER-very-secret-key-42"
TEXT_MODEL = "gemini-live-2.5-flash-preview"
AUDIO_MODEL = "gemini-2.5-flash-native-audio-preview-12-2025"
LOOKUP_TOOL = {
    "function_declarations": [
        {
            "name": "lookup",
            "parameters": {"type": "OBJECT", "properties": {"city": {"type": "STRING"}}},
        }
    ]
}


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def server() -> Iterator[FakeLiveServer]:
    fake = FakeLiveServer(chunk_delay=0, close_timeout=0.5).start()
    try:
        yield fake
    finally:
        fake.stop()


def text_config(**kwargs: Any) -> live_actor.LiveConfig:
    return live_actor.LiveConfig(
        model=TEXT_MODEL, generation_config={"response_modalities": ["TEXT"]}, **kwargs
    )


def audio_config(**kwargs: Any) -> live_actor.LiveConfig:
    return live_actor.LiveConfig(
        model=AUDIO_MODEL, generation_config={"response_modalities": ["AUDIO"]}, **kwargs
    )


def no_jitter() -> live_actor.RestartPolicy:
    """Restarts without waiting (the README: "the jitter source is injectable")."""
    return live_actor.RestartPolicy(random=lambda: 0.0)


async def until(predicate: Callable[[], Any], limit: float = 5.0) -> Any:
    """Wait on a condition (never a fixed sleep)."""
    with anyio.fail_after(limit):
        while True:
            value = predicate()
            if value:
                return value
            await anyio.sleep(0.005)


async def server_wait(server: FakeLiveServer, predicate: Callable[[], Any], t: float = 5.0) -> Any:
    with anyio.fail_after(t):
        return await server.wait_for(predicate)


async def answer_to(session: live_actor.SessionHandle, prefix: str) -> str:
    """The next reply starting with ``prefix``.  README (Gemini API): replay after a
    reconnect is "at least once ... a few percent repeated", so the reply to an earlier,
    already answered message may come first: skip it."""
    with anyio.fail_after(5):
        while True:
            text = (await session.receive_turn()).text
            if text.startswith(prefix):
                return text


async def send_audio(session: live_actor.SessionHandle, pcm: bytes) -> None:
    for start in range(0, len(pcm), 640):  # 20 ms chunks of 16 kHz s16le
        await session.send_realtime_input(audio=pcm[start : start + 640])


class Recorder:
    """Callbacks that record their positional arguments, by name."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    def __getattr__(self, name: str) -> Callable[..., None]:
        if not name.startswith("on_"):
            raise AttributeError(name)

        def callback(*args: Any) -> None:
            self.calls.append((name, args))

        return callback

    def kwargs(self, *names: str) -> dict[str, Callable[..., None]]:
        return {name: getattr(self, name) for name in names}

    def args(self, name: str) -> list[tuple[Any, ...]]:
        return [a for n, a in self.calls if n == name]


# =========================================================================== README snippets


async def test_readme_quick_start_runs_as_shown(anyio_backend: str) -> None:
    """README "Quick start" + "Offline, point it at the fake server (base_url=)"."""
    config = live_actor.LiveConfig(
        model="gemini-live-2.5-flash-preview",
        generation_config={"response_modalities": ["TEXT"]},
        system_instruction="You are a helpful voice agent.",
    )
    async with FakeLiveServer() as server:  # asyncio or trio
        async with live_actor.open_session(config, api_key="any", base_url=server.url) as s:
            await s.send_client_content("Hello! my name is Alice")
            turn = await s.receive_turn()
        setup = server.connections[0].setup
    assert turn.text == "Got it, your name is Alice."
    assert setup is not None
    assert "You are a helpful voice agent." in repr(setup)


async def test_readme_audio_tools_events_snippet(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """README "Audio, tools, events": on_tool_call's list of dicts is sent as the tool
    response, on_transcription(kind, transcription), events() yields audio in
    ``message.data`` (24 kHz s16le PCM), ``send_realtime_input(audio=bytes)``."""

    def lookup(args: dict[str, Any]) -> dict[str, Any]:
        return {"city": args["city"], "sky": "sunny"}

    async def on_tool_call(call: live_actor.ToolCall) -> list[dict[str, Any]]:
        return [
            {"id": fc.id, "name": fc.name, "response": {"output": lookup(fc.args)}}
            for fc in call.function_calls
        ]

    transcriptions: list[tuple[str, str]] = []
    config = live_actor.LiveConfig(
        model="gemini-2.5-flash-native-audio-preview-12-2025",
        generation_config={"response_modalities": ["AUDIO"]},
        tools=[LOOKUP_TOOL],
        input_audio_transcription=True,
        output_audio_transcription=True,
    )
    played = bytearray()
    async with live_actor.open_session(
        config,
        api_key=API_KEY,
        base_url=server.url,
        on_tool_call=on_tool_call,
        on_transcription=lambda kind, t: transcriptions.append((kind, t.text or "")),
    ) as session:
        await send_audio(session, speech("call lookup city=Paris") + silence(600))
        with anyio.fail_after(5):
            async for message in session.events():  # never stops after one turn
                if message.data:
                    played += message.data
                content = message.server_content
                if content and content.turn_complete and "returned" in transcribe(bytes(played)):
                    break
    assert "lookup returned" in transcribe(bytes(played))
    assert '"city":"Paris"' in transcribe(bytes(played))
    answered = [e for e in server.ledger(server.sessions[-1].id) if e.kind == "toolResponse"]
    assert answered and answered[0].call_ids
    kinds = {kind for kind, _ in transcriptions}
    assert kinds == {"input", "output"}
    assert any("call lookup city=Paris" in text for kind, text in transcriptions if kind == "input")


async def test_readme_supervisor_snippet(anyio_backend: str, server: FakeLiveServer) -> None:
    """README "Many sessions": ``start_session`` + ``connect()``; leaving the block closes
    every session gracefully (with 1000)."""
    resumed: list[tuple[Any, ...]] = []
    config = text_config()
    async with live_actor.Supervisor(
        policy=live_actor.RestartPolicy(max_restarts=5, period=60)
    ) as sup:
        session = await sup.start_session(
            config, api_key=API_KEY, base_url=server.url, on_resumed=lambda *a: resumed.append(a)
        )
        other = await sup.start_session(config, api_key=API_KEY, base_url=server.url)
        # start_session starts dialling at once (a GenServer's start_link)
        assert session.status is not live_actor.SessionStatus.DISCONNECTED
        await session.connect()
        await other.connect()
        await session.send_client_content("my name is Alice")
        assert (await session.receive_turn()).text == "Got it, your name is Alice."
        assert len(sup.sessions) == 2
        await other.close()
        assert [h.session_id for h in sup.sessions] == [session.session_id]
    assert session.status is live_actor.SessionStatus.CLOSED
    assert other.status is live_actor.SessionStatus.CLOSED
    assert session.error is None and other.error is None
    await server_wait(server, lambda: all(not c.is_open for c in server.connections))
    assert [c.close_code for c in server.connections] == [1000, 1000]
    assert all(c.closed_by == "client" for c in server.connections)


async def test_readme_logging_snippet_filters_debug(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """README "Logs": ``structlog.configure(wrapper_class=make_filtering_bound_logger(INFO))``
    chooses a level (debug events such as ``live_actor.session.status`` disappear)."""
    old = structlog.get_config()
    try:
        structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.INFO))
        with capture_logs() as logs:
            async with live_actor.open_session(
                text_config(), api_key=API_KEY, base_url=server.url
            ) as session:
                await session.send_client_content("hello")
                await session.receive_turn()
    finally:
        structlog.configure(**old)
    events = [e["event"] for e in logs]
    assert "live_actor.session.setup_complete" in events  # info
    assert "live_actor.session.status" not in events  # debug
    assert all(e["log_level"] != "debug" for e in logs)


# =========================================================================== status, handle state


async def test_status_machine_values_and_transitions(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """README: ``disconnected → connecting → setup_pending → ready → closing → closed``."""
    assert [s.value for s in live_actor.SessionStatus] == [
        "disconnected",
        "connecting",
        "setup_pending",
        "ready",
        "closing",
        "closed",
    ]
    with capture_logs() as logs:
        async with live_actor.Supervisor() as sup:
            session = await sup.start_session(text_config(), api_key=API_KEY, base_url=server.url)
            assert session.status is live_actor.SessionStatus.CONNECTING  # dialling at once
            await session.connect()
            assert session.status is live_actor.SessionStatus.READY
            await session.close()
            assert session.status is live_actor.SessionStatus.CLOSED
    seen = [e["status"] for e in logs if e["event"] == "live_actor.session.status"]
    assert seen[:3] == ["connecting", "setup_pending", "ready"]
    assert seen[-1] == "closed"


async def test_status_is_closing_while_a_close_is_in_progress(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """README lists a ``closing`` state: a close waiting for a stalled server shows it."""
    options = live_actor.SessionOptions(transport=live_actor.TransportOptions(close_timeout=0.3))
    async with live_actor.open_session(
        text_config(), api_key=API_KEY, base_url=server.url, options=options
    ) as session:
        conn = await server.wait_for_connection()
        conn.stall(2.0)
        async with anyio.create_task_group() as tg:
            tg.start_soon(session.close)
            await until(lambda: session.status is not live_actor.SessionStatus.READY)
            assert session.status in (live_actor.SessionStatus.CLOSING,)
    assert session.status is live_actor.SessionStatus.CLOSED


async def test_handle_state_attributes(anyio_backend: str, server: FakeLiveServer) -> None:
    """README "State on the handle": resumption_handle (also get_session_handle()), usage
    (each turn counted once), connection_usage, ledger, connection, pending_tool_calls,
    error, close_code/close_reason."""
    async with live_actor.open_session(
        text_config(), api_key=API_KEY, base_url=server.url, restart="transient"
    ) as session:
        await session.send_client_content("my name is Alice")
        await session.receive_turn()
        await session.send_client_content("what is my name")
        await session.receive_turn()
        assert session.resumption_handle
        assert session.get_session_handle() == session.resumption_handle
        sid = server.connections[0].session_id
        assert session.resumption_handle in server.session(sid).handles
        assert session.usage.turns == 2
        assert session.connection_usage.turns == 2
        assert session.usage.total_token_count == (
            session.usage.prompt_token_count + session.usage.response_token_count
        )
        assert session.ledger.accepted == 2 and session.ledger.sent == 2
        assert session.connection_number == 1
        assert session.pending_tool_calls == ()
        assert session.error is None
        assert session.close_code is None
        # a reconnect: usage is kept, connection_usage restarts
        server.connections[0].drop()
        await until(lambda: session.connection_number == 2)
        await session.wait_ready()
        await session.send_client_content("what is my name")
        assert await answer_to(session, "Your name") == "Your name is Alice."
        assert session.connection_usage.turns in (1, 2)  # 2 if "my name is" was repeated
        assert session.usage.turns == 2 + session.connection_usage.turns
    assert session.close_code == 1000
    assert session.close_reason
    assert session.error is None


async def test_usage_counts_each_turn_once(anyio_backend: str, server: FakeLiveServer) -> None:
    """README: ``usage`` (each turn counted once): totals equal the sum of the final
    usageMetadata of each turn, although the server sends usage with several messages."""
    async with live_actor.open_session(
        text_config(), api_key=API_KEY, base_url=server.url
    ) as session:
        await session.send_client_content("one two three")
        turn = await session.receive_turn()
    snapshots = [m.usage_metadata for m in turn.messages if m.usage_metadata is not None]
    assert snapshots
    last = snapshots[-1]
    assert session.usage.turns == 1
    assert session.usage.total_token_count == last.total_token_count
    assert session.usage.prompt_token_count == last.prompt_token_count


# =========================================================================== callbacks


async def test_callbacks_signatures_sync_and_async(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """README "Callbacks (all optional, sync or async ...)" and the ``Callbacks`` docstring:
    on_message(message), on_session_resumption(update), on_close(code, reason) once."""
    rec = Recorder()
    async_messages: list[live_actor.ServerMessage] = []

    async def on_message(message: live_actor.ServerMessage) -> None:
        await anyio.lowlevel.checkpoint()
        async_messages.append(message)

    async with live_actor.open_session(
        text_config(),
        api_key=API_KEY,
        base_url=server.url,
        on_message=on_message,
        **rec.kwargs("on_session_resumption", "on_close", "on_error"),
    ) as session:
        await session.send_client_content("hello")
        turn = await session.receive_turn()
    assert async_messages and all(isinstance(m, live_actor.ServerMessage) for m in async_messages)
    assert any(m.server_content and m.server_content.turn_complete for m in async_messages)
    assert len(async_messages) >= len(turn.messages)
    updates = rec.args("on_session_resumption")
    assert updates and all(
        len(a) == 1 and isinstance(a[0], live_actor.SessionResumptionUpdate) for a in updates
    )
    assert rec.args("on_close") == [(1000, session.close_reason)]
    assert rec.args("on_error") == []


async def test_callbacks_never_run_on_the_socket_reader(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """README: callbacks "never run on the socket reader" and "Messages are buffered for
    events()/receive_turn() even when callbacks take them": a callback blocked until the
    turn was received does not stop receive_turn()."""
    release = anyio.Event()
    blocked: list[live_actor.ServerMessage] = []

    async def on_message(message: live_actor.ServerMessage) -> None:
        blocked.append(message)
        await release.wait()

    async with live_actor.open_session(
        text_config(), api_key=API_KEY, base_url=server.url, on_message=on_message
    ) as session:
        await session.send_client_content("hello")
        with anyio.fail_after(5):
            turn = await session.receive_turn()
        assert turn.text == 'You said: "hello".'
        assert len(blocked) == 1  # the callback is still stuck on the first message
        release.set()


async def test_on_transcription_and_on_voice_activity(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """Callbacks docstring: ``on_transcription(kind, transcription)`` with kind
    "input"/"output"; ``on_voice_activity(message)`` gets VoiceActivity."""
    rec = Recorder()
    config = audio_config(input_audio_transcription=True, output_audio_transcription=True)
    async with live_actor.open_session(
        config,
        api_key=API_KEY,
        base_url=server.url,
        **rec.kwargs("on_transcription", "on_voice_activity"),
    ) as session:
        await send_audio(session, speech("my name is Bob") + silence(700))
        turn = await session.receive_turn()
    assert transcribe(turn.audio) == "Got it, your name is Bob."
    assert turn.output_transcription.strip() == "Got it, your name is Bob."
    assert turn.input_transcription.strip() in ("", "my name is Bob")
    kinds = [a[0] for a in rec.args("on_transcription")]
    assert "input" in kinds and "output" in kinds
    assert all(isinstance(a[1], live_actor.Transcription) for a in rec.args("on_transcription"))
    activity = rec.args("on_voice_activity")
    assert activity and all(
        isinstance(a[0], live_actor.VoiceActivity | live_actor.VoiceActivityDetectionSignal)
        for a in activity
    )
    types = [str(a[0].voice_activity_type) for a in activity]
    assert "ACTIVITY_START" in types[0] and "ACTIVITY_END" in types[-1]


async def test_on_go_away_reconnecting_resumed_signatures(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """README: ``on_go_away(time_left, handle)``, ``on_reconnecting(attempt, delay, cause)``,
    ``on_resumed(state_restored, replayed, dropped)``; same news in
    ``events(lifecycle=True)`` as GoingAway, Reconnecting, Resumed."""
    rec = Recorder()
    async with live_actor.open_session(
        text_config(),
        api_key=API_KEY,
        base_url=server.url,
        **rec.kwargs("on_go_away", "on_reconnecting", "on_resumed"),
    ) as session:
        await session.send_client_content("my name is Alice")
        await session.receive_turn()
        sid = (await server.wait_for_connection()).session_id
        server.connections[0].go_away(2.0)
        lifecycle: list[Any] = []
        with anyio.fail_after(5):
            async for event in session.events(lifecycle=True):
                lifecycle.append(event)
                if isinstance(event, live_actor.Resumed):
                    break
        await until(lambda: rec.args("on_resumed"))
    going, reconnecting, resumed = (
        [e for e in lifecycle if isinstance(e, cls)]
        for cls in (live_actor.GoingAway, live_actor.Reconnecting, live_actor.Resumed)
    )
    assert going[0].time_left == datetime.timedelta(seconds=2)
    handle = going[0].resumption_handle
    assert handle and server.session_for_handle(handle).id == sid
    assert reconnecting[0].attempt == 1 and reconnecting[0].delay == 0.0
    assert "1000" in reconnecting[0].cause or "goAway" in reconnecting[0].cause
    assert resumed[0].state_restored is True
    assert rec.args("on_go_away") == [(datetime.timedelta(seconds=2), handle)]
    attempt, delay, cause = rec.args("on_reconnecting")[0]
    assert (attempt, delay, cause) == (1, 0.0, reconnecting[0].cause)
    assert rec.args("on_resumed") == [
        (resumed[0].state_restored, resumed[0].replayed, resumed[0].dropped)
    ]


async def test_events_without_lifecycle_never_yield_lifecycle_events(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """``events()`` is typed ``AsyncIterator[ServerMessage]`` unless ``lifecycle=True``."""
    async with live_actor.open_session(
        text_config(), api_key=API_KEY, base_url=server.url, policy=no_jitter()
    ) as session:
        server.connections[0].drop()
        await until(lambda: session.connection_number == 2)
        await session.wait_ready()
        await session.send_client_content("hello")
        seen: list[Any] = []
        async for message in session.events():
            seen.append(message)
            if message.server_content and message.server_content.turn_complete:
                break
    assert seen and all(isinstance(m, live_actor.ServerMessage) for m in seen)


async def test_on_error_and_failing_callbacks_do_not_end_the_session(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """Callbacks module: "An exception in a callback is logged and reported to on_error;
    it never ends the session" (log event ``live_actor.session.callback_error``)."""
    errors: list[BaseException] = []

    def on_message(message: live_actor.ServerMessage) -> None:
        raise RuntimeError("boom in callback")

    with capture_logs() as logs:
        async with live_actor.open_session(
            text_config(),
            api_key=API_KEY,
            base_url=server.url,
            on_message=on_message,
            on_error=errors.append,
        ) as session:
            await session.send_client_content("hello")
            await session.receive_turn()
            await until(lambda: errors)
            assert session.status is live_actor.SessionStatus.READY
    assert all(isinstance(e, live_actor.LiveError) for e in errors)
    assert any(e["event"] == "live_actor.session.callback_error" for e in logs)


async def test_on_error_gets_the_error_that_ended_the_session_last(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """Callbacks docstring: ``on_error(error)`` — every LiveError, "and, last, the one that
    ended it (then on_close)"."""
    seen: list[Any] = []
    async with live_actor.open_session(
        text_config(),
        api_key=API_KEY,
        base_url=server.url,
        restart="temporary",
        on_error=seen.append,
        on_close=lambda code, reason: seen.append(("close", code)),
    ) as session:
        (await server.wait_for_connection()).close(1011, "Internal error occurred.")
        await session.wait_closed()
    assert isinstance(session.error, live_actor.SessionClosedError)
    assert seen == [session.error, ("close", 1011)]


async def test_unknown_callback_name_is_reported(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """README: "All errors derive from live_actor.LiveError" — a misspelled callback."""
    with pytest.raises(live_actor.LiveError):
        async with live_actor.open_session(
            text_config(), api_key=API_KEY, base_url=server.url, on_mesage=print
        ):
            pass


# =========================================================================== tools


async def test_on_tool_call_return_values_become_tool_responses(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """Callbacks docstring: the return value of on_tool_call is sent as the tool response;
    "a dict without id/name/response keys is the response of the single call"."""
    calls: list[live_actor.ToolCall] = []

    def on_tool_call(call: live_actor.ToolCall) -> dict[str, Any]:  # a sync tool
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
    got: list[live_actor.ToolCall] = []
    async with live_actor.open_session(
        text_config(tools=[LOOKUP_TOOL]),
        api_key=API_KEY,
        base_url=server.url,
        on_tool_call=got.append,
    ) as session:
        await session.send_client_content("call lookup city=Oslo")
        await until(lambda: got and session.pending_tool_calls)
        call = got[0].function_calls[0]
        assert session.pending_tool_calls == (call.id,)
        await session.send_tool_response(
            {"id": call.id, "name": call.name, "response": {"output": "cold"}},
            scheduling="WHEN_IDLE",
        )
        await until(lambda: not session.pending_tool_calls)
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

    async def slow_tool(call: live_actor.ToolCall) -> dict[str, Any]:
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
        await until(lambda: rec.args("on_tool_call_cancellation"))
    assert rec.args("on_tool_call_cancellation") == [((call_id,),)]
    kinds = [e.kind for e in server.ledger(server.sessions[-1].id)]
    assert "toolResponse" not in kinds


async def test_failing_tool_is_reported_not_fatal(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """Callbacks docstring: on_error gets "a LiveError that did not end the session
    (... failing tool ...)"; README log event ``live_actor.session.tool_error``."""
    errors: list[BaseException] = []

    def broken_tool(call: live_actor.ToolCall) -> None:
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
            await until(lambda: errors)
            assert session.status is live_actor.SessionStatus.READY
    assert isinstance(errors[0], live_actor.LiveError)
    assert "tool bug" in str(errors[0])
    events = [e["event"] for e in logs]
    assert "live_actor.session.tool_call" in events
    assert "live_actor.session.tool_error" in events


# =========================================================================== senders


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
                live_actor.Content(role="model", parts=[live_actor.Part(text="ok")]),
                {"role": "user", "parts": [{"text": "third"}]},
            ],
            turn_complete=False,
        )
        await session.send_context_update(system_instruction="Be brief.", tools=[])
        await session.send(
            live_actor.ClientContent(
                turns=[live_actor.Content(role="user", parts=[live_actor.Part(text="x")])],
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
            await session.send(live_actor.Setup(model="models/x"))  # "except Setup"
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


# =========================================================================== errors


def test_error_hierarchy() -> None:
    """README: "All errors derive from live_actor.LiveError"; SetupRejectedError is a
    ConnectError with code/reason/status and also a SessionClosedError."""
    for cls in (
        live_actor.ConfigError,
        live_actor.ConnectError,
        live_actor.SetupRejectedError,
        live_actor.SessionClosedError,
        live_actor.GaveUpError,
        live_actor.LocalProtocolError,
        live_actor.RemoteProtocolError,
    ):
        assert issubclass(cls, live_actor.LiveError)
    assert issubclass(live_actor.SetupRejectedError, live_actor.ConnectError)
    assert issubclass(live_actor.SetupRejectedError, live_actor.SessionClosedError)
    err = live_actor.SetupRejectedError("x", code=1008, reason="why", status=None)
    assert (err.code, err.reason, err.status) == (1008, "why", None)
    assert live_actor.RemoteProtocolError("x", field="a.b").field == "a.b"


async def test_bad_key_is_setup_rejected_1008(anyio_backend: str) -> None:
    """README: SetupRejectedError (1007/1008 with code and reason); "never loop"."""
    with FakeLiveServer(chunk_delay=0, api_keys=["the-good-key"]) as server:
        with pytest.raises(live_actor.SetupRejectedError) as info:
            async with live_actor.open_session(text_config(), api_key=API_KEY, base_url=server.url):
                pass
        assert len(server.connections) == 1
    assert info.value.code == 1008
    assert "API key not valid" in info.value.reason
    assert API_KEY not in str(info.value) and API_KEY not in repr(info.value)


async def test_http_4xx_at_upgrade_is_setup_rejected_with_status(anyio_backend: str) -> None:
    """README/CHANGELOG: an HTTP 4xx refusing the upgrade raises SetupRejectedError with
    ``status``."""
    server = FakeLiveServer(chunk_delay=0, api_keys=["good"], reject_auth_at_upgrade=True)
    with server, pytest.raises(live_actor.SetupRejectedError) as info:
        async with live_actor.open_session(text_config(), api_key=API_KEY, base_url=server.url):
            pass
    assert info.value.status in (401, 403)
    assert API_KEY not in str(info.value)


async def test_unknown_model_is_setup_rejected(anyio_backend: str, server: FakeLiveServer) -> None:
    """README table: fatal 1008 "model not found" stops with SetupRejectedError."""
    config = text_config().evolve(model="gemini-does-not-exist")
    with pytest.raises(live_actor.SetupRejectedError) as info:
        async with live_actor.open_session(config, api_key=API_KEY, base_url=server.url):
            pass
    assert info.value.code == 1008
    assert "models/gemini-does-not-exist is not found" in info.value.reason


async def test_activity_markers_with_automatic_vad_are_refused_locally(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """Issue 10 item 6: a local protocol mistake raises LocalProtocolError to the caller
    and the session stays READY (the server would close with 1007)."""
    async with live_actor.open_session(
        text_config(), api_key=API_KEY, base_url=server.url
    ) as session:
        with pytest.raises(live_actor.LocalProtocolError, match="automatic activity detection"):
            await session.send_realtime_input(activity_start=True)
        with pytest.raises(live_actor.LocalProtocolError, match="no function call"):
            await session.send_tool_response({"id": "never-issued", "name": "f", "response": {}})
        assert session.status is live_actor.SessionStatus.READY
        await session.send_client_content("still fine?")
        assert (await session.receive_turn()).text
    assert session.error is None
    assert len(server.connections) == 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_dial_error_is_connect_error_with_no_code(anyio_backend: str) -> None:
    """ConnectError docstring: code/reason are "None/"" for dial errors and timeouts"."""
    with pytest.raises(live_actor.ConnectError) as info:
        async with live_actor.open_session(
            text_config(), api_key=API_KEY, base_url=f"ws://127.0.0.1:{_free_port()}"
        ):
            pass
    assert not isinstance(info.value, live_actor.SetupRejectedError)
    assert info.value.code is None
    assert info.value.status is None
    assert info.value.reason == ""


async def test_connect_timeout_is_connect_error(anyio_backend: str) -> None:
    """README table: timeouts; the first connection raises ConnectError (and the README log
    event ``live_actor.session.connect_failed``)."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"ws://127.0.0.1:{silent.getsockname()[1]}"
        options = live_actor.SessionOptions(
            transport=live_actor.TransportOptions(connect_timeout=0.3)
        )
        with capture_logs() as logs, pytest.raises(live_actor.ConnectError) as info:
            async with live_actor.open_session(
                text_config(), api_key=API_KEY, base_url=url, options=options
            ):
                pass
    assert info.value.code is None
    assert not isinstance(info.value, live_actor.SetupRejectedError)
    assert "live_actor.session.connect_failed" in [e["event"] for e in logs]


async def test_restart_intensity_gives_up_with_gave_up_error(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """README: "More than max_restarts charged restarts within period seconds gives up with
    GaveUpError (on the handle, on_gave_up, and a live_actor.supervisor.gave_up log event)
    — never an ExceptionGroup in your task group"; GaveUp in events(lifecycle=True)."""
    rec = Recorder()
    policy = live_actor.RestartPolicy(max_restarts=1, period=60, random=lambda: 0.0)
    with capture_logs() as logs:
        async with live_actor.Supervisor(policy=policy) as sup:
            session = await sup.start_session(
                text_config(), api_key=API_KEY, base_url=server.url, **rec.kwargs("on_gave_up")
            )
            await session.connect()
            (await server.wait_for_connection(1)).drop()
            (await server.wait_for_connection(2)).drop()
            lifecycle = [e async for e in session.events(lifecycle=True)]
            await session.wait_closed()
    assert isinstance(session.error, live_actor.GaveUpError)
    assert len(server.connections) == 2
    gave_up = [e for e in lifecycle if isinstance(e, live_actor.GaveUp)]
    assert gave_up and gave_up[0].reason == str(session.error)
    assert rec.args("on_gave_up") == [(str(session.error),)]
    assert any(e["event"] == "live_actor.supervisor.gave_up" for e in logs)


async def test_supervisor_body_exception_is_not_an_exception_group(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """README: never an ``ExceptionGroup`` in your task group."""
    with pytest.raises(KeyError):
        async with live_actor.Supervisor() as sup:
            session = await sup.start_session(text_config(), api_key=API_KEY, base_url=server.url)
            await session.connect()
            raise KeyError("mine")
    assert session.status is live_actor.SessionStatus.CLOSED


# =========================================================================== malformed frames


async def test_malformed_frames_are_reported_and_skipped(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """README "Malformed frames": not JSON or a wrong type in a known field is reported to
    on_error and the ``live_actor.session.malformed_frame`` log event, then skipped;
    RemoteProtocolError ``.field`` names the JSON path."""
    errors: list[BaseException] = []
    with capture_logs() as logs:
        async with live_actor.open_session(
            text_config(), api_key=API_KEY, base_url=server.url, on_error=errors.append
        ) as session:
            conn = await server.wait_for_connection()
            conn.send_raw(b"this is not json")
            conn.send_json({"serverContent": {"turnComplete": "not a bool"}})
            await until(lambda: len(errors) >= 2)
            await session.send_client_content("still alive")
            turn = await session.receive_turn()
    assert turn.text == 'You said: "still alive".'
    assert all(isinstance(e, live_actor.RemoteProtocolError) for e in errors)
    assert errors[1].field == "serverContent.turnComplete"
    malformed = [e for e in logs if e["event"] == "live_actor.session.malformed_frame"]
    assert len(malformed) == 2
    assert len(server.connections) == 1


async def test_unknown_fields_and_enum_values_are_kept(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """README: "an unknown field or enum value from the server is kept (.extra, open enums
    with .is_known), never an error"."""
    errors: list[BaseException] = []
    async with live_actor.open_session(
        text_config(), api_key=API_KEY, base_url=server.url, on_error=errors.append
    ) as session:
        conn = await server.wait_for_connection()
        conn.send_json(
            {
                "serverContent": {"turnComplete": True, "turnCompleteReason": "BRAND_NEW"},
                "somethingNew": {"a": 1},
            }
        )
        turn = await session.receive_turn()
    message = turn.messages[-1]
    assert message.extra == {"somethingNew": {"a": 1}}
    reason = message.server_content.turn_complete_reason
    assert reason == "BRAND_NEW" and reason.is_known is False
    assert live_actor.TurnCompleteReason("BRAND_NEW").is_known is False
    assert errors == []


def test_decode_server_message_names_the_field() -> None:
    """decode_server_message docstring: raises RemoteProtocolError naming the field;
    unknown keys kept."""
    with pytest.raises(live_actor.RemoteProtocolError) as info:
        live_actor.decode_server_message(b'{"serverContent": {"turnComplete": 3}}')
    assert info.value.field == "serverContent.turnComplete"
    with pytest.raises(live_actor.RemoteProtocolError):
        live_actor.decode_server_message(b"\xff not json")
    message = live_actor.decode_server_message('{"setupComplete": {}, "zzz": 1}')
    assert message.setup_complete is not None and message.extra == {"zzz": 1}
    again = live_actor.decode_server_message(live_actor.encode_server_message(message))
    assert again == message
    client = live_actor.decode_client_message('{"client_content": {"turn_complete": true}}')
    assert live_actor.encode_client_message(client) == '{"clientContent":{"turnComplete":true}}'


# =========================================================================== configuration


def test_config_takes_attrs_snake_case_or_camel_case() -> None:
    """README: "Every field takes its attrs class or plain dicts/lists with snake_case (or
    camelCase) keys"."""
    snake = live_actor.LiveConfig(
        model=TEXT_MODEL,
        generation_config={"response_modalities": ["TEXT"], "max_output_tokens": 50},
        realtime_input_config={"automatic_activity_detection": {"silence_duration_ms": 300}},
        tools=[{"function_declarations": [{"name": "lookup"}]}],
    )
    camel = live_actor.LiveConfig(
        model=TEXT_MODEL,
        generation_config={"responseModalities": ["TEXT"], "maxOutputTokens": 50},
        realtime_input_config={"automaticActivityDetection": {"silenceDurationMs": 300}},
        tools=[{"functionDeclarations": [{"name": "lookup"}]}],
    )
    typed = live_actor.LiveConfig(
        model=TEXT_MODEL,
        generation_config=live_actor.GenerationConfig(
            response_modalities=[live_actor.Modality.TEXT], max_output_tokens=50
        ),
        realtime_input_config=live_actor.RealtimeInputConfig(
            automatic_activity_detection=live_actor.AutomaticActivityDetection(
                silence_duration_ms=300
            )
        ),
        tools=[
            live_actor.Tool(function_declarations=[live_actor.FunctionDeclaration(name="lookup")])
        ],
    )
    assert snake.to_setup() == camel.to_setup()
    encode = live_actor.encode_client_message
    assert encode(snake.to_setup()) == encode(typed.to_setup())
    assert isinstance(snake.generation_config, live_actor.GenerationConfig)
    wire = live_actor.encode_client_message(snake.to_setup())
    assert '"responseModalities":["TEXT"]' in wire
    assert '"silenceDurationMs":300' in wire


def test_config_shortcuts() -> None:
    """LiveConfig docstring: a str system_instruction becomes one user text part; True
    enables session_resumption, context_window_compression, the transcriptions and
    proactivity; enable_affective_dialog goes inside generationConfig; api_version None
    picks v1alpha for v1alpha-only features, else v1beta; v1beta1 on Vertex."""
    config = live_actor.LiveConfig(
        model=AUDIO_MODEL,
        system_instruction="Be nice.",
        session_resumption=True,
        context_window_compression=True,
        input_audio_transcription=True,
        output_audio_transcription=True,
        proactivity=True,
        enable_affective_dialog=True,
    )
    setup = config.to_setup()
    assert setup.system_instruction is not None
    assert setup.system_instruction.role == "user"
    assert [p.text for p in setup.system_instruction.parts or ()] == ["Be nice."]
    assert setup.session_resumption is not None
    assert setup.context_window_compression is not None
    assert setup.input_audio_transcription is not None
    assert setup.output_audio_transcription is not None
    assert setup.proactivity == live_actor.ProactivityConfig(proactive_audio=True)
    wire = live_actor.encode_client_message(setup)
    assert '"generationConfig":{"enableAffectiveDialog":true}' in wire
    assert config.resolved_api_version() == "v1alpha"
    assert text_config().resolved_api_version() == "v1beta"
    vertex = text_config(auth="vertex_ai", project_id="p")
    assert vertex.resolved_api_version() == "v1beta1"
    assert vertex.model_resource == (
        "projects/p/locations/us-central1/publishers/google/models/" + TEXT_MODEL
    )
    assert text_config().model_resource == "models/" + TEXT_MODEL


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        # one response modality
        (
            {"model": TEXT_MODEL, "generation_config": {"response_modalities": ["TEXT", "AUDIO"]}},
            "exactly one response modality",
        ),
        # v1alpha-only features on v1beta
        (
            {"model": AUDIO_MODEL, "proactivity": True, "api_version": "v1beta"},
            "set api_version='v1alpha'",
        ),
        (
            {"model": AUDIO_MODEL, "enable_affective_dialog": True, "api_version": "v1beta"},
            "set api_version='v1alpha'",
        ),
        # transparent on the Gemini API
        (
            {"model": TEXT_MODEL, "session_resumption": {"transparent": True}},
            "auth='vertex_ai'",
        ),
        # Vertex without a project
        ({"model": TEXT_MODEL, "auth": "vertex_ai"}, "project_id="),
        # TEXT on a native-audio model
        (
            {"model": AUDIO_MODEL, "generation_config": {"response_modalities": ["TEXT"]}},
            "response_modalities to ['AUDIO']",
        ),
        # unknown keys (with a suggestion)
        (
            {"model": TEXT_MODEL, "generation_config": {"response_modality": ["TEXT"]}},
            "did you mean 'response_modalities'",
        ),
        (
            {"model": TEXT_MODEL, "tools": [{"function_declaration": []}]},
            "did you mean 'function_declarations'",
        ),
        (
            {"model": TEXT_MODEL, "generation_config": {"response_modalities": ["TXT"]}},
            "did you mean 'TEXT'",
        ),
        # out-of-range values
        ({"model": TEXT_MODEL, "generation_config": {"top_p": 1.5}}, "between 0 and 1"),
        (
            {
                "model": TEXT_MODEL,
                "realtime_input_config": {
                    "automatic_activity_detection": {"silence_duration_ms": -5}
                },
            },
            ">= 0",
        ),
    ],
)
def test_config_validation_says_what_to_change(kwargs: dict[str, Any], says: str) -> None:
    """README: validated when built, before any dialling, with messages that say what to
    change: one response modality, v1alpha-only features on v1beta, transparent on the
    Gemini API, Vertex without a project, TEXT on a native-audio model, unknown keys (with
    a suggestion), out-of-range values."""
    with pytest.raises(live_actor.ConfigError) as info:
        live_actor.LiveConfig(**kwargs)
    assert says in str(info.value)


def test_temperature_out_of_range_is_rejected() -> None:
    """README "out-of-range values": the Gemini API's temperature range is [0, 2]."""
    with pytest.raises(live_actor.ConfigError):
        live_actor.LiveConfig(model=TEXT_MODEL, generation_config={"temperature": 7.5})


def test_evolve_revalidates() -> None:
    """LiveConfig.evolve: "converters and validation run again"."""
    config = text_config()
    assert config.evolve(generation_config={"temperature": 0.5}).generation_config == (
        live_actor.GenerationConfig(temperature=0.5)
    )
    with pytest.raises(live_actor.ConfigError):
        config.evolve(generation_config={"top_p": 9})


# =========================================================================== credentials, secrets


async def test_api_key_is_a_header_never_in_the_url(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """README: ``api_key=`` is "sent as the x-goog-api-key header, never in the URL"."""
    async with live_actor.open_session(text_config(), api_key=API_KEY, base_url=server.url):
        conn = await server.wait_for_connection()
    assert conn.headers.get("x-goog-api-key") == API_KEY
    assert API_KEY not in conn.path
    assert conn.auth_kind == "api_key"


async def test_ephemeral_token_uses_v1alpha_constrained(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """README: ``credentials=EphemeralToken("auth_tokens/...")`` (v1alpha
    BidiGenerateContentConstrained)."""
    token = server.create_token()
    assert token.startswith("auth_tokens/")
    with capture_logs() as logs:
        async with live_actor.open_session(
            text_config(), credentials=live_actor.EphemeralToken(token), base_url=server.url
        ) as session:
            await session.send_client_content("hi")
            assert (await session.receive_turn()).text == 'You said: "hi".'
            conn = await server.wait_for_connection()
    assert "v1alpha" in conn.path and conn.path.endswith("BidiGenerateContentConstrained")
    assert token not in conn.path
    assert token not in repr(logs)
    assert token not in repr(live_actor.EphemeralToken(token))


async def test_provider_is_called_before_every_dial(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """README: "a provider callable called before every dial (single-use tokens)"."""
    minted: list[str] = []

    async def provider() -> live_actor.EphemeralToken:
        token = server.create_token(uses=1)
        minted.append(token)
        return live_actor.EphemeralToken(token)

    async with live_actor.open_session(
        text_config(), credentials=provider, base_url=server.url, policy=no_jitter()
    ) as session:
        (await server.wait_for_connection(1)).drop()
        await until(lambda: session.connection_number == 2)
        await session.wait_ready()
        await session.send_client_content("still here")
        assert (await session.receive_turn()).text == 'You said: "still here".'
    assert len(minted) == 2 and minted[0] != minted[1]


async def test_bearer_token_on_vertex(anyio_backend: str, server: FakeLiveServer) -> None:
    """README: ``BearerToken(...)`` for Vertex; LiveConfig auth="vertex_ai" + project."""
    config = text_config(auth="vertex_ai", project_id="my-project", location="europe-west4")
    async with live_actor.open_session(
        config, credentials=live_actor.BearerToken("ya29.secret-bearer"), base_url=server.url
    ) as session:
        await session.send_client_content("hello vertex")
        assert (await session.receive_turn()).text == 'You said: "hello vertex".'
        conn = await server.wait_for_connection()
    assert conn.backend == "vertex" and conn.auth_kind == "bearer"
    assert conn.headers.get("authorization") == "Bearer ya29.secret-bearer"
    assert "secret-bearer" not in repr(live_actor.BearerToken("ya29.secret-bearer"))


async def test_vertex_without_credentials_is_a_config_error(anyio_backend: str) -> None:
    """start_session: vertex needs credentials= (no silent fallback to an API key)."""
    config = text_config(auth="vertex_ai", project_id="p")
    with pytest.raises(live_actor.ConfigError, match="credentials"):
        async with live_actor.open_session(config, base_url="ws://127.0.0.1:1"):
            pass


async def test_secrets_never_appear_in_logs_reprs_errors_or_urls(
    anyio_backend: str,
) -> None:
    """README: "Secrets never appear in logs, reprs, exception texts or logged URLs";
    CHANGELOG: every query value, the userinfo and the fragment are shown as REDACTED."""
    secret_query = "QUERYSECRET123"
    errors: list[BaseException] = []
    with FakeLiveServer(chunk_delay=0, api_keys=["other"], reject_auth_at_upgrade=True) as srv:
        base = srv.url.replace("ws://", "ws://user:PASSWORDSECRET@") + f"/?key={secret_query}"
        config = text_config(base_url=base)
        with capture_logs() as logs, pytest.raises(live_actor.SetupRejectedError) as info:
            async with live_actor.open_session(config, api_key=API_KEY, on_error=errors.append):
                pass
    texts = [repr(logs), repr(config), str(info.value), repr(info.value), repr(errors)]
    texts.append(str(info.value.reason))
    for text in texts:
        for secret in (API_KEY, secret_query, "PASSWORDSECRET"):
            assert secret not in text
    assert "REDACTED" in repr(config) or "REDACTED" in repr(logs)
    assert "<redacted" in repr(live_actor.ApiKey(API_KEY))


async def test_secrets_absent_from_successful_session_logs(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """README: secrets never in logs or reprs (a normal session, with a reconnect)."""
    with capture_logs() as logs:
        async with live_actor.open_session(
            text_config(), api_key=API_KEY, base_url=server.url, policy=no_jitter()
        ) as session:
            await session.send_client_content("hello")
            await session.receive_turn()
            server.connections[0].drop()
            await until(lambda: session.connection_number == 2)
            await session.wait_ready()
            text = repr(session) + repr(session.config) + repr(session.ledger)
    assert logs
    assert API_KEY not in repr(logs) and API_KEY not in text


# =========================================================================== logs


README_EVENTS = {
    f"live_actor.session.{name}"
    for name in [
        "status",
        "connect",
        "connect_failed",
        "setup_complete",
        "go_away",
        "resumption_update",
        "tool_call",
        "tool_call_cancellation",
        "tool_error",
        "tool_result",
        "turn_complete",
        "usage",
        "malformed_frame",
        "message_rejected",
        "message_too_big",
        "callback_error",
        "callback_overflow",
        "event_overflow",
        "closed",
    ]
} | {
    f"live_actor.supervisor.{name}"
    for name in [
        "rotating",
        "exit",
        "reconnecting",
        "resumed",
        "handle_rejected",
        "gave_up",
        "shutdown",
    ]
} | {f"live_actor.transport.{name}" for name in ["reader_crashed", "compression_unsupported"]} | {
    f"live_actor.store.{name}"
    for name in [
        "unavailable",
        "recovered",
        "error",
        "lease_lost",
        "adopted",
        "adopt_failed",
        "drain",
        "handed_over",
    ]
}


def test_readme_event_names_are_the_stable_list() -> None:
    """README "Logs": the event names listed, "(live_actor._log.EVENTS)"."""
    from live_actor._log import EVENTS  # named by the README itself

    assert set(EVENTS) == README_EVENTS
    for name in README_EVENTS:
        short = name.rsplit(".", 1)[1]
        assert short in README


async def test_log_events_are_bound_to_session_model_and_connection(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """README: "Stable event names, bound to session_id, model and connection"."""
    with capture_logs() as logs:
        async with live_actor.open_session(
            text_config(), api_key=API_KEY, base_url=server.url, policy=no_jitter()
        ) as session:
            await session.send_client_content("hello")
            await session.receive_turn()
            server.connections[0].drop()
            await until(lambda: session.connection_number == 2)
            await session.wait_ready()
    ours = [e for e in logs if str(e["event"]).startswith("live_actor.")]
    assert {e["event"] for e in ours} <= README_EVENTS
    assert all(e.get("session_id") == session.session_id for e in ours)
    assert all(e.get("model") == TEXT_MODEL for e in ours)
    unbound = sorted({e["event"] for e in ours if "connection" not in e})
    assert unbound == []


async def test_event_buffer_overflow_drops_oldest_and_logs(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """README: buffered "up to SessionOptions(event_buffer=10_000) (oldest dropped and
    counted beyond it)"; CHANGELOG: with on_message the overflow is logged at debug, not
    as a warning."""
    for with_callback in (False, True):
        callbacks = {"on_message": lambda m: None} if with_callback else {}
        with capture_logs() as logs:
            async with live_actor.open_session(
                text_config(),
                api_key=API_KEY,
                base_url=server.url,
                options=live_actor.SessionOptions(event_buffer=2),
                **callbacks,
            ) as session:
                await session.send_client_content("one two three four five six seven eight")
                await until(lambda: any(e["event"].endswith("event_overflow") for e in logs))
        kept = [m async for m in session.events()]
        assert len(kept) <= 2
        overflow = [e for e in logs if e["event"] == "live_actor.session.event_overflow"]
        assert overflow and overflow[0]["dropped"] >= 1
        assert overflow[0]["log_level"] == ("debug" if with_callback else "warning")


async def test_event_buffer_zero_keeps_nothing(anyio_backend: str, server: FakeLiveServer) -> None:
    """README: "a session that only uses callbacks can pass event_buffer=0 to keep
    nothing" (while the callbacks still see every message)."""
    seen: list[live_actor.ServerMessage] = []
    async with live_actor.open_session(
        text_config(),
        api_key=API_KEY,
        base_url=server.url,
        options=live_actor.SessionOptions(event_buffer=0),
        on_message=seen.append,
    ) as session:
        await session.send_client_content("hello")
        await until(lambda: any(m.server_content and m.server_content.turn_complete for m in seen))
    assert [m async for m in session.events(lifecycle=True)] == []


# =========================================================================== supervisor behaviour


async def test_go_away_rotation_resumes_and_keeps_the_conversation(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """README: on goAway the session rotates at a safe point, "closes the old socket first
    (the service refuses a resume while it is open), then resumes"; planned restarts after
    a useful connection (a completed turn) are "not charged" (max_restarts=0 still rotates)."""
    policy = live_actor.RestartPolicy(max_restarts=0, random=lambda: 0.0)
    async with live_actor.open_session(
        text_config(), api_key=API_KEY, base_url=server.url, policy=policy
    ) as session:
        await session.send_client_content("my name is Alice")
        await session.receive_turn()
        for n in (1, 2):
            if n == 2:
                await session.send_client_content("and I like tea")
                await session.receive_turn()
            (await server.wait_for_connection(n)).go_away(10.0)
            with anyio.fail_after(3):  # long before the 10 s deadline
                await until(lambda n=n: session.connection_number == n + 1)
                await session.wait_ready()
        await session.send_client_content("what is my name")
        assert await answer_to(session, "Your name") == "Your name is Alice."
    first, second, third = server.connections[:3]
    assert first.close_code == 1000 and first.closed_by == "client"
    assert second.close_code == 1000 and second.closed_by == "client"
    assert first.session_id == second.session_id == third.session_id
    assert session.error is None


async def test_drop_is_transient_restart_with_resume(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """README table: a 1006 drop is transient: back off, restart, charged; the session
    resumes with the stored handle and "the conversation survives"."""
    rec = Recorder()
    async with live_actor.open_session(
        text_config(),
        api_key=API_KEY,
        base_url=server.url,
        policy=no_jitter(),
        **rec.kwargs("on_reconnecting", "on_resumed"),
    ) as session:
        await session.send_client_content("my name is Alice")
        await session.receive_turn()
        (await server.wait_for_connection(1)).drop()
        await until(lambda: rec.args("on_resumed"))
        await session.send_client_content("what is my name")
        assert await answer_to(session, "Your name") == "Your name is Alice."
    [(attempt, delay, cause)] = rec.args("on_reconnecting")
    assert attempt == 1 and delay == 0.0 and "1006" in cause and "transient" in cause
    assert rec.args("on_resumed")[0][0] is True
    assert server.connections[0].session_id == server.connections[1].session_id


@pytest.mark.parametrize("code", [1011, 1001])
async def test_1011_and_1001_are_transient(
    anyio_backend: str, server: FakeLiveServer, code: int
) -> None:
    """README table: 1011 and 1001 are transient (restart), not fatal."""
    async with live_actor.open_session(
        text_config(), api_key=API_KEY, base_url=server.url, policy=no_jitter()
    ) as session:
        (await server.wait_for_connection(1)).close(code, "bye")
        await until(lambda: session.connection_number == 2)
        await session.wait_ready()
        await session.send_client_content("hello again")
        assert (await session.receive_turn()).text == 'You said: "hello again".'
    assert session.error is None


async def test_max_restarts_zero_gives_up_on_first_charged_exit(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """README: transient exits are charged (contrast with the goAway test above)."""
    policy = live_actor.RestartPolicy(max_restarts=0, random=lambda: 0.0)
    async with live_actor.open_session(
        text_config(), api_key=API_KEY, base_url=server.url, policy=policy
    ) as session:
        (await server.wait_for_connection(1)).drop()
        await session.wait_closed()
    assert isinstance(session.error, live_actor.GaveUpError)
    assert len(server.connections) == 1


async def test_restart_temporary_opts_out(anyio_backend: str, server: FakeLiveServer) -> None:
    """README: ``restart="temporary"`` opts out (never restarts)."""
    async with live_actor.open_session(
        text_config(), api_key=API_KEY, base_url=server.url, restart="temporary"
    ) as session:
        (await server.wait_for_connection(1)).drop()
        await session.wait_closed()
        with pytest.raises(live_actor.SessionClosedError):
            await session.send_client_content("x")
    assert isinstance(session.error, live_actor.SessionClosedError)
    assert session.close_code == 1006
    assert len(server.connections) == 1


async def test_server_1000_without_go_away_transient_stops_permanent_restarts(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """README: restart types follow OTP: ``transient`` (default) does not restart after a
    server 1000 (without goAway); ``permanent`` does ("also after a server 1000").
    Uses the Supervisor (start_session(restart=...))."""
    async with live_actor.Supervisor(policy=no_jitter()) as sup:
        transient = await sup.start_session(text_config(), api_key=API_KEY, base_url=server.url)
        await transient.connect()
        (await server.wait_for_connection(1)).close(1000, "done")
        await transient.wait_closed()
        assert transient.close_code == 1000
        permanent = await sup.start_session(
            text_config(), api_key=API_KEY, base_url=server.url, restart="permanent"
        )
        await permanent.connect()
        (await server.wait_for_connection(2)).close(1000, "done")
        await until(lambda: permanent.connection_number == 2)
        await permanent.wait_ready()
        assert permanent.status is live_actor.SessionStatus.READY
    assert len(server.connections) == 3


async def test_open_session_honours_a_permanent_policy(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """open_session(policy=RestartPolicy(restart="permanent")): RestartPolicy docstring says
    "permanent" also restarts after the server ended the session with 1000."""
    policy = live_actor.RestartPolicy(restart="permanent", random=lambda: 0.0)
    async with live_actor.open_session(
        text_config(), api_key=API_KEY, base_url=server.url, policy=policy
    ) as session:
        (await server.wait_for_connection(1)).close(1000, "done")
        await until(
            lambda: session.connection_number == 2
            or session.status is live_actor.SessionStatus.CLOSED
        )
        assert session.status is not live_actor.SessionStatus.CLOSED
        assert session.connection_number == 2


async def test_rejected_handle_falls_back_to_fresh_session_and_history(
    anyio_backend: str,
) -> None:
    """README: "A handle the server rejects (expired, unknown) falls back to a fresh
    session, reported honestly as Resumed(state_restored=False); pass
    SessionOptions(history=...) to re-seed the conversation you kept"; "an answered
    question is not asked again"; log event live_actor.supervisor.handle_rejected."""
    kept = [
        live_actor.Content(role="user", parts=[live_actor.Part(text="my name is Bob")]),
        live_actor.Content(role="model", parts=[live_actor.Part(text="Got it.")]),
    ]
    rec = Recorder()
    with FakeLiveServer(chunk_delay=0, close_timeout=0.5, handle_ttl=0.0) as server:
        with capture_logs() as logs:
            async with live_actor.open_session(
                text_config(),
                api_key=API_KEY,
                base_url=server.url,
                policy=no_jitter(),
                options=live_actor.SessionOptions(history=lambda: kept),
                **rec.kwargs("on_resumed"),
            ) as session:
                await session.send_client_content("what is my favourite colour")
                await session.receive_turn()
                (await server.wait_for_connection(1)).drop()
                await until(lambda: rec.args("on_resumed"))
                await session.send_client_content("what is my name")
                assert (await session.receive_turn()).text == "Your name is Bob."
        sessions = server.sessions
        fresh = sessions[-1]
        assert len(sessions) == 2
        assert "what is my favourite colour" not in fresh.control_texts()
    assert rec.args("on_resumed")[0][0] is False
    assert any(e["event"] == "live_actor.supervisor.handle_rejected" for e in logs)


async def test_commands_are_queued_while_reconnecting_and_never_lost(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """README "Nothing lost": commands sent while dialling are queued, not rejected; on
    the Gemini API they arrive "at least once, first deliveries in order, never lost"."""
    reconnecting = anyio.Event()
    policy = live_actor.RestartPolicy(backoff_base=0.3, random=lambda: 0.99)
    async with live_actor.open_session(
        text_config(),
        api_key=API_KEY,
        base_url=server.url,
        policy=policy,
        on_reconnecting=lambda *a: reconnecting.set(),
    ) as session:
        await session.send_client_content("my name is Alice")
        await session.receive_turn()
        (await server.wait_for_connection(1)).drop()
        with anyio.fail_after(3):
            await reconnecting.wait()
        assert session.status is not live_actor.SessionStatus.READY
        for text in ("first", "second", "my city is Lisbon"):
            await session.send_client_content(text, turn_complete=False)
        await until(lambda: session.ledger.queued >= 3)  # counted once the command task ran
        await session.send_client_content("what is my city")
        answer = ""
        while "Your city" not in answer:
            answer = (await session.receive_turn()).text
        assert answer == "Your city is Lisbon."
    texts = server.session(server.connections[0].session_id).control_texts()
    firsts = [t for i, t in enumerate(texts) if t not in texts[:i]]
    wanted = ["my name is Alice", "first", "second", "my city is Lisbon", "what is my city"]
    assert firsts == wanted


async def test_transparent_resumption_is_exactly_once(anyio_backend: str) -> None:
    """README: with transparent resumption (Vertex AI) the unconsumed tail is replayed
    after a resume "exactly once, in order"."""
    config = text_config(auth="vertex_ai", project_id="p", session_resumption={"transparent": True})
    with FakeLiveServer(chunk_delay=0, close_timeout=0.5) as server:
        async with live_actor.open_session(
            config,
            credentials=live_actor.BearerToken("tok"),
            base_url=server.url,
            policy=no_jitter(),
        ) as session:
            await session.send_client_content("my name is Alice")
            await session.receive_turn()
            sid = (await server.wait_for_connection(1)).session_id
            for i in range(20):
                await session.send_client_content(f"note {i}", turn_complete=False)
                if i == 10:
                    server.connections[0].drop()
            await session.send_client_content("what is my name")
            answer = ""
            while "Your name" not in answer:
                answer = (await session.receive_turn()).text
        texts = server.session(sid).control_texts()
    assert texts == ["my name is Alice", *[f"note {i}" for i in range(20)], "what is my name"]
    assert len(server.connections) == 2


async def test_close_sends_what_was_handed_over(anyio_backend: str, server: FakeLiveServer) -> None:
    """README: "close() sends what you already handed over before closing with 1000"."""
    async with live_actor.open_session(
        text_config(), api_key=API_KEY, base_url=server.url
    ) as session:
        for i in range(50):
            await session.send_client_content(f"line {i}", turn_complete=False)
        for _ in range(25):
            await session.send_realtime_input(audio=silence(20))
    conn = server.connections[0]
    await server_wait(server, lambda: not conn.is_open)
    kinds = [e.kind for e in server.ledger(conn.session_id)]
    assert kinds.count("clientContent") == 50
    assert kinds.count("realtimeInput.audio") == 25
    assert conn.close_code == 1000 and conn.closed_by == "client"
    assert session.ledger.dropped == 0 and session.ledger.unconfirmed_at_close == 0


@pytest.mark.parametrize("policy", ["replay", "drop"])
async def test_media_ring_policy_after_reconnect(
    anyio_backend: str, server: FakeLiveServer, policy: str
) -> None:
    """README: audio goes to a bounded ring, "replayed or dropped by media_policy; every
    dropped chunk is counted"."""
    reconnecting = anyio.Event()
    options = live_actor.SessionOptions(media_policy=policy)  # type: ignore[arg-type]
    async with live_actor.open_session(
        text_config(),
        api_key=API_KEY,
        base_url=server.url,
        options=options,
        policy=live_actor.RestartPolicy(backoff_base=0.2, random=lambda: 0.99),
        on_reconnecting=lambda *a: reconnecting.set(),
    ) as session:
        (await server.wait_for_connection(1)).drop()
        with anyio.fail_after(3):
            await reconnecting.wait()
        for _ in range(5):
            await session.send_realtime_input(audio=silence(20))
        await session.wait_ready()
        await session.send_client_content("sync")
        await session.receive_turn()
        second = server.connections[1]
    audio_on_second = [e for e in second.received if e.kind == "realtimeInput.audio"]
    if policy == "replay":
        assert len(audio_on_second) == 5
        assert session.ledger.dropped_media == 0
    else:
        assert audio_on_second == []
        assert session.ledger.dropped_media == 5
        assert session.ledger.dropped_media_seconds == pytest.approx(0.1)


async def test_backoff_is_injectable_and_resets_after_reset_after(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """README: full-jitter backoff; "Backoff resets after a connection stayed ready for
    reset_after seconds; the jitter source is injectable"."""
    delays: dict[float, list[float]] = {}
    for reset_after in (0.0, 100.0):
        rec = Recorder()
        policy = live_actor.RestartPolicy(
            backoff_base=0.1, backoff_max=5, reset_after=reset_after, random=lambda: 0.5
        )
        async with live_actor.open_session(
            text_config(),
            api_key=API_KEY,
            base_url=server.url,
            policy=policy,
            **rec.kwargs("on_reconnecting"),
        ) as session:
            for n in (1, 2):
                server.connections[-1].drop()
                await until(lambda n=n: session.connection_number == n + 1)
                await session.wait_ready()
        delays[reset_after] = [a[1] for a in rec.args("on_reconnecting")]
    assert delays[0.0][0] == delays[0.0][1] > 0
    assert delays[100.0][1] > delays[100.0][0] > 0


async def test_go_away_mid_turn_rotates_before_the_deadline(anyio_backend: str) -> None:
    """README: rotation happens at a safe point "but always before the deadline, on a timer
    that does not depend on reads"; CHANGELOG: receive_turn ends a reply cut by a mid-turn
    rotation as its own turn (Turn.connection_lost / Turn.interrupted)."""
    with FakeLiveServer(chunk_delay=0.04, words_per_chunk=1, close_timeout=0.5) as server:
        async with live_actor.open_session(
            text_config(), api_key=API_KEY, base_url=server.url, policy=no_jitter()
        ) as session:
            words = " ".join(f"w{i}" for i in range(24))  # ~1 s of streaming
            conn = await server.wait_for_connection(1)
            await session.send_client_content(words)
            async for message in session.events():
                if message.text:
                    break
            conn.go_away(0.5)
            started = anyio.current_time()
            cut = await session.receive_turn()
            await until(lambda: session.connection_number == 2)
            elapsed = anyio.current_time() - started
            second = await session.receive_turn()
    assert elapsed < 0.5
    assert conn.closed_by == "client"
    assert cut.interrupted and cut.connection_lost
    assert second.text.endswith('w23".') and not second.interrupted


async def test_barge_in_marks_the_turn_interrupted(anyio_backend: str) -> None:
    """Turn.interrupted docstring: "barge-in (server interrupted) or a lost connection";
    README: "energy VAD with barge-in"."""
    with FakeLiveServer(chunk_delay=0.03, words_per_chunk=1) as server:
        async with live_actor.open_session(
            audio_config(output_audio_transcription=True), api_key=API_KEY, base_url=server.url
        ) as session:
            await send_audio(session, speech("tell me a long story") + silence(600))
            async for message in session.events():
                if message.data:
                    break
            await send_audio(session, speech("stop") + silence(600))
            cut = await session.receive_turn()
            answer = await session.receive_turn()
    assert cut.interrupted and not cut.connection_lost
    assert transcribe(answer.audio) == 'You said: "stop".'
    assert session.connection_number == 1


async def test_cancelling_the_streaming_task_never_costs_the_call(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """README: "A send is never torn and cancelling the task that streams your microphone
    never costs the call"."""
    async with live_actor.open_session(
        text_config(), api_key=API_KEY, base_url=server.url
    ) as session:
        sent = 0

        async def microphone() -> None:
            nonlocal sent
            while True:
                await session.send_realtime_input(audio=tone(20, amplitude=10))
                sent += 1
                # a real microphone waits for audio; without this the asyncio fast path
                # never yields to the event loop (see the report)
                await anyio.lowlevel.checkpoint()

        for _ in range(5):
            async with anyio.create_task_group() as tg:
                tg.start_soon(microphone)
                await until(lambda s=sent: sent >= s + 20)
                tg.cancel_scope.cancel()
        await session.send_client_content("still connected")
        assert (await session.receive_turn()).text == 'You said: "still connected".'
        assert session.connection_number == 1
    assert len(server.connections) == 1
    assert server.connections[0].close_code == 1000


async def test_a_response_to_a_call_the_resumed_session_never_saw_is_not_replayed(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """README: a response to a call issued after the handle the session resumed from is
    dropped and counted (the service would ignore it), and the question is asked again: the
    model calls the tool again, with a new id."""
    got: list[live_actor.ToolCall] = []
    async with live_actor.open_session(
        text_config(tools=[LOOKUP_TOOL]),
        api_key=API_KEY,
        base_url=server.url,
        policy=no_jitter(),
        on_tool_call=got.append,
    ) as session:
        await session.send_client_content("call lookup city=Rome")
        await until(lambda: session.pending_tool_calls)
        call = got[0].function_calls[0]
        server.connections[0].drop()
        await session.send_tool_response(
            {"id": call.id, "name": call.name, "response": {"output": "warm"}}
        )
        await until(lambda: len(got) == 2)
        again = got[1].function_calls[0]
        assert again.id != call.id and again.args == call.args
        await session.send_tool_response(
            {"id": again.id, "name": again.name, "response": {"output": "warm"}}
        )
        text = ""
        with anyio.fail_after(5):
            while "returned" not in text:
                text += (await session.receive_turn()).text
        ledger = session.ledger
    assert 'lookup returned "warm"' in text
    second = [e for e in server.connections[1].received if e.kind != "setup"]
    assert second[0].kind == "clientContent"  # the question again, not the stale response
    assert all(e.call_ids != (call.id,) for e in second)
    assert ledger.dropped_reasons.get("the resumed session does not know the call") == 1


async def test_cancelling_one_call_of_a_multi_call_tool_call(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """CHANGELOG: "cancelling one call of a multi-call toolCall keeps the others running and
    answered"; Callbacks: "responses for withdrawn calls are never sent"."""
    weather = {"function_declarations": [{"name": "get_weather"}]}
    started = anyio.Event()
    release = anyio.Event()
    finished: list[bool] = []
    rec = Recorder()

    async def tool(call: live_actor.ToolCall) -> list[dict[str, Any]]:
        started.set()
        await release.wait()
        finished.append(True)
        return [{"output": fc.name} for fc in call.function_calls or ()]

    async with live_actor.open_session(
        text_config(tools=[LOOKUP_TOOL, weather]),
        api_key=API_KEY,
        base_url=server.url,
        on_tool_call=tool,
        **rec.kwargs("on_tool_call_cancellation"),
    ) as session:
        await session.send_client_content("call lookup city=Rome and get_weather city=Oslo")
        with anyio.fail_after(5):
            await started.wait()
        first, second = session.pending_tool_calls
        (await server.wait_for_connection()).send_json({"toolCallCancellation": {"ids": [first]}})
        await until(lambda: rec.args("on_tool_call_cancellation"))
        release.set()
        sid = server.connections[0].session_id
        await server_wait(
            server, lambda: [e for e in server.ledger(sid) if e.kind == "toolResponse"]
        )
    assert finished == [True]
    [entry] = [e for e in server.ledger(sid) if e.kind == "toolResponse"]
    assert entry.call_ids == (second,)


async def test_close_during_backoff_counts_what_it_could_not_send(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """README: "anything it could not send within shutdown_timeout is counted as dropped
    ... never silently lost"."""
    reconnecting = anyio.Event()
    policy = live_actor.RestartPolicy(backoff_base=10, random=lambda: 0.99)
    async with live_actor.open_session(
        text_config(),
        api_key=API_KEY,
        base_url=server.url,
        policy=policy,
        on_reconnecting=lambda *a: reconnecting.set(),
    ) as session:
        server.connections[0].drop()
        with anyio.fail_after(3):
            await reconnecting.wait()
        for i in range(3):
            await session.send_client_content(f"lost {i}", turn_complete=False)
        started = anyio.current_time()
    assert anyio.current_time() - started < 2
    stats = session.ledger
    assert stats.accepted == 3
    assert stats.dropped + stats.unconfirmed_at_close == 3
    assert sum(stats.dropped_reasons.values()) == stats.dropped


async def test_supervisor_shutdown_is_bounded(anyio_backend: str, server: FakeLiveServer) -> None:
    """README: leaving the Supervisor block "closes every session gracefully (bounded,
    shielded), then cancels"; Supervisor.shutdown: "Close every session gracefully within
    shutdown_timeout (shielded)"."""
    options = live_actor.SessionOptions(transport=live_actor.TransportOptions(close_timeout=1.5))
    async with live_actor.Supervisor(shutdown_timeout=0.2, options=options) as sup:
        session = await sup.start_session(text_config(), api_key=API_KEY, base_url=server.url)
        await session.connect()
        conn = await server.wait_for_connection()
        conn.stall(10)  # an unresponsive server: it stops reading after the next frame
        await server_wait(server, lambda: server.faults)
        await session.send_client_content("last words", turn_complete=False)
        with anyio.move_on_after(1.0):  # usually at once; already gated if it times out
            await server.wait_for(lambda: len(conn.received) >= 2)
        started = anyio.current_time()
    elapsed = anyio.current_time() - started
    assert session.status is live_actor.SessionStatus.CLOSED
    assert elapsed < 1.0, elapsed


async def test_unknown_tool_call_id_is_refused_before_the_server_sees_it(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """live_actor.testing close codes: 1007 for an unknown tool-call id; the session refuses
    it locally (LocalProtocolError) instead of losing the connection."""
    async with live_actor.open_session(
        text_config(), api_key=API_KEY, base_url=server.url
    ) as session:
        with pytest.raises(live_actor.LocalProtocolError, match="no-such-call"):
            await session.send_tool_response({"id": "no-such-call", "name": "x", "response": {}})
        assert session.status is live_actor.SessionStatus.READY
    assert session.error is None
    assert len(server.connections) == 1 and server.connections[0].close_code == 1000


async def test_audio_fast_path_sends_the_same_json(anyio_backend: str) -> None:
    """CHANGELOG: ``send_realtime_input(audio=bytes)`` takes a faster path; "the JSON on the
    wire is unchanged"."""
    pcm = tone(20)
    with FakeLiveServer(chunk_delay=0, ledger_media=True) as server:
        async with live_actor.open_session(
            text_config(), api_key=API_KEY, base_url=server.url
        ) as session:
            await session.send_realtime_input(audio=pcm)
            await session.send_realtime_input(
                audio=live_actor.Blob(mime_type="audio/pcm;rate=16000", data=pcm)
            )
            await session.send_realtime_input(
                audio={"mime_type": "audio/pcm;rate=16000", "data": pcm}
            )
            sid = (await server.wait_for_connection()).session_id
            await server_wait(server, lambda: len(server.ledger(sid)) >= 4)
    fast, typed, mapping = (e.message for e in server.ledger(sid)[1:4])
    assert fast == typed == mapping
    assert "data" in fast["realtimeInput"]["audio"]


# =========================================================================== smaller API claims


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
        await until(lambda: session.connection_number == 2)
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
        message = live_actor.decode_server_message(
            '{"serverContent": {"modelTurn": {"parts": [{"inlineData": '
            f'{{"mimeType": "audio/pcm;rate=24000", "data": "{encoded}"}}}}]}}}}}}'
        )
        assert message.data == raw
    message = live_actor.decode_server_message(
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


# =========================================================================== the fake server


def test_fake_server_sync_context_urls_and_rest() -> None:
    """FakeLiveServer docstring: ``with``/``start()``/``stop()``; ``url``, ``http_url``,
    ``live_url()``, ``vertex_url()``; README: "ephemeral tokens and the two REST calls"."""
    with FakeLiveServer(api_keys=["k1"]) as server:
        assert server.url == f"ws://127.0.0.1:{server.port}"
        assert server.http_url == f"http://127.0.0.1:{server.port}"
        assert server.live_url().endswith(
            "v1beta.GenerativeService.BidiGenerateContent"
        ) and server.live_url().startswith(server.url)
        assert server.live_url("v1alpha", constrained=True).endswith(
            "v1alpha.GenerativeService.BidiGenerateContentConstrained"
        )
        assert "v1beta1" in server.vertex_url()
        models = httpx.get(f"{server.http_url}/v1beta/models", headers={"x-goog-api-key": "k1"})
        assert models.status_code == 200
        names = [m["name"] for m in models.json()["models"]]
        assert f"models/{TEXT_MODEL}" in names
        bad = httpx.get(f"{server.http_url}/v1beta/models", headers={"x-goog-api-key": "nope"})
        assert bad.status_code == 400
        token = httpx.post(
            f"{server.http_url}/v1alpha/auth_tokens",
            headers={"x-goog-api-key": "k1"},
            json={"uses": 1},
        )
        assert token.status_code == 200 and token.json()["name"].startswith("auth_tokens/")


async def test_fake_server_text_frames_record_sent_and_responder(anyio_backend: str) -> None:
    """FakeLiveServer options: ``text_frames``, ``record_sent`` (``connection.sent``),
    ``responder`` (ScriptedResponder ``rules`` template with groups), ``extra_models``."""
    responder = ScriptedResponder(rules=[(r"weather in (\w+)", "It is sunny in {0}.")])
    with FakeLiveServer(
        chunk_delay=0,
        text_frames=True,
        record_sent=True,
        responder=responder,
        extra_models=["my-tuned-live-model"],
    ) as server:
        config = live_actor.LiveConfig(
            model="my-tuned-live-model", generation_config={"response_modalities": ["TEXT"]}
        )
        async with live_actor.open_session(config, api_key=API_KEY, base_url=server.url) as s:
            await s.send_client_content("weather in Paris")
            turn = await s.receive_turn()
        conn = server.connections[0]
    assert turn.text == "It is sunny in Paris."
    assert conn.sent and "setupComplete" in conn.sent[0]


async def test_custom_responder_subclass(anyio_backend: str) -> None:
    """Responder docstring: pluggable model behaviour; Reply(text=..., function_calls=...)."""

    class Shouty(live_actor.testing.Responder):
        def respond(self, context: live_actor.testing.TurnContext) -> Reply:
            return Reply(text=context.user_text.upper())

    with FakeLiveServer(chunk_delay=0, responder=Shouty()) as server:
        async with live_actor.open_session(
            text_config(), api_key=API_KEY, base_url=server.url
        ) as s:
            await s.send_client_content("quiet please")
            assert (await s.receive_turn()).text == "QUIET PLEASE"


async def test_fake_server_connection_lifetime_sends_go_away(anyio_backend: str) -> None:
    """FakeLiveServer: ``connection_lifetime``/``go_away_notice``: goAway then a cut; the
    client rotates by itself (README: restart after a server goAway)."""
    with FakeLiveServer(chunk_delay=0, connection_lifetime=0.6, go_away_notice=0.4) as server:
        async with live_actor.open_session(
            text_config(), api_key=API_KEY, base_url=server.url
        ) as session:
            await session.send_client_content("my name is Alice")
            await session.receive_turn()
            await until(lambda: session.connection_number >= 2)
            await session.wait_ready()
            await session.send_client_content("what is my name")
            assert await answer_to(session, "Your name") == "Your name is Alice."
        assert server.connections[0].go_away_sent
        assert server.connections[0].closed_by == "client"


async def test_fake_server_virtual_clock_runs_hours_of_rotations(anyio_backend: str) -> None:
    """CHANGELOG: ``FakeLiveServer(clock=...)``: the connection lifetime starts at
    setupComplete, so a virtual clock runs hours of goAway rotations in a second
    (``advance_time`` jumps to each goAway notice)."""
    import trio.testing

    # The server's 10-minute connections last milliseconds of the client's real time:
    # reset_after=0 keeps the client from taking them for a goAway storm.
    policy = live_actor.RestartPolicy(reset_after=0)
    with FakeLiveServer(
        chunk_delay=0, clock=trio.testing.MockClock(), connection_lifetime=600, go_away_notice=60
    ) as server:
        async with live_actor.open_session(  # no 15-minute session limit with compression
            text_config(context_window_compression=True),
            api_key=API_KEY,
            base_url=server.url,
            policy=policy,
        ) as session:
            for n in range(1, 7):  # one hour of 10-minute connections
                await session.wait_ready()
                await server.wait_for_connection(n)
                server.advance_time(541)  # past the goAway notice, before the cut
                await until(lambda n=n: session.connection_number == n + 1)
            await session.wait_ready()
            await session.send_client_content("still here")
            assert (await session.receive_turn()).text == 'You said: "still here".'
        assert server.current_time() >= 6 * 541
        assert all(c.go_away_sent for c in server.connections[:6])
        assert len({c.session_id for c in server.connections}) == 1
        assert session.error is None


async def test_fake_server_jump_past_the_lifetime_still_sends_go_away(anyio_backend: str) -> None:
    """live_actor.testing: the fake is "protocol-faithful" with "goAway and connection
    lifetimes": the service announces every lifetime cut with a goAway.  One
    ``advance_time(lifetime)`` jump should not turn a rotation into a bare 1000."""
    import trio.testing

    with FakeLiveServer(
        chunk_delay=0, clock=trio.testing.MockClock(), connection_lifetime=600, go_away_notice=60
    ) as server:
        async with live_actor.open_session(
            text_config(), api_key=API_KEY, base_url=server.url
        ) as session:
            conn = await server.wait_for_connection(1)
            server.advance_time(600)
            await server_wait(server, lambda: not conn.is_open)
            await until(
                lambda: session.connection_number == 2
            or session.status is live_actor.SessionStatus.CLOSED
            )
        assert conn.go_away_sent
        assert session.error is None


async def test_fault_injection_api(anyio_backend: str, server: FakeLiveServer) -> None:
    """live_actor.testing: ``conn.drop()``, ``conn.close(code, reason)``, ``conn.go_away``,
    ``conn.stall(seconds)``, ``conn.send_json``; ``server.faults`` records them."""
    async with live_actor.open_session(
        text_config(), api_key=API_KEY, base_url=server.url, policy=no_jitter()
    ) as session:
        conn = await server.wait_for_connection(1)
        conn.stall(0.2)
        await session.send_client_content("after stall")
        assert (await session.receive_turn()).text == 'You said: "after stall".'
        conn.close(1011)
        await until(lambda: session.connection_number == 2)
        await session.wait_ready()
        (await server.wait_for_connection(2)).drop()
        await until(lambda: session.connection_number == 3)
        await session.wait_ready()
    kinds = [f.kind for f in server.faults]
    assert "stall" in kinds and "drop" in kinds
    assert all(not f.planned for f in server.faults)
    assert server.connections[0].close_code == 1011
    assert server.connections[0].close_reason == "Internal error occurred."


async def test_seeded_fault_plan(anyio_backend: str) -> None:
    """README: seeded ``FaultPlan``; FaultPlan docstring: probabilities per draw;
    ``set_fault_plan(None)`` disables random faults; drawn faults are ``planned``."""
    assert [FaultPlan(seed=3, drop_rate=0.5).draw(FaultPlan(seed=3).rng(1)) for _ in range(3)] == [
        FaultPlan(seed=3, drop_rate=0.5).draw(FaultPlan(seed=3).rng(1)) for _ in range(3)
    ]
    plan = FaultPlan(seed=1, drop_rate=1.0, grace_messages=1)
    with FakeLiveServer(chunk_delay=0, close_timeout=0.5, fault_plan=plan) as server:
        async with live_actor.open_session(
            text_config(), api_key=API_KEY, base_url=server.url, policy=no_jitter()
        ) as session:
            await session.send_client_content("one", turn_complete=False)
            await session.send_client_content("two", turn_complete=False)
            await server_wait(server, lambda: server.faults)
            server.set_fault_plan(None)
            assert server.fault_plan is None
            await until(lambda: session.connection_number >= 2)
            await session.wait_ready()
            await session.send_client_content("three")
            await answer_to(session, 'You said: "three"')  # a reply cut by a drop may come first
        fault = server.faults[0]
        assert fault.kind == "drop" and fault.planned
        # The drop may beat the first handle: then the second connection is a fresh
        # session, which gets the unanswered messages replayed.
        sid = server.connections[-1].session_id
        texts = server.session(sid).control_texts()
    assert [t for i, t in enumerate(texts) if t not in texts[:i]] == ["one", "two", "three"]


async def test_ledger_and_session_views(anyio_backend: str, server: FakeLiveServer) -> None:
    """live_actor.testing docstring: ``conn.session`` stable across resumptions,
    ``Session.received`` with per-connection ``index`` (setup = 0), ``control_texts()``,
    ``server.session_for_handle(h)``; LedgerEntry ``kind``/``text``; ``ledger_media`` off:
    audio ``data`` replaced by ``byteCount``."""
    async with live_actor.open_session(
        text_config(), api_key=API_KEY, base_url=server.url, policy=no_jitter()
    ) as session:
        await session.send_client_content("hello")
        await session.receive_turn()
        await session.send_realtime_input(audio=silence(20))
        conn = await server.wait_for_connection(1)
        conn.drop()
        await until(lambda: session.connection_number == 2)
        await session.wait_ready()
        await session.send_client_content("my name is Alice")
        await answer_to(session, "Got it")
        handle = session.resumption_handle
    conn2 = server.connections[1]
    assert conn.session is conn2.session
    fake_session = conn.session
    assert fake_session is not None
    assert server.session_for_handle(handle) is fake_session
    texts = fake_session.control_texts()
    assert [t for i, t in enumerate(texts) if t not in texts[:i]] == ["hello", "my name is Alice"]
    entries = fake_session.received
    assert entries[0].kind == "setup" and entries[0].index == 0
    assert [e.connection for e in entries if e.kind == "setup"] == [1, 2]
    audio = next(e for e in entries if e.kind == "realtimeInput.audio")
    assert "byteCount" in repr(audio.message) and audio.is_control is False
    assert next(e for e in entries if e.kind == "clientContent").is_control is True


async def test_fake_server_wait_helpers_sync_twins(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """live_actor.testing: waiting helpers are awaitable on both backends with ``*_sync``
    twins for plain threads."""
    async with live_actor.open_session(text_config(), api_key=API_KEY, base_url=server.url):
        conn = await anyio.to_thread.run_sync(server.wait_for_connection_sync, 1, 2.0)
        got = await anyio.to_thread.run_sync(
            lambda: server.wait_for_sync(lambda: server.connections, timeout=2.0)
        )
        assert got[0] is conn
    with pytest.raises(TimeoutError):
        server.wait_for_sync(lambda: False, timeout=0.05)


async def test_fake_server_max_message_size_closes_1009(anyio_backend: str) -> None:
    """FakeLiveServer: ``max_message_size``: larger client messages close with 1009."""
    with FakeLiveServer(chunk_delay=0, max_message_size=2000) as server:
        async with live_actor.open_session(
            text_config(), api_key=API_KEY, base_url=server.url, restart="temporary"
        ) as session:
            await session.send_client_content("x" * 5000)
            await session.wait_closed()
    assert session.close_code == 1009


def test_audio_helpers() -> None:
    """live_actor.testing: speech/silence/tone/transcribe/count_tokens as documented."""
    pcm = speech("hello")
    assert transcribe(pcm + silence(600)) == "hello"
    assert len(pcm) == 2 * int(16000 * len(b"hello") * 20 / 1000)
    assert len(silence(10)) == 320 and set(silence(10)) == {0}
    sound = tone(100, amplitude=1000)
    samples = [
        int.from_bytes(sound[i : i + 2], "little", signed=True) for i in range(0, len(sound), 2)
    ]
    assert sum(abs(s) for s in samples) / len(samples) == pytest.approx(1000, rel=0.02)
    assert transcribe(sound) == ""
    assert count_tokens("a b  c\nd") == 4


# =========================================================================== CLI


CLI = Path(sys.executable).with_name("live-actor")


def test_cli_demo_runs() -> None:
    """README: ``make demo`` runs ``live-actor demo`` (on the embedded fake server)."""
    for backend in ("trio", "asyncio"):
        done = subprocess.run(
            [str(CLI), "demo", "--backend", backend],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert done.returncode == 0, done.stderr
        assert "Your name is Alice." in done.stdout


@pytest.mark.parametrize(
    "argv",
    [
        [str(CLI), "fake-server", "--port", "0"],
        [sys.executable, "-m", "live_actor.testing", "--port", "0"],
    ],
)
async def test_cli_fake_server_standalone(anyio_backend: str, argv: list[str]) -> None:
    """README: "Run it standalone with live-actor fake-server --port 8765 (or python -m
    live_actor.testing)"."""
    async with await anyio.open_process(argv) as proc:
        try:
            assert proc.stdout is not None
            first = b""
            with anyio.fail_after(10):
                while b"\n" not in first:
                    first += await proc.stdout.receive()
            match = re.search(r"listening on (ws://\S+)", first.decode())
            assert match, first
            async with live_actor.open_session(
                text_config(), api_key=API_KEY, base_url=match.group(1)
            ) as session:
                await session.send_client_content("hello cli")
                assert (await session.receive_turn()).text == 'You said: "hello cli".'
        finally:
            proc.send_signal(signal.SIGTERM)
            with anyio.fail_after(10):
                code = await proc.wait()
    assert code == 0


def test_readme_mentions_what_exists() -> None:
    """README: "CI runs bash .ci/run, which is make test"; benchmarks in bench/RESULTS.md;
    the Layout block names files that exist."""
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    assert (ROOT / "bench" / "RESULTS.md").exists()
    layout = README.split("## Layout", 1)[1]
    names = re.findall(r"(?<![\w/])(_[a-z]+\.py|cli\.py|_[a-z]+/|testing/)", layout)
    assert "_actor/" in names and "_protocol/" in names and "_supervisor.py" in names
    for name in names:
        found = (ROOT / "live_actor" / name).exists() or any(
            (ROOT / "live_actor").rglob(name.rstrip("/"))
        )
        assert found, name
    assert inspect.signature(live_actor.open_session).parameters["restart"].default is None
