"""live_actor against a Live API server it did not write (``_server.py``).

Every test drives the public API only (``import live_actor``) against a small
server written from ``wire-protocol.md``, on both anyio backends.  The server
runs in a thread of its own, so its scripts run on its loop while the client
runs on asyncio or trio in the test's thread.
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import threading
import time
from typing import Any

import anyio
import pytest

import live_actor

from ..helpers import API_KEY, TEXT_MODEL, eventually, next_turn
from ._helpers import echo_turns, open_on, setup_of, texts_of
from ._server import LIVE_PATH, ForeignLiveServer, Peer, client_text, wait_flag

pytestmark = pytest.mark.anyio

CLIENT_KEYS = {"setup", "clientContent", "realtimeInput", "toolResponse"}


def snake_keys(obj: Any, path: str = "") -> list[str]:
    found: list[str] = []
    if isinstance(obj, dict):
        for key, value in obj.items():
            here = f"{path}.{key}" if path else key
            if "_" in key:
                found.append(here)
            found.extend(snake_keys(value, here))
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            found.extend(snake_keys(value, f"{path}[{i}]"))
    return found


def b64(text: str) -> bytes:
    padded = text + "=" * (-len(text) % 4)
    if "-" in text or "_" in text:
        return base64.urlsafe_b64decode(padded)
    return base64.b64decode(padded, validate=True)


# ------------------------------------------------------------------ handshake


SETUP_VARIANTS = {
    "text_frame": {"binary": False},
    "binary_frame": {"binary": True},
    "binary_pretty_printed": {"binary": True, "pretty": True},
    "unknown_fields": {
        "binary": True,
        "body": {"sessionId": "sess-1", "voiceConsentSignature": {"signature": "x"},
                 "someFutureField": {"nested": [1, 2]}},
        "extra_top": {"aBrandNewTopLevelField": {"x": 1}},
    },
    "text_frame_with_unknown_fields": {
        "binary": False,
        "body": {"someFutureField": True},
    },
}


@pytest.mark.parametrize("variant", list(SETUP_VARIANTS))
async def test_setup_complete_frame_kinds_then_text_turn(
    server: ForeignLiveServer, variant: str
) -> None:
    options = SETUP_VARIANTS[variant]

    async def script(peer: Peer) -> None:
        await peer.handshake(**options)
        message = await peer.expect("clientContent")
        await peer.send(
            {"serverContent": {"modelTurn": {"role": "model", "parts": [{"text": "You said: "}]}}},
            binary=not options["binary"],  # mix frame kinds within the session too
        )
        await peer.send(
            {"serverContent": {"modelTurn": {"role": "model", "parts": [
                {"text": client_text(message)}]}}}
        )
        await peer.send({"serverContent": {"turnComplete": True}}, pretty=True)

    server.script = script
    errors: list[Exception] = []
    async with open_on(server, on_error=errors.append) as session:
        assert session.status is live_actor.SessionStatus.READY
        await session.send_client_content("ping")
        turn = await next_turn(session)
        assert turn.text == "You said: ping"
        assert session.connection_number == 1
        assert errors == []
    assert len(server.peers) == 1
    setup = setup_of(server.peers[0])
    assert setup["model"] == f"models/{TEXT_MODEL}"


# ------------------------------------------------------------ tolerant decoding


async def test_unknown_fields_multi_part_events_and_usage_only_content(
    server: ForeignLiveServer,
) -> None:
    async def script(peer: Peer) -> None:
        await peer.handshake()
        await peer.expect("clientContent")
        # 3.1-model style: several parts and both transcriptions in one event, plus
        # fields and enum values this client cannot know.
        await peer.send({
            "serverContent": {
                "modelTurn": {"role": "model", "parts": [
                    {"text": "Hel"},
                    {"text": "lo", "aFuturePartField": True},
                    {"thought": True, "text": "(thinking)"},
                ]},
                "inputTranscription": {"text": "hi there", "finished": True},
                "outputTranscription": {"text": "Hello"},
                "brandNewContentField": {"k": "v"},
            },
            "futureTopLevelKey": {"x": 1},
        })
        # An empty serverContent carrying only usageMetadata (seen from 3.1 models).
        await peer.send({
            "serverContent": {},
            "usageMetadata": {
                "promptTokenCount": 5,
                "responseTokenCount": 7,
                "totalTokenCount": 12,
                "responseTokensDetails": [{"modality": "HOLOGRAM", "tokenCount": 7}],
                "someNewCounter": 3,
            },
        })
        await peer.send({
            "serverContent": {
                "turnComplete": True,
                "turnCompleteReason": "SOME_FUTURE_REASON",
                "interactionStatus": "IDLE",
            }
        })
        await peer.expect("clientContent")
        # An in-band error object (the SDK crashes on it): unknown, kept, not fatal.
        await peer.send({"error": {"code": 500, "message": "oops", "status": "INTERNAL"}})
        # Vertex spells the response counts candidates*.
        await peer.say("again", usage={"promptTokenCount": 3, "candidatesTokenCount": 4,
                                       "totalTokenCount": 7})

    server.script = script
    errors: list[Exception] = []
    transcripts: list[tuple[str, str | None]] = []
    async with open_on(
        server,
        on_error=errors.append,
        on_transcription=lambda kind, t: transcripts.append((kind, t.text)),
    ) as session:
        await session.send_client_content("first")
        turn = await next_turn(session)
        assert turn.text == "Hello"  # the thought part is not text
        assert turn.input_transcription == "hi there"
        assert turn.output_transcription == "Hello"
        first = next(m for m in turn.messages if m.text)
        assert first.extra is not None and first.extra.get("futureTopLevelKey") == {"x": 1}
        content = first.server_content
        assert content is not None and content.extra is not None
        assert content.extra.get("brandNewContentField") == {"k": "v"}
        last = turn.messages[-1].server_content
        assert last is not None and last.turn_complete
        assert last.turn_complete_reason == "SOME_FUTURE_REASON"
        assert last.turn_complete_reason.is_known is False
        assert session.usage.turns == 1
        assert session.usage.total_token_count == 12
        assert session.usage.prompt_token_count == 5
        assert session.usage.response_token_count == 7

        await session.send_client_content("second")
        second = await next_turn(session)
        assert second.text == "again"
        assert any(m.extra and "error" in m.extra for m in second.messages)
        assert session.usage.turns == 2
        assert session.usage.total_token_count == 19
        assert session.usage.prompt_token_count == 8
        assert session.usage.response_token_count == 11
        await eventually(lambda: len(transcripts) >= 2, "two transcription callbacks")
        assert ("input", "hi there") in transcripts
        assert ("output", "Hello") in transcripts
        assert session.status is live_actor.SessionStatus.READY
        assert errors == []
    assert len(server.peers) == 1


async def test_malformed_frames_are_reported_and_skipped(server: ForeignLiveServer) -> None:
    async def script(peer: Peer) -> None:
        await peer.handshake()
        await peer.expect("clientContent")
        await peer.send({"serverContent": {"modelTurn": {"role": "model", "parts": [
            {"text": "Hel"}]}}})
        await peer.send_raw("this is not json {")                      # text, not JSON
        await peer.send_raw(b"\x89\x00\xff\xfe garbage")                # binary, not UTF-8
        await peer.send_raw("[1, 2, 3]")                                # JSON, not an object
        await peer.send({"serverContent": {"modelTurn": {"parts": "not-a-list"}}})
        await peer.send({"usageMetadata": {"totalTokenCount": {"many": True}}})
        await peer.send({"serverContent": {"modelTurn": {"role": "model", "parts": [
            {"text": "lo"}]}}})
        await peer.send({"serverContent": {"turnComplete": True}})
        await peer.expect("clientContent")
        await peer.say("still here")

    server.script = script
    errors: list[Exception] = []
    async with open_on(server, on_error=errors.append) as session:
        await session.send_client_content("one")
        turn = await next_turn(session)
        assert turn.text == "Hello"
        await eventually(lambda: len(errors) >= 5, "five on_error reports")
        assert all(isinstance(e, live_actor.RemoteProtocolError) for e in errors), errors
        fields = [getattr(e, "field", None) or "" for e in errors]
        assert any("parts" in f for f in fields), fields
        assert any("totalTokenCount" in f for f in fields), fields
        assert session.status is live_actor.SessionStatus.READY
        await session.send_client_content("two")
        second = await next_turn(session)
        assert second.text == "still here"
        assert session.connection_number == 1
    assert len(server.peers) == 1
    assert len(errors) == 5


# ------------------------------------------------------------ failed handshakes


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (1007, "Request contains an invalid argument."),
        (1008, "Requested entity was not found."),
        (1008, "API key not valid. Please pass a valid API key."),
    ],
)
async def test_setup_rejected_by_close(server: ForeignLiveServer, code: int, reason: str) -> None:
    async def script(peer: Peer) -> None:
        await peer.recv()
        await peer.close(code, reason)

    server.script = script
    closes: list[tuple[Any, Any]] = []
    with anyio.fail_after(5):
        with pytest.raises(live_actor.SetupRejectedError) as info:
            async with open_on(server, on_close=lambda c, r: closes.append((c, r))):
                pytest.fail("open_session must not succeed")
    assert info.value.code == code
    assert info.value.reason == reason
    assert isinstance(info.value, live_actor.LiveError)
    await anyio.sleep(0.7)  # a retry loop would dial again within this
    assert len(server.dials) == 1
    assert len(server.peers) == 1


async def test_upgrade_refused_with_http_403(server: ForeignLiveServer) -> None:
    """README: HTTP 4xx at the upgrade is fatal -> SetupRejectedError ("refused credentials")."""
    server.refuse_status = 403
    with anyio.fail_after(5):
        with pytest.raises(live_actor.ConnectError) as info:
            async with open_on(server):
                pytest.fail("open_session must not succeed")
    await anyio.sleep(0.7)
    assert len(server.dials) == 1
    assert isinstance(info.value, live_actor.SetupRejectedError), repr(info.value)


@pytest.mark.parametrize(
    ("code", "reason"),
    [(1011, "Internal error occurred."), (1001, "")],
)
async def test_first_connect_transient_close_raises_connect_error(
    server: ForeignLiveServer, code: int, reason: str
) -> None:
    """The first connection is attempted once; a transient close is a ConnectError."""

    async def script(peer: Peer) -> None:
        await peer.recv()
        await peer.close(code, reason)

    server.script = script
    with anyio.fail_after(5):
        with pytest.raises(live_actor.ConnectError) as info:
            async with open_on(server):
                pytest.fail("open_session must not succeed")
    assert not isinstance(info.value, live_actor.SetupRejectedError)
    assert info.value.code == code
    assert info.value.reason == reason
    await anyio.sleep(0.3)
    assert len(server.dials) == 1


async def test_server_that_never_completes_setup_times_out(server: ForeignLiveServer) -> None:
    async def script(peer: Peer) -> None:
        await peer.recv()  # and then silence

    server.script = script
    started = time.monotonic()
    with anyio.fail_after(5):
        with pytest.raises(live_actor.ConnectError):
            async with open_on(server, options=live_actor.SessionOptions(setup_timeout=0.5)):
                pytest.fail("open_session must not succeed")
    assert time.monotonic() - started < 3
    assert len(server.dials) == 1


FIRST_REPLIES = {
    "server_content": {"serverContent": {"modelTurn": {"parts": [{"text": "hi"}]}}},
    "usage_only": {"usageMetadata": {"totalTokenCount": 1}},
    "go_away": {"goAway": {"timeLeft": "10s"}},
}


@pytest.mark.parametrize("first", list(FIRST_REPLIES))
async def test_first_reply_not_setup_complete(server: ForeignLiveServer, first: str) -> None:
    async def script(peer: Peer) -> None:
        await peer.recv()
        await peer.send(FIRST_REPLIES[first])

    server.script = script
    with anyio.fail_after(5):
        with pytest.raises(live_actor.SetupRejectedError):
            async with open_on(server):
                pytest.fail("open_session must not succeed")
    await anyio.sleep(0.7)
    assert len(server.dials) == 1


# ------------------------------------------------------------ reconnect and resume


@pytest.mark.parametrize("how", ["close_1011", "tcp_drop"])
async def test_reconnect_resumes_with_latest_handle(server: ForeignLiveServer, how: str) -> None:
    async def script(peer: Peer) -> None:
        if peer.index == 0:
            await peer.handshake()
            await peer.expect("clientContent")
            await peer.send({"sessionResumptionUpdate": {"resumable": False}})  # mid-turn
            await peer.say("first")
            await peer.send({"sessionResumptionUpdate": {
                "newHandle": "h1", "resumable": True, "lastConsumedClientMessageIndex": "1"}})
            await asyncio.sleep(0.1)
            # A non-resumable update must not overwrite the stored handle.
            await peer.send({"sessionResumptionUpdate": {"newHandle": "", "resumable": False}})
            await asyncio.sleep(0.05)
            if how == "close_1011":
                await peer.close(1011, "Internal error occurred.")
            else:
                peer.drop()
        else:
            # Hold setupComplete back so the user sends while the client is not ready.
            await peer.handshake(delay=0.4)
            await echo_turns(peer)

    server.script = script
    reconnecting = anyio.Event()
    causes: list[str] = []
    resumed: list[tuple[bool, int, int]] = []

    def on_reconnecting(attempt: int, delay: float, cause: str) -> None:
        causes.append(cause)
        reconnecting.set()

    async with open_on(
        server,
        on_reconnecting=on_reconnecting,
        on_resumed=lambda r, rep, drop: resumed.append((r, rep, drop)),
    ) as session:
        await session.send_client_content("before")
        assert (await next_turn(session)).text == "first"
        with anyio.fail_after(3):
            await reconnecting.wait()
        assert session.status is not live_actor.SessionStatus.READY
        await session.send_client_content("while down")
        turn = await next_turn(session)
        assert turn.text == "echo:while down"
        assert session.resumption_handle == "h1"
        await eventually(lambda: bool(resumed), "on_resumed")
        assert resumed[0][0] is True
        assert session.connection_number == 2
    if how == "close_1011":
        assert "1011" in causes[0]
    assert len(server.peers) == 2
    second = server.peers[1]
    assert setup_of(second)["sessionResumption"]["handle"] == "h1"
    assert setup_of(second)["model"] == f"models/{TEXT_MODEL}"
    assert "while down" in texts_of(second)
    assert "while down" not in texts_of(server.peers[0])
    # Nothing before setup: the queued message comes after the setup frame.
    assert all("setup" not in m for m in second.messages[1:])


async def test_reconnect_without_resumption_updates_is_fresh_and_says_so(
    server: ForeignLiveServer,
) -> None:
    async def script(peer: Peer) -> None:
        await peer.handshake()
        if peer.index == 0:
            await peer.expect("clientContent")
            await peer.say("hello")
            await asyncio.sleep(0.05)
            peer.drop()
        else:
            await echo_turns(peer)

    server.script = script
    async with open_on(server) as session:
        await session.send_client_content("hi")
        assert (await next_turn(session)).text == "hello"
        lifecycle: list[Any] = []
        with anyio.fail_after(5):
            async for event in session.events(lifecycle=True):
                lifecycle.append(event)
                if isinstance(event, live_actor.Resumed):
                    break
        assert any(isinstance(e, live_actor.Reconnecting) for e in lifecycle), lifecycle
        resumed = lifecycle[-1]
        assert resumed.state_restored is False
        assert session.resumption_handle is None
        assert resumed.reseeded_turns == 2
        await anyio.sleep(0.3)
        # "hi" was answered (turnComplete) on the old connection; re-sending it with
        # turnComplete into a fresh session would make the model answer it a second
        # time.  It comes back only inside the history seed (turnComplete: false).
        seed = [m for m in server.peers[1].messages if isinstance(m, dict) and "clientContent" in m]
        assert seed and seed[0]["clientContent"].get("turnComplete") is False
        assert [t["role"] for t in seed[0]["clientContent"]["turns"]] == ["user", "model"]
        assert client_text(seed[0]) == "hihello"
        assert texts_of(server.peers[1]) == ["hihello"]
        await session.send_client_content("after")
        turn = await next_turn(session)
        assert turn.text.endswith("echo:after")
    assert len(server.peers) == 2
    assert "handle" not in (setup_of(server.peers[1]).get("sessionResumption") or {})


async def test_rejected_handle_falls_back_to_fresh_session(server: ForeignLiveServer) -> None:
    async def script(peer: Peer) -> None:
        if peer.index == 0:
            await peer.handshake()
            await peer.send({"sessionResumptionUpdate": {"newHandle": "h1", "resumable": True}})
            await asyncio.sleep(0.1)
            await peer.close(1011, "The service is currently unavailable.")
        elif peer.index == 1:
            await peer.recv()
            await peer.close(1008, "Requested entity was not found.")
        else:
            await peer.handshake()
            await echo_turns(peer)

    server.script = script
    resumed: list[bool] = []
    async with open_on(server, on_resumed=lambda r, rep, drop: resumed.append(r)) as session:
        await eventually(lambda: bool(resumed), "on_resumed", within=5)
        assert resumed == [False]
        assert session.status is live_actor.SessionStatus.READY
        await session.send_client_content("x")
        assert (await next_turn(session)).text == "echo:x"
    assert len(server.peers) == 3
    assert setup_of(server.peers[1])["sessionResumption"]["handle"] == "h1"
    assert "handle" not in (setup_of(server.peers[2]).get("sessionResumption") or {})


@pytest.mark.parametrize("moment", ["idle", "mid_turn"])
async def test_go_away_rotates_before_deadline(server: ForeignLiveServer, moment: str) -> None:
    async def script(peer: Peer) -> None:
        if peer.index == 0:
            await peer.handshake()
            await peer.send({"sessionResumptionUpdate": {"newHandle": "h1", "resumable": True}})
            await peer.send({"sessionResumptionUpdate": {"newHandle": "h2", "resumable": True}})
            if moment == "mid_turn":
                # The model is talking (no turnComplete): not a safe point.
                await peer.send({"sessionResumptionUpdate": {"resumable": False}})
                await peer.send({"serverContent": {"modelTurn": {"role": "model", "parts": [
                    {"text": "still talking"}]}}})
            await peer.send({"goAway": {"timeLeft": "1s"}}, label="goAway")
            if not await peer.wait_closed(1.0):
                await peer.close(1000, "")  # the deadline passed: cut it as the service does
        else:
            await peer.handshake()
            await echo_turns(peer)

    server.script = script
    go_aways: list[tuple[datetime.timedelta, str | None]] = []
    async with open_on(server, on_go_away=lambda t, h: go_aways.append((t, h))) as session:
        await eventually(lambda: len(server.peers) >= 2 and bool(server.peers[1].frames),
                         "a second connection with a setup", within=3)
        first, second = server.peers[0], server.peers[1]
        sent = first.sent_at["goAway"]
        assert first.closed_by == "client", first.closed_by
        assert first.closed_at is not None and first.closed_at - sent < 1.0
        assert first.client_close_code == 1000
        assert second.frames[0].at - sent < 1.0
        assert second.frames[0].at >= first.closed_at  # old socket closed before resuming
        assert setup_of(second)["sessionResumption"]["handle"] == "h2"
        await eventually(lambda: bool(go_aways), "on_go_away")
        assert go_aways[0] == (datetime.timedelta(seconds=1), "h2")
        await session.wait_ready()
        if moment == "mid_turn":  # the reply cut by the rotation is a turn of its own
            partial = await next_turn(session)
            assert partial.connection_lost and partial.text == "still talking"
        await session.send_client_content("after")
        turn = await next_turn(session)
        assert turn.text == "echo:after"
        assert session.connection_number == 2
    assert len(server.peers) == 2


# ------------------------------------------------------------------ tools


async def test_tool_call_answered_by_callback(server: ForeignLiveServer) -> None:
    responses: list[dict[str, Any]] = []

    async def script(peer: Peer) -> None:
        await peer.handshake()
        await peer.expect("clientContent")
        await peer.send({"toolCall": {"functionCalls": [{"id": "c1", "name": "f", "args": {}}]}})
        responses.append(await peer.expect("toolResponse"))
        await peer.say("done")

    server.script = script
    calls: list[live_actor.types.ToolCall] = []

    def on_tool_call(call: live_actor.types.ToolCall) -> dict[str, Any]:
        calls.append(call)
        return {"temperature": 21}

    async with open_on(server, on_tool_call=on_tool_call) as session:
        await session.send_client_content("weather?")
        turn = await next_turn(session)
        assert turn.text == "done"
        assert session.pending_tool_calls == ()
    assert len(calls) == 1
    assert calls[0].function_calls is not None and calls[0].function_calls[0].id == "c1"
    assert len(responses) == 1
    function_responses = responses[0]["toolResponse"]["functionResponses"]
    assert function_responses[0]["id"] == "c1"
    assert function_responses[0]["name"] == "f"
    assert function_responses[0]["response"] == {"temperature": 21}


async def test_tool_call_cancellation_cancels_slow_tool(server: ForeignLiveServer) -> None:
    tool_started = threading.Event()

    async def script(peer: Peer) -> None:
        await peer.handshake()
        await peer.expect("clientContent")
        await peer.send({"toolCall": {"functionCalls": [
            {"id": "c1", "name": "slow", "args": {"n": 1}}]}})
        await wait_flag(tool_started)
        await peer.send({"serverContent": {"interrupted": True}})
        await peer.send({"toolCallCancellation": {"ids": ["c1"]}})
        await peer.send({"serverContent": {"turnComplete": True}})
        await peer.expect("clientContent")
        await peer.say("next")

    server.script = script
    cancelled = anyio.Event()
    cancellations: list[Any] = []

    async def on_tool_call(call: live_actor.types.ToolCall) -> dict[str, Any]:
        tool_started.set()
        try:
            await anyio.sleep(30)
        except anyio.get_cancelled_exc_class():
            cancelled.set()
            raise
        return {"late": True}

    async with open_on(
        server,
        on_tool_call=on_tool_call,
        on_tool_call_cancellation=lambda ids: cancellations.append(tuple(ids)),
    ) as session:
        await session.send_client_content("do the slow thing")
        with anyio.fail_after(3):
            await cancelled.wait()
        turn = await next_turn(session)
        assert turn.interrupted
        assert session.pending_tool_calls == ()
        await eventually(lambda: bool(cancellations), "on_tool_call_cancellation")
        assert cancellations == [("c1",)]
        await session.send_client_content("go on")
        assert (await next_turn(session)).text == "next"
    assert server.peers[0].of_kind("toolResponse") == []


async def test_tool_call_cancelled_before_the_tool_ran(server: ForeignLiveServer) -> None:
    """toolCall then, at once, toolCallCancellation (barge-in right after the call).

    The tool returns only after the client has read the cancellation, and the
    cancellation cannot interrupt it (like a plain function, which has no
    checkpoint): its result must not be sent, and the connection must stay up.
    Whether a truly instant tool answers before the cancellation is read is a
    race the client cannot win, so the tool waits for it, shielded.
    """

    async def script(peer: Peer) -> None:
        await peer.handshake()
        await peer.expect("clientContent")
        await peer.send({"toolCall": {"functionCalls": [{"id": "c1", "name": "f", "args": {}}]}})
        await peer.send({"toolCallCancellation": {"ids": ["c1"]}})
        await peer.send({"serverContent": {"interrupted": True, "turnComplete": True}})
        await peer.expect("clientContent")
        await peer.say("next")

    server.script = script
    cancellations: list[Any] = []
    reconnects: list[str] = []
    errors: list[Exception] = []
    holder: list[Any] = []

    async def uninterruptible_tool(call: Any) -> Any:
        with anyio.CancelScope(shield=True):
            await eventually(lambda: "c1" not in holder[0].pending_tool_calls, "cancel read")
        return {"result": "fast"}

    async with open_on(
        server,
        on_tool_call=uninterruptible_tool,
        on_tool_call_cancellation=lambda ids: cancellations.append(tuple(ids)),
        on_reconnecting=lambda attempt, delay, cause: reconnects.append(cause),
        on_error=errors.append,
    ) as session:
        holder.append(session)
        await session.send_client_content("do it")
        assert (await next_turn(session)).interrupted
        await eventually(lambda: bool(cancellations), "on_tool_call_cancellation")
        await anyio.sleep(0.3)
        assert reconnects == [], reconnects
        assert session.connection_number == 1
        await session.send_client_content("go on")
        assert (await next_turn(session)).text == "next"
        assert session.connection_number == 1
    assert len(server.peers) == 1, [p.closed_by for p in server.peers]
    answered = [
        r["id"] for m in server.peers[0].of_kind("toolResponse")
        for r in m["toolResponse"]["functionResponses"]
    ]
    assert answered == [], "a response was sent for a call the server had cancelled"


async def test_partial_tool_call_cancellation_answers_the_rest(
    server: ForeignLiveServer,
) -> None:
    """One toolCall with two calls, one withdrawn: only the other one is answered."""

    async def script(peer: Peer) -> None:
        await peer.handshake()
        await peer.expect("clientContent")
        await peer.send(
            {
                "toolCall": {
                    "functionCalls": [
                        {"id": "c1", "name": "f", "args": {}},
                        {"id": "c2", "name": "g", "args": {}},
                    ]
                }
            }
        )
        await peer.send({"toolCallCancellation": {"ids": ["c1"]}})
        await peer.expect("toolResponse")
        await peer.say("done")

    server.script = script
    release = anyio.Event()

    async def tool(call: Any) -> list[dict[str, Any]]:
        await release.wait()
        return [
            {"id": fc.id, "name": fc.name, "response": {"ok": True}} for fc in call.function_calls
        ]

    async with open_on(
        server,
        on_tool_call=tool,
        on_tool_call_cancellation=lambda ids: release.set(),
    ) as session:
        await session.send_client_content("do both")
        assert (await next_turn(session)).text == "done"
    answered = [
        r["id"]
        for m in server.peers[0].of_kind("toolResponse")
        for r in m["toolResponse"]["functionResponses"]
    ]
    assert answered == ["c2"]


async def test_cancelled_send_keeps_the_connection(server: ForeignLiveServer) -> None:
    """A user task cancelled while it calls a send method must not kill the socket."""

    async def script(peer: Peer) -> None:
        await peer.handshake()
        await echo_turns(peer)

    server.script = script
    reconnects: list[str] = []
    async with open_on(
        server, on_reconnecting=lambda attempt, delay, cause: reconnects.append(cause)
    ) as session:
        with anyio.CancelScope() as scope:
            scope.cancel()  # e.g. the microphone task is being stopped
            await session.send_realtime_input(audio=b"\x00\x00" * 320)
        await anyio.sleep(0.3)
        assert reconnects == [], reconnects
        await session.send_client_content("still there?")
        assert (await next_turn(session)).text == "echo:still there?"
        assert session.connection_number == 1
    assert len(server.peers) == 1


# ------------------------------------------------------------ what the client sends


async def test_client_frames_are_valid_camel_case_json(server: ForeignLiveServer) -> None:
    pcm = bytes(range(256)) * 8  # 1024 bytes whose base64 uses + and /
    jpeg = b"\xff\xd8\xff\xe0" + bytes(range(64))

    async def script(peer: Peer) -> None:
        await peer.handshake()
        await peer.expect("clientContent")
        await peer.say("ok")
        while True:
            message = await peer.expect("realtimeInput")
            if message["realtimeInput"].get("text") == "call the tool":
                break
        await peer.send({"toolCall": {"functionCalls": [
            {"id": "t1", "name": "lookup", "args": {"query": "x"}}]}})
        await peer.expect("toolResponse")
        await peer.say("done")

    server.script = script
    config = live_actor.LiveConfig(
        model=TEXT_MODEL,
        generation_config={"response_modalities": ["TEXT"], "temperature": 0.5,
                           "max_output_tokens": 256},
        system_instruction="Be brief.",
        realtime_input_config={"automatic_activity_detection": {"disabled": True}},
        tools=[{"function_declarations": [{
            "name": "lookup",
            "description": "Look something up",
            "parameters": {"type": "OBJECT", "properties": {"query": {"type": "STRING"}}},
        }]}],
    )
    async with open_on(server, config, on_tool_call=lambda call: {"answer": "y"}) as session:
        await session.send_client_content("hello")
        assert (await next_turn(session)).text == "ok"
        await session.send_realtime_input(activity_start=True)
        await session.send_realtime_input(audio=pcm)
        await session.send_realtime_input(activity_end=True)
        await session.send_realtime_input(video=jpeg)
        await session.send_realtime_input(audio_stream_end=True)
        await session.send_text("call the tool")
        assert (await next_turn(session)).text == "done"

    peer = server.peers[0]
    await eventually(lambda: peer.closed_at is not None, "the client's close")
    path, headers = server.dials[0]
    assert path == LIVE_PATH  # no credentials in the URL
    assert headers.get("x-goog-api-key") == API_KEY
    assert peer.frames, "no frames"
    for frame in peer.frames:
        assert frame.json_error is None, f"not JSON: {frame!r}"
        assert isinstance(frame.obj, dict), frame
        assert len(frame.obj) == 1 and set(frame.obj) <= CLIENT_KEYS, frame
        assert snake_keys(frame.obj) == [], f"snake_case keys in {frame!r}"
    messages = peer.messages
    assert list(messages[0]) == ["setup"]
    setup = messages[0]["setup"]
    assert setup["model"].startswith("models/")
    assert setup["generationConfig"]["responseModalities"] == ["TEXT"]
    assert setup["generationConfig"]["maxOutputTokens"] == 256
    assert setup["systemInstruction"]["parts"][0]["text"] == "Be brief."
    assert setup["realtimeInputConfig"]["automaticActivityDetection"]["disabled"] is True
    declared = setup["tools"][0]["functionDeclarations"][0]
    assert declared["name"] == "lookup"
    assert all("setup" not in m for m in messages[1:])

    realtime = [m["realtimeInput"] for m in messages if "realtimeInput" in m]
    audio = [r["audio"] for r in realtime if "audio" in r]
    assert len(audio) == 1
    assert audio[0]["mimeType"] == "audio/pcm;rate=16000"
    assert b64(audio[0]["data"]) == pcm
    video = [r["video"] for r in realtime if "video" in r]
    assert len(video) == 1 and video[0]["mimeType"] == "image/jpeg"
    assert b64(video[0]["data"]) == jpeg
    assert any("activityStart" in r for r in realtime)
    assert any("activityEnd" in r for r in realtime)
    assert any(r.get("audioStreamEnd") is True for r in realtime)
    assert all(len(r) == 1 for r in realtime), realtime
    content = [m["clientContent"] for m in messages if "clientContent" in m]
    assert content[0]["turns"][0]["parts"][0]["text"] == "hello"
    assert content[0]["turnComplete"] is True
    tool_responses = [m["toolResponse"] for m in messages if "toolResponse" in m]
    assert tool_responses[0]["functionResponses"][0]["id"] == "t1"
    assert peer.client_close_code == 1000


# ------------------------------------------------------------------ closed sessions


async def test_send_after_close_raises(server: ForeignLiveServer) -> None:
    async def script(peer: Peer) -> None:
        await peer.handshake()

    server.script = script
    async with open_on(server) as session:
        assert session.status is live_actor.SessionStatus.READY
    assert session.status is live_actor.SessionStatus.CLOSED
    with pytest.raises(live_actor.SessionClosedError):
        await session.send_client_content("too late")
    with pytest.raises(live_actor.SessionClosedError):
        await session.send_realtime_input(audio=b"\x00\x00" * 160)
    with pytest.raises(live_actor.SessionClosedError):
        await session.send_text("too late")
    with pytest.raises(live_actor.SessionClosedError):
        await session.send_tool_response({"id": "c1", "name": "f", "response": {}})
    await eventually(lambda: server.peers[0].closed_at is not None, "the client's close")
    assert server.peers[0].client_close_code == 1000
    assert len(server.dials) == 1


async def test_policy_close_mid_session_refuses_the_message_not_the_session(
    server: ForeignLiveServer,
) -> None:
    """A 1008 after setupComplete (here "not supported" for a message) drops that
    message and resumes; the same refusal is never replayed (issue 10 item 6)."""
    reason = "Operation is not implemented, or supported, or enabled."

    async def script(peer: Peer) -> None:
        await peer.handshake()
        if peer.index == 0:
            await peer.send({"sessionResumptionUpdate": {"newHandle": "h1", "resumable": True}})
            await peer.expect("clientContent")
            await peer.close(1008, reason)
        else:
            await echo_turns(peer)

    server.script = script
    errors: list[Exception] = []
    async with open_on(server, on_error=errors.append) as session:
        refused = await session.send_client_content("call a tool")
        await eventually(lambda: len(server.dials) == 2, "a resume")
        await session.wait_ready()
        await session.send_client_content("anyone there?")
        assert (await next_turn(session)).text == "echo:anyone there?"
        assert refused.outcome == "dropped" and session.error is None
    rejected = [e for e in errors if isinstance(e, live_actor.MessageRejectedError)]
    assert [(e.code, e.reason, e.message_id) for e in rejected] == [(1008, reason, refused.id)]


async def test_server_normal_close_without_go_away_ends_session(
    server: ForeignLiveServer,
) -> None:
    """README: a server 1000 without goAway is 'normal_remote', not restarted by default."""

    async def script(peer: Peer) -> None:
        await peer.handshake()
        await peer.expect("clientContent")
        await peer.say("bye")
        await peer.close(1000, "")

    server.script = script
    closes: list[tuple[Any, Any]] = []
    async with open_on(server, on_close=lambda c, r: closes.append((c, r))) as session:
        await session.send_client_content("end it")
        assert (await next_turn(session)).text == "bye"
        with anyio.fail_after(3):
            await session.wait_closed()
        assert session.close_code == 1000
        with pytest.raises(live_actor.SessionClosedError):
            await session.send_client_content("anyone there?")
    await eventually(lambda: bool(closes), "on_close")
    assert closes[0][0] == 1000
    assert len(server.dials) == 1


# ------------------------------------------------------------------ more wire details


async def test_inbound_audio_base64_variants_and_large_frame(server: ForeignLiveServer) -> None:
    chunk = bytes(range(256)) * 4  # standard base64 contains + and /
    big = bytes(range(251)) * 8000  # ~2 MB of PCM: a 2.7 MB frame, above 1 MiB defaults

    async def script(peer: Peer) -> None:
        await peer.handshake()
        await peer.expect("realtimeInput")

        def audio(data: str) -> dict[str, Any]:
            return {"serverContent": {"modelTurn": {"role": "model", "parts": [
                {"inlineData": {"mimeType": "audio/pcm;rate=24000", "data": data}}]}}}

        await peer.send(audio(base64.b64encode(chunk).decode()))
        await peer.send(audio(base64.urlsafe_b64encode(chunk).decode().rstrip("=")))
        await peer.send(audio(base64.b64encode(big).decode()))
        await peer.send({"serverContent": {"outputTranscription": {"text": "beep"},
                                           "turnComplete": True}})

    server.script = script
    config = live_actor.LiveConfig(
        model="gemini-2.5-flash-native-audio-preview-12-2025",
        generation_config={"response_modalities": ["AUDIO"]},
    )
    errors: list[Exception] = []
    # event_buffer (bytes) must hold the largest message the app reads with events().
    options = live_actor.SessionOptions(event_buffer=8 * 1024 * 1024)
    async with open_on(server, config, on_error=errors.append, options=options) as session:
        await session.send_realtime_input(audio=b"\x01\x00" * 320)
        turn = await next_turn(session)
        assert turn.audio == chunk + chunk + big
        assert turn.output_transcription == "beep"
        assert errors == []
        assert session.connection_number == 1


async def test_reconnect_survives_http_refusals(server: ForeignLiveServer) -> None:
    """HTTP 503/429 at the upgrade after the session was ready: transient, retried."""

    async def script(peer: Peer) -> None:
        await peer.handshake()
        if peer.index == 0:
            await peer.send({"sessionResumptionUpdate": {"newHandle": "h1", "resumable": True}})
            await asyncio.sleep(0.1)
            server.refusals = [503, 429]
            peer.drop()
        else:
            await echo_turns(peer)

    server.script = script
    policy = live_actor.RestartPolicy(backoff_base=0.05, backoff_max=0.2)
    resumed: list[bool] = []
    async with open_on(
        server, policy=policy, on_resumed=lambda r, rep, drop: resumed.append(r)
    ) as session:
        await eventually(lambda: bool(resumed), "on_resumed", within=5)
        assert resumed == [True]
        await session.send_client_content("back")
        assert (await next_turn(session)).text == "echo:back"
    assert len(server.dials) == 4
    assert len(server.peers) == 2
    assert setup_of(server.peers[1])["sessionResumption"]["handle"] == "h1"
