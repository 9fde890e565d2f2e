"""Surviving faults: a dropped socket and a server ``goAway``, nothing lost.

``open_session`` supervises its connection: after a drop it reconnects with the
resumption handle and replays what the server may not have got, so the conversation
goes on; on ``goAway`` it rotates before the deadline.  ``events(lifecycle=True)``
reports each step (as do the ``on_reconnecting``/``on_resumed``/``on_go_away``
callbacks) and ``session.ledger`` counts what became of every message.

Run it::

    python examples/resilient_session.py                     # offline: FakeLiveServer
    python examples/resilient_session.py --backend trio
    GEMINI_API_KEY=... python examples/resilient_session.py  # real service: no faults
    python examples/resilient_session.py --api-key KEY       # same (or GOOGLE_API_KEY)

Offline, faults are injected with the fake server's ``connection.drop()`` and
``connection.go_away(seconds)``.  With ``GEMINI_API_KEY`` set there is no fake server
and no fault injection: the code just chats (and survives real goAways the same way).

Expected output (fake server)::

    ~ reconnecting (attempt 1): transient close 1006
    ~ goAway: connection ends in 3.0 s
    ~ reconnecting (attempt 2): planned close 1000: rotating after goAway
    model: Your name is Alice.
    model: Your city is Lisbon.
    lost: 0
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

CONFIG = live_actor.LiveConfig(
    model="gemini-live-2.5-flash-preview", generation_config={"response_modalities": ["TEXT"]}
)
POLICY = live_actor.RestartPolicy(backoff_base=0.05, max_restarts=5, period=60)  # quick retry


async def ask(session: live_actor.SessionHandle, text: str | None) -> None:
    """Send ``text`` and print lifecycle news and the reply (None: wait for a resume)."""
    if text is not None:
        print(f"user:  {text}")
        await session.send_client_content(text)
    reply, interrupted = "", False
    async for event in session.events(lifecycle=True):  # server messages + lifecycle
        if isinstance(event, live_actor.Reconnecting):
            print(f"~ reconnecting (attempt {event.attempt}): {event.cause}")
            reply = ""  # a reply cut short by the drop comes again in full after the replay
        elif isinstance(event, live_actor.Resumed):
            print(f"~ resumed: state_restored={event.state_restored}, replayed={event.replayed}")
            if text is None:
                return
        elif isinstance(event, live_actor.GoingAway):
            print(f"~ goAway: connection ends in {event.time_left.total_seconds()} s")
        elif isinstance(event, live_actor.types.ServerMessage) and event.server_content:
            reply += event.text or ""
            interrupted |= bool(event.server_content.interrupted)
            if event.server_content.turn_complete:
                if not interrupted:
                    break
                # a replayed message's reply, cut short by the next one: not ours
                reply, interrupted = "", False
    print(f"model: {reply.strip()}")


@asynccontextmanager
async def fake_server(api_key: str | None) -> AsyncIterator[FakeLiveServer | None]:
    """A FakeLiveServer, or None when a key selects the real service."""
    if api_key:
        yield None
    else:
        async with FakeLiveServer() as server:
            yield server


async def main(api_key: str | None) -> None:
    api_key = api_key or os.environ.get("GOOGLE_API_KEY") or os.environ.get("GEMINI_API_KEY")
    async with (
        fake_server(api_key) as server,
        live_actor.open_session(
            CONFIG,
            api_key=api_key or "offline-key",
            base_url=server.url if server else None,
            policy=POLICY,  # the same news also comes as callbacks: on_resumed=...
        ) as session,
    ):
        await ask(session, "my name is Alice")
        if server is not None:
            print("!! the network drops the socket (no close frame)")
            server.connections[-1].drop()
            # sent before the client noticed the drop: replayed on the next connection
            await ask(session, "my city is Lisbon")
            print("!! the server announces goAway")
            server.connections[-1].go_away(3.0)  # rotated at a safe point, 2 s early
            await ask(session, None)
        await ask(session, "what is my name")
        await ask(session, "what is my city")
        print(f"connection #{session.connection_number}, status {session.status}")
    stats = session.ledger  # still readable after the session closed
    print(f"ledger: accepted={stats.accepted} sent={stats.sent} queued={stats.queued}"
          f" replayed={stats.replayed} confirmed={stats.confirmed}")
    print(f"lost: {stats.dropped + stats.unconfirmed_at_close}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["asyncio", "trio"], default="asyncio")
    parser.add_argument("--api-key", help="use the real service (default: GEMINI_API_KEY)")
    args = parser.parse_args()
    # live_actor never configures structlog, whose default prints debug events to stdout.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    anyio.run(main, args.api_key, backend=args.backend)
