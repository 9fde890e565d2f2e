"""Adversarial server behaviours the wire doc allows, against live_actor's public API.

Companion of ``test_foreign.py`` (same independent server, ``_server.py``): each
test plays a server that is legal but awkward — odd Duration spellings, several
message kinds in one frame, ``null`` fields, trailing transcripts, repeated or
shortened ``goAway``s, stalled sockets, the close codes of wire-protocol.md §9 at
various moments, Vertex-style transparent resumption and id-less tool calls — and
asserts what the protocol doc and the README say the client must do.
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractAsyncContextManager
from typing import Any

import anyio
import pytest
from websockets.asyncio.server import ServerConnection
from websockets.http11 import Request, Response

import live_actor

from ..helpers import eventually, next_turn
from ._helpers import echo_turns, open_on, running, setup_of, texts_of
from ._server import ForeignLiveServer, Peer, client_text, wait_flag

pytestmark = pytest.mark.anyio

VERTEX_PREFIX = "/ws/google.cloud.aiplatform."


async def setup_sent(server: ForeignLiveServer, n: int) -> dict[str, Any]:
    """The setup of the n-th connection, once it arrived (a dial can beat it)."""
    await eventually(
        lambda: len(server.peers) > n and bool(server.peers[n].messages), f"setup {n}"
    )
    return setup_of(server.peers[n])



class _AnyPathServer(ForeignLiveServer):
    """The foreign server, also answering on the Vertex AI path (test-only subclass)."""

    def _process_request(self, ws: ServerConnection, request: Request) -> Response | None:
        if request.path.split("?")[0].startswith(VERTEX_PREFIX) and not (
            self.refuse_status or self.refusals
        ):
            self.dials.append((request.path, request.headers))
            return None
        return super()._process_request(ws, request)


@pytest.fixture
def server() -> Iterator[ForeignLiveServer]:
    with running(_AnyPathServer()) as fake:
        yield fake


def vertex_config(**kwargs: Any) -> live_actor.LiveConfig:
    return live_actor.LiveConfig(
        model="gemini-live-2.5-flash",
        auth="vertex_ai",
        project_id="hostile-project",
        location="us-central1",
        generation_config={"response_modalities": ["TEXT"]},
        **kwargs,
    )


def open_vertex(
    server: ForeignLiveServer, config: live_actor.LiveConfig, **kw: Any
) -> AbstractAsyncContextManager[live_actor.SessionHandle]:
    return live_actor.open_session(
        config,
        credentials=live_actor.BearerToken("hostile-vertex-token-0123456789"),
        base_url=server.url,
        **kw,
    )


def answered(peer: Peer) -> list[dict[str, Any]]:
    """Every function response the peer received, in order."""
    return [
        r for m in peer.of_kind("toolResponse") for r in m["toolResponse"]["functionResponses"]
    ]


def resumable(handle: str, **extra: Any) -> dict[str, Any]:
    return {"sessionResumptionUpdate": {"newHandle": handle, "resumable": True, **extra}}


def text_part(text: str) -> dict[str, Any]:
    return {"serverContent": {"modelTurn": {"role": "model", "parts": [{"text": text}]}}}


async def idle(peer: Peer) -> None:
    await peer.handshake()


# ------------------------------------------------------------------ goAway


DURATIONS = {
    "10s": datetime.timedelta(seconds=10),
    "1.500s": datetime.timedelta(seconds=1, milliseconds=500),
    "2.123456789s": datetime.timedelta(seconds=2, microseconds=123456),
    "7.000000001s": datetime.timedelta(seconds=7),
    "0s": datetime.timedelta(0),
    "0.000000001s": datetime.timedelta(0),
}


@pytest.mark.parametrize("spelling", list(DURATIONS))
async def test_go_away_duration_spellings(server: ForeignLiveServer, spelling: str) -> None:
    """§3: Durations are decimal seconds + 's' with up to 9 fractional digits."""

    async def script(peer: Peer) -> None:
        await peer.handshake()
        if peer.index == 0:
            await peer.send({"goAway": {"timeLeft": spelling}}, label="goAway")

    server.script = script
    go_aways: list[datetime.timedelta] = []
    errors: list[Exception] = []
    async with open_on(
        server, on_go_away=lambda t, h: go_aways.append(t), on_error=errors.append
    ) as session:
        await eventually(lambda: bool(go_aways), "on_go_away")
        expected = DURATIONS[spelling]
        # Sub-microsecond precision cannot be represented by timedelta: truncated.
        assert expected <= go_aways[0] < expected + datetime.timedelta(microseconds=1)
        if expected < datetime.timedelta(seconds=1):
            # The deadline is (practically) now: rotate at once, do not wait for a cut.
            await eventually(lambda: len(server.peers) >= 2, "a rotation to a new connection")
            assert server.peers[0].closed_by == "client"
        else:
            await anyio.sleep(0.2)
            assert len(server.peers) == 1  # no handle, deadline far away: keep serving
        await session.wait_ready()
    assert errors == []


async def test_go_away_without_time_left_is_not_fatal(server: ForeignLiveServer) -> None:
    """``{"goAway": {}}``: the connection is going away, deadline unknown.

    Whatever the client makes of the missing deadline, it must report the goAway,
    keep the session usable and not report an error.
    """

    async def script(peer: Peer) -> None:
        await peer.handshake()
        if peer.index == 0:
            await peer.send({"goAway": {}})
        await echo_turns(peer)

    server.script = script
    go_aways: list[Any] = []
    errors: list[Exception] = []
    async with open_on(
        server, on_go_away=lambda t, h: go_aways.append(t), on_error=errors.append
    ) as session:
        await eventually(lambda: bool(go_aways), "on_go_away")
        assert isinstance(go_aways[0], datetime.timedelta)
        await session.wait_ready()
        await session.send_client_content("still there?")
        assert (await next_turn(session)).text == "echo:still there?"
    assert errors == []


@pytest.mark.parametrize("how", ["silent", "close_1000", "tcp_drop"])
async def test_a_go_away_after_every_setup_is_charged_and_ends(
    server: ForeignLiveServer, how: str
) -> None:
    """Issue 10 item 8: a server that says goAway "0s" after every setup (then 1000, a
    drop, or nothing) cannot make the client reconnect hundreds of times a second: a
    planned restart after a useless connection is charged, backed off, and restart
    intensity ends the storm."""

    async def script(peer: Peer) -> None:
        await peer.handshake()
        await peer.send(resumable(f"h{peer.index}"))
        await peer.send({"goAway": {"timeLeft": "0s"}})
        if how == "close_1000":
            await peer.close(1000, "")
        elif how == "tcp_drop":
            peer.drop()
        else:
            await asyncio.sleep(30)

    server.script = script
    gave_up: list[str] = []
    policy = live_actor.RestartPolicy(max_restarts=3, period=60, backoff_base=0.01)
    async with open_on(server, policy=policy, on_gave_up=gave_up.append) as session:
        with anyio.fail_after(10):
            await session.wait_closed()
        assert isinstance(session.error, live_actor.GaveUpError)
        assert "more than 3 restarts" in str(session.error)
    assert len(gave_up) == 1
    assert len(server.dials) == 4  # the first connection and 3 charged restarts


@pytest.mark.parametrize("how", ["close_1000", "tcp_drop"])
async def test_go_away_then_immediate_close_is_a_free_restart(
    server: ForeignLiveServer, how: str
) -> None:
    """README: 'planned | goAway rotation, 1000 after goAway | restart at once, not
    charged' after a useful connection (a completed turn).

    With ``max_restarts=0`` any charged restart would give up at once.
    """

    async def script(peer: Peer) -> None:
        await peer.handshake()
        if peer.index == 0:
            message = await peer.expect("clientContent")
            await peer.say("echo:" + client_text(message))  # a useful connection
            await peer.send(resumable("h1"))
            await asyncio.sleep(0.05)
            await peer.send({"goAway": {"timeLeft": "10s"}})
            if how == "close_1000":
                await peer.close(1000, "")
            else:
                peer.drop()
        else:
            await echo_turns(peer)

    server.script = script
    gave_up: list[str] = []
    resumed: list[bool] = []
    policy = live_actor.RestartPolicy(max_restarts=0, backoff_base=5.0, backoff_max=5.0)
    async with open_on(
        server,
        policy=policy,
        on_gave_up=gave_up.append,
        on_resumed=lambda r, rep, drop: resumed.append(r),
    ) as session:
        await session.send_client_content("before")
        assert (await next_turn(session)).text == "echo:before"
        await eventually(lambda: bool(resumed) or bool(gave_up), "a resume (or giving up)")
        assert gave_up == []
        assert resumed == [True]
        await session.send_client_content("after")
        assert (await next_turn(session)).text == "echo:after"
        assert session.error is None
    assert len(server.peers) == 2
    assert (await setup_sent(server, 1))["sessionResumption"]["handle"] == "h1"


async def test_go_away_during_tool_call_waits_for_the_answer(server: ForeignLiveServer) -> None:
    """A goAway while a tool runs: answer on the old connection, rotate at the safe point.

    README: rotate at a safe point (turn complete, no pending tool call, fresh
    resumable handle) but before the deadline.  Here the safe point (after the
    answer, the end of the turn and a new handle) comes long before the deadline.
    """

    async def script(peer: Peer) -> None:
        await peer.handshake()
        if peer.index == 0:
            await peer.send(resumable("h1"))
            await peer.expect("clientContent")
            await peer.send({"sessionResumptionUpdate": {"resumable": False}})
            await peer.send({"toolCall": {"functionCalls": [
                {"id": "c1", "name": "slow", "args": {}}]}})
            await peer.send({"goAway": {"timeLeft": "6s"}}, label="goAway")
            await peer.expect("toolResponse")
            await peer.say("done")
            await peer.send(resumable("h2"))
            await peer.wait_closed(6)
        else:
            await echo_turns(peer)

    server.script = script

    async def slow_tool(call: live_actor.types.ToolCall) -> dict[str, Any]:
        await anyio.sleep(0.3)
        return {"v": 1}

    async with open_on(server, on_tool_call=slow_tool) as session:
        await session.send_client_content("q")
        assert (await next_turn(session)).text == "done"
        await eventually(lambda: len(server.peers) >= 2 and bool(server.peers[1].frames),
                         "the rotated connection's setup", within=6)
        first, second = server.peers
        assert first.closed_by == "client"
        assert first.closed_at is not None
        # Not the forced rotation at deadline - margin (4 s after the goAway).
        assert first.closed_at - first.sent_at["goAway"] < 2.5
        assert setup_of(second)["sessionResumption"]["handle"] == "h2"
        assert [r["id"] for r in answered(first)] == ["c1"]
        await session.wait_ready()
        await session.send_client_content("next")
        assert (await next_turn(session)).text == "echo:next"
    assert answered(server.peers[1]) == []
    assert "q" not in texts_of(server.peers[1])


async def test_second_shorter_go_away_moves_the_deadline(server: ForeignLiveServer) -> None:
    """Two goAways, the second one with less time left: the client must meet the
    nearer deadline ('always before the deadline, on a timer')."""

    async def script(peer: Peer) -> None:
        await peer.handshake()
        if peer.index == 0:
            await peer.send({"goAway": {"timeLeft": "30s"}})
            await asyncio.sleep(0.2)
            await peer.send({"goAway": {"timeLeft": "1s"}}, label="second")
            if not await peer.wait_closed(1.0):
                await peer.close(1000, "")  # the deadline passed: the service cuts

    server.script = script
    go_aways: list[datetime.timedelta] = []
    async with open_on(server, on_go_away=lambda t, h: go_aways.append(t)) as session:
        await eventually(lambda: len(server.peers) >= 2, "a second connection", within=4)
        first = server.peers[0]
        assert go_aways == [datetime.timedelta(seconds=30), datetime.timedelta(seconds=1)]
        assert first.closed_by == "client", "the client let the server cut it at the deadline"
        assert first.closed_at is not None
        assert first.closed_at - first.sent_at["second"] < 1.0
        await session.wait_ready()


async def test_go_away_rotation_does_not_wait_for_a_silent_server(
    server: ForeignLiveServer,
) -> None:
    """After goAway the old socket stops reading (no close reply): the client must
    still dial the next connection before the deadline."""

    async def script(peer: Peer) -> None:
        await peer.handshake()
        if peer.index == 0:
            await peer.send(resumable("h1"))
            await asyncio.sleep(0.05)
            peer.ws.transport.pause_reading()  # never answers the client's close
            await peer.send({"goAway": {"timeLeft": "1s"}}, label="goAway")
        else:
            await echo_turns(peer)

    server.script = script
    async with open_on(server) as session:
        await eventually(lambda: len(server.peers) >= 2 and bool(server.peers[1].frames),
                         "the next connection's setup", within=4)
        first, second = server.peers
        assert second.frames[0].at - first.sent_at["goAway"] < 1.0
        assert setup_of(second)["sessionResumption"]["handle"] == "h1"
        await session.wait_ready()
        await session.send_client_content("x")
        assert (await next_turn(session)).text == "echo:x"


async def test_frame_with_turn_complete_handle_and_go_away(server: ForeignLiveServer) -> None:
    """§7: one message may carry several fields; handle every one of them.

    The last content, a fresh handle and a goAway in one frame is a safe point:
    rotate at once, with that frame's handle.
    """

    async def script(peer: Peer) -> None:
        await peer.handshake()
        if peer.index == 0:
            await peer.send(resumable("h1"))
            await peer.expect("clientContent")
            await peer.send({"sessionResumptionUpdate": {"resumable": False}})
            await peer.send({
                "serverContent": {
                    "modelTurn": {"role": "model", "parts": [{"text": "bye"}]},
                    "generationComplete": True,
                    "turnComplete": True,
                },
                "usageMetadata": {"totalTokenCount": 9},
                "sessionResumptionUpdate": {"newHandle": "h2", "resumable": True},
                "goAway": {"timeLeft": "6s"},
            }, label="goAway")
            await peer.wait_closed(6)
        else:
            await echo_turns(peer)

    server.script = script
    go_aways: list[Any] = []
    async with open_on(server, on_go_away=lambda t, h: go_aways.append((t, h))) as session:
        await session.send_client_content("hi")
        assert (await next_turn(session)).text == "bye"
        await eventually(lambda: len(server.peers) >= 2 and bool(server.peers[1].frames),
                         "the rotated connection's setup", within=5)
        first, second = server.peers
        assert first.closed_at is not None
        assert first.closed_at - first.sent_at["goAway"] < 2.0  # not at deadline - margin
        assert setup_of(second)["sessionResumption"]["handle"] == "h2"
        assert session.usage.total_token_count == 9
        assert go_aways and go_aways[0][0] == datetime.timedelta(seconds=6)


async def test_trailing_output_transcription_is_not_a_new_turn(
    server: ForeignLiveServer,
) -> None:
    """§7.1: outputTranscription has its own ordering, so its last piece may come
    after turnComplete.  That is not the model starting a new turn: once the
    service then issues a resumable handle (it only does so while idle), a goAway
    finds a safe point and the client rotates at once."""

    async def script(peer: Peer) -> None:
        await peer.handshake()
        if peer.index == 0:
            await peer.send(resumable("h1"))
            await peer.expect("clientContent")
            await peer.send({"sessionResumptionUpdate": {"resumable": False}})
            await peer.say("answer")
            await peer.send({"serverContent": {"outputTranscription": {"text": "answer"}}})
            await peer.send(resumable("h2"))
            await asyncio.sleep(0.05)
            await peer.send({"goAway": {"timeLeft": "2s"}}, label="goAway")
            await peer.wait_closed(3)
        else:
            await echo_turns(peer)

    server.script = script
    options = live_actor.SessionOptions(go_away_margin=0.1)
    async with open_on(server, options=options) as session:
        await session.send_client_content("q")
        assert (await next_turn(session)).text == "answer"
        await eventually(lambda: len(server.peers) >= 2, "a rotation", within=4)
        first = server.peers[0]
        assert first.closed_at is not None
        # Safe point: at once.  A client that thinks a turn is running waits for
        # deadline - margin (1.9 s).
        assert first.closed_at - first.sent_at["goAway"] < 1.0
        assert (await setup_sent(server, 1))["sessionResumption"]["handle"] == "h2"


# ------------------------------------------------------------- resumption


async def test_resumption_updates_that_are_not_resumable_keep_the_handle(
    server: ForeignLiveServer,
) -> None:
    """§7: only a ``resumable`` update with a handle is a handle to resume with.

    proto3 JSON omits ``false``: a handle without ``resumable`` is not resumable.
    """
    variants = [
        {"newHandle": "", "resumable": True},
        {"resumable": True},
        {"newHandle": "h-omitted-false"},
        {"newHandle": "h-false", "resumable": False},
        {"newHandle": None, "resumable": True},
        {},
    ]

    async def script(peer: Peer) -> None:
        await peer.handshake()
        if peer.index == 0:
            await peer.send(resumable("h1"))
            for variant in variants:
                await peer.send({"sessionResumptionUpdate": variant})
            await asyncio.sleep(0.1)
            peer.drop()
        else:
            await echo_turns(peer)

    server.script = script
    updates: list[Any] = []
    resumed: list[bool] = []
    async with open_on(
        server,
        on_session_resumption=updates.append,
        on_resumed=lambda r, rep, drop: resumed.append(r),
    ) as session:
        await eventually(lambda: bool(resumed), "on_resumed", within=5)
        assert len(updates) >= 1 + len(variants)
        assert session.resumption_handle == "h1"
        assert resumed == [True]
    assert (await setup_sent(server, 1))["sessionResumption"]["handle"] == "h1"


async def test_handle_in_the_setup_complete_frame(server: ForeignLiveServer) -> None:
    """setupComplete and a sessionResumptionUpdate in one frame: both are handled."""

    async def script(peer: Peer) -> None:
        if peer.index == 0:
            await peer.handshake(extra_top={"sessionResumptionUpdate": {
                "newHandle": "h0", "resumable": True}})
            await asyncio.sleep(0.1)
            peer.drop()
        else:
            await peer.handshake()
            await echo_turns(peer)

    server.script = script
    resumed: list[bool] = []
    async with open_on(server, on_resumed=lambda r, rep, drop: resumed.append(r)) as session:
        await eventually(lambda: bool(resumed), "on_resumed", within=5)
        assert resumed == [True]
        await session.send_client_content("x")
        assert (await next_turn(session)).text == "echo:x"
    assert (await setup_sent(server, 1))["sessionResumption"]["handle"] == "h0"


@pytest.mark.parametrize("index", [2, "2"], ids=["number", "string"])
async def test_transparent_index_as_string_or_number(
    server: ForeignLiveServer, index: int | str
) -> None:
    """§3: int64 ``lastConsumedClientMessageIndex`` comes as a string; accept numbers too.

    README: with transparent resumption the unconsumed tail is replayed exactly once,
    in order.  Index convention: ``setup`` is client message 0 of its connection.
    """

    async def script(peer: Peer) -> None:
        await peer.handshake()
        if peer.index == 0:
            for _ in range(3):
                await peer.expect("clientContent")
            await peer.send(resumable("h1", lastConsumedClientMessageIndex=index))
            await asyncio.sleep(0.1)
            peer.drop()

    server.script = script
    resumed: list[tuple[bool, int, int]] = []
    config = vertex_config(session_resumption={"transparent": True})
    async with open_vertex(
        server, config, on_resumed=lambda r, rep, drop: resumed.append((r, rep, drop))
    ) as session:
        for text in ("a", "b", "c"):
            await session.send_client_content(text, turn_complete=False)
        await eventually(lambda: bool(resumed), "on_resumed", within=5)
        assert resumed[0][:2] == (True, 1)
        await eventually(lambda: texts_of(server.peers[1]) == ["c"], "the replay of 'c'")
        await anyio.sleep(0.1)
    assert texts_of(server.peers[1]) == ["c"]
    assert (await setup_sent(server, 1))["sessionResumption"]["handle"] == "h1"
    assert (await setup_sent(server, 1))["sessionResumption"]["transparent"] is True
    assert server.dials[0][0].startswith(VERTEX_PREFIX)


async def test_transparent_index_beyond_what_was_sent(server: ForeignLiveServer) -> None:
    """An index larger than anything sent covers everything sent *before* it, but
    never a message sent after the update."""

    async def script(peer: Peer) -> None:
        await peer.handshake()
        if peer.index == 0:
            for _ in range(2):
                await peer.expect("clientContent")
            await peer.send(resumable("h1", lastConsumedClientMessageIndex="999"))
            await peer.expect("clientContent")  # "c", sent after the update
            await asyncio.sleep(0.05)
            peer.drop()

    server.script = script
    resumed: list[bool] = []
    updates: list[Any] = []
    config = vertex_config(session_resumption={"transparent": True})
    async with open_vertex(
        server,
        config,
        on_resumed=lambda r, rep, drop: resumed.append(r),
        on_session_resumption=updates.append,
    ) as session:
        await session.send_client_content("a", turn_complete=False)
        await session.send_client_content("b", turn_complete=False)
        await eventually(lambda: bool(updates), "the update")
        assert updates[0].last_consumed_client_message_index == 999
        await session.send_client_content("c", turn_complete=False)
        await eventually(lambda: bool(resumed), "on_resumed", within=5)
        await eventually(lambda: "c" in texts_of(server.peers[1]), "the replay of 'c'")
        await anyio.sleep(0.1)
    assert texts_of(server.peers[1]) == ["c"]


# ------------------------------------------------------------------ tools


async def test_vertex_tool_call_without_ids_is_answered_by_name(
    server: ForeignLiveServer,
) -> None:
    """§6.3/§7: ids may be missing on Vertex, where a response's id is optional."""

    async def script(peer: Peer) -> None:
        await peer.handshake()
        await peer.expect("clientContent")
        await peer.send({"toolCall": {"functionCalls": [
            {"name": "weather", "args": {"city": "Paris"}}]}})
        await peer.expect("toolResponse")
        await peer.say("sunny")

    server.script = script
    calls: list[live_actor.types.ToolCall] = []
    errors: list[Exception] = []

    def on_tool_call(call: live_actor.types.ToolCall) -> dict[str, Any]:
        calls.append(call)
        return {"sky": "clear"}

    async with open_vertex(
        server, vertex_config(), on_tool_call=on_tool_call, on_error=errors.append
    ) as session:
        await session.send_client_content("weather?")
        assert (await next_turn(session)).text == "sunny"
    assert errors == []
    assert len(calls) == 1
    (response,) = answered(server.peers[0])
    assert response["name"] == "weather"
    assert response["response"] == {"sky": "clear"}
    assert "id" not in response


