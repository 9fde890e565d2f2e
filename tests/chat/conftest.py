"""Chat tests: both anyio backends for in-process tests; no API key in the environment."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import structlog


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(autouse=True)
def _no_key_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)


@pytest.fixture(autouse=True)
def _restore_structlog() -> Iterator[None]:
    # The chat configures structlog for its terminal (stderr); give later tests
    # the suite's configuration back.
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)
