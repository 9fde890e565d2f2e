"""Asynchronous function calling: ``NON_BLOCKING`` functions and response ``scheduling``.

A function declared with ``"behavior": "NON_BLOCKING"`` does not make the model wait:
it goes on talking (or listening) while the tool runs.  When the result is ready, its
``scheduling`` says what the model does with it:

* ``WHEN_IDLE``: tell the user once the model is done with what it is saying;
* ``SILENT``: take it in as context, say nothing now;
* ``INTERRUPT``: stop talking and tell the user at once.

``on_tool_call`` returns ``{"response": ..., "scheduling": ...}`` per call (live_actor
sends it as the ``toolResponse``); ``session.send_tool_response(responses,
scheduling=...)`` does the same from anywhere.  Blocking calls and cancellation are
in ``tools.py``.

Run it::

    python examples/non_blocking_tools.py                      # offline: FakeLiveServer
    python examples/non_blocking_tools.py --backend trio
    GEMINI_API_KEY=... python examples/non_blocking_tools.py   # the real service

The fake model calls a declared function the prompt names, with ``key=value``
arguments, and reports a tool result as "NAME returned {...}".  The real model
decides for itself.  A key comes from ``--api-key``, ``GEMINI_API_KEY`` or
``GOOGLE_API_KEY``.

Expected output (fake server)::

    model: Calling track_parcel.
    model: track_parcel returned {"id":42,"status":"out for delivery"}.
    model: Calling note_preference.
    (nothing said for 1 s: the SILENT result is context only)
    model: Calling check_flight.
    model: Once upon a
    [interrupted]
    model: check_flight returned {"gate":"B12","number":"LH123","status":"boarding"}.
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
from live_actor.testing import FakeLiveServer, ScriptedResponder


def function(name: str, description: str, **params: str) -> dict[str, Any]:
    properties = {key: {"type": kind} for key, kind in params.items()}
    return {"name": name, "description": description, "behavior": "NON_BLOCKING",
            "parameters": {"type": "OBJECT", "properties": properties}}


FUNCTIONS = [
    function("track_parcel", "Where a parcel is (slow).", id="INTEGER"),
    function("note_preference", "Remember what the user likes.", drink="STRING"),
    function("check_flight", "Live status of a flight (slow).", number="STRING"),
]
CONFIG = live_actor.LiveConfig(
    model="gemini-live-2.5-flash-preview",
    generation_config={"response_modalities": ["TEXT"]},
    tools=[{"function_declarations": FUNCTIONS}],
)
SCHEDULING = {"track_parcel": "WHEN_IDLE", "note_preference": "SILENT", "check_flight": "INTERRUPT"}
STORY = "Once upon a time " + "a parcel travelled far and wide, " * 12 + "and it arrived."


def run_tool(name: str, args: dict[str, Any]) -> dict[str, Any]:
    if name == "track_parcel":
        return {"id": args.get("id"), "status": "out for delivery"}
    if name == "check_flight":
        return {"number": args.get("number"), "status": "boarding", "gate": "B12"}
    return {"saved": True}


async def ask(session: live_actor.SessionHandle, text: str) -> None:
    print(f"user:  {text}")
    await session.send_client_content(text)
    print(f"model: {(await session.receive_turn()).text.strip()}")


@asynccontextmanager
async def endpoint(api_key: str | None) -> AsyncIterator[tuple[str, str | None]]:
    """``(api_key, base_url)``: the real service when a key is known, else a fake."""
    if key := api_key or os.environ.get("GOOGLE_API_KEY") or os.environ.get("GEMINI_API_KEY"):
        yield key, None
        return
    # The fake's model tells a long story, slowly, so there is something to interrupt.
    responder = ScriptedResponder(rules=[(r"\bstory\b", STORY)])
    async with FakeLiveServer(responder=responder, chunk_delay=0.05) as server:
        yield "offline-key", server.url


async def main(api_key: str | None) -> None:
    talking = anyio.Event()  # the model started its story

    async def on_tool_call(call: live_actor.types.ToolCall) -> list[dict[str, Any]]:
        replies = []
        for fc in call.function_calls or ():
            if fc.name == "check_flight":
                with anyio.move_on_after(10):
                    await talking.wait()  # a slow lookup: done while the model talks
            replies.append({"id": fc.id, "name": fc.name,
                            "response": run_tool(fc.name or "", dict(fc.args or {})),
                            "scheduling": SCHEDULING.get(fc.name or "", "WHEN_IDLE")})
        return replies

    async with (
        endpoint(api_key) as (api_key, base_url),
        live_actor.open_session(CONFIG, api_key=api_key, base_url=base_url,
                                on_tool_call=on_tool_call) as session,
    ):
        # WHEN_IDLE: the model is not kept waiting; the result is a turn of its own.
        await ask(session, "Please call track_parcel id=42")
        print(f"model: {(await session.receive_turn()).text.strip()}")

        # SILENT: the result goes into the context; the model says nothing now.
        await ask(session, "Please call note_preference drink=tea")
        with anyio.move_on_after(1.0) as quiet:
            print(f"model: {(await session.receive_turn()).text.strip()}")
        if quiet.cancelled_caught:
            print("(nothing said for 1 s: the SILENT result is context only)")

        # INTERRUPT: the result cuts the model short.
        await ask(session, "Please call check_flight number=LH123")
        print("user:  Tell me a story while we wait.")
        await session.send_client_content("Tell me a story while we wait.")
        story = ""
        async for message in session.events():
            story += message.text or ""
            if story:
                talking.set()
            content = message.server_content
            if content and content.interrupted:
                story += " [interrupted]"
            if content and content.turn_complete:
                break
        print(f"model: {story.strip()}")
        print(f"model: {(await session.receive_turn()).text.strip()}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["asyncio", "trio"], default="asyncio")
    parser.add_argument("--api-key", help="use the real service (default: GEMINI_API_KEY)")
    args = parser.parse_args()
    # live_actor never configures structlog, whose default prints debug events to stdout.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    anyio.run(main, args.api_key, backend=args.backend)