async def test_several_calls_answered_by_position(server: ForeignLiveServer) -> None:
    """Callbacks: a list of plain dicts answers the calls of the toolCall in order."""

    async def script(peer: Peer) -> None:
        await peer.handshake()
        await peer.expect("clientContent")
        await peer.send({"toolCall": {"functionCalls": [
            {"id": "c1", "name": "f", "args": {"x": 1}},
            {"id": "c2", "name": "g", "args": {"x": 2}},
        ]}})
        await peer.expect("toolResponse")
        await peer.say("ok")

    server.script = script

    def on_tool_call(call: live_actor.types.ToolCall) -> list[dict[str, Any]]:
        return [{"double": (fc.args or {})["x"] * 2} for fc in call.function_calls or ()]

    async with open_on(server, on_tool_call=on_tool_call) as session:
        await session.send_client_content("go")
        assert (await next_turn(session)).text == "ok"
        assert session.pending_tool_calls == ()
    responses = answered(server.peers[0])
    assert [(r["id"], r["name"], r["response"]) for r in responses] == [
        ("c1", "f", {"double": 2}),
        ("c2", "g", {"double": 4}),
    ]
    assert len(server.peers[0].of_kind("toolResponse")) == 1  # one message for one toolCall


async def test_tool_call_and_its_cancellation_in_one_frame(server: ForeignLiveServer) -> None:
    """A frame carrying a toolCall and its toolCallCancellation: never answered."""

    async def script(peer: Peer) -> None:
        await peer.handshake()
        await peer.expect("clientContent")
        await peer.send({
            "toolCall": {"functionCalls": [{"id": "c1", "name": "f", "args": {}}]},
            "toolCallCancellation": {"ids": ["c1", "never-issued"]},
        })
        await peer.send({"toolCallCancellation": {"ids": ["unknown"]}})
        await peer.send({"serverContent": {"interrupted": True, "turnComplete": True}})
        await peer.expect("clientContent")
        await peer.say("fine")

    server.script = script
    cancellations: list[tuple[str, ...]] = []
    errors: list[Exception] = []
    async with open_on(
        server,
        on_tool_call=lambda call: {"late": True},
        on_tool_call_cancellation=lambda ids: cancellations.append(tuple(ids)),
        on_error=errors.append,
    ) as session:
        await session.send_client_content("do it")
        assert (await next_turn(session)).interrupted
        await eventually(lambda: len(cancellations) >= 2, "both cancellations")
        assert session.pending_tool_calls == ()
        await session.send_client_content("next")
        assert (await next_turn(session)).text == "fine"
        assert session.connection_number == 1
    assert answered(server.peers[0]) == []
    assert errors == []


