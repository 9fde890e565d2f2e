"""summarize(): a pure function from event dicts to per-session figures (docs/logs.md)."""

from __future__ import annotations

import attrs
import pytest

from live_actor.logs import SessionSummary, read_events, summarize

from .synthetic import MALFORMED, OTHER_LOGGERS, Session, merged, to_lines


def _story() -> tuple[Session, Session, Session]:
    a = Session("a").dial().turn(5, 7).tool().drop(down=1.5, replayed=3, dropped=1)
    a.turn(11, 13).go_away(down=0.25).turn(1, 2).close()
    b = Session("b", start=a.events[0]["timestamp"] + 0.05).dial().turn(100, 50)
    b.drop(down=2.0, replayed=4, dropped=0).drop(down=0.5, replayed=0, dropped=2)
    c = Session("c", model="gemini-2.5-flash-native-audio-preview-12-2025").dial()
    c.turn().drop(restored=False).close("gave_up", error="too many restarts")
    return a, b, c


def test_figures_of_each_session_match_what_was_written() -> None:
    a, b, c = _story()
    sessions = summarize(merged(a, b, c))
    assert set(sessions) == {"a", "b", "c"}
    for built in (a, b, c):
        got = sessions[built.sid]
        assert got.connections == built.connection
        assert got.restarts_by_cause == built.restarts
        assert got.restarts == sum(built.restarts.values())
        assert got.downtime == pytest.approx(built.downtime)
        assert got.replayed == built.replayed
        assert got.dropped == built.dropped
        assert got.tokens == built.tokens
        assert got.turns == built.turns
    assert sessions["a"].final_status == "closed"
    assert sessions["b"].final_status == "open"  # no closed event
    assert sessions["c"].final_status == "gave_up"
    assert sessions["c"].state_lost == 1
    assert sessions["a"].go_aways == 1 and sessions["a"].rotations == 1
    assert sessions["a"].tool_calls == 1 and sessions["a"].tool_outcomes == {"ok": 1}
    assert sessions["b"].model == "gemini-live-2.5-flash-preview"


def test_closed_totals_win_over_the_stream() -> None:
    """A log that lost lines still reports what the session itself counted at close."""
    s = Session("s").dial().turn(1, 1)
    s.close(connections=7, restarts=6, restarts_by_cause={"transient": 6},
            usage={"turns": 40, "total_tokens": 12345},
            ledger={"replayed": 9, "dropped": 4})
    got = summarize(s.events)["s"]
    assert (got.connections, got.restarts, got.turns, got.tokens) == (7, 6, 40, 12345)
    assert (got.replayed, got.dropped) == (9, 4)
    assert got.restarts_by_cause == {"transient": 6}
    # the stream's own view is still there
    assert (got.connects, got.turns_seen, got.tokens_seen) == (1, 1, 2)


def test_capture_logs_style_dicts_without_timestamps() -> None:
    """structlog.testing.capture_logs gives ``log_level`` and no timestamp: still summed."""
    events = [
        {"event": "live_actor.session.connect", "log_level": "info", "session_id": 7,
         "model": "m", "connection": 1},
        {"event": "live_actor.session.turn_complete", "log_level": "info", "session_id": 7,
         "total_tokens": 30},
        {"event": "live_actor.session.turn_complete", "log_level": "info", "session_id": 7,
         "total_tokens": None},  # no usage on this turn
        {"event": "live_actor.session.malformed_frame", "log_level": "warning",
         "session_id": 7},
    ]
    got = summarize(events)["7"]
    assert (got.connections, got.turns, got.tokens, got.warnings) == (1, 2, 30, 1)
    assert got.first_seen is None and got.final_status == "open"


def test_unknown_events_and_odd_fields_never_break_the_summary() -> None:
    s = Session("u").dial()
    s.emit("live_actor.session.brand_new_thing", answer=42)
    s.emit("live_actor.supervisor.resumed", downtime="soon", replayed=None, dropped=[1])
    s.emit("live_actor.session.turn_complete", total_tokens="many")
    s.emit("live_actor.session.closed", ledger="not a dict", usage=None, final_status=None)
    s.emit("live_actor.supervisor.shutdown", session_id=None, sessions=1)
    got = summarize(s.events)
    assert got["u"].unknown_events == 1
    assert got["u"].resumes == 1 and got["u"].downtime == 0.0
    assert got["u"].turns == 1 and got["u"].tokens == 0
    assert got["u"].final_status == "open"  # a closed event without a status
    assert isinstance(got["u"], SessionSummary)
    assert "None" not in got


def test_read_events_then_summarize_equals_summarize_of_the_dicts() -> None:
    a, b, c = _story()
    events = merged(a, b, c)
    lines = MALFORMED + to_lines(events, timestamps="mixed") + OTHER_LOGGERS
    from_file = summarize(read_events(lines))
    direct = summarize(events)
    assert {k: v.to_dict() for k, v in from_file.items()} == {
        k: v.to_dict() for k, v in direct.items()
    }


def test_memory_is_per_session_not_per_event() -> None:
    """Feeding 20,000 events of one session keeps one small summary, no event list."""
    s = Session("big").dial()
    for _ in range(10_000):
        s.turn(1, 1, dt=0.01)
    got = summarize(s.events)["big"]
    assert got.turns == 10_000
    held = [v for v in attrs.asdict(got, recurse=False).values() if isinstance(v, list | dict)]
    assert held and all(len(v) < 50 for v in held)
