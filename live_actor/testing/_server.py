"""``FakeLiveServer``: the public face of the fake; runs the server in its own thread.

Why a thread with its own trio loop: tests run on asyncio *and* trio (and sometimes
on a virtual clock), and the server must keep serving while the test's loop is busy
or blocked.  A separate thread makes the server independent of the test's backend;
the price is that every interaction crosses threads, which this class hides:

* fault and control methods are synchronous and thread-safe (they hand a function to
  the server loop and wait for it to run, typically microseconds);
* waiting methods (``wait_for*``) come in an awaitable form that works from asyncio
  and trio without blocking the caller's loop, and a ``*_sync`` form for threads.

Caveat: a test running trio's ``MockClock(autojump_threshold=0)`` in *its own* loop
must not use timeouts while waiting for the server (the server runs in real time
unless it was given its own ``clock=``).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ssl
import threading
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any, Self, TypeVar

import anyio
import attrs
import sniffio
import trio

from ._bridge import LoopBridge
from ._conn import ServerConnection
from ._faults import FaultEvent, FaultPlan
from ._ledger import LedgerEntry
from ._listener import Listener
from ._registry import Registry
from ._session import FakeSession
from ._settings import FakeServerSettings

__all__ = ["FakeLiveServer"]

T = TypeVar("T")

GEMINI_PATH = "/ws/google.ai.generativelanguage.{v}.GenerativeService.BidiGenerateContent"
CONSTRAINED_PATH = (
    "/ws/google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateContentConstrained"
)
VERTEX_PATH = "/ws/google.cloud.aiplatform.{v}.LlmBidiService/BidiGenerateContent"


def _loop_waker(event: anyio.Event) -> Callable[[], None]:
    """A thread-safe callable that sets ``event`` in the caller's event loop."""
    if sniffio.current_async_library() == "trio":
        token = trio.lowlevel.current_trio_token()

        def wake_trio() -> None:
            token.run_sync_soon(event.set)

        return wake_trio
    loop = asyncio.get_running_loop()

    def wake_asyncio() -> None:
        loop.call_soon_threadsafe(event.set)

    return wake_asyncio


