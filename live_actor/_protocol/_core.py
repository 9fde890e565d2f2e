"""The sans-IO session core: one Live session's protocol state, across connections.

It takes inputs (a connection is being dialled, the transport opened, a frame
arrived, the user sent a command, a send failed, the connection was lost, the
user closed) and returns what to do: frames to send and :mod:`events
<live_actor._protocol._events>` to perform.  It does no I/O, reads no clock and
draws no random numbers, so every rule below is testable without sockets, in
the style of h11's ``Connection``.

Rules:

1. The status follows :data:`~live_actor._protocol._state.TRANSITIONS`; an
   input the table does not allow raises :class:`LocalProtocolError`.
2. Nothing but ``setup`` is sent before ``setupComplete``; ``setup`` is client
   message 0 of its connection and each later message takes the next index.
3. The first server message must be ``setupComplete``; anything else is a
   failed handshake (:class:`RemoteProtocolError`).
4. A frame that cannot be decoded is reported (:class:`MalformedFrame`) and
   skipped: a malformed frame is never a reason to drop a healthy call.
5. A resumption handle is stored only from a ``resumable`` update with a
   non-empty ``newHandle``; an empty or non-resumable update never overwrites it.
6. Usage: the last snapshot of a turn is what the turn cost, added to the
   totals once when the turn ends (turnComplete, or when the connection ends).
7. Commands accepted while no connection is ready (dialling, setup, the
   replay after a reconnect, draining for a goAway rotation) are queued by the
   ledger and sent after the replay, so the user's order is kept.  New commands
   on a ``CLOSING``/``CLOSED`` session raise :class:`SessionClosedError`;
   commands accepted before ``close()`` are still sent.
8. A function call is pending from its ``toolCall`` until answered by a
   ``toolResponse`` or cancelled by ``toolCallCancellation``.  On the Gemini API
   every function response needs the call ``id``.
9. The shell never writes the ledger: a command that could not be handed to
   the socket is reported with :meth:`SessionCore.send_failed` (h11's
   ``send_failed()``), and counted there exactly once.
10. Turns and safe points follow :mod:`~live_actor._protocol._turns`.
11. Local protocol mistakes are refused locally (:class:`LocalProtocolError`)
    and the session stays as it was: activity markers while automatic activity
    detection is on; a tool response for a call id never issued in this
    session, on any of its connections; ``clientContent`` after the history
    seed phase on a model that refuses it mid-session (``_capabilities``).
12. Continuity (``_continuity``): the core completes every setup (the stored
    resumption handle, the voice consent signature of a replicated voice, the
    history seed phase of a fresh session that will be re-seeded), and after
    a reconnect sends, in order: the seed of a fresh session, the ledger's
    replay, the queued commands, and what asks a cut question again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .._errors import LocalProtocolError, RemoteProtocolError, SessionClosedError
from . import _replay, _snapshot
from ._capabilities import ModelCapabilities
from ._codec import decode_server_message, encode_client_message
from ._continuity import Answers, CutTurn, CutTurnPolicy, complete_setup
from ._enums import VadSignalType, VoiceActivityType
from ._events import (
    CoreEvent,
    GoAwayReceived,
    HandleUpdated,
    MalformedFrame,
    MessageReceived,
    Ready,
    ToolCallIssued,
    ToolCallsCancelled,
    TurnCompleted,
    TurnStarted,
    UsageReported,
)
from ._ledger import DEFAULT_LEDGER_BYTES, DEFAULT_MEDIA_BYTES, Entry, Ledger, MediaPolicy
from ._media import media_input
from ._messages import (
    ClientMessage,
    Content,
    FunctionCall,
    ServerMessage,
    Setup,
    ToolResponse,
    UsageMetadata,
)
from ._refusals import check_message
from ._replay import Replay
from ._snapshot import CoreSnapshot
from ._state import ACCEPTING, RECEIVING, TRANSITIONS, Input, SessionStatus
from ._transcript import DEFAULT_TRANSCRIPT_BYTES, Transcript
from ._turns import TurnState
from ._usage import Usage

__all__ = ["Replay", "SessionCore", "SessionStatus", "Usage"]


class SessionCore:
    """Protocol state of one Live session (see the module rules)."""

    def __init__(
        self,
        *,
        gemini_api: bool = True,
        transparent: bool = False,
        media_buffer_seconds: float = 1.0,
        media_buffer_bytes: int = DEFAULT_MEDIA_BYTES,
        media_policy: MediaPolicy = "replay",
        ledger_bytes: int = DEFAULT_LEDGER_BYTES,
        resume_handle: str | None = None,
        manual_activity: bool = False,
        capabilities: ModelCapabilities | None = None,
        initial_history: bool = False,
        non_idempotent_tools: frozenset[str] = frozenset(),
        transcript_bytes: int = DEFAULT_TRANSCRIPT_BYTES,
    ) -> None:
        self.gemini_api = gemini_api
        self.capabilities = capabilities or ModelCapabilities()
        #: the app's setup opens a history seed phase (``initialHistoryInClientContent``).
        self.initial_history = initial_history
        self.non_idempotent_tools = non_idempotent_tools
        self.transcript = Transcript(transcript_bytes)
        #: the reply the last lost connection cut, until the next replay asks again.
        self.cut_turn: CutTurn | None = None
        #: ``setupComplete.voiceConsentSignature``, sent back in every later setup.
        self.voice_consent_signature: Mapping[str, object] | None = None
        #: number of the stored handle (``ledger.handles`` when it came; rule 12).
        self._handle_number = 0
        #: the number of the handle the current connection resumed from (ledger rule 5).
        self.resumed_from: int | None = None
        #: which message the current reply answers (what a cut reply asks again).
        self.answers = Answers()
        #: nothing but clientContent sent yet (a model's history seed phase).
        self._seed_phase = True
        #: automatic activity detection is disabled: the client marks activity (rule 11).
        self.manual_activity = manual_activity
        self.status = SessionStatus.DISCONNECTED
        self.ledger = Ledger(
            transparent=transparent,
            media_buffer_seconds=media_buffer_seconds,
            media_buffer_bytes=media_buffer_bytes,
            media_policy=media_policy,
            max_bytes=ledger_bytes,
        )
        #: number of the current (or last) connection; 1 for the first dial.
        self.connection_number = 0
        #: the current connection's setup carried a resumption handle.
        self.resuming = False
        #: index of the last client message sent on this connection (setup = 0).
        self.index = -1
        #: last resumable handle (rule 5); seeded from the config's resume handle.
        self.resumption_handle: str | None = resume_handle
        #: the last resumable handle issued at a safe point (a clean hand-over point).
        self.safe_handle: str | None = None
        self.usage = Usage()
        self.connection_usage = Usage()
        self.turns = TurnState()
        self.malformed_frames = 0
        #: a connection of this session reached READY once.
        self.ever_ready = False
        #: call id -> call, for calls issued on the current connection (rule 8).
        self._pending: dict[str, FunctionCall] = {}
        self._turn_usage: UsageMetadata | None = None
        #: the current connection completed setup and is not lost yet.
        self._can_send = False
        self._replay_pending = False
        self._draining = False

    # ---------------------------------------------------------------- reading

    @property
    def pending_tool_calls(self) -> Mapping[str, FunctionCall]:
        return self._pending

    @property
    def idle(self) -> bool:
        """The model owes nothing: no turn, no unanswered input, no tool call."""
        return self.turns.idle(tool_calls_owed=bool(self._pending))

    @property
    def safe_to_rotate(self) -> bool:
        """Idle, and a resumable handle issued since holds the whole conversation."""
        return self.turns.handle_at_safe_point and self.idle

    @property
    def can_send_now(self) -> bool:
        """Would :meth:`dispatch` emit a frame right away (not queue it)?"""
        return self._can_send and not self._draining and not self._replay_pending

    # -------------------------------------------------------------- lifecycle

    def _apply(self, event: Input) -> None:
        try:
            self.status = TRANSITIONS[(self.status, event)]
        except KeyError:
            raise LocalProtocolError(f"cannot {event} while {self.status}") from None

    def start_connection(self) -> int:
        """A new dial begins (first connect or a restart); returns its number."""
        self._apply(Input.START_CONNECTION)
        self.connection_number += 1
        self.index = -1
        self.connection_usage = Usage()
        self._draining = False
        return self.connection_number

    def setup_frame(self, setup: Setup, *, fresh: bool = False, app_history: bool = False) -> str:
        """Rule 2: the transport is open; ``setup`` is message 0.

        The core completes the app's setup (rule 12): its stored resumption
        handle (none when ``fresh``), the voice consent
        signature of a replicated voice, and the history seed phase when a
        fresh session will be re-seeded (from the transcript, or the app's
        history when ``app_history``) on a model that needs it.
        """
        self._apply(Input.SEND_SETUP)
        self.index = 0
        resuming = (
            not fresh and setup.session_resumption is not None and bool(self.resumption_handle)
        )
        seeding = (
            not resuming
            and self.connection_number > 1
            and (app_history or len(self.transcript) > 0)
        )
        setup = complete_setup(
            setup,
            resumption_handle=None if fresh else self.resumption_handle,
            seed_phase=seeding and self.capabilities.seed == "initial_history",
            consent_signature=self.voice_consent_signature,
        )
        resumption = setup.session_resumption
        self.resuming = resumption is not None and bool(resumption.handle)
        self.resumed_from = self._handle_number if self.resuming else None
        return encode_client_message(setup)

    def receive(self, frame: str | bytes) -> list[CoreEvent]:
        """Handle one inbound frame (rules 3-6, 8, 10); returns what happened."""
        if self.status not in RECEIVING:
            raise LocalProtocolError(f"cannot receive a frame while {self.status}")
        try:
            message = decode_server_message(frame)
        except RemoteProtocolError as exc:
            self.malformed_frames += 1
            return [MalformedFrame(exc, self.malformed_frames)]
        events: list[CoreEvent] = [MessageReceived(message, len(frame))]
        if self.status is SessionStatus.SETUP_PENDING:
            if message.setup_complete is None:
                present = [name for name, value in vars(message).items() if value is not None]
                raise RemoteProtocolError(
                    "expected setupComplete as the first server message, got "
                    + (", ".join(present) or "an empty message"),
                    field=None,
                )
            self._apply(Input.SETUP_COMPLETE)
            self.ever_ready = True
            self._can_send = True
            self._replay_pending = True
            signature = message.setup_complete.voice_consent_signature
            if signature:
                self.voice_consent_signature = signature
            events.append(Ready(self.resuming))
        self._observe(message, events)
        return events

    def _observe(self, message: ServerMessage, events: list[CoreEvent]) -> None:
        turns = self.turns
        content = message.server_content
        if content is not None:
            output = content.model_turn is not None or content.generation_complete is not None
            if output:
                speech = turns.speech
                if turns.output():
                    self._turn_started(events, speech)
                if self.ledger.awaiting_output:
                    self.ledger.model_output()
            if content.interrupted:
                if not turns.generating and turns.unanswered:
                    # Rule 2: the answer to the oldest waiting trigger was cut before
                    # its first output; that was its turn (the ledger counts it too),
                    # but no TurnStarted: there was no first output to time.
                    speech = turns.speech
                    turns.output()
                    self._turn_started(None, speech)
                turns.interrupted = True
            self.transcript.received(message)
        if (
            message.voice_activity is not None
            and message.voice_activity.voice_activity_type == VoiceActivityType.ACTIVITY_START
        ) or (
            message.voice_activity_detection_signal is not None
            and message.voice_activity_detection_signal.vad_signal_type
            == VadSignalType.VAD_SIGNAL_TYPE_SOS
        ):
            turns.speech_started()
        tool_call = message.tool_call
        if tool_call is not None:
            speech = turns.speech
            if turns.output():
                self._turn_started(events, speech)
            if self.ledger.awaiting_output:
                self.ledger.model_output()
            if content is None:
                self.transcript.received(message)
            calls = tool_call.function_calls or ()
            ids = tuple(call.id for call in calls if call.id)
            for call in calls:
                if call.id:
                    self._pending[call.id] = call
            self.ledger.calls_issued(self.connection_number, ids)
            events.append(ToolCallIssued(tool_call, ids))
        cancellation = message.tool_call_cancellation
        if cancellation is not None:
            ids = tuple(cancellation.ids or ())
            for call_id in ids:
                self._pending.pop(call_id, None)
            events.append(ToolCallsCancelled(ids))
        if message.usage_metadata is not None:
            self._turn_usage = message.usage_metadata
            events.append(UsageReported(message.usage_metadata))
        if content is not None and content.turn_complete:
            turns.turn_complete(content.interaction_status)
            self.transcript.turn_completed()
            self.ledger.exchange_completed(self.connection_number)
            if self.resumption_handle is None:
                self.ledger.prune_consumed()  # ledger rule 7: only a fresh session can follow
            events.append(
                TurnCompleted(
                    turns.turns, interrupted=turns.interrupted, usage=self._commit_turn_usage()
                )
            )
        update = message.session_resumption_update
        if update is not None:
            stored = bool(update.resumable and update.new_handle)
            if stored:
                self.resumption_handle = update.new_handle
                self.ledger.handle_received(
                    self.connection_number, update.last_consumed_client_message_index
                )
                self._handle_number = self.ledger.handles
                turns.handle_issued(tool_calls_owed=bool(self._pending))
                if turns.handle_at_safe_point:
                    self.safe_handle = update.new_handle
            else:
                turns.handle_at_safe_point = False
            events.append(HandleUpdated(update, stored))
        if message.go_away is not None:
            left = message.go_away.time_left
            events.append(GoAwayReceived(left.total_seconds() if left is not None else 0.0))

    def _turn_started(self, events: list[CoreEvent] | None, speech: bool) -> None:
        self.ledger.turn_started(self.connection_number)
        self.answers.turn_started(after_speech=speech)
        if events is not None:
            events.append(TurnStarted(self.turns.turns))

    def _commit_turn_usage(self) -> UsageMetadata | None:
        snapshot = self._turn_usage
        if snapshot is not None:
            self.usage = self.usage.plus(snapshot)
            self.connection_usage = self.connection_usage.plus(snapshot)
            self._turn_usage = None
        return snapshot

    def reply_in_progress(self) -> CutTurn | None:
        """What the reply being generated answers, were it cut now (``None``: idle)."""
        if not self.turns.generating:
            return None
        return self.answers.cut(self.transcript.pending_user_text)

    def connection_lost(self) -> list[CoreEvent]:
        """The transport is gone (rule 1); a turn in progress is cut."""
        self._apply(Input.CONNECTION_LOST)
        events: list[CoreEvent] = []
        interrupted = self.turns.interrupted
        cut = self.reply_in_progress()
        if cut is not None:  # a reply cut: ask again after the reconnect
            self.cut_turn = cut
            self.transcript.cut()
        self.answers.connection_lost()
        if self.turns.connection_lost():
            events.append(
                TurnCompleted(
                    self.turns.turns,
                    interrupted=interrupted,
                    cut=True,
                    usage=self._commit_turn_usage(),
                )
            )
        else:
            self._commit_turn_usage()
        self._can_send = False
        # Calls of a dead connection cannot be answered there; the ledger keeps
        # any response already given for replay (rule 5 of the ledger).
        self._pending.clear()
        return events

    def begin_close(self) -> None:
        """The user (or the supervisor, giving up) closes the session."""
        self._apply(Input.CLOSE)

    def finish_close(self, *, delivered_connection: int | None = None) -> list[Entry]:
        """The session is over: ``CLOSED``; returns what was not known delivered
        (see :meth:`Ledger.drop_all`)."""
        self._apply(Input.CLOSE_FINISHED)
        self._commit_turn_usage()
        self._can_send = False
        return self.ledger.drop_all("session closed", delivered_connection=delivered_connection)

    def begin_draining(self) -> None:
        """A goAway rotation starts: queue new commands for the next connection."""
        self._draining = True

    def message_rejected(self, reason: str) -> Entry | None:
        """The server closed this connection refusing a message (ledger rule 8);
        returns the message dropped, if one was identified."""
        return self.ledger.reject_last(self.connection_number, reason)

    def message_too_big(self, reason: str) -> Entry | None:
        """The server closed this connection with 1009 (ledger rule 8); returns
        the message dropped, if it was refused twice."""
        return self.ledger.too_big(self.connection_number, reason)

    def forget_handle(self) -> None:
        """The stored handle was rejected or expired: the next connection starts fresh."""
        self.resumption_handle = None

    # ------------------------------------------------------------ persistence

    def snapshot(self, *, media: bool = False) -> CoreSnapshot:
        """What another process needs to continue this session (``_snapshot``)."""
        return _snapshot.take(self, media=media)

    def restore(self, snapshot: CoreSnapshot) -> None:
        """Continue a session another process kept (``_snapshot``): only on a core
        that never connected."""
        _snapshot.restore(self, snapshot)

    # ---------------------------------------------------------------- sending

    def accept(self, message: ClientMessage) -> Entry:
        """Validate a user command and give it a ledger entry (rules 7, 8)."""
        if self.status not in ACCEPTING:
            raise SessionClosedError(f"cannot send: the session is {self.status}")
        self._seed_phase = check_message(
            message,
            gemini_api=self.gemini_api,
            manual_activity=self.manual_activity,
            capabilities=self.capabilities,
            seed_phase=self._seed_phase and self.initial_history,
            ledger=self.ledger,
            pending=self._pending,
        )
        try:
            frame = encode_client_message(message)
        except (TypeError, ValueError) as exc:
            raise LocalProtocolError(
                f"cannot encode this {type(message).__name__} as JSON: {exc}"
            ) from exc
        return self.ledger.accept(message, frame)

    def accept_media(self, data: bytes, mime_type: str, *, field: str = "audio") -> Entry:
        """``accept(RealtimeInput(<field>=Blob(...)))`` for the per-chunk path.

        One field by construction, so there is nothing to validate.
        """
        if self.status not in ACCEPTING:
            raise SessionClosedError(f"cannot send: the session is {self.status}")
        message = media_input(data, mime_type, field=field)
        return self.ledger.accept_media(message, message.__dict__[field])

    def dispatch(self, entry: Entry) -> str | None:
        """The frame to send for an accepted command now, or ``None`` if queued.

        Accepted commands still go out while ``CLOSING`` (a graceful close sends
        what the user handed over); they are queued while dialling, during the
        replay after a reconnect and while draining for a goAway rotation.
        """
        if self.can_send_now:
            return self.emit(entry, replay=False)
        if self.status is SessionStatus.CLOSED:
            self.ledger.stats.drop("session closed", entry)
            return None
        self.ledger.queue(entry)
        return None

    def send(self, message: ClientMessage) -> str | None:
        """``accept`` then ``dispatch``: the frame to send now, or ``None`` if queued."""
        return self.dispatch(self.accept(message))

    def send_failed(self, entry: Entry, reason: str) -> None:
        """Rule 9: an accepted command never reached the socket (cancelled, closed)."""
        self.ledger.stats.drop(reason, entry)

    def send_cancelled(self, entry: Entry, reason: str) -> None:
        """Rule 9: the frame :meth:`dispatch` just returned for ``entry`` was not
        handed to the socket (the send was cancelled first): undo the send, so the
        message indices stay the server's, and count it dropped."""
        if entry.connection == self.connection_number and entry.index == self.index:
            self.index -= 1
        self.ledger.unsend(entry)
        message = entry.message
        if isinstance(message, ToolResponse):  # the calls are owed again
            for response in message.function_responses or ():
                if response.id and response.id not in self._pending:
                    self._pending[response.id] = FunctionCall(id=response.id, name=response.name)
        self.ledger.stats.drop(reason, entry)

    def replay_frames(self, prefix: Sequence[ClientMessage] = ()) -> list[str]:
        """:meth:`replay`'s frames, with ``prefix`` sent first (tests, simple shells)."""
        return self.replay(prefix=prefix).frames

    def replay(
        self,
        *,
        history: Sequence[Content] | None = None,
        cut_policy: CutTurnPolicy = "repeat",
        prefix: Sequence[ClientMessage] = (),
    ) -> Replay:
        """After a connection became ready: what to send, in order (rule 12; ``_replay``).

        Until this is called, new commands are queued so that they follow the replay.
        """
        if not self._can_send:
            raise LocalProtocolError(f"cannot replay while {self.status}")
        self._replay_pending = False
        return _replay.replay(self, history=history, cut_policy=cut_policy, prefix=prefix)

    def emit_new(self, message: ClientMessage) -> str:
        """Send a message the session made (a seed, a re-ask): in the ledger, not
        in the transcript."""
        return self.emit(self.ledger.accept(message), replay=False, record=False)

    def emit(self, entry: Entry, *, replay: bool, record: bool = True) -> str:
        """The frame of ``entry``, sent now as the next message of this connection
        (for :meth:`dispatch` and ``_replay``; the shell never calls it)."""
        self.index += 1
        self.ledger.mark_sent(entry, self.connection_number, self.index, replay=replay)
        if not entry.media:
            message = entry.message
            if entry.turn:
                self.turns.trigger_sent()
                self.answers.trigger_sent(entry)
            else:
                self.turns.control_sent()
            if record and not replay:
                self.transcript.sent(message)
            if isinstance(message, ToolResponse):
                for response in message.function_responses or ():
                    if response.id and not response.will_continue:
                        self._pending.pop(response.id, None)
        frame = entry.frame
        return frame if frame is not None else encode_client_message(entry.message)
