"""A session's OpenTelemetry metrics and spans, recorded through the API only.

Imported only when a session starts with telemetry on (see the package doc).
The observer calls one method per moment it logs (a dial, ready, a completed
turn, a goAway, an exit, a reconnect, a resume, the close) and the tool runner
one per tool call; nothing here runs per audio chunk or per frame.

Metrics follow the GenAI semantic conventions where they exist
(``gen_ai.client.token.usage``, ``gen_ai.client.operation.duration``,
``gen_ai.client.operation.time_to_first_chunk``); live_actor's own are named
``live_actor.*``.  Spans: one per session, one per connection (its child), one
per ``toolCall`` (the connection's child).  No attribute carries user content
(text, audio, tool arguments or results) or a credential; see docs/telemetry.md.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, Final
from urllib.parse import urlsplit

import anyio
from opentelemetry import metrics, trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from opentelemetry.util.types import AttributeValue

from .._errors import LiveError
from .._protocol._messages import UsageMetadata
from .._protocol._usage import Usage
from . import INSTRUMENTATION_NAME, Providers, version

__all__ = ["ConnectionEndedError", "Instruments", "SessionTelemetry", "instruments_for"]

Attributes = dict[str, AttributeValue]

#: Bucket boundaries the semantic conventions advise for token counts and durations.
TOKEN_BUCKETS: Final = (
    1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
)  # fmt: skip
DURATION_BUCKETS: Final = (
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
)  # fmt: skip
#: Reconnect gaps: from a few milliseconds (a rotation) to minutes (an outage).
GAP_BUCKETS: Final = (
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
)  # fmt: skip

#: Exit kinds of a connection that failed (its span gets status ERROR).
FAILED_EXITS: Final = frozenset({"transient", "rejected", "fatal", "crash"})
#: Final statuses of a session that failed (its span gets status ERROR).
FAILED_SESSIONS: Final = frozenset({"gave_up", "failed"})


class ConnectionEndedError(LiveError):
    """Recorded on a connection span that ended badly without an exception of its own
    (a drop, a 1011 close): the message is the exit's cause."""


class Instruments:
    """The meter's instruments, made once per set of providers."""

    def __init__(self, meter: metrics.Meter, tracer: trace.Tracer) -> None:
        self.tracer = tracer
        self.token_usage = meter.create_histogram(
            "gen_ai.client.token.usage",
            unit="{token}",
            description="Number of input and output tokens used, per model turn.",
            explicit_bucket_boundaries_advisory=TOKEN_BUCKETS,
        )
        self.operation_duration = meter.create_histogram(
            "gen_ai.client.operation.duration",
            unit="s",
            description="Model turn duration: the request that triggered it to turnComplete.",
            explicit_bucket_boundaries_advisory=DURATION_BUCKETS,
        )
        self.time_to_first_chunk = meter.create_histogram(
            "gen_ai.client.operation.time_to_first_chunk",
            unit="s",
            description="The request that triggered a model turn to its first output.",
            explicit_bucket_boundaries_advisory=DURATION_BUCKETS,
        )
        self.sessions_active = meter.create_up_down_counter(
            "live_actor.sessions.active",
            unit="{session}",
            description="Sessions not yet closed, by their current status.",
        )
        self.reconnects = meter.create_counter(
            "live_actor.reconnects",
            unit="{reconnect}",
            description="Reconnects (restarts) of sessions, by the kind of exit that caused them.",
        )
        self.replayed = meter.create_counter(
            "live_actor.ledger.replayed",
            unit="{message}",
            description="Messages sent again on a new connection after a reconnect, by kind.",
        )
        self.dropped = meter.create_counter(
            "live_actor.ledger.dropped",
            unit="{message}",
            description="Accepted messages that were never delivered, by reason.",
        )
        self.time_to_ready = meter.create_histogram(
            "live_actor.time_to_ready",
            unit="s",
            description="Dial to setupComplete, per connection.",
            explicit_bucket_boundaries_advisory=DURATION_BUCKETS,
        )
        self.rotation_gap = meter.create_histogram(
            "live_actor.rotation.gap",
            unit="s",
            description="goAway rotation: the old connection's close to the new one serving.",
            explicit_bucket_boundaries_advisory=GAP_BUCKETS,
        )
        self.downtime = meter.create_histogram(
            "live_actor.downtime",
            unit="s",
            description="Reconnect: the last frame of the old connection to the new one serving.",
            explicit_bucket_boundaries_advisory=GAP_BUCKETS,
        )


