"""The session actor and its handle, end to end over loopback against FakeLiveServer."""

from __future__ import annotations

import datetime
from typing import Any

import anyio
import anyio.lowlevel
import pytest

import live_actor
from live_actor import (
    ConfigError,
    LiveConfig,
    SessionClosedError,
    SessionStatus,
    SetupRejectedError,
    open_session,
)
from live_actor.testing import FakeLiveServer, silence, speech, transcribe

from ..helpers import API_KEY, AUDIO_MODEL, TEXT_MODEL, text_config

pytestmark = pytest.mark.anyio

WEATHER_TOOL = {
    "function_declarations": [
        {
            "name": "get_weather",
            "description": "Weather for a city",
            "parameters": {"type": "OBJECT", "properties": {"city": {"type": "STRING"}}},
        }
    ]
}


async def test_text_chat_with_context(server: FakeLiveServer) -> None:
    async with open_session(text_config(), api_key=API_KEY, base_url=server.url) as session:
        assert session.status is SessionStatus.READY
        await session.send_client_content("my name is Alice")
        first = await session.receive_turn()
        assert "Alice" in first.text
        await session.send_client_content("what is my name")
        second = await session.receive_turn()
        assert second.text == "Your name is Alice."
        assert session.usage.turns == 2
        assert session.usage.total_token_count > 0
        assert session.resumption_handle
    assert session.status is SessionStatus.CLOSED
    with pytest.raises(SessionClosedError):
        await session.send_client_content("too late")


async def test_events_iterator_spans_turns(server: FakeLiveServer) -> None:
    async with open_session(text_config(), api_key=API_KEY, base_url=server.url) as session:
        await session.send_client_content("one")
        await session.send_client_content("two")
        texts: list[str] = []
        completes = 0
        async for message in session.events():
            assert isinstance(message, live_actor.types.ServerMessage)
            if message.text:
                texts.append(message.text)
            if message.server_content and message.server_content.turn_complete:
                completes += 1
                if completes == 2:
                    break
        assert "two" in "".join(texts)


async def test_audio_in_and_out_with_transcriptions(server: FakeLiveServer) -> None:
    transcripts: list[tuple[str, str]] = []
    config = LiveConfig(
        model=AUDIO_MODEL,
        generation_config={"response_modalities": ["AUDIO"]},
        input_audio_transcription=True,
        output_audio_transcription=True,
    )
    async with open_session(
        config,
        api_key=API_KEY,
        base_url=server.url,
        on_transcription=lambda kind, t: transcripts.append((kind, t.text or "")),
    ) as session:
        pcm = speech("my name is Bob") + silence(800)
        for start in range(0, len(pcm), 640):  # 20 ms chunks of 16 kHz PCM
            await session.send_realtime_input(audio=pcm[start : start + 640])
        turn = await session.receive_turn()
        assert turn.audio, "the model answered with audio"
        assert transcribe(turn.audio) == "Got it, your name is Bob."
        assert "Got it" in turn.output_transcription
        for message in turn.messages:
            for part in (message.server_content and message.server_content.model_turn
                         and message.server_content.model_turn.parts) or ():
                if part.inline_data is not None:
                    assert part.inline_data.mime_type == "audio/pcm;rate=24000"
    assert ("input", "my name is Bob") in [(k, t.strip()) for k, t in transcripts]


async def test_manual_activity_detection(server: FakeLiveServer) -> None:
    config = text_config(realtime_input_config={"automatic_activity_detection": {"disabled": True}})
    async with open_session(config, api_key=API_KEY, base_url=server.url) as session:
        await session.send_realtime_input(activity_start=True)
        await session.send_realtime_input(audio=speech("hello there"))
        await session.send_realtime_input(activity_end=True)
        turn = await session.receive_turn()
        assert "hello there" in turn.text


async def test_tool_call_is_answered_by_on_tool_call(server: FakeLiveServer) -> None:
    calls: list[live_actor.types.ToolCall] = []

    async def on_tool_call(call: live_actor.types.ToolCall) -> dict[str, Any]:
        calls.append(call)
        return {"output": {"temp_c": 21}}

    config = text_config(tools=[WEATHER_TOOL])
    async with open_session(
        config, api_key=API_KEY, base_url=server.url, on_tool_call=on_tool_call
    ) as session:
        await session.send_client_content("call get_weather city=Paris")
        texts = []
        async for message in session.events():
            if message.text:
                texts.append(message.text)
            content = message.server_content
            if content and content.turn_complete and calls and "21" in "".join(texts):
                break
        assert calls[0].function_calls[0].args == {"city": "Paris"}
        assert '{"temp_c":21}' in "".join(texts)
        assert not session.pending_tool_calls


