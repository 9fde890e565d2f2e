"""Hand-written servers for what a well-behaved library will not do, in the test's loop.

Each test passes a handler that gets the accepted byte stream (after reading the
upgrade request, if it asks for it) and misbehaves in its own way: refuse with a
huge body, answer with a bad ``Sec-WebSocket-Accept``, redirect, never answer,
never finish a TLS handshake...  anyio streams, so the same server runs under
asyncio and trio, without threads.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from typing import Any

import anyio
import anyio.abc

Handler = Callable[[anyio.abc.ByteStream], Awaitable[None]]


def accept_value(key: str) -> str:
    guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
    return base64.b64encode(hashlib.sha1((key + guid).encode()).digest()).decode()


async def read_request(stream: anyio.abc.ByteStream) -> tuple[str, dict[str, str]]:
    """The request target and headers (names lower-cased) of an upgrade request."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += await stream.receive(65536)
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    headers = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return head[0].split(" ")[1], headers


def switching_protocols(headers: dict[str, str], *, accept: str | None = None) -> bytes:
    value = accept if accept is not None else accept_value(headers["sec-websocket-key"])
    return (
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Accept: {value}\r\n\r\n"
    ).encode()


@asynccontextmanager
async def raw_server(handler: Handler) -> AsyncIterator[int]:
    """Serve ``handler`` on a loopback port (yielded) until the block ends."""
    listener: anyio.abc.Listener[Any] = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(anyio.abc.SocketAttribute.local_port)

    async def serve(stream: anyio.abc.ByteStream) -> None:
        async with stream:
            with suppress(anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError):
                await handler(stream)

    async with listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, serve)
        try:
            yield port
        finally:
            tg.cancel_scope.cancel()
