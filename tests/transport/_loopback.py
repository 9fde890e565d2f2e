"""An in-loop WebSocket server over anyio + wsproto, whose connections are Transports.

It runs in the test's own event loop (asyncio or trio, no thread), so a socket
transport can be checked against it with :func:`check_transport`: each accepted
connection is a :class:`ServerTransport`, an independent (wsproto, not
websockets, not trio-websocket) implementation of the same contract.

``clogged=True`` makes the server read nothing from a connection unless a task
waits in its ``receive`` (or it is closing): the client's sends then soon wait
for room, as against a server that stopped reading.
"""

from __future__ import annotations

import collections
import socket
import ssl
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import anyio
import anyio.abc
import anyio.streams.tls
from wsproto import ConnectionType, WSConnection
from wsproto.connection import ConnectionState
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Message,
    Ping,
    Request,
    TextMessage,
)

from live_actor._redact import redact_url
from live_actor._transport._base import (
    CloseInfo,
    Transport,
    TransportClosed,
    check_close_code,
    check_frame,
    clip_reason,
)
from live_actor.transports import TransportOptions, open_transport

from ..helpers import API_KEY

HEADERS = {"x-goog-api-key": API_KEY}
FAST = TransportOptions(connect_timeout=5.0, close_timeout=2.0, ping_interval=None)


class ServerTransport(CloseInfo):
    """The server's end of one WebSocket connection (test-only, wsproto)."""

    cancel_safe_send = True  # only the client side is ever cancelled in send by the suite

    def __init__(
        self, stream: anyio.abc.ByteStream, ws: WSConnection, path: str, headers: dict[str, str]
    ) -> None:
        self.path = path
        self.headers = headers
        self.clogged = False
        self._stream = stream
        self._ws = ws
        self._lock = anyio.Lock()
        self._incoming: collections.deque[str | bytes] = collections.deque()
        self._parts: list[Any] = []
        self._changed = anyio.Event()
        self._receivers = 0
        self._local: tuple[int, str] | None = None
        self._remote: TransportClosed | None = None
        self._acknowledged = False
        self._dropped = False
        self._closing = False
        self.done = anyio.Event()

    def __repr__(self) -> str:
        return f"<ServerTransport {redact_url(self.path)}>"

    def _close_info(self) -> TransportClosed | None:
        if self._local is not None:
            return TransportClosed(*self._local, local=True)
        if self._remote is not None:
            return self._remote
        if self._dropped:
            return TransportClosed(1006, "", local=False)
        return None

    @property
    def close_acknowledged(self) -> bool:
        return self._acknowledged

    def _wake(self) -> None:
        self._changed.set()
        self._changed = anyio.Event()

    async def _write(self, data: bytes) -> None:
        async with self._lock:
            try:
                await self._stream.send(data)
            except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
                self._dropped = True
                self._wake()

    async def run_reader(self) -> None:
        """Read until the connection ends (started by the server)."""
        try:
            while not self.done.is_set():
                while self.clogged and not self._receivers and not self._closing:
                    await self._changed.wait()
                try:
                    data = await self._stream.receive(65536)
                except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError):
                    break
                self._ws.receive_data(data)
                await self._handle_events()
        finally:
            if self._remote is None and self._local is None:
                self._dropped = True
            self._wake()

    async def _handle_events(self) -> None:
        for event in self._ws.events():
            if isinstance(event, TextMessage | BytesMessage):
                self._parts.append(event.data)
                if event.message_finished:
                    joined: str | bytes = (
                        "".join(self._parts)
                        if isinstance(event, TextMessage)
                        else b"".join(self._parts)
                    )
                    self._parts = []
                    self._incoming.append(joined)
                    self._wake()
            elif isinstance(event, Ping):
                await self._write(self._ws.send(event.response()))
            elif isinstance(event, CloseConnection):
                if self._local is None and self._remote is None:
                    self._remote = TransportClosed(event.code, event.reason or "", local=False)
                    if self._ws.state is ConnectionState.REMOTE_CLOSING:
                        await self._write(self._ws.send(event.response()))
                else:
                    self._acknowledged = self._local is not None
                self._wake()
                await self._stream.aclose()  # the server closes TCP first (RFC 6455)
                self.done.set()

    async def send(self, frame: str | bytes) -> None:
        if type(frame) is not str and type(frame) is not bytes:
            frame = check_frame(frame)
        info = self._close_info()
        if info is not None:
            raise TransportClosed(info.code, info.reason, local=info.local)
        await self._write(self._ws.send(Message(data=frame)))

    async def receive(self) -> str | bytes:
        if self._local is not None:
            raise TransportClosed(*self._local, local=True)
        self._receivers += 1
        self._wake()
        try:
            while not self._incoming:
                info = self._close_info()
                if info is not None:
                    raise TransportClosed(info.code, info.reason, local=info.local)
                await self._changed.wait()
        finally:
            self._receivers -= 1
        return self._incoming.popleft()

    async def aclose(
        self, code: int = 1000, reason: str = "", *, close_timeout: float | None = None
    ) -> None:
        check_close_code(code)
        if self._closing:
            await self.done.wait()
            return
        self._closing = True
        self._wake()
        if self._close_info() is None:
            self._local = (code, clip_reason(reason))
            self._incoming.clear()
            with anyio.move_on_after(2.0 if close_timeout is None else close_timeout):
                await self._write(self._ws.send(CloseConnection(code, self._local[1])))
                await self.done.wait()
        await self._stream.aclose()
        self.done.set()
        self._wake()