async def test_tool_call_cancellation_on_barge_in(server: FakeLiveServer) -> None:
    started = anyio.Event()
    cancelled: list[tuple[str, ...]] = []
    tool_was_cancelled = anyio.Event()

    async def slow_tool(call: live_actor.types.ToolCall) -> dict[str, Any]:
        started.set()
        try:
            await anyio.sleep(30)
        except anyio.get_cancelled_exc_class():
            tool_was_cancelled.set()
            raise
        return {"output": "never"}

    config = LiveConfig(
        model=AUDIO_MODEL,
        generation_config={"response_modalities": ["AUDIO"]},
        tools=[WEATHER_TOOL],
    )
    async with open_session(
        config,
        api_key=API_KEY,
        base_url=server.url,
        on_tool_call=slow_tool,
        on_tool_call_cancellation=lambda ids: cancelled.append(ids),
    ) as session:
        pcm = speech("call get_weather city=Rome") + silence(800)
        await session.send_realtime_input(audio=pcm)
        with anyio.fail_after(10):
            await started.wait()
        # barge in: the user speaks again while the call is pending
        await session.send_realtime_input(audio=speech("never mind") + silence(800))
        with anyio.fail_after(10):
            await tool_was_cancelled.wait()
        assert cancelled and cancelled[0]


async def test_go_away_is_surfaced(server: FakeLiveServer) -> None:
    notices: list[datetime.timedelta] = []
    async with open_session(
        text_config(),
        api_key=API_KEY,
        base_url=server.url,
        restart="temporary",
        on_go_away=lambda left, handle: notices.append(left),
    ) as session:
        conn = await server.wait_for_connection()
        conn.go_away(5.0, cut=False)
        async for event in session.events(lifecycle=True):
            if isinstance(event, live_actor.GoingAway):
                assert event.time_left == datetime.timedelta(seconds=5)
                break
    assert notices == [datetime.timedelta(seconds=5)]


async def test_invalid_config_fails_before_connecting() -> None:
    with pytest.raises(ConfigError, match="response_modalities"):
        LiveConfig(model=TEXT_MODEL, generation_config={"response_modalities": ["TEXT", "AUDIO"]})
    with pytest.raises(ConfigError, match="Vertex"):
        LiveConfig(model=TEXT_MODEL, session_resumption={"transparent": True})
    with pytest.raises(ConfigError, match="v1alpha"):
        LiveConfig(model=AUDIO_MODEL, api_version="v1beta", enable_affective_dialog=True)


async def test_unknown_model_is_a_typed_1008(server: FakeLiveServer) -> None:
    with pytest.raises(SetupRejectedError) as caught:
        async with open_session(
            LiveConfig(model="no-such-model"), api_key=API_KEY, base_url=server.url
        ):
            pass
    assert caught.value.code == 1008
    assert "models/no-such-model is not found" in caught.value.reason
    assert API_KEY not in str(caught.value)


async def test_a_refusal_after_setup_drops_the_culprit_and_resumes(
    server: FakeLiveServer,
) -> None:
    """Issue 10 item 6: a 1007 after setupComplete is not "setup rejected"."""
    errors: list[Exception] = []
    resumed = anyio.Event()
    async with open_session(
        text_config(),
        api_key=API_KEY,
        base_url=server.url,
        on_error=errors.append,
        on_resumed=lambda *_: resumed.set(),
    ) as session:
        conn = await server.wait_for_connection()
        receipt = await session.send_client_content("my name is Bob")
        await session.receive_turn()
        culprit = await session.send_client_content("this one is refused", turn_complete=False)
        await server.wait_for(lambda: len(conn.session.received) >= 3)
        conn.close(1007, "Request contains an invalid argument.")
        await resumed.wait()
        await session.send_client_content("what is my name?")
        turn = await session.receive_turn()
        assert turn.text == "Your name is Bob."
        assert session.connection_number == 2, "resumed, not given up"
        assert session.error is None
        assert culprit.outcome == "dropped" and "refused by the server" in (
            culprit.drop_reason or ""
        )
        assert receipt.outcome in ("sent", "confirmed")
    rejected = [e for e in errors if isinstance(e, live_actor.MessageRejectedError)]
    assert rejected and rejected[0].code == 1007 and rejected[0].message_id == culprit.id
    fake = server.session_for_handle(session.resumption_handle or "")
    assert "this one is refused" not in fake.control_texts()


async def test_malformed_frame_is_reported_not_fatal(server: FakeLiveServer) -> None:
    errors: list[Exception] = []
    async with open_session(
        text_config(), api_key=API_KEY, base_url=server.url, on_error=errors.append
    ) as session:
        conn = await server.wait_for_connection()
        conn.send_raw(b"{not json")
        conn.send_raw(b'{"serverContent": {"turnComplete": "yes"}}')
        await session.send_client_content("still there?")
        turn = await session.receive_turn()
        assert "still there?" in turn.text
        assert session.status is SessionStatus.READY
    assert len(errors) == 2
    assert all(isinstance(e, live_actor.RemoteProtocolError) for e in errors)


