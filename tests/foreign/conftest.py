"""The foreign server (``_server.py``), one per test; its script errors fail the test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import live_actor._transport

from ._helpers import running
from ._server import ForeignLiveServer


@pytest.fixture
def server() -> Iterator[ForeignLiveServer]:
    with running(ForeignLiveServer()) as fake:
        yield fake


@pytest.fixture(
    params=[
        pytest.param(("asyncio", None), id="asyncio"),
        pytest.param(("trio", None), id="trio"),
        pytest.param(("trio", "websockets"), id="trio-websockets"),
    ]
)
def anyio_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The independent server's suites (the hostile one included) run on asyncio, on
    trio (trio-websocket) and on trio with ``trio_backend="websockets"``: the
    optional trio transport ships only because it passes them too."""
    backend, trio_backend = request.param
    if trio_backend is not None:
        monkeypatch.setattr(live_actor._transport, "_TRIO_DEFAULT", trio_backend)
    return str(backend)