class LoopbackServer:
    def __init__(self, port: int, scheme: str, clogged: bool) -> None:
        self.port = port
        self.scheme = scheme
        self.clogged = clogged
        self._accepted: collections.deque[ServerTransport] = collections.deque()
        self._arrived = anyio.Event()
        self.requests: list[tuple[str, dict[str, str]]] = []

    def url(self, path: str = "/check") -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}{path}"

    async def accept(self) -> ServerTransport:
        while not self._accepted:
            await self._arrived.wait()
            self._arrived = anyio.Event()
        return self._accepted.popleft()

    async def handle(self, stream: anyio.abc.ByteStream) -> None:
        ws = WSConnection(ConnectionType.SERVER)
        request: Request | None = None
        # anyio (4.16) leaves an accepted asyncio socket reading into an unbounded
        # queue until a receive() finds no data waiting: pause it, so a server
        # that stops calling receive() really stops reading.
        asyncio_transport = getattr(stream, "_transport", None)
        if asyncio_transport is not None:
            asyncio_transport.pause_reading()
        async with stream:
            while request is None:
                try:
                    data = await stream.receive(65536)
                except (anyio.EndOfStream, anyio.BrokenResourceError, ssl.SSLError, OSError):
                    return
                ws.receive_data(data)
                for event in ws.events():
                    if isinstance(event, Request):
                        request = event
            headers = {k.decode().lower(): v.decode() for k, v in request.extra_headers}
            self.requests.append((request.target, headers))
            await stream.send(ws.send(AcceptConnection()))
            transport = ServerTransport(stream, ws, request.target, headers)
            transport.clogged = self.clogged
            self._accepted.append(transport)
            self._arrived.set()
            await transport.run_reader()
            await transport.done.wait()


@asynccontextmanager
async def loopback_server(
    *, clogged: bool = False, tls: ssl.SSLContext | None = None
) -> AsyncIterator[LoopbackServer]:
    listener: anyio.abc.Listener[Any] = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    if clogged:
        # Linux grows a loopback receive buffer up to tcp_rmem's maximum (32 MiB
        # here): a server that stops reading would absorb that much first.  A
        # fixed small buffer (inherited by accepted sockets) keeps tests fast.
        raw = listener.extra(anyio.abc.SocketAttribute.raw_socket)
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    if tls is not None:
        listener = anyio.streams.tls.TLSListener(listener, tls, standard_compatible=False)
    server = LoopbackServer(port, "wss" if tls else "ws", clogged)
    async with listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, server.handle)
        try:
            yield server
        finally:
            tg.cancel_scope.cancel()


@asynccontextmanager
async def socket_pair(
    *,
    clogged: bool = False,
    options: TransportOptions = FAST,
    headers: Mapping[str, str] = HEADERS,
) -> AsyncIterator[tuple[Transport, Transport]]:
    """A client transport of the running backend, connected to a ServerTransport."""
    async with (
        loopback_server(clogged=clogged) as server,
        open_transport(server.url(), headers, options) as client,
    ):
        peer = await server.accept()
        try:
            yield client, peer
        finally:
            with anyio.CancelScope(shield=True):
                await peer.aclose(close_timeout=1.0)
