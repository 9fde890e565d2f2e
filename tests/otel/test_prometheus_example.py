"""examples/otel_prometheus.py serves live_actor's metrics to a Prometheus scrape.

The example runs as the application would (it sets the global MeterProvider in its own
process); this test scrapes its endpoint once with httpx, as Prometheus would.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "otel_prometheus.py"


def test_the_example_serves_token_usage_and_reconnects() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("GEMINI_API_KEY", "GOOGLE_API_KEY")}
    proc = subprocess.Popen(
        [sys.executable, str(EXAMPLE), "--serve", "60"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
    )
    try:
        assert proc.stdout is not None
        url = ""
        lines = []
        for line in proc.stdout:  # until the session is over and the endpoint stays up
            lines.append(line)
            if line.startswith("metrics at "):
                url = line.split()[-1]
            if line.startswith("serving "):
                break
        assert url, "".join(lines)
        response = httpx.get(url, timeout=10)
    finally:
        proc.terminate()
        _out, err = proc.communicate(timeout=10)
    assert response.status_code == 200
    assert "Traceback" not in err, err
    text = response.text
    assert "gen_ai_client_token_usage" in text
    assert "live_actor_reconnects_total" in text
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }

    def value(name: str, **labels: str) -> float:
        return sum(
            v for (n, ls), v in samples.items() if n == name and labels.items() <= dict(ls).items()
        )

    assert value("live_actor_reconnects_total", live_actor_exit_kind="transient") == 1
    assert value("live_actor_reconnects_total", live_actor_exit_kind="planned") == 1
    tokens = value("gen_ai_client_token_usage_sum")
    assert tokens > 0 and f"tokens: {int(tokens)}" in "".join(lines)  # the handle's total
    assert value("gen_ai_client_token_usage_count", gen_ai_token_type="input") == 3
    assert any(name == "live_actor_sessions_active" for name, _labels in samples)
    assert value("live_actor_sessions_active") == 0  # the session is over
