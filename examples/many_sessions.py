"""Many sessions at once: a ``Supervisor`` runs N supervised sessions concurrently.

``Supervisor.start_session`` adds a session to the supervisor's task group and
returns its handle; ``await handle.connect()`` dials it.  Each session reconnects on
its own: one session's dropped socket never disturbs the others, and a session never
raises into the task group (it ends with a typed error on ``handle.error``).
Leaving the ``async with`` block closes every session gracefully.  Runs on trio by
default (anyio: ``--backend asyncio`` works too).

Run it::

    python examples/many_sessions.py                      # 5 sessions, FakeLiveServer
    python examples/many_sessions.py --sessions 20 --backend asyncio
    GEMINI_API_KEY=... python examples/many_sessions.py --sessions 3   # real service

Offline, one session's socket is dropped (fault injection) to show it recovering
alone.  With ``GEMINI_API_KEY`` set there is no fake server and no fault; mind your
quota of concurrent Live sessions.

Expected output (fake server)::

    5 sessions ready
    resumed on connection #2
    5/5 sessions remembered their user's name
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
NAMES = ["Alice", "Bob", "Carol", "Dave", "Erin", "Frank", "Grace", "Heidi"]


async def converse(session: live_actor.SessionHandle, name: str, answers: dict[str, str]) -> None:
    """One user's short conversation; many of these run at the same time."""
    await session.send_client_content(f"my name is {name}")
    await session.receive_turn()
    await session.send_client_content("what is my name")
    answers[name] = (await session.receive_turn()).text.strip()


@asynccontextmanager
async def fake_server() -> AsyncIterator[FakeLiveServer | None]:
    """A FakeLiveServer, or None when GEMINI_API_KEY selects the real service."""
    if os.environ.get("GEMINI_API_KEY"):
        yield None
    else:
        async with FakeLiveServer() as server:
            yield server


async def main(count: int) -> None:
    names = [NAMES[i % len(NAMES)] + (str(i // len(NAMES)) if i >= len(NAMES) else "")
             for i in range(count)]
    answers: dict[str, str] = {}

    def on_resumed(name: str, state_restored: bool, replayed: int, dropped: int) -> None:
        print(f"{name}: resumed on connection #{handles[name].connection_number}"
              f" (state_restored={state_restored})")

    policy = live_actor.RestartPolicy(max_restarts=3, period=60, backoff_base=0.05)
    async with fake_server() as server, live_actor.Supervisor(policy=policy) as supervisor:
        handles = {
            name: await supervisor.start_session(
                CONFIG,
                api_key=os.environ.get("GEMINI_API_KEY") or "offline-key",
                base_url=server.url if server else None,
                session_id=name.lower(),  # bound to every log event of this session
                on_resumed=functools.partial(on_resumed, name),  # per-session callback
            )
            for name in names
        }
        async with anyio.create_task_group() as tg:  # dial them all concurrently
            for handle in handles.values():
                tg.start_soon(handle.connect)
        print(f"{len(supervisor.sessions)} sessions ready")
        if server is not None:
            server.connections[0].drop()  # one session's network fails (the first dialled)
        async with anyio.create_task_group() as tg:
            for name, handle in handles.items():
                tg.start_soon(converse, handle, name, answers)
        good = sum(name in answers.get(name, "") for name in names)  # "Your name is Bob."
        print(f"{good}/{count} sessions remembered their user's name")
    # Leaving the Supervisor closed every session (pending sends flushed, 1000 sent).
    closed = [h.status is live_actor.SessionStatus.CLOSED for h in handles.values()]
    print(f"all closed: {all(closed)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["asyncio", "trio"], default="trio")
    parser.add_argument("--sessions", type=int, default=5, help="how many sessions (default 5)")
    args = parser.parse_args()
    # live_actor never configures structlog, whose default prints debug events to stdout.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    anyio.run(main, args.sessions, backend=args.backend)
