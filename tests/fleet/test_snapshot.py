"""SessionCore.snapshot() / restore(): a session continued by a core that never connected.

Each test drives a real core through frames (no sockets), snapshots it, restores
the snapshot into a new core, and checks what that core sends once ready: the
ledger's rules must decide the adopting connection's replay exactly as they
would after an in-process reconnect.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from live_actor import LocalProtocolError
from live_actor._protocol._core import SessionCore, SessionStatus
from live_actor._protocol._messages import Blob, SessionResumptionConfig
from live_actor._protocol._snapshot import CoreSnapshot
from live_actor.types import (
    ClientContent,
    Content,
    FunctionResponse,
    Part,
    RealtimeInput,
    Setup,
    ToolResponse,
)

SETUP = Setup(model="models/m", session_resumption=SessionResumptionConfig())


def frame(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj).encode()


def text(t: str) -> ClientContent:
    return ClientContent(turns=(Content(role="user", parts=(Part(text=t),)),), turn_complete=True)


def ready(core: SessionCore) -> list[str]:
    """Connect ``core`` and return what it sends once ready (setup excluded)."""
    core.start_connection()
    core.setup_frame(SETUP)
    core.receive(frame({"setupComplete": {}}))
    return core.replay_frames()


def answer(core: SessionCore, reply: str, *, handle: str | None = None) -> None:
    core.receive(frame({"serverContent": {"modelTurn": {"parts": [{"text": reply}]}}}))
    core.receive(frame({"serverContent": {"turnComplete": True}}))
    if handle is not None:
        update = {"newHandle": handle, "resumable": True}
        core.receive(frame({"sessionResumptionUpdate": update}))


def texts(frames: list[str]) -> list[str]:
    out = []
    for f in frames:
        obj = json.loads(f)
        content = obj.get("clientContent")
        if content is not None:
            for turn in content.get("turns", []):
                out.extend(p["text"] for p in turn.get("parts", []) if "text" in p)
        elif "realtimeInput" in obj and "text" in obj["realtimeInput"]:
            out.append(obj["realtimeInput"]["text"])
        elif "toolResponse" in obj:
            out.extend(r["id"] for r in obj["toolResponse"]["functionResponses"])
    return out


def adopt(core: SessionCore, **kwargs: Any) -> SessionCore:
    snapshot = core.snapshot(**kwargs)
    other = SessionCore()
    other.restore(snapshot)
    return other


def test_an_unanswered_question_is_replayed_by_the_adopter_and_nothing_answered_is() -> None:
    core = SessionCore()
    ready(core)
    core.send(text("my name is Ada"))
    answer(core, "Got it", handle="h1")
    core.send(text("what is my name?"))  # sent, then the worker dies
    other = adopt(core)
    assert other.resumption_handle == "h1"
    assert other.status is SessionStatus.DISCONNECTED
    assert other.ever_ready  # restarts apply to the adopted session
    assert texts(ready(other)) == ["what is my name?"]
    assert other.resuming  # the setup carried the stored handle


def test_the_adopter_continues_the_ids_and_the_connection_count() -> None:
    core = SessionCore()
    ready(core)
    for word in ("a", "b"):
        core.send(text(word))
    other = adopt(core)
    assert other.connection_number == 1
    entry = other.accept(text("c"))
    assert entry.seq == 3
    assert other.start_connection() == 2


def test_a_fresh_adopter_is_seeded_from_the_stored_transcript() -> None:
    core = SessionCore()
    ready(core)
    core.send(text("my name is Ada"))
    answer(core, "Got it, your name is Ada.", handle="h1")
    snapshot = core.snapshot()
    assert snapshot.transcript == (
        ("user", "my name is Ada"),
        ("model", "Got it, your name is Ada."),
    )
    other = SessionCore()
    other.restore(snapshot)
    other.forget_handle()  # the handle expired meanwhile
    frames = ready(other)
    seed = json.loads(frames[0])["clientContent"]
    assert seed["turnComplete"] is False
    assert [t["parts"][0]["text"] for t in seed["turns"]] == [
        "my name is Ada",
        "Got it, your name is Ada.",
    ]
    assert len(frames) == 1  # the answered question is in the seed, not replayed


def test_never_sent_entries_go_out_for_the_first_time_in_order() -> None:
    core = SessionCore()
    core.start_connection()  # dialling: commands are queued
    core.send(text("one"))
    core.send(text("two"))
    snapshot = core.snapshot()
    assert [(r.seq, r.connection) for r in snapshot.entries] == [(1, None), (2, None)]
    other = SessionCore()
    other.restore(snapshot)
    assert texts(ready(other)) == ["one", "two"]
    assert other.ledger.stats.replayed == 0  # first sends, not replays


def test_usage_and_the_voice_consent_signature_survive() -> None:
    core = SessionCore()
    core.start_connection()
    core.setup_frame(SETUP)
    core.receive(frame({"setupComplete": {"voiceConsentSignature": {"signature": "sig"}}}))
    core.replay_frames()
    core.send(text("hi"))
    core.receive(frame({"serverContent": {"modelTurn": {"parts": [{"text": "yo"}]}}}))
    core.receive(frame({"usageMetadata": {"totalTokenCount": 7}}))
    core.receive(frame({"serverContent": {"turnComplete": True}}))
    other = adopt(core)
    assert other.usage.total_token_count == 7
    assert other.usage.turns == 1
    assert other.voice_consent_signature == {"signature": "sig"}


def test_tool_responses_follow_rule_5_after_adoption() -> None:
    core = SessionCore()
    ready(core)
    core.send(text("weather?"))
    call = {"functionCalls": [{"id": "c1", "name": "get_weather"}]}
    core.receive(frame({"toolCall": call}))
    core.send(ToolResponse(function_responses=(FunctionResponse(id="c1", name="get_weather"),)))
    snapshot = core.snapshot()
    assert snapshot.call_epochs == {"c1": 0}
    other = SessionCore()
    other.restore(snapshot)
    # No handle was ever issued: the adopter starts fresh, the call belongs to
    # the lost session: its response is dropped (ledger rule 7), the question kept.
    assert texts(ready(other)) == ["weather?"]
    assert other.ledger.stats.dropped == 1


def test_the_safe_handle_is_the_last_one_issued_while_idle() -> None:
    core = SessionCore()
    ready(core)
    core.send(text("q1"))
    answer(core, "a1", handle="h1")
    assert core.safe_handle == "h1"
    core.send(text("q2"))
    core.receive(frame({"sessionResumptionUpdate": {"newHandle": "h2", "resumable": True}}))
    assert core.resumption_handle == "h2"
    snapshot = core.snapshot()
    assert (snapshot.resumption_handle, snapshot.safe_handle) == ("h2", "h1")
    assert "h1" not in repr(snapshot) and "h2" not in repr(snapshot)


def test_media_is_kept_only_when_asked_and_bounded_on_restore() -> None:
    core = SessionCore(media_buffer_seconds=0.05)
    ready(core)
    chunk = b"\x00\x00" * 320  # 20 ms at 16 kHz
    for _ in range(5):
        core.send(RealtimeInput(audio=Blob(data=chunk, mime_type="audio/pcm;rate=16000")))
    assert not any(r.media for r in core.snapshot().entries)
    records = core.snapshot(media=True).entries
    assert [r.media for r in records] == [True, True]  # the ring holds 40 ms of 50
    other = SessionCore(media_buffer_seconds=0.05)
    other.restore(core.snapshot(media=True))
    assert len(ready(other)) == 2


def test_only_a_core_that_never_connected_can_be_restored() -> None:
    core = SessionCore()
    ready(core)
    with pytest.raises(LocalProtocolError, match="never connected"):
        core.restore(CoreSnapshot())
