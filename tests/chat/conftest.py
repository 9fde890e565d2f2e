"""Chat tests: the chat configures structlog for its terminal; put the suite's back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import structlog


@pytest.fixture(autouse=True)
def _restore_structlog() -> Iterator[None]:
    # The chat configures structlog for its terminal (stderr); give later tests
    # the suite's configuration back.
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)
