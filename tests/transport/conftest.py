"""Fixtures for the transport tests: both anyio backends, real loopback servers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import live_actor._transport

from ._servers import RawServer, ScriptedServer


@pytest.fixture(
    params=[
        pytest.param(("asyncio", None), id="asyncio"),
        pytest.param(("trio", None), id="trio"),
        pytest.param(("trio", "websockets"), id="trio-websockets"),
    ]
)
def anyio_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every async transport test runs on asyncio (websockets), on trio
    (trio-websocket) and on trio with ``trio_backend="websockets"`` (the sans-IO
    driver), which becomes the default for options that do not choose."""
    backend, trio_backend = request.param
    if trio_backend is not None:
        monkeypatch.setattr(live_actor._transport, "_TRIO_DEFAULT", trio_backend)
    return str(backend)


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
