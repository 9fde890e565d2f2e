"""A send cancelled while the socket is full never leaves a torn frame on the wire."""

from __future__ import annotations

import json

import anyio
import pytest
import sniffio

from live_actor._transport import TransportClosed, TransportOptions, open_transport
from live_actor.testing import FakeLiveServer

pytestmark = pytest.mark.anyio

SETUP = json.dumps({"setup": {"model": "models/gemini-live-2.5-flash-preview"}})


async def test_cancelled_blocked_send() -> None:
    server = FakeLiveServer(chunk_delay=0, close_timeout=0.2).start()
    try:
        options = TransportOptions(close_timeout=0.3)
        headers = {"x-goog-api-key": "k"}
        async with open_transport(server.live_url(), headers, options) as transport:
            await transport.send(SETUP)
            await transport.receive()
            (await server.wait_for_connection()).stall(5)
            big = json.dumps({"realtimeInput": {"text": "x" * 2_000_000}})
            with anyio.move_on_after(1.0) as scope:
                while True:  # fills the socket buffers until a send blocks
                    await transport.send(big)
            assert scope.cancelled_caught
            if sniffio.current_async_library() == "trio":
                # part of a frame may be on the wire: the connection is dropped
                with pytest.raises(TransportClosed) as closed:
                    await transport.send("{}")
                assert closed.value.local and closed.value.code == 1011
            # asyncio (websockets) buffers whole frames: nothing is torn, nothing to check
    finally:
        server.stop()
