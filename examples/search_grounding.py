"""Grounding with Google Search: ``tools=[{"google_search": {}}]`` and what comes back.

With the Google Search tool the model may search the web before it answers; the
answer then carries ``server_content.grounding_metadata``: the queries it ran
(``web_search_queries``), the pages it used (``grounding_chunks``) and a rendered
search entry point (``search_entry_point``) that the Gemini API terms ask apps to
show next to a grounded answer.  The search runs on Google's side: no
``on_tool_call`` is involved.  The script prints the ``setup`` JSON live_actor sends,
the answer, and the grounding metadata, if any.

Run it::

    python examples/search_grounding.py                      # offline: FakeLiveServer
    python examples/search_grounding.py --backend trio
    GEMINI_API_KEY=... python examples/search_grounding.py   # the real service

The fake server accepts the tool but does not search, so offline the answer comes
without grounding metadata; the real service grounds questions about recent events.
A key comes from ``--api-key``, ``GEMINI_API_KEY`` or ``GOOGLE_API_KEY``.

Expected output (fake server)::

    setup tools on the wire: [{"googleSearch":{}}]
    model: You said: "Who won the most recent Tour de France?".
    grounding: none (the fake server does not search)
"""

from __future__ import annotations

import argparse
import json
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import structlog

import live_actor
from live_actor.testing import FakeLiveServer

CONFIG = live_actor.LiveConfig(
    model="gemini-live-2.5-flash-preview",
    generation_config={"response_modalities": ["TEXT"]},
    tools=[{"google_search": {}}],  # snake_case or camelCase keys, or live_actor.types.Tool
)
QUESTION = "Who won the most recent Tour de France?"


@asynccontextmanager
async def endpoint(api_key: str | None) -> AsyncIterator[tuple[str, str | None]]:
    """``(api_key, base_url)``: the real service when a key is known, else a fake."""
    if key := api_key or os.environ.get("GOOGLE_API_KEY") or os.environ.get("GEMINI_API_KEY"):
        yield key, None
        return
    async with FakeLiveServer() as server:
        yield "offline-key", server.url


async def main(api_key: str | None) -> None:
    wire = json.loads(live_actor.wire.encode_client_message(CONFIG.to_setup()))
    print(f"setup tools on the wire: {json.dumps(wire['setup']['tools'], separators=(',', ':'))}")
    async with (
        endpoint(api_key) as (api_key, base_url),
        live_actor.open_session(CONFIG, api_key=api_key, base_url=base_url) as session,
    ):
        print(f"user:  {QUESTION}")
        await session.send_client_content(QUESTION)
        turn = await session.receive_turn()
    print(f"model: {turn.text.strip()}")
    grounded = [
        m.server_content.grounding_metadata
        for m in turn.messages
        if m.server_content and m.server_content.grounding_metadata
    ]
    if not grounded:
        print("grounding: none" + (" (the fake server does not search)" if base_url else ""))
    for metadata in grounded:
        print(f"searched for: {list(metadata.web_search_queries or ())}")
        for chunk in metadata.grounding_chunks or ():
            web = chunk.get("web") or {}
            print(f"  source: {web.get('title')} <{web.get('uri')}>")
        if metadata.search_entry_point:
            html = metadata.search_entry_point.get("renderedContent", "")
            print(f"  search entry point to display: {len(html)} chars of HTML")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["asyncio", "trio"], default="asyncio")
    parser.add_argument("--api-key", help="use the real service (default: GEMINI_API_KEY)")
    args = parser.parse_args()
    # live_actor never configures structlog, whose default prints debug events to stdout.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    anyio.run(main, args.api_key, backend=args.backend)
