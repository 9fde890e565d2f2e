"""Multi-turn text chat: ``open_session``, ``send_client_content``, ``receive_turn``.

The smallest complete live_actor program: build a ``LiveConfig``, open a session,
send a few user turns, read each model turn, then print the session's token usage.
The model keeps the conversation as context, so it can answer "what is my name".

Run it::

    python examples/text_chat.py                     # offline: embedded FakeLiveServer
    python examples/text_chat.py --backend trio      # same, on trio instead of asyncio
    GEMINI_API_KEY=... python examples/text_chat.py  # the real Gemini Live API
    python examples/text_chat.py --api-key KEY       # same, key on the command line

Without a key (``--api-key``, ``GEMINI_API_KEY`` or ``GOOGLE_API_KEY``) the script
starts a ``FakeLiveServer`` on loopback, whose scripted model remembers "my X is Y"
facts.  With a key no fake server is started and the prompts go to the real service
(answers will be worded differently).

Expected output (fake server)::

    model: Your name is Alice.
    usage: 3 turns
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

# A half-cascade Live model answers in TEXT (native-audio models only speak).
CONFIG = live_actor.LiveConfig(
    model="gemini-live-2.5-flash-preview",
    generation_config={"response_modalities": ["TEXT"]},
    system_instruction="You are a concise assistant. Answer in one sentence.",
)
PROMPTS = ["Hello! my name is Alice", "my favourite colour is green", "what is my name"]


@asynccontextmanager
async def endpoint(api_key: str | None) -> AsyncIterator[tuple[str, str | None]]:
    """Yield ``(api_key, base_url)``: the real service when a key is known, else a fake."""
    key = api_key or os.environ.get("GOOGLE_API_KEY") or os.environ.get("GEMINI_API_KEY")
    if key:
        yield key, None  # base_url=None: the public Gemini API endpoint
        return
    async with FakeLiveServer() as server:  # runs in its own thread; any key is accepted
        print(f"(offline: FakeLiveServer at {server.url})")
        yield "offline-key", server.url


async def main(api_key: str | None) -> None:
    async with (
        endpoint(api_key) as (api_key, base_url),
        live_actor.open_session(CONFIG, api_key=api_key, base_url=base_url) as session,
    ):
        # open_session returns once the server sent setupComplete: status is READY.
        print(f"connected: {session.status}")
        for prompt in PROMPTS:
            print(f"user:  {prompt}")
            # One user turn; turn_complete=True (the default) asks the model to answer.
            await session.send_client_content(prompt)
            # receive_turn() collects the streamed chunks until turnComplete.
            turn = await session.receive_turn()
            print(f"model: {turn.text.strip()}")
        usage = session.usage  # counted once per turn, across reconnects too
        print(f"usage: {usage.turns} turns, {usage.prompt_token_count} prompt + "
              f"{usage.response_token_count} response = {usage.total_token_count} tokens")
    # Leaving the block closed the socket with 1000 after sending everything queued.
    print(f"closed: {session.status}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["asyncio", "trio"], default="asyncio")
    parser.add_argument("--api-key", help="use the real service (default: GEMINI_API_KEY)")
    args = parser.parse_args()
    # live_actor logs with structlog and never configures it; structlog's default
    # prints every event (debug included) to stdout.  Keep warnings and errors only.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    try:
        anyio.run(main, args.api_key, backend=args.backend)
    except live_actor.LiveError as exc:  # ConnectError, SetupRejectedError (bad key), ...
        raise SystemExit(f"live_actor: {exc}") from None
