"""Nothing lost, nothing hung (issue 10): callbacks, cancellation, tools, shutdown, memory."""

from __future__ import annotations

import gc
import time
import tracemalloc
from typing import Any

import anyio
import pytest
import structlog

import live_actor
from live_actor import SessionOptions, open_session
from live_actor.testing import FakeLiveServer

from ..helpers import API_KEY, eventually, text_config

pytestmark = pytest.mark.anyio

LOOKUP = {"function_declarations": [{"name": "lookup", "parameters": {"type": "OBJECT"}}]}


# ------------------------------------------------------------------- callbacks (item 2)


async def test_on_close_and_the_final_error_outlive_a_slow_on_message_backlog(
    server: FakeLiveServer,
) -> None:
    """When queued on_message calls outlast shutdown_timeout, they are dropped (counted)
    to make room: on_error with the final error and on_close still run."""
    seen: list[Any] = []

    async def slow_on_message(message: live_actor.types.ServerMessage) -> None:
        await anyio.sleep(0.3)

    options = SessionOptions(shutdown_timeout=0.5, close_callback_timeout=1.0)
    started = time.monotonic()
    async with open_session(
        text_config(),
        api_key=API_KEY,
        base_url=server.url,
        restart="temporary",
        options=options,
        on_message=slow_on_message,
        on_error=seen.append,
        on_close=lambda code, reason: seen.append(("close", code)),
    ) as session:
        await session.send_client_content("please repeat: " + " ".join(["word"] * 60))
        await session.receive_turn()  # dozens of messages now wait for the slow callback
        (await server.wait_for_connection()).close(1011, "Internal error occurred.")
        with anyio.fail_after(10):
            await session.wait_closed()
    assert time.monotonic() - started < 8
    assert isinstance(seen[-2], live_actor.SessionClosedError)  # the final error
    assert seen[-1] == ("close", 1011)
    queue = session._actor.delivery.queue
    assert queue.dropped > 0 and queue.dropped_by_name.get("on_message", 0) > 0


async def test_the_callback_queue_is_bounded_and_counts_what_it_drops(
    server: FakeLiveServer,
) -> None:
    """The queue never blocks the reader: beyond callback_buffer bytes the oldest
    on_message calls are dropped and counted; lifecycle callbacks never are."""
    release = anyio.Event()
    lifecycle: list[str] = []
    went_away = anyio.Event()

    def on_go_away(*_: object) -> None:
        lifecycle.append("go_away")
        went_away.set()

    async def stuck(message: live_actor.types.ServerMessage) -> None:
        await release.wait()

    options = SessionOptions(callback_buffer=2048)
    async with open_session(
        text_config(),
        api_key=API_KEY,
        base_url=server.url,
        options=options,
        on_message=stuck,
        on_go_away=on_go_away,
    ) as session:
        for _ in range(10):  # a few hundred messages, far more than 2 KB of them
            await session.send_client_content("please repeat: " + " ".join(["word"] * 80))
            await session.receive_turn()
        server.connections[-1].go_away(30.0)
        with anyio.fail_after(5):
            async for event in session.events(lifecycle=True):
                if isinstance(event, live_actor.GoingAway):
                    break
        queue = session._actor.delivery.queue
        assert queue._bytes <= 2048 + 4096
        assert queue.dropped > 0
        release.set()
        with anyio.fail_after(5):
            await went_away.wait()  # queued behind the stuck calls, never dropped
    assert lifecycle == ["go_away"]


# ---------------------------------------------------------------- cancellation (item 3)


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_asyncio_native_cancellation_never_double_counts(server: FakeLiveServer) -> None:
    """A send cancelled with asyncio's own tools (wait_for, Task.cancel) while the
    command task may be taking it: its outcome is exactly one of sent/queued/dropped,
    the caller can tell which, and close() does not wait for a phantom in-flight send."""
    import asyncio

    options = SessionOptions(command_buffer=1, shutdown_timeout=3.0)
    async with open_session(
        text_config(), api_key=API_KEY, base_url=server.url, options=options
    ) as session:
        conn = await server.wait_for_connection()
        conn.stall(2.0)  # the server stops reading: the socket fills, sends back up
        big = "x" * 200_000
        receipts: list[live_actor.Receipt] = []
        timeouts = 0
        for n in range(30):
            try:
                receipts.append(
                    await asyncio.wait_for(
                        session.send_client_content(f"{n} {big}", turn_complete=False), 0.01
                    )
                )
            except TimeoutError:
                timeouts += 1
                receipt = session.last_receipt
                assert receipt is not None
                receipts.append(receipt)
        assert timeouts > 0
        pipe = session._actor.pipe
        assert pipe._in_flight >= 0
        started = time.monotonic()
    assert time.monotonic() - started < 3.5
    ledger = session.ledger
    outcomes = [str(r.outcome) for r in receipts]
    assert ledger.accepted == len(receipts)
    dropped = [r for r in receipts if r.outcome == "dropped"]
    assert ledger.dropped == len(dropped)
    for receipt in receipts:  # each outcome is one thing, and final
        assert receipt.outcome in ("sent", "confirmed", "dropped", "unconfirmed_at_close"), outcomes


# -------------------------------------------------------------- receive_turn (item 4)


