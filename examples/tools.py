"""Function calling: answer the model's tool calls from ``on_tool_call``.

Declare functions in ``LiveConfig(tools=...)``; live_actor runs ``on_tool_call`` in its
own task and sends what it returns as the tool response.  If the user interrupts a
pending call, the server sends ``toolCallCancellation``: live_actor cancels that task
and calls ``on_tool_call_cancellation(ids)``.

Run it::

    python examples/tools.py                     # offline: embedded FakeLiveServer
    python examples/tools.py --backend trio
    GEMINI_API_KEY=... python examples/tools.py  # the real Gemini Live API (no fake)
    python examples/tools.py --api-key KEY       # same (GOOGLE_API_KEY works too)

The fake model calls a declared function when the prompt names it, with ``key=value``
pairs as arguments.  The real model decides for itself, and may not cancel a call on
a typed interruption (the script then says so and goes on).

Expected output (fake server)::

    model: Calling get_weather. get_weather returned {"city":"Paris","sky":"sunny","temp_c":21}.
    tool:  find_restaurant was cancelled
    cancelled by the server: ['function-call-2']
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

FUNCTIONS = [
    {"name": "get_weather", "description": "Current weather in a city.",
     "parameters": {"type": "OBJECT", "properties": {"city": {"type": "STRING"}}}},
    {"name": "find_restaurant", "description": "Slow search for a restaurant by cuisine.",
     "parameters": {"type": "OBJECT", "properties": {"cuisine": {"type": "STRING"}}}},
]
CONFIG = live_actor.LiveConfig(
    model="gemini-live-2.5-flash-preview",
    generation_config={"response_modalities": ["TEXT"]},
    tools=[{"function_declarations": FUNCTIONS}],
)


@asynccontextmanager
async def endpoint(api_key: str | None) -> AsyncIterator[tuple[str, str | None]]:
    """``(api_key, base_url)``: the real service when a key is known, else a fake."""
    if key := api_key or os.environ.get("GOOGLE_API_KEY") or os.environ.get("GEMINI_API_KEY"):
        yield key, None
        return
    async with FakeLiveServer() as server:
        yield "offline-key", server.url


async def main(api_key: str | None) -> None:
    slow_tool_started, cancelled = anyio.Event(), anyio.Event()

    async def on_tool_call(call: live_actor.types.ToolCall) -> list[dict[str, Any]]:
        replies = []  # one ToolCall may hold several calls: answer each by its id
        for fc in call.function_calls or ():
            args = dict(fc.args or {})
            print(f"tool:  {fc.name}({args})")
            if fc.name == "find_restaurant":
                slow_tool_started.set()
                try:
                    await anyio.sleep(10)  # slow: the interruption below cancels it
                except anyio.get_cancelled_exc_class():
                    print("tool:  find_restaurant was cancelled")
                    raise  # always re-raise a cancellation
                result: dict[str, Any] = {"name": "Baan Thai"}
            else:
                result = {"city": args.get("city"), "temp_c": 21, "sky": "sunny"}
            replies.append({"id": fc.id, "name": fc.name, "response": {"output": result}})
        return replies  # return None to answer later with session.send_tool_response()

    def on_cancel(ids: tuple[str, ...]) -> None:  # callbacks may be sync or async
        print(f"cancelled by the server: {list(ids)}")
        cancelled.set()

    async with (
        endpoint(api_key) as (api_key, base_url),
        live_actor.open_session(CONFIG, api_key=api_key, base_url=base_url,
                                on_tool_call=on_tool_call,
                                on_tool_call_cancellation=on_cancel) as session,
    ):
        # 1. Answered at once; the turn completes after the model read the response.
        await session.send_client_content("Please call get_weather city=Paris")
        print(f"model: {(await session.receive_turn()).text.strip()}")

        # 2. A slow call, interrupted by the user before the tool answered:
        await session.send_client_content("call find_restaurant cuisine=thai")
        with anyio.move_on_after(10):
            await slow_tool_started.wait()
        print(f"pending tool calls: {list(session.pending_tool_calls)}")
        await session.send_client_content("never mind, I will cook at home")
        with anyio.move_on_after(5) as scope:
            await cancelled.wait()
        if scope.cancelled_caught:
            print("no toolCallCancellation (the real service cancels on barge-in)")
        turn = await session.receive_turn()
        while turn.interrupted:  # the interrupted turn ends first, then the new answer
            turn = await session.receive_turn()
        print(f"model: {turn.text.strip()}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["asyncio", "trio"], default="asyncio")
    parser.add_argument("--api-key", help="use the real service (default: GEMINI_API_KEY)")
    args = parser.parse_args()
    # live_actor never configures structlog, whose default prints debug events to stdout.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    anyio.run(main, args.api_key, backend=args.backend)
