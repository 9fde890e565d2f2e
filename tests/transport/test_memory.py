"""The in-memory pair follows the same close rules as the socket backends."""

from __future__ import annotations

import anyio
import pytest

from live_actor._transport import (
    MemoryTransport,
    Transport,
    TransportClosed,
    memory_transport_pair,
)

pytestmark = pytest.mark.anyio


async def test_round_trip_both_directions() -> None:
    client, server = memory_transport_pair()
    async with client, server:
        assert isinstance(client, Transport)
        await client.send("text")
        await client.send(b"bytes")
        assert await server.receive() == "text"
        assert await server.receive() == b"bytes"
        await server.send(b"reply")
        assert await client.receive() == b"reply"
        assert client.sent == ["text", b"bytes"]
        assert server.sent == [b"reply"]


async def test_close_reaches_peer_after_pending_frames() -> None:
    client, server = memory_transport_pair()
    async with client, server:
        await server.send("last words")
        await server.close(1011, "Internal error occurred.")
        assert server.close_code == 1011
        with pytest.raises(TransportClosed) as local:
            await server.receive()
        assert (local.value.code, local.value.local) == (1011, True)

        assert client.close_code is None  # not observed yet
        assert await client.receive() == "last words"
        with pytest.raises(TransportClosed) as remote:
            await client.receive()
        assert (remote.value.code, remote.value.reason, remote.value.local) == (
            1011,
            "Internal error occurred.",
            False,
        )
        assert client.close_reason == "Internal error occurred."
        assert client.close_code == 1011
        with pytest.raises(TransportClosed) as on_send:
            await client.send("late")
        assert (on_send.value.code, on_send.value.local) == (1011, False)


async def test_send_after_peer_closed_but_before_observing_it() -> None:
    client, server = memory_transport_pair()
    async with client, server:
        await client.aclose(4000, "bye")
        with pytest.raises(TransportClosed) as info:
            await server.send("too late")
        assert (info.value.code, info.value.local) == (4000, False)


async def test_local_close_idempotent_and_sticky() -> None:
    client, server = memory_transport_pair()
    async with client, server:
        await client.aclose(4001, "first")
        await client.aclose(1000, "second")
        assert (client.close_code, client.close_reason) == (4001, "first")
        with pytest.raises(TransportClosed) as info:
            await client.send("x")
        assert (info.value.code, info.value.local) == (4001, True)


async def test_closing_after_peer_keeps_peer_code() -> None:
    client, server = memory_transport_pair()
    async with client, server:
        await server.aclose(1008, "policy")
        await client.aclose(1000)
        assert client.close_code == 1008
        assert server.close_acknowledged and not client.close_acknowledged


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


async def test_own_close_wakes_blocked_receive() -> None:
    client, server = memory_transport_pair()
    async with client, server:
        errors: list[TransportClosed] = []

        async def reader() -> None:
            try:
                await client.receive()
            except TransportClosed as exc:
                errors.append(exc)

        async with anyio.create_task_group() as tg:
            tg.start_soon(reader)
            await anyio.wait_all_tasks_blocked()
            await client.aclose()
        assert errors[0].local is True


async def test_peer_close_wakes_blocked_receive() -> None:
    client, server = memory_transport_pair()
    async with client, server:
        errors: list[TransportClosed] = []

        async def reader() -> None:
            try:
                await client.receive()
            except TransportClosed as exc:
                errors.append(exc)

        async with anyio.create_task_group() as tg:
            tg.start_soon(reader)
            await anyio.wait_all_tasks_blocked()
            await server.close(1001, "going away")
        assert (errors[0].code, errors[0].local) == (1001, False)


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


async def test_rejects_bad_frames_and_codes() -> None:
    client, server = memory_transport_pair()
    async with client, server:
        with pytest.raises(TypeError):
            await client.send(1)  # type: ignore[arg-type]
        with pytest.raises(ValueError):
            await client.aclose(1006)
        await client.send(memoryview(b"mv"))  # type: ignore[arg-type]
        assert await server.receive() == b"mv"


async def test_long_reason_is_clipped() -> None:
    client, server = memory_transport_pair()
    async with client, server:
        await client.aclose(1000, "é" * 100)
        assert len(client.close_reason.encode()) <= 123


def test_repr() -> None:
    client, server = memory_transport_pair()
    try:
        assert "client" in repr(client) and "open" in repr(client)
        assert isinstance(server, MemoryTransport)
    finally:
        client.abort()
        server.abort()
