"""What a connection sends once ready, in order: the core's rule 12 (pure).

After ``setupComplete`` on a new connection the session sends, before any new
command: the seed of a fresh session (``_continuity`` rule 1), the ledger's
replay (ledger rules 5-7), the commands queued meanwhile (ledger rule 6), and
what asks a cut question again (``_continuity`` rules 2-3).  The re-asked
question goes where it was first asked: before what the user sent after it
(at the end when it was speech), so the model answers in the user's order.

:func:`replay` is :meth:`SessionCore.replay`'s body: it reads the core's state
and sends through the core (``_emit``), which keeps message indices, the
ledger and the turn state in step, as :mod:`._snapshot` does for persistence.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import attrs

from ._continuity import CutTurnPolicy, reask_messages, seed_message, tool_note
from ._ledger import Entry
from ._messages import ClientContent, ClientMessage, Content, ToolResponse

if TYPE_CHECKING:
    from ._core import SessionCore

__all__ = ["Replay", "replay"]


@attrs.frozen
class Replay:
    """What a connection sends once ready (:meth:`SessionCore.replay`), in order."""

    frames: list[str]
    #: entries sent again (not the queued ones sent for the first time).
    replayed: list[Entry]
    #: history turns sent to re-seed a fresh session.
    reseeded_turns: int
    #: messages sent to ask a cut question again (the cut-turn policy).
    reasked: int


def replay(
    core: SessionCore,
    *,
    history: Sequence[Content] | None,
    cut_policy: CutTurnPolicy,
    prefix: Sequence[ClientMessage],
) -> Replay:
    """Send, through ``core``, what its new connection needs first (module docs)."""
    ledger = core.ledger
    messages: list[ClientMessage] = list(prefix)
    reseeded = 0
    from_transcript = False
    if not core.resuming and core.connection_number > 1:  # a fresh session
        from_transcript = history is None
        turns = tuple(history) if history is not None else core.transcript.contents()
        if turns:
            messages.append(seed_message(turns, core.capabilities))
            reseeded = len(turns)
    # Before the seed joins the ledger.  A fresh session does not get back
    # what the lost one consumed, nor what its seed holds (ledger rule 7).
    plan = ledger.replay_plan(
        restored=core.resuming,
        resumed_from=core.resumed_from,
        seeded=from_transcript and reseeded > 0,
    )
    if core.resuming and not core.capabilities.mid_session_client_content:
        plan = _without_client_content(core, plan)
    notes = [
        tool_note(response)
        for entry in ledger.unknown_call_responses
        if isinstance(entry.message, ToolResponse)
        for response in entry.message.function_responses or ()
        if response.name in core.non_idempotent_tools
    ]
    cut = core.cut_turn
    core.cut_turn = None
    reask = reask_messages(
        cut if (cut or notes) else None,
        policy=cut_policy,
        caps=core.capabilities,
        replayed=plan,
        notes=notes,
    )
    at = len(plan)
    if reask and cut is not None and cut.trigger is not None:
        after = cut.trigger.seq
        at = next(
            (
                i
                for i, entry in enumerate(plan)
                if entry.seq > after and not isinstance(entry.message, ToolResponse)
            ),
            len(plan),
        )
    frames = [core.emit_new(message) for message in messages]
    replayed: list[Entry] = []
    for i, entry in enumerate(plan):
        if i == at:
            frames += [core.emit_new(message) for message in reask]
        again = entry.connection is not None
        frames.append(core.emit(entry, replay=again))
        if again:
            replayed.append(entry)
    if at == len(plan):
        frames += [core.emit_new(message) for message in reask]
    return Replay(frames, replayed, reseeded, len(reask))


def _without_client_content(core: SessionCore, plan: list[Entry]) -> list[Entry]:
    """Capabilities: a model that refuses clientContent mid-session never gets one
    replayed into a resumed session (its history seed phase is over there)."""
    kept = []
    for entry in plan:
        if isinstance(entry.message, ClientContent) and entry.connection is not None:
            core.ledger.stats.drop("clientContent is refused mid-session by this model", entry)
        else:
            kept.append(entry)
    return kept