class FakeLiveServer:
    """A protocol-faithful local Gemini Live API server (WebSocket + REST on one port).

    Use as ``async with FakeLiveServer(...) as server:`` (asyncio or trio), ``with``,
    or ``start()``/``stop()``.  See the package docstring for the behaviour rules.

    Parameters (all keyword-only):

    * ``host``/``port``: bind address (port 0 = pick a free port).
    * ``fault_plan``: a seeded :class:`FaultPlan` applied to every connection
      (replaceable at runtime with :meth:`set_fault_plan`).
    * ``clock``: a trio clock for the server loop (e.g. ``trio.testing.MockClock()``).
    * ``ssl_context``: a server-side :class:`ssl.SSLContext` (certificate loaded):
      the server then speaks TLS only, and :attr:`url`/:meth:`live_url` are
      ``wss://``, :attr:`http_url` ``https://``.
    * ``extra_models``: model ids accepted besides the built-in Live models.
    * ``settings``: a prebuilt :class:`FakeServerSettings`; the remaining keywords
      override its fields (or the defaults):

      * ``api_keys``: accepted API keys (None = any non-empty key).
        ``bearer_tokens``: accepted Vertex bearer tokens (None = any non-empty).
      * ``responder``: the model behaviour (default :class:`ScriptedResponder`).
      * ``text_frames``: send JSON in text frames (default: binary, like the service).
      * ``chunk_delay``: seconds between streamed chunks (0 = only yield).
        ``words_per_chunk``: words per text chunk. ``output_char_ms``: audio ms per
        UTF-8 byte of reply text.
      * ``connection_lifetime`` (default 600 s, None = unlimited), ``go_away_notice``
        (60 s), ``go_away_cut`` ("close" = 1000 after the notice, "drop" = abrupt).
      * ``handle_ttl``: resumption handle validity (default 2 h).
      * ``session_limit_audio`` (900 s) / ``session_limit_video`` (120 s): session
        duration limits without ``contextWindowCompression`` (None = unlimited).
      * ``reject_auth_at_upgrade``: refuse bad credentials with HTTP 401/403 at the
        upgrade instead of close 1008 after the first message.
      * ``record_sent``: keep every server message in ``connection.sent`` (tests).
      * ``max_message_size``: larger client messages close with 1009.
      * ``close_timeout``: how long a server close waits for the client's close frame.
      * ``ledger_media``: keep audio/video payloads in ledger entries (default: the
        ``data`` field is replaced by ``byteCount`` so long chaos runs stay small).
      * ``max_handles``: resumption handles kept valid per session (oldest expire first).
      * ``handshake_timeout`` (10 s): time a TCP connection has to send a complete
        request (head and REST body; also an idle keep-alive); ``max_pending_handshakes``
        (256): connections waiting for their request at once, the oldest is closed
        beyond it.  ``max_header_bytes`` (16 KiB, else 431) and ``max_rest_body``
        (1 MiB, else 413).  Refusals are counted in :attr:`http_refusals`.  With a
        ``clock`` the request deadline is off (virtual time would cut real clients).
      * ``retain_finished`` (1000) / ``retain_seconds`` (1 h): finished sessions and
        closed connections beyond this count or age are forgotten (see :attr:`pruned`).
      * ``profile``: the service timing to reproduce, ``"dev"`` (default),
        ``"vertex"`` or ``"3.x"`` (see ``_profiles``); ``first_response_delay``: server
        seconds from a turn's start to its first output; ``busy_resumption_update``:
        ``"empty"`` (``{}``, default) or ``"resumable_false"`` (the fake's older
        ``{"resumable": false}``); ``seed``: the seed of its random timing.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        fault_plan: FaultPlan | None = None,
        clock: trio.abc.Clock | None = None,
        ssl_context: ssl.SSLContext | None = None,
        extra_models: Iterable[str] = (),
        settings: FakeServerSettings | None = None,
        **knobs: Any,
    ) -> None:
        base = settings or FakeServerSettings()
        if extra_models:
            knobs["known_models"] = base.known_models | frozenset(extra_models)
        self.settings: FakeServerSettings = attrs.evolve(base, **knobs)
        """The frozen behaviour of this server."""
        self.host = host
        self._requested_port = port
        self._port: int | None = None
        self._clock = clock
        self._listener = Listener(
            self.settings,
            fault_plan=fault_plan,
            ssl_context=ssl_context,
            virtual_clock=clock is not None,
        )
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stop_event: trio.Event | None = None
        self._startup_error: BaseException | None = None
        self.errors: list[BaseException] = self._listener.registry.errors
        """Unexpected exceptions inside the server (a healthy run leaves this empty).

        A connection whose handling raised is closed with 1011 "Internal error
        occurred.", as the service closes on its own internal errors.
        """

    # ------------------------------------------------------------ lifecycle

    def start(self) -> Self:
        """Start the server thread and block until it listens (a few ms)."""
        if self._thread is not None:
            raise RuntimeError("FakeLiveServer already started")
        self._thread = threading.Thread(
            target=self._thread_main, name="FakeLiveServer", daemon=True
        )
        self._thread.start()
        self._ready.wait()
        if self._startup_error is not None:
            raise RuntimeError("FakeLiveServer failed to start") from self._startup_error
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Close every connection (1001), stop the loop and join the thread."""
        thread = self._thread
        if thread is None:
            return
        token = self._listener.bridge.token
        if token is not None and self._stop_event is not None:
            with contextlib.suppress(trio.RunFinishedError):
                token.run_sync_soon(self._stop_event.set)
        thread.join(timeout)
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        await anyio.to_thread.run_sync(self.start)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(self.stop)

    def _thread_main(self) -> None:
        try:
            trio.run(self._main, clock=self._clock)
        except BaseException as exc:
            self._startup_error = exc
            self.errors.append(exc)
        finally:
            self._ready.set()

    async def _main(self) -> None:
        listener = self._listener
        listener.bridge.bind_loop()
        self._stop_event = trio.Event()
        async with trio.open_nursery() as nursery:
            listeners = await nursery.start(
                functools.partial(trio.serve_tcp, host=self.host),
                listener.handle_tcp,
                self._requested_port,
            )
            self._port = listeners[0].socket.getsockname()[1]
            self._ready.set()
            await self._stop_event.wait()
            await listener.close_all()
            nursery.cancel_scope.cancel()

    # ------------------------------------------------------------ addresses

    @property
    def port(self) -> int:
        """The bound TCP port (after start)."""
        if self._port is None:
            raise RuntimeError("FakeLiveServer is not started")
        return self._port

    @property
    def url(self) -> str:
        """WebSocket base URL, e.g. ``ws://127.0.0.1:PORT`` (``wss://`` with TLS)."""
        scheme = "ws" if self._listener.ssl_context is None else "wss"
        return f"{scheme}://{self._host_for_url}:{self.port}"

    @property
    def http_url(self) -> str:
        """REST base URL, e.g. ``http://127.0.0.1:PORT`` (``https://`` with TLS)."""
        scheme = "http" if self._listener.ssl_context is None else "https"
        return f"{scheme}://{self._host_for_url}:{self.port}"

    @property
    def _host_for_url(self) -> str:
        return f"[{self.host}]" if ":" in self.host else self.host

    def live_url(self, api_version: str = "v1beta", *, constrained: bool = False) -> str:
        """Full Gemini API Live URL (``constrained=True``: the ephemeral-token method)."""
        if constrained:
            return self.url + CONSTRAINED_PATH
        return self.url + GEMINI_PATH.format(v=api_version)

    def vertex_url(self, api_version: str = "v1beta1") -> str:
        """Full Vertex AI Live URL."""
        return self.url + VERTEX_PATH.format(v=api_version)

    # ------------------------------------------------------------ inspection

    @property
    def _registry(self) -> Registry:
        return self._listener.registry

    @property
    def _bridge(self) -> LoopBridge:
        return self._listener.bridge

    @property
    def connections(self) -> list[ServerConnection]:
        """Every WebSocket connection so far, in accept order (``number`` = index + 1)."""
        return list(self._listener.connections)

    @property
    def sessions(self) -> list[FakeSession]:
        """Every session so far, in creation order."""
        return list(self._registry.sessions.values())

    def session(self, session_id: str) -> FakeSession:
        """The session with this stable id (``KeyError`` if unknown)."""
        return self._registry.sessions[session_id]

    def session_for_handle(self, handle: str) -> FakeSession:
        """The session a resumption handle belongs to (``KeyError`` if unknown/dead)."""
        return self._registry.handles[handle].session

    def ledger(self, session_id: str) -> list[LedgerEntry]:
        """Every client message received in the session, across its connections."""
        return self.session(session_id).received

    @property
    def http_refusals(self) -> dict[str, int]:
        """TCP connections the HTTP layer ended before any WebSocket, by reason.

        ``handshake_timeout`` (request not complete within ``handshake_timeout``),
        ``handshake_evicted`` (more than ``max_pending_handshakes`` waiting),
        ``headers_too_large`` (431), ``body_too_large`` (413), ``bad_request`` (400).
        """
        return dict(self._listener.admission.counts)

    @property
    def pruned(self) -> dict[str, int]:
        """What the retention bounds forgot so far: ``sessions`` and ``connections``."""
        return {
            "sessions": self._registry.pruned_sessions,
            "connections": self._listener.pruned_connections,
        }

    @property
    def faults(self) -> list[FaultEvent]:
        """Faults applied so far (injected and planned), in order."""
        return list(self._registry.faults)

    @property
    def fault_plan(self) -> FaultPlan | None:
        """The active fault plan (applies to new draws on every connection)."""
        return self._registry.fault_plan

    def set_fault_plan(self, plan: FaultPlan | None) -> None:
        """Replace the fault plan at runtime (None disables random faults)."""

        def apply() -> None:
            self._registry.fault_plan = plan

        self._bridge.call(apply)

    def current_time(self) -> float:
        """The server loop's clock (``trio.current_time()`` in the server thread)."""
        return self._bridge.call(trio.current_time)

    def advance_time(self, seconds: float) -> None:
        """Jump the server's ``MockClock`` forward (only with ``clock=MockClock()``)."""
        clock = self._clock
        jump = getattr(clock, "jump", None)
        if jump is None:
            raise RuntimeError("advance_time needs clock=trio.testing.MockClock()")
        self._bridge.call(lambda: jump(seconds))

    def create_token(self, **body: Any) -> str:
        """Create an ephemeral token without REST (camel/snake body fields); returns its name."""

        def create() -> str:
            return self._registry.tokens.create(body, self._bridge.now_wall()).name

        return self._bridge.call(create)

    # ------------------------------------------------------------ waiting

    async def wait_for(self, predicate: Callable[[], T | None]) -> T:
        """Wait (without blocking the loop) until ``predicate()`` is truthy; return it.

        The predicate runs in the caller's thread after every server state change.
        No built-in timeout: wrap in ``anyio.fail_after(...)`` (structured style).
        """
        while True:
            event = anyio.Event()
            waker = _loop_waker(event)
            self._bridge.add_waker(waker)
            try:
                result = predicate()
                if result:
                    return result
                await event.wait()
            finally:
                self._bridge.remove_waker(waker)

    def wait_for_sync(self, predicate: Callable[[], T | None], timeout: float = 10.0) -> T:
        """Blocking form of :meth:`wait_for`, for threads without an event loop."""
        cond = threading.Condition()

        def waker() -> None:
            with cond:
                cond.notify_all()

        self._bridge.add_waker(waker)
        try:
            with cond:
                result = cond.wait_for(predicate, timeout)
        finally:
            self._bridge.remove_waker(waker)
        if not result:
            raise TimeoutError("condition not met in time")
        return result

    def _nth_ready(self, n: int) -> ServerConnection | None:
        index = n - 1 - self._listener.pruned_ready  # forgotten by retention
        ready = [c for c in self._listener.connections if c.session is not None]
        return ready[index] if 0 <= index < len(ready) else None

    async def wait_for_connection(self, n: int = 1) -> ServerConnection:
        """Wait until ``n`` connections completed setup; return the ``n``-th (1-based)."""
        return await self.wait_for(lambda: self._nth_ready(n))

    def wait_for_connection_sync(self, n: int = 1, timeout: float = 10.0) -> ServerConnection:
        """Blocking form of :meth:`wait_for_connection`."""
        return self.wait_for_sync(lambda: self._nth_ready(n), timeout)

    async def wait_closed(self, conn: ServerConnection) -> None:
        """Wait until the server considers ``conn`` closed."""
        await self.wait_for(lambda: not conn.is_open)
