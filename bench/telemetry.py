"""What OpenTelemetry costs on the session hot path (bench/session.py's live_actor runs).

Modes, each measured in a fresh interpreter so that what is imported differs:

* ``base``: the code before telemetry existed (a git revision, ``--base``, exported
  to a temporary directory), the reference;
* ``absent``: this tree, ``opentelemetry`` blocked (``sys.modules`` entry ``None``),
  as without the ``otel`` extra;
* ``off``: this tree, ``SessionOptions(telemetry=False)``;
* ``api``: this tree, the extra installed, no SDK configured (the API's no-op proxies);
* ``sdk``: this tree, the SDK configured as an application would (global
  ``MeterProvider`` with an in-memory reader, ``TracerProvider`` with a
  ``BatchSpanProcessor`` to an in-memory exporter).

Each child runs, on both backends: ``send`` (N 20 ms audio chunks + a ping turn),
``recv`` (an M-chunk streamed model turn), and ``lifecycle`` (open a session, one
text turn, close: where telemetry does run).  Modes are interleaved ``--repeat`` times
against one fake server in its own process; the table shows medians of client CPU
(``time.process_time()``) and the change against ``base``.

    .venv/bin/python bench/telemetry.py                  # ~3 min
    .venv/bin/python bench/telemetry.py --write-results  # + bench/RESULTS.md
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

MODES = ("base", "absent", "off", "api", "sdk")
LIFECYCLES = 20  # sessions opened and closed per lifecycle measurement


# ------------------------------------------------------------------ child


def child(mode: str, url: str, n: int, m: int) -> dict[str, float]:
    """One measurement of every variant in this interpreter (the mode set up already)."""
    import anyio

    import live_actor

    model = "gemini-live-2.5-flash-preview"
    chunk = b"\x00\x00" * 320

    def config(modality: str) -> Any:
        return live_actor.LiveConfig(
            model=model, generation_config={"response_modalities": [modality]}
        )

    options = live_actor.SessionOptions(telemetry=False) if mode == "off" else None

    def session(modality: str) -> Any:
        return live_actor.open_session(
            config(modality), api_key="bench-key", base_url=url, options=options
        )

    def cpu() -> float:
        return time.process_time()

    async def send() -> float:
        async with session("TEXT") as s:
            await s.send_client_content("warm up")
            await s.receive_turn()
            gc.collect()
            start = cpu()
            for _ in range(n):
                await s.send_realtime_input(audio=chunk)
            await s.send_client_content("ping")
            await s.receive_turn()
            return (cpu() - start) / n

    async def recv() -> float:
        async with session("AUDIO") as s:
            events = s.events()
            gc.collect()
            start = cpu()
            await s.send_client_content(f"stream {m}")
            got = 0
            async for event in events:
                got += 1
                content = event.server_content
                if content is not None and content.turn_complete:
                    break
            assert got > m
            return (cpu() - start) / m

    async def lifecycle() -> float:
        gc.collect()
        start = cpu()
        for _ in range(LIFECYCLES):
            async with session("TEXT") as s:
                await s.send_client_content("hello")
                await s.receive_turn()
        return (cpu() - start) / LIFECYCLES

    out: dict[str, float] = {}
    for backend in ("trio", "asyncio"):
        for name, fn in (("send", send), ("recv", recv), ("lifecycle", lifecycle)):
            out[f"{backend}/{name}"] = anyio.run(fn, backend=backend)
    return out


def child_main(argv: list[str]) -> int:
    mode, url, n, m = argv[0], argv[1], int(argv[2]), int(argv[3])
    if mode == "absent":
        sys.modules["opentelemetry"] = None  # type: ignore[assignment]
    from _common import quiet_logging

    quiet_logging()
    if mode == "sdk":
        from opentelemetry import metrics, trace
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

        metrics.set_meter_provider(MeterProvider(metric_readers=[InMemoryMetricReader()]))
        tracer_provider = TracerProvider()
        tracer_provider.add_span_processor(BatchSpanProcessor(InMemorySpanExporter()))
        trace.set_tracer_provider(tracer_provider)
    import live_actor

    where = Path(live_actor.__file__).resolve().parent.parent
    result = child(mode, url, n, m)
    loaded = any(k.startswith("opentelemetry") and v for k, v in sys.modules.items())
    print(json.dumps({"result": result, "tree": str(where), "otel_loaded": loaded}))
    return 0


# ------------------------------------------------------------------ hooks


def hook_costs() -> dict[str, float]:
    """µs per call of the telemetry hooks with the SDK (in-memory reader, batch spans)."""
    import timeit

    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    sys.path.insert(0, str(ROOT))
    from live_actor._protocol._messages import UsageMetadata
    from live_actor._protocol._usage import Usage
    from live_actor._telemetry import Providers
    from live_actor._telemetry._otel import SessionTelemetry, instruments_for

    tracer_provider = TracerProvider(shutdown_on_exit=False)
    tracer_provider.add_span_processor(BatchSpanProcessor(InMemorySpanExporter()))
    providers = Providers(
        meter_provider=MeterProvider(
            metric_readers=[InMemoryMetricReader()], shutdown_on_exit=False
        ),
        tracer_provider=tracer_provider,
    )
    instruments = instruments_for(providers)
    usage = UsageMetadata(prompt_token_count=12, response_token_count=30, total_token_count=42)
    url = "wss://example.invalid/ws?key=REDACTED"

    def session() -> None:
        t = SessionTelemetry(instruments, model="m", auth="gemini", session_id="s")
        t.status("connecting")
        t.connecting(1, url=url, resuming=False)
        t.status("setup_pending")
        t.ready(resumed=False, time_to_ready=0.1)
        t.status("ready")
        t.turn_completed(usage, time_to_first_response=0.2, duration=1.0, cut=False)
        t.exited("normal", code=1000, cause="normal close 1000", during_setup=False, error=None)
        t.closed(code=1000, error=None, final_status="closed", connections=1, restarts=0,
                 replayed=0, dropped_reasons={}, usage=Usage().plus(usage))

    one = SessionTelemetry(instruments, model="m", auth="gemini", session_id="s")

    def turn() -> None:
        one.turn_completed(usage, time_to_first_response=0.2, duration=1.0, cut=False)

    def best(fn: Any, number: int) -> float:
        return min(timeit.repeat(fn, number=number, repeat=7)) / number * 1e6

    costs = {
        "turn_completed (one model turn)": best(turn, 2000),
        "a whole session (1 connection, 1 turn)": best(session, 300),
    }
    tracer_provider.shutdown()
    return costs


# ------------------------------------------------------------------ parent


def export_base(revision: str, into: Path) -> Path:
    """The tree of ``revision`` (this repository), without a checkout."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", revision], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def _pin(cpu: int) -> None:
    """Keep a process on one CPU (less migration noise) when the machine has two or more."""
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {cpu})


