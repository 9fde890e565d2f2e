"""The outbound ledger's rules, without sockets."""

from __future__ import annotations

from live_actor._protocol._ledger import Ledger
from live_actor._protocol._messages import Blob
from live_actor.types import (
    ClientContent,
    Content,
    FunctionResponse,
    Part,
    RealtimeInput,
    ToolResponse,
)


def text(t: str, turn_complete: bool = True) -> ClientContent:
    return ClientContent(
        turns=(Content(role="user", parts=(Part(text=t),)),), turn_complete=turn_complete
    )


def texts(entries: list) -> list[str]:
    out = []
    for e in entries:
        m = e.message
        if isinstance(m, ClientContent):
            out.append(m.turns[0].parts[0].text)
        elif isinstance(m, ToolResponse):
            out.append("tool:" + m.function_responses[0].id)
        else:
            out.append("media")
    return out


def send(ledger: Ledger, message, conn: int, index: int):
    entry = ledger.accept(message)
    ledger.mark_sent(entry, conn, index, replay=False)
    return entry


def test_transparent_prunes_by_last_consumed_index() -> None:
    ledger = Ledger(transparent=True)
    for i in range(1, 5):
        send(ledger, text(f"m{i}"), 1, i)
    ledger.handle_received(1, 2)
    assert texts(ledger.replay_plan()) == ["m3", "m4"]
    assert ledger.stats.confirmed == 2


def test_gemini_covers_only_what_the_order_of_events_proves() -> None:
    ledger = Ledger()
    send(ledger, text("context before", turn_complete=False), 1, 1)
    send(ledger, text("answered"), 1, 2)
    ledger.turn_started(1)
    send(ledger, text("context", turn_complete=False), 1, 3)
    send(ledger, text("in flight"), 1, 4)
    ledger.handle_received(1, None)
    send(ledger, text("after handle"), 1, 5)
    # the covered trigger covers the context before it; the rest is replayed
    assert texts(ledger.replay_plan()) == ["context", "in flight", "after handle"]
    assert ledger.stats.confirmed == 2


def test_gemini_trigger_needs_its_own_started_turn() -> None:
    ledger = Ledger()
    send(ledger, text("first"), 1, 1)
    send(ledger, text("second"), 1, 2)
    ledger.turn_started(1)  # the first reply started after both were sent...
    ledger.handle_received(1, None)  # ...but only one turn started: "second" is unproven
    assert texts(ledger.replay_plan()) == ["second"]


def test_a_mid_answer_handle_covers_the_question_being_answered() -> None:
    """Vertex issues resumable handles mid-answer: the question being answered is
    in the state it captures (the cut answer is the cut-turn policy's business)."""
    ledger = Ledger()
    send(ledger, text("question"), 1, 1)
    ledger.turn_started(1)  # the answer streams; no turnComplete yet
    ledger.handle_received(1, None)
    assert ledger.replay_plan() == [] and ledger.stats.confirmed == 1


def test_a_handle_that_overtakes_the_answer_covers_nothing_of_it() -> None:
    """The handle issued right after the previous turnComplete (dev) or 20-70 ms
    after it (Vertex) reaches a fast client after its next question went out."""
    ledger = Ledger()
    send(ledger, text("one"), 1, 1)
    ledger.turn_started(1)
    send(ledger, text("two"), 1, 2)  # sent before the handle covering "one" arrives
    ledger.handle_received(1, None)
    assert texts(ledger.replay_plan()) == ["two"]


def test_gemini_tool_response_is_covered_once_the_model_went_on() -> None:
    ledger = Ledger()
    ledger.calls_issued(1, ["c1"])
    tr = ToolResponse(function_responses=(FunctionResponse(id="c1", name="f", response={}),))
    send(ledger, text("ctx", turn_complete=False), 1, 1)
    send(ledger, tr, 1, 2)
    ledger.handle_received(1, None)  # 3.x: a handle right after the response proves nothing
    assert ledger.awaiting_output
    ledger.model_output()  # the model answered with the result
    ledger.handle_received(1, None)
    assert ledger.replay_plan() == []