async def test_interrupted_without_cancellation_still_answers(
    server: ForeignLiveServer,
) -> None:
    """§7: only toolCallCancellation withdraws a call; a bare ``interrupted`` does not."""
    tool_started = threading.Event()

    async def script(peer: Peer) -> None:
        await peer.handshake()
        await peer.expect("clientContent")
        await peer.send({"toolCall": {"functionCalls": [{"id": "c1", "name": "f", "args": {}}]}})
        await wait_flag(tool_started)
        await peer.send({"serverContent": {"interrupted": True}})
        await peer.send({"serverContent": {"turnComplete": True}})
        await peer.expect("toolResponse")
        await peer.say("thanks")

    server.script = script

    async def tool(call: live_actor.types.ToolCall) -> dict[str, Any]:
        tool_started.set()
        await anyio.sleep(0.3)
        return {"v": 42}

    async with open_on(server, on_tool_call=tool) as session:
        await session.send_client_content("q")
        assert (await next_turn(session)).interrupted
        assert (await next_turn(session)).text == "thanks"
    assert [(r["id"], r["response"]) for r in answered(server.peers[0])] == [("c1", {"v": 42})]


# ------------------------------------------------------------------ usage


async def test_trailing_usage_only_messages_are_counted(server: ForeignLiveServer) -> None:
    """§7.1: 3.1 models send serverContent holding only usageMetadata.  Sent after
    turnComplete, each turn's usage must still be counted, once."""

    async def script(peer: Peer) -> None:
        await peer.handshake()
        for n in (1, 2):
            await peer.expect("clientContent")
            await peer.say(f"answer {n}")
            await peer.send({"serverContent": {}, "usageMetadata": {
                "promptTokenCount": n, "responseTokenCount": 10 * n,
                "totalTokenCount": 11 * n,
                "promptTokensDetails": [{"modality": "AUDIO", "tokenCount": n},
                                        {"modality": "SMELL", "tokenCount": 100}],
                "candidatesTokensDetails": [{"modality": "TEXT", "tokenCount": 10 * n}],
            }})

    server.script = script
    async with open_on(server) as session:
        for n in (1, 2):
            await session.send_client_content(f"q{n}")
            assert (await next_turn(session)).text == f"answer {n}"
        # close() stops reading: wait for the last turn's trailing usage first.
        with anyio.fail_after(3):
            async for message in session.events():
                if message.usage_metadata is not None:
                    break
    usage = session.usage
    assert usage.total_token_count == 33
    assert usage.prompt_token_count == 3
    assert usage.response_token_count == 30
    assert usage.turns == 2
    assert dict(usage.prompt_by_modality) == {"AUDIO": 3, "SMELL": 200}
    assert dict(usage.response_by_modality) == {"TEXT": 30}


