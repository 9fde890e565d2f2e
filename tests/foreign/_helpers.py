"""Helpers shared by the foreign-server tests (suite-wide ones: ``tests/helpers.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractAsyncContextManager, contextmanager
from typing import Any

import live_actor

from ..helpers import API_KEY, text_config
from ._server import ForeignLiveServer, Peer, client_text

__all__ = ["echo_turns", "open_on", "running", "setup_of", "texts_of"]


@contextmanager
def running(server: ForeignLiveServer) -> Iterator[ForeignLiveServer]:
    """Start ``server``; stop it after the test and fail if its scripts raised."""
    server.start()
    try:
        yield server
    finally:
        server.stop()
    assert not server.errors, f"server script failed: {server.errors!r}"


def open_on(
    server: ForeignLiveServer, config: live_actor.LiveConfig | None = None, **kw: Any
) -> AbstractAsyncContextManager[live_actor.SessionHandle]:
    """``open_session`` against ``server`` with the suite's key (a text session by default)."""
    return live_actor.open_session(
        config or text_config(), api_key=API_KEY, base_url=server.url, **kw
    )


def setup_of(peer: Peer) -> dict[str, Any]:
    first = peer.messages[0]
    assert isinstance(first, dict) and "setup" in first, f"first frame: {peer.frames[:1]!r}"
    return first["setup"]  # type: ignore[no-any-return]


def texts_of(peer: Peer) -> list[str]:
    """Texts of every clientContent / realtimeInput.text the peer received, in order."""
    return [
        client_text(m)
        for m in peer.messages
        if isinstance(m, dict) and ("clientContent" in m or "text" in m.get("realtimeInput", {}))
    ]


async def echo_turns(peer: Peer) -> None:
    """Answer every clientContent that completes a turn with one text turn 'echo:<text>'
    (``turnComplete: false`` adds to the context without an answer, as the service does)."""
    while True:
        message = await peer.expect("clientContent", within=30)
        if message["clientContent"].get("turnComplete", True) is False:
            continue
        await peer.say("echo:" + client_text(message))