def test_a_response_to_a_call_issued_after_the_resumed_handle_is_not_replayed() -> None:
    """Ledger rule 5: the resumed session does not know calls issued after its handle."""
    ledger = Ledger()
    ledger.calls_issued(1, ["old"])
    ledger.handle_received(1, None)  # handle number 1: it knows "old"
    resumed_from = ledger.handles
    ledger.calls_issued(1, ["new"])
    old = ToolResponse(function_responses=(FunctionResponse(id="old", name="f", response={}),))
    new = ToolResponse(function_responses=(FunctionResponse(id="new", name="g", response={}),))
    send(ledger, old, 1, 1)
    send(ledger, new, 1, 2)
    plan = ledger.replay_plan(restored=True, resumed_from=resumed_from)
    assert texts(plan) == ["tool:old"]
    assert [e.message for e in ledger.unknown_call_responses] == [new]
    assert ledger.stats.dropped_reasons == {"the resumed session does not know the call": 1}


def test_tool_responses_go_first_and_once() -> None:
    ledger = Ledger()
    send(ledger, text("a"), 1, 1)
    tr = ToolResponse(function_responses=(FunctionResponse(id="c1", name="f", response={}),))
    send(ledger, tr, 1, 2)
    send(ledger, tr, 1, 3)
    plan = ledger.replay_plan()
    assert texts(plan) == ["tool:c1", "a"]
    assert ledger.stats.dropped_reasons == {"duplicate tool response": 1}


def test_media_drop_policy_counts_every_chunk() -> None:
    ledger = Ledger(media_policy="drop")
    chunk = RealtimeInput(audio=Blob(mime_type="audio/pcm;rate=16000", data=b"\0" * 3200))
    for i in range(3):
        send(ledger, chunk, 1, i + 1)
    assert ledger.replay_plan() == []
    assert ledger.stats.dropped_media == 3
    assert abs(ledger.stats.dropped_media_seconds - 0.3) < 1e-9


def test_queued_media_is_bounded() -> None:
    ledger = Ledger(media_buffer_seconds=0.2)
    chunk = RealtimeInput(audio=Blob(mime_type="audio/pcm;rate=16000", data=b"\0" * 3200))
    for _ in range(5):
        ledger.queue(ledger.accept(chunk))
    assert ledger.queued == 2
    assert ledger.stats.dropped_media == 3


def test_close_counts_what_a_dead_connection_never_delivered() -> None:
    ledger = Ledger()
    send(ledger, text("on the dead connection"), 1, 1)
    send(ledger, text("on the closed connection"), 2, 1)
    ledger.queue(ledger.accept(text("never sent")))
    dropped = ledger.drop_all("session closed", delivered_connection=2)
    assert texts(dropped) == ["never sent", "on the dead connection"]
    assert ledger.stats.dropped_reasons == {"session closed": 1}
    assert ledger.stats.unconfirmed_at_close == 1


def test_accept_media_counts_seconds_like_accept() -> None:
    from live_actor._protocol._media import media_input

    ledger = Ledger()
    for mime, data in (
        ("audio/pcm;rate=16000", b"\x00" * 640),
        ("audio/pcm;rate=24000", b"\x00" * 1920),
        ("audio/pcm", b"\x00" * 320),
        ("image/jpeg", b"\xff\xd8"),
    ):
        message = media_input(data, mime, field="video" if mime.startswith("image") else "audio")
        blob = message.audio or message.video
        assert blob is not None
        fast = ledger.accept_media(message, blob)
        slow = ledger.accept(message)
        assert (fast.media, fast.turn, fast.seconds) == (slow.media, slow.turn, slow.seconds)
        assert fast.seq + 1 == slow.seq
    assert ledger.stats.accepted == 8