# --------------------------------------------------- odd and malformed frames


async def test_null_fields_and_empty_objects_mean_absent(server: ForeignLiveServer) -> None:
    """§3 (proto3 JSON): ``null`` is the field's absence; ``{}`` is an empty message."""

    async def script(peer: Peer) -> None:
        await peer.handshake()
        await peer.expect("clientContent")
        await peer.send({"goAway": None})
        await peer.send({"toolCall": None, "sessionResumptionUpdate": None})
        await peer.send(text_part("par"))
        await peer.send({"serverContent": {"modelTurn": None, "turnComplete": None,
                                           "interrupted": None}})
        await peer.send({})
        await peer.send({"serverContent": {}})
        await peer.send(text_part("tial"))
        await peer.send({"serverContent": {"turnComplete": True}, "usageMetadata": None})

    server.script = script
    go_aways: list[Any] = []
    tool_calls: list[Any] = []
    errors: list[Exception] = []
    async with open_on(
        server,
        on_go_away=lambda t, h: go_aways.append(t),
        on_tool_call=tool_calls.append,
        on_error=errors.append,
    ) as session:
        await session.send_client_content("q")
        turn = await next_turn(session)
        assert turn.text == "partial"
        assert not turn.interrupted
        await anyio.sleep(0.2)
        assert go_aways == []
        assert tool_calls == []
        assert errors == []
        assert len(server.peers) == 1
        assert session.status is live_actor.SessionStatus.READY


async def test_json_scalars_are_malformed_frames(server: ForeignLiveServer) -> None:
    """README: a frame that is not a JSON object is reported and skipped."""

    async def script(peer: Peer) -> None:
        await peer.handshake()
        await peer.expect("clientContent")
        for raw in ("null", "42", '"serverContent"', "true"):
            await peer.send_raw(raw)
        await peer.send_raw(b"null")
        await peer.say("survived")

    server.script = script
    errors: list[Exception] = []
    async with open_on(server, on_error=errors.append) as session:
        await session.send_client_content("q")
        assert (await next_turn(session)).text == "survived"
        await eventually(lambda: len(errors) >= 5, "five on_error reports")
        assert all(isinstance(e, live_actor.RemoteProtocolError) for e in errors), errors
        assert session.connection_number == 1


