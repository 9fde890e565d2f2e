"""The timeline page: one self-contained HTML file (inline CSS, JS and data, no network).

:class:`PageCollector` takes events as they stream by and keeps, per session, the few
events that make its connection bars and a capped list of marks (so memory stays bounded
by sessions x :data:`MAX_MARKS_PER_SESSION`); :meth:`PageCollector.write` assembles the
page from the assets next to this module and the data as one JSON block.
"""

from __future__ import annotations

import html
import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from importlib import resources
from typing import Any, Final

import attrs
import orjson

from ._filters import EventFilter
from ._reader import ReadStats
from ._summary import SessionSummary, Summarizer
from ._table import footer
from ._timeline import COMMON_KEYS, short_name

__all__ = ["MAX_LANES", "MAX_MARKS_PER_SESSION", "MAX_MARKS_TOTAL", "PageCollector"]

#: Sessions drawn as lanes; the others are still in the summary table (with a note).
MAX_LANES: Final = 2000
#: Marks kept per session, and in the whole page (a note says when marks were left out).
MAX_MARKS_PER_SESSION: Final = 2000
MAX_MARKS_TOTAL: Final = 200_000
_MAX_TEXT: Final = 200
_MAX_ITEMS: Final = 20

#: Events drawn as the connection bars rather than as marks (unless ``--event`` asks).
_BAR_EVENTS: Final = frozenset(
    {
        "session.connect",
        "session.setup_complete",
        "session.connect_failed",
        "supervisor.exit",
        "session.closed",
    }
)
#: Frequent debug events left out of the marks unless ``--event`` names them.
_QUIET_EVENTS: Final = frozenset(
    {
        "session.status",
        "session.usage",
        "session.resumption_update",
        "session.connect",
        "session.setup_complete",
    }
)


def _compact(value: Any, depth: int = 0) -> Any:
    """A field value cut to a size a tooltip can show."""
    if isinstance(value, str):
        return value if len(value) <= _MAX_TEXT else value[:_MAX_TEXT] + "…"
    if isinstance(value, list):
        items = [_compact(v, depth + 1) for v in value[:_MAX_ITEMS]]
        if len(value) > _MAX_ITEMS:
            items.append(f"… (+{len(value) - _MAX_ITEMS})")
        return items
    if isinstance(value, dict):
        if depth > 2:
            return "{…}"
        return {str(k): _compact(v, depth + 1) for k, v in list(value.items())[:_MAX_ITEMS]}
    if value is None or isinstance(value, bool | int | float):
        return value
    return _compact(str(value))


@attrs.define
class _Lane:
    session_id: str
    #: (t, name, connection, kind) of the events that open and end connections.
    bar_events: list[tuple[float, str, Any, Any]] = attrs.Factory(list)
    #: (t, name, connection, level, fields as JSON) of the events drawn as marks.
    marks: list[tuple[float, str, Any, str, orjson.Fragment]] = attrs.Factory(list)
    marks_left_out: int = 0


