"""``live-actor logs FILE...``: summaries, a session's timeline, follow mode, the page.

Exit codes: 0 done; 1 no matching events or unreadable input; 2 usage errors. Errors are
one line on stderr (``--debug`` adds the traceback). Reading streams: memory grows with
the number of sessions, not of lines (the timeline of ``--session`` keeps that session's
events only; the page keeps capped marks per session).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import traceback
from collections.abc import Iterator
from types import FrameType
from typing import Any, TextIO

import orjson

from ._filters import EventFilter, FilterError, parse_time
from ._reader import LogInputError, ReadStats, follow_lines, parse_lines, read_lines, to_iso
from ._summary import SessionSummary, Summarizer
from ._table import footer, json_document, render_table
from ._timeline import format_event

__all__ = ["add_arguments", "run"]

_EPILOG = """\
filters: --since/--until/--model/--session choose the events that count; --event/--level
choose the events shown, and the sessions listed (those with a matching event).
Exit codes: 0 ok, 1 no matching events or unreadable input, 2 usage error.
Event names and the --json schema: docs/logs.md."""


class UsageError(Exception):
    """Arguments that do not go together; exit code 2."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``logs`` subcommand's options."""
    parser.epilog = _EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("files", nargs="+", metavar="FILE", help="JSON lines files; - is stdin")
    parser.add_argument("--session", metavar="ID", help="the timeline of one session")
    parser.add_argument(
        "--event",
        action="append",
        default=[],
        metavar="NAME",
        help="show events named NAME (glob; 'resumed', 'supervisor.*', full names); repeatable",
    )
    parser.add_argument(
        "--level",
        choices=("debug", "info", "warning", "error", "critical"),
        help="show events at this level or above",
    )
    parser.add_argument("--since", metavar="TIME", help="ISO 8601, epoch, or ago: 10m, 2h, 1d")
    parser.add_argument("--until", metavar="TIME", help="ISO 8601, epoch, or ago: 10m, 2h, 1d")
    parser.add_argument(
        "--model", action="append", default=[], metavar="NAME", help="model name (glob)"
    )
    parser.add_argument("--json", action="store_true", help="machine output (docs/logs.md)")
    parser.add_argument("--html", metavar="OUT.html", help="write the timeline page")
    parser.add_argument(
        "--follow", "-f", action="store_true", help="print events as they are written"
    )
    parser.add_argument("--poll-interval", type=float, default=0.25, help=argparse.SUPPRESS)
    parser.add_argument("--debug", action="store_true", help="tracebacks on errors")


