"""What a new process needs to continue a session, as plain data (pure).

A session store (``live_actor.stores``) keeps one :class:`CoreSnapshot` per
session so that another worker can adopt it after this one died.  The
snapshot is taken from a :class:`~live_actor._protocol._core.SessionCore`
(``SessionCore.snapshot()``) and loaded into a fresh one
(``SessionCore.restore()``); both are plain methods of the core, so the rules
below are tested without sockets or a store.

Rules:

1. Only data, never code: the config is stored apart, tools and callbacks
   come from the adopting code.
2. Ledger entries are restored as *sent on a connection that died*: they keep
   their connection number, index and evidence (``answered``, ``completed``,
   ``ordinal``), so the ledger's rules decide what the adopting connection
   replays exactly as they would after an in-process reconnect.  An entry
   never sent (connection ``None``) is sent for the first time, in order.
3. The connection count goes on from the stored one: the adopter's first
   connection is not "the first connection of the session", so a fresh session
   there is re-seeded from the stored transcript and restarts are allowed.
4. Function calls still owed are not kept: the dead connection's calls cannot
   be answered on another one.  A reply in progress is kept as a cut turn
   (what it answered), so the adopter asks the question again by the cut-turn
   policy when the replay does not (continuity rule 2).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import attrs

from .._errors import LocalProtocolError
from ._codec import decode_client_message, encode_client_message
from ._continuity import CutTurn
from ._ledger import Entry
from ._messages import ToolResponse
from ._state import SessionStatus
from ._usage import Usage

if TYPE_CHECKING:
    from ._core import SessionCore

__all__ = ["CoreSnapshot", "EntryRecord"]


@attrs.frozen
class EntryRecord:
    """One ledger entry as data: the encoded frame and what the ledger knows of it."""

    seq: int
    #: the client message as JSON (the wire frame).
    frame: str
    media: bool = False
    turn: bool = False
    connection: int | None = None
    index: int | None = None
    answered: bool = False
    completed: bool = False
    ordinal: int = 0
    replays: int = 0
    seconds: float = 0.0


@attrs.frozen
class CoreSnapshot:
    """The state of one session that outlives its process (see the module rules)."""

    #: the latest resumable handle (a secret), and the last one issued at a safe point.
    resumption_handle: str | None = attrs.field(default=None, repr=False)
    safe_handle: str | None = attrs.field(default=None, repr=False)
    #: the ledger's count of handles when the stored one came (ledger rule 5).
    handle_number: int = 0
    connection_number: int = 0
    #: the last ledger id given out (the adopter continues after it).
    seq: int = 0
    entries: tuple[EntryRecord, ...] = attrs.field(default=(), repr=False)
    #: connection -> turns started / triggers sent on it (ledger rule 3).
    started: Mapping[int, int] = attrs.field(factory=dict)
    triggers: Mapping[int, int] = attrs.field(factory=dict)
    #: call id -> handles received when it was issued (ledger rule 5).
    call_epochs: Mapping[str, int] = attrs.field(factory=dict)
    #: the re-seed transcript, ``(role, text)`` oldest first (personal data).
    transcript: tuple[tuple[str, str], ...] = attrs.field(default=(), repr=False)
    usage: Usage = attrs.field(factory=Usage)
    voice_consent_signature: Mapping[str, object] | None = attrs.field(default=None, repr=False)
    #: the app may still seed history with ``clientContent`` (a model's seed phase).
    seed_phase: bool = True
    #: a reply was in progress (rule 4): the ledger id of the message it answered
    #: (``None``: speech), the question as text and whether the user prompted it.
    cut: bool = False
    cut_trigger: int | None = None
    cut_question: str = attrs.field(default="", repr=False)
    cut_prompted: bool = False


def take(core: SessionCore, *, media: bool) -> CoreSnapshot:
    """``SessionCore.snapshot()``: rules 1-4."""
    ledger = core.ledger
    entries = ledger.kept(media=media)
    connections = {entry.connection for entry in entries if entry.connection is not None}
    calls = {
        response.id
        for entry in entries
        if isinstance(entry.message, ToolResponse)
        for response in entry.message.function_responses or ()
        if response.id
    }
    # The core's own persistence helper: it reads the evidence the replay rules keep.
    started = {c: ledger._started[c] for c in connections if c in ledger._started}
    triggers = {c: ledger._triggers[c] for c in connections if c in ledger._triggers}
    epochs = {c: ledger._call_epoch[c] for c in calls if c in ledger._call_epoch}
    cut = core.cut_turn or core.reply_in_progress()
    return CoreSnapshot(
        cut=cut is not None,
        cut_trigger=None if cut is None or cut.trigger is None else cut.trigger.seq,
        cut_question="" if cut is None else cut.question,
        cut_prompted=False if cut is None else cut.prompted,
        resumption_handle=core.resumption_handle,
        safe_handle=core.safe_handle,
        handle_number=ledger.handles,
        connection_number=core.connection_number,
        seq=ledger._seq,
        entries=tuple(_record(entry) for entry in entries),
        started=started,
        triggers=triggers,
        call_epochs=epochs,
        transcript=tuple((turn.role, turn.text) for turn in core.transcript.turns),
        usage=core.usage,
        voice_consent_signature=core.voice_consent_signature,
        seed_phase=core._seed_phase,
    )


def _record(entry: Entry) -> EntryRecord:
    frame = entry.frame if entry.frame is not None else encode_client_message(entry.message)
    return EntryRecord(
        seq=entry.seq,
        frame=frame,
        media=entry.media,
        turn=entry.turn,
        connection=entry.connection,
        index=entry.index,
        answered=entry.answered,
        completed=entry.completed,
        ordinal=entry.ordinal,
        replays=entry.replays,
        seconds=entry.seconds,
    )


def _entry(record: EntryRecord) -> Entry:
    return Entry(
        record.seq,
        decode_client_message(record.frame),
        record.media,
        record.turn,
        connection=record.connection,
        index=record.index,
        answered=record.answered,
        completed=record.completed,
        replays=record.replays,
        seconds=record.seconds,
        ordinal=record.ordinal,
        frame=None if record.media else record.frame,
    )


def restore(core: SessionCore, snapshot: CoreSnapshot) -> None:
    """``SessionCore.restore()``: rules 2-4, on a core that never connected."""
    if core.connection_number or core.status is not SessionStatus.DISCONNECTED:
        raise LocalProtocolError("only a session that never connected can be restored")
    core.resumption_handle = snapshot.resumption_handle
    core.safe_handle = snapshot.safe_handle
    core.connection_number = snapshot.connection_number
    core.usage = snapshot.usage
    core.voice_consent_signature = snapshot.voice_consent_signature
    core._seed_phase = snapshot.seed_phase
    # Rule 3: restarts apply, as after any connection that was ready.
    core.ever_ready = True
    core.transcript.restore(snapshot.transcript)
    entries = [_entry(record) for record in snapshot.entries]
    if snapshot.cut:
        trigger = next((e for e in entries if e.seq == snapshot.cut_trigger), None)
        core.cut_turn = CutTurn(trigger, snapshot.cut_question, prompted=snapshot.cut_prompted)
    core.ledger.restore(
        entries,
        seq=snapshot.seq,
        handles=snapshot.handle_number,
        started=snapshot.started,
        triggers=snapshot.triggers,
        call_epochs=snapshot.call_epochs,
    )
    core._handle_number = snapshot.handle_number
