"""JSON lines in, live_actor event dicts out: streaming, bounded, never crashing on input.

A line is one JSON object. Lines that are not (bad JSON, not an object, not UTF-8, over
:data:`MAX_LINE` bytes) are *malformed*; objects whose ``event`` does not start with
``live_actor.`` belong to *other loggers*; live_actor events without a usable
``timestamp`` are counted apart, because a tool cannot place them in time. All are
counted in :class:`ReadStats` and skipped. Each accepted event has ``timestamp``
normalised to epoch seconds (float) and ``level`` to a lower-case name.
"""

from __future__ import annotations

import gzip
import math
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import IO, Any, Final, cast

import attrs
import orjson

__all__ = [
    "MAX_LINE",
    "LogInputError",
    "ReadStats",
    "follow_lines",
    "iter_events",
    "parse_lines",
    "read_lines",
    "to_epoch",
    "to_iso",
]

#: The longest line read whole; a longer one is skipped (and counted) in bounded memory.
MAX_LINE: Final = 1 << 20

_LEVEL_ALIASES: Final = {
    "warn": "warning",
    "exception": "error",
    "fatal": "critical",
    "err": "error",
}
_MAX_DISTINCT: Final = 200  # distinct unknown event names remembered


class LogInputError(Exception):
    """An input file cannot be read; the message is one line naming it."""


@attrs.define
class ReadStats:
    """What the reader saw and skipped, for the footer and ``--json``."""

    lines: int = 0
    events: int = 0
    blank: int = 0
    malformed: int = 0
    other_loggers: int = 0
    no_timestamp: int = 0

    def as_dict(self) -> dict[str, int]:
        return attrs.asdict(self)


def to_iso(moment: float | None) -> str | None:
    """Epoch seconds as ISO 8601 UTC with microseconds and ``Z``."""
    if moment is None:
        return None
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def to_epoch(value: Any) -> float | None:
    """A ``timestamp`` value as epoch seconds: ISO 8601 (naive means UTC) or a number of
    seconds (a number above 1e11 is taken as milliseconds); None when unusable."""
    kind = type(value)
    if kind is str:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            try:
                number = float(value)
            except ValueError:
                return None
        else:
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            return moment.timestamp()
    elif kind is float or kind is int:
        number = float(value)
    else:
        return None
    if not math.isfinite(number):
        return None
    return number / 1000.0 if number > 1e11 else number


def parse_lines(lines: Iterable[bytes | None], stats: ReadStats) -> Iterator[dict[str, Any]]:
    """Event dicts of the live_actor lines among *lines* (``None`` = an oversized line)."""
    loads = orjson.loads
    decode_error = orjson.JSONDecodeError
    for line in lines:
        stats.lines += 1
        if line is None:
            stats.malformed += 1
            continue
        try:
            obj = loads(line)
        except decode_error:
            if line.strip():
                stats.malformed += 1
            else:
                stats.blank += 1
            continue
        if type(obj) is not dict:
            stats.malformed += 1
            continue
        name = obj.get("event")
        if type(name) is not str or not name.startswith("live_actor."):
            stats.other_loggers += 1
            continue
        moment = to_epoch(obj.get("timestamp"))
        if moment is None:
            stats.no_timestamp += 1
            continue
        obj["timestamp"] = moment
        level = obj.get("level") or obj.get("log_level") or "info"
        if type(level) is not str:
            level = "info"
        level = level.lower()
        obj["level"] = _LEVEL_ALIASES.get(level, level)
        stats.events += 1
        yield obj


def _bounded_lines(stream: IO[bytes]) -> Iterator[bytes | None]:
    readline = stream.readline
    while True:
        line = readline(MAX_LINE)
        if not line:
            return
        if len(line) == MAX_LINE and not line.endswith(b"\n"):
            while True:  # skip the rest of an oversized line, one bounded chunk at a time
                rest = readline(MAX_LINE)
                if not rest or rest.endswith(b"\n"):
                    break
            yield None
            continue
        yield line


def _open(name: str) -> IO[bytes]:
    if name == "-":
        return sys.stdin.buffer
    try:
        if name.endswith(".gz"):
            return cast(IO[bytes], gzip.open(name, "rb"))
        return open(name, "rb")
    except OSError as exc:
        raise LogInputError(f"cannot read {name}: {exc.strerror or exc}") from exc


def read_lines(names: Iterable[str]) -> Iterator[bytes | None]:
    """The lines of each file in turn (``-`` is stdin, ``.gz`` is decompressed)."""
    for name in names:
        stream = _open(name)
        try:
            yield from _bounded_lines(stream)
        except OSError as exc:  # a directory, an I/O error, a corrupt .gz
            raise LogInputError(f"cannot read {name}: {exc.strerror or exc}") from exc
        finally:
            if stream is not sys.stdin.buffer:
                stream.close()


def iter_events(names: Iterable[str], stats: ReadStats) -> Iterator[dict[str, Any]]:
    """The live_actor events of the files *names*, in file order."""
    return parse_lines(read_lines(names), stats)


@attrs.define
class _Followed:
    """One followed path: its open file, the inode it had, and an unfinished last line."""

    name: str
    stream: IO[bytes] | None = None
    inode: int | None = None
    partial: bytes = b""

    def reopen(self) -> None:
        try:
            stream = open(self.name, "rb")  # noqa: SIM115 -- kept open while following
        except OSError:
            return  # not there (yet): tried again at the next poll, like ``tail -F``
        if self.stream is not None:
            self.stream.close()
        self.stream = stream
        self.inode = os.fstat(stream.fileno()).st_ino
        self.partial = b""

    def read(self) -> list[bytes | None]:
        """Complete lines written since the last read (bounded per call)."""
        if self.stream is None:
            return []
        out: list[bytes | None] = []
        chunk = self.stream.read(1 << 20)
        if not chunk:
            return out
        data = self.partial + chunk
        *complete, self.partial = data.split(b"\n")
        out.extend(complete)
        if len(self.partial) >= MAX_LINE:
            self.partial = b""
            out.append(None)
        return out

    def check_rotation(self) -> bool:
        """Reopen after a rotation (new inode) or rewind after a truncation; True if so."""
        try:
            status = os.stat(self.name)
        except OSError:
            return False  # moved away: keep reading the old file until a new one appears
        if self.stream is None or status.st_ino != self.inode:
            self.reopen()
            return self.stream is not None
        if status.st_size < self.stream.tell():
            self.stream.seek(0)
            self.partial = b""
            return True
        return False


def follow_lines(
    names: Iterable[str],
    *,
    poll_interval: float = 0.25,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[bytes | None]:
    """Lines of *names* as they are written, like ``tail -F``: the existing content first,
    then new lines; a rotated file (new inode) is drained and the new one read from its
    start; a truncated file is read again from its start. Never ends by itself."""
    followed = [_Followed(name) for name in names]
    for one in followed:
        one.reopen()
        if one.stream is None:
            raise LogInputError(f"cannot read {one.name}: no such file or not readable")
    try:
        while True:
            got = False
            for one in followed:
                lines = one.read()
                if lines:
                    got = True
                    yield from lines
                elif one.check_rotation():
                    got = True  # read the new or rewound file before sleeping
            if not got:
                sleep(poll_interval)
    finally:
        for one in followed:
            if one.stream is not None:
                one.stream.close()
