"""What the parts of a connection may ask of the rest of the server: narrow Protocols.

Why Protocols and not the objects: a connection, its input handler and its turn
engine each get exactly the services they use, so each can be built (and read)
without a running server, and no module of the fake needs to import the module that
creates it.  The server's :class:`~live_actor.testing._registry.Registry` and
:class:`~live_actor.testing._bridge.LoopBridge` satisfy these structurally; a
connection satisfies :class:`Outbox` for its children.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from ._faults import FaultPlan
from ._session import FakeSession
from ._setup import ReplicatedVoice
from ._tokens import EphemeralToken

__all__ = ["Bridge", "Outbox", "SessionServices", "TurnServices"]

T = TypeVar("T")


class TurnServices(Protocol):
    """What a turn engine asks of the server: handles and call ids."""

    def issue_handle(
        self, session: FakeSession, *, server_connection: int, last_consumed_index: int
    ) -> str:
        """Checkpoint the session; return the new resumption handle."""

    def next_call_id(self) -> str:
        """A function call id unique on the server."""


class SessionServices(TurnServices, Protocol):
    """What a connection asks of the server's registry."""

    @property
    def fault_plan(self) -> FaultPlan | None:
        """The active fault plan (may change at runtime)."""

    def now_wall(self) -> dt.datetime:
        """Wall-clock time of the server loop."""

    def session_for_setup(
        self,
        resume_handle: str | None,
        token: EphemeralToken | None,
        voice: ReplicatedVoice | None = None,
    ) -> FakeSession:
        """The session a setup continues or creates (raises ``Reject``)."""

    def kill_handles(self, session: FakeSession) -> None:
        """Invalidate every handle of a session."""

    def connection_closed(self, session: FakeSession | None) -> None:
        """A connection (of ``session``, once set up) closed: retention may prune."""

    def record_fault(
        self,
        *,
        server_connection: int,
        session_id: str | None,
        kind: str,
        parameter: float,
        planned: bool,
    ) -> None:
        """Log an applied fault."""

    def internal_error(self, exc: BaseException) -> None:
        """Log a bug in the fake itself."""


class Bridge(Protocol):
    """The cross-thread side of the server loop (see ``_bridge``)."""

    def call(self, fn: Callable[[], T], timeout: float = 10.0) -> T:
        """Run ``fn`` in the server thread and return its result."""

    def changed(self) -> None:
        """Wake every waiter."""

    def has_waiters(self) -> bool:
        """Whether anybody waits for a change."""


class Outbox(Protocol):
    """How the parts of a connection send frames and start tasks on it."""

    @property
    def number(self) -> int:
        """The connection's global number (handles record it)."""

    @property
    def last_consumed_index(self) -> int:
        """Index of the last client message consumed on the connection."""

    async def emit(self, message: dict[str, Any]) -> None:
        """Queue one server message (camelCase JSON) for the writer."""

    def spawn(self, fn: Callable[..., Awaitable[None]], *args: Any) -> None:
        """Run ``fn(*args)`` as a task of the connection (errors close it with 1011)."""

    def wake_timer(self) -> None:
        """Make the connection's timer re-read its deadlines."""
