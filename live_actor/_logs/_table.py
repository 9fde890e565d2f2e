"""The summary table (terminal) and the ``--json`` document of ``live-actor logs``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Final

from ._reader import ReadStats, to_iso
from ._summary import SessionSummary, Summarizer

__all__ = ["JSON_SCHEMA", "footer", "json_document", "render_table"]

#: The ``schema`` value of the ``--json`` document; bumped on incompatible changes.
JSON_SCHEMA: Final = "live_actor.logs/1"

_COLUMNS: Final = (
    "session",
    "model",
    "conns",
    "restarts",
    "downtime",
    "replayed",
    "dropped",
    "turns",
    "tokens",
    "status",
)
_RIGHT: Final = frozenset({"conns", "downtime", "replayed", "dropped", "turns", "tokens"})


def _restarts(summary: SessionSummary) -> str:
    causes = summary.restarts_by_cause
    detail = ", ".join(f"{k} {v}" for k, v in sorted(causes.items()) if v)
    return f"{summary.restarts} ({detail})" if detail else str(summary.restarts)


def _row(summary: SessionSummary) -> dict[str, str]:
    status = summary.final_status
    if summary.gave_up and status == "open":
        status = "open, gave up"
    return {
        "session": summary.session_id,
        "model": summary.model or "-",
        "conns": str(summary.connections),
        "restarts": _restarts(summary),
        "downtime": f"{summary.downtime:.2f}s",
        "replayed": str(summary.replayed),
        "dropped": str(summary.dropped),
        "turns": str(summary.turns),
        "tokens": str(summary.tokens),
        "status": status,
    }


def render_table(summaries: Sequence[SessionSummary]) -> str:
    """A fixed-width table, one row per session, in the order given."""
    rows = [_row(s) for s in summaries]
    widths = {c: max([len(c), *(len(r[c]) for r in rows)]) for c in _COLUMNS}

    def line(cells: dict[str, str]) -> str:
        return "  ".join(
            cells[c].rjust(widths[c]) if c in _RIGHT else cells[c].ljust(widths[c])
            for c in _COLUMNS
        ).rstrip()

    out = [line({c: c for c in _COLUMNS}), line({c: "-" * widths[c] for c in _COLUMNS})]
    out += [line(r) for r in rows]
    return "\n".join(out)


def footer(stats: ReadStats, summarizer: Summarizer, shown: int) -> str:
    """One line: what was read, and what was skipped and why."""
    text = (
        f"{shown} of {len(summarizer.sessions)} sessions; {stats.events} live_actor events "
        f"in {stats.lines} lines"
    )
    skipped = [
        f"{n} {what}"
        for n, what in (
            (stats.malformed, "malformed"),
            (stats.other_loggers, "from other loggers"),
            (stats.no_timestamp, "without timestamp"),
        )
        if n
    ]
    if skipped:
        text += " (skipped: " + ", ".join(skipped) + ")"
    unknown = sum(summarizer.unknown_names.values())
    if unknown:
        text += f"; {unknown} events of unknown names"
    return text


def json_document(
    *,
    files: Sequence[str],
    stats: ReadStats,
    summarizer: Summarizer,
    sessions: Iterable[SessionSummary],
    events: Iterable[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The ``--json`` output (schema documented in docs/logs.md)."""
    document: dict[str, Any] = {
        "schema": JSON_SCHEMA,
        "files": list(files),
        "stats": {
            **stats.as_dict(),
            "unknown_events": dict(summarizer.unknown_names),
            "shutdowns": summarizer.shutdowns,
            "unattributed": summarizer.unattributed,
        },
        "sessions": [s.to_dict() for s in sessions],
    }
    if events is not None:
        document["events"] = [{**e, "timestamp": to_iso(e.get("timestamp"))} for e in events]
    return document
