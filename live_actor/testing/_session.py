"""Sessions (what survives resumption) and resumption handles.

Identity across resumptions: a session is created by a setup *without* a handle and
gets a stable id (``"session-1"``, ``"session-2"``, ...).  Every handle the server
issues belongs to one session; a setup that resumes with that handle continues the
same :class:`Session` object (a new entry in ``Session.connections``).  Tests find a
session with ``server.session(id)``, ``server.session_for_handle(handle)`` or
``connection.session``.

A handle is a checkpoint: it records the conversation *as it was when issued*.
Resuming with an older handle restores that older state (what the service does), so a
client that loses messages consumed after its last handle must replay them.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import attrs

from ._ledger import LedgerEntry

if TYPE_CHECKING:
    from ._conn import ServerConnection
    from ._tokens import EphemeralToken

__all__ = ["HandleRecord", "Session"]


@attrs.frozen
class HandleRecord:
    """What a resumption handle restores."""

    handle: str
    session: Session
    history: tuple[dict[str, Any], ...]
    consumed: tuple[LedgerEntry, ...]
    issued_at: float
    expires_at: float
    server_connection: int
    last_consumed_index: int


class Session:
    """A conversation that may span several connections (via resumption).

    Public attributes are read-only views for tests; the server thread mutates them.
    ``history`` is the conversation the model currently "remembers" (wire-shaped
    Content dicts, camelCase); ``received`` every client message of every connection
    in arrival order; ``consumed`` the messages whose effect is in ``history``.
    """

    def __init__(self, session_id: str, created_at: float) -> None:
        self.id = session_id
        self.created_at = created_at
        self._connections: list[ServerConnection] = []
        self._received: list[LedgerEntry] = []
        self._consumed: list[LedgerEntry] = []
        self._history: list[dict[str, Any]] = []
        self._handles: list[str] = []
        self._lock = threading.Lock()
        self.used_audio = False
        self.used_video = False
        self.ended = False
        self.token: EphemeralToken | None = None
        self.issued_call_ids: set[str] = set()
        self.audio_prompt_tokens = 0
        self.video_prompt_tokens = 0
        self.active: ServerConnection | None = None

    def __repr__(self) -> str:
        return f"<Session {self.id} connections={len(self._connections)}>"

    @property
    def connections(self) -> list[ServerConnection]:
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

    # -- server-thread mutators -------------------------------------------------

    def _record(self, entry: LedgerEntry) -> None:
        self._received.append(entry)
        with self._lock:
            self._consumed.append(entry)

    def _append_history(self, content: dict[str, Any]) -> None:
        with self._lock:
            self._history.append(content)

    def _snapshot(self) -> tuple[tuple[dict[str, Any], ...], tuple[LedgerEntry, ...]]:
        with self._lock:
            return tuple(self._history), tuple(self._consumed)

    def _restore(self, record: HandleRecord) -> None:
        with self._lock:
            self._history = list(record.history)
            self._consumed = list(record.consumed)
