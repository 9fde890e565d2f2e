"""Server-wide state that outlives a connection: sessions, handles, ids, faults, errors.

Why a registry: a connection must find the session a resumption handle belongs to,
issue handles, draw call ids that are unique on the server and log faults, but it
must not hold the whole server.  It sees this class through the narrow
:class:`~live_actor.testing._services.SessionServices` Protocol.  Mutated only in the
server thread; tests read it through ``FakeLiveServer``'s copies.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import sys
import traceback
from collections.abc import Callable

import trio

from ._faults import FaultEvent, FaultPlan
from ._session import FakeSession, HandleRecord
from ._settings import FakeServerSettings
from ._setup import BAD_HANDLE, INTERNAL, Reject
from ._tokens import EphemeralToken, TokenStore

__all__ = ["Registry"]


class Registry:
    """Sessions, handles and logs of one running fake server."""

    def __init__(
        self,
        settings: FakeServerSettings,
        *,
        fault_plan: FaultPlan | None,
        changed: Callable[[], None],
        now_wall: Callable[[], dt.datetime],
    ) -> None:
        self.settings = settings
        #: The active fault plan (replaceable at runtime; every connection reads it).
        self.fault_plan = fault_plan
        self.tokens = TokenStore()
        #: Unexpected exceptions in the server (``FakeLiveServer.errors``).
        self.errors: list[BaseException] = []
        self.sessions: dict[str, FakeSession] = {}
        self.handles: dict[str, HandleRecord] = {}
        self.faults: list[FaultEvent] = []
        self._changed = changed
        self._now_wall = now_wall
        self._session_ids = itertools.count(1)
        self._call_ids = itertools.count(1)
        self._handle_ids = itertools.count(1)

    def now_wall(self) -> dt.datetime:
        """Wall-clock time of the server loop (virtual time moves it too)."""
        return self._now_wall()

    # -- sessions -------------------------------------------------------------------

    def session_for_setup(
        self, resume_handle: str | None, token: EphemeralToken | None
    ) -> FakeSession:
        """The session a valid setup continues (with a handle) or creates.

        Refusals, as the service: unknown/expired handle or ended session ⇒ 1008; the
        session's previous socket still open ⇒ 1011; a spent token ⇒ 1008.
        """
        if resume_handle:
            record = self.handles.get(resume_handle)
            if record is None or record.expires_at <= trio.current_time() or record.session.ended:
                raise Reject(1008, BAD_HANDLE)
            session = record.session
            if session.active is not None and session.active.is_open:
                raise Reject(1011, INTERNAL)
            if token is not None:
                token.check_new_session(self.now_wall(), resuming=True)
            session.restore(record)
            return session
        if token is not None:
            token.check_new_session(self.now_wall(), resuming=False)
        session = FakeSession(f"session-{next(self._session_ids)}", trio.current_time())
        session.token = token
        self.sessions[session.id] = session
        return session

    def next_call_id(self) -> str:
        """Server-wide unique function call id (``function-call-<n>``)."""
        return f"function-call-{next(self._call_ids)}"

    # -- handles --------------------------------------------------------------------

    def issue_handle(
        self, session: FakeSession, *, server_connection: int, last_consumed_index: int
    ) -> str:
        """Checkpoint the session and return the new handle."""
        n = next(self._handle_ids)
        digest = hashlib.blake2s(f"{session.id}/{n}".encode(), digest_size=6).hexdigest()
        handle = f"{session.id}-h{n}-{digest}"
        history, consumed = session.snapshot()
        now = trio.current_time()
        self.handles[handle] = HandleRecord(
            handle=handle,
            session=session,
            history=history,
            consumed=consumed,
            issued_at=now,
            expires_at=now + self.settings.handle_ttl,
            server_connection=server_connection,
            last_consumed_index=last_consumed_index,
        )
        # bounded memory: only the most recent handles of a session stay valid
        for old in session.add_handle(handle, self.settings.max_handles):
            self.handles.pop(old, None)
        return handle

    def kill_handles(self, session: FakeSession) -> None:
        """Invalidate every handle of a session (its duration limit was hit)."""
        for handle in session.handles:
            self.handles.pop(handle, None)

    # -- logs -------------------------------------------------------------------------

    def record_fault(
        self,
        *,
        server_connection: int,
        session_id: str | None,
        kind: str,
        parameter: float,
        planned: bool,
    ) -> None:
        """Append to the fault log (``server.faults``)."""
        self.faults.append(
            FaultEvent(
                time=trio.current_time(),
                server_connection=server_connection,
                session_id=session_id,
                kind=kind,
                parameter=parameter,
                planned=planned,
            )
        )
        self._changed()

    def internal_error(self, exc: BaseException) -> None:
        """Record a bug in the fake itself; the caller closes with 1011 as the service would."""
        self.errors.append(exc)
        traceback.print_exception(exc, file=sys.stderr)
        self._changed()
