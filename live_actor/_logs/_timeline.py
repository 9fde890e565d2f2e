"""One event as one line a person reads: the terminal timeline of ``live-actor logs``.

Known events get a sentence built from their fields (docs/logs.md); unknown ones show
their fields as ``key=value``, so a newer emitter never hides anything from an older tool.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Final

__all__ = ["COMMON_KEYS", "describe", "format_event", "short_name"]

#: Keys every event carries; the rest are the event's own fields.
COMMON_KEYS: Final = frozenset(
    {"event", "level", "log_level", "timestamp", "session_id", "model", "connection", "logger"}
)
_LEVEL_MARK: Final = {"debug": "d", "info": " ", "warning": "W", "error": "E", "critical": "C"}


def short_name(name: str) -> str:
    return name[len("live_actor.") :] if name.startswith("live_actor.") else name


def _secs(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:.3f}s"
    return "?"


def _counts(value: Any) -> str:
    if isinstance(value, Mapping) and value:
        return ", ".join(f"{k} {v}" for k, v in value.items() if v)
    return ""


def _fields(event: Mapping[str, Any]) -> str:
    return " ".join(f"{k}={v!r}" for k, v in event.items() if k not in COMMON_KEYS)


def _turn(e: Mapping[str, Any]) -> str:
    text = f"turn {e.get('turn', '?')}: first response {_secs(e.get('time_to_first_response'))}"
    text += f", lasted {_secs(e.get('duration'))}, tokens {e.get('total_tokens')}"
    text += f" (prompt {e.get('prompt_tokens')}, response {e.get('response_tokens')})"
    if e.get("interrupted"):
        text += ", interrupted"
    if e.get("cut"):
        text += ", CUT"
    return text


def _resumed(e: Mapping[str, Any]) -> str:
    restored = "state restored" if e.get("state_restored") else "NEW session (state lost)"
    text = f"resumed, {restored}, after {e.get('cause')}, down {_secs(e.get('downtime'))}"
    text += f", replayed {e.get('replayed', 0)}"
    if by_kind := _counts(e.get("replayed_by_kind")):
        text += f" ({by_kind})"
    text += f", dropped {e.get('dropped', 0)}"
    if reasons := _counts(e.get("dropped_reasons")):
        text += f" ({reasons})"
    if e.get("reseeded_turns"):
        text += f", re-seeded {e.get('reseeded_turns')} turns"
    return text


def _closed(e: Mapping[str, Any]) -> str:
    usage: Mapping[str, Any] = e["usage"] if isinstance(e.get("usage"), Mapping) else {}
    ledger: Mapping[str, Any] = e["ledger"] if isinstance(e.get("ledger"), Mapping) else {}
    text = f"closed {e.get('final_status')}: code {e.get('code')} {e.get('reason')!r}"
    text += f", {e.get('connections')} connections, {e.get('restarts')} restarts"
    text += f", {usage.get('turns')} turns, {usage.get('total_tokens')} tokens"
    text += f", replayed {ledger.get('replayed')}, dropped {ledger.get('dropped')}"
    if e.get("error"):
        text += f", error {e.get('error')!r}"
    return text


_DESCRIBE: Final[dict[str, Callable[[Mapping[str, Any]], str]]] = {
    "session.connect": lambda e: "dial" + (", resuming" if e.get("resuming") else ""),
    "session.connect_failed": lambda e: (
        f"dial failed: HTTP {e.get('status')} {e.get('error')}"
        if e.get("status") is not None
        else f"dial failed: {e.get('error')}"
    ),
    "session.setup_complete": lambda e: (
        f"ready in {_secs(e.get('time_to_ready'))}" + (", resumed" if e.get("resumed") else "")
    ),
    "session.status": lambda e: f"-> {e.get('status')}",
    "session.turn_complete": _turn,
    "session.usage": lambda e: (
        f"usage: total {e.get('total_tokens')} "
        f"(prompt {e.get('prompt_tokens')}, response {e.get('response_tokens')})"
    ),
    "session.go_away": lambda e: f"goAway: {_secs(e.get('time_left'))} left",
    "session.resumption_update": lambda e: (
        f"handle update: resumable={e.get('resumable')} last_consumed={e.get('last_consumed')}"
    ),
    "session.tool_call": lambda e: f"tool call {e.get('names')} ids={e.get('ids')}",
    "session.tool_result": lambda e: (
        f"tool result {e.get('names')}: {e.get('outcome')} in {_secs(e.get('duration'))}"
    ),
    "session.tool_call_cancellation": lambda e: f"tool calls cancelled: {e.get('ids')}",
    "supervisor.exit": lambda e: (
        f"exit {e.get('kind')}: code {e.get('code')} {e.get('reason')!r}, cause {e.get('cause')}"
        + (" (during setup)" if e.get("during_setup") else "")
    ),
    "supervisor.reconnecting": lambda e: (
        f"reconnecting: attempt {e.get('attempt')} in {_secs(e.get('delay'))} "
        f"({e.get('kind')}: {e.get('cause')})"
    ),
    "supervisor.rotating": lambda e: (
        f"rotating: notice {_secs(e.get('notice'))}, waited {_secs(e.get('waited'))}, "
        f"{'at a safe point' if e.get('safe_point') else 'NOT at a safe point'}"
    ),
    "supervisor.resumed": _resumed,
    "supervisor.gave_up": lambda e: f"GAVE UP: {e.get('reason')} (cause {e.get('cause')})",
    "session.closed": _closed,
}


def describe(event: Mapping[str, Any]) -> str:
    """A sentence for a known event, its fields for any other."""
    name = short_name(str(event.get("event")))
    describer = _DESCRIBE.get(name)
    if describer is None:
        return _fields(event)
    try:
        return describer(event)
    except (TypeError, ValueError):  # a field of an unexpected type: show it raw
        return _fields(event)


def _clock(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%H:%M:%S.%f")[:-3]


def format_event(
    event: Mapping[str, Any], *, start: float | None = None, with_session: bool = False
) -> str:
    """``HH:MM:SS.mmm  +offset  #conn  L name  description`` (times in UTC)."""
    moment = event.get("timestamp")
    parts = []
    if isinstance(moment, int | float):
        parts.append(_clock(moment))
        if start is not None:
            parts.append(f"{moment - start:+10.3f}s")
    if with_session:
        parts.append(str(event.get("session_id", "-")))
    connection = event.get("connection")
    parts.append(f"#{connection}" if connection is not None else "  ")
    parts.append(_LEVEL_MARK.get(str(event.get("level")), "?"))
    parts.append(f"{short_name(str(event.get('event'))):<32}")
    parts.append(describe(event))
    return " ".join(parts).rstrip()
