"""Connectors: what dials a connection, as an object a session can be given.

A :class:`Connector` is any callable ``(url, headers, options)`` returning an
async context manager of a :class:`Transport`: the default is the backend
dispatch :func:`~live_actor._transport.open_transport`.  :class:`MemoryConnector`
dials in memory, so a session (or the supervisor above it) can be tested in one
thread, with no socket, on trio's ``MockClock``: the test plays the server by
taking each dial with :meth:`MemoryConnector.accept` (or refusing it).
"""

from __future__ import annotations

import collections
from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from types import MappingProxyType, TracebackType
from typing import Final, Protocol

import anyio
import anyio.lowlevel

from live_actor._redact import Dial, body_excerpt, redact_url
from live_actor._transport._base import (
    Transport,
    TransportConnectError,
    TransportOptions,
)
from live_actor._transport._memory import MemoryTransport, memory_transport_pair

__all__ = ["Connector", "MemoryConnector", "MemoryDial", "PendingDial"]

_DEFAULT_OPTIONS: Final = TransportOptions()


class Connector(Protocol):
    """Dial ``url`` with ``headers``; the transport is closed when the block exits.

    Raises :class:`TransportConnectError` (with ``status`` for a refused upgrade)
    when no connection could be made.  ``open_transport`` is the default
    connector; :class:`MemoryConnector` is the one for tests.
    """

    def __call__(
        self, url: str, headers: Mapping[str, str], options: TransportOptions
    ) -> AbstractAsyncContextManager[Transport]: ...


class MemoryDial:
    """A dial the test accepted: the server end, and what the client dialled.

    ``url`` and ``headers`` are the real values, for assertions; the repr hides
    them.  ``async with dial:`` closes the server end on exit.
    """

    def __init__(self, transport: MemoryTransport, url: str, headers: Mapping[str, str]) -> None:
        #: The server's end of the connection.
        self.transport = transport
        self.url = url
        self.headers: Mapping[str, str] = MappingProxyType(dict(headers))

    def __repr__(self) -> str:
        return f"<MemoryDial {redact_url(self.url)} {self.transport!r}>"

    async def __aenter__(self) -> MemoryDial:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.transport.aclose()


class PendingDial:
    """A dial waiting for the test's answer: :meth:`accept` or :meth:`refuse`."""

    def __init__(
        self,
        connector: MemoryConnector,
        url: str,
        headers: Mapping[str, str],
        options: TransportOptions,
    ) -> None:
        self._connector = connector
        self._options = options
        self.url = url
        self.headers: Mapping[str, str] = MappingProxyType(dict(headers))
        self.answered = anyio.Event()
        #: Set when the client gave up (timeout, cancellation) before an answer.
        self.abandoned = False
        self.transports: tuple[MemoryTransport, MemoryTransport] | None = None
        self.refusal: TransportConnectError | None = None

    def __repr__(self) -> str:
        return f"<PendingDial {redact_url(self.url)}>"

    def accept(self) -> MemoryDial:
        """Complete the upgrade: the client's dial returns its end."""
        self._check_open()
        self.transports = self._connector._pair(self._options)
        self.answered.set()
        return MemoryDial(self.transports[1], self.url, self.headers)

    def refuse(self, status: int = 403, body: str = "", *, permanent: bool = False) -> None:
        """Refuse the upgrade with an HTTP ``status``: the client's dial raises
        :class:`TransportConnectError` with that status, as over a socket."""
        self._check_open()
        message = f"WebSocket upgrade to {redact_url(self.url)} refused with HTTP {status}"
        excerpt = body_excerpt(body.encode(), Dial(self.url, self.headers).secrets())
        self.refusal = TransportConnectError(
            f"{message}: {excerpt}" if excerpt else message, status=status, permanent=permanent
        )
        self.answered.set()

    def _check_open(self) -> None:
        if self.answered.is_set():
            raise RuntimeError("this dial was already answered")