async def test_second_setup_complete_is_harmless(server: ForeignLiveServer) -> None:
    async def script(peer: Peer) -> None:
        await peer.handshake()
        await peer.send({"setupComplete": {}})
        await peer.send({"setupComplete": {"sessionId": "again"}})
        await echo_turns(peer)

    server.script = script
    reconnects: list[str] = []
    async with open_on(
        server, on_reconnecting=lambda a, d, cause: reconnects.append(cause)
    ) as session:
        await session.send_client_content("one")
        assert (await next_turn(session)).text == "echo:one"
        await session.send_client_content("two")
        assert (await next_turn(session)).text == "echo:two"
        assert session.status is live_actor.SessionStatus.READY
        assert reconnects == []
        assert session.connection_number == 1
    assert texts_of(server.peers[0]) == ["one", "two"]  # nothing replayed or repeated


async def test_five_mib_audio_in_a_text_frame(server: ForeignLiveServer) -> None:
    big = bytes(range(256)) * (5 * 1024 * 4)  # 5 MiB of PCM -> ~6.7 MB of JSON

    async def script(peer: Peer) -> None:
        await peer.handshake()
        await peer.expect("realtimeInput")
        await peer.send({"serverContent": {"modelTurn": {"role": "model", "parts": [
            {"inlineData": {"mimeType": "audio/pcm;rate=24000",
                            "data": base64.b64encode(big).decode()}}]}}}, binary=False)
        await peer.send({"serverContent": {"turnComplete": True}})

    server.script = script
    config = live_actor.LiveConfig(
        model="gemini-2.5-flash-native-audio-preview-12-2025",
        generation_config={"response_modalities": ["AUDIO"]},
    )
    errors: list[Exception] = []
    # event_buffer (bytes) must hold the largest message the app reads with events().
    options = live_actor.SessionOptions(event_buffer=16 * 1024 * 1024)
    async with open_on(server, config, on_error=errors.append, options=options) as session:
        await session.send_realtime_input(audio=b"\x00\x01" * 160)
        turn = await next_turn(session, within=10)
        assert len(turn.audio) == len(big)
        assert turn.audio == big
        assert session.connection_number == 1
    assert errors == []


# ------------------------------------------------------------------ close codes


@pytest.mark.parametrize(
    ("code", "reason"),
    [(1013, "Try again later."), (1000, ""), (None, "tcp drop")],
    ids=["1013", "1000", "drop"],
)
async def test_first_connect_ended_by_server_is_a_connect_error(
    server: ForeignLiveServer, code: int | None, reason: str
) -> None:
    """§4: a close instead of setupComplete is a failed handshake, attempted once;
    only 1007/1008 (and HTTP 4xx) are rejections (README)."""

    async def script(peer: Peer) -> None:
        await peer.recv()
        if code is None:
            peer.drop()
        else:
            await peer.close(code, reason)

    server.script = script
    with anyio.fail_after(5):
        with pytest.raises(live_actor.ConnectError) as info:
            async with open_on(server):
                pytest.fail("open_session must not succeed")
    assert not isinstance(info.value, live_actor.SetupRejectedError)
    if code is not None:
        assert info.value.code == code
        assert info.value.reason == reason
    await anyio.sleep(0.3)
    assert len(server.dials) == 1


@pytest.mark.parametrize(
    ("code", "reason"),
    [(1001, ""), (1013, "Try again later."),
     (1011, "Deadline expired before operation could complete.")],
    ids=["1001", "1013", "1011-deadline"],
)
async def test_transient_close_when_idle_resumes(
    server: ForeignLiveServer, code: int, reason: str
) -> None:
    """README: 1001, 1011 (and other transient codes) back off and resume with the handle."""

    async def script(peer: Peer) -> None:
        await peer.handshake()
        if peer.index == 0:
            await peer.send(resumable("h1"))
            await asyncio.sleep(0.1)
            await peer.close(code, reason)
        else:
            await echo_turns(peer)

    server.script = script
    causes: list[str] = []
    resumed: list[bool] = []
    policy = live_actor.RestartPolicy(backoff_base=0.05, backoff_max=0.1)
    async with open_on(
        server,
        policy=policy,
        on_reconnecting=lambda a, d, cause: causes.append(cause),
        on_resumed=lambda r, rep, drop: resumed.append(r),
    ) as session:
        await eventually(lambda: bool(resumed), "on_resumed", within=5)
        assert resumed == [True]
        assert str(code) in causes[0]
        await session.send_client_content("back")
        assert (await next_turn(session)).text == "echo:back"
    assert (await setup_sent(server, 1))["sessionResumption"]["handle"] == "h1"


async def test_invalid_argument_close_mid_session_drops_the_message_and_resumes(
    server: ForeignLiveServer,
) -> None:
    """Issue 10 item 6: a 1007 after setupComplete refuses a message, not the session:
    the message is dropped (never replayed into the same refusal) and the session
    resumes with its handle."""
    reason = "Request contains an invalid argument."

    async def script(peer: Peer) -> None:
        await peer.handshake()
        if peer.index == 0:
            await peer.send(resumable("h1"))
            await peer.expect("clientContent")
            await peer.close(1007, reason)
        else:
            await echo_turns(peer)

    server.script = script
    errors: list[Exception] = []
    async with open_on(server, on_error=errors.append) as session:
        receipt = await session.send_client_content("mid-session clientContent on a 3.1 model")
        await eventually(lambda: len(server.peers) == 2, "a resume")
        await session.wait_ready()
        await session.send_client_content("again")
        assert (await next_turn(session)).text == "echo:again"
        assert receipt.outcome == "dropped"
        assert session.error is None
    rejected = [e for e in errors if isinstance(e, live_actor.MessageRejectedError)]
    assert rejected and rejected[0].code == 1007 and rejected[0].reason == reason
    assert rejected[0].message_id == receipt.id
    assert (await setup_sent(server, 1))["sessionResumption"]["handle"] == "h1"


@pytest.mark.parametrize(
    ("code", "restart"),
    [(1008, "temporary"), (1011, "temporary"), (1000, "transient")],
    ids=["1008-temporary", "1011-temporary", "1000-normal"],
)
async def test_session_ending_mid_turn_returns_a_partial_turn(
    server: ForeignLiveServer, code: int, restart: str
) -> None:
    """The session ends while the model is answering: ``receive_turn`` returns what
    arrived, and the Turn must say it did not finish (``Turn.interrupted``: 'the
    turn did not finish: barge-in or a lost connection')."""

    async def script(peer: Peer) -> None:
        await peer.handshake()
        await peer.expect("clientContent")
        await peer.send(text_part("Once upon a"))
        await asyncio.sleep(0.05)
        await peer.close(code, "Operation is not implemented, or supported, or enabled."
                         if code == 1008 else "")

    server.script = script
    async with open_on(server, restart=restart) as session:
        await session.send_client_content("tell me a story")
        turn = await next_turn(session)
        assert turn.text == "Once upon a"
        with anyio.fail_after(3):
            await session.wait_closed()
        assert turn.interrupted or turn.connection_lost, "a cut-off reply looks complete"


async def test_mid_turn_1011_partial_then_full_answer(server: ForeignLiveServer) -> None:
    """README: a reply cut by a lost connection is a turn of its own
    (``connection_lost``); the unanswered question is replayed and answered."""

    async def script(peer: Peer) -> None:
        await peer.handshake()
        if peer.index == 0:
            await peer.send(resumable("h1"))
            await peer.expect("clientContent")
            await peer.send({"sessionResumptionUpdate": {"resumable": False}})
            await peer.send(text_part("Once upon"))
            await asyncio.sleep(0.05)
            await peer.close(1011, "Internal error occurred.")
        else:
            await echo_turns(peer)

    server.script = script
    policy = live_actor.RestartPolicy(backoff_base=0.05, backoff_max=0.1)
    async with open_on(server, policy=policy) as session:
        await session.send_client_content("story")
        partial = await next_turn(session)
        assert partial.connection_lost and partial.interrupted
        assert partial.text == "Once upon"
        full = await next_turn(session)
        assert full.text == "echo:story"
        assert not full.connection_lost
    assert (await setup_sent(server, 1))["sessionResumption"]["handle"] == "h1"
    assert texts_of(server.peers[1]) == ["story"]


