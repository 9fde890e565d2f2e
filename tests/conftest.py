"""Suite-wide settings.

* Every async test runs on both anyio backends: one ``anyio_backend`` fixture,
  here (a directory or module overrides it only to run differently, e.g. the
  transport tests' third backend, or a MockClock).
* live_actor never configures structlog, so the tests do: log events are
  rendered by structlog's processors and then discarded (the ``ReturnLogger``
  prints nothing), so every log call still runs (a bug in an event's arguments
  still fails a test) without flooding the output.
  ``structlog.testing.capture_logs`` keeps working on top of this.
* No API key from the environment, and a ``server`` fixture (a FakeLiveServer
  on loopback) for the tests that need one; directories that need another
  server override it.
* Shared constants and helpers are in ``tests/helpers.py``, not here.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import structlog

from live_actor.testing import FakeLiveServer

structlog.configure(logger_factory=structlog.ReturnLoggerFactory())


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Both anyio backends, for every test marked ``anyio``."""
    return str(request.param)


@pytest.fixture(autouse=True)
def _no_key_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test talks to Google: an API key in the developer's environment must not
    change what the CLI, the chat, the examples or the REST helpers do."""
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)


@pytest.fixture
def server() -> Iterator[FakeLiveServer]:
    """A FakeLiveServer on loopback with fast defaults; its own errors fail the test."""
    fake = FakeLiveServer(chunk_delay=0, close_timeout=0.5).start()
    try:
        yield fake
    finally:
        fake.stop()
    assert not fake.errors, fake.errors
