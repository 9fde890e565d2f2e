"""The foreign server (``_server.py``), one per test; its script errors fail the test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ._helpers import running
from ._server import ForeignLiveServer


@pytest.fixture
def server() -> Iterator[ForeignLiveServer]:
    with running(ForeignLiveServer()) as fake:
        yield fake
