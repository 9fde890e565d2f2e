"""What a new connection sends before anything else, so the conversation goes on (pure).

After a reconnect the ledger replays what the new server session lacks
(``_ledger``).  Three things are not replays, and are decided here:

1. **Re-seeding.**  A connection that starts a *fresh* session (no handle, or
   the handle was rejected or expired) has none of the conversation: it is
   seeded with history, the app's own (``SessionOptions(history=...)``) when
   given, else the session's transcript (``_transcript``), in the model's seed
   shape (``_capabilities``): plain ``clientContent`` turns with
   ``turnComplete: false``, or the ``historyConfig.initialHistoryInClientContent``
   seed phase ended by ``turnComplete: true`` (never answered).
2. **A cut reply.**  The service does not continue a generation that was cut:
   a resumed connection stays silent until new input.  When the question the
   cut reply answered is not replayed (the resumed state holds it, or a fresh
   session consumed it), the session asks again by policy: ``"repeat"`` sends
   the question again as text (realtime text on models that refuse
   ``clientContent`` mid-session; a prompt to continue when the question was
   speech without a transcript), ``"continue"`` asks the model to go on,
   ``"none"`` sends nothing.  A reply the model began on its own (proactive
   audio) answered no question: ``"repeat"`` sends nothing for it.
3. **Tool results the new session cannot take.**  A response to a call
   issued after the handle the session resumed from is unknown there (the
   service ignores it, ledger rule 9): the question is asked again and the tool
   may run again, except a tool declared not idempotent, whose earlier result
   is given to the model as text with the re-asked question.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Final, Literal

import attrs
import orjson

from ._capabilities import ModelCapabilities
from ._ledger import Entry
from ._messages import (
    ClientContent,
    ClientMessage,
    Content,
    FunctionResponse,
    HistoryConfig,
    Part,
    RealtimeInput,
    Setup,
    replace,
)

__all__ = [
    "CONTINUE_PROMPT",
    "Answers",
    "CutTurn",
    "complete_setup",
    "reask_messages",
    "seed_message",
    "tool_note",
]

CutTurnPolicy = Literal["repeat", "continue", "none"]

#: What ``"continue"`` says (and ``"repeat"`` when the question is not known as text).
CONTINUE_PROMPT: Final = "Your last answer was cut off. Please continue where you stopped."


@attrs.frozen
class CutTurn:
    """A reply cut by a lost connection: what it answered."""

    #: the turn-triggering message the cut reply answered (``None``: speech).
    trigger: Entry | None
    #: what the user said before it, as text (for a re-ask; may be empty).
    question: str
    #: the reply answered the user (a message or speech), not the model's own initiative.
    prompted: bool = True


class Answers:
    """Which message the model's current reply answers: what a cut reply asks again.

    Turn-triggering messages sent on a connection wait, oldest first; each model
    turn that starts answers the oldest waiting one (the service answers in
    order).  A turn that starts with none waiting after the user spoke answers
    the speech; one that starts with none waiting and no speech is the model's
    own (proactive audio) and answers nothing.
    """

    __slots__ = ("_answering", "_speech", "_waiting")

    def __init__(self) -> None:
        # A list (56 B empty; a deque is ~600 B): rarely more than one is waiting.
        self._waiting: list[Entry] = []
        self._answering: Entry | None = None
        self._speech = False

    def trigger_sent(self, entry: Entry) -> None:
        self._waiting.append(entry)

    def turn_started(self, *, after_speech: bool) -> None:
        waiting = self._waiting
        self._answering = waiting.pop(0) if waiting else None
        self._speech = after_speech and self._answering is None

    def cut(self, pending_user_text: str) -> CutTurn:
        """The reply in progress, were it cut now (``pending_user_text``: the
        transcript of speech not yet answered)."""
        speech = self._speech
        return CutTurn(
            self._answering,
            pending_user_text if speech else "",
            prompted=speech or self._answering is not None,
        )

    def connection_lost(self) -> None:
        """A new connection starts with nothing waiting (the replay re-sends it)."""
        self._waiting.clear()
        self._answering = None
        self._speech = False


def seed_message(turns: Sequence[Content], caps: ModelCapabilities) -> ClientContent:
    """Rule 1: the history turns as one seed message in the model's shape."""
    return ClientContent(turns=tuple(turns), turn_complete=caps.seed == "initial_history")


