"""Per-session aggregates of live_actor's events: a pure function of the event stream.

Memory is bounded by the number of sessions, not of events: each session keeps counters,
sums and small capped maps, never its events. The session's own totals in
``live_actor.session.closed`` win over what the stream shows (a log that lost lines still
reports what the handle counted); without that event the figures are derived from the
events seen, and the final status is ``open``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

import attrs

from ._reader import to_epoch, to_iso

__all__ = ["KNOWN_EVENTS", "SessionSummary", "Summarizer", "summarize"]

#: The event names of the contract (docs/logs.md); others are shown generically.
KNOWN_EVENTS: Final = frozenset(
    "live_actor." + name
    for name in (
        "session.connect",
        "session.connect_failed",
        "session.setup_complete",
        "session.status",
        "session.turn_complete",
        "session.usage",
        "session.go_away",
        "session.resumption_update",
        "session.tool_call",
        "session.tool_result",
        "session.tool_call_cancellation",
        "session.tool_error",
        "session.malformed_frame",
        "session.callback_error",
        "session.event_overflow",
        "session.callback_overflow",
        "session.ledger_full",
        "session.closed",
        "supervisor.exit",
        "supervisor.reconnecting",
        "supervisor.rotating",
        "supervisor.resumed",
        "supervisor.handle_rejected",
        "supervisor.gave_up",
        "supervisor.shutdown",
    )
)

_MAX_KEYS: Final = 32  # distinct keys kept in a per-session map; the rest go to "other"


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _num(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _bump(counts: dict[str, int], key: Any, cap: int = _MAX_KEYS) -> None:
    name = str(key)
    if name not in counts and len(counts) >= cap:
        name = "other"
    counts[name] = counts.get(name, 0) + 1


@attrs.define
class Stat:
    """Count, sum and maximum of a duration."""

    count: int = 0
    total: float = 0.0
    max: float = 0.0

    def add(self, value: Any) -> None:
        number = _num(value)
        if number is None:
            return
        self.count += 1
        self.total += number
        self.max = max(self.max, number)

    @property
    def mean(self) -> float | None:
        return self.total / self.count if self.count else None


@attrs.define
class SessionSummary:
    """What one session did, from its events. Read the properties (``connections``,
    ``restarts``, ``replayed``, ``tokens``, ...): they prefer the ``closed`` totals."""

    session_id: str
    model: str | None = None
    first_seen: float | None = None
    last_seen: float | None = None
    events: int = 0
    matched: int = 0
    warnings: int = 0
    errors: int = 0
    unknown_events: int = 0
    connects: int = 0
    connect_failures: int = 0
    time_to_ready: Stat = attrs.Factory(Stat)
    go_aways: int = 0
    rotations: int = 0
    rotation_wait: Stat = attrs.Factory(Stat)
    tool_calls: int = 0
    tool_outcomes: dict[str, int] = attrs.Factory(dict)
    exits_by_kind: dict[str, int] = attrs.Factory(dict)
    reconnects_by_kind: dict[str, int] = attrs.Factory(dict)
    resumes: int = 0
    state_lost: int = 0
    handle_rejections: int = 0
    downtime: float = 0.0
    replayed_seen: int = 0
    dropped_seen: int = 0
    reseeded_turns: int = 0
    turns_seen: int = 0
    interrupted_turns: int = 0
    cut_turns: int = 0
    tokens_seen: int = 0
    prompt_tokens_seen: int = 0
    response_tokens_seen: int = 0
    time_to_first_response: Stat = attrs.Factory(Stat)
    gave_up: str | None = None
    closed: dict[str, Any] | None = None

    # ------------------------------------------------------- preferred figures

    def _closed_get(self, *path: str) -> Any:
        value: Any = self.closed
        for key in path:
            if not isinstance(value, Mapping):
                return None
            value = value.get(key)
        return value

    @property
    def connections(self) -> int:
        value = _int(self._closed_get("connections"))
        return self.connects if value is None else value

    @property
    def restarts_by_cause(self) -> dict[str, int]:
        value = self._closed_get("restarts_by_cause")
        if isinstance(value, Mapping):
            return {str(k): n for k, v in value.items() if (n := _int(v)) is not None}
        return dict(self.reconnects_by_kind)

    @property
    def restarts(self) -> int:
        value = _int(self._closed_get("restarts"))
        return sum(self.restarts_by_cause.values()) if value is None else value

    @property
    def replayed(self) -> int:
        value = _int(self._closed_get("ledger", "replayed"))
        return self.replayed_seen if value is None else value

    @property
    def dropped(self) -> int:
        value = _int(self._closed_get("ledger", "dropped"))
        return self.dropped_seen if value is None else value

    @property
    def tokens(self) -> int:
        value = _int(self._closed_get("usage", "total_tokens"))
        return self.tokens_seen if value is None else value

    @property
    def turns(self) -> int:
        value = _int(self._closed_get("usage", "turns"))
        return self.turns_seen if value is None else value

    @property
    def final_status(self) -> str:
        value = self._closed_get("final_status")
        return "open" if self.closed is None or value is None else str(value)

    @property
    def duration(self) -> float | None:
        if self.first_seen is None or self.last_seen is None:
            return None
        return self.last_seen - self.first_seen

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` form of one session (schema in docs/logs.md)."""
        return {
            "session_id": self.session_id,
            "model": self.model,
            "final_status": self.final_status,
            "first_seen": to_iso(self.first_seen),
            "last_seen": to_iso(self.last_seen),
            "duration": self.duration,
            "connections": self.connections,
            "restarts": self.restarts,
            "restarts_by_cause": self.restarts_by_cause,
            "downtime": round(self.downtime, 6),
            "replayed": self.replayed,
            "dropped": self.dropped,
            "tokens": self.tokens,
            "turns": self.turns,
            "go_aways": self.go_aways,
            "rotations": self.rotations,
            "resumes": self.resumes,
            "state_lost": self.state_lost,
            "connect_failures": self.connect_failures,
            "tool_calls": self.tool_calls,
            "tool_outcomes": dict(self.tool_outcomes),
            "exits_by_kind": dict(self.exits_by_kind),
            "interrupted_turns": self.interrupted_turns,
            "cut_turns": self.cut_turns,
            "time_to_ready_mean": self.time_to_ready.mean,
            "time_to_first_response_mean": self.time_to_first_response.mean,
            "time_to_first_response_max": (
                self.time_to_first_response.max if self.time_to_first_response.count else None
            ),
            "gave_up": self.gave_up,
            "events": self.events,
            "matched": self.matched,
            "warnings": self.warnings,
            "errors": self.errors,
            "unknown_events": self.unknown_events,
            "closed_event": self.closed is not None,
        }


