from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from google.genai import _live_converters, types

from live_actor.testing import FakeLiveServer

_TOP = {
    "".join(w if i == 0 else w.title() for i, w in enumerate(name.split("_")))
    for name in types.LiveServerMessage.model_fields
}


def validate_strict(message: dict[str, Any]) -> None:
    """wire-protocol.md §10 strict path."""
    unknown = set(message) - _TOP
    assert not unknown, f"unknown top-level keys {unknown} in {message}"
    types.LiveServerMessage.model_validate(_live_converters._LiveServerMessage_from_mldev(message))


@pytest.fixture
def make_server() -> Iterator[Callable[..., FakeLiveServer]]:
    """Start FakeLiveServers (fast defaults); at teardown validate every frame they sent."""
    servers: list[FakeLiveServer] = []

    def make(**kwargs: Any) -> FakeLiveServer:
        kwargs.setdefault("chunk_delay", 0)
        kwargs.setdefault("record_sent", True)
        kwargs.setdefault("close_timeout", 0.5)
        server = FakeLiveServer(**kwargs).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()
        assert not server.errors, server.errors
        for conn in server.connections:
            for message in conn.sent:
                validate_strict(message)


@pytest.fixture
def server(make_server: Callable[..., FakeLiveServer]) -> FakeLiveServer:
    return make_server()
