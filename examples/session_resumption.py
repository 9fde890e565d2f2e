"""Session resumption across a process restart: store the handle, resume with it.

With ``session_resumption=True`` the server sends a new resumption handle now and
then (``on_session_resumption``); the app stores the latest one (here in a JSON
file) and, after a restart, opens the session with ``LiveConfig(resume_handle=...)``:
the conversation goes on where it was.  A handle is valid for a while after the
session ended (2 hours on the Gemini API); a handle the server refuses (expired,
unknown) fails the first dial with ``SetupRejectedError``, and the app starts afresh.
(Within one process live_actor resumes by itself after a drop or a goAway: see
``resilient_session.py``.)

Each message's ``Receipt`` turns ``confirmed`` once a handle covers it, so the app
knows when a restart can no longer lose it.

Run it::

    python examples/session_resumption.py              # the app twice, two processes
    python examples/session_resumption.py --backend trio
    GEMINI_API_KEY=... python examples/session_resumption.py --state s.json  # run it twice
    GEMINI_API_KEY=... python examples/session_resumption.py   # the real service

Without ``--state`` the script runs the app twice, in two fresh processes, against
one server: an embedded FakeLiveServer, or the real service when a key is given
(``--api-key``, ``GEMINI_API_KEY`` or ``GOOGLE_API_KEY``).  The handle file is a secret:
it is created readable by its owner only, and the handle is never printed.

Expected output (fake server)::

    --- process 1
    no stored handle: new session
    model: Got it, your name is Alice.
    stored a handle that covers everything sent
    --- process 2
    resuming with the stored handle
    model: Your name is Alice.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import structlog

import live_actor
from live_actor.testing import FakeLiveServer

CONFIG = live_actor.LiveConfig(
    model="gemini-live-2.5-flash-preview",
    generation_config={"response_modalities": ["TEXT"]},
    session_resumption=True,  # ask for resumption handles
)


def load_handle(state: Path) -> str | None:
    try:
        handle = json.loads(state.read_text())["handle"]
    except (FileNotFoundError, ValueError, KeyError):
        return None
    return handle if isinstance(handle, str) else None


def store_handle(state: Path, handle: str | None) -> None:
    if handle is None:
        state.unlink(missing_ok=True)
        return
    state.touch(mode=0o600)  # a handle lets anyone with the key resume the conversation
    state.write_text(json.dumps({"handle": handle}))


async def app(state: Path, api_key: str | None, base_url: str | None) -> None:
    """One run of the application: resume the stored session if there is one."""
    handle = load_handle(state)
    print("resuming with the stored handle" if handle else "no stored handle: new session")
    covered = anyio.Event()
    last: live_actor.Receipt | None = None

    def on_session_resumption(update: live_actor.types.SessionResumptionUpdate) -> None:
        if update.resumable and update.new_handle:
            store_handle(state, update.new_handle)  # store every one: a crash loses little
            if last is not None and last.outcome is live_actor.SendOutcome.CONFIRMED:
                covered.set()

    config = CONFIG.evolve(resume_handle=handle)  # None: a new session
    try:
        async with live_actor.open_session(
            config, api_key=api_key, base_url=base_url,
            on_session_resumption=on_session_resumption,
        ) as session:
            text = "what is my name" if handle else "my name is Alice"
            print(f"user:  {text}")
            last = await session.send_client_content(text)
            print(f"model: {(await session.receive_turn()).text.strip()}")
            with anyio.fail_after(30):
                await covered.wait()  # a handle newer than our last message is stored
            print("stored a handle that covers everything sent")
    except live_actor.SetupRejectedError as exc:  # e.g. the stored handle expired
        if handle is None:
            raise
        print(f"the stored handle was refused ({exc.code}): starting a new session")
        store_handle(state, None)
        await app(state, api_key, base_url)


@asynccontextmanager
async def endpoint(api_key: str | None) -> AsyncIterator[tuple[str, str | None]]:
    """``(api_key, base_url)``: the real service when a key is known, else a fake."""
    if api_key:
        yield api_key, None
        return
    async with FakeLiveServer() as server:
        yield "offline-key", server.url


async def restart_twice(api_key: str | None, backend: str) -> None:
    """Run the app in a process, then again in a new one (a deploy, a crash...)."""
    state = Path(tempfile.mkdtemp(prefix="live_actor_")) / "session.json"
    async with endpoint(api_key) as (key, base_url):
        for run in (1, 2):
            print(f"--- process {run}", flush=True)
            command = [sys.executable, __file__, "--state", str(state), "--backend", backend]
            command += ["--base-url", base_url] if base_url else []
            env = {**os.environ, "GEMINI_API_KEY": key}  # never on a command line
            await anyio.run_process(command, stdout=None, stderr=None, env=env)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["asyncio", "trio"], default="asyncio")
    parser.add_argument("--api-key", help="use the real service (default: GEMINI_API_KEY)")
    parser.add_argument("--state", type=Path, help="the handle file: run the app once")
    parser.add_argument("--base-url", help="another server (with --state), e.g. one run "
                        "by `live-actor fake-server`")
    args = parser.parse_args()
    # live_actor never configures structlog, whose default prints debug events to stdout.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    key = args.api_key or os.environ.get("GOOGLE_API_KEY") or os.environ.get("GEMINI_API_KEY")
    if args.state is None:
        anyio.run(restart_twice, key, args.backend, backend=args.backend)
    elif key or args.base_url:
        anyio.run(app, args.state, key or "offline-key", args.base_url, backend=args.backend)
    else:
        parser.error("--state needs a key, or --base-url of a server that outlives the process")
