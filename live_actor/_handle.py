"""The handle: the only object users hold.

A :class:`SessionHandle` stays valid across every reconnect: its command
stream, event stream, status, resumption handle and outbound ledger belong to
the supervised session, not to one connection.  Send methods accept plain
Python values (``str``, ``bytes``, dicts with snake_case keys) or the wire
classes, validate them before anything is queued, and apply backpressure
through the session's bounded command stream.
"""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, Literal, overload

from . import _coerce
from ._actor import SessionActor
from ._actor._delivery import in_callback_task
from ._coerce import AUDIO_MIME, GenaiModel
from ._config import LiveConfig
from ._events import Event
from ._protocol._enums import FunctionResponseScheduling
from ._protocol._ledger import Entry, LedgerStats, SendOutcome
from ._protocol._media import check_audio
from ._protocol._messages import (
    Blob,
    ClientMessage,
    Content,
    FunctionResponse,
    RealtimeInput,
    ServerMessage,
    Tool,
)
from ._protocol._state import SessionStatus
from ._protocol._usage import Usage
from ._turn import EventIterator, Turn, TurnIterator

__all__ = ["Receipt", "SessionHandle", "Turn"]


class Receipt:
    """What became of one accepted command: returned by every send method.

    ``outcome`` is live (queued, sent, replayed, confirmed, dropped ...), so a
    receipt kept after a cancelled or timed-out send tells whether the message
    went out (see ``SessionHandle.last_receipt``).
    """

    __slots__ = ("_entry",)

    def __init__(self, entry: Entry) -> None:
        self._entry = entry

    @property
    def id(self) -> int:
        """The command's ledger id (1-based, in acceptance order; in log events)."""
        return self._entry.seq

    @property
    def outcome(self) -> SendOutcome:
        return self._entry.outcome

    @property
    def drop_reason(self) -> str | None:
        """Why it was dropped, when :attr:`outcome` is ``dropped``."""
        return self._entry.drop_reason

    def __repr__(self) -> str:
        return f"<Receipt {self.id} {self.outcome}>"


