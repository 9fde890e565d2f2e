"""The outbound ledger: why nothing a user sends is lost across reconnections.

Every accepted command gets an :class:`Entry` and, in the end, one outcome:
*sent* (and later confirmed or pruned), *queued* (accepted while no connection
was ready), *replayed* (sent again on a new connection) or *dropped* with a
reason.  The ledger is pure bookkeeping (no I/O, no clock); the session core
feeds it and asks it what to send after a reconnect.

Rules (read top to bottom, as in h11's ``_state.py``):

1. Control messages (``clientContent``, ``realtimeInput.text``, activity
   markers, ``audioStreamEnd``, ``toolResponse``, ``contextUpdate``) are kept
   until a resumption handle is known to contain them, then pruned.
2. With ``transparent`` resumption (Vertex AI) the server says exactly what it
   consumed (``lastConsumedClientMessageIndex``): entries of the current
   connection up to that index are pruned; the rest is replayed first.
3. Without it a resumable handle covers what the server had consumed when it
   issued the handle.  When it issues them differs by service and model
   (``docs/wire-protocol.md`` §13.1): the Developer API only while idle, right
   after ``turnComplete``; Vertex at any time, mid-answer too, 20-70 ms after
   ``turnComplete``; 3.x models right after a ``toolResponse`` and unasked; 3.8
   extended thinking several ``turnComplete`` per request.  So the rule uses
   only what holds under every profile, the order of events on the handle's
   connection, and a handle covers:

   * a turn-triggering message (``clientContent`` with ``turnComplete``,
     ``realtimeInput.text``, ``activityEnd``) that is the k-th trigger sent on
     the connection, when a model turn started after it was sent and at least
     k turns started before the handle arrived: the server began answering
     it, so it had consumed it (a handle that overtakes the answer, or one
     issued mid-answer of an earlier turn, covers nothing of it).  When the
     service answers several triggers sent back to back with one turn, the
     later ones of the connection cannot be proven this way: they are
     replayed, and may be repeated (the client's view of "idle" cannot tell a
     merged trigger from one still in flight, so no shortcut is sound);
   * a ``toolResponse`` answering a call issued on the connection, when model
     output arrived after it was sent (the model went on with the result);
   * any other control message, once a trigger sent after it is covered
     (the server consumes in order); until then it is kept and replayed.

   Kept messages are replayed; a consumed one may then arrive twice (never
   lost).  ``transparent`` resumption (Vertex AI) is exact.
4. Audio and video go to a bounded ring (``media_buffer_seconds``).  A handle
   removes the chunks up to the last message it provably holds; on a reconnect
   the rest are replayed or dropped by policy, oldest first when the ring
   overflows, and every drop is counted.
5. Tool responses for calls issued on a connection that died are replayed
   first, once per call id, when the resumed session knows the call: it was
   issued before the handle the session resumed from.  A response to a call
   issued after that handle is unknown to the resumed session (the service
   ignores it): it is dropped and counted, and returned to the caller
   (:attr:`Ledger.unknown_call_responses`) so the question is asked again.
6. Commands accepted while not ready are queued in order and sent after the
   replay, so the user's order is kept.
7. A connection that starts a *fresh* session (no handle, or the handle was
   rejected) has none of the old state.  Messages the old server provably
   consumed (by rule 3's evidence: an answered turn trigger and everything sent
   before it on its connection) are not replayed: that would ask every
   question again.  They count as confirmed.  Tool responses left over are
   dropped (their calls belong to the lost session); the rest is replayed.
   While no handle exists at all, the next connection can only be fresh, so
   consumed messages are pruned as soon as the evidence arrives, keeping the
   ledger bounded on a server that never sends handles.  A fresh session seeded
   with the transcript gets no message whose exchange completed either: the
   seed holds it.
8. A message the server refused (it closed with 1007/1008 after setup) is
   dropped, not replayed into the same refusal: the newest control message of
   that connection.  A message the server found too big (1009) is replayed at
   most once more: the largest control message of that connection is dropped
   the second time.
"""

from __future__ import annotations

