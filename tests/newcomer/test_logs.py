"""The README's log events and their fields.

Each test quotes (in its docstring) the claim it checks and uses only the public
API; each assertion would fail if the quoted claim were false.
"""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

import live_actor
from live_actor import types
from live_actor.testing import FakeLiveServer

from ..helpers import API_KEY, TEXT_MODEL, eventually, text_config
from ._support import README, no_jitter

pytestmark = pytest.mark.anyio


README_EVENTS = (
    {
        f"live_actor.session.{name}"
        for name in [
            "status",
            "connect",
            "connect_failed",
            "setup_complete",
            "go_away",
            "resumption_update",
            "tool_call",
            "tool_call_cancellation",
            "tool_error",
            "tool_result",
            "turn_complete",
            "usage",
            "malformed_frame",
            "message_rejected",
            "message_too_big",
            "callback_error",
            "callback_overflow",
            "ledger_full",
            "event_overflow",
            "closed",
        ]
    }
    | {
        f"live_actor.supervisor.{name}"
        for name in [
            "rotating",
            "exit",
            "reconnecting",
            "resumed",
            "handle_rejected",
            "gave_up",
            "shutdown",
        ]
    }
    | {f"live_actor.transport.{name}" for name in ["reader_crashed", "compression_unsupported"]}
    | {
        f"live_actor.store.{name}"
        for name in [
            "unavailable",
            "recovered",
            "error",
            "lease_lost",
            "adopted",
            "adopt_failed",
            "drain",
            "handed_over",
        ]
    }
)


def test_readme_event_names_are_the_stable_list() -> None:
    """README "Logs": the event names listed, "(live_actor._log.EVENTS)"."""
    from live_actor._log import EVENTS  # named by the README itself

    assert set(EVENTS) == README_EVENTS
    for name in README_EVENTS:
        short = name.rsplit(".", 1)[1]
        assert short in README


async def test_log_events_are_bound_to_session_model_and_connection(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """README: "Stable event names, bound to session_id, model and connection"."""
    with capture_logs() as logs:
        async with live_actor.open_session(
            text_config(), api_key=API_KEY, base_url=server.url, policy=no_jitter()
        ) as session:
            await session.send_client_content("hello")
            await session.receive_turn()
            server.connections[0].drop()
            await eventually(lambda: session.connection_number == 2)
            await session.wait_ready()
    ours = [e for e in logs if str(e["event"]).startswith("live_actor.")]
    assert {e["event"] for e in ours} <= README_EVENTS
    assert all(e.get("session_id") == session.session_id for e in ours)
    assert all(e.get("model") == TEXT_MODEL for e in ours)
    unbound = sorted({e["event"] for e in ours if "connection" not in e})
    assert unbound == []


async def test_event_buffer_overflow_drops_oldest_and_logs(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """README: buffered "up to SessionOptions(event_buffer=10_000) (oldest dropped and
    counted beyond it)"; CHANGELOG: with on_message the overflow is logged at debug, not
    as a warning."""
    for with_callback in (False, True):
        callbacks = {"on_message": lambda m: None} if with_callback else {}
        with capture_logs() as logs:
            async with live_actor.open_session(
                text_config(),
                api_key=API_KEY,
                base_url=server.url,
                options=live_actor.SessionOptions(event_buffer=2),
                **callbacks,
            ) as session:
                await session.send_client_content("one two three four five six seven eight")
                await eventually(lambda: any(e["event"].endswith("event_overflow") for e in logs))
        kept = [m async for m in session.events()]
        assert len(kept) <= 2
        overflow = [e for e in logs if e["event"] == "live_actor.session.event_overflow"]
        assert overflow and overflow[0]["dropped"] >= 1
        assert overflow[0]["log_level"] == ("debug" if with_callback else "warning")


async def test_event_buffer_zero_keeps_nothing(anyio_backend: str, server: FakeLiveServer) -> None:
    """README: "a session that only uses callbacks can pass event_buffer=0 to keep
    nothing" (while the callbacks still see every message)."""
    seen: list[types.ServerMessage] = []
    async with live_actor.open_session(
        text_config(),
        api_key=API_KEY,
        base_url=server.url,
        options=live_actor.SessionOptions(event_buffer=0),
        on_message=seen.append,
    ) as session:
        await session.send_client_content("hello")
        await eventually(
            lambda: any(m.server_content and m.server_content.turn_complete for m in seen)
        )
    assert [m async for m in session.events(lifecycle=True)] == []
