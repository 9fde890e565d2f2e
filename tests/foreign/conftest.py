"""Both anyio backends, and a helper that runs a foreign server for one test."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from ._server import ForeignLiveServer


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@contextmanager
def running(server: ForeignLiveServer) -> Iterator[ForeignLiveServer]:
    """Start ``server``; stop it after the test and fail if its scripts raised."""
    server.start()
    try:
        yield server
    finally:
        server.stop()
    assert not server.errors, f"server script failed: {server.errors!r}"
