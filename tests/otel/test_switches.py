"""Turning telemetry off, the global API path, and what telemetry costs per message."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry import metrics, trace

import live_actor
import live_actor.telemetry
from live_actor._telemetry._otel import SessionTelemetry
from live_actor.testing import FakeLiveServer

from .conftest import API_KEY, Otel, text_config

pytestmark = pytest.mark.anyio


@pytest.fixture
def enabled_again() -> Iterator[None]:
    try:
        yield
    finally:
        live_actor.telemetry.enable()


async def test_off_per_session(server: FakeLiveServer, otel: Otel) -> None:
    async with live_actor.open_session(
        text_config(),
        api_key=API_KEY,
        base_url=server.url,
        options=live_actor.SessionOptions(telemetry=False),
    ) as session:
        assert session._actor.observer.telemetry is None
        assert session._actor.tools._telemetry is None
        await session.send_client_content("hello")
        await session.receive_turn()
    assert otel.spans() == [] and otel.names() == set()


async def test_off_globally(server: FakeLiveServer, otel: Otel, enabled_again: None) -> None:
    live_actor.telemetry.disable()
    assert not live_actor.telemetry.is_enabled()
    async with live_actor.open_session(
        text_config(), api_key=API_KEY, base_url=server.url, options=otel.options()
    ) as session:
        assert session._actor.observer.telemetry is None
    live_actor.telemetry.enable()
    async with live_actor.open_session(
        text_config(), api_key=API_KEY, base_url=server.url, options=otel.options()
    ) as session:
        assert session._actor.observer.telemetry is not None
    assert len(otel.spans("live_actor.session")) == 1


def test_a_wrong_option_is_a_config_error() -> None:
    with pytest.raises(live_actor.ConfigError, match=r"telemetry must be True, False or"):
        live_actor.SessionOptions(telemetry="yes")  # type: ignore[arg-type]


async def test_the_default_records_through_the_global_api_and_sets_no_provider(
    server: FakeLiveServer,
) -> None:
    """Without an SDK the global API's proxies record nothing; live_actor sets none."""
    async with live_actor.open_session(
        text_config(), api_key=API_KEY, base_url=server.url
    ) as session:
        assert isinstance(session._actor.observer.telemetry, SessionTelemetry)
        await session.send_client_content("hello")
        await session.receive_turn()
    assert type(trace.get_tracer_provider()).__name__ == "ProxyTracerProvider"
    assert type(metrics.get_meter_provider()).__name__ == "_ProxyMeterProvider"


class Counting:
    """Wraps a session's telemetry and counts the calls made to it."""

    def __init__(self, inner: SessionTelemetry) -> None:
        self.inner = inner
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        self.calls[name] += 1
        return getattr(self.inner, name)


async def test_nothing_runs_per_audio_chunk(server: FakeLiveServer, otel: Otel) -> None:
    """500 audio chunks and a 300-message streamed reply: a handful of telemetry calls."""
    config = live_actor.LiveConfig(
        model="gemini-2.5-flash-native-audio-preview-12-2025",
        generation_config={"response_modalities": ["AUDIO"]},
    )
    async with live_actor.open_session(
        config, api_key=API_KEY, base_url=server.url, options=otel.options()
    ) as session:
        observer = session._actor.observer
        assert observer.telemetry is not None
        counting = Counting(observer.telemetry)
        observer.telemetry = counting  # type: ignore[assignment]
        for _ in range(500):
            await session.send_realtime_input(audio=b"\x00\x00" * 320)
        await session.send_client_content("x" * 300)  # the fake answers with ~300 chunks
        turn = await session.receive_turn()
        assert len(turn.messages) > 100
    assert sum(counting.calls.values()) < 12, counting.calls
    assert counting.calls["turn_completed"] == 1
