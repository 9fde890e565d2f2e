"""Server-wide state that outlives a connection: sessions, handles, ids, faults, errors.

Why a registry: a connection must find the session a resumption handle belongs to,
issue handles, draw call ids that are unique on the server and log faults, but it
must not hold the whole server.  It sees this class through the narrow
:class:`~live_actor.testing._services.SessionServices` Protocol.  Mutated only in the
server thread; tests read it through ``FakeLiveServer``'s copies.

Retention (a standalone server runs for days): a *finished* session (no open
connection) is forgotten, with its ledger, history and handles, once more than
``retain_finished`` sessions are finished (oldest first) or when it finished more than
``retain_seconds`` ago; a resumption with one of its handles then fails like an
expired handle.  The fault log keeps the last ``FAULT_LOG`` faults; tokens are
forgotten once expired (see ``_tokens``).  Pruning runs when a connection closes and
when a session starts (never on a timer, so a virtual clock is not driven by it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import sys
import traceback
from collections.abc import Callable
from typing import Final

import trio

from ._faults import FaultEvent, FaultPlan
from ._session import FakeSession, HandleRecord
from ._settings import FakeServerSettings
from ._setup import BAD_HANDLE, INTERNAL, VOICE_CONSENT, Reject, ReplicatedVoice
from ._tokens import EphemeralToken, TokenStore

__all__ = ["Registry"]

#: Faults kept in ``server.faults`` (the most recent).
FAULT_LOG: Final = 10_000


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
        # a list (not a deque): other threads copy it, which is atomic for a list
        self.faults: list[FaultEvent] = []
        #: Finished sessions forgotten by the retention rules.
        self.pruned_sessions = 0
        self._changed = changed
        self._now_wall = now_wall
        self._session_ids = itertools.count(1)
        self._call_ids = itertools.count(1)
        self._handle_ids = itertools.count(1)
        self._voice_signatures: set[str] = set()

    def now_wall(self) -> dt.datetime:
        """Wall-clock time of the server loop (virtual time moves it too)."""
        return self._now_wall()

    # -- sessions -------------------------------------------------------------------

    def session_for_setup(
        self,
        resume_handle: str | None,
        token: EphemeralToken | None,
        voice: ReplicatedVoice | None = None,
    ) -> FakeSession:
        """The session a valid setup continues (with a handle) or creates.

        Refusals, as the service: unknown/expired handle or ended session ⇒ 1008; the
        session's previous socket still open ⇒ 1011; a spent token ⇒ 1008; a
        replicated voice without its consent signature (see :meth:`_check_voice`) ⇒
        1007.
        """
        if resume_handle:
            record = self.handles.get(resume_handle)
            if record is None or record.expires_at <= trio.current_time() or record.session.ended:
                raise Reject(1008, BAD_HANDLE)
            session = record.session
            if session.active is not None and session.active.is_open:
                raise Reject(1011, INTERNAL)
            self._check_voice(voice, session.voice_signature)
            if token is not None:
                token.check_new_session(self.now_wall(), resuming=True)
            session.restore(record)
            return session
        self._check_voice(voice, None)
        if token is not None:
            token.check_new_session(self.now_wall(), resuming=False)
        self.prune()
        session = FakeSession(f"session-{next(self._session_ids)}", trio.current_time())
        session.token = token
        if voice is not None:
            session.voice_signature = (
                self._new_voice_signature(session) if voice.consent_audio else voice.signature
            )
        self.sessions[session.id] = session
        return session

    def _check_voice(self, voice: ReplicatedVoice | None, required: str | None) -> None:
        """Replicated voices (``wire-protocol.md §13.4``).

        A session that has a voice consent signature must send it back in every
        later setup; a new session needs consent audio or a signature this server
        issued.
        """
        if required is not None:
            valid = voice is not None and voice.signature == required
        else:
            valid = (
                voice is None or voice.consent_audio or voice.signature in self._voice_signatures
            )
        if not valid:
            raise Reject(1007, VOICE_CONSENT)

    def _new_voice_signature(self, session: FakeSession) -> str:
        digest = hashlib.blake2s(f"voice/{session.id}".encode(), digest_size=12).hexdigest()
        signature = f"voice-consent-{digest}"
        self._voice_signatures.add(signature)
        return signature

    def connection_closed(self, session: FakeSession | None) -> None:
        """A connection of ``session`` (None: before setup) closed."""
        self.prune()

    def prune(self) -> None:
        """Forget finished sessions beyond the retention bounds, and expired tokens."""
        now = trio.current_time()
        settings = self.settings
        finished = sorted(
            (
                (s.finished_at, s)
                for s in self.sessions.values()
                if s.active is None and s.finished_at is not None
            ),
            key=lambda pair: pair[0],
        )
        excess = len(finished) - settings.retain_finished
        for index, (finished_at, session) in enumerate(finished):
            if index < excess or now - finished_at >= settings.retain_seconds:
                del self.sessions[session.id]
                self.kill_handles(session)
                self.pruned_sessions += 1
        self.tokens.prune(self.now_wall())

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
            call_ids=frozenset(session.state_call_ids),
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
        if len(self.faults) > FAULT_LOG:
            del self.faults[: len(self.faults) - FAULT_LOG]
        self._changed()

    def internal_error(self, exc: BaseException) -> None:
        """Record a bug in the fake itself; the caller closes with 1011 as the service would."""
        self.errors.append(exc)
        traceback.print_exception(exc, file=sys.stderr)
        self._changed()
