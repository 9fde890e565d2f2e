"""Session metrics on a Prometheus scrape endpoint, through OpenTelemetry.

With the ``otel`` extra live_actor records its metrics (token usage, turn duration,
reconnects by cause, replays, time to ready, downtime...) through the OpenTelemetry
API. The application owns the SDK: here it sets a ``MeterProvider`` whose
``PrometheusMetricReader`` feeds ``prometheus-client``'s registry, and serves that
registry on ``/metrics``. live_actor never sets a provider itself. Install::

    pip install 'live_actor[otel]' opentelemetry-sdk opentelemetry-exporter-prometheus \\
        prometheus-client                 # or: pip install 'live_actor[examples]'

Run it::

    python examples/otel_prometheus.py                    # offline: FakeLiveServer
    python examples/otel_prometheus.py --backend trio
    python examples/otel_prometheus.py --port 9464 --serve 600   # then scrape it
    GEMINI_API_KEY=... python examples/otel_prometheus.py  # real service: no faults
    python examples/otel_prometheus.py --api-key KEY       # same (or GOOGLE_API_KEY)

Offline, the session goes through a dropped socket and a ``goAway`` rotation
(injected with the fake server's ``connection.drop()`` and ``connection.go_away()``),
so the reconnect counter has something to count. Then the program scrapes its own
endpoint once and prints a few series; with ``--serve SECONDS`` it keeps the
endpoint up that long (``curl http://127.0.0.1:PORT/metrics``).

Expected output (fake server)::

    metrics at http://127.0.0.1:
    scraped gen_ai_client_token_usage_sum{gen_ai_token_type="input"}
    scraped gen_ai_client_token_usage_sum{gen_ai_token_type="output"}
    scraped gen_ai_client_operation_duration_seconds_count 3.0
    scraped live_actor_reconnects_total{live_actor_exit_kind="transient"} 1.0
    scraped live_actor_reconnects_total{live_actor_exit_kind="planned"} 1.0
    scraped live_actor_time_to_ready_seconds_count{live_actor_resumed="true"} 2.0
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import httpx
import structlog
from opentelemetry import metrics
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.sdk.metrics import MeterProvider
from prometheus_client import start_http_server
from prometheus_client.parser import text_string_to_metric_families

import live_actor
from live_actor.testing import FakeLiveServer

CONFIG = live_actor.LiveConfig(
    model="gemini-live-2.5-flash-preview", generation_config={"response_modalities": ["TEXT"]}
)
POLICY = live_actor.RestartPolicy(backoff_base=0.05)  # quick retries for the demo

#: The series printed after the scrape: metric sample name -> labels shown.
SHOWN = {
    "gen_ai_client_token_usage_sum": ("gen_ai_token_type",),
    "gen_ai_client_operation_duration_seconds_count": (),
    "live_actor_reconnects_total": ("live_actor_exit_kind",),
    "live_actor_time_to_ready_seconds_count": ("live_actor_resumed",),
}


def serve_metrics(port: int) -> int:
    """Set the global MeterProvider (the application's job) and serve /metrics."""
    metrics.set_meter_provider(MeterProvider(metric_readers=[PrometheusMetricReader()]))
    server, _thread = start_http_server(port, addr="127.0.0.1")
    return int(server.server_port)


@asynccontextmanager
async def fake_server(api_key: str | None) -> AsyncIterator[FakeLiveServer | None]:
    """A FakeLiveServer, or None when a key selects the real service."""
    if api_key:
        yield None
    else:
        async with FakeLiveServer() as server:
            yield server


async def chat(session: live_actor.SessionHandle, text: str) -> None:
    await session.send_client_content(text)
    turn = await session.receive_turn()
    while turn.interrupted:  # a reply cut by a reconnect: the full one follows
        turn = await session.receive_turn()
    print(f"user: {text}\nmodel: {turn.text.strip()}")


async def confirmed(session: live_actor.SessionHandle) -> None:
    """Until a resumption handle holds everything sent so far (so the injected drop
    below replays nothing, and the offline output is the same on every run)."""
    with anyio.fail_after(5):
        while session.ledger.confirmed < session.ledger.sent:  # noqa: ASYNC110 - counters
            await anyio.sleep(0.01)


async def run_session(api_key: str | None) -> None:
    async with (
        fake_server(api_key) as server,
        live_actor.open_session(
            CONFIG,
            api_key=api_key or "offline-key",
            base_url=server.url if server else None,
            policy=POLICY,
        ) as session,
    ):
        await chat(session, "my name is Alice")
        if server is not None:
            await confirmed(session)
            server.connections[-1].drop()  # the network drops the socket
            await server.wait_for_connection(2)
            await session.wait_ready()
        await chat(session, "what is my name")
        if server is not None:
            server.connections[-1].go_away(3.0)  # the server announces the end
            await server.wait_for_connection(3)
            await session.wait_ready()
        await chat(session, "thanks")
        print(f"restarts: {session.restarts}, tokens: {session.usage.total_token_count}")


async def scrape(url: str) -> None:
    """Read our own endpoint once, as Prometheus would, and print a few series."""
    async with httpx.AsyncClient() as client:
        response = await client.get(url)
        response.raise_for_status()
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if sample.name in SHOWN:
                labels = ",".join(f'{k}="{sample.labels[k]}"' for k in SHOWN[sample.name])
                series = sample.name + (f"{{{labels}}}" if labels else "")
                print(f"scraped {series} {sample.value}")


async def main(api_key: str | None, port: int, serve: float) -> None:
    api_key = api_key or os.environ.get("GOOGLE_API_KEY") or os.environ.get("GEMINI_API_KEY")
    url = f"http://127.0.0.1:{serve_metrics(port)}/metrics"
    print(f"metrics at {url}")
    await run_session(api_key)
    await scrape(url)
    if serve > 0:
        print(f"serving {url} for {serve:g} s", flush=True)
        await anyio.sleep(serve)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["asyncio", "trio"], default="asyncio")
    parser.add_argument("--api-key", help="use the real service (default: GEMINI_API_KEY)")
    parser.add_argument("--port", type=int, default=0, help="0: any free port (default)")
    parser.add_argument("--serve", type=float, default=0.0, metavar="SECONDS",
                        help="keep /metrics up this long after the session")
    args = parser.parse_args()
    # live_actor never configures structlog, whose default prints debug events to stdout.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    anyio.run(main, args.api_key, args.port, args.serve, backend=args.backend)
