"""Metrics and spans of real sessions against the fake server, read from the SDK's
in-memory reader and exporter: the values must be the ones the handles report."""

from __future__ import annotations

from collections import Counter
from typing import Any

import anyio
import pytest
from opentelemetry.trace import SpanKind, StatusCode

import live_actor
from live_actor.telemetry import METRICS
from live_actor.testing import FakeLiveServer

from ..helpers import eventually
from .conftest import API_KEY, WEATHER_TOOL, Otel, text_config

pytestmark = pytest.mark.anyio

#: User content of the scenario: none of it may appear in any attribute.
USER_CONTENT = ("Paris", "Lisbon", "temp_c", "what is my city", API_KEY)


def attribute_values(otel: Otel) -> list[str]:
    """Every attribute value of every span, span event and metric data point, as text."""
    values: list[str] = []
    for span in otel.spans():
        values += [f"{k}={v}" for k, v in (span.attributes or {}).items()]
        for event in span.events:
            values += [f"{k}={v}" for k, v in (event.attributes or {}).items()]
        values.append(span.status.description or "")
    data = otel.reader.get_metrics_data()
    for resource in data.resource_metrics if data is not None else ():
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                for point in metric.data.data_points:
                    values += [f"{k}={v}" for k, v in point.attributes.items()]
    return values


