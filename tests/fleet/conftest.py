"""Fixtures of the fleet tests: both anyio backends, the fake server, a real redis-server."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from live_actor.testing import FakeLiveServer

from ._redis import RedisServer

API_KEY = "AIzaTEST-secret-key-0123456789"
MODEL = "gemini-live-2.5-flash-preview"


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


@pytest.fixture
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A real redis-server on a free port in a temp dir, with the README's durability
    settings (appendonly yes, appendfsync always).  CI must never skip it."""
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is missing in CI: .ci/run installs the redis-server package")
        pytest.skip("redis-server is not installed (Debian package: redis-server)")
    redis = RedisServer(binary, tmp_path_factory.mktemp("redis"))
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()
