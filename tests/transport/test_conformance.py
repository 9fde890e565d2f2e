"""Every transport passes the same conformance suite, ``check_transport``.

The memory pair, and the socket transport of each backend (trio-websocket under
trio, ``websockets`` under asyncio) against an independent wsproto server whose
connections are Transports too, so both ends of a real socket are checked.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from live_actor.transports import Transport, check_transport, memory_transport_pair

from ._loopback import socket_pair

pytestmark = pytest.mark.anyio


@asynccontextmanager
async def memory_pair(
    max_buffer_size: float = float("inf"),
) -> AsyncIterator[tuple[Transport, Transport]]:
    client, server = memory_transport_pair(max_buffer_size)
    async with client, server:
        yield client, server


@asynccontextmanager
async def clogged_memory_pair() -> AsyncIterator[tuple[Transport, Transport]]:
    async with memory_pair(1) as pair:
        yield pair


@asynccontextmanager
async def clogged_socket_pair() -> AsyncIterator[tuple[Transport, Transport]]:
    async with socket_pair(clogged=True) as pair:
        yield pair


async def test_memory_transport_passes_the_suite() -> None:
    await check_transport(memory_pair, make_clogged_pair=clogged_memory_pair)


async def test_socket_transport_passes_the_suite() -> None:
    await check_transport(socket_pair, make_clogged_pair=clogged_socket_pair)
