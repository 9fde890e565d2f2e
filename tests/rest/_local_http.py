"""A tiny HTTP/1.1 server in the test's own event loop, for what the fake cannot do:
answer 5xx, send a huge body, or never answer at all (timeouts).

It reads one request head and replies with a canned response (or nothing),
then closes the connection.  ``requests`` records the request heads.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import anyio.abc


class LocalHttp:
    def __init__(self, status: int = 200, body: bytes = b"{}", *, silent: bool = False) -> None:
        self.status = status
        self.body = body
        self.silent = silent
        self.requests: list[bytes] = []
        self.url = ""

    async def _handle(self, stream: anyio.abc.SocketStream) -> None:
        async with stream:
            head = b""
            while b"\r\n\r\n" not in head:
                try:
                    chunk = await stream.receive(65536)
                except (anyio.EndOfStream, anyio.BrokenResourceError):
                    return
                head += chunk
            self.requests.append(head)
            if self.silent:
                await anyio.sleep_forever()
            reason = {200: "OK", 503: "Service Unavailable", 400: "Bad Request"}.get(
                self.status, "X"
            )
            response = (
                f"HTTP/1.1 {self.status} {reason}\r\ncontent-type: application/json\r\n"
                f"content-length: {len(self.body)}\r\nconnection: close\r\n\r\n"
            ).encode() + self.body
            try:
                await stream.send(response)
            except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                return


@asynccontextmanager
async def local_http(
    status: int = 200, body: bytes = b"{}", *, silent: bool = False
) -> AsyncIterator[LocalHttp]:
    app = LocalHttp(status, body, silent=silent)
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    app.url = f"http://127.0.0.1:{port}"
    async with listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, app._handle)
        try:
            yield app
        finally:
            tg.cancel_scope.cancel()