def _error(args: argparse.Namespace, message: str) -> None:
    if getattr(args, "debug", False):
        traceback.print_exc()
    print(f"live-actor logs: error: {message}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    """The ``logs`` subcommand; returns the exit code."""
    try:
        return _run(args, sys.stdout)
    except (UsageError, FilterError) as exc:
        _error(args, str(exc))
        return 2
    except LogInputError as exc:
        _error(args, str(exc))
        return 1
    except BrokenPipeError:  # `live-actor logs ... | head`: the reader left, not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except OSError as exc:
        _error(args, f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else ""))
        return 1
    except Exception as exc:  # a bug: still one line, the traceback with --debug
        _error(args, f"internal error {type(exc).__name__}: {exc} (--debug shows where)")
        return 1


def _filter(args: argparse.Namespace) -> EventFilter:
    return EventFilter(
        since=parse_time(args.since) if args.since else None,
        until=parse_time(args.until) if args.until else None,
        models=args.model,
        session=args.session,
        events=args.event,
        min_level=args.level,
    )


def _check_usage(args: argparse.Namespace) -> None:
    if args.follow and args.html:
        raise UsageError("--html writes a finished page: drop --follow")
    if args.html and args.html in args.files:
        raise UsageError(f"--html {args.html} is also an input: choose another output")
    if args.poll_interval <= 0:
        raise UsageError("--poll-interval must be positive")


def _no_timestamp_warning(stats: ReadStats) -> str:
    return (
        f"{stats.no_timestamp} live_actor lines have no usable 'timestamp' key and were "
        "skipped: render with structlog.processors.TimeStamper(fmt='iso') or use "
        "live_actor.logs.configure_json"
    )


def _run(args: argparse.Namespace, out: TextIO) -> int:
    _check_usage(args)
    selection = _filter(args)
    if args.follow:
        return _follow(args, selection, out)
    stats = ReadStats()
    summarizer = Summarizer()
    timeline: list[dict[str, Any]] | None = [] if args.session else None
    page = None
    if args.html:
        from ._html import PageCollector

        page = PageCollector(selection)
    in_scope = selection.in_scope
    matches = selection.matches
    add = summarizer.add
    for event in parse_lines(read_lines(args.files), stats):
        if not in_scope(event):
            continue
        matched = matches(event)
        add(event, matched=matched)
        if matched and timeline is not None:
            timeline.append(event)
        if page is not None:
            page.add(event, matched)
    shown = sorted(
        (s for s in summarizer.sessions.values() if s.matched),
        key=lambda s: (s.first_seen or 0.0, s.session_id),
    )
    if not shown:
        _error(args, _nothing_message(args, stats, summarizer))
        return 1
    if stats.no_timestamp:
        print(f"live-actor logs: warning: {_no_timestamp_warning(stats)}", file=sys.stderr)
    if page is not None:
        page.write(args.html, summaries=shown, stats=stats, summarizer=summarizer)
        print(f"wrote {args.html} ({len(shown)} sessions)", file=sys.stderr)
    if args.json:
        document = json_document(
            files=args.files,
            stats=stats,
            summarizer=summarizer,
            sessions=shown,
            events=_sorted(timeline) if timeline is not None else None,
        )
        out.write(orjson.dumps(document, option=orjson.OPT_INDENT_2, default=str).decode())
        out.write("\n")
    elif timeline is not None:
        _print_timeline(out, shown[0], _sorted(timeline))
    elif not args.html:
        out.write(render_table(shown) + "\n\n" + footer(stats, summarizer, len(shown)) + "\n")
    out.flush()
    return 0


def _sorted(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(events, key=lambda e: e["timestamp"])  # stable: file order on ties


def _nothing_message(args: argparse.Namespace, stats: ReadStats, summarizer: Summarizer) -> str:
    if stats.events == 0 and stats.no_timestamp:
        return _no_timestamp_warning(stats)
    read = (
        f"{stats.lines} lines read: {stats.events} live_actor events, "
        f"{stats.malformed} malformed, {stats.other_loggers} from other loggers"
    )
    if args.session and not summarizer.sessions:
        return f"no events of session {args.session!r} in scope ({read})"
    return f"no matching live_actor events ({read})"


def _print_timeline(out: TextIO, summary: SessionSummary, events: list[dict[str, Any]]) -> None:
    start = summary.first_seen
    out.write(
        f"session {summary.session_id}  model {summary.model}  "
        f"from {to_iso(summary.first_seen)} to {to_iso(summary.last_seen)}  (UTC)\n\n"
    )
    for event in events:
        out.write(format_event(event, start=start) + "\n")
    out.write("\n" + render_table([summary]) + "\n")


def _follow(args: argparse.Namespace, selection: EventFilter, out: TextIO) -> int:
    """Print each matching event as it is written; the summary table when stopped."""
    stats = ReadStats()
    summarizer = Summarizer()
    lines: Iterator[bytes | None]
    if args.files == ["-"]:
        lines = read_lines(["-"])
    elif "-" in args.files:
        raise UsageError("--follow reads files or stdin, not both")
    else:
        lines = follow_lines(args.files, poll_interval=args.poll_interval)

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        for event in parse_lines(lines, stats):
            if not selection.in_scope(event):
                continue
            matched = selection.matches(event)
            summarizer.add(event, matched=matched)
            if not matched:
                continue
            if args.json:
                line = orjson.dumps({**event, "timestamp": to_iso(event["timestamp"])}, default=str)
                out.write(line.decode() + "\n")
            else:
                out.write(format_event(event, with_session=not args.session) + "\n")
            out.flush()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
    shown = [s for s in summarizer.sessions.values() if s.matched]
    if not args.json and shown:
        out.write(f"\n{render_table(shown)}\n\n{footer(stats, summarizer, len(shown))}\n")
        out.flush()
    return 0
