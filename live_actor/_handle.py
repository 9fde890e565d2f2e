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
from typing import Any, Literal, Protocol, overload

from . import _genai
from ._actor import SessionActor
from ._actor._delivery import EventBuffer, in_callback_task
from ._config import LiveConfig
from ._errors import LocalProtocolError
from ._events import Event
from ._protocol._codec import structure_config
from ._protocol._enums import FunctionResponseScheduling
from ._protocol._ledger import Entry, LedgerStats, SendOutcome
from ._protocol._media import check_audio
from ._protocol._messages import (
    ActivityEnd,
    ActivityStart,
    Blob,
    ClientContent,
    ClientMessage,
    Content,
    ContextUpdate,
    ContextUpdateTools,
    FunctionResponse,
    Part,
    RealtimeInput,
    ServerMessage,
    Tool,
    ToolResponse,
    replace,
)
from ._protocol._state import SessionStatus
from ._protocol._usage import Usage
from ._turn import Turn, ends_turn, is_cut_boundary

__all__ = ["Receipt", "SessionHandle", "Turn"]

AUDIO_MIME = "audio/pcm;rate=16000"


class GenaiModel(Protocol):
    """A google-genai ``types`` object (a pydantic model): senders convert them."""

    def model_dump(self, *args: Any, **kwargs: Any) -> dict[str, Any]: ...


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
        if _genai.is_genai_object(content) or (
            isinstance(content, list | tuple) and any(_genai.is_genai_object(c) for c in content)
        ):
            turns = _genai.contents_from_genai(content)
            return await self.send(ClientContent(turns=turns, turn_complete=turn_complete))
        if isinstance(content, str | Content | Mapping):
            items: Sequence[Any] = [content]
        elif isinstance(content, Sequence) and not isinstance(content, bytes | bytearray):
            items = list(content)
        else:
            raise LocalProtocolError(
                "send_client_content takes a str, a Content, a dict or a list of them, "
                f"got {type(content).__name__}"
            )
        turns = tuple(_to_content(item) for item in items)
        return await self.send(ClientContent(turns=turns, turn_complete=turn_complete))

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
        given = sum(
            (
                audio is not None,
                video is not None,
                text is not None,
                activity_start,
                activity_end,
                audio_stream_end,
                media_chunks is not None,
            )
        )
        if given != 1:
            raise LocalProtocolError(
                "send_realtime_input takes exactly one of audio, video, text, activity_start,"
                f" activity_end, audio_stream_end or media_chunks; got {given}"
            )
        if audio is not None:
            check_audio(audio)
            message = RealtimeInput(audio=_to_blob(audio, "audio", AUDIO_MIME))
        elif video is not None:
            message = RealtimeInput(video=_to_blob(video, "video", None))
        elif text is not None:
            if not isinstance(text, str):
                raise LocalProtocolError(f"text must be a str, got {type(text).__name__}")
            message = RealtimeInput(text=text)
        elif activity_start:
            message = RealtimeInput(activity_start=ActivityStart())
        elif activity_end:
            message = RealtimeInput(activity_end=ActivityEnd())
        elif audio_stream_end:
            message = RealtimeInput(audio_stream_end=True)
        else:
            chunks = tuple(_to_blob(c, "media_chunks", None) for c in media_chunks or ())
            message = RealtimeInput(media_chunks=chunks)
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
        if _genai.is_genai_object(responses) or (
            isinstance(responses, list | tuple)
            and any(_genai.is_genai_object(r) for r in responses)
        ):
            responses = _genai.function_responses_from_genai(responses)
        if isinstance(responses, FunctionResponse | Mapping):
            items: Sequence[Any] = [responses]
        elif isinstance(responses, Sequence):
            items = list(responses)
        else:
            raise LocalProtocolError(
                "send_tool_response takes a FunctionResponse, a dict or a list of them, "
                f"got {type(responses).__name__}"
            )
        converted = []
        for item in items:
            response = (
                item
                if isinstance(item, FunctionResponse)
                else structure_config(item, FunctionResponse, what="tool response")
            )
            if scheduling is not None and response.scheduling is None:
                response = replace(response, scheduling=FunctionResponseScheduling(scheduling))
            converted.append(response)
        return await self.send(ToolResponse(function_responses=tuple(converted)))

    async def send_context_update(
        self,
        *,
        system_instruction: str | Content | Mapping[str, Any] | GenaiModel | None = None,
        tools: Sequence[Tool | Mapping[str, Any]] | None = None,
    ) -> Receipt:
        """Replace the system instruction and/or the tools mid-session (``[]`` clears tools)."""
        if system_instruction is None and tools is None:
            raise LocalProtocolError("send_context_update needs system_instruction or tools")
        instruction = None
        if system_instruction is not None:
            instruction = (
                _genai.content_from_genai(system_instruction)
                if _genai.is_genai_object(system_instruction)
                else _to_content(system_instruction)
            )
        update_tools = None
        if tools is not None:
            update_tools = ContextUpdateTools(
                tools=tuple(
                    t if isinstance(t, Tool) else structure_config(t, Tool, what="tools")
                    for t in tools
                )
            )
        return await self.send(ContextUpdate(system_instruction=instruction, tools=update_tools))

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
        return _EventIterator(self._actor.delivery.events, lifecycle)

    def receive(self) -> AsyncIterator[ServerMessage]:
        """The server messages of the model's current turn, as google-genai's
        ``session.receive()``: yields until the turn ends (``turnComplete``; with
        ``interactionStatus``, until it is not ``IN_PROGRESS``), then stops.

        A turn cut by a lost connection stops too (its last message is the
        interrupted boundary).  Shares the one event stream with :meth:`events`.
        """
        return _TurnIterator(self._actor.delivery.events)

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