class MemoryConnector:
    """A :class:`Connector` that dials in memory; the test plays the server.

    Each dial waits (at most ``options.connect_timeout``) until the test takes it
    with :meth:`accept` (the client then gets its end of a
    :func:`memory_transport_pair`) or refuses it.  At most ``max_pending`` dials
    wait at once: another one fails at once, like a full listen backlog.  Both
    directions of each pair hold at most ``options.write_buffer_size`` unread
    bytes.  Works on asyncio and trio, and on trio's ``MockClock``: no thread, no
    real sleep.

    ::

        connector = MemoryConnector()
        async with anyio.create_task_group() as tg:
            tg.start_soon(run_client, connector)        # dials connector(url, headers, options)
            async with await connector.accept() as dial:  # the server's end
                assert dial.headers["x-goog-api-key"] == KEY
                await dial.transport.send('{"setupComplete": {}}')
    """

    def __init__(self, *, max_pending: int = 16) -> None:
        if not isinstance(max_pending, int) or max_pending < 1:
            raise ValueError(f"max_pending must be an int >= 1, got {max_pending!r}")
        self._max_pending = max_pending
        self._pending: collections.deque[PendingDial] = collections.deque()
        self._arrived: anyio.Event | None = None
        self._server_ends: list[MemoryTransport] = []
        self._closed = False
        #: How many dials were made (accepted, refused or not).
        self.dials = 0

    def __repr__(self) -> str:
        return f"<MemoryConnector dials={self.dials} pending={len(self._pending)}>"

    def __call__(
        self,
        url: str,
        headers: Mapping[str, str],
        options: TransportOptions | None = None,
    ) -> AbstractAsyncContextManager[Transport]:
        Dial(url, headers)  # the same ValueError as a socket dial for a bad URL or header
        options = options or _DEFAULT_OPTIONS
        return self._dial(PendingDial(self, url, headers, options), options)

    @asynccontextmanager
    async def _dial(
        self, pending: PendingDial, options: TransportOptions
    ) -> AsyncIterator[Transport]:
        client = await self._connect(pending, options)
        try:
            yield client
        finally:
            with anyio.CancelScope(shield=True):
                await client.aclose()

    async def _connect(self, pending: PendingDial, options: TransportOptions) -> MemoryTransport:
        shown = redact_url(pending.url)
        if self._closed:
            raise TransportConnectError(f"could not connect to {shown}: the connector is closed")
        self.dials += 1
        self._pending = collections.deque(p for p in self._pending if not p.abandoned)
        if len(self._pending) >= self._max_pending:
            raise TransportConnectError(
                f"could not connect to {shown}: {self._max_pending} dials already wait "
                "for accept() (MemoryConnector max_pending)"
            )
        self._pending.append(pending)
        if self._arrived is not None:
            self._arrived.set()
            self._arrived = None
        try:
            with anyio.move_on_after(options.connect_timeout):
                await pending.answered.wait()
        finally:
            if not pending.answered.is_set():
                pending.abandoned = True
        if pending.refusal is not None:
            raise pending.refusal
        if pending.transports is None:
            raise TransportConnectError(
                f"timed out connecting to {shown} after {options.connect_timeout:g}s"
            )
        return pending.transports[0]

    def _pair(self, options: TransportOptions) -> tuple[MemoryTransport, MemoryTransport]:
        pair = memory_transport_pair(write_buffer_size=options.write_buffer_size)
        self._server_ends.append(pair[1])
        return pair

    async def next_dial(self) -> PendingDial:
        """Wait for the next dial and return it unanswered (to look at its URL and
        headers before deciding)."""
        while True:
            while self._pending:
                pending = self._pending.popleft()
                if not pending.abandoned:
                    return pending
            if self._closed:
                raise RuntimeError("the MemoryConnector is closed")
            if self._arrived is None:
                self._arrived = anyio.Event()
            await self._arrived.wait()

    async def accept(self) -> MemoryDial:
        """Wait for the next dial and accept it: returns the server's end."""
        return (await self.next_dial()).accept()

    async def refuse(self, status: int = 403, body: str = "", *, permanent: bool = False) -> str:
        """Wait for the next dial and refuse it with ``status``; returns its URL."""
        pending = await self.next_dial()
        pending.refuse(status, body, permanent=permanent)
        return pending.url

    async def aclose(self) -> None:
        """Refuse new dials (``TransportConnectError``), abort every server end
        still open, and fail the dials still waiting."""
        self._closed = True
        for pending in self._pending:
            if not pending.answered.is_set():
                pending.refusal = TransportConnectError(
                    f"could not connect to {redact_url(pending.url)}: the connector is closed"
                )
                pending.answered.set()
        self._pending.clear()
        for server in self._server_ends:
            server.abort()
        self._server_ends.clear()
        if self._arrived is not None:
            self._arrived.set()
        await anyio.lowlevel.checkpoint()

    async def __aenter__(self) -> MemoryConnector:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
