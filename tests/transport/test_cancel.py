"""Cancelling a sender never tears a frame and never costs a healthy connection.

A send waits for room in the write buffer *before* it hands its frame over: the
trio transport's writer task (never cancelled by callers) writes what was handed
over, ``websockets`` (asyncio) buffers whole frames.  So a sender blocked by a peer
that stops reading can be cancelled without harm, and its frame is not sent.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pytest

from live_actor._transport import Transport, TransportOptions, open_transport
from live_actor.testing import FakeLiveServer

pytestmark = pytest.mark.anyio

SETUP = json.dumps({"setup": {"model": "models/gemini-live-2.5-flash-preview"}})
HEADERS = {"x-goog-api-key": "k"}
# Video frames are cheap for the fake server to take in (no VAD, no model turn).
BIG_DATA = base64.b64encode(b"\xff\xd8" + bytes(1_500_000)).decode()
BIG = json.dumps({"realtimeInput": {"video": {"mimeType": "image/jpeg", "data": BIG_DATA}}})


async def _fill_until_blocked(transport: Transport, seconds: float) -> int:
    """Send big frames until one blocks past ``seconds``; returns frames completed."""
    sent = 0
    with anyio.move_on_after(seconds) as scope:
        while True:
            await transport.send(BIG)
            sent += 1
    assert scope.cancelled_caught
    return sent


async def _arrived(conn: Any, text: str, seconds: float) -> None:
    with anyio.fail_after(seconds):
        while not any(e.text == text for e in conn.received):  # noqa: ASYNC110 - polls a thread
            await anyio.sleep(0.02)


@pytest.fixture
def server() -> Iterator[FakeLiveServer]:
    fake = FakeLiveServer(chunk_delay=0, close_timeout=0.2).start()
    try:
        yield fake
    finally:
        fake.stop()


@asynccontextmanager
async def _ready(server: FakeLiveServer) -> AsyncIterator[tuple[Transport, Any]]:
    """A transport past setup, and the server's view of its connection."""
    options = TransportOptions(close_timeout=0.3)
    async with open_transport(server.live_url(), HEADERS, options) as transport:
        await transport.send(SETUP)
        await transport.receive()
        yield transport, await server.wait_for_connection()


async def test_cancelled_send_hands_nothing_over_and_keeps_the_connection(
    server: FakeLiveServer,
) -> None:
    async with _ready(server) as (transport, conn):
        conn.stall(1.5)
        sent = await _fill_until_blocked(transport, 0.5)
        # The blocked frame was never handed over: the connection is healthy,
        # every frame whose send returned arrived whole, and nothing more.
        await transport.send(json.dumps({"realtimeInput": {"text": "after"}}))
        await _arrived(conn, "after", 10)
        kinds = [e.kind for e in conn.received]
        assert kinds[-1] == "realtimeInput.text"
        frames = [e for e in conn.received if e.kind == "realtimeInput.video"]
        assert len(frames) == sent  # the cancelled one left nothing behind
        assert conn.video_frames == sent  # decoded whole: nothing torn
        assert transport.close_code is None


async def test_already_cancelled_send_still_sends_whole(server: FakeLiveServer) -> None:
    async with _ready(server) as (transport, conn):
        with anyio.CancelScope() as scope:
            scope.cancel()
            await transport.send(json.dumps({"realtimeInput": {"text": "in a cancelled scope"}}))
        await transport.send(json.dumps({"realtimeInput": {"text": "next"}}))
        await _arrived(conn, "next", 5)
        texts = [e.text for e in conn.received if e.text is not None]
        # With room in the buffer a send does not suspend, so even a cancelled
        # scope does not stop it: it is sent whole, on both backends.
        assert texts == ["in a cancelled scope", "next"]
        assert transport.close_code is None


async def test_close_flushes_what_was_sent(server: FakeLiveServer) -> None:
    async with _ready(server) as (transport, conn):
        for i in range(200):
            await transport.send(json.dumps({"realtimeInput": {"text": f"t{i}"}}))
        # A budget that a loaded 2-core machine meets (the 0.3 s of _ready may not be).
        await transport.aclose(1000, close_timeout=10.0)
    with anyio.fail_after(5):
        while conn.state == "open":  # noqa: ASYNC110 - polls a thread
            await anyio.sleep(0.02)
    assert [e.text for e in conn.received if e.text] == [f"t{i}" for i in range(200)]
