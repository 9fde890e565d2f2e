"""Fault injection, fault plans, the ledger, waiting helpers, load."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import anyio
import pytest

from live_actor.testing import FakeLiveServer, FaultPlan, silence, speech

from ._wsclient import Closed, connect, texts

pytestmark = pytest.mark.anyio
TEXT: dict[str, Any] = {"generationConfig": {"responseModalities": ["TEXT"]}}


async def test_drop_is_1006(server: FakeLiveServer) -> None:
    async with connect(server.live_url()) as ws:
        await ws.setup()
        conn = await server.wait_for_connection()
        conn.drop()
        closed = await ws.closed()
    assert closed.code == 1006
    await server.wait_closed(conn)
    assert conn.closed_by == "drop"
    assert server.faults[0].kind == "drop" and not server.faults[0].planned


async def test_close_with_code(server: FakeLiveServer) -> None:
    async with connect(server.live_url()) as ws:
        await ws.setup()
        (await server.wait_for_connection()).close()
        closed = await ws.closed()
        assert (closed.code, closed.reason) == (1011, "Internal error occurred.")
    async with connect(server.live_url()) as ws:
        await ws.setup()
        (await server.wait_for_connection(2)).close(1008, "Requested entity was not found.")
        closed = await ws.closed()
        assert (closed.code, closed.reason) == (1008, "Requested entity was not found.")


async def test_stall_delays_everything(server: FakeLiveServer) -> None:
    async with connect(server.live_url()) as ws:
        await ws.setup(**TEXT)
        conn = await server.wait_for_connection()
        conn.stall(0.3)
        start = time.monotonic()
        await ws.send({"realtimeInput": {"text": "hi"}})
        await ws.turn()
        assert time.monotonic() - start >= 0.25


async def test_send_raw_and_json(server: FakeLiveServer) -> None:
    async with connect(server.live_url()) as ws:
        await ws.setup()
        conn = await server.wait_for_connection()
        conn.send_raw("not json")
        assert await ws.recv_frame() == "not json"
        conn.send_raw(b"\x00\x01")
        assert await ws.recv_frame() == b"\x00\x01"
        conn.send_json({"goAway": {"timeLeft": "5s"}})
        assert await ws.recv() == {"goAway": {"timeLeft": "5s"}}
        conn.send_raw(b"\x8f\x05hello", raw_tcp=True)  # reserved opcode: malformed frame
        with pytest.raises(Closed) as info:
            await ws.recv_frame()
        assert info.value.code in (1002, 1006)
    conn.sent.clear()  # the injected goAway was deliberate; keep the validator quiet


async def test_wait_for_predicate_and_sync_forms(server: FakeLiveServer) -> None:
    async with connect(server.live_url()) as ws:
        await ws.setup(**TEXT)
        await ws.send({"realtimeInput": {"text": "one"}})
        session = (await server.wait_for_connection()).session
        assert session is not None
        with anyio.fail_after(5):
            entry = await server.wait_for(
                lambda: next((e for e in session.received if e.text == "one"), None)
            )
        assert entry.index == 1
        await ws.turn()
        assert (
            await anyio.to_thread.run_sync(server.wait_for_connection_sync)
            is session.connections[0]
        )


async def test_ledger_control_messages_in_order(server: FakeLiveServer) -> None:
    async with connect(server.live_url()) as ws:
        await ws.setup(
            **TEXT, realtimeInputConfig={"automaticActivityDetection": {"disabled": True}}
        )
        await ws.send({"realtimeInput": {"activityStart": {}}})
        await ws.send({"realtimeInput": {"audio": {"data": "AAAA", "mimeType": "audio/pcm"}}})
        await ws.send({"realtimeInput": {"activityEnd": {}}})
        await ws.turn()
        await ws.text_turn("b")
    session = server.sessions[0]
    assert [(e.index, e.kind, e.is_control) for e in session.received] == [
        (0, "setup", False),
        (1, "realtimeInput.activityStart", True),
        (2, "realtimeInput.audio", False),
        (3, "realtimeInput.activityEnd", True),
        (4, "clientContent", True),
    ]
    assert server.ledger(session.id) == session.received
    assert session.received[1].message == {"realtimeInput": {"activityStart": {}}}


def test_fault_plan_is_deterministic() -> None:
    plan = FaultPlan(seed=7, drop_rate=0.1, error_1011_rate=0.1, go_away_rate=0.1, stall_rate=0.1)

    def run(n: int) -> list[tuple[str, float] | None]:
        rng = plan.rng(n)
        return [plan.draw(rng) for _ in range(50)]

    draws = [run(1), run(2)]
    again = [run(1), run(2)]
    assert draws == again and draws[0] != draws[1]
    kinds = {d[0] for d in draws[0] + draws[1] if d}
    assert kinds == {"drop", "1011", "go_away", "stall"}


@pytest.mark.parametrize(("rate", "code"), [("drop_rate", 1006), ("error_1011_rate", 1011)])
async def test_fault_plan_applies_per_message(
    make_server: Callable[..., FakeLiveServer], rate: str, code: int
) -> None:
    server = make_server(fault_plan=FaultPlan(seed=1, grace_messages=2, **{rate: 1.0}))
    async with connect(server.live_url()) as ws:
        await ws.setup(**TEXT)
        for text in ("a", "b"):  # protected by grace_messages
            await ws.send({"realtimeInput": {"text": text}})
            await ws.turn()
        await ws.send({"realtimeInput": {"text": "c"}})
        closed = await ws.closed()
    assert closed.code == code
    assert [f.planned for f in server.faults] == [True]
    # the message that triggered the fault was consumed first
    assert server.sessions[0].control_texts() == ["a", "b", "c"]


async def test_fault_plan_interval(make_server: Callable[..., FakeLiveServer]) -> None:
    server = make_server(fault_plan=FaultPlan(seed=3, go_away_rate=1.0, interval=0.1, max_faults=1))
    async with connect(server.live_url()) as ws:
        await ws.setup()
        msg = await ws.recv()
        assert "goAway" in msg
        assert (await ws.closed()).code == 1000


async def test_set_fault_plan_at_runtime(server: FakeLiveServer) -> None:
    async with connect(server.live_url()) as ws:
        await ws.setup(**TEXT)
        await ws.text_turn("fine")
        server.set_fault_plan(FaultPlan(seed=2, drop_rate=1.0))
        await ws.send({"realtimeInput": {"text": "boom"}})
        assert (await ws.closed()).code == 1006
    server.set_fault_plan(None)
    assert server.fault_plan is None


async def test_chaos_fifty_sessions(make_server: Callable[..., FakeLiveServer]) -> None:
    """50 concurrent sessions under a fault plan; clients resume until 3 turns succeed."""
    server = make_server(
        fault_plan=FaultPlan(seed=11, drop_rate=0.05, error_1011_rate=0.05, grace_messages=1),
        record_sent=False,
    )
    done: list[int] = []

    async def client(n: int) -> None:
        handle: str | None = None
        turns = 0
        while turns < 3:
            try:
                async with connect(server.live_url()) as ws:
                    resumption = {"handle": handle} if handle else {}
                    await ws.setup(sessionResumption=resumption, **TEXT)
                    while turns < 3:
                        await ws.send({"realtimeInput": {"text": f"client {n} turn {turns}"}})
                        msgs = await ws.turn()
                        msgs += await ws.recv_until(
                            lambda m: (
                                "sessionResumptionUpdate" in m
                                and m["sessionResumptionUpdate"]["resumable"]
                            )
                        )
                        assert f"client {n} turn {turns}" in texts(msgs)
                        handle = msgs[-1]["sessionResumptionUpdate"]["newHandle"]
                        turns += 1
            except Closed:
                continue
        done.append(n)

    with anyio.fail_after(30):
        async with anyio.create_task_group() as tg:
            for n in range(50):
                tg.start_soon(client, n)
    assert len(done) == 50
    assert len(server.sessions) == 50
    assert any(f.planned for f in server.faults)


async def test_fast_audio_stream_throughput(server: FakeLiveServer) -> None:
    """A client pushing 20 ms chunks as fast as it can (60 s of audio)."""
    chunk = json.dumps(
        {"realtimeInput": {"audio": {"data": "AAAA" * 214, "mimeType": "audio/pcm;rate=16000"}}}
    )
    async with connect(server.live_url()) as ws:
        await ws.setup(
            realtimeInputConfig={"automaticActivityDetection": {"silenceDurationMs": 100}}
        )
        start = time.monotonic()
        for _ in range(3000):
            await ws.send_raw(chunk)
        pcm = speech("end") + silence(200)
        await ws.send({"realtimeInput": {"audio": {"data": _b64(pcm), "mimeType": "audio/pcm"}}})
        await ws.turn()
        elapsed = time.monotonic() - start
    assert server.connections[0].audio_seconds > 59
    assert elapsed < 15


def _b64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode()


async def test_ledger_media_stripped_and_handles_bounded(
    make_server: Callable[..., FakeLiveServer],
) -> None:
    server = make_server(max_handles=1)
    async with connect(server.live_url()) as ws:
        await ws.setup(sessionResumption={}, **TEXT)
        first = (await ws.recv())["sessionResumptionUpdate"]["newHandle"]
        await ws.send({"realtimeInput": {"audio": {"data": "AAAAAA==", "mimeType": "audio/pcm"}}})
        await ws.text_turn("x")
        await ws.recv()
    session = server.sessions[0]
    assert session.received[1].message == {
        "realtimeInput": {"audio": {"mimeType": "audio/pcm", "byteCount": 4}}
    }
    assert len(session.handles) == 1  # only the newest stays valid
    with pytest.raises(KeyError):
        server.session_for_handle(first)
    assert server.session_for_handle(session.handles[-1]) is session


async def test_stop_closes_open_connections_with_1001() -> None:
    server = FakeLiveServer(chunk_delay=0).start()
    try:
        async with connect(server.live_url()) as ws:
            await ws.setup()
            await anyio.to_thread.run_sync(server.stop)
            closed = await ws.closed()
    finally:
        server.stop()
    assert (closed.code, closed.reason) == (1001, "Server shutting down.")
