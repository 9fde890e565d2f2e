"""Fixtures of the OpenTelemetry tests: both anyio backends, a loopback fake server, and
private SDK providers (in-memory reader and exporter) handed to the sessions.

The providers are given through ``SessionOptions(telemetry=Providers(...))``: the tests
never set a global provider, so they cannot leak into each other or into the suite.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import live_actor
from live_actor.telemetry import Providers
from live_actor.testing import FakeLiveServer

API_KEY = "AIzaOTEL-secret-key-0123456789"
MODEL = "gemini-live-2.5-flash-preview"
WEATHER_TOOL = {
    "function_declarations": [
        {
            "name": "get_weather",
            "description": "Weather for a city",
            "parameters": {"type": "OBJECT", "properties": {"city": {"type": "STRING"}}},
        }
    ]
}


def text_config(**kwargs: Any) -> live_actor.LiveConfig:
    return live_actor.LiveConfig(
        model=MODEL, generation_config={"response_modalities": ["TEXT"]}, **kwargs
    )


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


class Otel:
    """An SDK meter and tracer provider with in-memory outputs, and readers of them."""

    def __init__(self) -> None:
        self.reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.reader], shutdown_on_exit=False)
        self.exporter = InMemorySpanExporter()
        self.tracer_provider = TracerProvider(shutdown_on_exit=False)
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.providers = Providers(
            meter_provider=self.meter_provider, tracer_provider=self.tracer_provider
        )

    def options(self, **kwargs: Any) -> live_actor.SessionOptions:
        return live_actor.SessionOptions(telemetry=self.providers, **kwargs)

    def points(self, name: str) -> list[Any]:
        """The data points of metric ``name`` (cumulative: totals since the start)."""
        data = self.reader.get_metrics_data()
        found: list[Any] = []
        for resource in data.resource_metrics if data is not None else ():
            for scope in resource.scope_metrics:
                assert scope.scope.name == "live_actor"
                for metric in scope.metrics:
                    if metric.name == name:
                        found.extend(metric.data.data_points)
        return found

    def names(self) -> set[str]:
        data = self.reader.get_metrics_data()
        return {
            metric.name
            for resource in (data.resource_metrics if data is not None else ())
            for scope in resource.scope_metrics
            for metric in scope.metrics
        }

    def total(self, name: str, **where: Any) -> float:
        """Sum of a counter's values, or of a histogram's sums, over matching points."""
        total = 0.0
        for point in self._matching(name, where):
            total += point.value if hasattr(point, "value") else point.sum
        return total

    def count(self, name: str, **where: Any) -> int:
        """How many values a histogram recorded over matching points."""
        return sum(point.count for point in self._matching(name, where))

    def by(self, name: str, key: str) -> dict[str, float]:
        """A counter's values grouped by attribute ``key`` (zero entries left out)."""
        grouped: dict[str, float] = {}
        for point in self.points(name):
            value = point.value if hasattr(point, "value") else point.sum
            label = str(point.attributes.get(key))
            grouped[label] = grouped.get(label, 0) + value
        return {label: value for label, value in grouped.items() if value}

    def _matching(self, name: str, where: dict[str, Any]) -> list[Any]:
        return [
            point
            for point in self.points(name)
            if all(point.attributes.get(key) == value for key, value in where.items())
        ]

    def spans(self, name: str | None = None) -> list[ReadableSpan]:
        spans = list(self.exporter.get_finished_spans())
        if name is None:
            return spans
        return [s for s in spans if s.name == name or s.name.startswith(name + " ")]

    def shutdown(self) -> None:
        self.meter_provider.shutdown()
        self.tracer_provider.shutdown()


@pytest.fixture
def otel() -> Iterator[Otel]:
    made = Otel()
    try:
        yield made
    finally:
        made.shutdown()
