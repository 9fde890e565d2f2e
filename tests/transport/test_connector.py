"""MemoryConnector: a session's dials answered by the test, in memory, on a virtual clock.

Every test here runs on asyncio and on trio under ``MockClock`` (virtual time that
jumps whenever all tasks wait): no socket, no thread, no real sleep.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import pytest
import trio.testing

from live_actor.transports import (
    Connector,
    MemoryConnector,
    Transport,
    TransportClosed,
    TransportConnectError,
    TransportOptions,
    check_transport,
    open_transport,
)

pytestmark = pytest.mark.anyio

KEY = "AIzaSyTEST-connector-key-0123456789abc"
URL = f"wss://live.example/ws/Bidi?key={KEY}"
HEADERS = {"x-goog-api-key": KEY}
OPTIONS = TransportOptions(connect_timeout=7.0)


@pytest.fixture(
    params=[
        pytest.param("asyncio", id="asyncio"),
        pytest.param(
            ("trio", {"clock": trio.testing.MockClock(autojump_threshold=0)}), id="trio-mockclock"
        ),
    ]
)
def anyio_backend(request: pytest.FixtureRequest) -> object:
    return request.param


def test_open_transport_and_memory_connector_are_connectors() -> None:
    connectors: list[Connector] = [open_transport, MemoryConnector()]
    assert all(callable(c) for c in connectors)


async def test_accepted_dial_connects_both_ends() -> None:
    async with MemoryConnector() as connector, anyio.create_task_group() as tg:
        received: list[str | bytes] = []

        async def client() -> None:
            async with connector(URL, HEADERS, OPTIONS) as transport:
                await transport.send("hello")
                received.append(await transport.receive())

        tg.start_soon(client)
        async with await connector.accept() as dial:
            assert dial.url == URL and dial.headers["x-goog-api-key"] == KEY
            assert KEY not in repr(dial)
            assert await dial.transport.receive() == "hello"
            await dial.transport.send(b"welcome")
            # The client's block ends: its transport closes with 1000.
            with pytest.raises(TransportClosed) as info:
                await dial.transport.receive()
            assert (info.value.code, info.value.local) == (1000, False)
        assert received == [b"welcome"]
        assert connector.dials == 1


async def test_refused_dial_raises_connect_error_with_status_and_no_secret() -> None:
    async with MemoryConnector() as connector, anyio.create_task_group() as tg:
        tg.start_soon(connector.refuse, 403, f"API key not valid: {KEY}")
        with pytest.raises(TransportConnectError) as info:
            async with connector(URL, HEADERS, OPTIONS):
                pytest.fail("should not connect")
    assert info.value.status == 403 and not info.value.permanent
    assert "API key not valid" in str(info.value)
    assert KEY not in str(info.value) and KEY not in repr(info.value)


async def test_dial_can_be_inspected_before_the_answer() -> None:
    async with MemoryConnector() as connector, anyio.create_task_group() as tg:
        results: list[object] = []

        async def client(key: str) -> None:
            try:
                async with connector(URL, {"x-goog-api-key": key}, OPTIONS):
                    results.append("connected")
            except TransportConnectError as exc:
                results.append(exc.status)

        tg.start_soon(client, "wrong-key")
        pending = await connector.next_dial()
        assert pending.headers["x-goog-api-key"] == "wrong-key"
        pending.refuse(401, permanent=True)
        with pytest.raises(RuntimeError):
            pending.accept()  # answered once only
        tg.start_soon(client, KEY)
        pending = await connector.next_dial()
        async with pending.accept():
            pass
    assert results == [401, "connected"]


async def test_unanswered_dial_times_out_after_connect_timeout_in_virtual_time() -> None:
    async with MemoryConnector() as connector:
        start, real_start = anyio.current_time(), time.monotonic()
        with pytest.raises(TransportConnectError, match="timed out connecting"):
            async with connector(URL, HEADERS, TransportOptions(connect_timeout=0.2)):
                pytest.fail("should not connect")
        assert anyio.current_time() - start == pytest.approx(0.2, abs=0.1)
        assert time.monotonic() - real_start < 5
        # The abandoned dial is never handed to the test.
        async with anyio.create_task_group() as tg:
            tg.start_soon(connector.accept)
            await anyio.wait_all_tasks_blocked()
            assert connector.dials == 1
            tg.cancel_scope.cancel()


async def test_pending_dials_are_bounded() -> None:
    async with MemoryConnector(max_pending=2) as connector, anyio.create_task_group() as tg:
        errors: list[TransportConnectError] = []

        async def client() -> None:
            try:
                async with connector(URL, HEADERS, OPTIONS):
                    pass
            except TransportConnectError as exc:
                errors.append(exc)

        for _ in range(3):
            tg.start_soon(client)
        await anyio.wait_all_tasks_blocked()
        assert len(errors) == 1 and "max_pending" in str(errors[0])
        await connector.aclose()  # the two waiting dials fail too
    assert len(errors) == 3
    assert all("closed" in str(e) for e in errors[1:])


async def test_aclose_aborts_server_ends_and_refuses_new_dials() -> None:
    connector = MemoryConnector()
    async with anyio.create_task_group() as tg:
        errors: list[TransportClosed] = []

        async def client() -> None:
            async with connector(URL, HEADERS, OPTIONS) as transport:
                try:
                    await transport.receive()
                except TransportClosed as exc:
                    errors.append(exc)

        tg.start_soon(client)
        await connector.accept()
        await connector.aclose()
    assert (errors[0].code, errors[0].local) == (1006, False)
    with pytest.raises(TransportConnectError, match="closed"):
        async with connector(URL, HEADERS, OPTIONS):
            pass


async def test_bad_url_is_the_same_value_error_as_on_a_socket() -> None:
    with pytest.raises(ValueError) as info:
        MemoryConnector()(f"http://h/?key={KEY}", HEADERS, OPTIONS)
    assert KEY not in str(info.value)


async def test_pairs_are_bounded_by_write_buffer_size() -> None:
    async with MemoryConnector() as connector, anyio.create_task_group() as tg:

        async def client() -> None:
            async with connector(URL, HEADERS, TransportOptions(write_buffer_size=4096)) as t:
                await t.send(b"x" * 4096)  # fills the peer's buffer
                with anyio.move_on_after(1) as scope:
                    await t.send(b"y")  # waits for room, then is cancelled: nothing sent
                assert scope.cancelled_caught
                await t.send(b"z")

        tg.start_soon(client)
        async with await connector.accept() as dial:
            await anyio.sleep(2)  # virtual on trio: the client's send waits meanwhile
            assert await dial.transport.receive() == b"x" * 4096
            assert await dial.transport.receive() == b"z"


@asynccontextmanager
async def connector_pair(max_pending: int = 4) -> AsyncIterator[tuple[Transport, Transport]]:
    async with (
        MemoryConnector(max_pending=max_pending) as connector,
        anyio.create_task_group() as tg,
    ):
        ready = anyio.Event()
        client_end: list[Transport] = []

        async def client() -> None:
            async with connector(URL, HEADERS, TransportOptions(write_buffer_size=1024)) as t:
                client_end.append(t)
                ready.set()
                await anyio.sleep_forever()

        tg.start_soon(client)
        async with await connector.accept() as dial:
            await ready.wait()
            yield client_end[0], dial.transport
        tg.cancel_scope.cancel()


async def test_connector_pairs_pass_the_suite() -> None:
    await check_transport(connector_pair, make_clogged_pair=connector_pair)