async def test_keepalive_detects_a_stalled_server(server: ForeignLiveServer) -> None:
    """A server that stops reading (no pongs, no close): keepalive ends the
    connection (locally 1011 'keepalive ping timeout', §3/§9) and the session resumes."""

    async def script(peer: Peer) -> None:
        await peer.handshake()
        if peer.index == 0:
            await peer.send(resumable("h1"))
            await asyncio.sleep(0.05)
            peer.ws.transport.pause_reading()
        else:
            await echo_turns(peer)

    server.script = script
    transport = live_actor.TransportOptions(ping_interval=0.2, ping_timeout=0.3,
                                            close_timeout=0.3)
    options = live_actor.SessionOptions(transport=transport)
    policy = live_actor.RestartPolicy(backoff_base=0.05, backoff_max=0.1)
    resumed: list[bool] = []
    causes: list[str] = []
    async with open_on(
        server,
        options=options,
        policy=policy,
        on_resumed=lambda r, rep, drop: resumed.append(r),
        on_reconnecting=lambda a, d, cause: causes.append(cause),
    ) as session:
        await eventually(lambda: bool(resumed), "on_resumed", within=5)
        assert resumed == [True]
        assert causes and "1011" in causes[0], causes
        await session.send_client_content("hello again")
        assert (await next_turn(session)).text == "echo:hello again"
    assert (await setup_sent(server, 1))["sessionResumption"]["handle"] == "h1"


async def test_repeated_transient_failures_give_up(server: ForeignLiveServer) -> None:
    """README: more than max_restarts charged restarts in period -> GaveUpError, once."""

    async def script(peer: Peer) -> None:
        if peer.index == 0:
            await peer.handshake()
            await peer.send(resumable("h1"))
            await asyncio.sleep(0.05)
            await peer.close(1011, "The service is currently unavailable.")
        else:
            await peer.recv()
            await peer.close(1011, "The service is currently unavailable.")

    server.script = script
    gave_up: list[str] = []
    policy = live_actor.RestartPolicy(max_restarts=2, backoff_base=0.02, backoff_max=0.05)
    async with open_on(server, policy=policy, on_gave_up=gave_up.append) as session:
        with anyio.fail_after(5):
            await session.wait_closed()
        assert isinstance(session.error, live_actor.GaveUpError), repr(session.error)
        assert session.error.code == 1011
        assert len(gave_up) == 1
    await anyio.sleep(0.3)
    assert len(server.dials) == 3  # the first connection + two restarts
    assert all(
        setup_of(peer)["sessionResumption"]["handle"] == "h1" for peer in server.peers[1:]
    )



async def test_close_against_a_stalled_server_is_bounded(server: ForeignLiveServer) -> None:
    """README: ``close()`` sends what was handed over, bounded by ``shutdown_timeout``;
    what it could not send is counted, never silently lost.  The server has
    stopped reading, so the socket's buffers fill up and the close handshake
    never completes."""
    stalled = threading.Event()

    async def script(peer: Peer) -> None:
        await peer.handshake()
        peer.ws.transport.pause_reading()
        stalled.set()

    server.script = script
    transport = live_actor.TransportOptions(close_timeout=0.3, ping_interval=None)
    options = live_actor.SessionOptions(transport=transport, shutdown_timeout=0.3)
    chunk = b"\x01\x02" * 64_000  # 4 s of 16 kHz audio, ~170 KB of JSON per frame
    sent = 0
    async with open_on(server, options=options) as session:
        await eventually(stalled.is_set, "the server stalling")

        async def stream() -> None:
            nonlocal sent
            with anyio.move_on_after(0.8):
                for _ in range(200):
                    await session.send_realtime_input(audio=chunk)
                    sent += 1

        async with anyio.create_task_group() as tg:
            tg.start_soon(stream)
        started = time.monotonic()
        with anyio.fail_after(4):
            await session.close()
        assert time.monotonic() - started < 2.5
    assert session.status is live_actor.SessionStatus.CLOSED
    ledger = session.ledger
    assert ledger.accepted >= sent > 0
    # Every accepted command has an outcome.
    assert ledger.sent + ledger.dropped >= ledger.accepted  # every command has an outcome


async def test_temporary_session_does_not_cut_its_own_connection_on_go_away(
    server: ForeignLiveServer,
) -> None:
    """``restart="temporary"`` never reconnects, so a goAway cannot lead to a
    rotation: closing the socket before the server's deadline only cuts the
    model's answer short.  The connection should live until the server ends it."""

    async def script(peer: Peer) -> None:
        await peer.handshake()
        await peer.expect("clientContent")
        await peer.send({"goAway": {"timeLeft": "1.5s"}}, label="goAway")
        try:
            for word in ("one ", "two ", "three ", "four ", "five "):
                await peer.send(text_part(word))
                await asyncio.sleep(0.2)
            await peer.send({"serverContent": {"turnComplete": True}})
        except Exception:  # the client hung up on us
            return
        if not await peer.wait_closed(0.5):
            await peer.close(1000, "")

    server.script = script
    async with open_on(server, restart="temporary") as session:
        await session.send_client_content("count to five")
        turn = await next_turn(session)
        assert turn.text == "one two three four five "
        assert not turn.interrupted
    assert server.peers[0].closed_by != "client" or (
        server.peers[0].closed_at is not None
        and server.peers[0].closed_at - server.peers[0].sent_at["goAway"] > 1.0
    )


async def test_fragmented_server_message(server: ForeignLiveServer) -> None:
    """RFC 6455 lets a server split one message into frames; it is still one message."""

    async def script(peer: Peer) -> None:
        await peer.handshake()
        await peer.expect("clientContent")
        await peer.ws.send(iter(['{"serverContent": {"modelTurn": {"role": "model", ',
                                 '"parts": [{"text": "frag',
                                 'mented"}]}}}']))
        await peer.ws.send(iter([b'{"serverContent": ', b'{"turnComplete": true}}']))

    server.script = script
    errors: list[Exception] = []
    async with open_on(server, on_error=errors.append) as session:
        await session.send_client_content("q")
        assert (await next_turn(session)).text == "fragmented"
    assert errors == []


@pytest.mark.parametrize("status", [400, 401, 404])
async def test_first_upgrade_refused_with_4xx_is_rejected(
    server: ForeignLiveServer, status: int
) -> None:
    """README: SetupRejectedError for an HTTP 4xx refusing the upgrade, with ``status``."""
    server.refuse_status = status
    with anyio.fail_after(5):
        with pytest.raises(live_actor.SetupRejectedError) as info:
            async with open_on(server):
                pytest.fail("open_session must not succeed")
    assert info.value.status == status
    await anyio.sleep(0.3)
    assert len(server.dials) == 1


async def test_first_upgrade_refused_with_503_is_a_connect_error(
    server: ForeignLiveServer,
) -> None:
    server.refuse_status = 503
    with anyio.fail_after(5):
        with pytest.raises(live_actor.ConnectError) as info:
            async with open_on(server):
                pytest.fail("open_session must not succeed")
    assert not isinstance(info.value, live_actor.SetupRejectedError)
    assert info.value.status == 503
    assert len(server.dials) == 1


