"""Sessions (what survives resumption) and resumption handles.

Identity across resumptions: a session is created by a setup *without* a handle and
gets a stable id (``"session-1"``, ``"session-2"``, ...).  Every handle the server
issues belongs to one session; a setup that resumes with that handle continues the
same :class:`FakeSession` object (a new entry in ``FakeSession.connections``).  Tests
find a session with ``server.session(id)``, ``server.session_for_handle(handle)`` or
``connection.session``.

A handle is a checkpoint: it records the conversation *as it was when issued*.
Resuming with an older handle restores that older state (what the service does), so a
client that loses messages consumed after its last handle must replay them.

A session knows its connections only through :class:`ConnectionView` (the part of a
server connection tests read), so this module does not depend on the connection's.
"""

from __future__ import annotations

import threading
from typing import Any, Protocol

import attrs

from ._ledger import LedgerEntry
from ._setup import INTERNAL
from ._tokens import EphemeralToken

__all__ = ["ConnectionView", "FakeSession", "HandleRecord"]


class ConnectionView(Protocol):
    """What a session (and a test holding ``session.connections``) sees of a connection."""

    @property
    def number(self) -> int:
        """Global 1-based connection number on the server."""

    @property
    def connection_in_session(self) -> int:
        """1-based number of the connection within its session."""

    @property
    def session_id(self) -> str | None:
        """The stable session id, once setup succeeded."""

    @property
    def is_open(self) -> bool:
        """Whether the socket is still open."""

    @property
    def received(self) -> list[LedgerEntry]:
        """Every client message received on this connection."""

    def drop(self) -> None:
        """Abort the TCP connection without a close frame."""

    def close(self, code: int = 1011, reason: str = INTERNAL) -> None:
        """Close with a close frame."""

    def go_away(self, time_left: float = 1.0, *, cut: bool = True) -> None:
        """Send ``goAway``."""


@attrs.frozen
class HandleRecord:
    """What a resumption handle restores."""

    handle: str
    session: FakeSession
    history: tuple[dict[str, Any], ...]
    consumed: tuple[LedgerEntry, ...]
    issued_at: float
    expires_at: float
    server_connection: int
    last_consumed_index: int
    #: Function calls the checkpointed state knows (issued before the handle).
    call_ids: frozenset[str] = frozenset()


class FakeSession:
    """A conversation that may span several connections (via resumption).

    Public attributes are read-only views for tests; the server thread mutates them
    through the methods under "server thread only".  ``history`` is the conversation
    the model currently "remembers" (wire-shaped Content dicts, camelCase);
    ``received`` every client message of every connection in arrival order;
    ``consumed`` the messages whose effect is in ``history``.
    """

    def __init__(self, session_id: str, created_at: float) -> None:
        self.id = session_id
        self.created_at = created_at
        self._connections: list[ConnectionView] = []
        self._received: list[LedgerEntry] = []
        self._consumed: list[LedgerEntry] = []
        self._history: list[dict[str, Any]] = []
        self._handles: list[str] = []
        self._lock = threading.Lock()
        self.used_audio = False
        self.used_video = False
        self.ended = False
        self.token: EphemeralToken | None = None
        #: Every function call id issued in the session (any connection, any state).
        self.issued_call_ids: set[str] = set()
        #: The calls the current state knows: a resumption from an older handle
        #: forgets those issued after it (their responses are then ignored).
        self.state_call_ids: set[str] = set()
        self.audio_prompt_tokens = 0
        self.video_prompt_tokens = 0
        self.active: ConnectionView | None = None
        #: The replicated voice's consent signature every later setup must send.
        self.voice_signature: str | None = None
        #: Server time its last connection closed (None while one is open).
        self.finished_at: float | None = None

    def __repr__(self) -> str:
        return f"<FakeSession {self.id} connections={len(self._connections)}>"

    @property
    def connections(self) -> list[ConnectionView]:
        """Every connection of this session, oldest first (``[-1]`` is the latest)."""
        return list(self._connections)

    @property
    def received(self) -> list[LedgerEntry]:
        """Every client message received on any connection of the session, in order."""
        return list(self._received)

    @property
    def consumed(self) -> list[LedgerEntry]:
        """Messages whose effect is part of the current state (see ``_ledger``)."""
        with self._lock:
            return list(self._consumed)

    @property
    def history(self) -> list[dict[str, Any]]:
        """The conversation the model currently remembers (copy)."""
        with self._lock:
            return list(self._history)

    @property
    def handles(self) -> list[str]:
        """The still-valid resumption handles of this session, oldest first."""
        return list(self._handles)

    def control_texts(self) -> list[str]:
        """Texts of consumed clientContent/realtimeInput.text messages, in order.

        The one-liner for "nothing lost, nothing duplicated" assertions.
        """
        return [e.text for e in self.consumed if e.text is not None]

    # -- server thread only ---------------------------------------------------------

    def attach(self, conn: ConnectionView) -> int:
        """A connection joined (new or resumed); returns its number within the session."""
        self._connections.append(conn)
        self.active = conn
        self.finished_at = None
        return len(self._connections)

    def detach(self, conn: ConnectionView, now: float) -> None:
        """A connection closed: it no longer blocks a resumption."""
        if self.active is conn:
            self.active = None
            self.finished_at = now

    def record(self, entry: LedgerEntry) -> None:
        """A client message arrived and takes effect."""
        self._received.append(entry)
        with self._lock:
            self._consumed.append(entry)

    def append_history(self, content: dict[str, Any]) -> None:
        """The model's context grew by one Content."""
        with self._lock:
            self._history.append(content)

    def call_issued(self, call_id: str) -> None:
        """The model issued a function call."""
        self.issued_call_ids.add(call_id)
        self.state_call_ids.add(call_id)

    def mark_ignored(self, entry: LedgerEntry, reason: str) -> LedgerEntry:
        """A recorded message turned out to have no effect: ledger it as ignored.

        It stays in ``received`` (with ``ignored`` set) and leaves ``consumed``.
        """
        marked = attrs.evolve(entry, ignored=reason)
        for i in range(len(self._received) - 1, -1, -1):
            if self._received[i] is entry:
                self._received[i] = marked
                break
        with self._lock:
            self._consumed = [e for e in self._consumed if e is not entry]
        return marked

    def snapshot(self) -> tuple[tuple[dict[str, Any], ...], tuple[LedgerEntry, ...]]:
        """(history, consumed) now: what a handle issued now restores."""
        with self._lock:
            return tuple(self._history), tuple(self._consumed)

    def restore(self, record: HandleRecord) -> None:
        """Go back to the state a handle recorded (a resumption)."""
        with self._lock:
            self._history = list(record.history)
            self._consumed = list(record.consumed)
        self.state_call_ids = set(record.call_ids)

    def add_handle(self, handle: str, keep: int) -> list[str]:
        """Remember a new handle; return the oldest ones beyond ``keep`` (now invalid)."""
        self._handles.append(handle)
        expired = self._handles[:-keep] if len(self._handles) > keep else []
        del self._handles[: len(expired)]
        return expired
