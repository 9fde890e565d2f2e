"""The sans-IO session core: one Live session's protocol state, across connections.

It takes inputs (a connection is being dialled, the transport opened, a frame
arrived, the user sent a command, the connection was lost, the user closed)
and returns what to do (frames to send, decoded messages to deliver).  It does
no I/O, reads no clock and draws no random numbers, so every rule below is
testable without sockets, in the style of h11's ``Connection``.

Rules:

1. Status moves ``DISCONNECTED -> CONNECTING -> SETUP_PENDING -> READY``;
   ``close()`` moves any status to ``CLOSING``, then ``CLOSED`` once the
   connection is gone.  A lost connection goes back to ``DISCONNECTED`` (the
   supervisor may dial again).  ``CLOSED`` is terminal.  An input that is not
   legal in the current status raises :class:`LocalProtocolError`.
2. Nothing but ``setup`` is sent before ``setupComplete``; ``setup`` is client
   message 0 of its connection and each later message takes the next index.
3. The first server message must be ``setupComplete``; anything else is a
   failed handshake (:class:`RemoteProtocolError`).
4. A frame that cannot be decoded is reported and skipped: a malformed frame is
   never a reason to drop a healthy call.
5. A resumption handle is stored only from a ``resumable`` update with a
   non-empty ``newHandle``; an empty or non-resumable update never overwrites it.
6. Usage: ``usageMetadata`` may ride on any message and may repeat within a
   turn; the last snapshot of a turn is what the turn cost, added to the totals
   once when the turn ends (turnComplete, or when the connection ends).
7. Commands accepted while no connection is ready (dialling, setup, the
   replay after a reconnect, draining for a goAway rotation) are queued by the
   ledger and sent after the replay, so the user's order is kept.  New commands
   on a ``CLOSING``/``CLOSED`` session raise :class:`SessionClosedError`;
   commands accepted before ``close()`` are still sent.
8. A function call is pending from its ``toolCall`` until answered by a
   ``toolResponse`` or cancelled by ``toolCallCancellation``.  On the Gemini API
   every function response needs the call ``id``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence

import attrs

from .._errors import LocalProtocolError, RemoteProtocolError, SessionClosedError
from ._codec import decode_server_message, encode_client_message, media_input
from ._ledger import Entry, Ledger, MediaPolicy
from ._messages import (
    ClientMessage,
    FunctionCall,
    ModalityTokenCount,
    RealtimeInput,
    ServerMessage,
    Setup,
    ToolResponse,
    UsageMetadata,
)

__all__ = ["Received", "SessionCore", "SessionStatus", "Usage"]


class SessionStatus(enum.StrEnum):
    """Where a session is in its life (the seed's five states plus ``CLOSED``)."""

    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    SETUP_PENDING = "setup_pending"
    READY = "ready"
    CLOSING = "closing"
    CLOSED = "closed"


@attrs.frozen
class Usage:
    """Token totals; each turn counted once (rule 6)."""

    turns: int = 0
    prompt_token_count: int = 0
    cached_content_token_count: int = 0
    response_token_count: int = 0
    tool_use_prompt_token_count: int = 0
    thoughts_token_count: int = 0
    total_token_count: int = 0
    #: modality name -> tokens, for prompt and response details.
    prompt_by_modality: Mapping[str, int] = attrs.field(factory=dict)
    response_by_modality: Mapping[str, int] = attrs.field(factory=dict)

    def plus(self, snapshot: UsageMetadata) -> Usage:
        return Usage(
            turns=self.turns + 1,
            prompt_token_count=self.prompt_token_count + (snapshot.prompt_token_count or 0),
            cached_content_token_count=self.cached_content_token_count
            + (snapshot.cached_content_token_count or 0),
            response_token_count=self.response_token_count + (snapshot.response_token_count or 0),
            tool_use_prompt_token_count=self.tool_use_prompt_token_count
            + (snapshot.tool_use_prompt_token_count or 0),
            thoughts_token_count=self.thoughts_token_count + (snapshot.thoughts_token_count or 0),
            total_token_count=self.total_token_count + (snapshot.total_token_count or 0),
            prompt_by_modality=_add_details(
                self.prompt_by_modality, snapshot.prompt_tokens_details
            ),
            response_by_modality=_add_details(
                self.response_by_modality, snapshot.response_tokens_details
            ),
        )


def _add_details(
    totals: Mapping[str, int], details: Sequence[ModalityTokenCount] | None
) -> Mapping[str, int]:
    if not details:
        return totals
    merged = dict(totals)
    for detail in details:
        key = str(detail.modality or "MODALITY_UNSPECIFIED")
        merged[key] = merged.get(key, 0) + (detail.token_count or 0)
    return merged


@attrs.frozen
class Received:
    """The outcome of one inbound frame.

    ``message`` is ``None`` when the frame was malformed (then ``error`` says
    why).  ``ready`` is set on the frame that completed setup, ``turn_started``
    on the first model output of a turn.
    """

    message: ServerMessage | None
    error: RemoteProtocolError | None = None
    ready: bool = False


_OPEN = (SessionStatus.SETUP_PENDING, SessionStatus.READY, SessionStatus.CLOSING)
_NOT_SENDING = frozenset((SessionStatus.CLOSING, SessionStatus.CLOSED))


class SessionCore:
    """Protocol state of one Live session (see the module rules)."""

    def __init__(
        self,
        *,
        gemini_api: bool = True,
        transparent: bool = False,
        media_buffer_seconds: float = 1.0,
        media_policy: MediaPolicy = "replay",
        resume_handle: str | None = None,
    ) -> None:
        self.gemini_api = gemini_api
        self.status = SessionStatus.DISCONNECTED
        self.ledger = Ledger(
            transparent=transparent,
            media_buffer_seconds=media_buffer_seconds,
            media_policy=media_policy,
        )
        #: connection attempt number (1 for the first dial).
        self.connection = 0
        #: the current connection's setup carried a resumption handle.
        self.resuming = False
        #: index of the last client message sent on this connection (setup = 0).
        self.index = -1
        #: last resumable handle (rule 5); seeded from the config's resume handle.
        self.resumption_handle: str | None = resume_handle
        #: True while the stored handle is the latest update (no non-resumable since).
        self.handle_fresh = resume_handle is not None
        self.last_consumed_index: int | None = None
        #: call id -> call, for calls issued on the current connection (rule 8).
        self.pending_tool_calls: dict[str, FunctionCall] = {}
        self.usage = Usage()
        self.connection_usage = Usage()
        self._turn_usage: UsageMetadata | None = None
        #: a model turn is in progress (output seen, no turnComplete yet).
        self.in_turn = False
        self.malformed_frames = 0
        self.go_away_time_left: float | None = None
        self.ever_ready = False
        #: the current connection completed setup and is not lost yet.
        self._can_send = False
        self._replay_pending = False
        self._draining = False

    # -------------------------------------------------------------- lifecycle

    def start_connection(self) -> int:
        """Rule 1: a new dial begins (first connect or a restart)."""
        self._require(SessionStatus.DISCONNECTED, "start a connection")
        self.status = SessionStatus.CONNECTING
        self.connection += 1
        self.index = -1
        self.connection_usage = Usage()
        self.go_away_time_left = None
        self._draining = False
        return self.connection

    def setup_frame(self, setup: Setup) -> str:
        """Rule 2: the transport is open; ``setup`` is message 0."""
        self._require(SessionStatus.CONNECTING, "send setup")
        self.status = SessionStatus.SETUP_PENDING
        self.index = 0
        resumption = setup.session_resumption
        self.resuming = resumption is not None and bool(resumption.handle)
        return encode_client_message(setup)

    def receive(self, frame: str | bytes) -> Received:
        """Handle one inbound frame (rules 3-6, 8)."""
        if self.status not in _OPEN:
            raise LocalProtocolError(f"cannot receive a frame while {self.status}")
        try:
            message = decode_server_message(frame)
        except RemoteProtocolError as exc:
            self.malformed_frames += 1
            return Received(None, exc)
        if self.status is SessionStatus.SETUP_PENDING:
            if message.setup_complete is None:
                present = [name for name, value in vars(message).items() if value is not None]
                raise RemoteProtocolError(
                    "expected setupComplete as the first server message, got "
                    + (", ".join(present) or "an empty message"),
                    field=None,
                )
            self.status = SessionStatus.READY
            self.ever_ready = True
            self._can_send = True
            self._replay_pending = True
            self._observe(message)
            return Received(message, ready=True)
        self._observe(message)
        return Received(message)

    def _observe(self, message: ServerMessage) -> None:
        content = message.server_content
        if content is not None:
            # Not outputTranscription: it has its own ordering and its last piece
            # may come after turnComplete, which is no new turn.
            output = content.model_turn is not None or content.generation_complete is not None
            if output and not self.in_turn:
                self.in_turn = True
                self.ledger.turn_started(self.connection)
        if message.tool_call is not None:
            if not self.in_turn:
                self.in_turn = True
                self.ledger.turn_started(self.connection)
            for call in message.tool_call.function_calls or ():
                if call.id:
                    self.pending_tool_calls[call.id] = call
            self.ledger.calls_issued(
                self.connection, [c.id for c in message.tool_call.function_calls or () if c.id]
            )
        if message.tool_call_cancellation is not None:
            for call_id in message.tool_call_cancellation.ids or ():
                self.pending_tool_calls.pop(call_id, None)
        if message.usage_metadata is not None:
            self._turn_usage = message.usage_metadata
        if content is not None and content.turn_complete:
            self.in_turn = False
            self.ledger.turn_completed(self.connection)
            if self.resumption_handle is None:
                self.ledger.prune_consumed()  # ledger rule 7: only a fresh session can follow
            self._commit_turn_usage()
        update = message.session_resumption_update
        if update is not None:
            if update.resumable and update.new_handle:
                self.resumption_handle = update.new_handle
                self.handle_fresh = True
                self.last_consumed_index = update.last_consumed_client_message_index
                self.ledger.handle_received(
                    self.connection, update.last_consumed_client_message_index
                )
            else:
                self.handle_fresh = False
        if message.go_away is not None:
            left = message.go_away.time_left
            self.go_away_time_left = left.total_seconds() if left is not None else 0.0

    def _commit_turn_usage(self) -> None:
        if self._turn_usage is not None:
            self.usage = self.usage.plus(self._turn_usage)
            self.connection_usage = self.connection_usage.plus(self._turn_usage)
            self._turn_usage = None

    def connection_lost(self) -> SessionStatus:
        """The transport is gone; returns the new status (rule 1)."""
        if self.status is SessionStatus.CLOSED:
            raise LocalProtocolError("connection lost on a closed session")
        self._commit_turn_usage()
        self.in_turn = False
        self._can_send = False
        # Calls of a dead connection cannot be answered there; the ledger keeps
        # any response already given for replay (rule 5 of the ledger).
        self.pending_tool_calls.clear()
        self.status = (
            SessionStatus.CLOSED
            if self.status is SessionStatus.CLOSING
            else SessionStatus.DISCONNECTED
        )
        return self.status

    def begin_close(self) -> None:
        """The user (or the supervisor, giving up) closes the session."""
        if self.status is SessionStatus.CLOSED:
            return
        if self.status in (SessionStatus.DISCONNECTED,):
            self.status = SessionStatus.CLOSED
            return
        self.status = SessionStatus.CLOSING

    def finish_close(self) -> None:
        self._commit_turn_usage()
        self._can_send = False
        self.status = SessionStatus.CLOSED

    # ---------------------------------------------------------------- sending

    def accept(self, message: ClientMessage) -> Entry:
        """Validate a user command and give it a ledger entry (rules 7, 8)."""
        if self.status in _NOT_SENDING:
            raise SessionClosedError(f"cannot send: the session is {self.status}")
        self._validate(message)
        return self.ledger.accept(message)

    def accept_media(self, data: bytes, mime_type: str, *, field: str = "audio") -> Entry:
        """``accept(RealtimeInput(<field>=Blob(...)))`` for the per-chunk path.

        One field by construction, so there is nothing to validate.
        """
        if self.status in _NOT_SENDING:
            raise SessionClosedError(f"cannot send: the session is {self.status}")
        message = media_input(data, mime_type, field=field)
        return self.ledger.accept_media(message, message.__dict__[field])

    @property
    def can_send_now(self) -> bool:
        """Would :meth:`dispatch` emit a frame right away (not queue it)?"""
        return self._can_send and not self._draining and not self._replay_pending

    def dispatch(self, entry: Entry) -> str | None:
        """The frame to send for an accepted command now, or ``None`` if queued.

        Accepted commands still go out while ``CLOSING`` (a graceful close sends
        what the user handed over); they are queued while dialling, during the
        replay after a reconnect and while draining for a goAway rotation.
        """
        if self.can_send_now:
            return self._emit(entry, replay=False)
        if self.status is SessionStatus.CLOSED:
            self.ledger.stats.drop("session closed", entry)
            return None
        self.ledger.queue(entry)
        return None

    def send(self, message: ClientMessage) -> str | None:
        """``accept`` then ``dispatch``: the frame to send now, or ``None`` if queued."""
        return self.dispatch(self.accept(message))

    def replay_frames(self, prefix: Sequence[ClientMessage] = ()) -> list[str]:
        """After a connection became ready: ``prefix``, the ledger's replay, queued commands.

        Until this is called, new commands are queued so that they follow the replay.
        """
        if not self._can_send:
            raise LocalProtocolError(f"cannot replay while {self.status}")
        self._replay_pending = False
        # Before the prefix joins the ledger.  A fresh session (no handle sent)
        # does not get back what the lost one consumed (ledger rule 7).
        plan = self.ledger.replay_plan(restored=self.resuming)
        frames = [self._emit(self.ledger.accept(message), replay=False) for message in prefix]
        frames.extend(self._emit(entry, replay=entry.connection is not None) for entry in plan)
        return frames

    def begin_draining(self) -> None:
        """A goAway rotation starts: queue new commands for the next connection."""
        self._draining = True

    def forget_handle(self) -> None:
        """The stored handle was rejected or expired: the next connection starts fresh."""
        self.resumption_handle = None
        self.handle_fresh = False

    def _emit(self, entry: Entry, *, replay: bool) -> str:
        self.index += 1
        self.ledger.mark_sent(entry, self.connection, self.index, replay=replay)
        message = entry.message
        if isinstance(message, ToolResponse):
            for response in message.function_responses or ():
                if response.id and not response.will_continue:
                    self.pending_tool_calls.pop(response.id, None)
        return encode_client_message(message)

    def _validate(self, message: ClientMessage) -> None:
        if isinstance(message, RealtimeInput):
            fields = (
                (message.audio is not None)
                + (message.video is not None)
                + (message.text is not None)
                + (message.activity_start is not None)
                + (message.activity_end is not None)
                + (message.audio_stream_end is not None)
                + (message.media_chunks is not None)
            )
            if fields != 1:
                raise LocalProtocolError(
                    "realtimeInput takes exactly one of audio, video, text, activity_start,"
                    f" activity_end, audio_stream_end or media_chunks per message; got {fields}"
                )
        elif isinstance(message, ToolResponse):
            responses = message.function_responses or ()
            if not responses:
                raise LocalProtocolError("a tool response needs at least one function response")
            for response in responses:
                if self.gemini_api and not response.id:
                    raise LocalProtocolError(
                        "the Gemini API needs the id of the function call in every function"
                        f" response (response for {response.name!r} has none)"
                    )
                if (
                    response.id
                    and not response.will_continue
                    and self.ledger.tool_response_answered(response.id)
                    and response.id not in self.pending_tool_calls
                ):
                    raise LocalProtocolError(f"function call {response.id!r} was already answered")
        elif isinstance(message, Setup):
            raise LocalProtocolError("setup is sent by the session itself, once per connection")

    def _require(self, status: SessionStatus, action: str) -> None:
        if self.status is not status:
            raise LocalProtocolError(f"cannot {action} while {self.status} (needs {status})")
