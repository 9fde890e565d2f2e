"""The handle: the only object users hold.

A :class:`SessionHandle` stays valid across every reconnect: its command
stream, event stream, status, resumption handle and outbound ledger belong to
the supervised session, not to one connection.  Send methods accept plain
Python values (``str``, ``bytes``, dicts with snake_case keys) or the wire
classes, validate them before anything is queued, and apply backpressure
through the session's bounded command stream.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from typing import Any, Literal, overload

import attrs

from ._callbacks import in_callback_task
from ._config import LiveConfig
from ._errors import LocalProtocolError
from ._events import Event, EventBuffer, Reconnecting
from ._protocol._codec import structure_config
from ._protocol._core import SessionStatus, Usage
from ._protocol._enums import FunctionResponseScheduling
from ._protocol._ledger import LedgerStats
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
    Transcription,
    replace,
)
from ._session import Session

__all__ = ["SessionHandle", "Turn"]

AUDIO_MIME = "audio/pcm;rate=16000"


@attrs.frozen
class Turn:
    """Everything the model said in one turn (see :meth:`SessionHandle.receive_turn`)."""

    messages: tuple[ServerMessage, ...]
    #: the connection was lost mid-turn: this is a partial reply, and the message
    #: that triggered it may be answered again (in full) after the reconnect.
    connection_lost: bool = False

    @property
    def text(self) -> str:
        """The turn's text (thought parts excluded)."""
        return "".join(m.text or "" for m in self.messages)

    @property
    def audio(self) -> bytes:
        """The turn's audio: 24 kHz 16-bit mono PCM, concatenated."""
        return b"".join(m.data or b"" for m in self.messages)

    @property
    def output_transcription(self) -> str:
        return _joined(m.server_content.output_transcription for m in self._contents())

    @property
    def input_transcription(self) -> str:
        return _joined(m.server_content.input_transcription for m in self._contents())

    @property
    def interrupted(self) -> bool:
        """The turn did not finish: barge-in (server ``interrupted``) or a lost connection."""
        return self.connection_lost or any(
            m.server_content.interrupted for m in self._contents()
        )

    def _contents(self) -> list[Any]:
        return [m for m in self.messages if m.server_content is not None]


def _joined(items: Iterable[Transcription | None]) -> str:
    return "".join(t.text or "" for t in items if t is not None)


