"""The conversation as plain text, kept to re-seed a session that must start fresh.

When no resumption is possible (the socket dropped before the first handle, the
handle expired or was rejected) the service starts a new, empty session: the
model would forget everything.  Every peer users like re-seeds the history in
that case, and so does live_actor: the session keeps a bounded transcript and
sends it as history to the fresh session (``docs/wire-protocol.md`` §13.2).

Rules:

1. Only *answered* exchanges enter the transcript: the user's messages (text,
   realtime text, input transcriptions) and the model's reply (text, or the
   output transcription of an audio reply; tool calls and results rendered as
   text) are committed together when the turn completes.  A question still
   unanswered is not in it (the ledger replays it instead), and neither is a
   cut exchange (the cut-turn policy asks it again): nothing is sent twice.
2. Seeded turns are plain text (function parts in seeded turns are refused by
   the service).
3. Bounded by bytes: the oldest turns go first.  Google recommends a summary
   for long contexts: the app can supply one (``SessionOptions(history=...)``).

The transcript is user content: it lives in memory only and is never logged.
"""

from __future__ import annotations

import collections
from collections.abc import Iterable, Mapping
from typing import Any, Final, Literal

import attrs
import orjson

from ._messages import (
    ClientContent,
    ClientMessage,
    Content,
    Part,
    RealtimeInput,
    ServerMessage,
    ToolCall,
    ToolResponse,
)

__all__ = ["Transcript", "TranscriptTurn"]

#: Default bound of a transcript, in bytes of text.
DEFAULT_TRANSCRIPT_BYTES: Final = 64 * 1024


@attrs.frozen
class TranscriptTurn:
    role: Literal["user", "model"]
    text: str


def _json(value: Any) -> str:
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return repr(value)


def _content_text(content: Content) -> str:
    texts: list[str] = []
    for part in content.parts or ():
        if part.text is not None and not part.thought:
            texts.append(part.text)
        elif part.function_response is not None:
            response = part.function_response
            texts.append(f"[result of {response.name}: {_json(response.response)}]")
        elif part.function_call is not None:
            call = part.function_call
            texts.append(f"[called {call.name}({_json(call.args)})]")
    return " ".join(texts)


#: The turns of a transcript with none yet: one empty deque shared by all (an
#: idle session's saves ~700 bytes); ``_commit`` swaps in its own before appending.
_NO_TURNS: Final[collections.deque[TranscriptTurn]] = collections.deque(maxlen=0)


class Transcript:
    """A bounded, text-only record of the answered exchanges (see the module rules)."""

    def __init__(self, max_bytes: int = DEFAULT_TRANSCRIPT_BYTES) -> None:
        self.max_bytes = max_bytes
        self._turns: collections.deque[TranscriptTurn] = _NO_TURNS
        self._bytes = 0
        self._user: list[str] = []
        self._model: list[str] = []
        #: changes whenever a turn is committed (a session store writes it then).
        self.revision = 0

    def __len__(self) -> int:
        return len(self._turns)

    @property
    def turns(self) -> tuple[TranscriptTurn, ...]:
        return tuple(self._turns)

    @property
    def pending_user_text(self) -> str:
        """What the user said since the last answered exchange (for a re-ask)."""
        return " ".join(t for t in self._user if t)

    # ------------------------------------------------------------------ input

    def sent(self, message: ClientMessage) -> None:
        """A control message went out (media is not text and is ignored)."""
        if self.max_bytes <= 0:
            return
        if isinstance(message, ClientContent):
            for turn in message.turns or ():
                text = _content_text(turn)
                if not text:
                    continue
                if turn.role == "model":
                    self._model.append(text)
                else:
                    self._user.append(text)
        elif isinstance(message, RealtimeInput):
            if message.text:
                self._user.append(message.text)
        elif isinstance(message, ToolResponse):
            for response in message.function_responses or ():
                self._model.append(f"[result of {response.name}: {_json(response.response)}]")

    def received(self, message: ServerMessage) -> None:
        """A server message: model text, transcriptions and tool calls."""
        if self.max_bytes <= 0:
            return
        content = message.server_content
        if content is not None:
            turn = content.model_turn
            if turn is not None:  # its text parts (an audio chunk has none: no list built)
                for part in turn.parts or ():
                    if part.text and not part.thought:
                        self._model.append(part.text)
            if content.output_transcription is not None and content.output_transcription.text:
                self._model.append(content.output_transcription.text)
            if content.input_transcription is not None and content.input_transcription.text:
                self._user.append(content.input_transcription.text)
        if message.tool_call is not None:
            self._model.append(_render_call(message.tool_call))

    def turn_completed(self) -> None:
        """Rule 1: the exchange is answered: commit it."""
        if self._user:
            self._commit("user", " ".join(self._user))
        if self._model:
            # Streamed pieces carry their own spacing.
            self._commit("model", "".join(self._model))
        self._user, self._model = [], []

    def cut(self) -> None:
        """The reply was cut: drop it, keep the question pending (rule 1)."""
        self._model = []

    # --------------------------------------------------------------- seeding

    def contents(self) -> tuple[Content, ...]:
        """The transcript as history turns (rule 2), oldest first."""
        return tuple(Content(role=turn.role, parts=(Part(text=turn.text),)) for turn in self._turns)

    def restore(self, turns: Iterable[tuple[str, str]]) -> None:
        """Load the turns another process kept (``(role, text)``, oldest first)."""
        for role, text in turns:
            self._commit("model" if role == "model" else "user", text)

    def _commit(self, role: Literal["user", "model"], text: str) -> None:
        text = text.strip()
        if not text:
            return
        self.revision += 1
        if self._turns and self._turns[-1].role == role:
            last = self._turns.pop()
            self._bytes -= len(last.text.encode())
            text = f"{last.text} {text}"
        turn = TranscriptTurn(role, text)
        if self._turns is _NO_TURNS:
            self._turns = collections.deque()
        self._turns.append(turn)
        self._bytes += len(text.encode())
        while self._bytes > self.max_bytes and len(self._turns) > 1:
            old = self._turns.popleft()
            self._bytes -= len(old.text.encode())


def _render_call(call: ToolCall) -> str:
    rendered = [
        f"[called {fc.name}({_json(fc.args if isinstance(fc.args, Mapping) else {})})]"
        for fc in call.function_calls or ()
    ]
    return " ".join(rendered)
