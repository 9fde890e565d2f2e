"""A trio application: a nursery of workers, each driving a session of a ``Supervisor``.

live_actor runs on trio natively (through anyio), so a trio program uses its own
idioms: ``trio.run``, nurseries, memory channels, ``trio.fail_after``.  Here a small
"front desk" hands incoming requests to three agents over a memory channel; each
agent owns one supervised Live session and answers requests one at a time.  The
``Supervisor`` keeps the sessions connected (reconnecting them if need be) and
closes them all when its block ends.

Run it::

    python examples/trio_app.py                      # offline: FakeLiveServer
    GEMINI_API_KEY=... python examples/trio_app.py   # the real service

A key comes from ``--api-key``, ``GEMINI_API_KEY`` or ``GOOGLE_API_KEY``; without one
the sessions talk to an embedded FakeLiveServer (which runs on any backend).

Expected output (fake server)::

    3 agents ready
    Ann: Got it, your name is Ann.
    Ben: Got it, your name is Ben.
    Eve: Got it, your name is Eve.
    6 requests answered; per agent:
    sessions closed: True
"""

from __future__ import annotations

import argparse
import logging
import os
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
import trio

import live_actor
from live_actor.testing import FakeLiveServer

CONFIG = live_actor.LiveConfig(
    model="gemini-live-2.5-flash-preview",
    generation_config={"response_modalities": ["TEXT"]},
    system_instruction="You are a front desk assistant. Answer in one short sentence.",
)
REQUESTS = ["Ann", "Ben", "Cat", "Dan", "Eve", "Fay"]  # callers, by name
AGENTS = 3


async def agent(
    session: live_actor.SessionHandle,
    requests: trio.MemoryReceiveChannel[str],
    answers: dict[str, str],
    load: Counter[str],
) -> None:
    """Answer requests from the channel, one at a time, with this agent's session."""
    with trio.fail_after(30):
        await session.connect()  # the supervisor dials at once; wait until ready
    async with requests:
        async for name in requests:
            await session.send_client_content(f"Hello, my name is {name}")
            with trio.fail_after(30):
                answers[name] = (await session.receive_turn()).text.strip()
            load[session.session_id] += 1


@asynccontextmanager
async def endpoint(api_key: str | None) -> AsyncIterator[tuple[str, str | None]]:
    """``(api_key, base_url)``: the real service when a key is known, else a fake."""
    if key := api_key or os.environ.get("GOOGLE_API_KEY") or os.environ.get("GEMINI_API_KEY"):
        yield key, None
        return
    async with FakeLiveServer() as server:
        yield "offline-key", server.url


async def main(api_key: str | None) -> None:
    answers: dict[str, str] = {}
    load: Counter[str] = Counter()  # requests answered per agent
    async with endpoint(api_key) as (key, base_url), live_actor.Supervisor() as supervisor:
        sessions = [
            await supervisor.start_session(
                CONFIG, api_key=key, base_url=base_url, session_id=f"agent-{i}"
            )
            for i in range(AGENTS)
        ]
        send, receive = trio.open_memory_channel[str](0)  # hand-over, no backlog
        async with trio.open_nursery() as nursery:
            for session in sessions:
                nursery.start_soon(agent, session, receive.clone(), answers, load)
            receive.close()  # the agents hold their clones
            for session in sessions:
                await session.wait_ready()
            print(f"{len(sessions)} agents ready")
            async with send:
                for name in REQUESTS:
                    await send.send(name)  # blocks until an agent is free
        # the nursery waited for every agent to finish its last request
        for name in REQUESTS:
            print(f"{name}: {answers[name]}")
    closed = all(s.status is live_actor.SessionStatus.CLOSED for s in sessions)
    print(f"{len(answers)} requests answered; per agent: {dict(sorted(load.items()))}")
    print(f"sessions closed: {closed}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api-key", help="use the real service (default: GEMINI_API_KEY)")
    args = parser.parse_args()
    # live_actor never configures structlog, whose default prints debug events to stdout.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    trio.run(main, args.api_key)
