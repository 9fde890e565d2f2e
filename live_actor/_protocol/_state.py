"""The session status machine, as data.

h11's rule, adopted here: everything that decides a status change lives in this
file, and as much of it as possible in the table below rather than in ``if``
chains.  :class:`~live_actor._protocol._core.SessionCore` consults
:data:`TRANSITIONS` for every lifecycle input; the tests check the core against
it and ``docs/design.md`` shows it rendered by :func:`render_table`.

Rules:

1. ``DISCONNECTED -> CONNECTING -> SETUP_PENDING -> READY`` is one connection's
   life: a dial, ``setup`` sent, ``setupComplete`` received.
2. A lost connection goes back to ``DISCONNECTED`` (the supervisor may dial
   again), except while ``CLOSING``, where it ends the session: ``CLOSED``.
3. ``close`` moves a session with a connection to ``CLOSING`` (what was
   accepted is still sent), and one without a connection straight to
   ``CLOSED``.  ``CLOSED`` is terminal: only ``close`` is accepted there (a
   no-op).
4. A pair missing from the table is a :class:`LocalProtocolError`: the caller
   asked for something the protocol forbids in that status.

Frames are received only while a connection is open (:data:`RECEIVING`);
commands are accepted (sent or queued) in every status but the closing ones
(:data:`ACCEPTING`).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Final

__all__ = ["ACCEPTING", "RECEIVING", "TRANSITIONS", "Input", "SessionStatus", "render_table"]


class SessionStatus(enum.StrEnum):
    """Where a session is in its life (the seed's five states plus ``CLOSED``)."""

    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    SETUP_PENDING = "setup_pending"
    READY = "ready"
    CLOSING = "closing"
    CLOSED = "closed"


class Input(enum.StrEnum):
    """The lifecycle inputs of :class:`SessionCore` (frames and commands are not
    lifecycle inputs: they never change the status except through these)."""

    START_CONNECTION = "start_connection"
    SEND_SETUP = "send_setup"
    SETUP_COMPLETE = "setup_complete"
    CONNECTION_LOST = "connection_lost"
    CLOSE = "close"
    CLOSE_FINISHED = "close_finished"


S = SessionStatus

#: (status, input) -> next status.  Missing pairs are illegal (rule 4).
TRANSITIONS: Final[Mapping[tuple[SessionStatus, Input], SessionStatus]] = {
    (S.DISCONNECTED, Input.START_CONNECTION): S.CONNECTING,
    (S.DISCONNECTED, Input.CONNECTION_LOST): S.DISCONNECTED,
    (S.DISCONNECTED, Input.CLOSE): S.CLOSED,
    (S.DISCONNECTED, Input.CLOSE_FINISHED): S.CLOSED,
    (S.CONNECTING, Input.SEND_SETUP): S.SETUP_PENDING,
    (S.CONNECTING, Input.CONNECTION_LOST): S.DISCONNECTED,
    (S.CONNECTING, Input.CLOSE): S.CLOSING,
    (S.CONNECTING, Input.CLOSE_FINISHED): S.CLOSED,
    (S.SETUP_PENDING, Input.SETUP_COMPLETE): S.READY,
    (S.SETUP_PENDING, Input.CONNECTION_LOST): S.DISCONNECTED,
    (S.SETUP_PENDING, Input.CLOSE): S.CLOSING,
    (S.SETUP_PENDING, Input.CLOSE_FINISHED): S.CLOSED,
    (S.READY, Input.CONNECTION_LOST): S.DISCONNECTED,
    (S.READY, Input.CLOSE): S.CLOSING,
    (S.READY, Input.CLOSE_FINISHED): S.CLOSED,
    (S.CLOSING, Input.CONNECTION_LOST): S.CLOSED,
    (S.CLOSING, Input.CLOSE): S.CLOSING,
    (S.CLOSING, Input.CLOSE_FINISHED): S.CLOSED,
    (S.CLOSED, Input.CLOSE): S.CLOSED,
    (S.CLOSED, Input.CLOSE_FINISHED): S.CLOSED,
}

#: Statuses in which a connection is open and frames arrive.
RECEIVING: Final = frozenset((S.SETUP_PENDING, S.READY, S.CLOSING))
#: Statuses in which new commands are accepted (sent now or queued).
ACCEPTING: Final = frozenset((S.DISCONNECTED, S.CONNECTING, S.SETUP_PENDING, S.READY))


def render_table() -> str:
    """The transition table as a Markdown table (for ``docs/design.md``)."""
    inputs = list(Input)
    lines = [
        "| status | " + " | ".join(f"`{i}`" for i in inputs) + " |",
        "|---|" + "---|" * len(inputs),
    ]
    for status in SessionStatus:
        cells = [str(TRANSITIONS.get((status, i), "—")) for i in inputs]
        lines.append(f"| {status} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