class SessionHandle:
    """A live session, as its user sees it (create with ``open_session`` or a Supervisor).

    It stays valid across every reconnect: its command stream, event stream,
    status, resumption handle and ledger belong to the supervised session, not
    to one connection.
    """

    __slots__ = ("_actor",)

    def __init__(self, actor: SessionActor) -> None:
        self._actor = actor

    def __repr__(self) -> str:
        return (
            f"<SessionHandle {self._actor.session_id} model={self._actor.config.model!r}"
            f" status={self.status}>"
        )

    # --------------------------------------------------------------- state

    @property
    def session_id(self) -> str:
        """Stable id of this supervised session (bound to every log event)."""
        return self._actor.session_id

    @property
    def config(self) -> LiveConfig:
        return self._actor.config

    @property
    def status(self) -> SessionStatus:
        return self._actor.status

    @property
    def resumption_handle(self) -> str | None:
        """The last *resumable* session resumption handle, if any (a secret)."""
        return self._actor.core.resumption_handle

    def get_session_handle(self) -> str | None:
        """:attr:`resumption_handle`, by the name of the Elixir seed's API."""
        return self.resumption_handle

    @property
    def usage(self) -> Usage:
        """Token totals of the whole session (each turn counted once)."""
        return self._actor.core.usage

    @property
    def connection_usage(self) -> Usage:
        """Token totals of the current connection."""
        return self._actor.core.connection_usage

    @property
    def ledger(self) -> LedgerStats:
        """Outcome counters of every command: sent, queued, replayed, dropped."""
        return self._actor.core.ledger.stats

    @property
    def connection_number(self) -> int:
        """Number of the current (or last) connection of this session, 1-based."""
        return self._actor.core.connection_number

    @property
    def connection(self) -> int:
        """Deprecated name of :attr:`connection_number`."""
        warnings.warn(
            "SessionHandle.connection is deprecated; use connection_number",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.connection_number

    @property
    def restarts(self) -> int:
        """How many times the supervisor reconnected this session."""
        return self._actor.restarts

    @property
    def pending_tool_calls(self) -> tuple[str, ...]:
        return tuple(self._actor.core.pending_tool_calls)

    @property
    def close_code(self) -> int | None:
        return self._actor.close_code

    @property
    def close_reason(self) -> str:
        return self._actor.close_reason

    @property
    def error(self) -> Exception | None:
        """Why the session ended, if it ended abnormally."""
        return self._actor.final_error

    @property
    def last_receipt(self) -> Receipt | None:
        """The receipt of the last command accepted through this handle.

        After a send was cancelled (a timeout around it, say), its receipt tells
        whether the message was handed over: ``dropped`` with reason
        ``"cancelled before it was queued"``, or sent/queued anyway.
        """
        receipt = self._actor.last_receipt
        return receipt if isinstance(receipt, Receipt) else None

    # ---------------------------------------------------------- lifecycle

    async def connect(self) -> None:
        """Wait until the session is ready; idempotent.

        The session started dialling when it was started.  Raises
        :class:`SetupRejectedError` (1007/1008, refused credentials) or
        :class:`ConnectError` (dial failure, timeout) with the close code and
        reason when its first connection failed (that connection is attempted
        once; restarts apply after the session was ready), and
        :class:`SessionClosedError` once the session ended.
        """
        await self._actor.wait_ready()

    async def wait_ready(self) -> None:
        """Wait until a connection is ready (after a reconnect: and its replay sent).

        The same as :meth:`connect`.
        """
        await self._actor.wait_ready()

    async def close(self) -> None:
        """Send what was already handed over, close with 1000, wait for the end."""
        await self._actor.close()

    async def wait_closed(self) -> None:
        """Wait until the session ended (closed by anyone, or given up).

        Outside the session's callbacks this also waits for the callbacks already
        queued (``on_close`` last) to have run.
        """
        actor = self._actor
        await actor.closed.wait()
        if not in_callback_task():
            await actor.finished.wait()

    async def __aenter__(self) -> SessionHandle:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # ------------------------------------------------------------ sending

    async def _submit(self, entry: Entry) -> Receipt:
        actor = self._actor
        receipt = actor.last_receipt = Receipt(entry)
        if actor.persist is not None and not entry.media:  # in the store before the send
            await actor.persist.accepted(entry)
        await actor.pipe.submit(entry)
        return receipt

    async def send(self, message: ClientMessage) -> Receipt:
        """Send any client message object (except ``Setup``, which the session owns)."""
        return await self._submit(self._actor.accept(message))

    async def send_client_content(
        self,
        content: str
        | Content
        | Mapping[str, Any]
        | GenaiModel
        | Sequence[Content | Mapping[str, Any] | str | GenaiModel],
        *,
        turn_complete: bool = True,
    ) -> Receipt:
        """Append turns to the conversation; ``turn_complete`` starts generation.

        ``content`` is a string (one user turn), a :class:`Content` or dict, or
        a list of them (several turns, e.g. to seed history).
        """
        return await self.send(_coerce.client_content(content, turn_complete))

    async def send_text(self, text: str) -> Receipt:
        """Send ``text`` as realtime input (the way 3.x models take mid-session text)."""
        return await self.send(RealtimeInput(text=text))

    async def send_realtime_input(
        self,
        *,
        audio: bytes | Blob | Mapping[str, Any] | GenaiModel | None = None,
        video: bytes | Blob | Mapping[str, Any] | GenaiModel | None = None,
        text: str | None = None,
        activity_start: bool = False,
        activity_end: bool = False,
        audio_stream_end: bool = False,
        media_chunks: Sequence[Blob | Mapping[str, Any] | GenaiModel] | None = None,
    ) -> Receipt:
        """Stream realtime input; exactly one argument per call.

        ``audio`` as bytes is 16-bit little-endian mono PCM at 16 kHz; ``video``
        as bytes is one JPEG or PNG frame (detected from its header).
        """
        if (
            type(audio) is bytes
            and video is None
            and text is None
            and not (activity_start or activity_end or audio_stream_end)
            and media_chunks is None
        ):  # the per-chunk hot path of a voice agent
            if len(audio) & 1:
                check_audio(audio)
            actor = self._actor
            entry = actor.accept_media(audio, AUDIO_MIME)
            receipt = actor.last_receipt = Receipt(entry)
            await actor.pipe.submit(entry)
            return receipt
        message = _coerce.realtime_input(
            audio=audio,
            video=video,
            text=text,
            activity_start=activity_start,
            activity_end=activity_end,
            audio_stream_end=audio_stream_end,
            media_chunks=media_chunks,
        )
        return await self.send(message)

    async def send_tool_response(
        self,
        responses: FunctionResponse
        | Mapping[str, Any]
        | GenaiModel
        | Sequence[FunctionResponse | Mapping[str, Any] | GenaiModel],
        *,
        scheduling: FunctionResponseScheduling | str | None = None,
    ) -> Receipt:
        """Answer function calls; each response needs the call ``id`` on the Gemini API.

        ``scheduling`` (NON_BLOCKING functions: ``SILENT``, ``WHEN_IDLE``,
        ``INTERRUPT``) applies to every response that does not set its own.
        """
        return await self.send(_coerce.tool_response(responses, scheduling))

    async def send_context_update(
        self,
        *,
        system_instruction: str | Content | Mapping[str, Any] | GenaiModel | None = None,
        tools: Sequence[Tool | Mapping[str, Any]] | None = None,
    ) -> Receipt:
        """Replace the system instruction and/or the tools mid-session (``[]`` clears tools)."""
        return await self.send(_coerce.context_update(system_instruction, tools))

    # ----------------------------------------------------------- receiving

    @overload
    def events(self, *, lifecycle: Literal[False] = False) -> AsyncIterator[ServerMessage]: ...

    @overload
    def events(self, *, lifecycle: bool) -> AsyncIterator[Event]: ...

    def events(self, *, lifecycle: bool = False) -> AsyncIterator[Event]:
        """Every server message, in order, until the session ends.

        Does not stop after a turn.  With ``lifecycle=True`` the supervisor's
        :class:`Reconnecting`, :class:`Resumed`, :class:`GoingAway` and
        :class:`GaveUp` events are interleaved.  A turn cut by a lost connection
        ends with an ``interrupted`` + ``turnComplete`` message made by
        live_actor (``message.extra["liveActor"]``).  One consumer at a time.  A
        plain iterator, not an async generator: breaking out needs no cleanup.
        """
        return EventIterator(self._actor.delivery.events, lifecycle)

    def receive(self) -> AsyncIterator[ServerMessage]:
        """The server messages of the model's current turn, as google-genai's
        ``session.receive()``: yields until the turn ends (``turnComplete``; with
        ``interactionStatus``, until it is not ``IN_PROGRESS``), then stops.

        A turn cut by a lost connection stops too (its last message is the
        interrupted boundary).  Shares the one event stream with :meth:`events`.
        """
        return TurnIterator(self._actor.delivery.events)

    async def receive_turn(self) -> Turn:
        """Collect server messages until the model's turn completes (or the session ends).

        A connection lost while the model was answering ends the turn early with
        ``connection_lost=True``: the partial reply is never glued to the full
        answer that may follow the reconnect (the next ``receive_turn`` returns it).
        A session that ends mid-answer returns its partial reply the same way.
        Cancel-safe: cancelled mid-turn, it keeps what it collected and the next
        call returns the whole turn.
        """
        buffer = self._actor.delivery.events
        assembler = self._actor.turn_assembler
        while True:
            event = await buffer.get()
            if event is None:
                return assembler.end()
            turn = assembler.add(event)
            if turn is not None:
                return turn
