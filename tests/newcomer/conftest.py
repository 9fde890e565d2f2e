"""The newcomer's fake server: a real loopback FakeLiveServer, fast defaults."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from live_actor.testing import FakeLiveServer


@pytest.fixture
def server() -> Iterator[FakeLiveServer]:
    fake = FakeLiveServer(chunk_delay=0, close_timeout=0.5).start()
    try:
        yield fake
    finally:
        fake.stop()
