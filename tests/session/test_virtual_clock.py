"""A session with no socket, on a virtual clock: the connector is injectable (issue 9).

The peer is scripted here over ``live_actor.transports.MemoryConnector``: every dial
is a pair of in-memory transports, and trio's ``MockClock`` jumps over every wait,
so minutes of a slow model and a long goAway notice pass in milliseconds.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import trio
import trio.testing

import live_actor
from live_actor import LiveConfig, RestartPolicy, SessionOptions, open_session
from live_actor.transports import MemoryConnector, MemoryDial

pytestmark = pytest.mark.anyio

CONFIG = LiveConfig(
    model="gemini-live-2.5-flash-preview", generation_config={"response_modalities": ["TEXT"]}
)


@pytest.fixture
def anyio_backend() -> tuple[str, dict[str, Any]]:
    return ("trio", {"clock": trio.testing.MockClock(autojump_threshold=0)})


async def send(dial: MemoryDial, message: dict[str, Any]) -> None:
    await dial.transport.send(json.dumps(message).encode())


async def receive(dial: MemoryDial) -> dict[str, Any]:
    frame = await dial.transport.receive()
    result: dict[str, Any] = json.loads(frame)
    return result


async def slow_model(connector: MemoryConnector, setups: list[dict[str, Any]]) -> None:
    """Two connections: the first answers slowly and announces a goAway mid-answer."""
    first = await connector.accept()
    setups.append((await receive(first))["setup"])
    await send(first, {"setupComplete": {}})
    await send(first, {"sessionResumptionUpdate": {"newHandle": "h0", "resumable": True}})
    question = await receive(first)
    assert "clientContent" in question
    await send(first, {"sessionResumptionUpdate": {}})
    await send(first, {"serverContent": {"modelTurn": {"parts": [{"text": "Thinking"}]}}})
    await send(first, {"goAway": {"timeLeft": "300s"}})  # five minutes of notice
    await trio.sleep(120)  # a very slow model: two minutes for the rest of the answer
    await send(first, {"serverContent": {"modelTurn": {"parts": [{"text": " hard."}]}}})
    await send(first, {"serverContent": {"turnComplete": True}})
    await send(first, {"sessionResumptionUpdate": {"newHandle": "h1", "resumable": True}})
    try:  # the client closes the old socket before resuming
        while True:
            await first.transport.receive()
    except live_actor.transports.TransportClosed as closed:
        assert closed.code == 1000
    second = await connector.accept()
    setups.append((await receive(second))["setup"])
    await send(second, {"setupComplete": {}})
    question = await receive(second)
    await send(second, {"serverContent": {"modelTurn": {"parts": [{"text": "Still here."}]}}})
    await send(second, {"serverContent": {"turnComplete": True}})
    await send(second, {"sessionResumptionUpdate": {"newHandle": "h2", "resumable": True}})
    await trio.sleep_forever()


async def test_a_slow_answer_and_a_long_go_away_on_a_virtual_clock() -> None:
    """The rotation waits two virtual minutes for the safe point (the answer is not
    cut), resumes with the handle issued after it, and no real time passes."""
    connector = MemoryConnector()
    setups: list[dict[str, Any]] = []
    wall = time.monotonic()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(slow_model, connector, setups)
        started = trio.current_time()
        async with open_session(
            CONFIG,
            api_key="test-key",
            base_url="wss://example.invalid",
            connector=connector,
            options=SessionOptions(setup_timeout=30),
            policy=RestartPolicy(random=lambda: 0.0),
        ) as session:
            await session.send_client_content("a hard question")
            turn = await session.receive_turn()
            assert turn.text == "Thinking hard." and not turn.interrupted
            await session.send_client_content("are you there?")
            assert (await session.receive_turn()).text == "Still here."
            assert session.connection_number == 2
        assert trio.current_time() - started >= 120
        nursery.cancel_scope.cancel()
    assert time.monotonic() - wall < 10
    assert "handle" not in (setups[0].get("sessionResumption") or {})
    assert setups[1]["sessionResumption"]["handle"] == "h1"  # issued at the safe point
