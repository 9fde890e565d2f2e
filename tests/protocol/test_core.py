"""The sans-IO session core: every (status, input) pair, and each module rule."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from live_actor import LocalProtocolError, RemoteProtocolError, SessionClosedError
from live_actor._protocol._core import SessionCore, SessionStatus
from live_actor._protocol._events import (
    GoAwayReceived,
    HandleUpdated,
    MalformedFrame,
    MessageReceived,
    Ready,
    ToolCallIssued,
    ToolCallsCancelled,
    TurnCompleted,
    TurnStarted,
    UsageReported,
)
from live_actor._protocol._messages import ActivityEnd, Blob
from live_actor._protocol._state import TRANSITIONS, Input, render_table
from live_actor.types import (
    ClientContent,
    Content,
    FunctionResponse,
    Part,
    RealtimeInput,
    Setup,
    ToolResponse,
)

S = SessionStatus
SETUP = Setup(model="models/m")


def frame(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj).encode()


def text(t: str) -> ClientContent:
    return ClientContent(turns=(Content(role="user", parts=(Part(text=t),)),), turn_complete=True)


def core_in(status: SessionStatus, **kwargs: Any) -> SessionCore:
    """A core driven through legal inputs into ``status``."""
    core = SessionCore(**kwargs)
    if status is S.DISCONNECTED:
        return core
    core.start_connection()
    if status is S.CONNECTING:
        return core
    core.setup_frame(SETUP)
    if status is S.SETUP_PENDING:
        return core
    core.receive(frame({"setupComplete": {}}))
    core.replay_frames()
    if status is S.READY:
        return core
    core.begin_close()
    if status is S.CLOSING:
        return core
    core.connection_lost()
    assert core.status is S.CLOSED
    return core


INPUTS: dict[str, Callable[[SessionCore], object]] = {
    "start_connection": lambda c: c.start_connection(),
    "setup_frame": lambda c: c.setup_frame(SETUP),
    "receive": lambda c: c.receive(frame({"setupComplete": {}})),
    "send": lambda c: c.send(text("hi")),
    "connection_lost": lambda c: c.connection_lost(),
    "begin_close": lambda c: c.begin_close(),
}

# (status, input) -> status after, or an exception type.
TABLE: dict[tuple[SessionStatus, str], SessionStatus | type[Exception]] = {
    (S.DISCONNECTED, "start_connection"): S.CONNECTING,
    (S.DISCONNECTED, "setup_frame"): LocalProtocolError,
    (S.DISCONNECTED, "receive"): LocalProtocolError,
    (S.DISCONNECTED, "send"): S.DISCONNECTED,  # queued
    (S.DISCONNECTED, "connection_lost"): S.DISCONNECTED,
    (S.DISCONNECTED, "begin_close"): S.CLOSED,
    (S.CONNECTING, "start_connection"): LocalProtocolError,
    (S.CONNECTING, "setup_frame"): S.SETUP_PENDING,
    (S.CONNECTING, "receive"): LocalProtocolError,
    (S.CONNECTING, "send"): S.CONNECTING,  # queued
    (S.CONNECTING, "connection_lost"): S.DISCONNECTED,
    (S.CONNECTING, "begin_close"): S.CLOSING,
    (S.SETUP_PENDING, "start_connection"): LocalProtocolError,
    (S.SETUP_PENDING, "setup_frame"): LocalProtocolError,
    (S.SETUP_PENDING, "receive"): S.READY,
    (S.SETUP_PENDING, "send"): S.SETUP_PENDING,  # queued
    (S.SETUP_PENDING, "connection_lost"): S.DISCONNECTED,
    (S.SETUP_PENDING, "begin_close"): S.CLOSING,
    (S.READY, "start_connection"): LocalProtocolError,
    (S.READY, "setup_frame"): LocalProtocolError,
    (S.READY, "receive"): S.READY,
    (S.READY, "send"): S.READY,
    (S.READY, "connection_lost"): S.DISCONNECTED,
    (S.READY, "begin_close"): S.CLOSING,
    (S.CLOSING, "start_connection"): LocalProtocolError,
    (S.CLOSING, "setup_frame"): LocalProtocolError,
    (S.CLOSING, "receive"): S.CLOSING,
    (S.CLOSING, "send"): SessionClosedError,
    (S.CLOSING, "connection_lost"): S.CLOSED,
    (S.CLOSING, "begin_close"): S.CLOSING,
    (S.CLOSED, "start_connection"): LocalProtocolError,
    (S.CLOSED, "setup_frame"): LocalProtocolError,
    (S.CLOSED, "receive"): LocalProtocolError,
    (S.CLOSED, "send"): SessionClosedError,
    (S.CLOSED, "connection_lost"): LocalProtocolError,
    (S.CLOSED, "begin_close"): S.CLOSED,
}


def test_table_is_complete() -> None:
    assert set(TABLE) == {(s, i) for s in S for i in INPUTS}


#: The core's lifecycle inputs, by the name of the table's inputs.
LIFECYCLE = {
    "start_connection": Input.START_CONNECTION,
    "setup_frame": Input.SEND_SETUP,
    "receive": Input.SETUP_COMPLETE,
    "connection_lost": Input.CONNECTION_LOST,
    "begin_close": Input.CLOSE,
}


@pytest.mark.parametrize(("status", "name"), sorted(TABLE, key=str))
def test_the_expected_table_is_the_data_the_core_consults(status: SessionStatus, name: str) -> None:
    """The table above (the behaviour) and ``_state.TRANSITIONS`` (the data) agree."""
    expected = TABLE[(status, name)]
    event = LIFECYCLE.get(name)
    if event is None or (name == "receive" and status is not S.SETUP_PENDING):
        return  # sends, and frames on a ready connection, are not lifecycle inputs
    if isinstance(expected, type):
        assert (status, event) not in TRANSITIONS
    else:
        assert TRANSITIONS[(status, event)] is expected


def test_the_table_renders_for_the_design_notes() -> None:
    table = render_table()
    assert table.count("\n") == len(S) + 1
    assert "| ready |" in table and "`close`" in table


@pytest.mark.parametrize(("status", "name"), sorted(TABLE, key=str))
def test_transition(status: SessionStatus, name: str) -> None:
    core = core_in(status)
    expected = TABLE[(status, name)]
    if isinstance(expected, type):
        with pytest.raises(expected):
            INPUTS[name](core)
        assert core.status is status, "an illegal input must not change the status"
    else:
        INPUTS[name](core)
        assert core.status is expected


def test_setup_is_index_zero_and_messages_count_up() -> None:
    core = core_in(S.READY)
    assert core.index == 0
    sent = core.send(text("a"))
    assert sent is not None and json.loads(sent)["clientContent"]["turns"][0]["parts"] == [
        {"text": "a"}
    ]
    core.send(RealtimeInput(text="b"))
    assert core.index == 2
    core.connection_lost()
    core.start_connection()
    core.setup_frame(SETUP)
    assert core.index == 0


def test_first_message_must_be_setup_complete() -> None:
    core = core_in(S.SETUP_PENDING)
    with pytest.raises(RemoteProtocolError):
        core.receive(frame({"serverContent": {"turnComplete": True}}))


def test_malformed_frame_is_reported_and_skipped() -> None:
    core = core_in(S.READY)
    (event,) = core.receive(b"\xff not json")
    assert isinstance(event, MalformedFrame) and isinstance(event.error, RemoteProtocolError)
    assert event.count == 1 and core.malformed_frames == 1 and core.status is S.READY
    events = core.receive(frame({"serverContent": {"turnComplete": True}}))
    assert isinstance(events[0], MessageReceived)


def test_setup_complete_is_ready_and_every_frame_is_a_message_first() -> None:
    core = core_in(S.SETUP_PENDING)
    raw = frame({"setupComplete": {}})
    events = core.receive(raw)
    assert [type(e) for e in events] == [MessageReceived, Ready]
    assert events[0] == MessageReceived(events[0].message, len(raw))  # type: ignore[union-attr]
    assert events[1] == Ready(resumed=False)


def test_one_frame_yields_its_events_in_the_documented_order() -> None:
    core = core_in(S.READY)
    events = core.receive(
        frame(
            {
                "serverContent": {"modelTurn": {"parts": [{"text": "x"}]}, "turnComplete": True},
                "toolCall": {"functionCalls": [{"id": "c1", "name": "f"}]},
                "toolCallCancellation": {"ids": ["c0"]},
                "usageMetadata": {"totalTokenCount": 3},
                "sessionResumptionUpdate": {"newHandle": "h", "resumable": True},
                "goAway": {"timeLeft": "2s"},
            }
        )
    )
    assert [type(e) for e in events] == [
        MessageReceived,
        TurnStarted,
        ToolCallIssued,
        ToolCallsCancelled,
        UsageReported,
        TurnCompleted,
        HandleUpdated,
        GoAwayReceived,
    ]
    assert events[-1] == GoAwayReceived(2.0)
    issued = events[2]
    assert isinstance(issued, ToolCallIssued) and issued.ids == ("c1",)
    completed = events[5]
    assert isinstance(completed, TurnCompleted) and completed.turn == 1
    assert completed.usage is not None and completed.usage.total_token_count == 3


def test_a_turn_cut_by_a_lost_connection_is_completed_as_cut() -> None:
    core = core_in(S.READY)
    core.receive(frame({"serverContent": {"modelTurn": {"parts": [{"text": "x"}]}}}))
    (cut,) = core.connection_lost()
    assert cut == TurnCompleted(1, cut=True)
    assert core.connection_lost() == []  # nothing left to cut


def test_a_failed_send_is_counted_by_the_core() -> None:
    """Core rule 9 (h11's send_failed): the shell reports, the core counts."""
    core = core_in(S.READY)
    entry = core.accept(text("never sent"))
    core.send_failed(entry, "cancelled before it was queued")
    assert core.ledger.stats.dropped == 1
    assert core.ledger.stats.dropped_reasons == {"cancelled before it was queued": 1}
    assert entry.outcome == "dropped" and entry.drop_reason == "cancelled before it was queued"


def test_handle_stored_only_from_resumable_non_empty_update() -> None:
    core = core_in(S.READY)
    events = core.receive(
        frame({"sessionResumptionUpdate": {"newHandle": "h1", "resumable": True}})
    )
    assert core.resumption_handle == "h1" and core.safe_to_rotate
    assert isinstance(events[-1], HandleUpdated) and events[-1].stored
    events = core.receive(frame({"sessionResumptionUpdate": {"resumable": False}}))
    assert core.resumption_handle == "h1" and not core.safe_to_rotate
    assert isinstance(events[-1], HandleUpdated) and not events[-1].stored
    core.receive(frame({"sessionResumptionUpdate": {"newHandle": "h2", "resumable": False}}))
    assert core.resumption_handle == "h1"
    core.receive(frame({"sessionResumptionUpdate": {"newHandle": "", "resumable": True}}))
    assert core.resumption_handle == "h1"
    core.receive(frame({"sessionResumptionUpdate": {"newHandle": "h3", "resumable": True}}))
    assert core.resumption_handle == "h3"


def test_usage_counts_each_turn_once() -> None:
    core = core_in(S.READY)
    usage = {
        "promptTokenCount": 10,
        "responseTokenCount": 5,
        "totalTokenCount": 15,
        "responseTokensDetails": [{"modality": "TEXT", "tokenCount": 5}],
    }
    # the same snapshot riding on two messages of one turn, then on turnComplete
    core.receive(
        frame({"serverContent": {"modelTurn": {"parts": [{"text": "x"}]}}, "usageMetadata": usage})
    )
    core.receive(frame({"serverContent": {"generationComplete": True}, "usageMetadata": usage}))
    core.receive(frame({"serverContent": {"turnComplete": True}, "usageMetadata": usage}))
    assert core.usage.turns == 1 and core.usage.total_token_count == 15
    assert core.usage.response_by_modality == {"TEXT": 5}
    core.receive(frame({"usageMetadata": usage}))
    core.receive(frame({"serverContent": {"turnComplete": True}}))
    assert core.usage.total_token_count == 30 and core.connection_usage.total_token_count == 30
    core.connection_lost()
    core.start_connection()
    assert core.connection_usage.total_token_count == 0 and core.usage.total_token_count == 30


def test_usage_of_an_unfinished_turn_is_committed_when_the_connection_ends() -> None:
    core = core_in(S.READY)
    core.receive(frame({"usageMetadata": {"totalTokenCount": 7}}))
    core.connection_lost()
    assert core.usage.total_token_count == 7


def test_pending_tool_calls() -> None:
    core = core_in(S.READY)
    core.receive(
        frame(
            {
                "toolCall": {
                    "functionCalls": [
                        {"id": "a", "name": "f", "args": {}},
                        {"id": "b", "name": "g"},
                    ]
                }
            }
        )
    )
    assert set(core.pending_tool_calls) == {"a", "b"}
    core.receive(frame({"toolCallCancellation": {"ids": ["b"]}}))
    assert set(core.pending_tool_calls) == {"a"}
    core.send(ToolResponse(function_responses=(FunctionResponse(id="a", name="f", response={}),)))
    assert not core.pending_tool_calls
    with pytest.raises(LocalProtocolError, match="already answered"):
        core.send(ToolResponse(function_responses=(FunctionResponse(id="a", response={}),)))


def test_gemini_api_needs_function_response_ids() -> None:
    core = core_in(S.READY)
    with pytest.raises(LocalProtocolError, match="id"):
        core.send(ToolResponse(function_responses=(FunctionResponse(name="f", response={}),)))
    vertex = core_in(S.READY, gemini_api=False)
    assert vertex.send(ToolResponse(function_responses=(FunctionResponse(name="f"),))) is not None


def test_realtime_input_needs_exactly_one_field() -> None:
    core = core_in(S.READY)
    with pytest.raises(LocalProtocolError, match="exactly one"):
        core.send(RealtimeInput())
    with pytest.raises(LocalProtocolError, match="exactly one"):
        core.send(RealtimeInput(text="a", activity_end=ActivityEnd()))
    with pytest.raises(LocalProtocolError, match="setup"):
        core.send(SETUP)


def test_queued_commands_follow_the_replay_in_order() -> None:
    core = core_in(S.READY)
    core.send(text("one"))
    core.connection_lost()
    assert core.send(text("two")) is None  # queued while disconnected
    core.start_connection()
    core.setup_frame(SETUP)
    core.receive(frame({"setupComplete": {}}))
    assert core.send(text("three")) is None  # queued until the replay is taken
    frames = [
        json.loads(f)["clientContent"]["turns"][0]["parts"][0]["text"] for f in core.replay_frames()
    ]
    assert frames == ["one", "two", "three"]
    assert core.ledger.stats.replayed == 1 and core.ledger.stats.sent == 3


def test_draining_queues_new_commands() -> None:
    core = core_in(S.READY)
    core.begin_draining()
    assert core.send(text("later")) is None
    assert core.ledger.queued == 1


def test_media_is_ringed_and_counted() -> None:
    core = core_in(S.READY, media_buffer_seconds=0.05)
    chunk = RealtimeInput(audio=Blob(mime_type="audio/pcm;rate=16000", data=b"\0" * 640))
    for _ in range(5):
        core.send(chunk)  # 5 x 20 ms, ring keeps the last 40-50 ms
    core.connection_lost()
    core.start_connection()
    core.setup_frame(SETUP)
    core.receive(frame({"setupComplete": {}}))
    assert len(core.replay_frames()) == 2


def test_go_away_is_an_event() -> None:
    core = core_in(S.READY)
    assert core.receive(frame({"goAway": {"timeLeft": "0.5s"}}))[-1] == GoAwayReceived(0.5)
    assert core.receive(frame({"goAway": {}}))[-1] == GoAwayReceived(0.0)


def test_replay_prefix_is_sent_once_before_the_replay() -> None:
    core = core_in(S.READY)
    core.connection_lost()
    core.send(text("queued"))
    core.start_connection()
    core.setup_frame(SETUP)
    core.receive(frame({"setupComplete": {}}))
    frames = core.replay_frames(prefix=[text("history")])
    texts = [json.loads(f)["clientContent"]["turns"][0]["parts"][0]["text"] for f in frames]
    assert texts == ["history", "queued"]


def test_model_output_starts_a_turn_but_a_late_transcript_does_not() -> None:
    """outputTranscription has its own ordering: its last piece may follow turnComplete."""
    core = core_in(S.READY)
    core.receive(frame({"serverContent": {"outputTranscription": {"text": "late"}}}))
    assert not core.turns.generating
    core.receive(frame({"serverContent": {"modelTurn": {"parts": [{"text": "x"}]}}}))
    assert core.turns.generating
    core.receive(frame({"serverContent": {"turnComplete": True}}))
    core.receive(frame({"serverContent": {"outputTranscription": {"text": "tail"}}}))
    assert not core.turns.generating
    core.receive(frame({"serverContent": {"generationComplete": True}}))
    assert core.turns.generating


def test_the_design_notes_show_the_table_the_core_consults() -> None:
    """docs/design.md renders _state.TRANSITIONS; this keeps the copy in step."""
    from pathlib import Path

    design = (Path(__file__).parents[2] / "docs" / "design.md").read_text()
    rendered = design.split("<!-- state-table: begin -->\n", 1)[1].split(
        "\n<!-- state-table: end -->", 1
    )[0]
    assert rendered == render_table()


def _texts(frames: list[str]) -> list[str]:
    return [
        json.loads(f)["clientContent"]["turns"][0]["parts"][0]["text"]
        for f in frames
        if "clientContent" in json.loads(f)
    ]


def test_a_cut_question_is_asked_again_where_it_was_first_asked() -> None:
    """The reply to q1 is cut; q1 was consumed, q2 was not: q1 again, then q2.

    Asking q1 after q2's replay would make the model answer them in the wrong
    order.  A second loss before anything is confirmed replays them in the
    order they were sent, not the order they were accepted.
    """
    core = core_in(S.READY, transparent=True)
    core.send(text("q1"))
    core.send(text("q2"))
    core.receive(
        frame(
            {
                "sessionResumptionUpdate": {
                    "newHandle": "h1",
                    "resumable": True,
                    "lastConsumedClientMessageIndex": "1",
                }
            }
        )
    )
    core.receive(frame({"serverContent": {"modelTurn": {"parts": [{"text": "a1..."}]}}}))
    core.connection_lost()
    assert core.cut_turn is not None and core.cut_turn.trigger is not None
    core.start_connection()
    core.setup_frame(SETUP)
    core.receive(frame({"setupComplete": {}}))
    assert _texts(core.replay_frames()) == ["q1", "q2"]
    core.connection_lost()  # nothing confirmed on the second connection either
    core.start_connection()
    core.setup_frame(SETUP)
    core.receive(frame({"setupComplete": {}}))
    assert _texts(core.replay_frames()) == ["q1", "q2"]


def _handle(name: str) -> bytes:
    return frame({"sessionResumptionUpdate": {"newHandle": name, "resumable": True}})


@pytest.mark.parametrize("first_answer_began", [False, True])
def test_two_questions_sent_back_to_back_are_answered_by_two_turns(
    first_answer_began: bool,
) -> None:
    """q2 sent while q1 waits interrupts q1's answer (``interrupted``, then
    ``turnComplete``), before or after its first output; q2's own turn follows.

    Until that turn, q2 is unanswered: the handle after the interrupted turn is
    not a safe point and does not confirm q2.  After it, a rotation replays
    nothing (it used to replay q2, which the model then answered twice).
    """
    core = core_in(S.READY)
    core.send(text("q1"))
    core.send(text("q2"))
    if first_answer_began:
        core.receive(frame({"serverContent": {"modelTurn": {"parts": [{"text": "a1"}]}}}))
    started = [
        type(event).__name__
        for event in core.receive(frame({"serverContent": {"interrupted": True}}))
    ]
    assert "TurnStarted" not in started  # no first output to time
    core.receive(frame({"serverContent": {"turnComplete": True}}))
    core.receive(_handle("h2"))
    assert not core.safe_to_rotate
    assert core.ledger.stats.confirmed == 1
    assert core.reply_in_progress() is None  # q1's turn is over; q2's has not begun
    core.receive(frame({"serverContent": {"modelTurn": {"parts": [{"text": "a2"}]}}}))
    cut = core.reply_in_progress()  # the reply streaming now answers q2, not q1
    assert cut is not None and cut.trigger is not None and cut.trigger.message == text("q2")
    core.receive(frame({"serverContent": {"turnComplete": True}}))
    core.receive(_handle("h3"))
    assert core.safe_to_rotate
    assert core.ledger.stats.confirmed == 2
    core.connection_lost()
    core.start_connection()
    core.setup_frame(SETUP)
    core.receive(frame({"setupComplete": {}}))
    replay = core.replay()
    assert replay.replayed == [] and replay.reasked == 0


def test_an_interrupted_without_a_waiting_question_is_no_turn() -> None:
    """A barge-in marker when nothing waits (VAD on silence) starts no turn."""
    core = core_in(S.READY)
    core.receive(frame({"serverContent": {"interrupted": True}}))
    assert core.turns.turns == 0 and not core.turns.generating
