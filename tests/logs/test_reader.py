"""The reader: JSON lines to event dicts; bad input counted and skipped, never a crash."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from live_actor._logs._reader import MAX_LINE, LogInputError, follow_lines, read_lines, to_epoch
from live_actor.logs import ReadStats, read_events

from .synthetic import MALFORMED, OTHER_LOGGERS, Session, iso, to_lines, write_log


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-12-01T18:42:39.123456Z", 1796150559.123456),
        ("2026-12-01T19:42:39.123456+01:00", 1796150559.123456),
        ("2026-12-01T18:42:39.123456", 1796150559.123456),  # naive: UTC
        ("2026-12-01 18:42:39.123456Z", 1796150559.123456),
        (1796150559.123456, 1796150559.123456),
        (1796150559, 1796150559.0),
        (1796150559123, 1796150559.123),  # milliseconds
        ("1796150559.5", 1796150559.5),
    ],
)
def test_timestamps_iso_and_epoch(value: object, expected: float) -> None:
    assert to_epoch(value) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("value", [None, "yesterday", True, [1], {"a": 1}, float("nan")])
def test_unusable_timestamps(value: object) -> None:
    assert to_epoch(value) is None


def test_bad_lines_are_counted_and_skipped() -> None:
    s = Session("a").dial().turn().close()
    good = to_lines(s.events, timestamps="mixed")
    no_ts = b'{"event": "live_actor.session.connect", "session_id": "a", "level": "info"}\n'
    lines = [*MALFORMED, good[0], b"\n", b"   \n", *OTHER_LOGGERS, *good[1:], no_ts]
    stats = ReadStats()
    events = list(read_events(lines, stats))
    assert len(events) == len(s.events)
    assert stats.malformed == len(MALFORMED)
    assert stats.other_loggers == len(OTHER_LOGGERS)
    assert stats.blank == 2 and stats.no_timestamp == 1
    assert stats.lines == len(lines)
    assert all(isinstance(e["timestamp"], float) for e in events)
    assert [e["timestamp"] for e in events] == pytest.approx([e["timestamp"] for e in s.events])


def test_levels_are_normalised() -> None:
    lines = [
        b'{"event": "live_actor.x", "timestamp": 1, "level": "WARN"}',
        b'{"event": "live_actor.x", "timestamp": 1, "log_level": "exception"}',
        b'{"event": "live_actor.x", "timestamp": 1}',
        b'{"event": "live_actor.x", "timestamp": 1, "level": 5}',
    ]
    assert [e["level"] for e in read_events(lines)] == ["warning", "error", "info", "info"]


def test_an_oversized_line_is_skipped_in_bounded_memory(tmp_path: Path) -> None:
    s = Session("a").dial()
    huge = b'{"event": "live_actor.session.connect", "pad": "' + b"x" * (3 * MAX_LINE) + b'"}\n'
    path = write_log(tmp_path / "log.jsonl", [huge, *to_lines(s.events)])
    stats = ReadStats()
    events = list(read_events(path, stats))
    assert len(events) == len(s.events) and stats.malformed == 1


def test_gzip_and_missing_files(tmp_path: Path) -> None:
    s = Session("a").dial()
    path = tmp_path / "old.jsonl.gz"
    with gzip.open(path, "wb") as out:
        out.writelines(to_lines(s.events))
    assert len(list(read_events(str(path)))) == len(s.events)
    with pytest.raises(LogInputError, match=r"cannot read .*nope\.jsonl"):
        list(read_lines([str(tmp_path / "nope.jsonl")]))
    with pytest.raises(LogInputError, match="cannot read"):
        list(read_lines([str(tmp_path)]))  # a directory


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=200) | st.text(max_size=200).map(str.encode), max_size=30))
def test_arbitrary_bytes_never_crash(lines: list[bytes]) -> None:
    stats = ReadStats()
    list(read_events([line + b"\n" for line in lines], stats))
    assert stats.lines == len(lines)


def test_follow_reads_appends_truncation_and_rotation(tmp_path: Path) -> None:
    """``tail -F`` semantics, driven without real sleeps: the sleep hook writes."""
    log = tmp_path / "live.jsonl"
    s = Session("f").dial().turn().turn().turn()
    lines = to_lines(s.events)
    log.write_bytes(lines[0] + lines[1][:10])  # the second line is half written

    def append(path: Path, data: bytes) -> None:
        with path.open("ab") as out:
            out.write(data)

    def rotate() -> None:
        log.rename(tmp_path / "live.jsonl.1")
        append(tmp_path / "live.jsonl.1", lines[4])  # written to the old file late
        log.write_bytes(lines[5])

    steps = [
        lambda: append(log, lines[1][10:] + lines[2]),  # completes the half line
        lambda: log.write_bytes(lines[3]),  # truncated and rewritten (copytruncate)
        rotate,
    ]

    class Done(Exception):
        pass

    def sleep(_: float) -> None:
        if not steps:
            raise Done
        steps.pop(0)()

    got: list[bytes | None] = []
    with pytest.raises(Done):
        for line in follow_lines([str(log)], sleep=sleep):
            got.append(line)
    assert got == [line.rstrip(b"\n") for line in lines[:6]]


def test_iso_helper_round_trips() -> None:
    assert to_epoch(iso(1796150559.25)) == pytest.approx(1796150559.25)
