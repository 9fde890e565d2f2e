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
4. Audio and video go to a bounded ring (``media_buffer_seconds`` of audio and
   ``media_buffer_bytes``), a rolling window: the oldest chunks leave it as new
   ones are sent.  A handle removes the chunks up to the last message it
   provably holds; on a reconnect the rest are replayed or dropped by policy.
   Media queued while disconnected has the same bounds; the oldest queued
   chunks are dropped beyond them, and every drop is counted.
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
9. Control messages held (sent but unconfirmed, and queued) are bounded by
   ``max_bytes`` of encoded frames.  Beyond it the oldest sent one is
   forgotten (no longer replayable; counted in ``stats.forgotten``), then the
   oldest queued one is dropped; the newest message is always kept.  Each is
   reported to ``on_overflow`` so the session can log it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Final, Literal, TypeAlias

from ._codec import encode_client_message
from ._entries import (
    Entry,
    LedgerStats,
    SendOutcome,
    is_media,
    media_seconds,
    sample_rate,
    triggers_turn,
)
from ._held import Held
from ._messages import (
    Blob,
    ClientMessage,
    RealtimeInput,
    ToolResponse,
)

# Entry, LedgerStats, SendOutcome and the classification helpers live in
# ``_entries``; they are re-exported here as the ledger's vocabulary.
__all__ = [
    "Entry",
    "Ledger",
    "LedgerStats",
    "MediaPolicy",
    "SendOutcome",
    "is_media",
    "media_seconds",
    "triggers_turn",
]

MediaPolicy = Literal["replay", "drop"]


#: Default of ``max_bytes``: encoded control messages held for a replay.
DEFAULT_LEDGER_BYTES: Final = 16 * 1024 * 1024
#: Default of ``media_buffer_bytes``: media held for a replay (ring, and queued).
DEFAULT_MEDIA_BYTES: Final = 4 * 1024 * 1024

#: Called with a reason and the entry for each message rule 9 let go.
OnOverflow: TypeAlias = Callable[[str, Entry], None]

_EPSILON: Final = 1e-9


