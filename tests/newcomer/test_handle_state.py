"""The README's status machine and what the handle tells about the session.

Each test quotes (in its docstring) the claim it checks and uses only the public
API; each assertion would fail if the quoted claim were false.
"""

from __future__ import annotations

import anyio
import anyio.lowlevel
import pytest
from structlog.testing import capture_logs

import live_actor
from live_actor.testing import FakeLiveServer

from ..helpers import API_KEY, eventually, text_config
from ._support import answer_to

pytestmark = pytest.mark.anyio


async def test_status_machine_values_and_transitions(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """README: ``disconnected → connecting → setup_pending → ready → closing → closed``."""
    assert [s.value for s in live_actor.SessionStatus] == [
        "disconnected",
        "connecting",
        "setup_pending",
        "ready",
        "closing",
        "closed",
    ]
    with capture_logs() as logs:
        async with live_actor.Supervisor() as sup:
            session = await sup.start_session(text_config(), api_key=API_KEY, base_url=server.url)
            assert session.status is live_actor.SessionStatus.CONNECTING  # dialling at once
            await session.connect()
            assert session.status is live_actor.SessionStatus.READY
            await session.close()
            assert session.status is live_actor.SessionStatus.CLOSED
    seen = [e["status"] for e in logs if e["event"] == "live_actor.session.status"]
    assert seen[:3] == ["connecting", "setup_pending", "ready"]
    assert seen[-1] == "closed"


async def test_status_is_closing_while_a_close_is_in_progress(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """README lists a ``closing`` state: a close waiting for a stalled server shows it."""
    options = live_actor.SessionOptions(transport=live_actor.TransportOptions(close_timeout=0.3))
    async with live_actor.open_session(
        text_config(), api_key=API_KEY, base_url=server.url, options=options
    ) as session:
        conn = await server.wait_for_connection()
        conn.stall(2.0)
        async with anyio.create_task_group() as tg:
            tg.start_soon(session.close)
            await eventually(lambda: session.status is not live_actor.SessionStatus.READY)
            assert session.status in (live_actor.SessionStatus.CLOSING,)
    assert session.status is live_actor.SessionStatus.CLOSED


async def test_handle_state_attributes(anyio_backend: str, server: FakeLiveServer) -> None:
    """README "State on the handle": resumption_handle (also get_session_handle()), usage
    (each turn counted once), connection_usage, ledger, connection, pending_tool_calls,
    error, close_code/close_reason."""
    async with live_actor.open_session(
        text_config(), api_key=API_KEY, base_url=server.url, restart="transient"
    ) as session:
        await session.send_client_content("my name is Alice")
        await session.receive_turn()
        await session.send_client_content("what is my name")
        await session.receive_turn()
        assert session.resumption_handle
        assert session.get_session_handle() == session.resumption_handle
        sid = server.connections[0].session_id
        assert session.resumption_handle in server.session(sid).handles
        assert session.usage.turns == 2
        assert session.connection_usage.turns == 2
        assert session.usage.total_token_count == (
            session.usage.prompt_token_count + session.usage.response_token_count
        )
        assert session.ledger.accepted == 2 and session.ledger.sent == 2
        assert session.connection_number == 1
        assert session.pending_tool_calls == ()
        assert session.error is None
        assert session.close_code is None
        # a reconnect: usage is kept, connection_usage restarts
        server.connections[0].drop()
        await eventually(lambda: session.connection_number == 2)
        await session.wait_ready()
        await session.send_client_content("what is my name")
        assert await answer_to(session, "Your name") == "Your name is Alice."
        assert session.connection_usage.turns in (1, 2)  # 2 if "my name is" was repeated
        assert session.usage.turns == 2 + session.connection_usage.turns
    assert session.close_code == 1000
    assert session.close_reason
    assert session.error is None


async def test_usage_counts_each_turn_once(anyio_backend: str, server: FakeLiveServer) -> None:
    """README: ``usage`` (each turn counted once): totals equal the sum of the final
    usageMetadata of each turn, although the server sends usage with several messages."""
    async with live_actor.open_session(
        text_config(), api_key=API_KEY, base_url=server.url
    ) as session:
        await session.send_client_content("one two three")
        turn = await session.receive_turn()
    snapshots = [m.usage_metadata for m in turn.messages if m.usage_metadata is not None]
    assert snapshots
    last = snapshots[-1]
    assert session.usage.turns == 1
    assert session.usage.total_token_count == last.total_token_count
    assert session.usage.prompt_token_count == last.prompt_token_count