def _connect(s: SessionSummary, e: Mapping[str, Any]) -> None:
    s.connects += 1


def _connect_failed(s: SessionSummary, e: Mapping[str, Any]) -> None:
    s.connect_failures += 1


def _setup_complete(s: SessionSummary, e: Mapping[str, Any]) -> None:
    s.time_to_ready.add(e.get("time_to_ready"))


def _turn_complete(s: SessionSummary, e: Mapping[str, Any]) -> None:
    s.turns_seen += 1
    s.tokens_seen += _int(e.get("total_tokens")) or 0
    s.prompt_tokens_seen += _int(e.get("prompt_tokens")) or 0
    s.response_tokens_seen += _int(e.get("response_tokens")) or 0
    s.interrupted_turns += e.get("interrupted") is True
    s.cut_turns += e.get("cut") is True
    s.time_to_first_response.add(e.get("time_to_first_response"))


def _go_away(s: SessionSummary, e: Mapping[str, Any]) -> None:
    s.go_aways += 1


def _tool_call(s: SessionSummary, e: Mapping[str, Any]) -> None:
    ids = e.get("ids")
    s.tool_calls += len(ids) if isinstance(ids, list) and ids else 1


def _tool_result(s: SessionSummary, e: Mapping[str, Any]) -> None:
    _bump(s.tool_outcomes, e.get("outcome", "unknown"))


def _exit(s: SessionSummary, e: Mapping[str, Any]) -> None:
    _bump(s.exits_by_kind, e.get("kind", "unknown"))


def _reconnecting(s: SessionSummary, e: Mapping[str, Any]) -> None:
    _bump(s.reconnects_by_kind, e.get("kind") or e.get("cause") or "unknown")


def _rotating(s: SessionSummary, e: Mapping[str, Any]) -> None:
    s.rotations += 1
    s.rotation_wait.add(e.get("waited"))