async def test_auth_refusal_on_redial_is_fatal_and_keeps_the_handle(
    server: ForeignLiveServer,
) -> None:
    """README: 'fatal | ... HTTP 4xx | stop with SetupRejectedError, never loop'.

    An HTTP 403 at the upgrade says nothing about the resumption handle (the
    setup carrying it was never sent): it must not be taken for a rejected
    handle and answered with a fresh session that drops the conversation.
    """

    async def script(peer: Peer) -> None:
        await peer.handshake()
        if peer.index == 0:
            await peer.send(resumable("h1"))
            await asyncio.sleep(0.1)
            server.refusals = [403]
            peer.drop()
        else:
            await echo_turns(peer)

    server.script = script
    resumed: list[bool] = []
    gave_up: list[str] = []
    policy = live_actor.RestartPolicy(backoff_base=0.02, backoff_max=0.05)
    async with open_on(
        server,
        policy=policy,
        on_resumed=lambda r, rep, drop: resumed.append(r),
        on_gave_up=gave_up.append,
    ) as session:
        await eventually(lambda: bool(resumed or gave_up), "a resume or giving up", within=5)
        await anyio.sleep(0.3)
        assert resumed != [False], "the conversation was silently replaced by a fresh session"
        assert len(server.dials) == 2
        assert isinstance(session.error, live_actor.SetupRejectedError), repr(session.error)
        assert session.error.status == 403
        assert session.resumption_handle == "h1"


async def test_voice_activity_and_code_parts(server: ForeignLiveServer) -> None:
    """§7: voiceActivity (type + Duration offset, open enum), VAD signals, and
    code-execution / grounding content all decode and reach their callbacks."""

    async def script(peer: Peer) -> None:
        await peer.handshake()
        await peer.expect("realtimeInput")
        await peer.send({"voiceActivity": {"type": "ACTIVITY_START", "audioOffset": "1.250s"}})
        await peer.send({"voiceActivityDetectionSignal": {"vadSignalType": "VAD_SIGNAL_TYPE_SOS"}})
        await peer.send({"voiceActivity": {"type": "ACTIVITY_PAUSED", "audioOffset": "2s"}})
        await peer.send({"voiceActivity": {"type": "ACTIVITY_END", "audioOffset": "3.000000500s"}})
        await peer.send({"serverContent": {
            "interimInputTranscription": {"text": "what is two plus"},
            "inputTranscription": {"text": "what is two plus two", "finished": True},
        }})
        await peer.send({"serverContent": {"modelTurn": {"role": "model", "parts": [
            {"executableCode": {"language": "PYTHON", "code": "print(2 + 2)", "id": "x1"}},
            {"codeExecutionResult": {"outcome": "OUTCOME_OK", "output": "4\n", "id": "x1"}},
            {"text": "Four."},
        ]}}})
        await peer.send({"serverContent": {
            "groundingMetadata": {"webSearchQueries": ["2+2"], "groundingChunks": [
                {"web": {"uri": "https://example.com", "title": "ex"}}]},
            "urlContextMetadata": {"urlMetadata": [
                {"retrievedUrl": "https://example.com",
                 "urlRetrievalStatus": "URL_RETRIEVAL_STATUS_SUCCESS"}]},
            "generationComplete": True,
        }})
        await peer.send({"serverContent": {"turnComplete": True, "waitingForInput": True}})

    server.script = script
    activity: list[Any] = []
    errors: list[Exception] = []
    async with open_on(server, on_voice_activity=activity.append, on_error=errors.append) as s:
        await s.send_realtime_input(audio=b"\x00\x00" * 320)
        turn = await next_turn(s)
        assert turn.text == "Four."
        assert turn.input_transcription.endswith("what is two plus two")
        parts = [
            p
            for m in turn.messages
            if m.server_content is not None and m.server_content.model_turn is not None
            for p in m.server_content.model_turn.parts or ()
        ]
        code = next(p.executable_code for p in parts if p.executable_code is not None)
        assert code.code == "print(2 + 2)" and code.language == "PYTHON"
        result = next(p.code_execution_result for p in parts if p.code_execution_result)
        assert result.outcome == "OUTCOME_OK" and result.output == "4\n"
        grounding = next(
            m.server_content.grounding_metadata for m in turn.messages
            if m.server_content is not None and m.server_content.grounding_metadata is not None
        )
        assert grounding.web_search_queries == ("2+2",)
        await eventually(lambda: len(activity) >= 4, "four voice activity callbacks")
    assert errors == []
    starts = [a for a in activity if isinstance(a, live_actor.types.VoiceActivity)]
    assert [str(a.voice_activity_type) for a in starts] == [
        "ACTIVITY_START", "ACTIVITY_PAUSED", "ACTIVITY_END"]
    paused = starts[1].voice_activity_type
    assert paused is not None and paused.is_known is False
    assert starts[0].audio_offset == datetime.timedelta(seconds=1.25)
    assert starts[2].audio_offset == datetime.timedelta(seconds=3)
    signals = [a for a in activity if isinstance(a, live_actor.types.VoiceActivityDetectionSignal)]
    assert signals and signals[0].vad_signal_type == "VAD_SIGNAL_TYPE_SOS"


async def test_server_pings_and_unsolicited_pongs(server: ForeignLiveServer) -> None:
    """Control frames from the server (pings, stray pongs) never disturb the session
    nor its own keepalive."""

    async def script(peer: Peer) -> None:
        await peer.handshake()
        await peer.expect("clientContent")
        for n in range(5):
            await peer.ws.pong(b"stray-%d" % n)
            await peer.ws.ping(b"server-%d" % n)
            await peer.send(text_part(f"{n}"))
            await asyncio.sleep(0.1)
        await peer.send({"serverContent": {"turnComplete": True}})

    server.script = script
    transport = live_actor.TransportOptions(ping_interval=0.05, ping_timeout=1.0)
    reconnects: list[str] = []
    async with open_on(
        server,
        options=live_actor.SessionOptions(transport=transport),
        on_reconnecting=lambda a, d, cause: reconnects.append(cause),
    ) as session:
        await session.send_client_content("count")
        assert (await next_turn(session)).text == "01234"
        assert reconnects == []
        assert session.connection_number == 1


async def test_usage_riding_on_other_message_kinds(server: ForeignLiveServer) -> None:
    """§7: usageMetadata may ride on any message ("handle every present field"):
    one snapshot per turn, on a toolCall or on a trailing resumption update, is
    counted once."""

    async def script(peer: Peer) -> None:
        await peer.handshake()
        await peer.expect("clientContent")
        await peer.send({
            "toolCall": {"functionCalls": [{"id": "c1", "name": "f", "args": {}}]},
            "usageMetadata": {"promptTokenCount": 4, "totalTokenCount": 6,
                              "toolUsePromptTokenCount": 2},
        })
        await peer.expect("toolResponse")
        await peer.say("one")
        await peer.expect("clientContent")
        await peer.say("two")
        await peer.send({
            "sessionResumptionUpdate": {"newHandle": "h1", "resumable": True},
            "usageMetadata": {"promptTokenCount": 5, "responseTokenCount": 3,
                              "thoughtsTokenCount": 1, "totalTokenCount": 9},
        })

    server.script = script
    updates: list[Any] = []
    async with open_on(
        server, on_tool_call=lambda call: {"ok": True}, on_session_resumption=updates.append
    ) as session:
        await session.send_client_content("first")
        assert (await next_turn(session)).text == "one"
        await session.send_client_content("second")
        assert (await next_turn(session)).text == "two"
        await eventually(lambda: bool(updates), "the trailing update")
        assert session.resumption_handle == "h1"
    usage = session.usage
    assert usage.total_token_count == 15
    assert usage.prompt_token_count == 9
    assert usage.tool_use_prompt_token_count == 2
    assert usage.thoughts_token_count == 1
    assert usage.response_token_count == 3


