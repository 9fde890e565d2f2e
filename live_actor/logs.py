"""Reading and routing live_actor's logs.

* :func:`configure_json` sends live_actor's events (and, if asked, the application's) to a
  stream or file as JSON lines, the input of ``live-actor logs``;
* :func:`read_events` turns JSON lines back into event dicts, and :func:`summarize`
  turns event dicts (from a file, or from ``structlog.testing.capture_logs``) into one
  :class:`SessionSummary` per session.

The event names and their fields are documented in ``docs/logs.md``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from ._log import EVENTS
from ._logs._jsonroute import JsonLinesFormatter, JsonLogRoute, configure_json
from ._logs._reader import ReadStats, iter_events, parse_lines
from ._logs._summary import KNOWN_EVENTS, SessionSummary, summarize

__all__ = [
    "EVENTS",
    "KNOWN_EVENTS",
    "JsonLinesFormatter",
    "JsonLogRoute",
    "ReadStats",
    "SessionSummary",
    "configure_json",
    "read_events",
    "summarize",
]


def read_events(
    source: str | Iterable[bytes | str], stats: ReadStats | None = None
) -> Iterator[dict[str, Any]]:
    """The live_actor events of a JSON lines file (a path, ``-`` for stdin) or of an
    iterable of lines; ``timestamp`` becomes epoch seconds. Malformed lines, other
    loggers' lines and lines without a timestamp are skipped and counted in *stats*."""
    stats = ReadStats() if stats is None else stats
    if isinstance(source, str):
        return iter_events([source], stats)
    lines = (line.encode() if isinstance(line, str) else line for line in source)
    return parse_lines(lines, stats)
