"""Session management: resumption, handles, transparent indices, goAway, limits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
import pytest
import trio.testing

from live_actor.testing import FakeLiveServer

from ._wsclient import Client, connect, texts

pytestmark = pytest.mark.anyio
TEXT: dict[str, Any] = {"generationConfig": {"responseModalities": ["TEXT"]}}


async def next_handle(ws: Client) -> str:
    msgs = await ws.recv_until(
        lambda m: m.get("sessionResumptionUpdate", {}).get("resumable") is True
    )
    handle: str = msgs[-1]["sessionResumptionUpdate"]["newHandle"]
    return handle


async def test_updates_and_resume_restores_facts(server: FakeLiveServer) -> None:
    async with connect(server.live_url()) as ws:
        await ws.setup(sessionResumption={}, **TEXT)
        first = await ws.recv()
        assert first["sessionResumptionUpdate"]["resumable"] is True
        await ws.send({"realtimeInput": {"text": "my name is Alice"}})
        msgs = await ws.turn()
        assert msgs[0] == {"sessionResumptionUpdate": {}}  # dev profile: busy = {}
        handle = await next_handle(ws)
    session = server.session_for_handle(handle)
    assert session.id == "session-1"
    async with connect(server.live_url()) as ws:
        assert await ws.setup(sessionResumption={"handle": handle}, **TEXT) == {"setupComplete": {}}
        await next_handle(ws)
        assert texts(await ws.text_turn("what is my name?")) == "Your name is Alice."
    assert len(server.sessions) == 1
    conns = session.connections
    assert [c.connection_in_session for c in conns] == [1, 2]
    assert all(c.session_id == "session-1" for c in conns)
    entries = [(e.connection, e.index, e.kind) for e in session.received]
    assert entries == [
        (1, 0, "setup"),
        (1, 1, "realtimeInput.text"),
        (2, 0, "setup"),
        (2, 1, "clientContent"),
    ]
    assert session.control_texts() == ["my name is Alice", "what is my name?"]


async def test_resume_from_older_handle_forgets_later_input(server: FakeLiveServer) -> None:
    async with connect(server.live_url()) as ws:
        await ws.setup(sessionResumption={}, **TEXT)
        old = await next_handle(ws)
        await ws.text_turn("my name is Carol")
        await next_handle(ws)
    session = server.session_for_handle(old)
    async with connect(server.live_url()) as ws:
        await ws.setup(sessionResumption={"handle": old}, **TEXT)
        assert texts(await ws.text_turn("what is my name")) == "I don't know your name."
    # received keeps everything; consumed is the lineage of the current state
    assert [e.text for e in session.received if e.text] == ["my name is Carol", "what is my name"]
    assert session.control_texts() == ["what is my name"]


@pytest.mark.parametrize("handle", ["no-such-handle", "expired"])
async def test_bad_handle_closes_1008(
    make_server: Callable[..., FakeLiveServer], handle: str
) -> None:
    server = make_server(handle_ttl=0.2)
    if handle == "expired":
        async with connect(server.live_url()) as ws:
            await ws.setup(sessionResumption={})
            handle = await next_handle(ws)
        await anyio.sleep(0.3)
    async with connect(server.live_url()) as ws:
        await ws.send(
            {
                "setup": {
                    "model": "models/gemini-2.0-flash-exp",
                    "sessionResumption": {"handle": handle},
                }
            }
        )
        closed = await ws.closed()
    assert (closed.code, closed.reason) == (
        1008,
        "Session resumption handle is invalid or has expired.",
    )


async def test_resume_while_old_socket_open_is_1011(server: FakeLiveServer) -> None:
    async with connect(server.live_url()) as old:
        await old.setup(sessionResumption={}, **TEXT)
        handle = await next_handle(old)
        async with connect(server.live_url()) as new:
            await new.send(
                {
                    "setup": {
                        "model": "models/gemini-2.0-flash-exp",
                        "sessionResumption": {"handle": handle},
                    }
                }
            )
            closed = await new.closed()
        assert (closed.code, closed.reason) == (1011, "Internal error occurred.")
        # the old connection is unaffected
        await old.send({"realtimeInput": {"text": "still here"}})
        assert "still here" in texts(await old.turn())


async def test_transparent_carries_last_consumed_index(server: FakeLiveServer) -> None:
    async with connect(server.vertex_url(), {"Authorization": "Bearer t"}, key=None) as ws:
        await ws.setup(
            "publishers/google/models/gemini-live-2.5-flash",
            sessionResumption={"transparent": True},
            **TEXT,
        )
        first = await ws.recv()
        assert first["sessionResumptionUpdate"]["lastConsumedClientMessageIndex"] == "0"
        await ws.send({"realtimeInput": {"text": "one"}})
        await ws.send({"realtimeInput": {"audio": {"data": "AAAA", "mimeType": "audio/pcm"}}})
        msgs = await ws.turn()
        msgs += await ws.recv_until(lambda m: m.get("sessionResumptionUpdate", {}).get("resumable"))
        handle = msgs[-1]["sessionResumptionUpdate"]["newHandle"]
        assert msgs[-1]["sessionResumptionUpdate"]["lastConsumedClientMessageIndex"] in ("1", "2")
    async with connect(server.vertex_url(), {"Authorization": "Bearer t"}, key=None) as ws:
        await ws.setup(
            "publishers/google/models/gemini-live-2.5-flash",
            sessionResumption={"transparent": True, "handle": handle},
            **TEXT,
        )
        again = await ws.recv()
        # setup is index 0 on every connection
        assert again["sessionResumptionUpdate"]["lastConsumedClientMessageIndex"] == "0"


@pytest.mark.parametrize("cut", ["close", "drop"])
async def test_lifetime_go_away_then_cut(
    make_server: Callable[..., FakeLiveServer], cut: str
) -> None:
    server = make_server(connection_lifetime=0.6, go_away_notice=0.4, go_away_cut=cut)
    async with connect(server.live_url()) as ws:
        await ws.setup()
        go_away = await ws.recv()
        assert go_away == {"goAway": {"timeLeft": "0.400s"}}
        with anyio.fail_after(3):
            closed = await ws.closed()
    assert closed.code == (1000 if cut == "close" else 1006)
    conn = server.connections[0]
    assert conn.go_away_sent and conn.closed_by == ("server" if cut == "close" else "drop")


async def test_session_duration_limit(make_server: Callable[..., FakeLiveServer]) -> None:
    server = make_server(session_limit_audio=0.3, connection_lifetime=None)
    async with connect(server.live_url()) as ws:
        await ws.setup(sessionResumption={})
        handle = await next_handle(ws)
        with anyio.fail_after(3):
            closed = await ws.closed()
    assert (closed.code, closed.reason) == (1008, "Session duration limit exceeded.")
    async with connect(server.live_url()) as ws:
        await ws.send(
            {
                "setup": {
                    "model": "models/gemini-2.0-flash-exp",
                    "sessionResumption": {"handle": handle},
                }
            }
        )
        assert (await ws.closed()).code == 1008


async def test_video_limit_and_compression(make_server: Callable[..., FakeLiveServer]) -> None:
    server = make_server(session_limit_audio=30, session_limit_video=0.3, connection_lifetime=None)
    video = {"realtimeInput": {"video": {"data": "AAAA", "mimeType": "image/jpeg"}}}
    async with connect(server.live_url()) as compressed, connect(server.live_url()) as plain:
        await compressed.setup(
            contextWindowCompression={"slidingWindow": {}, "trigger_tokens": "1000"}, **TEXT
        )
        await plain.setup()
        await compressed.send(video)
        await plain.send(video)
        with anyio.fail_after(3):
            assert (await plain.closed()).code == 1008
        await compressed.send({"realtimeInput": {"text": "alive"}})
        assert "alive" in texts(await compressed.turn())


async def test_manual_go_away_and_usage(server: FakeLiveServer) -> None:
    async with connect(server.live_url()) as ws:
        await ws.setup(**TEXT)
        await ws.text_turn("a b c")
        conn = await server.wait_for_connection()
        conn.go_away(0.2)
        assert await ws.recv() == {"goAway": {"timeLeft": "0.200s"}}
        assert (await ws.closed()).code == 1000
    assert conn.usage["turns"] == 1 and conn.usage["totalTokenCount"] > 0


def test_virtual_time_with_mock_clock() -> None:
    """A 10-minute connection lifetime in milliseconds of real time."""
    clock = trio.testing.MockClock()
    with FakeLiveServer(chunk_delay=0, clock=clock, close_timeout=0.2) as server:

        async def client() -> None:
            async with connect(server.live_url()) as ws:
                await ws.setup()
                t0 = server.current_time()
                server.advance_time(540)
                assert await ws.recv() == {"goAway": {"timeLeft": "60s"}}
                server.advance_time(60)
                assert (await ws.closed()).code == 1000
                assert server.current_time() - t0 == pytest.approx(600)

        anyio.run(client)
