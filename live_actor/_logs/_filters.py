"""Which events ``live-actor logs`` looks at, and which it shows.

Two kinds of filter, so a summary stays true while a question narrows what is listed:

* *scope* (``--since``, ``--until``, ``--model``, ``--session``): events outside are not
  read at all; the summaries are computed from what is in scope;
* *match* (``--event``, ``--level``): events that match are shown (timeline, follow,
  page marks), and the summary table lists the sessions with at least one of them.
"""

from __future__ import annotations

import fnmatch
import re
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final

import attrs

__all__ = ["LEVELS", "EventFilter", "FilterError", "parse_time"]

LEVELS: Final = {"debug": 10, "info": 20, "warning": 30, "error": 40, "critical": 50}
_UNITS: Final = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_RELATIVE = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
_RELATIVE_ALL = re.compile(rf"(?:{_RELATIVE.pattern})+")


class FilterError(ValueError):
    """A filter value that cannot be understood; the message says what to write."""


def parse_time(value: str, *, now: float | None = None) -> float:
    """``--since``/``--until``: ISO 8601 (naive = UTC), epoch seconds, or a duration
    before *now* such as ``10m``, ``1h30m``, ``2d`` (units ms, s, m, h, d, w)."""
    text = value.strip()
    if _RELATIVE_ALL.fullmatch(text):
        seconds = sum(float(n) * _UNITS[u] for n, u in _RELATIVE.findall(text))
        return (time.time() if now is None else now) - seconds
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        pass
    else:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.timestamp()
    try:
        return float(text)
    except ValueError:
        raise FilterError(
            f"cannot read the time {value!r}: use ISO 8601 (2026-12-01T18:42:00Z), "
            "epoch seconds, or a duration ago such as 10m, 2h, 1d"
        ) from None


def _event_patterns(text: str) -> tuple[str, ...]:
    """``resumed``, ``supervisor.resumed`` and ``supervisor.*`` all reach
    ``live_actor.supervisor.resumed``; a full name or glob is used as given."""
    if text.startswith("live_actor."):
        return (text,)
    return ("live_actor." + text, "live_actor.*." + text)


@attrs.define
class EventFilter:
    """Scope and match predicates over event dicts (as the reader yields them)."""

    since: float | None = None
    until: float | None = None
    models: Sequence[str] = ()
    session: str | None = None
    events: Sequence[str] = ()
    min_level: str | None = None
    _event_patterns: tuple[str, ...] = attrs.field(init=False, default=())
    _min_level_number: int = attrs.field(init=False, default=0)
    _match_cache: dict[str, bool] = attrs.field(init=False, factory=dict)
    _model_cache: dict[str, bool] = attrs.field(init=False, factory=dict)

    def __attrs_post_init__(self) -> None:
        self._event_patterns = tuple(p for e in self.events for p in _event_patterns(e))
        if self.min_level is not None:
            level = self.min_level.lower()
            if level not in LEVELS:
                raise FilterError(f"--level {self.min_level!r}: use one of {', '.join(LEVELS)}")
            self._min_level_number = LEVELS[level]
        if self.since is not None and self.until is not None and self.since > self.until:
            raise FilterError("--since is after --until: swap them")

    @property
    def matches_everything(self) -> bool:
        return not self._event_patterns and self._min_level_number == 0

    def in_scope(self, event: Mapping[str, Any]) -> bool:
        moment = event.get("timestamp")
        if self.since is not None and (moment is None or moment < self.since):
            return False
        if self.until is not None and (moment is None or moment > self.until):
            return False
        if self.session is not None and str(event.get("session_id")) != self.session:
            return False
        if self.models:
            model = str(event.get("model"))
            hit = self._model_cache.get(model)
            if hit is None:
                hit = any(fnmatch.fnmatchcase(model, pattern) for pattern in self.models)
                if len(self._model_cache) < 10_000:
                    self._model_cache[model] = hit
            return hit
        return True

    def matches(self, event: Mapping[str, Any]) -> bool:
        level_number = LEVELS.get(str(event.get("level")), 20)
        if self._min_level_number and level_number < self._min_level_number:
            return False
        if self._event_patterns:
            name = str(event.get("event"))
            hit = self._match_cache.get(name)
            if hit is None:
                hit = any(fnmatch.fnmatchcase(name, p) for p in self._event_patterns)
                if len(self._match_cache) < 10_000:
                    self._match_cache[name] = hit
            return hit
        return True

    def names_requested(self, name: str) -> bool:
        """Whether ``--event`` explicitly asked for *name* (to show debug-level noise)."""
        return any(fnmatch.fnmatchcase(name, p) for p in self._event_patterns)
