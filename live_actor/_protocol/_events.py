"""What :meth:`SessionCore.receive` returns: small frozen events the shell switches on once.

In wsproto's shape: the core decodes a frame, updates its state and says what
happened; the actor performs it (deliver the message, start a tool, arm the
goAway deadline, log a turn) with one ``match`` and no second look at the
message's fields.  Every frame that decodes yields a :class:`MessageReceived`
first, then the events it implies, in this order: :class:`Ready`,
:class:`TurnStarted`, :class:`ToolCallIssued`, :class:`ToolCallsCancelled`,
:class:`UsageReported`, :class:`TurnCompleted`, :class:`HandleUpdated`,
:class:`GoAwayReceived`.
"""

from __future__ import annotations

import attrs

from .._errors import RemoteProtocolError
from ._messages import ServerMessage, SessionResumptionUpdate, ToolCall, UsageMetadata

__all__ = [
    "CoreEvent",
    "GoAwayReceived",
    "HandleUpdated",
    "MalformedFrame",
    "MessageReceived",
    "Ready",
    "ToolCallIssued",
    "ToolCallsCancelled",
    "TurnCompleted",
    "TurnStarted",
    "UsageReported",
]


@attrs.frozen(slots=True)
class MessageReceived:
    """A decoded server message to deliver; ``size`` is its frame's length in bytes."""

    message: ServerMessage
    size: int


@attrs.frozen(slots=True)
class MalformedFrame:
    """A frame that could not be decoded (core rule 4: reported, skipped)."""

    error: RemoteProtocolError
    count: int


@attrs.frozen(slots=True)
class Ready:
    """``setupComplete``: the connection is ready; ``resumed`` if setup carried a handle."""

    resumed: bool


@attrs.frozen(slots=True)
class TurnStarted:
    """The model's first output of a turn (``turn`` counts turns in the session)."""

    turn: int


@attrs.frozen(slots=True)
class TurnCompleted:
    """A turn ended: ``turnComplete``, a barge-in (``interrupted``) or a lost
    connection (``cut``).  ``usage`` is the turn's last usage snapshot."""

    turn: int
    interrupted: bool = False
    cut: bool = False
    usage: UsageMetadata | None = None


@attrs.frozen(slots=True)
class ToolCallIssued:
    """The server asked for function calls; ``ids`` are the non-empty call ids."""

    call: ToolCall
    ids: tuple[str, ...]


@attrs.frozen(slots=True)
class ToolCallsCancelled:
    """``toolCallCancellation``: these calls are withdrawn."""

    ids: tuple[str, ...]


@attrs.frozen(slots=True)
class UsageReported:
    """A ``usageMetadata`` snapshot arrived (it may repeat within a turn)."""

    usage: UsageMetadata


@attrs.frozen(slots=True)
class HandleUpdated:
    """A ``sessionResumptionUpdate``; ``stored`` when it replaced the resumption handle."""

    update: SessionResumptionUpdate
    stored: bool


@attrs.frozen(slots=True)
class GoAwayReceived:
    """``goAway``: the connection ends in ``time_left`` seconds."""

    time_left: float


CoreEvent = (
    MessageReceived
    | MalformedFrame
    | Ready
    | TurnStarted
    | TurnCompleted
    | ToolCallIssued
    | ToolCallsCancelled
    | UsageReported
    | HandleUpdated
    | GoAwayReceived
)
