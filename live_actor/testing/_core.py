"""Server-thread state shared by all connections, and the cross-thread plumbing.

Everything here is mutated only in the server's trio thread.  Other threads (tests,
on asyncio or trio) reach it through :meth:`Core.call` (run a function in the server
thread and wait for its result) and wait for state changes through wakers registered
with :meth:`Core.add_waker` (called on every change, from the server thread).
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import hashlib
import itertools
import sys
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, TypeVar

import trio
from wsproto.connection import Connection as WsConnection

from ._conn import ServerConnection
from ._faults import FaultEvent, FaultPlan
from ._model import Responder
from ._rest import RestApp
from ._session import HandleRecord, Session
from ._tokens import TokenStore

if TYPE_CHECKING:
    from ._http import AuthInfo

__all__ = ["Core"]

T = TypeVar("T")


class Core:
    """Configuration and mutable state of one running fake server."""

    def __init__(
        self,
        *,
        api_keys: frozenset[str] | None,
        bearer_tokens: frozenset[str] | None,
        known_models: frozenset[str],
        responder: Responder,
        text_frames: bool,
        chunk_delay: float,
        words_per_chunk: int,
        output_char_ms: float,
        connection_lifetime: float | None,
        go_away_notice: float,
        go_away_cut: str,
        handle_ttl: float,
        session_limit_audio: float | None,
        session_limit_video: float | None,
        fault_plan: FaultPlan | None,
        reject_auth_at_upgrade: bool,
        record_sent: bool,
        max_message_size: int,
        close_timeout: float,
        ledger_media: bool = False,
        max_handles: int = 64,
    ) -> None:
        self.api_keys = api_keys
        self.bearer_tokens = bearer_tokens
        self.known_models = known_models
        self.responder = responder
        self.text_frames = text_frames
        self.chunk_delay = chunk_delay
        self.words_per_chunk = max(1, words_per_chunk)
        self.output_char_ms = output_char_ms
        self.connection_lifetime = connection_lifetime or 0.0
        self.go_away_notice = go_away_notice
        self.go_away_cut = go_away_cut
        self.handle_ttl = handle_ttl
        self.session_limit_audio = session_limit_audio or 0.0
        self.session_limit_video = session_limit_video or 0.0
        self.fault_plan = fault_plan
        self.reject_auth_at_upgrade = reject_auth_at_upgrade
        self.record_sent = record_sent
        self.max_message_size = max_message_size
        self.close_timeout = close_timeout
        self.ledger_media = ledger_media
        self.max_handles = max_handles
        self.tokens = TokenStore()
        #: Unexpected exceptions in the server (``FakeLiveServer.errors``).
        self.errors: list[BaseException] = []
        self.rest = RestApp(
            live_models=sorted(known_models),
            tokens=self.tokens,
            key_ok=self.key_ok,
            now=self.now_wall,
        )
        self.connections: list[ServerConnection] = []
        self.sessions: dict[str, Session] = {}
        self.handles: dict[str, HandleRecord] = {}
        self.faults: list[FaultEvent] = []
        self._session_ids = itertools.count(1)
        self._call_ids = itertools.count(1)
        self._handle_ids = itertools.count(1)
        self._wakers: set[Callable[[], None]] = set()
        self._wakers_lock = threading.Lock()
        self.token: trio.lowlevel.TrioToken | None = None
        self.thread_id: int | None = None
        self._wall0 = time.time()
        self._clock0 = 0.0

    # -- clocks -------------------------------------------------------------

    def bind_loop(self) -> None:
        """Called once inside the server's trio loop."""
        self.token = trio.lowlevel.current_trio_token()
        self.thread_id = threading.get_ident()
        self._wall0 = time.time()
        self._clock0 = trio.current_time()

    def now_wall(self) -> dt.datetime:
        """Wall-clock time derived from the loop clock (virtual time moves it too)."""
        elapsed = trio.current_time() - self._clock0
        return dt.datetime.fromtimestamp(self._wall0 + elapsed, dt.UTC)

    # -- credentials ----------------------------------------------------------

    def key_ok(self, key: str) -> bool:
        """Any non-empty key by default; else membership in ``api_keys``."""
        if not key or key.startswith("auth_tokens/"):
            return False
        return self.api_keys is None or key in self.api_keys

    def bearer_ok(self, bearer: str) -> bool:
        """Any non-empty bearer token by default; else membership in ``bearer_tokens``."""
        return self.bearer_tokens is None or bearer in self.bearer_tokens

    # -- registry ---------------------------------------------------------------

    def new_connection(
        self,
        stream: trio.SocketStream,
        ws: WsConnection,
        *,
        path: str,
        api_version: str,
        backend: str,
        auth: AuthInfo,
        headers: Mapping[str, str],
    ) -> ServerConnection:
        """Register a freshly upgraded WebSocket."""
        conn = ServerConnection(
            self,
            len(self.connections) + 1,
            stream,
            ws,
            path=path,
            api_version=api_version,
            backend=backend,
            auth=auth,
            headers=headers,
        )
        self.connections.append(conn)
        self.changed()
        return conn

    def new_session(self) -> Session:
        """Create a session with the next stable id."""
        session = Session(f"session-{next(self._session_ids)}", trio.current_time())
        self.sessions[session.id] = session
        return session

    def next_call_id(self) -> str:
        """Server-wide unique function call id (``function-call-<n>``)."""
        return f"function-call-{next(self._call_ids)}"

    def issue_handle(self, session: Session, conn: ServerConnection) -> str:
        """Checkpoint the session and return the new handle."""
        n = next(self._handle_ids)
        digest = hashlib.blake2s(f"{session.id}/{n}".encode(), digest_size=6).hexdigest()
        handle = f"{session.id}-h{n}-{digest}"
        history, consumed = session._snapshot()
        now = trio.current_time()
        self.handles[handle] = HandleRecord(
            handle=handle,
            session=session,
            history=history,
            consumed=consumed,
            issued_at=now,
            expires_at=now + self.handle_ttl,
            server_connection=conn.number,
            last_consumed_index=conn.last_consumed_index,
        )
        session._handles.append(handle)
        # bounded memory: only the most recent handles of a session stay valid
        while len(session._handles) > self.max_handles:
            self.handles.pop(session._handles.pop(0), None)
        return handle

    def kill_handles(self, session: Session) -> None:
        """Invalidate every handle of a session (its duration limit was hit)."""
        for handle in session._handles:
            self.handles.pop(handle, None)

    def record_fault(
        self, conn: ServerConnection, kind: str, parameter: float, *, planned: bool
    ) -> None:
        """Append to the fault log (``server.faults``)."""
        self.faults.append(
            FaultEvent(
                time=trio.current_time(),
                server_connection=conn.number,
                session_id=conn.session_id,
                kind=kind,
                parameter=parameter,
                planned=planned,
            )
        )
        self.changed()

    def internal_error(self, exc: BaseException) -> None:
        """Record a bug in the fake itself; the caller closes with 1011 as the service would."""
        self.errors.append(exc)
        traceback.print_exception(exc, file=sys.stderr)
        self.changed()

    # -- cross-thread -------------------------------------------------------------

    def call(self, fn: Callable[[], T], timeout: float = 10.0) -> T:
        """Run ``fn`` in the server thread (directly if already there) and return its result."""
        if threading.get_ident() == self.thread_id:
            return fn()
        if self.token is None:
            raise RuntimeError("the fake server is not running")
        future: concurrent.futures.Future[T] = concurrent.futures.Future()

        def run() -> None:
            try:
                future.set_result(fn())
            except BaseException as exc:  # delivered to the calling thread
                future.set_exception(exc)

        try:
            self.token.run_sync_soon(run)
        except trio.RunFinishedError:
            raise RuntimeError("the fake server is not running") from None
        return future.result(timeout)

    def add_waker(self, waker: Callable[[], None]) -> None:
        """Register a callback invoked (in the server thread) after each state change."""
        with self._wakers_lock:
            self._wakers.add(waker)

    def remove_waker(self, waker: Callable[[], None]) -> None:
        """Unregister a waker."""
        with self._wakers_lock:
            self._wakers.discard(waker)

    def has_waiters(self) -> bool:
        """Cheap check so the hot path skips notification when nobody waits."""
        return bool(self._wakers)

    def changed(self) -> None:
        """Wake every waiter (they re-check their predicate)."""
        if not self._wakers:
            return
        with self._wakers_lock:
            wakers = list(self._wakers)
        for waker in wakers:
            try:
                waker()
            except Exception:  # a waiter whose loop is gone must not hurt the server
                self.remove_waker(waker)