def _resumed(s: SessionSummary, e: Mapping[str, Any]) -> None:
    s.resumes += 1
    s.state_lost += e.get("state_restored") is False
    s.downtime += _num(e.get("downtime")) or 0.0
    s.replayed_seen += _int(e.get("replayed")) or 0
    s.dropped_seen += _int(e.get("dropped")) or 0
    s.reseeded_turns += _int(e.get("reseeded_turns")) or 0


def _handle_rejected(s: SessionSummary, e: Mapping[str, Any]) -> None:
    s.handle_rejections += 1


def _gave_up(s: SessionSummary, e: Mapping[str, Any]) -> None:
    s.gave_up = str(e.get("reason") or e.get("cause") or "gave up")


def _closed(s: SessionSummary, e: Mapping[str, Any]) -> None:
    s.closed = {
        key: e.get(key)
        for key in (
            "code",
            "reason",
            "error",
            "final_status",
            "connections",
            "restarts",
            "restarts_by_cause",
            "dropped",
            "ledger",
            "usage",
        )
    }


_HANDLERS: Final[dict[str, Callable[[SessionSummary, Mapping[str, Any]], None]]] = {
    "live_actor.session.connect": _connect,
    "live_actor.session.connect_failed": _connect_failed,
    "live_actor.session.setup_complete": _setup_complete,
    "live_actor.session.turn_complete": _turn_complete,
    "live_actor.session.go_away": _go_away,
    "live_actor.session.tool_call": _tool_call,
    "live_actor.session.tool_result": _tool_result,
    "live_actor.session.closed": _closed,
    "live_actor.supervisor.exit": _exit,
    "live_actor.supervisor.reconnecting": _reconnecting,
    "live_actor.supervisor.rotating": _rotating,
    "live_actor.supervisor.resumed": _resumed,
    "live_actor.supervisor.handle_rejected": _handle_rejected,
    "live_actor.supervisor.gave_up": _gave_up,
}

_WARNING_LEVELS: Final = frozenset({"warning", "warn"})
_ERROR_LEVELS: Final = frozenset({"error", "critical", "exception", "fatal"})


class Summarizer:
    """Feeds events one at a time into per-session :class:`SessionSummary` objects."""

    def __init__(self) -> None:
        self.sessions: dict[str, SessionSummary] = {}
        #: ``supervisor.shutdown`` events (they belong to no session).
        self.shutdowns = 0
        #: other events without a ``session_id``.
        self.unattributed = 0
        #: unknown ``live_actor.*`` event names seen, with counts (capped).
        self.unknown_names: dict[str, int] = {}

    def add(self, event: Mapping[str, Any], *, matched: bool = True) -> SessionSummary | None:
        """Account *event*; *matched* says it passed the match filters (``--event``...)."""
        name = event.get("event")
        sid = event.get("session_id")
        if sid is None:
            if name == "live_actor.supervisor.shutdown":
                self.shutdowns += 1
            else:
                self.unattributed += 1
            return None
        key = sid if type(sid) is str else str(sid)
        summary = self.sessions.get(key)
        if summary is None:
            summary = self.sessions[key] = SessionSummary(key)
        summary.events += 1
        summary.matched += matched
        if summary.model is None and (model := event.get("model")) is not None:
            summary.model = str(model)
        moment = event.get("timestamp")
        if type(moment) is str:
            moment = to_epoch(moment)
        if type(moment) is float or type(moment) is int:
            if summary.first_seen is None or moment < summary.first_seen:
                summary.first_seen = moment
            if summary.last_seen is None or moment > summary.last_seen:
                summary.last_seen = moment
        level = event.get("level") or event.get("log_level")
        if level in _WARNING_LEVELS:
            summary.warnings += 1
        elif level in _ERROR_LEVELS:
            summary.errors += 1
        handler = _HANDLERS.get(name)  # type: ignore[arg-type]
        if handler is not None:
            handler(summary, event)
        elif name not in KNOWN_EVENTS:
            summary.unknown_events += 1
            _bump(self.unknown_names, name, cap=200)
        return summary


def summarize(events: Iterable[Mapping[str, Any]]) -> dict[str, SessionSummary]:
    """Per-session summaries of *events* (event dicts as structlog produces them, or as
    :func:`live_actor.logs.read_events` yields them), keyed by ``session_id``."""
    summarizer = Summarizer()
    for event in events:
        summarizer.add(event)
    return summarizer.sessions