def test_fresh_session_does_not_replay_what_the_lost_one_consumed() -> None:
    """Rule 7: asking every answered question again is not 'nothing lost'."""
    ledger = Ledger()
    send(ledger, text("seed", turn_complete=False), 1, 1)
    send(ledger, text("answered"), 1, 2)
    ledger.turn_started(1)
    send(ledger, ToolResponse(function_responses=(FunctionResponse(id="c1", name="f"),)), 1, 3)
    send(ledger, text("context", turn_complete=False), 1, 4)
    send(ledger, text("unanswered"), 1, 5)
    plan = ledger.replay_plan(restored=False)
    assert texts(plan) == ["context", "unanswered"]
    assert ledger.stats.confirmed == 2
    assert ledger.stats.dropped_reasons == {
        "tool response to a call of a session that was not restored": 1
    }


def test_restored_session_still_replays_consumed_messages_a_handle_lacks() -> None:
    ledger = Ledger()
    send(ledger, text("answered"), 1, 1)
    ledger.turn_started(1)
    assert texts(ledger.replay_plan(restored=True)) == ["answered"]


def test_prune_consumed_keeps_the_ledger_bounded_without_handles() -> None:
    ledger = Ledger()
    for i in range(1, 101):
        send(ledger, text(f"q{i}"), 1, i)
        ledger.turn_started(1)
        ledger.prune_consumed()
    assert list(ledger.unconfirmed) == []
    assert ledger.stats.confirmed == 100


def test_rule_9_control_messages_are_bounded_by_bytes() -> None:
    """Beyond max_bytes the oldest sent message is forgotten (counted, reported),
    never the newest; sizes are the encoded frames."""
    overflows: list[tuple[str, int]] = []
    ledger = Ledger(max_bytes=1024, on_overflow=lambda reason, e: overflows.append((reason, e.seq)))
    big = "x" * 300
    for i in range(10):
        send(ledger, text(f"{i} {big}", turn_complete=False), 1, i + 1)
    held = list(ledger.unconfirmed)
    assert sum(e.size for e in held) <= 1024 and held[-1].seq == 10
    assert ledger.stats.forgotten == 10 - len(held) > 0
    assert [seq for _r, seq in overflows] == list(range(1, 11 - len(held)))
    assert all(r.startswith("ledger full") for r, _seq in overflows)
    # one message larger than the bound is still kept: the newest always is
    send(ledger, text("y" * 5000, turn_complete=False), 1, 11)
    assert [e.seq for e in ledger.unconfirmed] == [11]


def test_rule_9_queued_messages_drop_oldest_after_the_sent_ones_are_forgotten() -> None:
    ledger = Ledger(max_bytes=1024)
    sent = send(ledger, text("s " + "x" * 300, turn_complete=False), 1, 1)
    queued = [ledger.accept(text(f"q{i} " + "x" * 300, turn_complete=False)) for i in range(4)]
    for entry in queued:
        ledger.queue(entry)
    assert sent not in list(ledger.unconfirmed) and ledger.stats.forgotten == 1
    # each frame is about 370 bytes: two of the four queued fit
    assert ledger.stats.dropped_reasons == {"ledger full while reconnecting": 2}
    assert [e.outcome for e in queued] == ["dropped", "dropped", "queued", "queued"]
    plan = ledger.replay_plan()
    assert [e.seq for e in plan] == [e.seq for e in queued[2:]]


def test_rule_4_video_in_the_ring_is_bounded_by_bytes() -> None:
    """Frames have no play-out time: the ring's byte bound is what holds them."""
    ledger = Ledger(media_buffer_bytes=10_000)
    frame = b"\xff\xd8\xff" + b"\x00" * 3000
    for i in range(10):
        send(ledger, RealtimeInput(video=Blob(mime_type="image/jpeg", data=frame)), 1, i + 1)
    plan = ledger.replay_plan()
    assert 0 < len(plan) <= 3 and sum(e.size for e in plan) <= 10_000
    assert plan[-1].seq == 10
