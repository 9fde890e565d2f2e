"""What the outbound ledger keeps per command, and what it tells the user.

:class:`Entry` is one accepted command and its fate; :class:`SendOutcome` the
fate as ``Receipt.outcome`` shows it; :class:`LedgerStats` the counters on
``handle.ledger``.  The classification helpers (:func:`is_media`,
:func:`triggers_turn`, :func:`media_seconds`) decide which of the ledger's
rules apply to a message (see ``_ledger``).
"""

from __future__ import annotations

import enum
import re

import attrs

from ._messages import ClientContent, ClientMessage, RealtimeInput

__all__ = [
    "Entry",
    "LedgerStats",
    "SendOutcome",
    "is_media",
    "media_seconds",
    "sample_rate",
    "triggers_turn",
]


class SendOutcome(enum.StrEnum):
    """Where one accepted command is now (``Receipt.outcome``)."""

    #: accepted, handed to the session, not yet sent nor queued.
    ACCEPTED = "accepted"
    #: waiting for a ready connection (dialling, rotating, replaying).
    QUEUED = "queued"
    #: written to a connection's socket.
    SENT = "sent"
    #: sent again on a new connection after a reconnect.
    REPLAYED = "replayed"
    #: a resumption handle (or the server's consumed index) proves the server has it.
    CONFIRMED = "confirmed"
    #: never delivered: see ``Receipt.drop_reason``.
    DROPPED = "dropped"
    #: sent on a connection that died, not replayed before the session closed.
    UNCONFIRMED_AT_CLOSE = "unconfirmed_at_close"


_RATE_RE = re.compile(r"rate=(\d+)")


def is_media(message: ClientMessage) -> bool:
    """Audio/video chunks: high rate, lossy by policy, kept in a ring."""
    return isinstance(message, RealtimeInput) and (
        message.audio is not None or message.video is not None or bool(message.media_chunks)
    )


def triggers_turn(message: ClientMessage) -> bool:
    """Does consuming this message make the model start a turn?"""
    if isinstance(message, ClientContent):
        return message.turn_complete is not False
    if isinstance(message, RealtimeInput):
        return message.text is not None or message.activity_end is not None
    return False


#: MIME type -> sample rate; a session uses one or two types, so 64 is plenty.
_RATES: dict[str, int] = {}


def sample_rate(mime_type: str) -> int:
    """The ``rate=`` of an audio MIME type (16 kHz when absent), cached per type."""
    rate = _RATES.get(mime_type)
    if rate is None:
        match = _RATE_RE.search(mime_type)
        rate = int(match.group(1)) if match else 16000
        if len(_RATES) < 64:
            _RATES[mime_type] = rate
    return rate


def media_seconds(message: ClientMessage) -> float:
    """Play-out duration of an audio chunk (s16le mono); frames count as 0."""
    if not isinstance(message, RealtimeInput):
        return 0.0
    blobs = [message.audio] if message.audio is not None else list(message.media_chunks or ())
    total = 0.0
    for blob in blobs:
        if blob is None or blob.data is None:
            continue
        mime = blob.mime_type or ""
        if mime.startswith("audio/"):
            total += len(blob.data) / (2 * sample_rate(mime))
    return total


@attrs.define(slots=True)
class Entry:
    """One accepted command and what happened to it."""

    seq: int
    message: ClientMessage
    media: bool
    turn: bool
    #: connection number and per-connection index once sent; ``None`` while queued.
    connection: int | None = None
    index: int | None = None
    #: a server reply proves the message was consumed (rule 3).
    answered: bool = False
    #: its exchange completed (a turn that started after it was sent ended): its
    #: text is in the transcript that seeds a fresh session (rule 7).
    completed: bool = False
    replays: int = 0
    #: play-out duration for audio (computed once, used by the ring).
    seconds: float = 0.0
    #: for turn triggers: 1-based position among the triggers of its connection.
    ordinal: int = 0
    #: the session's command task took it: it is sent or queued, never dropped
    #: for the cancellation of the send that handed it over.
    taken: bool = False
    #: the encoded frame (encoded once, when accepted; ``None`` on the per-chunk path).
    frame: str | None = None
    #: bytes it takes on the wire (its frame; the per-chunk path: its data as base64).
    size: int = 0
    outcome: SendOutcome = SendOutcome.ACCEPTED
    drop_reason: str | None = None
    #: times the server closed with 1009 (too big) while this was the likely culprit.
    too_big_strikes: int = 0


@attrs.define
class LedgerStats:
    """Counters exposed on the handle (``handle.ledger``)."""

    accepted: int = 0
    sent: int = 0
    queued: int = 0
    replayed: int = 0
    confirmed: int = 0
    dropped: int = 0
    dropped_media: int = 0
    dropped_media_seconds: float = 0.0
    dropped_reasons: dict[str, int] = attrs.Factory(dict)
    #: sent messages let go of by ``ledger_bytes`` (no longer replayable).
    forgotten: int = 0
    #: sent on a connection that died, not yet replayed when the session closed:
    #: the server may or may not have consumed them.
    unconfirmed_at_close: int = 0

    def drop(self, reason: str, entry: Entry) -> None:
        entry.outcome = SendOutcome.DROPPED
        entry.drop_reason = reason
        self.dropped += 1
        self.dropped_reasons[reason] = self.dropped_reasons.get(reason, 0) + 1
        if entry.media:
            self.dropped_media += 1
            self.dropped_media_seconds += entry.seconds
