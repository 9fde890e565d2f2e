"""Synthetic live_actor logs built per the event contract (docs/logs.md), with known answers.

:class:`Session` writes one session's events with explicit incidents, and keeps the
figures a correct reader must report (``expected``), computed here from what was
written, never by the code under test.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

T0 = 1_796_150_000.0  # 2026-12-01T...Z: a fixed clock, so outputs are deterministic


def iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Session:
    """Builds one session's events; every method advances the session's clock."""

    def __init__(self, sid: str, *, model: str = "gemini-live-2.5-flash-preview",
                 start: float = T0) -> None:
        self.sid = sid
        self.model = model
        self.now = start
        self.connection = 0
        self.events: list[dict[str, Any]] = []
        self.restarts: dict[str, int] = {}
        self.turns = 0
        self.tokens = 0
        self.replayed = 0
        self.dropped = 0
        self.downtime = 0.0

    def emit(
        self, name: str, level: str = "info", *, dt: float = 0.0, **fields: Any
    ) -> dict[str, Any]:
        self.now += dt
        event = {"timestamp": self.now, "level": level, "event": name,
                 "session_id": self.sid, "model": self.model}
        if self.connection:
            event["connection"] = self.connection
        event.update(fields)
        self.events.append(event)
        return event

    def dial(self, *, resuming: bool = False, dt: float = 0.0) -> Session:
        self.connection += 1
        self.emit("live_actor.session.status", "debug", dt=dt, status="connecting")
        self.emit("live_actor.session.connect", url="wss://example/ws?key=REDACTED",
                  resuming=resuming)
        self.emit("live_actor.session.setup_complete", dt=0.2, resumed=resuming,
                  time_to_ready=0.2)
        self.emit("live_actor.session.status", "debug", status="ready")
        return self

    def turn(self, prompt: int = 10, response: int = 20, *, dt: float = 1.0,
             interrupted: bool = False) -> Session:
        self.turns += 1
        self.tokens += prompt + response
        self.emit("live_actor.session.usage", "debug", dt=dt, prompt_tokens=prompt,
                  response_tokens=response, total_tokens=prompt + response)
        self.emit("live_actor.session.turn_complete", turn=self.turns,
                  time_to_first_response=0.4, duration=0.6, prompt_tokens=prompt,
                  response_tokens=response, total_tokens=prompt + response,
                  tokens_by_modality={"prompt": {"TEXT": prompt}, "response": {"TEXT": response}},
                  interrupted=interrupted, cut=False)
        return self

    def tool(self, name: str = "lookup", outcome: str = "ok") -> Session:
        ids = [f"{self.sid}-call-{len(self.events)}"]
        self.emit("live_actor.session.tool_call", dt=0.5, names=[name], ids=ids)
        self.emit("live_actor.session.tool_result", dt=0.1, ids=ids, names=[name],
                  duration=0.1, outcome=outcome)
        return self

    def _resume(self, cause: str, down: float, replayed: int, dropped: int,
                restored: bool = True) -> None:
        self.dial(resuming=True)
        self.downtime += down
        self.replayed += replayed
        self.dropped += dropped
        self.emit("live_actor.supervisor.resumed", state_restored=restored, cause=cause,
                  downtime=down, replayed=replayed,
                  replayed_by_kind={"client_content": replayed} if replayed else {},
                  replayed_ids=list(range(replayed)), dropped=dropped,
                  dropped_reasons={"media_overflow": dropped} if dropped else {},
                  reseeded_turns=0)

    def go_away(self, *, down: float = 0.25) -> Session:
        self.emit("live_actor.session.go_away", dt=0.5, time_left=10.0)
        self.emit("live_actor.supervisor.rotating", dt=0.3, notice=10.0, waited=0.3,
                  safe_point=True, time_left=9.7)
        self.emit("live_actor.supervisor.exit", kind="planned", code=1000, reason="",
                  during_setup=False, cause="go_away")
        self.restarts["planned"] = self.restarts.get("planned", 0) + 1
        self.emit("live_actor.supervisor.reconnecting", attempt=1, delay=0.0,
                  cause="go_away", kind="planned")
        self._resume("planned", down, 0, 0)
        return self

    def drop(self, *, down: float = 1.5, replayed: int = 2, dropped: int = 1,
             restored: bool = True) -> Session:
        self.emit("live_actor.supervisor.exit", dt=0.5, kind="transient", code=1006,
                  reason="", during_setup=False, cause="connection lost")
        self.restarts["transient"] = self.restarts.get("transient", 0) + 1
        self.emit("live_actor.supervisor.reconnecting", attempt=1, delay=1.0,
                  cause="connection lost", kind="transient")
        self.now += 1.0
        self._resume("transient", down, replayed, dropped, restored)
        return self

    def close(self, final_status: str = "closed", **overrides: Any) -> Session:
        fields: dict[str, Any] = dict(
            code=1000, reason="", error=None, final_status=final_status,
            connections=self.connection, restarts=sum(self.restarts.values()),
            restarts_by_cause=dict(self.restarts), dropped=self.dropped,
            ledger={"accepted": 10, "sent": 10, "queued": 0, "replayed": self.replayed,
                    "confirmed": 9, "dropped": self.dropped, "dropped_media": self.dropped,
                    "unconfirmed_at_close": 0},
            usage={"turns": self.turns, "prompt_tokens": 0, "response_tokens": 0,
                   "total_tokens": self.tokens},
        )
        fields.update(overrides)
        self.emit("live_actor.session.closed", dt=0.5, **fields)
        return self


def merged(*sessions: Session) -> list[dict[str, Any]]:
    """All sessions' events in time order (stable: a session's own order on ties)."""
    return sorted((e for s in sessions for e in s.events), key=lambda e: e["timestamp"])


def to_lines(events: list[dict[str, Any]], *, timestamps: str = "iso") -> list[bytes]:
    """JSON lines; ``timestamps`` is ``iso``, ``epoch`` or ``mixed`` (alternating)."""
    out = []
    for i, event in enumerate(events):
        event = dict(event)
        if timestamps == "iso" or (timestamps == "mixed" and i % 2 == 0):
            event["timestamp"] = iso(event["timestamp"])
        out.append(orjson.dumps(event) + b"\n")
    return out


#: Lines every reader must survive: counted, skipped, never a crash.
MALFORMED = [
    b'{"event": "live_actor.session.connect", "session_id": "x"\n',  # cut short
    b"not json at all\n",
    b"[1, 2, 3]\n",  # JSON, not an object
    b'"just a string"\n',
    b"\xff\xfe\x00 not utf-8\n",
]
OTHER_LOGGERS = [
    b'{"timestamp": "2026-12-01T18:00:00Z", "level": "info", "event": "GET /health 200"}\n',
    b'{"timestamp": 1796150000.5, "level": "warning", "event": "app.cache.miss", "key": 1}\n',
    b'{"message": "no event key at all", "level": "info"}\n',
]


def write_log(path: Any, lines: list[bytes]) -> str:
    with open(path, "wb") as stream:
        stream.writelines(lines)
    return str(path)
