"""Frames handed straight to the socket stay whole and in order (trio transports).

On plain TCP the trio transports write a frame at once when nothing is queued
(``WatchedStream.write_now``, ``TrioSansIOTransport._queue_output``); what the
socket does not take is written by the writer task before anything else.  A
slow reader makes that happen often: every frame must still arrive intact, in
order, with keepalive pings and pongs interleaved and the socket's buffer full
again and again.  Runs on every backend (the asyncio one as the reference).
"""

from __future__ import annotations

import anyio
import pytest

from live_actor.transports import TransportOptions, open_transport

from ._loopback import HEADERS, loopback_server

pytestmark = pytest.mark.anyio

OPTIONS = TransportOptions(
    connect_timeout=5.0,
    close_timeout=0.2,  # the clogged server does not read the close: do not wait for it
    ping_interval=0.02,  # pings (and the server's pongs) between the frames
    ping_timeout=10.0,
    stall_timeout=10.0,
    write_buffer_size=256 * 1024,
)


def _frame(number: int) -> bytes:
    """Frames of very different sizes, each recognisable whole."""
    size = (1, 100, 5_000, 30_000, 100_000)[number % 5]
    head = number.to_bytes(4, "big")
    return head + bytes([number % 251]) * size + head


async def test_frames_written_directly_arrive_whole_and_in_order() -> None:
    count = 60
    total = count + len(range(0, count, 10))  # the frames and the text messages
    async with (
        loopback_server(clogged=True) as server,
        open_transport(server.url(), HEADERS, OPTIONS) as transport,
    ):
        peer = await server.accept()
        received: list[bytes] = []

        async def slow_reader() -> None:
            for index in range(total):
                message = await peer.receive()
                received.append(message.encode() if isinstance(message, str) else message)
                if index % 3 == 0:
                    await anyio.sleep(0.01)  # the socket's buffer fills meanwhile

        with anyio.fail_after(60):
            async with anyio.create_task_group() as tg:
                tg.start_soon(slow_reader)
                for number in range(count):
                    await transport.send(_frame(number))
                    if number % 10 == 0:
                        await transport.send(f"text {number}")  # a text frame too
        texts = [m for m in received if m.startswith(b"text")]
        frames = [m for m in received if not m.startswith(b"text")]
        assert frames == [_frame(number) for number in range(count)]
        assert texts == [f"text {number}".encode() for number in range(0, count, 10)]
        assert transport.close_code is None
