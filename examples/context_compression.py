"""Context window compression: sessions that outlive the duration limits.

Without compression a Live session's context only grows, and the service ends the
session at a duration limit (15 minutes with audio, 2 minutes with video) with close
1008 "Session duration limit exceeded.": resuming cannot help, the session is over.
With ``context_window_compression`` the server drops the oldest turns once the
context reaches ``trigger_tokens``, down to the sliding window's ``target_tokens``,
and the session may run for as long as its connections are rotated (live_actor
rotates them on ``goAway``).  ``context_window_compression=True`` asks for the
server's defaults.

Two sessions run side by side, one plain and one compressed, and talk past the limit.

Run it::

    python examples/context_compression.py                      # offline: FakeLiveServer
    python examples/context_compression.py --backend trio
    GEMINI_API_KEY=... python examples/context_compression.py   # the real service

Offline the fake server's audio limit is scaled down from 15 minutes to 1 second, and
the plain session's end is logged (``live_actor.supervisor.gave_up``, at error level).
With a key (``--api-key``, ``GEMINI_API_KEY`` or ``GOOGLE_API_KEY``) nobody waits 15
minutes: both sessions just talk.

Expected output (fake server)::

    plain: model: Got it, your name is Alice.
    plain: ended by the server after the limit: 1008 Session duration limit exceeded.
    compressed: model: Got it, your name is Alice.
    compressed: still going after the limit: Your name is Alice.
"""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import structlog

import live_actor
from live_actor.testing import FakeLiveServer

PLAIN = live_actor.LiveConfig(
    model="gemini-live-2.5-flash-preview", generation_config={"response_modalities": ["TEXT"]}
)
COMPRESSED = PLAIN.evolve(
    context_window_compression={
        "trigger_tokens": 25_600,  # compress once the context reaches this many tokens...
        "sliding_window": {"target_tokens": 12_800},  # ...down to this many
    },
)
FAKE_LIMIT = 1.0  # seconds: the fake server's stand-in for 15 minutes


async def talk(name: str, config: live_actor.LiveConfig, key: str, base_url: str | None,
               wait: float) -> None:
    async with live_actor.open_session(
        config, api_key=key, base_url=base_url,
        restart="temporary",  # a session past its limit cannot come back: do not retry
    ) as session:
        await session.send_client_content("my name is Alice")
        print(f"{name}: model: {(await session.receive_turn()).text.strip()}")
        with anyio.move_on_after(wait):  # talk for longer than the limit
            await session.wait_closed()
        if session.status is live_actor.SessionStatus.CLOSED:
            print(f"{name}: ended by the server after the limit: "
                  f"{session.close_code} {session.close_reason}")
            return
        await session.send_client_content("what is my name")
        when = "after the limit" if wait else "(the limit is 15 minutes away)"
        print(f"{name}: still going {when}: {(await session.receive_turn()).text.strip()}")


@asynccontextmanager
async def endpoint(api_key: str | None) -> AsyncIterator[tuple[str, str | None]]:
    """``(api_key, base_url)``: the real service when a key is known, else a fake."""
    if key := api_key or os.environ.get("GOOGLE_API_KEY") or os.environ.get("GEMINI_API_KEY"):
        yield key, None
        return
    async with FakeLiveServer(session_limit_audio=FAKE_LIMIT) as server:
        yield "offline-key", server.url


async def main(api_key: str | None) -> None:
    async with endpoint(api_key) as (key, base_url), anyio.create_task_group() as tg:
        wait = FAKE_LIMIT + 1.0 if base_url else 0.0
        tg.start_soon(talk, "plain", PLAIN, key, base_url, wait)
        tg.start_soon(talk, "compressed", COMPRESSED, key, base_url, wait)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["asyncio", "trio"], default="asyncio")
    parser.add_argument("--api-key", help="use the real service (default: GEMINI_API_KEY)")
    args = parser.parse_args()
    # live_actor never configures structlog, whose default prints debug events to stdout.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    anyio.run(main, args.api_key, backend=args.backend)
