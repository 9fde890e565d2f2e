"""Fixtures for session/supervisor tests: both anyio backends, a real loopback fake server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from live_actor.testing import FakeLiveServer

API_KEY = "AIzaTEST-secret-key-0123456789"


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def server() -> Iterator[FakeLiveServer]:
    fake = FakeLiveServer(chunk_delay=0, close_timeout=0.5).start()
    try:
        yield fake
    finally:
        fake.stop()
    assert not fake.errors, fake.errors
