"""The in-memory pair follows the same close rules as the socket backends."""

from __future__ import annotations

import anyio
import pytest

from live_actor._transport import (
    MemoryTransport,
    TransportClosed,
    memory_transport_pair,
)

pytestmark = pytest.mark.anyio


async def test_abort_is_1006_on_both_sides() -> None:
    client, server = memory_transport_pair()
    async with client, server:
        await server.send("in flight")
        server.abort()
        assert await client.receive() == "in flight"
        for side in (client, server):
            with pytest.raises(TransportClosed) as info:
                await side.receive()
            assert (info.value.code, info.value.local) == (1006, False)
            assert side.close_code == 1006


async def test_backpressure_and_close_wakes_blocked_sender() -> None:
    client, server = memory_transport_pair(max_buffer_size=1)
    async with client, server:
        await client.send("1")
        errors: list[TransportClosed] = []

        async def writer() -> None:
            try:
                await client.send("2")  # blocks: buffer full
            except TransportClosed as exc:
                errors.append(exc)

        async with anyio.create_task_group() as tg:
            tg.start_soon(writer)
            await anyio.wait_all_tasks_blocked()
            await server.aclose(4003, "full")
        assert (errors[0].code, errors[0].local) == (4003, False)


def test_repr() -> None:
    client, server = memory_transport_pair()
    try:
        assert "client" in repr(client) and "open" in repr(client)
        assert isinstance(server, MemoryTransport)
    finally:
        client.abort()
        server.abort()
