"""Ephemeral tokens: the server mints short-lived tokens, the client connects with one.

A browser or phone must never hold the API key.  The app's backend, which has it,
mints an ephemeral token with ``live_actor.rest.create_ephemeral_token`` (``POST
/v1alpha/auth_tokens``) and hands the token's name (``auth_tokens/...``) to the
client, which opens its Live session with ``credentials=live_actor.EphemeralToken(name)``.
A token allows ``uses`` new sessions (default 1; resuming does not use one up),
expires (``expire_time``), must start its sessions soon (``new_session_expire_time``)
and can be locked to one configuration (``live_connect_constraints``).

A supervised session that may have to start afresh needs a new token per dial:
``live_actor.rest.EphemeralTokenProvider`` mints one before every connection.

Run it::

    python examples/ephemeral_tokens.py                      # offline: FakeLiveServer
    python examples/ephemeral_tokens.py --backend trio
    GEMINI_API_KEY=... python examples/ephemeral_tokens.py   # the real service

Offline the fake server mints and checks tokens as the service does (its REST
endpoints share the WebSocket's port) and one connection is dropped to show the
provider at work.  With a key (``--api-key``, ``GEMINI_API_KEY`` or
``GOOGLE_API_KEY``) the tokens come from the real service, and nothing is dropped.

Expected output (fake server)::

    backend: minted a token for 1 new session
    client: model: Got it, your name is Zoe.
    client: a second session with the same token is refused (1008)
    provider: model: Your name is Zoe.
    provider: 2 tokens minted for 2 connections
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import structlog

import live_actor
import live_actor.rest
from live_actor.testing import FakeLiveServer

CONFIG = live_actor.LiveConfig(
    model="gemini-live-2.5-flash-preview",
    generation_config={"response_modalities": ["TEXT"]},
    session_resumption=True,
)


async def backend_mints(api_key: str, base_url: str | None) -> str:
    """The app's backend: has the API key; gives clients a one-use token."""
    token = await live_actor.rest.create_ephemeral_token(
        uses=1,  # one new session
        expire_time=dt.timedelta(minutes=30),  # its sessions end by then
        new_session_expire_time=dt.timedelta(minutes=1),  # start within a minute
        live_connect_constraints=CONFIG,  # only this model and setup
        api_key=api_key,
        base_url=base_url,
    )
    print(f"backend: minted a token for {token.uses} new session")  # never print token.name
    return token.name


async def client_connects(token_name: str, base_url: str | None) -> None:
    """The browser or phone: only ever sees the token."""
    token = live_actor.EphemeralToken(token_name)
    async with live_actor.open_session(CONFIG, credentials=token, base_url=base_url) as session:
        await session.send_client_content("my name is Zoe")
        print(f"client: model: {(await session.receive_turn()).text.strip()}")
    try:
        async with live_actor.open_session(CONFIG, credentials=token, base_url=base_url):
            print("client: the token opened a second session")
    except live_actor.SetupRejectedError as exc:
        print(f"client: a second session with the same token is refused ({exc.code})")


async def supervised_with_provider(api_key: str, server: FakeLiveServer | None) -> None:
    """A fresh single-use token before every dial: reconnects work too."""
    base_url = server.url if server else None
    provider = live_actor.rest.EphemeralTokenProvider(
        api_key=api_key, base_url=base_url, uses=1, live_connect_constraints=CONFIG
    )
    policy = live_actor.RestartPolicy(backoff_base=0.05)
    async with live_actor.open_session(
        CONFIG, credentials=provider, base_url=base_url, policy=policy
    ) as session:
        await session.send_client_content("my name is Zoe")
        await session.receive_turn()
        if server is not None:
            server.connections[-1].drop()  # the network fails: a new dial, a new token
        await session.send_client_content("what is my name")
        turn = await session.receive_turn()
        # A turn cut short is not the answer: cut by the drop, or a replayed message's
        # reply cut by ours (the drop came before a handle covered "my name is Zoe").
        while turn.interrupted:
            turn = await session.receive_turn()
        print(f"provider: model: {turn.text.strip()}")
        connections = session.connection_number
    print(f"provider: {provider.minted} tokens minted for {connections} connections")


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
    async with fake_server(api_key) as server:
        base_url = server.url if server else None
        key = api_key or "offline-key"
        token_name = await backend_mints(key, base_url)
        await client_connects(token_name, base_url)
        await supervised_with_provider(key, server)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["asyncio", "trio"], default="asyncio")
    parser.add_argument("--api-key", help="use the real service (default: GEMINI_API_KEY)")
    args = parser.parse_args()
    # live_actor never configures structlog, whose default prints debug events to stdout.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    anyio.run(main, args.api_key, backend=args.backend)
