"""REST tests: both anyio backends, a loopback fake server, no API key in the environment."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from live_actor.testing import FakeLiveServer

API_KEY = "AIzaREST-secret-key-0123456789"


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(autouse=True)
def _no_key_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)


@pytest.fixture
def server() -> Iterator[FakeLiveServer]:
    fake = FakeLiveServer(api_keys=[API_KEY], chunk_delay=0, close_timeout=0.5).start()
    try:
        yield fake
    finally:
        fake.stop()
    assert not fake.errors, fake.errors
