"""The README's supervisor: restarts, resumption, replay, rotation, giving up.

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
from live_actor.testing import FakeLiveServer, silence, speech, tone, transcribe

from ..helpers import API_KEY, audio_config, eventually, text_config
from ._support import LOOKUP_TOOL, Recorder, answer_to, no_jitter, send_audio, server_wait

pytestmark = pytest.mark.anyio


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
                await eventually(lambda n=n: session.connection_number == n + 1)
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
        await eventually(lambda: rec.args("on_resumed"))
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
        await eventually(lambda: session.connection_number == 2)
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
        await eventually(lambda: permanent.connection_number == 2)
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
        await eventually(
            lambda: (
                session.connection_number == 2 or session.status is live_actor.SessionStatus.CLOSED
            )
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
        types.Content(role="user", parts=[types.Part(text="my name is Bob")]),
        types.Content(role="model", parts=[types.Part(text="Got it.")]),
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
                await eventually(lambda: rec.args("on_resumed"))
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
        await eventually(lambda: session.ledger.queued >= 3)  # counted once the command task ran
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
                await eventually(lambda n=n: session.connection_number == n + 1)
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
            await eventually(lambda: session.connection_number == 2)
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
                await eventually(lambda s=sent: sent >= s + 20)
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
    got: list[types.ToolCall] = []
    async with live_actor.open_session(
        text_config(tools=[LOOKUP_TOOL]),
        api_key=API_KEY,
        base_url=server.url,
        policy=no_jitter(),
        on_tool_call=got.append,
    ) as session:
        await session.send_client_content("call lookup city=Rome")
        await eventually(lambda: session.pending_tool_calls)
        call = got[0].function_calls[0]
        server.connections[0].drop()
        await session.send_tool_response(
            {"id": call.id, "name": call.name, "response": {"output": "warm"}}
        )
        await eventually(lambda: len(got) == 2)
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

    async def tool(call: types.ToolCall) -> list[dict[str, Any]]:
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
        await eventually(lambda: rec.args("on_tool_call_cancellation"))
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
                audio=types.Blob(mime_type="audio/pcm;rate=16000", data=pcm)
            )
            await session.send_realtime_input(
                audio={"mime_type": "audio/pcm;rate=16000", "data": pcm}
            )
            sid = (await server.wait_for_connection()).session_id
            await server_wait(server, lambda: len(server.ledger(sid)) >= 4)
    fast, typed, mapping = (e.message for e in server.ledger(sid)[1:4])
    assert fast == typed == mapping
    assert "data" in fast["realtimeInput"]["audio"]