def instruments_for(providers: Providers) -> Instruments:
    """The instruments of ``providers`` (``None`` members: the global providers)."""
    made: Instruments | None = providers._cache.get("instruments")
    if made is None:
        meter = metrics.get_meter(
            INSTRUMENTATION_NAME, version(), meter_provider=providers.meter_provider
        )
        tracer = trace.get_tracer(
            INSTRUMENTATION_NAME, version(), tracer_provider=providers.tracer_provider
        )
        made = providers._cache["instruments"] = Instruments(meter, tracer)
    return made


def _model_id(model: str) -> str:
    """``models/x`` and Vertex resource names -> ``x`` (no project id in attributes)."""
    return model.rsplit("/", 1)[-1]


def drop_reason(reason: str) -> str:
    """A ledger drop reason without its details (a bounded set of attribute values)."""
    return reason.split(" (", 1)[0]


class SessionTelemetry:
    """Metrics and spans of one session (the observer's telemetry hooks)."""

    def __init__(self, instruments: Instruments, *, model: str, auth: str, session_id: str) -> None:
        self._in = instruments
        vertex = auth == "vertex_ai"
        self._common: Final[Attributes] = {
            "gen_ai.operation.name": "generate_content",
            "gen_ai.provider.name": "gcp.vertex_ai" if vertex else "gcp.gemini",
            "gen_ai.system": "vertex_ai" if vertex else "gemini",
            "gen_ai.request.model": _model_id(model),
        }
        self._input_attrs = {**self._common, "gen_ai.token.type": "input"}
        self._output_attrs = {**self._common, "gen_ai.token.type": "output"}
        self._cut_attrs = {**self._common, "error.type": "connection_lost"}
        #: attribute sets per (key, value), made once each.
        self._by: dict[tuple[str, AttributeValue], Attributes] = {}
        self._session = instruments.tracer.start_span(
            "live_actor.session",
            kind=SpanKind.INTERNAL,
            attributes={
                **self._common,
                "live_actor.session.id": session_id,
                "gen_ai.conversation.id": session_id,
            },
        )
        self._session_context = trace.set_span_in_context(self._session)
        self._connection: Span | None = None
        self._connection_context: Any = None
        self._status: str | None = None
        self._exit_kind = ""
        self._rotating_at: float | None = None
        self._ended = False
        #: what was recorded so far, topped up to the session's totals at the close.
        self._input_tokens = 0
        self._output_tokens = 0
        self._replayed = 0
        self._dropped: Counter[str] = Counter()

    def _attrs(self, key: str, value: AttributeValue) -> Attributes:
        made = self._by.get((key, value))
        if made is None:
            made = self._by[(key, value)] = {**self._common, key: value}
        return made

    # ------------------------------------------------------------ connection

    def status(self, status: str) -> None:
        """The session's status changed: it moves between the ``sessions.active`` series
        (a closed session is in none)."""
        if status == self._status or self._ended:
            return
        if self._status is not None:
            self._in.sessions_active.add(-1, self._attrs("live_actor.session.status", self._status))
        if status == "closed":
            self._status = None
            return
        self._status = status
        self._in.sessions_active.add(1, self._attrs("live_actor.session.status", status))

    def connecting(self, number: int, *, url: str, resuming: bool) -> None:
        if self._connection is not None:  # never left open: the previous one ended unseen
            self._connection.end()
        attributes: Attributes = {
            **self._common,
            "live_actor.connection": number,
            "live_actor.resuming": resuming,
        }
        parts = urlsplit(url)  # the redacted URL: only its host and port are kept
        if parts.hostname:
            attributes["server.address"] = parts.hostname
        if parts.port:
            attributes["server.port"] = parts.port
        self._connection = self._in.tracer.start_span(
            "live_actor.connection",
            context=self._session_context,
            kind=SpanKind.CLIENT,
            attributes=attributes,
        )
        self._connection_context = trace.set_span_in_context(self._connection)

    def ready(self, *, resumed: bool, time_to_ready: float | None) -> None:
        if time_to_ready is not None:
            self._in.time_to_ready.record(time_to_ready, self._attrs("live_actor.resumed", resumed))
        if self._connection is not None:
            self._connection.add_event(
                "live_actor.setup_complete",
                {"live_actor.resumed": resumed, "live_actor.time_to_ready": time_to_ready or 0.0},
            )

    def turn_completed(
        self,
        usage: UsageMetadata | None,
        *,
        time_to_first_response: float | None,
        duration: float | None,
        cut: bool,
    ) -> None:
        """One model turn: its tokens, its duration (trigger -> turnComplete) and TTFR."""
        if usage is not None:
            spent_in, spent_out = _input_output(usage)
            self._in.token_usage.record(spent_in, self._input_attrs)
            self._in.token_usage.record(spent_out, self._output_attrs)
            self._input_tokens += spent_in
            self._output_tokens += spent_out
        if duration is not None:
            total = duration + (time_to_first_response or 0.0)
            self._in.operation_duration.record(total, self._cut_attrs if cut else self._common)
        if time_to_first_response is not None:
            self._in.time_to_first_chunk.record(time_to_first_response, self._common)

    def go_away(self, time_left: float) -> None:
        if self._connection is not None:
            self._connection.add_event("live_actor.go_away", {"live_actor.time_left": time_left})

    def rotating(self, *, safe_point: bool, waited: float | None, time_left: float) -> None:
        self._rotating_at = anyio.current_time()
        if self._connection is not None:
            self._connection.add_event(
                "live_actor.rotating",
                {
                    "live_actor.safe_point": safe_point,
                    "live_actor.waited": waited or 0.0,
                    "live_actor.time_left": time_left,
                },
            )

    # ------------------------------------------------------------ supervision

    def exited(
        self, kind: str, *, code: int | None, cause: str, during_setup: bool, error: object
    ) -> None:
        """The connection ended: its span ends, with the exit (ERROR when it failed)."""
        self._exit_kind = kind
        span, self._connection = self._connection, None
        self._connection_context = None
        if span is None:
            return
        span.set_attribute("live_actor.exit.kind", kind)
        span.set_attribute("live_actor.exit.cause", cause)
        span.set_attribute("live_actor.exit.during_setup", during_setup)
        if code is not None:
            span.set_attribute("live_actor.exit.code", code)
        if kind in FAILED_EXITS:
            exc = error if isinstance(error, BaseException) else ConnectionEndedError(cause)
            span.record_exception(exc)
            span.set_attribute("error.type", type(exc).__qualname__)
            span.set_status(Status(StatusCode.ERROR, cause))
        span.end()

    def reconnecting(self, kind: str) -> None:
        self._in.reconnects.add(1, self._attrs("live_actor.exit.kind", kind))

    def resumed(
        self,
        *,
        replayed_by_kind: Mapping[str, int],
        dropped: Mapping[str, int],
        downtime: float | None,
        state_restored: bool,
    ) -> None:
        """The new connection serves: what was replayed and dropped, and the gap."""
        replayed = 0
        for kind, count in replayed_by_kind.items():
            self._in.replayed.add(count, self._attrs("live_actor.message.kind", kind))
            replayed += count
        self._replayed += replayed
        for reason, count in dropped.items():
            self._count_dropped(reason, count)
        kind = self._exit_kind
        if downtime is not None:
            self._in.downtime.record(downtime, self._attrs("live_actor.exit.kind", kind))
        if kind == "planned" and self._rotating_at is not None:
            gap = anyio.current_time() - self._rotating_at
            self._in.rotation_gap.record(gap, self._common)
        self._rotating_at = None
        if self._connection is not None:
            self._connection.add_event(
                "live_actor.resumed",
                {
                    "live_actor.state_restored": state_restored,
                    "live_actor.replayed": replayed,
                    "live_actor.dropped": sum(dropped.values()),
                    "live_actor.downtime": downtime or 0.0,
                },
            )

    def _count_dropped(self, reason: str, count: int) -> None:
        if count > 0:
            self._dropped[reason] += count
            self._in.dropped.add(count, self._attrs("live_actor.drop.reason", drop_reason(reason)))

    def closed(
        self,
        *,
        code: int | None,
        error: BaseException | None,
        final_status: str,
        connections: int,
        restarts: int,
        replayed: int,
        dropped_reasons: Mapping[str, int],
        usage: Usage,
    ) -> None:
        """The session is over: counters reach its totals, the session span ends."""
        if self._ended:
            return
        self._ended = True
        if self._status is not None:
            self._in.sessions_active.add(-1, self._attrs("live_actor.session.status", self._status))
            self._status = None
        # Tokens of a turn cut before turnComplete, replays and drops not seen at a
        # resume (a refused message, the close itself) are recorded now.
        spent_in, spent_out = _input_output(usage)
        if spent_in > self._input_tokens:
            self._in.token_usage.record(spent_in - self._input_tokens, self._input_attrs)
        if spent_out > self._output_tokens:
            self._in.token_usage.record(spent_out - self._output_tokens, self._output_attrs)
        if replayed > self._replayed:
            self._in.replayed.add(
                replayed - self._replayed, self._attrs("live_actor.message.kind", "unknown")
            )
        for reason, count in dropped_reasons.items():
            self._count_dropped(reason, count - self._dropped[reason])
        if self._connection is not None:
            self._connection.end()
            self._connection = None
        span = self._session
        span.set_attributes(
            {
                "live_actor.final_status": final_status,
                "live_actor.connections": connections,
                "live_actor.restarts": restarts,
                "gen_ai.usage.input_tokens": spent_in,
                "gen_ai.usage.output_tokens": spent_out,
            }
        )
        if code is not None:
            span.set_attribute("live_actor.close.code", code)
        if final_status in FAILED_SESSIONS:
            if error is not None:
                span.record_exception(error)
                span.set_attribute("error.type", type(error).__qualname__)
            span.set_status(Status(StatusCode.ERROR, str(error) if error else final_status))
        span.end()

    # ------------------------------------------------------------------ tools

    def tool_started(self, names: Sequence[str | None], ids: Sequence[str]) -> Span:
        """A span for one ``toolCall`` (names and ids only: never the arguments)."""
        tool_names = [name or "" for name in names]
        attributes: Attributes = {
            "gen_ai.operation.name": "execute_tool",
            "live_actor.tool.names": tool_names,
            "live_actor.tool.call_ids": list(ids),
        }
        span_name = "execute_tool"
        if len(tool_names) == 1:
            span_name = f"execute_tool {tool_names[0]}"
            attributes["gen_ai.tool.name"] = tool_names[0]
            if len(ids) == 1:
                attributes["gen_ai.tool.call.id"] = ids[0]
        return self._in.tracer.start_span(
            span_name,
            context=self._connection_context or self._session_context,
            kind=SpanKind.INTERNAL,
            attributes=attributes,
        )

    def tool_finished(self, span: Span, outcome: str, failure: BaseException | None) -> None:
        span.set_attribute("live_actor.tool.outcome", outcome)
        if outcome == "error":
            if failure is not None:
                span.record_exception(failure)
                span.set_attribute("error.type", type(failure).__qualname__)
            span.set_status(Status(StatusCode.ERROR, "the tool failed"))
        elif outcome == "timeout":
            span.set_attribute("error.type", "timeout")
            span.set_status(Status(StatusCode.ERROR, "the tool did not answer in time"))
        span.end()


def _input_output(usage: UsageMetadata | Usage) -> tuple[int, int]:
    """Input (prompt + tool-use prompt) and output (response + thoughts) tokens."""
    spent_in = (usage.prompt_token_count or 0) + (usage.tool_use_prompt_token_count or 0)
    spent_out = (usage.response_token_count or 0) + (usage.thoughts_token_count or 0)
    return spent_in, spent_out
