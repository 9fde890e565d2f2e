"""Fixtures for the transport tests: both anyio backends, real loopback servers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ._servers import RawServer, ScriptedServer


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Every async transport test runs on asyncio (websockets) and trio (trio-websocket)."""
    return str(request.param)


@pytest.fixture(scope="session")
def ws_server() -> Iterator[ScriptedServer]:
    server = ScriptedServer()
    try:
        yield server
    finally:
        server.shutdown()


@pytest.fixture(scope="session")
def raw_server() -> Iterator[RawServer]:
    server = RawServer()
    try:
        yield server
    finally:
        server.shutdown()
