"""One upgraded WebSocket framed by wsproto: the only code that touches the socket.

Why raw wsproto on a trio stream: the fake must misbehave exactly (drop TCP without a
close frame, write malformed frames, stall) and a WebSocket library would not let it.

* the **writer** (:meth:`WebSocketLink.write_loop`) is the only task that writes;
  everything else queues frames on a bounded channel, so cancelling a producer can
  never tear a frame;
* the **reader** (:meth:`WebSocketLink.read_loop`) reassembles messages and hands each
  one to the connection, which handles it to completion before the next is read;
* closing: a server close queues a close frame and waits ``close_timeout`` for the
  client's reply; a client close is answered; an abort (``drop``) cancels everything
  and the socket is closed without a close frame (the client sees 1006);
* a **stall** holds both directions until a server-clock deadline (queued frames wait).
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from typing import Any, Final

import trio
import wsproto.events as wse
from wsproto.connection import Connection as WsConnection
from wsproto.connection import ConnectionState

from ._settings import FakeServerSettings

__all__ = ["WebSocketLink"]

#: Frames queued for the writer before producers wait (bounded memory).
SEND_QUEUE: Final = 256
#: A close reason is at most 123 bytes of UTF-8 (RFC 6455 §5.5).
MAX_REASON_BYTES: Final = 123
TOO_BIG: Final = "Message too big."


def truncate_reason(reason: str) -> str:
    """Cut a close reason to what fits a close frame, on a character boundary."""
    data = reason.encode("utf-8")
    if len(data) <= MAX_REASON_BYTES:
        return reason
    return data[:MAX_REASON_BYTES].decode("utf-8", "ignore")


class WebSocketLink:
    """The framing and close handshake of one server-side WebSocket."""

    def __init__(
        self,
        stream: trio.abc.Stream,
        ws: WsConnection,
        *,
        settings: FakeServerSettings,
        spawn: Callable[..., None],
    ) -> None:
        self._stream = stream
        self._ws = ws
        self._settings = settings
        self._spawn = spawn
        self._send_chan, self._recv_chan = trio.open_memory_channel[tuple[str, Any]](SEND_QUEUE)
        #: Cancelled when the connection must end at once (close done, or abort).
        self.scope = trio.CancelScope()
        self._peer_closed = trio.Event()
        self._stall_until = -math.inf
        self.finished = False
        self.closing = False
        self.close_code: int | None = None
        self.close_reason = ""
        self.closed_by: str | None = None

    # ------------------------------------------------------------------ commands

    async def send_message(self, data: bytes) -> None:
        """Queue one JSON message (the settings decide text or binary frames)."""
        await self._send_chan.send(("msg", data))

    async def send_item(self, item: tuple[str, Any]) -> None:
        """Queue a raw item: ``("payload", str|bytes)`` or ``("raw_tcp", bytes)``."""
        await self._send_chan.send(item)

    def stall(self, seconds: float) -> None:
        """Hold reading and writing for ``seconds`` of server time (extends a stall)."""
        self._stall_until = max(self._stall_until, trio.current_time() + seconds)

    def abort(self, how: str) -> None:
        """End at once without a close frame (``how``: ``"drop"`` or ``"eof"``)."""
        if self.finished:
            return
        if self.closed_by is None:
            self.closed_by = how
            self.close_code = 1006
        self.closing = True
        self.scope.cancel()

    def request_close(self, code: int, reason: str) -> None:
        """Queue a close frame (the first close wins; later ones are ignored)."""
        if self.closing or self.finished:
            return
        self.closing = True
        self.closed_by = "server"
        self.close_code = code
        self.close_reason = truncate_reason(reason)
        self._spawn(self._send_chan.send, ("close", None))

    def finish(self) -> None:
        """The connection is over; a client that vanished is recorded as ``eof``."""
        if self.closed_by is None:
            self.closed_by = "eof"
            self.close_code = 1006
        self.finished = True

    # ------------------------------------------------------------------ tasks

    async def _gate(self) -> None:
        # a stall may be extended while we sleep, hence the re-check
        while trio.current_time() < self._stall_until:  # noqa: ASYNC110
            await trio.sleep_until(self._stall_until)

    async def write_loop(self) -> None:
        """The writer task (see the module docstring)."""
        try:
            await self._write_loop()
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            self.abort("eof")

    async def _write_loop(self) -> None:
        text = self._settings.text_frames
        async for kind, item in self._recv_chan:
            await self._gate()
            if kind == "raw_tcp":
                await self._stream.send_all(item)
                continue
            if kind == "close_reply":
                await self._stream.send_all(self._ws.send(item))
                self.scope.cancel()
                return
            if self._ws.state is not ConnectionState.OPEN:
                # the client started closing: frames still queued are dropped
                if kind == "close":
                    self.scope.cancel()
                    return
                continue
            if kind == "msg":
                event: wse.Event = (
                    wse.TextMessage(item.decode()) if text else wse.BytesMessage(item)
                )
                await self._stream.send_all(self._ws.send(event))
            elif kind == "payload":
                event = wse.TextMessage(item) if isinstance(item, str) else wse.BytesMessage(item)
                await self._stream.send_all(self._ws.send(event))
            elif kind == "pong":
                await self._stream.send_all(self._ws.send(item))
            elif kind == "close":
                close = wse.CloseConnection(code=self.close_code or 1000, reason=self.close_reason)
                await self._stream.send_all(self._ws.send(close))
                with trio.move_on_after(self._settings.close_timeout):
                    await self._peer_closed.wait()
                self.scope.cancel()
                return

    async def read_loop(self, on_message: Callable[[bytes | str], Awaitable[None]]) -> None:
        """The reader task: returns when the client closed or vanished."""
        fragments: list[bytes | str] = []
        size = 0
        limit = self._settings.max_message_size
        while True:
            for event in self._ws.events():
                if isinstance(event, wse.Message):
                    if self.closing:
                        continue
                    fragments.append(event.data)
                    size += len(event.data)
                    if size > limit:
                        self.request_close(1009, TOO_BIG)
                        fragments, size = [], 0
                        continue
                    if event.message_finished:
                        payload = _join(fragments)
                        fragments, size = [], 0
                        await on_message(payload)
                elif isinstance(event, wse.Ping):
                    await self._send_chan.send(("pong", event.response()))
                elif isinstance(event, wse.CloseConnection):
                    await self._client_closed(event)
                    return
            await self._gate()
            try:
                data = await self._stream.receive_some(65536)
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                data = b""
            if not data:
                if not self.closing:
                    self.abort("eof")
                return
            self._ws.receive_data(bytes(data))

    async def _client_closed(self, event: wse.CloseConnection) -> None:
        if self.closing and self.closed_by == "server":
            self._peer_closed.set()  # the reply to our close frame
            return
        self.closing = True
        self.closed_by = "client"
        self.close_code = event.code
        self.close_reason = event.reason or ""
        if self._ws.state is ConnectionState.REMOTE_CLOSING:
            await self._send_chan.send(("close_reply", event.response()))
        else:
            self.scope.cancel()


def _join(fragments: list[bytes | str]) -> bytes | str:
    if len(fragments) == 1:
        return fragments[0]
    if isinstance(fragments[0], str):
        return "".join(str(f) for f in fragments)
    return b"".join(bytes(f) for f in fragments)  # type: ignore[arg-type]
