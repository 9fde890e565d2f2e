"""Turns as the user reads them: :class:`Turn`, the assembler behind ``receive_turn()``,
and the iterators behind ``events()`` and ``receive()``.

The assembler keeps a partly received turn between calls, so ``receive_turn()``
is cancel-safe: a timeout mid-turn loses nothing, and the next call returns the
whole turn.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Final

import attrs

from ._events import Event, Reconnecting
from ._protocol._messages import ServerMessage, Transcription

if TYPE_CHECKING:
    from ._actor._delivery import EventBuffer

__all__ = [
    "EventIterator",
    "Turn",
    "TurnAssembler",
    "TurnIterator",
    "ends_turn",
    "is_cut_boundary",
]


#: ``interactionStatus`` values that say the model goes on after ``turnComplete``.
_GOING_ON: Final = frozenset(("IN_PROGRESS",))


def ends_turn(message: ServerMessage) -> bool:
    """Does ``message`` end the model's turn, as google-genai's ``receive()`` reads it?

    ``turnComplete``, unless ``interactionStatus`` says the interaction goes on
    (3.8 extended thinking: a spoken filler ends with ``turnComplete`` and
    ``IN_PROGRESS``, the answer follows, then ``turnComplete`` and ``IDLE``).
    """
    content = message.server_content
    if content is None or not content.turn_complete:
        return False
    return content.interaction_status not in _GOING_ON


def is_cut_boundary(message: ServerMessage) -> bool:
    """Is ``message`` the interrupted boundary live_actor adds when a connection
    is lost mid-turn (not a message the server sent)?"""
    extra = message.extra
    return extra is not None and "liveActor" in extra


@attrs.frozen
class Turn:
    """Everything the model said in one turn (see ``SessionHandle.receive_turn``)."""

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
        return self.connection_lost or any(m.server_content.interrupted for m in self._contents())

    def _contents(self) -> list[Any]:
        return [m for m in self.messages if m.server_content is not None]


def _joined(items: Iterable[Transcription | None]) -> str:
    return "".join(t.text or "" for t in items if t is not None)


class TurnAssembler:
    """Collects server messages into turns, across ``receive_turn()`` calls."""

    def __init__(self) -> None:
        self._collected: list[ServerMessage] = []
        #: the model started answering (output or a tool call seen).
        self._answering = False

    def add(self, event: Event) -> Turn | None:
        """Take the next event; returns the turn it completes, if any."""
        if not isinstance(event, ServerMessage):
            if isinstance(event, Reconnecting) and self._answering:
                return self._take(connection_lost=True)
            return None
        if is_cut_boundary(event):
            return self._take(connection_lost=True)
        self._collected.append(event)
        content = event.server_content
        if content is not None:
            if ends_turn(event):
                return self._take(connection_lost=False)
            if content.model_turn is not None:
                self._answering = True
        elif event.tool_call is not None:
            self._answering = True
        return None

    def end(self) -> Turn:
        """The session ended: what was collected (partial if the model was answering)."""
        return self._take(connection_lost=self._answering)

    def _take(self, *, connection_lost: bool) -> Turn:
        turn = Turn(tuple(self._collected), connection_lost=connection_lost)
        self._collected = []
        self._answering = False
        return turn


class EventIterator:
    """Every event of the buffer (server messages only, unless ``lifecycle``)."""

    def __init__(self, buffer: EventBuffer, lifecycle: bool) -> None:
        self._buffer = buffer
        self._lifecycle = lifecycle

    def __aiter__(self) -> EventIterator:
        return self

    async def __anext__(self) -> Event:
        while True:
            event = await self._buffer.get()
            if event is None:
                raise StopAsyncIteration
            if self._lifecycle or isinstance(event, ServerMessage):
                return event


class TurnIterator:
    """Server messages until the turn ends (see ``SessionHandle.receive``)."""

    def __init__(self, buffer: EventBuffer) -> None:
        self._buffer = buffer
        self._done = False

    def __aiter__(self) -> TurnIterator:
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