async def test_barge_in_after_generation_complete(server: ForeignLiveServer) -> None:
    """§7.1: generationComplete may precede the end of play-out; a barge-in then
    gives generationComplete -> interrupted -> turnComplete.  The user's speech
    transcript arrives on its own schedule, after that turnComplete."""

    async def script(peer: Peer) -> None:
        await peer.handshake()
        await peer.expect("clientContent")
        await peer.send(text_part("a long answer"))
        await peer.send({"serverContent": {"generationComplete": True}})
        await peer.send({"serverContent": {"interrupted": True}})
        await peer.send({"serverContent": {"turnComplete": True}})
        await peer.send({"serverContent": {"inputTranscription": {"text": "stop"}}})
        await peer.send({"serverContent": {"inputTranscription": {"text": " please",
                                                                  "finished": True}}})
        await peer.say("ok, stopping")

    server.script = script
    transcripts: list[tuple[str, str | None]] = []
    async with open_on(
        server, on_transcription=lambda kind, t: transcripts.append((kind, t.text))
    ) as session:
        await session.send_client_content("talk")
        first = await next_turn(session)
        assert first.text == "a long answer"
        assert first.interrupted and not first.connection_lost
        second = await next_turn(session)
        assert second.text == "ok, stopping"
        assert not second.interrupted
        assert second.input_transcription == "stop please"
        await eventually(lambda: len(transcripts) >= 2, "the transcription callbacks")
    assert transcripts == [("input", "stop"), ("input", " please")]


async def test_close_without_the_servers_reply_does_not_claim_delivery(
    server: ForeignLiveServer,
) -> None:
    """README: close() 'sends what you already handed over before closing with 1000;
    anything it could not send ... is counted as dropped, and anything sent on a
    connection that died and not yet replayed in ledger.unconfirmed_at_close:
    never silently lost'.

    The server stops reading right after setupComplete, so it provably never reads
    the three messages nor the close frame; the close handshake times out and the
    socket is aborted.  Those messages must not be counted as delivered.
    """
    stalled = threading.Event()

    async def script(peer: Peer) -> None:
        await peer.handshake()
        peer.ws.transport.pause_reading()
        stalled.set()

    server.script = script
    transport = live_actor.TransportOptions(close_timeout=0.3, ping_interval=None)
    options = live_actor.SessionOptions(transport=transport, shutdown_timeout=0.3)
    async with open_on(server, options=options) as session:
        await eventually(stalled.is_set, "the server stalling")
        for text in ("one", "two", "three"):
            await session.send_client_content(text, turn_complete=False)
        with anyio.fail_after(4):
            await session.close()
    assert len(server.peers[0].frames) == 1  # only the setup was ever read
    ledger = session.ledger
    assert ledger.accepted == 3
    assert ledger.unconfirmed_at_close + ledger.dropped >= 3, ledger


# ------------------------------------------------------------ our own closes (issue 10)


async def _write_invalid_utf8_text_frame(peer: Peer) -> None:
    """A text frame whose payload is not UTF-8: the client's library closes with 1007."""
    peer.ws.transport.write(b"\x81\x02\xff\xfe")


async def test_invalid_utf8_mid_session_is_our_close_and_transient(
    server: ForeignLiveServer,
) -> None:
    """Issue 10 item 1: the client's own 1007 is not the server rejecting the session."""

    async def script(peer: Peer) -> None:
        await peer.handshake()
        if peer.index == 0:
            await peer.send(resumable("h1"))
            await peer.expect("clientContent")
            await _write_invalid_utf8_text_frame(peer)
            await asyncio.sleep(1)
        else:
            await echo_turns(peer)

    server.script = script
    errors: list[Exception] = []
    async with open_on(server, on_error=errors.append) as session:
        await session.send_client_content("hello")
        await eventually(lambda: len(server.peers) == 2, "a resume")
        await session.send_client_content("still here?")
        with anyio.fail_after(5):
            while (await session.receive_turn()).text != "echo:still here?":
                pass
        assert session.error is None
    assert (await setup_sent(server, 1))["sessionResumption"]["handle"] == "h1"
    assert not any(isinstance(e, live_actor.SetupRejectedError) for e in errors)


async def test_invalid_utf8_during_a_resuming_setup_keeps_the_handle(
    server: ForeignLiveServer,
) -> None:
    """Issue 10 item 1: during a resuming setup our own 1007 must not throw the valid
    handle away (no fresh session replaces the conversation)."""

    async def script(peer: Peer) -> None:
        if peer.index == 0:
            await peer.handshake()
            await peer.send(resumable("h1"))
            await asyncio.sleep(0.05)
            peer.drop()
        elif peer.index == 1:
            await peer.recv()  # the resuming setup
            await _write_invalid_utf8_text_frame(peer)
            await asyncio.sleep(1)
        else:
            await peer.handshake()
            await echo_turns(peer)

    server.script = script
    resumed: list[bool] = []
    async with open_on(server, on_resumed=lambda r, *_: resumed.append(r)) as session:
        await eventually(lambda: bool(resumed), "a resume", within=5)
        assert resumed == [True]
        assert session.error is None
    assert [setup_of(peer)["sessionResumption"].get("handle") for peer in server.peers] == [
        None,
        "h1",
        "h1",
    ]


async def test_a_message_too_big_for_the_server_is_dropped_after_one_retry(
    server: ForeignLiveServer,
) -> None:
    """Issue 10 item 11: a message the server refuses with 1009 is not replayed forever."""

    async def script(peer: Peer) -> None:
        await peer.handshake()
        await peer.send(resumable(f"h{peer.index}"))
        while True:
            message = await peer.expect("clientContent", within=30)
            if client_text(message).startswith("BIG"):
                await peer.close(1009, "Message too big")
                return
            await peer.say("echo:" + client_text(message))

    server.script = script
    async with open_on(server) as session:
        big = await session.send_client_content("BIG " + "x" * 200_000, turn_complete=False)
        await eventually(lambda: len(server.peers) == 3, "two reconnects", within=10)
        await session.wait_ready()
        await session.send_client_content("small")
        with anyio.fail_after(5):
            assert (await session.receive_turn()).text == "echo:small"
        assert big.outcome == "dropped"
        assert big.drop_reason is not None and "too big" in big.drop_reason
        assert session.error is None
    assert not any(
        client_text(m).startswith("BIG") for m in server.peers[2].of_kind("clientContent")
    )


async def test_a_rejected_handle_storm_is_charged_and_ends(server: ForeignLiveServer) -> None:
    """Issue 10 item 8: a rejected handle falling back to a fresh session is charged:
    a server that refuses every resume and drops every fresh session cannot make the
    client loop."""

    async def script(peer: Peer) -> None:
        setup = await peer.recv()
        if (setup["setup"].get("sessionResumption") or {}).get("handle"):
            await peer.close(1008, "Session resumption handle is invalid or has expired.")
            return
        await peer.send({"setupComplete": {}})
        await peer.send(resumable(f"h{peer.index}"))
        await asyncio.sleep(0.05)
        peer.drop()

    server.script = script
    policy = live_actor.RestartPolicy(max_restarts=3, period=60, backoff_base=0.01)
    async with open_on(server, policy=policy) as session:
        with anyio.fail_after(10):
            await session.wait_closed()
        assert isinstance(session.error, live_actor.GaveUpError)
    assert len(server.dials) <= 5  # the first, then 3 charged restarts (+ the one refused)
