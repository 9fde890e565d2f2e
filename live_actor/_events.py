"""What a session tells its user about its own life: the lifecycle events.

Server messages are delivered as :class:`~live_actor.types.ServerMessage`; the
supervisor's news (a reconnect, a resume, giving up, a goAway) as the small
frozen classes here.  ``SessionHandle.events()`` yields server messages, and
lifecycle events too when asked (``events(lifecycle=True)``).
"""

from __future__ import annotations

import datetime
import warnings

import attrs

from ._protocol._messages import ServerMessage

__all__ = ["Event", "GaveUp", "GoingAway", "Reconnecting", "Resumed"]


@attrs.frozen
class Reconnecting:
    """The connection ended; a new one is dialled after ``delay`` seconds."""

    attempt: int
    delay: float
    cause: str


@attrs.frozen
class Resumed:
    """A new connection is ready.

    ``state_restored`` is ``False`` when the server could not resume (no handle,
    or the handle was rejected/expired) and a fresh session was started.
    ``replayed``/``dropped`` count the ledger's outcomes of this reconnect;
    ``reseeded_turns`` the turns of history sent to re-seed a fresh session.
    """

    state_restored: bool
    replayed: int
    dropped: int
    reseeded_turns: int = 0


@attrs.frozen
class GoingAway:
    """The server announced the end of this connection (``goAway``).

    ``resumption_handle`` is the handle the session will resume with (a secret:
    kept out of the repr).
    """

    time_left: datetime.timedelta
    resumption_handle: str | None = attrs.field(repr=False)

    @property
    def handle(self) -> str | None:
        """Deprecated name of :attr:`resumption_handle`."""
        warnings.warn(
            "GoingAway.handle is deprecated; use GoingAway.resumption_handle",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.resumption_handle


@attrs.frozen
class GaveUp:
    """The supervisor stopped restarting the session."""

    reason: str


Event = ServerMessage | Reconnecting | Resumed | GoingAway | GaveUp