def tool_note(response: FunctionResponse) -> str:
    """Rule 3: an earlier result of a tool that must not run twice, as text."""
    try:
        result = orjson.dumps(response.response).decode()
    except TypeError:
        result = repr(response.response)
    return (
        f"(The function {response.name} was already called for this request and returned"
        f" {result}; use that result and do not call it again.)"
    )


def _as_text_message(text: str, caps: ModelCapabilities) -> ClientMessage:
    if caps.mid_session_client_content:
        return ClientContent(
            turns=(Content(role="user", parts=(Part(text=text),)),), turn_complete=True
        )
    return RealtimeInput(text=text)


def reask_messages(
    cut: CutTurn | None,
    *,
    policy: CutTurnPolicy,
    caps: ModelCapabilities,
    replayed: Iterable[Entry],
    notes: Sequence[str] = (),
) -> list[ClientMessage]:
    """Rules 2 and 3: what to send after the replay so no question stays unanswered."""
    if cut is None and not notes:
        return []
    replayed_seqs = {entry.seq for entry in replayed}
    if cut is not None and cut.trigger is not None and cut.trigger.seq in replayed_seqs:
        return []  # the replay asks it again already
    if policy == "none":
        return []
    question = ""
    trigger = cut.trigger if cut is not None else None
    if policy == "repeat":
        message = trigger.message if trigger is not None else None
        if isinstance(message, RealtimeInput) and message.text:
            question = message.text
        elif isinstance(message, ClientContent) and caps.mid_session_client_content and not notes:
            return [message]  # the very same turns
        elif isinstance(message, ClientContent):
            question = " ".join(
                part.text
                for turn in message.turns or ()
                if turn.role != "model"
                for part in turn.parts or ()
                if part.text
            )
        if not question and cut is not None:
            question = cut.question
        if not question and cut is not None and cut.prompted:
            question = CONTINUE_PROMPT
    elif cut is not None:  # "continue"
        question = CONTINUE_PROMPT
    text = " ".join(piece for piece in (question, *notes) if piece)
    return [_as_text_message(text, caps)] if text else []


def complete_setup(
    setup: Setup,
    *,
    resumption_handle: str | None,
    seed_phase: bool,
    consent_signature: Mapping[str, object] | None,
) -> Setup:
    """The app's setup, completed for one connection: the session's resumption handle
    (never the config's once the session has one of its own, or had it rejected),
    the history seed phase of a fresh session that will be re-seeded (rule 1), and a
    replicated voice's consent signature, which every later setup must carry."""
    resumption = setup.session_resumption
    if resumption is not None and resumption.handle != resumption_handle:
        setup = replace(setup, session_resumption=replace(resumption, handle=resumption_handle))
    if seed_phase:
        setup = replace(setup, history_config=HistoryConfig(initial_history_in_client_content=True))
    if consent_signature is not None:
        setup = _with_consent_signature(setup, consent_signature)
    return setup


def _with_consent_signature(setup: Setup, signature: Mapping[str, object]) -> Setup:
    """A replicated voice's consent signature goes back in every later setup."""
    generation = setup.generation_config
    speech = generation.speech_config if generation is not None else None
    voice = speech.voice_config if speech is not None else None
    replicated = voice.replicated_voice_config if voice is not None else None
    if generation is None or speech is None or voice is None or replicated is None:
        return setup
    replicated = {**replicated, "voiceConsentSignature": dict(signature)}
    voice = replace(voice, replicated_voice_config=replicated)
    speech = replace(speech, voice_config=voice)
    return replace(setup, generation_config=replace(generation, speech_config=speech))
