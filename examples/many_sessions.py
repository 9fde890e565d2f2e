"""Many sessions at once: one ``Supervisor`` runs 100 supervised sessions concurrently.

``Supervisor.start_session`` starts dialling a session in the supervisor's task group
at once and returns its handle; ``await handle.connect()`` waits until it is ready.
Each session reconnects on its own: one session's dropped socket never disturbs the
others, and a session never raises into the task group (it ends with a typed error
on ``handle.error``).  Leaving the ``async with`` block closes every session
gracefully.  A summary at the end adds up what the sessions did.  Runs on trio by
default (anyio: ``--backend asyncio`` works too).

Run it::

    python examples/many_sessions.py                      # 100 sessions, FakeLiveServer
    python examples/many_sessions.py --sessions 20 --backend asyncio
    GEMINI_API_KEY=... python examples/many_sessions.py   # real service: 3 sessions

Offline, one session's socket is dropped (fault injection) to show it recovering
alone.  With a key (``--api-key``, ``GEMINI_API_KEY`` or ``GOOGLE_API_KEY``) there is
no fake server and no fault, and the default is 3 sessions: mind your quota of
concurrent Live sessions.

Expected output (fake server)::

    100 sessions ready
    resumed on connection #2 (state_restored=True)
    100/100 sessions remembered their user's name
    turns: 200, reconnects: 1, messages sent: 200, lost: 0
    all closed: True
"""

from __future__ import annotations

import argparse
import functools
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import structlog

import live_actor
from live_actor.testing import FakeLiveServer

CONFIG = live_actor.LiveConfig(
    model="gemini-live-2.5-flash-preview", generation_config={"response_modalities": ["TEXT"]}
)
NAMES = ["Alice", "Bob", "Carol", "Dave", "Erin", "Frank", "Grace", "Heidi", "Ivan", "Judy"]


async def answer(session: live_actor.SessionHandle) -> str:
    """The model's next whole answer."""
    turn = await session.receive_turn()
    while turn.interrupted:  # cut by a dropped connection: the answer comes again
        turn = await session.receive_turn()
    return turn.text.strip()


async def converse(session: live_actor.SessionHandle, name: str, answers: dict[str, str]) -> None:
    """One user's short conversation; many of these run at the same time."""
    await session.send_client_content(f"my name is {name}")
    await answer(session)
    await session.send_client_content("what is my name")
    answers[name] = await answer(session)


@asynccontextmanager
async def fake_server(api_key: str | None) -> AsyncIterator[FakeLiveServer | None]:
    """A FakeLiveServer, or None when a key selects the real service."""
    if api_key:
        yield None
    else:
        async with FakeLiveServer() as server:
            yield server


async def main(api_key: str | None, count: int | None) -> None:
    api_key = api_key or os.environ.get("GOOGLE_API_KEY") or os.environ.get("GEMINI_API_KEY")
    count = count or (3 if api_key else 100)
    names = [f"{NAMES[i % len(NAMES)]} {i}" for i in range(count)]  # "Alice 0", ...
    answers: dict[str, str] = {}

    def on_resumed(user: str, state_restored: bool, replayed: int, dropped: int) -> None:
        print(f"{user}: resumed on connection #{handles[user].connection_number}"
              f" (state_restored={state_restored})")

    started = anyio.current_time()
    policy = live_actor.RestartPolicy(max_restarts=3, period=60, backoff_base=0.05)
    async with fake_server(api_key) as server, live_actor.Supervisor(policy=policy) as supervisor:
        handles: dict[str, live_actor.SessionHandle] = {}
        for i in range(count):
            user = f"user-{i}"  # bound to every log event of this session
            handles[user] = await supervisor.start_session(
                CONFIG,
                api_key=api_key or "offline-key",
                base_url=server.url if server else None,
                session_id=user,
                on_resumed=functools.partial(on_resumed, user),  # per-session callback
            )
        async with anyio.create_task_group() as tg:  # they are dialling already: wait
            for handle in handles.values():
                tg.start_soon(handle.connect)
        print(f"{len(supervisor.sessions)} sessions ready")
        if server is not None:
            server.connections[0].drop()  # one session's network fails
        async with anyio.create_task_group() as tg:
            for handle, name in zip(handles.values(), names, strict=True):
                tg.start_soon(converse, handle, name, answers)
        good = sum(name in answers.get(name, "") for name in names)  # "Your name is Bob 1."
        print(f"{good}/{count} sessions remembered their user's name")
    # Leaving the Supervisor closed every session (pending sends flushed, 1000 sent).
    ledgers = [handle.ledger for handle in handles.values()]
    print(f"turns: {sum(h.usage.turns for h in handles.values())}, "
          f"reconnects: {sum(h.restarts for h in handles.values())}, "
          f"messages sent: {sum(stats.accepted for stats in ledgers)}, "
          f"lost: {sum(stats.dropped + stats.unconfirmed_at_close for stats in ledgers)}")
    closed = [h.status is live_actor.SessionStatus.CLOSED for h in handles.values()]
    print(f"all closed: {all(closed)} ({anyio.current_time() - started:.1f} s in all)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["asyncio", "trio"], default="trio")
    parser.add_argument("--api-key", help="use the real service (default: GEMINI_API_KEY)")
    parser.add_argument("--sessions", type=int, help="how many (default: 100, 3 with a key)")
    args = parser.parse_args()
    # live_actor never configures structlog, whose default prints debug events to stdout.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    anyio.run(main, args.api_key, args.sessions, backend=args.backend)
