"""A minimal, scriptable Live API (BidiGenerateContent) server, written from the wire doc only.

It shares no code with ``live_actor`` (nor ``live_actor.testing``): it is the
"other server author".  It runs the ``websockets`` asyncio server in a
background thread with its own event loop, so clients on any event loop
(asyncio or trio) in the main thread can dial it over loopback.

Each accepted WebSocket becomes a :class:`Peer`.  A background reader records
every frame the client sends (``Peer.frames``) and queues it for the script,
so nothing is lost even when the script is not reading.  The test supplies a
*script*, ``async def script(peer: Peer) -> None``, run on the server's loop for
every connection (``peer.index`` tells which); it may read the client's JSON
messages and send anything: JSON in text or binary frames, raw garbage, a close
with any code and reason, or a TCP drop.  When the script returns, the
connection stays open until the client closes it.
"""

from __future__ import annotations

import asyncio
import http
import json
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

LIVE_PATH = "/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent"

Script = Callable[["Peer"], Awaitable[None]]


class PeerClosed(Exception):
    """The client's side of the connection is gone (raised by ``Peer.recv``)."""


class Frame:
    """One frame the client sent: its kind, raw payload, parsed JSON (or None) and time."""

    def __init__(self, raw: str | bytes) -> None:
        self.raw = raw
        self.kind = "text" if isinstance(raw, str) else "binary"
        self.at = time.monotonic()
        self.obj: Any = None
        self.json_error: str | None = None
        try:
            self.obj = json.loads(raw)
        except ValueError as exc:
            self.json_error = str(exc)

    def __repr__(self) -> str:
        text = self.raw if isinstance(self.raw, str) else repr(self.raw)
        return f"<Frame {self.kind} {text[:120]}>"


class Peer:
    """The server side of one client connection."""

    def __init__(self, server: ForeignLiveServer, ws: ServerConnection, index: int) -> None:
        self.server = server
        self.ws = ws
        self.index = index
        self.path = ws.request.path if ws.request is not None else ""
        self.headers: Headers = ws.request.headers if ws.request is not None else Headers()
        self.frames: list[Frame] = []
        self.opened_at = time.monotonic()
        self.closed_at: float | None = None
        #: close code/reason of the close frame the *client* sent (None if none).
        self.client_close_code: int | None = None
        self.client_close_reason: str | None = None
        #: who closed first: "client", "server" or "drop".
        self.closed_by: str | None = None
        self.sent_at: dict[str, float] = {}
        self._queue: asyncio.Queue[Frame | None] = asyncio.Queue()
        self._done = asyncio.Event()

    # ------------------------------------------------------------ reading

    @property
    def messages(self) -> list[Any]:
        """Parsed JSON of every frame received so far (None for non-JSON frames)."""
        return [f.obj for f in self.frames]

    def of_kind(self, key: str) -> list[dict[str, Any]]:
        """Received messages whose top-level key is ``key``."""
        return [m for m in self.messages if isinstance(m, dict) and key in m]

    async def _read_loop(self) -> None:
        try:
            async for raw in self.ws:
                frame = Frame(raw)
                self.frames.append(frame)
                self._queue.put_nowait(frame)
        except ConnectionClosed:
            pass
        finally:
            self.closed_at = time.monotonic()
            rcvd = self.ws.protocol.close_rcvd
            if rcvd is not None:
                self.client_close_code = int(rcvd.code)
                self.client_close_reason = rcvd.reason
            if self.closed_by is None:
                self.closed_by = "client" if rcvd is not None else "drop"
            self._done.set()
            self._queue.put_nowait(None)

    async def recv_frame(self, within: float = 5.0) -> Frame:
        frame = await asyncio.wait_for(self._queue.get(), within)
        if frame is None:
            self._queue.put_nowait(None)  # keep reporting the close
            raise PeerClosed(f"connection {self.index} closed")
        return frame

    async def recv(self, within: float = 5.0) -> Any:
        """The next client message, parsed (raises AssertionError for non-JSON)."""
        frame = await self.recv_frame(within)
        if frame.json_error is not None:
            raise AssertionError(f"client sent a non-JSON frame: {frame!r}")
        return frame.obj

    async def expect(self, key: str, within: float = 5.0) -> dict[str, Any]:
        """Skip client messages until one with top-level ``key`` arrives; return it."""
        deadline = time.monotonic() + within
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no {key!r} from the client within {within}s")
            message = await self.recv(left)
            if isinstance(message, dict) and key in message:
                return message

    async def wait_closed(self, within: float = 5.0) -> bool:
        try:
            await asyncio.wait_for(self._done.wait(), within)
        except TimeoutError:
            return False
        return True

    # ------------------------------------------------------------ sending

    async def send(
        self, obj: Any, *, binary: bool = True, pretty: bool = False, label: str | None = None
    ) -> None:
        """Send JSON; binary frames by default, like the hosted service."""
        text = json.dumps(obj, indent=2 if pretty else None)
        if pretty:
            text += "\n"
        if label is not None:
            self.sent_at[label] = time.monotonic()
        await self.ws.send(text.encode() if binary else text)

    async def send_raw(self, data: str | bytes) -> None:
        """Send anything: ``str`` as a text frame, ``bytes`` as a binary frame."""
        await self.ws.send(data)

    async def close(self, code: int = 1000, reason: str = "") -> None:
        if self.closed_by is None:
            self.closed_by = "server"
        await self.ws.close(code, reason)

    def drop(self) -> None:
        """Abort the TCP connection: no close frame (the client sees 1006)."""
        if self.closed_by is None:
            self.closed_by = "drop"
        self.ws.transport.abort()

    # ------------------------------------------------------------ helpers

    async def handshake(
        self,
        *,
        binary: bool = True,
        pretty: bool = False,
        body: dict[str, Any] | None = None,
        extra_top: dict[str, Any] | None = None,
        delay: float = 0.0,
    ) -> dict[str, Any]:
        """Read ``setup`` and answer ``setupComplete``; returns the setup message."""
        setup = await self.recv()
        assert isinstance(setup, dict) and "setup" in setup, f"first message was {setup!r}"
        if delay:
            await asyncio.sleep(delay)
        message: dict[str, Any] = {"setupComplete": body if body is not None else {}}
        if extra_top:
            message.update(extra_top)
        await self.send(message, binary=binary, pretty=pretty, label="setupComplete")
        return setup

    async def say(self, *texts: str, usage: dict[str, Any] | None = None) -> None:
        """One model turn: one text part per message, then turnComplete."""
        for text in texts:
            await self.send({"serverContent": {"modelTurn": {"role": "model", "parts": [
                {"text": text}]}}})
        await self.send({"serverContent": {"generationComplete": True}})
        done: dict[str, Any] = {"serverContent": {"turnComplete": True}}
        if usage is not None:
            done["usageMetadata"] = usage
        await self.send(done)