async def test_a_drop_a_rotation_and_a_tool_call(server: FakeLiveServer, otel: Otel) -> None:
    causes: list[str] = []
    policy = live_actor.RestartPolicy(backoff_base=0.01, random=lambda: 0.0)

    def weather(call: live_actor.ToolCall) -> dict[str, Any]:
        return {"temp_c": 21}

    async with live_actor.open_session(
        text_config(tools=[WEATHER_TOOL]),
        api_key=API_KEY,
        base_url=server.url,
        policy=policy,
        options=otel.options(),
        on_tool_call=weather,
        on_reconnecting=lambda attempt, delay, cause: causes.append(cause),
    ) as session:
        # connection 1: a tool call within a turn, then a drop
        await session.send_client_content("call get_weather city=Paris")
        assert '{"temp_c":21}' in (await session.receive_turn()).text
        ready = {"live_actor.session.status": "ready"}
        assert otel.total("live_actor.sessions.active", **ready) == 1
        conn = await server.wait_for_connection()
        # The handle that trails the tool turn holds it; a drop before it arrived would
        # resume from an older one and ask the tool question again (correctly).
        await eventually(lambda: session.ledger.confirmed == session.ledger.sent, "the handle")
        # sent after the last resumption handle: replayed on the next connection
        await session.send_client_content("my city is Lisbon", turn_complete=False)
        await server.wait_for(lambda: any("Lisbon" in t for t in conn.session.control_texts()))
        conn.drop()
        # connection 2: a completed turn (a useful connection), then a goAway
        conn = await server.wait_for_connection(2)
        await session.send_client_content("what is my city")
        assert "Lisbon" in (await session.receive_turn()).text
        conn.go_away(5.0)
        await server.wait_for_connection(3)
        with anyio.fail_after(10):
            await session.wait_ready()
        # connection 3: one more turn, then the close
        await session.send_client_content("thanks")
        await session.receive_turn()
        assert session.connection_number == 3
    usage, ledger = session.usage, session.ledger

    # ---- metrics: the documented names and units, and the same numbers as the handle
    data = otel.reader.get_metrics_data()
    assert data is not None
    recorded = {
        metric.name: metric.unit
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
    }
    assert {name: unit for name, (_kind, unit) in METRICS.items() if name in recorded} == recorded
    assert set(METRICS) - set(recorded) == {"live_actor.ledger.dropped"}  # nothing dropped
    tokens_in = otel.total("gen_ai.client.token.usage", **{"gen_ai.token.type": "input"})
    tokens_out = otel.total("gen_ai.client.token.usage", **{"gen_ai.token.type": "output"})
    assert tokens_in == usage.prompt_token_count + usage.tool_use_prompt_token_count > 0
    assert tokens_out == usage.response_token_count + usage.thoughts_token_count > 0
    assert tokens_in + tokens_out == usage.total_token_count
    assert otel.count("gen_ai.client.operation.duration") == usage.turns == 3
    assert otel.count("gen_ai.client.operation.time_to_first_chunk") == 3
    kinds = Counter(cause.split()[0] for cause in causes)
    assert kinds == {"transient": 1, "planned": 1}
    assert otel.by("live_actor.reconnects", "live_actor.exit.kind") == kinds
    assert otel.total("live_actor.reconnects") == session.restarts == 2
    assert ledger.replayed > 0
    assert otel.total("live_actor.ledger.replayed") == ledger.replayed
    assert otel.by("live_actor.ledger.replayed", "live_actor.message.kind")["client_content"] > 0
    assert otel.total("live_actor.ledger.dropped") == ledger.dropped
    assert otel.count("live_actor.time_to_ready") == 3
    assert otel.count("live_actor.time_to_ready", **{"live_actor.resumed": True}) == 2
    assert otel.count("live_actor.downtime", **{"live_actor.exit.kind": "transient"}) == 1
    assert otel.count("live_actor.downtime", **{"live_actor.exit.kind": "planned"}) == 1
    assert otel.count("live_actor.rotation.gap") == 1
    assert 0 < otel.total("live_actor.rotation.gap") < 5.0  # rotated before the deadline
    active = otel.by("live_actor.sessions.active", "live_actor.session.status")
    assert active == {}, "a closed session counts in no status"
    for point in otel.points("gen_ai.client.token.usage"):
        assert point.attributes["gen_ai.provider.name"] == "gcp.gemini"
        assert point.attributes["gen_ai.system"] == "gemini"
        assert point.attributes["gen_ai.request.model"] == "gemini-live-2.5-flash-preview"
        assert point.attributes["gen_ai.operation.name"] == "generate_content"

    # ---- spans: session > 3 connections > 1 tool call
    (session_span,) = otel.spans("live_actor.session")
    connections = sorted(
        otel.spans("live_actor.connection"), key=lambda s: s.attributes["live_actor.connection"]
    )
    (tool_span,) = otel.spans("execute_tool")
    assert session_span.parent is None
    assert session_span.attributes["live_actor.session.id"] == session.session_id
    assert session_span.attributes["live_actor.final_status"] == "closed"
    assert session_span.attributes["live_actor.connections"] == 3
    assert session_span.attributes["live_actor.restarts"] == 2
    assert session_span.attributes["gen_ai.usage.input_tokens"] == tokens_in
    assert session_span.status.status_code is StatusCode.UNSET
    assert [s.attributes["live_actor.connection"] for s in connections] == [1, 2, 3]
    for span in connections:
        assert span.kind is SpanKind.CLIENT
        assert span.parent is not None
        assert span.parent.span_id == session_span.context.span_id
        assert span.context.trace_id == session_span.context.trace_id
        assert span.end_time is not None and session_span.end_time is not None
        assert span.end_time <= session_span.end_time
    dropped, rotated, closed = connections
    assert dropped.attributes["live_actor.exit.kind"] == "transient"
    assert dropped.attributes["live_actor.exit.code"] == 1006
    assert dropped.attributes["live_actor.exit.cause"] == causes[0] == "transient close 1006"
    assert dropped.status.status_code is StatusCode.ERROR
    (exception,) = [e for e in dropped.events if e.name == "exception"]
    assert exception.attributes["exception.message"] == "transient close 1006"
    assert rotated.attributes["live_actor.exit.kind"] == "planned"
    assert rotated.attributes["live_actor.resuming"] is True
    assert rotated.status.status_code is StatusCode.UNSET
    assert [e.name for e in rotated.events if e.name != "live_actor.setup_complete"] == [
        "live_actor.resumed",
        "live_actor.go_away",
        "live_actor.rotating",
    ]
    assert closed.attributes["live_actor.exit.kind"] == "normal"
    assert closed.status.status_code is StatusCode.UNSET
    assert tool_span.name == "execute_tool get_weather"
    assert tool_span.parent is not None and tool_span.parent.span_id == dropped.context.span_id
    assert tool_span.attributes["gen_ai.tool.name"] == "get_weather"
    assert tool_span.attributes["gen_ai.tool.call.id"].startswith("function-call-")
    assert tool_span.attributes["live_actor.tool.outcome"] == "ok"
    assert tool_span.status.status_code is StatusCode.UNSET

    # ---- no user content anywhere
    values = attribute_values(otel)
    leaks = [v for v in values if any(content in v for content in USER_CONTENT)]
    assert not leaks


