"""Context updates: new instructions and tools mid-session, the conversation kept.

``session.send_context_update(system_instruction=..., tools=...)`` replaces the
system instruction and/or the whole tool list of a running session (``tools=[]``
clears them).  Nothing else changes: the conversation so far stays in the context,
and nothing needs a reconnect.  Here a receptionist session becomes a booking agent
with a ``book_room`` tool, then loses the tool again.

Run it::

    python examples/context_update.py                      # offline: FakeLiveServer
    python examples/context_update.py --backend trio
    GEMINI_API_KEY=... python examples/context_update.py   # the real service

``contextUpdate`` is new in the 3.x SDKs; a model that does not take it closes with
1007, which live_actor reports as ``MessageRejectedError`` (to ``on_error``) before
it resumes the session.  The fake model calls a declared function the prompt names.
A key comes from ``--api-key``, ``GEMINI_API_KEY`` or ``GOOGLE_API_KEY``.

Expected output (fake server)::

    model: You said: "Please call book_room nights=2".
    ~ context update: booking agent, tools: book_room
    tool:  book_room({'nights': 2})
    model: Calling book_room. book_room returned {"confirmation":"R-1001","nights":2}.
    model: Your name is Sam.
    ~ context update: tools cleared
    model: You said: "Please call book_room nights=3".
"""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import structlog

import live_actor
from live_actor.testing import FakeLiveServer

CONFIG = live_actor.LiveConfig(
    model="gemini-live-2.5-flash-preview",
    generation_config={"response_modalities": ["TEXT"]},
    system_instruction="You are a hotel receptionist. You cannot book rooms.",
)
BOOK_ROOM = {
    "name": "book_room",
    "description": "Book a hotel room.",
    "parameters": {"type": "OBJECT", "properties": {"nights": {"type": "INTEGER"}}},
}


def book_room(call: live_actor.types.ToolCall) -> list[dict[str, Any]]:
    replies = []
    for fc in call.function_calls or ():
        print(f"tool:  {fc.name}({dict(fc.args or {})})")
        result = {"confirmation": "R-1001", "nights": (fc.args or {}).get("nights")}
        replies.append({"id": fc.id, "name": fc.name, "response": result})
    return replies


async def ask(session: live_actor.SessionHandle, text: str) -> None:
    print(f"user:  {text}")
    await session.send_client_content(text)
    turn = await session.receive_turn()
    print(f"model: {turn.text.strip()}")


@asynccontextmanager
async def endpoint(api_key: str | None) -> AsyncIterator[tuple[str, str | None]]:
    """``(api_key, base_url)``: the real service when a key is known, else a fake."""
    if key := api_key or os.environ.get("GOOGLE_API_KEY") or os.environ.get("GEMINI_API_KEY"):
        yield key, None
        return
    async with FakeLiveServer() as server:
        yield "offline-key", server.url


async def main(api_key: str | None) -> None:
    async with (
        endpoint(api_key) as (api_key, base_url),
        live_actor.open_session(CONFIG, api_key=api_key, base_url=base_url,
                                on_tool_call=book_room) as session,
    ):
        await ask(session, "Hello, my name is Sam")
        await ask(session, "Please call book_room nights=2")  # no such tool yet

        print("~ context update: booking agent, tools: book_room")
        await session.send_context_update(
            system_instruction="You are a hotel booking agent. Book rooms with book_room.",
            tools=[{"function_declarations": [BOOK_ROOM]}],
        )
        await ask(session, "Please call book_room nights=2")
        await ask(session, "what is my name")  # the conversation is still there

        print("~ context update: tools cleared")
        await session.send_context_update(tools=[])
        await ask(session, "Please call book_room nights=3")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["asyncio", "trio"], default="asyncio")
    parser.add_argument("--api-key", help="use the real service (default: GEMINI_API_KEY)")
    args = parser.parse_args()
    # live_actor never configures structlog, whose default prints debug events to stdout.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    anyio.run(main, args.api_key, backend=args.backend)