@attrs.define
class PageCollector:
    """Collects what the page draws, as events stream by."""

    selection: EventFilter
    lanes: dict[str, _Lane] = attrs.Factory(dict)
    lanes_left_out: set[str] = attrs.Factory(set)
    marks_total: int = 0
    marks_left_out: int = 0

    def add(self, event: Mapping[str, Any], matched: bool) -> None:
        sid = event.get("session_id")
        if sid is None:
            return
        key = str(sid)
        lane = self.lanes.get(key)
        if lane is None:
            if len(self.lanes) >= MAX_LANES:
                if len(self.lanes_left_out) < 1_000_000:
                    self.lanes_left_out.add(key)
                return
            lane = self.lanes[key] = _Lane(key)
        name = short_name(str(event.get("event")))
        moment = float(event["timestamp"])
        connection = event.get("connection")
        if name in _BAR_EVENTS:
            lane.bar_events.append((moment, name, connection, event.get("kind")))
        if not matched:
            return
        if name in _QUIET_EVENTS and not self.selection.names_requested("live_actor." + name):
            return
        if len(lane.marks) >= MAX_MARKS_PER_SESSION or self.marks_total >= MAX_MARKS_TOTAL:
            lane.marks_left_out += 1
            self.marks_left_out += 1
            return
        fields = {k: _compact(v) for k, v in event.items() if k not in COMMON_KEYS}
        # kept serialised, as str (orjson's bytes keep a 1 KiB+ buffer): a fraction of
        # the dict's memory, and written as is
        blob = orjson.Fragment(orjson.dumps(fields, default=str).decode())
        lane.marks.append((moment, name, connection, str(event.get("level")), blob))
        self.marks_total += 1

    # ----------------------------------------------------------------- output

    @staticmethod
    def _bars(lane: _Lane, last_seen: float) -> list[list[Any]]:
        """``[start, ready, end, end_kind, connection]`` per connection."""
        bars: list[list[Any]] = []
        current: list[Any] | None = None
        for moment, name, connection, kind in sorted(lane.bar_events, key=lambda b: b[0]):
            if name == "session.connect":
                if current is not None:
                    current[2], current[3] = moment, "superseded"
                current = [moment, None, None, None, connection]
                bars.append(current)
            elif current is None:
                continue
            elif name == "session.setup_complete":
                current[1] = moment
            else:
                ending = "connect_failed" if name == "session.connect_failed" else kind
                current[2], current[3] = moment, str(ending or "closed")
                current = None
        if current is not None:
            current[2], current[3] = max(last_seen, current[0]), "open"
        return bars

    def _data(
        self,
        summaries: Sequence[SessionSummary],
        stats: ReadStats,
        summarizer: Summarizer,
    ) -> dict[str, Any]:
        drawn = [s for s in summaries if s.session_id in self.lanes]
        starts = [s.first_seen for s in drawn if s.first_seen is not None]
        ends = [s.last_seen for s in drawn if s.last_seen is not None]
        t0 = min(starts, default=0.0)
        t1 = max(ends, default=t0 + 1.0)
        types: dict[str, int] = {}

        def rel(moment: float | None) -> float | None:
            return None if moment is None else round(moment - t0, 4)

        lanes = []
        for summary in drawn:
            lane = self.lanes[summary.session_id]
            bars = [
                [rel(b[0]), rel(b[1]), rel(b[2]), b[3], b[4]]
                for b in self._bars(lane, summary.last_seen or t0)
            ]
            marks = [
                [rel(t), types.setdefault(name, len(types)), conn, level, fields]
                for t, name, conn, level, fields in sorted(lane.marks, key=lambda m: m[0])
            ]
            lanes.append(
                {
                    "id": summary.session_id,
                    "model": summary.model,
                    "status": summary.final_status,
                    "start": rel(summary.first_seen),
                    "end": rel(summary.last_seen),
                    "bars": bars,
                    "marks": marks,
                    "left_out": lane.marks_left_out,
                }
            )
        notes = []
        not_drawn = len(summaries) - len(drawn)
        if not_drawn:
            notes.append(
                f"{not_drawn} sessions are in the table but not drawn (the page draws "
                f"at most {MAX_LANES} lanes): narrow with --since/--until/--model/--event."
            )
        if self.marks_left_out:
            notes.append(
                f"{self.marks_left_out} marks left out (at most {MAX_MARKS_PER_SESSION} per "
                f"session, {MAX_MARKS_TOTAL} in all): narrow with --event or --session."
            )
        return {
            "t0": t0,
            "span": max(t1 - t0, 0.001),
            "types": list(types),
            "lanes": lanes,
            "summary": [s.to_dict() for s in summaries],
            "footer": footer(stats, summarizer, len(summaries)),
            "notes": notes,
        }

    def write(
        self,
        path: str | os.PathLike[str],
        *,
        summaries: Sequence[SessionSummary],
        stats: ReadStats,
        summarizer: Summarizer,
        title: str = "live_actor sessions",
    ) -> None:
        """Write the page to *path* (replaced atomically), piece by piece: the data block
        is the only large one and is written once."""
        data = orjson.dumps(self._data(summaries, stats, summarizer), default=str)
        # JSON inside <script>: "</" could close the element, so it is escaped.
        data = data.replace(b"</", b"<\\/")
        assets = resources.files(__package__).joinpath("assets")
        css = assets.joinpath("timeline.css").read_text(encoding="utf-8")
        script = assets.joinpath("timeline.js").read_text(encoding="utf-8")
        template = assets.joinpath("timeline.html").read_text(encoding="utf-8")
        generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        head, tail = template.split("{{data}}")
        head = (
            head.replace("{{title}}", html.escape(title))
            .replace("{{generated}}", generated)
            .replace("{{css}}", css)
        )
        tail = tail.replace("{{script}}", script)
        target = os.fspath(path)
        partial = target + ".partial"
        with open(partial, "wb") as stream:
            stream.write(head.encode())
            stream.write(data)
            stream.write(tail.encode())
        os.replace(partial, target)
