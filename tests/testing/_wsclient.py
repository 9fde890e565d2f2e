"""A tiny raw WebSocket test client over `websockets` (asyncio) or `trio_websocket` (trio).

Deliberately not the live_actor client: the fake server is tested against plain
sockets so that it stays independent ground truth.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import sniffio

DEFAULT_MODEL = "models/gemini-live-2.5-flash-preview"


class Closed(Exception):
    """The server closed the socket (code 1006 = no close frame)."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"{code} {reason}")
        self.code = code
        self.reason = reason


class Rejected(Exception):
    """The HTTP upgrade was refused."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class Client:
    def __init__(self, impl: Any, lib: str) -> None:
        self._impl = impl
        self._lib = lib
        self.frames: list[bytes | str] = []

    async def send_raw(self, data: str | bytes) -> None:
        if self._lib == "trio":
            await self._impl.send_message(data)
        else:
            await self._impl.send(data)

    async def send(self, obj: dict[str, Any], *, binary: bool = False) -> None:
        text = json.dumps(obj)
        await self.send_raw(text.encode() if binary else text)

    async def recv_frame(self) -> bytes | str:
        if self._lib == "trio":
            import trio_websocket

            try:
                frame = await self._impl.get_message()
            except trio_websocket.ConnectionClosed as exc:
                raise Closed(exc.reason.code, exc.reason.reason or "") from None
        else:
            import websockets

            try:
                frame = await self._impl.recv()
            except websockets.ConnectionClosed as exc:
                if exc.rcvd is None:
                    raise Closed(1006, "") from None
                raise Closed(exc.rcvd.code, exc.rcvd.reason) from None
        self.frames.append(frame)
        return frame

    async def recv(self) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(await self.recv_frame())
        return result

    async def recv_until(self, pred: Callable[[dict[str, Any]], Any]) -> list[dict[str, Any]]:
        out = []
        while True:
            msg = await self.recv()
            out.append(msg)
            if pred(msg):
                return out

    async def turn(self) -> list[dict[str, Any]]:
        """Messages up to and including the next turnComplete."""
        return await self.recv_until(lambda m: m.get("serverContent", {}).get("turnComplete"))

    async def closed(self) -> Closed:
        """Read until the socket closes; return the close."""
        while True:
            try:
                await self.recv_frame()
            except Closed as exc:
                return exc

    async def setup(self, model: str = DEFAULT_MODEL, **fields: Any) -> dict[str, Any]:
        await self.send({"setup": {"model": model, **fields}})
        return await self.recv()

    async def text_turn(self, text: str) -> list[dict[str, Any]]:
        await self.send(
            {
                "clientContent": {
                    "turns": [{"role": "user", "parts": [{"text": text}]}],
                    "turnComplete": True,
                }
            }
        )
        return await self.turn()


def texts(messages: list[dict[str, Any]]) -> str:
    """Concatenated modelTurn text of a list of messages."""
    out = []
    for m in messages:
        for part in m.get("serverContent", {}).get("modelTurn", {}).get("parts", []):
            if "text" in part and not part.get("thought"):
                out.append(part["text"])
    return "".join(out)


async def upgrade_status(url: str, headers: dict[str, str]) -> int:
    """Send a WebSocket upgrade request by hand and return the HTTP status."""
    import anyio

    split = urlsplit(url)
    target = split.path + (f"?{split.query}" if split.query else "")
    lines = [
        f"GET {target} HTTP/1.1",
        f"Host: {split.netloc}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version: 13",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    async with await anyio.connect_tcp(split.hostname or "", split.port or 80) as stream:
        await stream.send(("\r\n".join(lines) + "\r\n\r\n").encode())
        data = b""
        while b"\r\n" not in data:
            data += await stream.receive()
    return int(data.split(b" ", 2)[1])


@asynccontextmanager
async def connect(
    url: str, headers: dict[str, str] | None = None, *, key: str | None = "test-key"
) -> AsyncIterator[Client]:
    headers = dict(headers or {})
    if key is not None:
        headers.setdefault("x-goog-api-key", key)
    lib = sniffio.current_async_library()
    if lib == "trio":
        # own the TCP stream: trio-websocket leaks it when the upgrade is refused
        import trio
        import trio_websocket

        split = urlsplit(url)
        resource = split.path + (f"?{split.query}" if split.query else "")
        stream = await trio.open_tcp_stream(split.hostname or "", split.port or 80)
        try:
            async with trio.open_nursery() as nursery:
                ws = await trio_websocket.wrap_client_stream(
                    nursery,
                    stream,
                    f"{split.hostname}:{split.port}",
                    resource,
                    extra_headers=[(k.encode(), v.encode()) for k, v in headers.items()],
                    max_message_size=64 * 1024 * 1024,
                    message_queue_size=1024,
                )
                try:
                    yield Client(ws, lib)
                finally:
                    with trio.move_on_after(2):
                        await ws.aclose()
                    # after a protocol error trio-websocket's reader can wait forever
                    await stream.aclose()
                    nursery.cancel_scope.cancel()
        except BaseExceptionGroup as group:
            rejected, _rest = group.split(trio_websocket.ConnectionRejected)
            if rejected is None:
                inner: BaseException = group
                while isinstance(inner, BaseExceptionGroup) and len(inner.exceptions) == 1:
                    inner = inner.exceptions[0]
                raise inner from None
            exc = rejected.exceptions[0]
            assert isinstance(exc, trio_websocket.ConnectionRejected)
            raise Rejected(exc.status_code) from None
        finally:
            await stream.aclose()
    else:
        import websockets
        from websockets.asyncio.client import connect as ws_connect

        try:
            ws_cm = ws_connect(url, additional_headers=headers, max_size=None, open_timeout=5)
            ws = await ws_cm.__aenter__()
        except websockets.InvalidStatus as exc:
            raise Rejected(exc.response.status_code) from None
        try:
            yield Client(ws, lib)
        finally:
            await ws_cm.__aexit__(None, None, None)
