"""Structured logs: live_actor's events as JSON lines, read back with ``live-actor logs``.

``live_actor.logs.configure_json(path)`` sends every live_actor event (connects,
resumes, goAways, tool calls, turn usage, closes: the names are in ``docs/logs.md``)
to a file as one JSON object per line, without touching the rest of the app's
logging.  Each event carries the ``session_id`` it belongs to.  Then:

* ``live_actor.logs.summarize(live_actor.logs.read_events(path))`` sums them up per
  session, in Python;
* ``live-actor logs FILE`` prints the same summary as a table, ``--session ID`` one
  session's timeline, and ``--html OUT.html`` writes a timeline page to open in a
  browser.

Secrets (API keys, tokens, resumption handles) never appear in the events: the
script checks its own key is not in the file.

Run it::

    python examples/structured_logs.py                      # offline: FakeLiveServer
    python examples/structured_logs.py --backend trio --log live.jsonl
    GEMINI_API_KEY=... python examples/structured_logs.py   # the real service

Offline, the session's socket is dropped and the server sends a ``goAway``, so the
log has a reconnect and a rotation to show.  A key comes from ``--api-key``,
``GEMINI_API_KEY`` or ``GOOGLE_API_KEY``.

Expected output (fake server)::

    model: Got it, your name is Ada.
    model: Your name is Ada.
    the API key is in the log: False
    front-desk: 3 connections, 2 restarts, 2 turns, final status closed
    $ live-actor logs
    front-desk
    $ live-actor logs --html
    timeline page written
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio

import live_actor
import live_actor.logs
from live_actor.testing import FakeLiveServer

CONFIG = live_actor.LiveConfig(
    model="gemini-live-2.5-flash-preview", generation_config={"response_modalities": ["TEXT"]}
)
OFFLINE_KEY = "offline-key-not-for-logs"


async def resumed(session: live_actor.SessionHandle) -> None:
    """Wait until the session is back (a reconnect or a rotation)."""
    with anyio.fail_after(10):
        async for event in session.events(lifecycle=True):
            if isinstance(event, live_actor.Resumed):
                return


async def converse(api_key: str, server: FakeLiveServer | None) -> None:
    policy = live_actor.RestartPolicy(backoff_base=0.05)
    async with live_actor.open_session(
        CONFIG, api_key=api_key, base_url=server.url if server else None,
        session_id="front-desk",  # in every event of this session
        policy=policy,
    ) as session:
        if server is not None:
            server.connections[-1].drop()  # a reconnect, for the log
            await resumed(session)
            server.connections[-1].go_away(1.0)  # a rotation, for the log
            await resumed(session)
        for text in ("my name is Ada", "what is my name"):
            await session.send_client_content(text)
            print(f"model: {(await session.receive_turn()).text.strip()}")


async def live_actor_logs(*args: str) -> str:
    """Run the ``live-actor logs`` command (``python -m live_actor.cli`` is the same)."""
    command = [sys.executable, "-m", "live_actor.cli", "logs", *args]
    result = await anyio.run_process(command)
    return result.stdout.decode()


@asynccontextmanager
async def fake_server(api_key: str | None) -> AsyncIterator[FakeLiveServer | None]:
    """A FakeLiveServer, or None when a key selects the real service."""
    if api_key:
        yield None
    else:
        async with FakeLiveServer() as server:
            yield server


async def main(api_key: str | None, log: Path | None) -> None:
    api_key = api_key or os.environ.get("GOOGLE_API_KEY") or os.environ.get("GEMINI_API_KEY")
    folder = Path(tempfile.mkdtemp(prefix="live_actor_"))
    log = log or folder / "live.jsonl"
    route = live_actor.logs.configure_json(log, level="info")  # before sessions start
    try:
        async with fake_server(api_key) as server:
            await converse(api_key or OFFLINE_KEY, server)
    finally:
        route.close()  # flush and close the file, undo the routing

    text = log.read_text()
    print(f"{len(text.splitlines())} JSON lines in {log}")
    print(f"the API key is in the log: {(api_key or OFFLINE_KEY) in text}")
    summaries = live_actor.logs.summarize(live_actor.logs.read_events(str(log)))
    for session_id, summary in summaries.items():
        print(f"{session_id}: {summary.connections} connections, {summary.restarts} restarts, "
              f"{summary.turns} turns, final status {summary.final_status}")

    print(f"$ live-actor logs {log}")
    print(await live_actor_logs(str(log)))
    page = folder / "timeline.html"
    print(f"$ live-actor logs --html {page} {log}")
    await live_actor_logs("--html", str(page), str(log))
    print(f"timeline page written: {page} ({page.stat().st_size} bytes)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["asyncio", "trio"], default="asyncio")
    parser.add_argument("--api-key", help="use the real service (default: GEMINI_API_KEY)")
    parser.add_argument("--log", type=Path, help="the JSON lines file (default: a temp dir)")
    args = parser.parse_args()
    # No structlog set-up here: configure_json routes live_actor's events to the file.
    anyio.run(main, args.api_key, args.log, backend=args.backend)
