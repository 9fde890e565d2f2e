"""The README's callbacks: when they run, with what, and what they never do.

Each test quotes (in its docstring) the claim it checks and uses only the public
API; each assertion would fail if the quoted claim were false.
"""

from __future__ import annotations

import datetime
from typing import Any

import anyio
import anyio.lowlevel
import pytest
from structlog.testing import capture_logs

import live_actor
from live_actor import types
from live_actor.testing import FakeLiveServer, silence, speech, transcribe

from ..helpers import API_KEY, audio_config, eventually, text_config
from ._support import Recorder, no_jitter, send_audio

pytestmark = pytest.mark.anyio


async def test_callbacks_signatures_sync_and_async(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """README "Callbacks (all optional, sync or async ...)" and the ``Callbacks`` docstring:
    on_message(message), on_session_resumption(update), on_close(code, reason) once."""
    rec = Recorder()
    async_messages: list[types.ServerMessage] = []

    async def on_message(message: types.ServerMessage) -> None:
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
    assert async_messages and all(isinstance(m, types.ServerMessage) for m in async_messages)
    assert any(m.server_content and m.server_content.turn_complete for m in async_messages)
    assert len(async_messages) >= len(turn.messages)
    updates = rec.args("on_session_resumption")
    assert updates and all(
        len(a) == 1 and isinstance(a[0], types.SessionResumptionUpdate) for a in updates
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
    blocked: list[types.ServerMessage] = []

    async def on_message(message: types.ServerMessage) -> None:
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
    assert all(isinstance(a[1], types.Transcription) for a in rec.args("on_transcription"))
    activity = rec.args("on_voice_activity")
    assert activity and all(
        isinstance(a[0], types.VoiceActivity | types.VoiceActivityDetectionSignal) for a in activity
    )
    kinds = [str(a[0].voice_activity_type) for a in activity]
    assert "ACTIVITY_START" in kinds[0] and "ACTIVITY_END" in kinds[-1]


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
        await eventually(lambda: rec.args("on_resumed"))
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
        await eventually(lambda: session.connection_number == 2)
        await session.wait_ready()
        await session.send_client_content("hello")
        seen: list[Any] = []
        async for message in session.events():
            seen.append(message)
            if message.server_content and message.server_content.turn_complete:
                break
    assert seen and all(isinstance(m, types.ServerMessage) for m in seen)


async def test_on_error_and_failing_callbacks_do_not_end_the_session(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """Callbacks module: "An exception in a callback is logged and reported to on_error;
    it never ends the session" (log event ``live_actor.session.callback_error``)."""
    errors: list[BaseException] = []

    def on_message(message: types.ServerMessage) -> None:
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
            await eventually(lambda: errors)
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