async def test_receive_turn_is_cancel_safe() -> None:
    slow = FakeLiveServer(chunk_delay=0.05, words_per_chunk=1, close_timeout=0.5).start()
    try:
        async with open_session(
            text_config(), api_key=API_KEY, base_url=slow.url
        ) as session:
            await session.send_client_content("please repeat: one two three four five six")
            with anyio.move_on_after(0.15) as scope:
                await session.receive_turn()
            assert scope.cancelled_caught  # cancelled mid-turn
            turn = await session.receive_turn()
            assert turn.text == 'You said: "please repeat: one two three four five six".'
            assert not turn.interrupted
    finally:
        slow.stop()


# ------------------------------------------------------------------------ tools (item 5)


@pytest.mark.parametrize("failure", ["raises", "unserialisable", "never_returns"])
async def test_a_tool_that_fails_answers_with_an_error_response(
    server: FakeLiveServer, failure: str
) -> None:
    errors: list[Exception] = []

    async def tool(call: live_actor.types.ToolCall) -> object:
        if failure == "raises":
            raise RuntimeError("the weather service is down")
        if failure == "unserialisable":
            return {"value": object()}
        await anyio.sleep_forever()
        return None

    options = SessionOptions(tool_timeout=0.3)
    async with open_session(
        text_config(tools=[LOOKUP]),
        api_key=API_KEY,
        base_url=server.url,
        options=options,
        on_tool_call=tool,
        on_error=errors.append,
    ) as session:
        await session.send_client_content("call lookup city=Rome")
        with anyio.fail_after(10):  # the model gets an answer and ends its turn
            turn = await session.receive_turn()
            while "returned" not in turn.text:
                turn = await session.receive_turn()
        assert "error" in turn.text
        assert not session.pending_tool_calls
    responses = [e for e in server.connections[0].received if e.kind == "toolResponse"]
    assert len(responses) == 1
    if failure != "never_returns":
        failures = [e for e in errors if isinstance(e, live_actor.CallbackError)]
        assert failures and failures[0].callback == "on_tool_call"


# ---------------------------------------------------------------------- shutdown (item 9)


async def test_close_is_bounded_by_shutdown_timeout_against_a_stalled_server(
    server: FakeLiveServer,
) -> None:
    options = SessionOptions(
        shutdown_timeout=1.0, transport=live_actor.TransportOptions(close_timeout=30.0)
    )
    async with open_session(
        text_config(), api_key=API_KEY, base_url=server.url, options=options
    ) as session:
        conn = await server.wait_for_connection()
        conn.stall(30.0)
        await session.send_client_content("x" * 300_000, turn_complete=False)
        started = time.monotonic()
        await session.close()
        elapsed = time.monotonic() - started
    assert elapsed < 2.5, elapsed


# ------------------------------------------------------------------------ memory (item 10)


async def test_a_callbacks_only_session_keeps_at_most_event_buffer_bytes(
    server: FakeLiveServer,
) -> None:
    """The event buffer is bounded by bytes: a session whose events() nobody reads
    keeps at most event_buffer bytes of messages (tracemalloc, deterministic)."""
    turns_done = 0
    all_done = anyio.Event()

    def on_message(message: live_actor.types.ServerMessage) -> None:
        nonlocal turns_done
        if message.server_content is not None and message.server_content.turn_complete:
            turns_done += 1
            if turns_done == 23:
                all_done.set()

    options = SessionOptions(event_buffer=8 * 1024)
    gc.collect()
    tracemalloc.start()
    try:
        async with open_session(
            text_config(),
            api_key=API_KEY,
            base_url=server.url,
            options=options,
            on_message=on_message,
        ) as session:
            for _ in range(3):  # warm up: connection, codec and caches
                await session.send_client_content("please repeat: " + "word " * 200)
                await anyio.sleep(0.2)
            gc.collect()
            before = tracemalloc.get_traced_memory()[0]
            for _ in range(20):  # about 1.4 KB of messages per turn, never read
                await session.send_client_content("please repeat: " + "word " * 200)
            with anyio.fail_after(10):
                await all_done.wait()
            gc.collect()
            grown = tracemalloc.get_traced_memory()[0] - before
            buffered = session._actor.delivery.events.size_bytes
            assert buffered <= 8 * 1024
            assert session._actor.delivery.events.overflowed > 0
    finally:
        tracemalloc.stop()
    assert grown < 256 * 1024, grown  # the decoded messages of 20 turns are not kept


async def test_held_control_messages_are_bounded_by_ledger_bytes(server: FakeLiveServer) -> None:
    """Context the server never provably consumes (turn_complete=False, no turn
    ever starts) is held for a replay up to ledger_bytes; beyond it the oldest is
    let go, counted in handle.ledger.forgotten and logged as ledger_full."""
    options = SessionOptions(ledger_bytes=4096)
    with structlog.testing.capture_logs() as logs:
        async with open_session(
            text_config(), api_key=API_KEY, base_url=server.url, options=options
        ) as session:
            for i in range(40):
                await session.send_client_content(f"note {i}: " + "x" * 400, turn_complete=False)
            held = session._actor.core.ledger.unconfirmed
            assert sum(entry.size for entry in held) <= 4096
            assert session.ledger.forgotten == 40 - len(held) > 0
            assert session.ledger.dropped == 0  # every message was sent
            # the server got all of them
            fake = await server.wait_for_connection()
            await eventually(lambda: len(fake.session.control_texts()) == 40, "all 40 consumed")
    full = [e for e in logs if e["event"] == "live_actor.session.ledger_full"]
    assert full and full[0]["count"] == 1 and full[0]["kind"] == "client_content"
    closed = next(e for e in logs if e["event"] == "live_actor.session.closed")
    assert closed["ledger"]["forgotten"] == session.ledger.forgotten