class SessionHandle:
    """A live session, as its user sees it (create with ``open_session`` or a Supervisor)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def __repr__(self) -> str:
        return (
            f"<SessionHandle {self._session.session_id} model={self._session.config.model!r}"
            f" status={self.status}>"
        )

    # --------------------------------------------------------------- state

    @property
    def session_id(self) -> str:
        """Stable id of this supervised session (bound to every log event)."""
        return self._session.session_id

    @property
    def config(self) -> LiveConfig:
        return self._session.config

    @property
    def status(self) -> SessionStatus:
        return self._session.status

    @property
    def resumption_handle(self) -> str | None:
        """The last *resumable* session resumption handle, if any."""
        return self._session.core.resumption_handle

    def get_session_handle(self) -> str | None:
        """Alias of :attr:`resumption_handle` (the seed's name)."""
        return self.resumption_handle

    @property
    def usage(self) -> Usage:
        """Token totals of the whole session (each turn counted once)."""
        return self._session.core.usage

    @property
    def connection_usage(self) -> Usage:
        """Token totals of the current connection."""
        return self._session.core.connection_usage

    @property
    def ledger(self) -> LedgerStats:
        """Outcome counters of every command: sent, queued, replayed, dropped."""
        return self._session.core.ledger.stats

    @property
    def connection(self) -> int:
        """Number of the current (or last) connection attempt, 1-based."""
        return self._session.core.connection

    @property
    def pending_tool_calls(self) -> tuple[str, ...]:
        return tuple(self._session.core.pending_tool_calls)

    @property
    def close_code(self) -> int | None:
        return self._session.close_code

    @property
    def close_reason(self) -> str:
        return self._session.close_reason

    @property
    def error(self) -> Exception | None:
        """Why the session ended, if it ended abnormally."""
        return self._session.final_error

    # ---------------------------------------------------------- lifecycle

    async def connect(self) -> None:
        """Dial and wait for ``setupComplete``.

        Raises :class:`SetupRejectedError` (1007/1008, refused credentials) or
        :class:`ConnectError` (dial failure, timeout) with the close code and
        reason.  The first connection is attempted once; restarts apply after
        the session was ready.
        """
        session = self._session
        if session.closed.is_set() and session.final_error is not None:
            raise session.final_error
        session.request_connect()
        await session.wait_first_outcome()

    async def wait_ready(self) -> None:
        """Wait until a connection is ready (after a reconnect: and its replay sent).

        Raises :class:`SessionClosedError` if the session ends instead.
        """
        await self._session.wait_ready()

    async def close(self) -> None:
        """Send what was already handed over, close with 1000, wait for the end."""
        await self._session.close()

    async def wait_closed(self) -> None:
        """Wait until the session ended (closed by anyone, or given up).

        Outside the session's callbacks this also waits for the callbacks already
        queued (``on_close`` last) to have run.
        """
        session = self._session
        await session.closed.wait()
        if not in_callback_task():
            await session.finished.wait()

    async def __aenter__(self) -> SessionHandle:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # ------------------------------------------------------------ sending

    async def send(self, message: ClientMessage) -> None:
        """Send any client message object (except ``Setup``, which the session owns)."""
        session = self._session
        await session.submit(session.accept(message))

    async def send_client_content(
        self,
        content: str | Content | Mapping[str, Any] | Sequence[Content | Mapping[str, Any] | str],
        *,
        turn_complete: bool = True,
    ) -> None:
        """Append turns to the conversation; ``turn_complete`` starts generation.

        ``content`` is a string (one user turn), a :class:`Content` or dict, or
        a list of them (several turns, e.g. to seed history).
        """
        if isinstance(content, str | Content | Mapping):
            items: Sequence[Any] = [content]
        else:
            items = list(content)
        turns = tuple(_to_content(item) for item in items)
        await self.send(ClientContent(turns=turns, turn_complete=turn_complete))

    async def send_text(self, text: str) -> None:
        """Send ``text`` as realtime input (the way 3.x models take mid-session text)."""
        await self.send(RealtimeInput(text=text))

    async def send_realtime_input(
        self,
        *,
        audio: bytes | Blob | Mapping[str, Any] | None = None,
        video: bytes | Blob | Mapping[str, Any] | None = None,
        text: str | None = None,
        activity_start: bool = False,
        activity_end: bool = False,
        audio_stream_end: bool = False,
        media_chunks: Sequence[Blob | Mapping[str, Any]] | None = None,
    ) -> None:
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
            session = self._session
            await session.submit(session.accept_media(audio, AUDIO_MIME))
            return
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
            message = RealtimeInput(audio=_to_blob(audio, "audio", AUDIO_MIME))
        elif video is not None:
            message = RealtimeInput(video=_to_blob(video, "video", None))
        elif text is not None:
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
        session = self._session
        await session.submit(session.accept(message))

    async def send_tool_response(
        self,
        responses: FunctionResponse
        | Mapping[str, Any]
        | Sequence[FunctionResponse | Mapping[str, Any]],
        *,
        scheduling: FunctionResponseScheduling | str | None = None,
    ) -> None:
        """Answer function calls; each response needs the call ``id`` on the Gemini API.

        ``scheduling`` (NON_BLOCKING functions: ``SILENT``, ``WHEN_IDLE``,
        ``INTERRUPT``) applies to every response that does not set its own.
        """
        if isinstance(responses, FunctionResponse | Mapping):
            items: Sequence[Any] = [responses]
        else:
            items = list(responses)
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
        await self.send(ToolResponse(function_responses=tuple(converted)))

    async def send_context_update(
        self,
        *,
        system_instruction: str | Content | Mapping[str, Any] | None = None,
        tools: Sequence[Tool | Mapping[str, Any]] | None = None,
    ) -> None:
        """Replace the system instruction and/or the tools mid-session (``[]`` clears tools)."""
        if system_instruction is None and tools is None:
            raise LocalProtocolError("send_context_update needs system_instruction or tools")
        instruction = None
        if system_instruction is not None:
            instruction = _to_content(system_instruction)
        update_tools = None
        if tools is not None:
            update_tools = ContextUpdateTools(
                tools=tuple(
                    t if isinstance(t, Tool) else structure_config(t, Tool, what="tools")
                    for t in tools
                )
            )
        await self.send(ContextUpdate(system_instruction=instruction, tools=update_tools))

    # ----------------------------------------------------------- receiving

    @overload
    def events(self, *, lifecycle: Literal[False] = False) -> AsyncIterator[ServerMessage]: ...

    @overload
    def events(self, *, lifecycle: bool) -> AsyncIterator[Event]: ...

    def events(self, *, lifecycle: bool = False) -> AsyncIterator[Event]:
        """Every server message, in order, until the session ends.

        Does not stop after a turn.  With ``lifecycle=True`` the supervisor's
        :class:`Reconnecting`, :class:`Resumed`, :class:`GoingAway` and
        :class:`GaveUp` events are interleaved.  One consumer at a time.  A plain
        iterator, not an async generator: breaking out of the loop needs no cleanup.
        """
        return _EventIterator(self._session.events, lifecycle)

    async def receive_turn(self) -> Turn:
        """Collect server messages until the model's turn completes (or the session ends).

        A connection lost while the model was answering ends the turn early with
        ``connection_lost=True``: the partial reply is never glued to the full
        answer that may follow the reconnect (the next ``receive_turn`` returns it).
        A session that ends mid-answer returns its partial reply the same way.
        """
        collected: list[ServerMessage] = []
        buffer = self._session.events
        answering = False
        while True:
            event = await buffer.get()
            if event is None:
                return Turn(tuple(collected), connection_lost=answering)
            if not isinstance(event, ServerMessage):
                if isinstance(event, Reconnecting) and answering:
                    return Turn(tuple(collected), connection_lost=True)
                continue
            collected.append(event)
            content = event.server_content
            if content is not None:
                if content.turn_complete:
                    return Turn(tuple(collected))
                if content.model_turn is not None:
                    answering = True
            elif event.tool_call is not None:
                answering = True


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
