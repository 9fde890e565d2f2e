"""REST tests: a loopback fake server that knows the suite's API key."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from live_actor.testing import FakeLiveServer

from ..helpers import API_KEY


@pytest.fixture
def server() -> Iterator[FakeLiveServer]:
    fake = FakeLiveServer(api_keys=[API_KEY], chunk_delay=0, close_timeout=0.5).start()
    try:
        yield fake
    finally:
        fake.stop()
    assert not fake.errors, fake.errors