class _EventIterator:
    def __init__(self, buffer: EventBuffer, lifecycle: bool) -> None:
        self._buffer = buffer
        self._lifecycle = lifecycle

    def __aiter__(self) -> _EventIterator:
        return self

    async def __anext__(self) -> Event:
        while True:
            event = await self._buffer.get()
            if event is None:
                raise StopAsyncIteration
            if self._lifecycle or isinstance(event, ServerMessage):
                return event


class _TurnIterator:
    """Server messages until the turn ends (see ``SessionHandle.receive``)."""

    def __init__(self, buffer: EventBuffer) -> None:
        self._buffer = buffer
        self._done = False

    def __aiter__(self) -> _TurnIterator:
        return self

    async def __anext__(self) -> ServerMessage:
        while not self._done:
            event = await self._buffer.get()
            if event is None:
                break
            if isinstance(event, ServerMessage):
                self._done = ends_turn(event) or is_cut_boundary(event)
                return event
        raise StopAsyncIteration


def _to_content(item: Any) -> Content:
    if isinstance(item, Content):
        return item
    if isinstance(item, str):
        return Content(role="user", parts=(Part(text=item),))
    return structure_config(item, Content, what="content")


_IMAGE_MAGIC = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"))


def _to_blob(value: Any, what: str, default_mime: str | None) -> Blob:
    if isinstance(value, Blob):
        return value
    if _genai.is_genai_object(value):
        return _genai.blob_from_genai(value)
    if isinstance(value, bytes | bytearray | memoryview):
        data = bytes(value)
        mime = default_mime
        if mime is None:
            mime = next((m for magic, m in _IMAGE_MAGIC if data.startswith(magic)), None)
            if mime is None:
                raise LocalProtocolError(
                    f"cannot tell the MIME type of the {what} bytes; pass a Blob or"
                    " {'data': ..., 'mime_type': 'image/jpeg'}"
                )
        return Blob(mime_type=mime, data=data)
    return structure_config(value, Blob, what=what)
