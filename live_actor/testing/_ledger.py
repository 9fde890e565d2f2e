"""The per-session ledger of client messages: the evidence for "nothing lost, nothing twice".

Every client message the server decodes is appended to its session's ledger, in
arrival order, as a :class:`LedgerEntry`.  ``index`` is the message's position on its
connection (``setup`` is 0 on every connection, as ``lastConsumedClientMessageIndex``
counts), ``connection`` the 1-based number of the connection *within the session*.

"Received" is everything that arrived.  "Consumed" (``Session.consumed``) is the
subset whose effect is part of the session's *current* state: when a client resumes
from an older handle the service forgets what it consumed after issuing that handle,
and so does the fake — those entries stay in ``received`` but drop out of
``consumed``.  A lossless client therefore shows every control message exactly once
in ``Session.consumed``.
"""

from __future__ import annotations

from typing import Any, Final

import attrs

__all__ = ["CONTROL_KINDS", "LedgerEntry"]

CONTROL_KINDS: Final = frozenset(
    {
        "clientContent",
        "realtimeInput.text",
        "realtimeInput.activityStart",
        "realtimeInput.activityEnd",
        "realtimeInput.audioStreamEnd",
        "toolResponse",
        "contextUpdate",
    }
)


@attrs.frozen
class LedgerEntry:
    """One decoded client message (camelCase keys) and where it arrived.

    ``kind`` is ``"setup"``, ``"clientContent"``, ``"toolResponse"``,
    ``"contextUpdate"`` or ``"realtimeInput.<field>"`` (``audio``, ``video``,
    ``text``, ``activityStart``, ``activityEnd``, ``audioStreamEnd``, ``mediaChunks``).
    ``text`` is the user text carried (clientContent texts joined by newlines,
    realtimeInput.text), ``call_ids`` the ids answered by a toolResponse.
    ``time`` is the server loop clock at arrival.
    """

    session_id: str | None
    connection: int
    server_connection: int
    index: int
    kind: str
    message: dict[str, Any] = attrs.field(repr=False)
    time: float
    text: str | None = None
    call_ids: tuple[str, ...] = ()

    @property
    def is_control(self) -> bool:
        """True for messages a lossless client must deliver exactly once (not media)."""
        return self.kind in CONTROL_KINDS