import collections
import enum
import re
from collections.abc import Iterable
from typing import Any, Final, Literal

import attrs

from ._messages import (
    Blob,
    ClientContent,
    ClientMessage,
    RealtimeInput,
    ToolResponse,
)

__all__ = [
    "Entry",
    "Ledger",
    "LedgerStats",
    "MediaPolicy",
    "SendOutcome",
    "is_media",
    "triggers_turn",
]

MediaPolicy = Literal["replay", "drop"]


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


_RATES: dict[str, int] = {}


def _sample_rate(mime_type: str) -> int:
    rate = _RATES.get(mime_type)
    if rate is None:
        match = _RATE_RE.search(mime_type)
        rate = _RATES[mime_type] = int(match.group(1)) if match else 16000
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
            total += len(blob.data) / (2 * _sample_rate(mime))
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
    #: the encoded frame of a control message (encoded once, when accepted).
    frame: str | None = None
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


#: The ledger's rings until their first entry: one empty deque shared by every
#: ledger (a deque costs ~700 bytes even empty).  The two places that append swap
#: in a deque of the ledger's own first; ``maxlen=0`` keeps the shared one empty.
_NONE_YET: Final[collections.deque[Any]] = collections.deque(maxlen=0)


class Ledger:
    """Outbound bookkeeping of one supervised session (see module rules)."""

    def __init__(
        self,
        *,
        transparent: bool = False,
        media_buffer_seconds: float = 1.0,
        media_policy: MediaPolicy = "replay",
    ) -> None:
        self.transparent = transparent
        self.media_buffer_seconds = media_buffer_seconds
        self.media_policy: MediaPolicy = media_policy
        self.stats = LedgerStats()
        self._seq = 0
        #: control messages sent but not yet covered by a handle, in send order.
        self._unconfirmed: collections.deque[Entry] = _NONE_YET
        #: media sent since the last handle, bounded by ``media_buffer_seconds``.
        self._media: collections.deque[Entry] = _NONE_YET
        self._media_seconds = 0.0
        #: commands accepted while no connection was ready.
        self._queued: list[Entry] = []
        #: call ids answered on some connection (rule 5).
        self._answered_calls: set[str] = set()
        #: connection -> triggers sent / turns started on it (rule 3).
        self._triggers: dict[int, int] = {}
        self._started: dict[int, int] = {}
        #: tool responses sent and waiting for model output after them (rule 3).
        self._awaiting_output: list[Entry] = []
        #: resumable handles received so far; a call's value is the count when it
        #: was issued (rule 5: issued before the handle numbered higher).
        self.handles = 0
        self._call_epoch: dict[str, int] = {}
        #: responses dropped by rule 5 at the last replay.
        self.unknown_call_responses: list[Entry] = []
        #: connection -> call ids the server issued on it (rule 3).
        self._issued_calls: dict[int, set[str]] = {}

    # ----------------------------------------------------------- accepting

    def accept(self, message: ClientMessage) -> Entry:
        self._seq += 1
        self.stats.accepted += 1
        media = is_media(message)
        return Entry(
            self._seq,
            message,
            media,
            triggers_turn(message),
            seconds=media_seconds(message) if media else 0.0,
        )

    def accept_media(self, message: RealtimeInput, blob: Blob) -> Entry:
        """``accept`` for a message known to carry the one media ``blob`` (the hot path)."""
        self._seq += 1
        self.stats.accepted += 1
        seconds = 0.0
        mime = blob.mime_type
        if mime is not None and mime.startswith("audio/") and blob.data is not None:
            seconds = len(blob.data) / (2 * _sample_rate(mime))
        return Entry(self._seq, message, True, False, seconds=seconds)

    def queue(self, entry: Entry) -> None:
        """Rule 6: hold a command until a connection is ready."""
        self.stats.queued += 1
        entry.outcome = SendOutcome.QUEUED
        if entry.media:
            # Bound queued media like the ring so a long outage cannot grow memory.
            queued_media = [e for e in self._queued if e.media]
            seconds = sum(e.seconds for e in queued_media) + entry.seconds
            while queued_media and seconds > self.media_buffer_seconds + 1e-9:
                oldest = queued_media.pop(0)
                self._queued.remove(oldest)
                seconds -= oldest.seconds
                self.stats.drop("media buffer full while reconnecting", oldest)
            if self.media_policy == "drop":
                self.stats.drop("media policy drop while reconnecting", entry)
                return
        self._queued.append(entry)

    def mark_sent(self, entry: Entry, connection: int, index: int, *, replay: bool) -> None:
        """``entry`` went out as message ``index`` of ``connection``."""
        entry.connection = connection
        entry.index = index
        entry.answered = False
        if entry.turn:
            entry.ordinal = self._triggers[connection] = self._triggers.get(connection, 0) + 1
        if replay:
            entry.replays += 1
            self.stats.replayed += 1
            entry.outcome = SendOutcome.REPLAYED
        else:
            self.stats.sent += 1
            entry.outcome = SendOutcome.SENT
        if entry.media:
            ring = self._media
            if ring is _NONE_YET:
                ring = self._media = collections.deque()
            ring.append(entry)
            self._media_seconds += entry.seconds
            while self._media_seconds > self.media_buffer_seconds + 1e-9 and ring:
                self._media_seconds -= ring.popleft().seconds
            return
        if isinstance(entry.message, ToolResponse):
            for response in entry.message.function_responses or ():
                if response.id:
                    self._answered_calls.add(response.id)
            self._awaiting_output.append(entry)
        if self._unconfirmed is _NONE_YET:
            self._unconfirmed = collections.deque()
        self._unconfirmed.append(entry)

    def unsend(self, entry: Entry) -> None:
        """Undo :meth:`mark_sent` of the entry sent last: its frame never reached the
        socket (the send was cancelled before handing it over)."""
        connection = entry.connection
        if entry.media:
            if self._media and self._media[-1] is entry:
                self._media_seconds -= self._media.pop().seconds
        elif self._unconfirmed and self._unconfirmed[-1] is entry:
            self._unconfirmed.pop()
            if self._awaiting_output and self._awaiting_output[-1] is entry:
                self._awaiting_output.pop()
        if entry.turn and connection is not None:
            self._triggers[connection] -= 1
        if entry.replays and entry.outcome is SendOutcome.REPLAYED:
            entry.replays -= 1
            self.stats.replayed -= 1
        else:
            self.stats.sent -= 1
        entry.connection = entry.index = None

    # ----------------------------------------------------------- evidence

    def turn_started(self, connection: int) -> None:
        """The model began a new turn: every turn trigger sent before it was consumed.

        Called on the first model output after a turn boundary, not on every
        chunk: trailing chunks of an earlier turn prove nothing about a message
        sent while they were in flight.
        """
        self._started[connection] = self._started.get(connection, 0) + 1
        for entry in self._unconfirmed:
            if entry.connection == connection:
                entry.answered = True
        self._awaiting_output.clear()

    def model_output(self) -> None:
        """Model output arrived: the tool responses sent before it were consumed (rule 3).

        Cheap to call on every output message: the list is empty but right
        after a tool response.
        """
        for entry in self._awaiting_output:
            entry.answered = True
        self._awaiting_output.clear()

    @property
    def awaiting_output(self) -> bool:
        return bool(self._awaiting_output)

    def calls_issued(self, connection: int, call_ids: Iterable[str]) -> None:
        """The server issued these function calls on ``connection`` (rules 3, 5)."""
        ids = list(call_ids)
        self._issued_calls.setdefault(connection, set()).update(ids)
        for call_id in ids:
            self._call_epoch[call_id] = self.handles

    def _covered_without_index(self, entry: Entry, connection: int) -> bool:
        if not entry.answered:
            return False
        if entry.turn:
            return self._started.get(connection, 0) >= entry.ordinal
        message = entry.message
        if isinstance(message, ToolResponse):
            issued = self._issued_calls.get(connection, set())
            ids = [r.id for r in message.function_responses or ()]
            return bool(ids) and all(call_id in issued for call_id in ids)
        return False

    def handle_received(self, connection: int, last_consumed_index: int | None) -> None:
        """A resumable handle arrived on ``connection``: prune what it covers.

        Only entries sent on that same connection can be covered: entries of an
        older connection that are still here were not in the state the server
        resumed from, and a handle issued on the new connection before their
        replay (the service sends one right after ``setupComplete``) says nothing
        about them.
        """
        self.handles += 1
        kept: collections.deque[Entry] = collections.deque()
        #: index of the last message of this connection the handle provably holds.
        frontier = -1
        if self.transparent:
            if last_consumed_index is not None:
                frontier = last_consumed_index
            for entry in self._unconfirmed:
                if (
                    entry.connection == connection
                    and entry.index is not None
                    and entry.index <= frontier
                ):
                    self._confirm(entry)
                else:
                    kept.append(entry)
        else:
            # Walk backwards: a covered message covers every earlier message of its
            # connection (the server consumes in order).
            for entry in reversed(self._unconfirmed):
                if entry.connection != connection:
                    kept.appendleft(entry)
                    continue
                if frontier >= 0 or self._covered_without_index(entry, connection):
                    frontier = max(frontier, entry.index if entry.index is not None else -1)
                    self._confirm(entry)
                else:
                    kept.appendleft(entry)
        if self._unconfirmed:  # (an empty one stays: no new deque per handle)
            self._unconfirmed = kept
        # Audio and video up to the frontier are in the state the handle captures;
        # later chunks may still be in flight and stay in the ring (rule 4).
        if self._media:
            self._media = collections.deque(
                entry
                for entry in self._media
                if entry.connection != connection or entry.index is None or entry.index > frontier
            )
        self._media_seconds = sum(entry.seconds for entry in self._media)

    def prune_consumed(self) -> None:
        """Rule 7: forget messages the server provably consumed (no handle needs them)."""
        self._unconfirmed = self._without_consumed(drop_tool_responses=False)

    def exchange_completed(self, connection: int) -> None:
        """A turn ended with ``turnComplete`` on ``connection``: the messages it
        answered are in the transcript now (rule 7)."""
        for entry in self._unconfirmed:
            if entry.connection == connection and entry.answered:
                entry.completed = True

    def _without_consumed(
        self, *, drop_tool_responses: bool, seeded: bool = False
    ) -> collections.deque[Entry]:
        if not self._unconfirmed:
            return self._unconfirmed  # nothing to prune (and no new deque)
        kept: collections.deque[Entry] = collections.deque()
        consumed_on: set[int | None] = set()  # connections whose frontier was passed
        for entry in reversed(self._unconfirmed):
            connection = entry.connection
            if connection in consumed_on or (seeded and entry.completed) or (
                entry.turn
                and entry.answered
                and connection is not None
                and self._started.get(connection, 0) >= entry.ordinal
            ):
                consumed_on.add(connection)  # the server consumes in order
                self._confirm(entry)
            elif drop_tool_responses and isinstance(entry.message, ToolResponse):
                self.stats.drop("tool response to a call of a session that was not restored", entry)
            else:
                kept.appendleft(entry)
        return kept

    def reject_last(self, connection: int, reason: str) -> Entry | None:
        """The server refused a message of ``connection`` and closed (1007/1008):
        drop the newest control message still unconfirmed there that no reply
        proves consumed, the likeliest culprit, so that a resume does not replay
        it into the same refusal."""
        for entry in reversed(self._unconfirmed):
            if entry.connection == connection and not entry.answered:
                self._unconfirmed.remove(entry)
                self.stats.drop(reason, entry)
                return entry
        return None

    def too_big(self, connection: int, reason: str) -> Entry | None:
        """The server closed ``connection`` with 1009 (message too big).

        The largest control message still unconfirmed there is the likely
        culprit: it is replayed once more (the 1009 may have had another
        cause), and dropped with ``reason`` the second time (rule 8).
        """
        candidates = [e for e in self._unconfirmed if e.connection == connection and e.frame]
        if not candidates:
            return None
        culprit = max(candidates, key=lambda e: len(e.frame or ""))
        culprit.too_big_strikes += 1
        if culprit.too_big_strikes < 2:
            return None
        self._unconfirmed.remove(culprit)
        self.stats.drop(reason, culprit)
        return culprit

    def _confirm(self, entry: Entry) -> None:
        entry.outcome = SendOutcome.CONFIRMED
        self.stats.confirmed += 1

    def call_issued(self, call_id: str) -> bool:
        """Was ``call_id`` issued on any connection of this session?"""
        return any(call_id in ids for ids in self._issued_calls.values())

    def tool_response_answered(self, call_id: str) -> bool:
        return call_id in self._answered_calls

    # ----------------------------------------------------------- reconnect

    def replay_plan(
        self, *, restored: bool = True, resumed_from: int | None = None, seeded: bool = False
    ) -> list[Entry]:
        """What to send, in order, once a new connection is ready.

        Rule 5 (tool responses first, deduplicated), then the unconfirmed
        control messages and the media ring in their original order, then the
        commands queued while disconnected; ``restored=False`` (a fresh
        session) applies rule 7 first.  ``resumed_from`` is the number of the
        handle the session resumed from (:attr:`handles` when it was stored):
        responses to calls issued after it are dropped (rule 5).  ``seeded``: a
        fresh session gets the transcript as history, so what it holds (every
        completed exchange) is not replayed either (rule 7).  Clears the
        ledger's buffers; the caller marks each entry sent again.
        """
        self.unknown_call_responses = []
        self._awaiting_output.clear()
        if not restored:
            self._unconfirmed = self._without_consumed(drop_tool_responses=True, seeded=seeded)
        tool: list[Entry] = []
        rest: list[Entry] = []
        seen_calls: set[str] = set()
        for entry in self._unconfirmed:
            if isinstance(entry.message, ToolResponse):
                ids = {r.id for r in entry.message.function_responses or () if r.id}
                if ids and ids <= seen_calls:
                    self.stats.drop("duplicate tool response", entry)
                    continue
                if resumed_from is not None and any(
                    self._call_epoch.get(call_id, -1) >= resumed_from for call_id in ids
                ):
                    self.stats.drop("the resumed session does not know the call", entry)
                    self.unknown_call_responses.append(entry)
                    continue
                seen_calls |= ids
                tool.append(entry)
            else:
                rest.append(entry)
        media = list(self._media)
        if self.media_policy == "drop":
            for entry in media:
                self.stats.drop("media policy drop on reconnect", entry)
            media = []
        merged = sorted(rest + media, key=lambda e: e.seq)
        queued = list(self._queued)
        self._unconfirmed.clear()
        self._media.clear()
        self._media_seconds = 0.0
        self._queued.clear()
        return tool + merged + queued

    def drop_all(self, reason: str, *, delivered_connection: int | None = None) -> list[Entry]:
        """The session ended: account for everything not known to be delivered.

        Queued commands never went out: dropped, with ``reason``.  Sent ones
        count as delivered on ``delivered_connection`` (the connection the
        session closed gracefully: the close frame follows them on the same
        stream).  Those sent on a connection that died were waiting for a replay
        that will not happen; the server may or may not have consumed them, so
        they are counted in ``stats.unconfirmed_at_close`` and returned.
        """
        dropped = list(self._queued)
        for entry in dropped:
            self.stats.drop(reason, entry)
        unknown = [e for e in self._unconfirmed if e.connection != delivered_connection]
        unknown += [e for e in self._media if e.connection != delivered_connection]
        self.stats.unconfirmed_at_close += len(unknown)
        for entry in unknown:
            entry.outcome = SendOutcome.UNCONFIRMED_AT_CLOSE
        dropped += unknown
        self._queued.clear()
        self._unconfirmed.clear()
        self._media.clear()
        self._media_seconds = 0.0
        return dropped

    @property
    def unconfirmed(self) -> Iterable[Entry]:
        return tuple(self._unconfirmed)

    @property
    def queued(self) -> int:
        return len(self._queued)
