"""What the model is doing, from the order of events: turns and safe points.

A goAway rotation must not cut a reply, so the session rotates at a *safe
point*: the model owes nothing and a resumable handle issued since then holds
the whole conversation.  The service's timing decides what the order of events
proves (``docs/wire-protocol.md``, "Service timing"): answers start hundreds of
milliseconds after the question, resumption handles trail ``turnComplete`` by
20-70 ms on Vertex, 3.x models send resumable handles mid-interaction and keep
an interaction going across several ``turnComplete``.

Rules:

1. A turn starts at the model's first output after a boundary (``modelTurn``,
   ``generationComplete`` or ``toolCall``; not ``outputTranscription``, whose
   last piece may trail ``turnComplete``) and ends at ``turnComplete`` (a
   barge-in sends ``interrupted`` then ``turnComplete``) or when the
   connection is lost (the turn is *cut*).
2. A turn-triggering message (``clientContent`` with ``turnComplete``,
   ``realtimeInput.text``, ``activityEnd``) is unanswered until a turn of its
   own starts: each trigger gets one (a trigger sent while the model answers an
   earlier one interrupts that answer, and its own turn follows), so two sent
   back to back are answered after two turns, not one.  A generation
   interrupted before its first output (``interrupted`` with no turn
   streaming, a trigger waiting) is the turn of the oldest waiting trigger.
   (A service that merged two triggers into one answer with no ``interrupted``
   would leave one counted: the rotation then waits for its deadline margin.)
   Speech the server's VAD marked as started (``voiceActivity`` /
   ``voiceActivityDetectionSignal`` start) is unanswered until a turn starts.
3. ``interactionStatus`` other than ``IDLE`` at ``turnComplete`` means the
   interaction goes on (3.8 extended thinking, ``REQUIRES_ACTION``): not idle.
4. Safe point: no turn generating, nothing unanswered, no tool call owed, the
   interaction idle.  A rotation takes the first resumable handle that arrives
   at a safe point; any control message sent, output or speech after it makes
   it stale again.
"""

from __future__ import annotations

from typing import Final

import attrs

__all__ = ["TurnState"]

#: interactionStatus values that mean "nothing more is coming" (rule 3).
_IDLE_STATUSES: Final = frozenset((None, "", "IDLE", "INTERACTION_STATUS_UNSPECIFIED"))


@attrs.define
class TurnState:
    """Turn bookkeeping of one session (see the module rules)."""

    #: turns started in the whole session (numbers them, 1-based).
    turns: int = 0
    #: a model turn is streaming (rule 1).
    generating: bool = False
    #: triggers sent that no turn has started for yet (rule 2).
    unanswered: int = 0
    #: the server's VAD heard speech after the last turn started (rule 2).
    speech: bool = False
    #: the last turnComplete said the interaction goes on (rule 3).
    busy: bool = False
    #: a resumable handle arrived at a safe point and nothing happened since (rule 4).
    handle_at_safe_point: bool = False
    #: turns completed on the current connection.
    completed_on_connection: int = 0
    #: the current turn saw ``interrupted``.
    interrupted: bool = False

    def idle(self, *, tool_calls_owed: bool) -> bool:
        """Rule 4 without the handle: the model owes nothing."""
        return not (
            self.generating or self.unanswered or self.speech or self.busy or tool_calls_owed
        )

    def trigger_sent(self) -> None:
        self.unanswered += 1
        self.handle_at_safe_point = False

    def control_sent(self) -> None:
        """A control message the next handle must hold went out."""
        self.handle_at_safe_point = False

    def output(self) -> bool:
        """Model output arrived; ``True`` when it starts a turn (rule 1)."""
        if self.generating:
            return False
        self.generating = True
        self.turns += 1
        if self.unanswered:
            self.unanswered -= 1
        self.speech = False
        self.interrupted = False
        self.handle_at_safe_point = False
        return True

    def speech_started(self) -> None:
        self.speech = True
        self.handle_at_safe_point = False

    def turn_complete(self, interaction_status: str | None) -> None:
        self.generating = False
        self.completed_on_connection += 1
        self.busy = interaction_status not in _IDLE_STATUSES

    def handle_issued(self, *, tool_calls_owed: bool) -> None:
        """A resumable handle arrived."""
        self.handle_at_safe_point = self.idle(tool_calls_owed=tool_calls_owed)

    def connection_lost(self) -> bool:
        """Start over for the next connection; ``True`` when a turn was cut."""
        cut = self.generating
        self.generating = False
        self.unanswered = 0
        self.speech = False
        self.busy = False
        self.handle_at_safe_point = False
        self.completed_on_connection = 0
        self.interrupted = False
        return cut