async def test_failures_are_recorded(server: FakeLiveServer, otel: Otel) -> None:
    """A failing tool, a tool past its timeout, and a session that gave up."""
    errors: list[Exception] = []

    async def tool(call: live_actor.ToolCall) -> dict[str, Any]:
        city = (call.function_calls or [])[0].args or {}
        if city.get("city") == "Atlantis":
            raise LookupError("no such city")
        await anyio.sleep(30)  # Rome: past the tool timeout
        return {"temp_c": 0}

    policy = live_actor.RestartPolicy(max_restarts=0, random=lambda: 0.0)
    async with live_actor.open_session(
        text_config(tools=[WEATHER_TOOL]),
        api_key=API_KEY,
        base_url=server.url,
        policy=policy,
        options=otel.options(tool_timeout=0.2),
        on_tool_call=tool,
        on_error=errors.append,
    ) as session:
        await session.send_client_content("call get_weather city=Atlantis")
        assert "no such city" in (await session.receive_turn()).text
        await session.send_client_content("call get_weather city=Rome")
        assert "did not answer" in (await session.receive_turn()).text
        (await server.wait_for_connection()).drop()  # charged, and no restart is left
        with anyio.fail_after(10):
            await session.wait_closed()
    assert isinstance(session.error, live_actor.GaveUpError)

    failed, timed_out = sorted(otel.spans("execute_tool"), key=lambda s: s.start_time or 0)
    assert failed.status.status_code is StatusCode.ERROR
    assert failed.attributes["live_actor.tool.outcome"] == "error"
    assert failed.attributes["error.type"] == "LookupError"
    (exception,) = [e for e in failed.events if e.name == "exception"]
    assert exception.attributes["exception.type"] == "LookupError"
    assert "Traceback" in str(exception.attributes["exception.stacktrace"])
    assert timed_out.status.status_code is StatusCode.ERROR
    assert timed_out.attributes["live_actor.tool.outcome"] == "timeout"
    assert timed_out.attributes["error.type"] == "timeout"

    (session_span,) = otel.spans("live_actor.session")
    assert session_span.attributes["live_actor.final_status"] == "gave_up"
    assert session_span.status.status_code is StatusCode.ERROR
    (exception,) = [e for e in session_span.events if e.name == "exception"]
    assert exception.attributes["exception.type"] == "live_actor._errors.GaveUpError"
    assert "more than 0 restarts" in str(exception.attributes["exception.message"])
    (connection,) = otel.spans("live_actor.connection")
    assert connection.status.status_code is StatusCode.ERROR
    assert otel.total("live_actor.reconnects") == 0
    assert otel.by("live_actor.sessions.active", "live_actor.session.status") == {}


async def test_many_sessions_add_up(server: FakeLiveServer, otel: Otel) -> None:
    """Sessions share the instruments: counters sum over them, spans stay apart."""
    async with live_actor.Supervisor(options=otel.options()) as sup:
        handles = [
            await sup.start_session(text_config(), api_key=API_KEY, base_url=server.url)
            for _ in range(4)
        ]
        for number, handle in enumerate(handles):
            await handle.connect()
            await handle.send_client_content(f"hello {number}")
            await handle.receive_turn()
        ready = {"live_actor.session.status": "ready"}
        assert otel.total("live_actor.sessions.active", **ready) == 4
        await handles[0].close()
        assert otel.total("live_actor.sessions.active", **ready) == 3
    total = sum(h.usage.total_token_count for h in handles)
    assert otel.total("gen_ai.client.token.usage") == total
    sessions = otel.spans("live_actor.session")
    assert sorted(s.attributes["live_actor.session.id"] for s in sessions) == sorted(
        h.session_id for h in handles
    )
    assert len({s.context.trace_id for s in sessions}) == 4  # one trace per session
    assert otel.by("live_actor.sessions.active", "live_actor.session.status") == {}