def run_child(mode: str, url: str, n: int, m: int, base: Path | None) -> dict[str, Any]:
    env = dict(os.environ)
    tree = base if mode == "base" else ROOT
    assert tree is not None
    env["PYTHONPATH"] = str(tree)  # before the editable install's finder
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", mode, url, str(n), str(m)],
        capture_output=True,
        text=True,
        env=env,
        cwd=str(tree),
        check=False,
        preexec_fn=lambda: _pin(1),
    )
    if proc.returncode != 0:
        raise RuntimeError(f"mode {mode} failed:\n{proc.stderr}")
    report: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    if Path(report["tree"]) != tree.resolve():
        raise RuntimeError(f"mode {mode} imported live_actor from {report['tree']}, not {tree}")
    expect_loaded = mode in ("api", "sdk")
    if report["otel_loaded"] != expect_loaded:
        raise RuntimeError(f"mode {mode}: opentelemetry loaded = {report['otel_loaded']}")
    return report


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        return child_main(sys.argv[2:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--send", type=int, default=3000)
    parser.add_argument("-m", "--recv", type=int, default=3000)
    parser.add_argument("-r", "--repeat", type=int, default=9)
    parser.add_argument("--base", default="ef369a8", help="revision without telemetry")
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--write-results", action="store_true")
    args = parser.parse_args()
    modes = args.modes.split(",")
    from _common import ServerProcess, machine, replace_section

    samples: dict[tuple[str, str], list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp, ServerProcess() as server:
        if server._proc is not None and hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(server._proc.pid, {0})
        base = export_base(args.base, Path(tmp)) if "base" in modes else None
        for mode in modes:  # warm up: imports compiled, the server's code paths hot
            run_child(mode, server.url, 200, 200, base)
        for rep in range(args.repeat):
            order = modes[rep % len(modes) :] + modes[: rep % len(modes)]  # rotate the order
            for mode in order:
                report = run_child(mode, server.url, args.send, args.recv, base)
                for key, value in report["result"].items():
                    samples.setdefault((mode, key), []).append(value)
            print(f"repeat {rep + 1}/{args.repeat} done", file=sys.stderr, flush=True)

    keys = list(dict.fromkeys(key for _mode, key in samples))
    reference = "base" if "base" in modes else modes[0]
    others = [mode for mode in modes if mode != reference]
    rows = [
        "| variant | " + " | ".join(f"{mode} best / median µs" for mode in modes) + " | "
        + " | ".join(f"{mode} vs {reference}: paired (best)" for mode in others) + " |",
        "|---|" + "---:|" * (len(modes) + len(others)),
    ]
    worst: dict[str, float] = {mode: -1.0 for mode in others}
    for key in keys:
        best = {mode: min(samples[(mode, key)]) * 1e6 for mode in modes}
        median = {mode: statistics.median(samples[(mode, key)]) * 1e6 for mode in modes}
        cells = [f"{best[mode]:.1f} / {median[mode]:.1f}" for mode in modes]
        deltas = []
        for mode in others:
            # paired: each run against the reference run of the same round (drift cancels)
            ratios = [
                value / ref
                for value, ref in zip(samples[(mode, key)], samples[(reference, key)], strict=True)
            ]
            change = statistics.median(ratios) - 1
            change_best = best[mode] / best[reference] - 1
            if "lifecycle" not in key:
                worst[mode] = max(worst[mode], change)
            deltas.append(f"{change * 100:+.1f} % ({change_best * 100:+.1f} %)")
        rows.append(f"| {key} | " + " | ".join(cells) + " | " + " | ".join(deltas) + " |")
    spread = []
    for key in keys:
        values = samples[(reference, key)]
        low, mid = min(values), statistics.median(values)
        spread.append(f"{key} {(mid - low) / low * 100:.0f} %")
    verdicts = []
    for mode in others:
        target = 0.05 if mode == "sdk" else 0.02
        ok = "met" if worst[mode] <= target else "MISSED"
        verdicts.append(
            f"- {mode}: worst hot-path (send/recv) change, paired median,"
            f" {worst[mode] * 100:+.1f} % vs {reference} (target <= {target * 100:.0f} %: {ok})"
        )
    table = "\n".join(rows)
    print(table)
    print("\n".join(verdicts))
    print(f"{reference} noise, (median - best) / best: " + ", ".join(spread))
    hooks = hook_costs()
    hook_lines = "\n".join(f"- {name}: {cost:.1f} µs" for name, cost in hooks.items())
    print(hook_lines)
    if args.write_results:
        command = "python bench/telemetry.py " + " ".join(sys.argv[1:])
        body = (
            machine()
            + f"Command: .venv/bin/{command.strip()}\n\n"
            + f"Modes (see the script's docstring): {', '.join(modes)}; `base` is revision"
            f" {args.base} (no telemetry code). Per variant: send = {args.send} x 20 ms audio"
            f" chunks + a ping turn, µs CPU per chunk; recv = a {args.recv}-chunk streamed"
            f" reply, µs per message; lifecycle = open a session, one text turn, close, µs"
            f" per session ({LIFECYCLES} per run). Client-process CPU of {args.repeat}"
            " interleaved rounds (each mode once per round, in a fresh interpreter, order"
            " rotated; client and fake server pinned to one CPU each). Cells: best / median µs;"
            " changes: the median over rounds of mode / reference in the same round (paired),"
            " and in parentheses best vs best.\n\n"
            + table
            + "\n\n"
            + "\n".join(verdicts)
            + f"\n\n{reference} noise, (median - best) / best: "
            + ", ".join(spread)
            + "\n\nThe hooks themselves, SDK configured (best of 7 timeit runs, µs per call;"
            " the only telemetry work a session does, nothing runs per message):\n\n"
            + hook_lines
            + "\n"
        )
        replace_section("Telemetry cost (bench/telemetry.py)", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
