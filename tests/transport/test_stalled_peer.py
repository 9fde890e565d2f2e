"""A peer that stops reading: detected, bounded in time, bounded in memory (issue 10, 7/9/10).

The server here accepts the upgrade and then reads nothing, so our writes fill the
kernel buffers and then the transport's write buffer.  Each test runs on asyncio
(websockets) and trio (trio-websocket).
"""

from __future__ import annotations

import gc
import tracemalloc

import anyio
import pytest

from live_actor.transports import Transport, TransportClosed, TransportOptions, open_transport

from ._loopback import HEADERS, loopback_server

pytestmark = pytest.mark.anyio

FRAME = b"\x01" * (256 * 1024)
STALLED = TransportOptions(
    connect_timeout=5.0,
    close_timeout=0.5,
    ping_interval=None,
    stall_timeout=0.5,
    write_buffer_size=64 * 1024,
)


async def _fill(transport: Transport) -> int:
    """Send until a send waits for room; cancel it there.  Returns sends completed."""
    sent = 0
    scope = anyio.CancelScope()

    async def sender() -> None:
        nonlocal sent
        with scope:
            while True:
                await transport.send(FRAME)
                sent += 1

    async with anyio.create_task_group() as tg:
        tg.start_soon(sender)
        last = -1
        while sent != last:
            last = sent
            await anyio.wait_all_tasks_blocked()
        scope.cancel()
    return sent


async def test_a_peer_that_stops_reading_is_a_local_1011_within_stall_timeout() -> None:
    async with (
        loopback_server(clogged=True) as server,
        open_transport(server.url(), HEADERS, STALLED) as transport,
    ):
        await server.accept()
        await transport.send(FRAME * 32)  # 8 MiB, more than the kernel takes: the rest waits
        start = anyio.current_time()
        with anyio.fail_after(5):
            with pytest.raises(TransportClosed) as info:
                await transport.receive()  # nothing arrives; the stall ends it
        assert anyio.current_time() - start < STALLED.stall_timeout + 1.5
        assert info.value.code == 1011 and info.value.local is True
        assert "stalled" in info.value.reason
        assert transport.close_code == 1011
        with pytest.raises(TransportClosed) as on_send:
            await transport.send(b"x")
        assert on_send.value.local is True


async def test_a_sender_blocked_by_a_stalled_peer_is_woken_by_the_stall() -> None:
    async with (
        loopback_server(clogged=True) as server,
        open_transport(server.url(), HEADERS, STALLED) as transport,
    ):
        await server.accept()
        with anyio.fail_after(5), pytest.raises(TransportClosed) as info:
            while True:
                await transport.send(FRAME)
        assert (info.value.code, info.value.local) == (1011, True)


@pytest.mark.slow
async def test_no_stall_is_reported_while_the_peer_reads_slowly() -> None:
    options = TransportOptions(
        close_timeout=1.0, ping_interval=None, stall_timeout=1.0, write_buffer_size=64 * 1024
    )
    async with (
        loopback_server(clogged=True) as server,
        open_transport(server.url(), HEADERS, options) as transport,
    ):
        peer = await server.accept()
        async with anyio.create_task_group() as tg:

            async def slow_reader() -> None:
                for _ in range(24):
                    await peer.receive()
                    await anyio.sleep(0.1)  # a slow peer: 2.4 s of reading, > stall_timeout

            tg.start_soon(slow_reader)
            for _ in range(24):
                await transport.send(FRAME)
        assert transport.close_code is None


async def test_aclose_is_bounded_by_close_timeout_against_a_stalled_peer() -> None:
    async with (
        loopback_server(clogged=True) as server,
        open_transport(
            server.url(), HEADERS, TransportOptions(close_timeout=0.5, stall_timeout=None)
        ) as transport,
    ):
        await server.accept()
        await _fill(transport)
        start = anyio.current_time()
        await transport.aclose(1000, "bye")  # the option's close_timeout, not a second more
        assert anyio.current_time() - start < 0.5 + 0.3
        assert transport.close_code == 1000 and not transport.close_acknowledged


async def test_cancelling_the_block_does_not_wait_for_a_close_reply() -> None:
    # The peer never answers our close frame: a graceful close would wait for
    # close_timeout (5 s) after the cancellation; a cancelled block drops at once.
    options = TransportOptions(close_timeout=5.0, ping_interval=None)
    async with loopback_server(clogged=True) as server:
        start = anyio.current_time()
        with anyio.move_on_after(0.3) as scope:
            async with open_transport(server.url(), HEADERS, options) as transport:
                await server.accept()
                await transport.receive()
        assert scope.cancelled_caught
        assert anyio.current_time() - start < 1.5
        assert transport.close_code == 1000


async def test_sends_cancelled_under_backpressure_leave_nothing_in_memory() -> None:
    """200 cancelled 256 KiB sends: the write buffer stays within its byte bound.

    Before the fix each cancelled send left its frame in the buffer (50 MB here).
    """
    options = TransportOptions(close_timeout=0.5, stall_timeout=None, write_buffer_size=128 * 1024)
    async with (
        loopback_server(clogged=True) as server,
        open_transport(server.url(), HEADERS, options) as transport,
    ):
        await server.accept()
        await _fill(transport)  # kernel buffers and the write buffer are full now
        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            for _ in range(200):
                scope = anyio.CancelScope()

                async def send_once(scope: anyio.CancelScope = scope) -> None:
                    with scope:
                        await transport.send(FRAME)

                async with anyio.create_task_group() as tg:
                    tg.start_soon(send_once)
                    await anyio.wait_all_tasks_blocked()
                    scope.cancel()
            gc.collect()
            grown = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
        assert grown < 2 * 1024 * 1024, f"{grown} bytes left behind by 200 cancelled sends"
        assert transport.close_code is None  # the connection is still usable