async def test_bad_api_key_is_rejected(server: FakeLiveServer) -> None:
    strict = FakeLiveServer(chunk_delay=0, api_keys={"good-key"}).start()
    try:
        with pytest.raises(SetupRejectedError) as caught:
            async with open_session(text_config(), api_key="bad-key-XYZ", base_url=strict.url):
                pass
        assert "bad-key-XYZ" not in str(caught.value)
    finally:
        strict.stop()


async def test_close_while_connecting_does_not_hang(server: FakeLiveServer) -> None:
    async with live_actor.Supervisor() as sup:
        session = await sup.start_session(text_config(), api_key=API_KEY, base_url=server.url)
        outcome: list[BaseException] = []

        async def connect() -> None:
            try:
                await session.connect()
            except SessionClosedError as exc:
                outcome.append(exc)

        async with anyio.create_task_group() as tg:
            tg.start_soon(connect)
            await anyio.lowlevel.checkpoint()
            with anyio.fail_after(10):
                await session.close()
        assert session.status is SessionStatus.CLOSED
        # connect() waits for READY: a session closed before it raises, never hangs.
        assert outcome and isinstance(outcome[0], SessionClosedError)


async def test_close_before_the_session_task_started(server: FakeLiveServer) -> None:
    async with live_actor.Supervisor() as sup:
        session = await sup.start_session(text_config(), api_key=API_KEY, base_url=server.url)
        await session.close()
        assert session.status is SessionStatus.CLOSED
        with pytest.raises(SessionClosedError):
            await session.send_client_content("nope")


async def test_queued_async_callbacks_and_on_close_run_before_close_returns(
    server: FakeLiveServer,
) -> None:
    """Leaving ``open_session`` right after a turn loses no callback and does not hang."""
    log: list[str] = []

    async def on_message(message: Any) -> None:
        await anyio.sleep(0.005)
        log.append("message")

    async def on_close(code: int | None, reason: str) -> None:
        await anyio.sleep(0.005)
        log.append(f"close {code}")

    with anyio.fail_after(3):  # shutdown_timeout is 5 s: a drain cut short would show
        async with open_session(
            text_config(),
            api_key=API_KEY,
            base_url=server.url,
            on_message=on_message,
            on_close=on_close,
        ) as session:
            await session.send_client_content("hello there")
            turn = await session.receive_turn()
        assert log[-1] == "close 1000"
        assert log.count("message") >= len(turn.messages)


async def test_a_callback_may_close_its_own_session(server: FakeLiveServer) -> None:
    closed_from_callback = anyio.Event()

    async def on_message(message: Any) -> None:
        if message.server_content is not None and message.server_content.turn_complete:
            await handle.close()
            closed_from_callback.set()

    with anyio.fail_after(3):
        async with open_session(
            text_config(), api_key=API_KEY, base_url=server.url, on_message=on_message
        ) as handle:
            await handle.send_client_content("hello")
            await closed_from_callback.wait()
            assert handle.status is SessionStatus.CLOSED


async def test_a_tight_send_loop_yields_and_can_be_cancelled(server: FakeLiveServer) -> None:
    """Every send is a checkpoint: a task streaming audio as fast as it can still
    lets other tasks run, and a timeout around it fires."""
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await anyio.lowlevel.checkpoint()

    chunk = bytes(640)
    async with open_session(text_config(), api_key=API_KEY, base_url=server.url) as session:
        sent = 0
        async with anyio.create_task_group() as tg:
            tg.start_soon(ticker)
            with anyio.move_on_after(0.3) as scope:
                while True:
                    await session.send_realtime_input(audio=chunk)
                    sent += 1
            tg.cancel_scope.cancel()
        assert scope.cancelled_caught
        assert sent > 0 and ticks > 0
        # Every chunk was sent or, if cancelled before it was handed over, counted
        # as dropped; the cancelled send may have been queued under backpressure.
        stats = session.ledger
        assert stats.accepted == stats.sent + stats.dropped
        assert sent <= stats.sent <= sent + 1 and stats.dropped <= 1


async def test_a_send_in_a_cancelled_scope_hands_nothing_over(server: FakeLiveServer) -> None:
    """The first send of a session is a checkpoint (then every 16th)."""
    async with open_session(text_config(), api_key=API_KEY, base_url=server.url) as session:
        with anyio.CancelScope() as scope:
            scope.cancel()
            await session.send_client_content("never sent")
        assert session.ledger.dropped == 1
        assert session.ledger.dropped_reasons == {"cancelled before it was queued": 1}
        await session.send_client_content("sent")
        assert (await session.receive_turn()).text
    texts = [e.text for e in server.connections[0].received if e.text]
    assert "never sent" not in texts and "sent" in texts