def client_text(message: dict[str, Any]) -> str:
    """The text a clientContent or realtimeInput message carries (camelCase or snake)."""
    content = message.get("clientContent", message.get("client_content"))
    if content is not None:
        return "".join(
            part.get("text", "") for turn in content.get("turns", []) for part in turn["parts"]
        )
    realtime = message.get("realtimeInput", message.get("realtime_input"))
    if realtime is not None:
        return str(realtime.get("text", ""))
    return ""


class ForeignLiveServer:
    """Loopback Live server on its own thread; ``url`` is the ``base_url`` to dial."""

    def __init__(self, script: Script | None = None) -> None:
        self.script = script
        #: HTTP status to refuse every upgrade with (None: accept).
        self.refuse_status: int | None = None
        #: HTTP statuses to refuse the next upgrades with, one per dial, then accept.
        self.refusals: list[int] = []
        self.peers: list[Peer] = []
        #: every upgrade request seen, accepted or not: (path, headers).
        self.dials: list[tuple[str, Headers]] = []
        #: exceptions raised by scripts (other than the client going away).
        self.errors: list[BaseException] = []
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: Server | None = None
        self._handlers: set[asyncio.Task[Any]] = set()
        self._started = threading.Event()
        self._stop: asyncio.Event | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ------------------------------------------------------------ lifecycle

    def start(self) -> ForeignLiveServer:
        self._thread = threading.Thread(target=self._run, name="foreign-live-server", daemon=True)
        self._thread.start()
        if not self._started.wait(10):
            raise RuntimeError("foreign server did not start")
        return self

    def stop(self) -> None:
        if self._loop is None or self._stop is None:
            return
        self._loop.call_soon_threadsafe(self._stop.set)
        assert self._thread is not None
        self._thread.join(10)

    def __enter__(self) -> ForeignLiveServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with serve(
            self._handler,
            "127.0.0.1",
            0,
            process_request=self._process_request,
            ping_interval=None,
            close_timeout=1,
            max_size=None,
        ) as server:
            self._server = server
            self.port = next(iter(server.sockets)).getsockname()[1]
            self._started.set()
            await self._stop.wait()
            for task in list(self._handlers):
                task.cancel()
            if self._handlers:
                await asyncio.wait(list(self._handlers), timeout=2)
            server.close()
            await asyncio.wait_for(server.wait_closed(), 3)

    def _process_request(self, ws: ServerConnection, request: Request) -> Response | None:
        self.dials.append((request.path, request.headers))
        refuse = self.refuse_status
        if refuse is None and self.refusals:
            refuse = self.refusals.pop(0)
        if refuse is not None:
            status = http.HTTPStatus(refuse)
            return ws.respond(status, f"{status.phrase}\n")
        if request.path.split("?")[0] != LIVE_PATH:
            return ws.respond(http.HTTPStatus.NOT_FOUND, "unknown method\n")
        return None

    async def _handler(self, ws: ServerConnection) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        peer = Peer(self, ws, len(self.peers))
        self.peers.append(peer)
        reader = asyncio.create_task(peer._read_loop())
        try:
            if self.script is not None:
                await self.script(peer)
            await reader
        except (PeerClosed, ConnectionClosed, asyncio.CancelledError):
            pass
        except BaseException as exc:
            self.errors.append(exc)
        finally:
            reader.cancel()
            self._handlers.discard(task)


async def wait_flag(flag: threading.Event, within: float = 5.0) -> None:
    """For scripts: wait (on the server loop) until the test thread sets ``flag``."""
    deadline = time.monotonic() + within
    while not flag.is_set():
        if time.monotonic() > deadline:
            raise TimeoutError("flag not set in time")
        await asyncio.sleep(0.005)