class Ledger:
    """Outbound bookkeeping of one supervised session (see module rules)."""

    def __init__(
        self,
        *,
        transparent: bool = False,
        media_buffer_seconds: float = 1.0,
        media_buffer_bytes: int = DEFAULT_MEDIA_BYTES,
        media_policy: MediaPolicy = "replay",
        max_bytes: int = DEFAULT_LEDGER_BYTES,
        on_overflow: OnOverflow | None = None,
    ) -> None:
        self.transparent = transparent
        self.media_buffer_seconds = media_buffer_seconds
        self.media_buffer_bytes = media_buffer_bytes
        self.media_policy: MediaPolicy = media_policy
        self.max_bytes = max_bytes
        self.on_overflow = on_overflow
        self.stats = LedgerStats()
        self._seq = 0
        #: control messages sent but not yet covered by a handle, in send order.
        self._unconfirmed = Held()
        #: media sent since the last handle (rule 4's ring).
        self._media = Held()
        #: commands accepted while no connection was ready; its media, for rule 4.
        self._queued = Held()
        self._queued_media = Held()
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

    def accept(self, message: ClientMessage, frame: str | None = None) -> Entry:
        """A new entry for ``message``; ``frame`` is its encoding, if made already."""
        if frame is None:
            frame = encode_client_message(message)
        self._seq += 1
        self.stats.accepted += 1
        media = is_media(message)
        return Entry(
            self._seq,
            message,
            media,
            triggers_turn(message),
            seconds=media_seconds(message) if media else 0.0,
            frame=frame,
            size=len(frame),
        )

    def accept_media(self, message: RealtimeInput, blob: Blob) -> Entry:
        """``accept`` for a message known to carry the one media ``blob`` (the hot path)."""
        self._seq += 1
        self.stats.accepted += 1
        seconds = 0.0
        mime = blob.mime_type
        data = blob.data
        if mime is not None and mime.startswith("audio/") and data is not None:
            seconds = len(data) / (2 * sample_rate(mime))
        size = 4 * ((len(data) + 2) // 3) if data is not None else 0  # as base64
        return Entry(self._seq, message, True, False, seconds=seconds, size=size)

    def queue(self, entry: Entry) -> None:
        """Rule 6: hold a command until a connection is ready."""
        self.stats.queued += 1
        entry.outcome = SendOutcome.QUEUED
        if entry.media:
            if self.media_policy == "drop":
                self.stats.drop("media policy drop while reconnecting", entry)
                return
            # Bound queued media like the ring so a long outage cannot grow memory.
            queued = self._queued_media
            queued.append(entry)
            self._queued.append(entry)
            while len(queued) > 1 and self._media_over(queued):
                oldest = queued.popleft()
                self._queued.remove(oldest)
                self.stats.drop("media buffer full while reconnecting", oldest)
            return
        self._queued.append(entry)
        self._bound_control(entry)

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
            ring.append(entry)
            while len(ring) and self._media_over(ring):
                ring.popleft()  # a rolling window: the chunk was sent
            return
        if isinstance(entry.message, ToolResponse):
            for response in entry.message.function_responses or ():
                if response.id:
                    self._answered_calls.add(response.id)
            self._awaiting_output.append(entry)
        self._unconfirmed.append(entry)
        self._bound_control(entry)

    def _media_over(self, held: Held) -> bool:
        return (
            held.seconds > self.media_buffer_seconds + _EPSILON
            or held.bytes > self.media_buffer_bytes
        )

    def _bound_control(self, newest: Entry) -> None:
        """Rule 9: hold at most ``max_bytes`` of control messages."""
        unconfirmed = self._unconfirmed
        queued = self._queued
        over = unconfirmed.bytes + queued.bytes - self._queued_media.bytes - self.max_bytes
        if over <= 0:
            return
        while over > 0 and len(unconfirmed) and unconfirmed.first() is not newest:
            entry = unconfirmed.popleft()
            over -= entry.size
            self.stats.forgotten += 1
            if self.on_overflow is not None:
                self.on_overflow("ledger full: a sent message is no longer replayable", entry)
        if over <= 0:
            return
        reason = "ledger full while reconnecting"
        dropped: set[int] = set()
        for entry in queued:
            if over <= 0:
                break
            if entry is not newest and not entry.media:
                dropped.add(entry.seq)
                over -= entry.size
                self.stats.drop(reason, entry)
                if self.on_overflow is not None:
                    self.on_overflow(reason, entry)
        if dropped:
            self._queued = Held(e for e in queued if e.seq not in dropped)

    def unsend(self, entry: Entry) -> None:
        """Undo :meth:`mark_sent` of the entry sent last: its frame never reached the
        socket (the send was cancelled before handing it over)."""
        connection = entry.connection
        if entry.media:
            if self._media.last() is entry:
                self._media.pop()
        elif self._unconfirmed.last() is entry:
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
        kept = Held()
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
            newest_first = []
            for entry in reversed(self._unconfirmed):
                if entry.connection != connection:
                    newest_first.append(entry)
                    continue
                if frontier >= 0 or self._covered_without_index(entry, connection):
                    frontier = max(frontier, entry.index if entry.index is not None else -1)
                    self._confirm(entry)
                else:
                    newest_first.append(entry)
            kept = Held(reversed(newest_first))
        self._unconfirmed = kept
        # Audio and video up to the frontier are in the state the handle captures;
        # later chunks may still be in flight and stay in the ring (rule 4).
        self._media = Held(
            entry
            for entry in self._media
            if entry.connection != connection or entry.index is None or entry.index > frontier
        )

    def prune_consumed(self) -> None:
        """Rule 7: forget messages the server provably consumed (no handle needs them)."""
        self._unconfirmed = self._without_consumed(drop_tool_responses=False)

    def exchange_completed(self, connection: int) -> None:
        """A turn ended with ``turnComplete`` on ``connection``: the messages it
        answered are in the transcript now (rule 7)."""
        for entry in self._unconfirmed:
            if entry.connection == connection and entry.answered:
                entry.completed = True

    def _without_consumed(self, *, drop_tool_responses: bool, seeded: bool = False) -> Held:
        newest_first: list[Entry] = []
        consumed_on: set[int | None] = set()  # connections whose frontier was passed
        for entry in reversed(self._unconfirmed):
            connection = entry.connection
            if (
                connection in consumed_on
                or (seeded and entry.completed)
                or (
                    entry.turn
                    and entry.answered
                    and connection is not None
                    and self._started.get(connection, 0) >= entry.ordinal
                )
            ):
                consumed_on.add(connection)  # the server consumes in order
                self._confirm(entry)
            elif drop_tool_responses and isinstance(entry.message, ToolResponse):
                self.stats.drop("tool response to a call of a session that was not restored", entry)
            else:
                newest_first.append(entry)
        return Held(reversed(newest_first))

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
        merged = sorted(rest + media, key=_send_order)
        queued = list(self._queued)
        self._unconfirmed.clear()
        self._media.clear()
        self._queued.clear()
        self._queued_media.clear()
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
        self._queued_media.clear()
        self._unconfirmed.clear()
        self._media.clear()
        return dropped

    @property
    def unconfirmed(self) -> Iterable[Entry]:
        return tuple(self._unconfirmed)

    @property
    def queued(self) -> int:
        return len(self._queued)

    # --------------------------------------------------------- persistence

    def kept(self, *, media: bool) -> list[Entry]:
        """Every entry a new process would need, in sending order: the
        unconfirmed control messages, the queued commands and (``media``) the
        media ring.  Read by ``SessionCore.snapshot()``."""
        kept = list(self._unconfirmed) + [e for e in self._queued if media or not e.media]
        if media:
            kept += list(self._media)
        return sorted(kept, key=_send_order)

    def restore(
        self,
        entries: Iterable[Entry],
        *,
        seq: int,
        handles: int,
        started: Mapping[int, int],
        triggers: Mapping[int, int],
        call_epochs: Mapping[str, int],
    ) -> None:
        """Load entries another process kept, as sent on a connection that died.

        Control messages join the unconfirmed ones (an entry never sent keeps
        ``connection=None`` and goes out for the first time); media joins the
        ring, bounded as always.  ``seq`` continues the ids; ``handles``,
        ``started``, ``triggers`` and ``call_epochs`` are the evidence the
        replay rules (3, 5, 7) read.
        """
        self._seq = max(self._seq, seq)
        self.handles = handles
        self._started.update(started)
        self._triggers.update(triggers)
        self._call_epoch.update(call_epochs)
        for entry in sorted(entries, key=_send_order):
            self._seq = max(self._seq, entry.seq)
            if not entry.size:
                entry.size = len(entry.frame or encode_client_message(entry.message))
            if entry.media:
                if entry.connection is None:
                    self.queue(entry)
                    continue
                self._media.append(entry)
                while len(self._media) and self._media_over(self._media):
                    self.stats.drop("media buffer full while adopting", self._media.popleft())
                continue
            if isinstance(entry.message, ToolResponse):
                ids = [r.id for r in entry.message.function_responses or () if r.id]
                self._answered_calls.update(ids)
                # (connection 0: issued on a connection of the other process)
                self._issued_calls.setdefault(entry.connection or 0, set()).update(ids)
            entry.outcome = SendOutcome.SENT if entry.connection is not None else SendOutcome.QUEUED
            self._unconfirmed.append(entry)
            self._bound_control(entry)


def _send_order(entry: Entry) -> tuple[int, int, int]:
    """The order ``entry`` went out in (connection, index): a replay keeps it.

    Not the acceptance order: a re-asked question is accepted late but sent
    where it was first asked.
    """
    if entry.connection is None:  # never sent: after everything sent, as accepted
        return (sys.maxsize, 0, entry.seq)
    return (entry.connection, entry.index or 0, entry.seq)
