"""Realtime voice calls per core: live_actor against the bare transports and google-genai.

A voice server holds many calls; each sends 20 ms of 16 kHz audio every 20 ms
(at absolute deadlines) and receives 40 ms of 24 kHz audio 25 times a second,
for as long as the call lasts.  This runs N such calls in one client process
against a stream server in another process (``_scale_server.py``: the Live
protocol's setup, then audio at 25 Hz per call; see there why not the
FakeLiveServer), for every client variant (``_scale_clients.py``):

* asyncio: live_actor, bare ``websockets`` (json + base64 by hand), google-genai;
* trio: live_actor (trio-websocket, the default), bare trio-websocket, and
  live_actor with ``TransportOptions(trio_backend="websockets")``.

Each measurement is a fresh child process (imports done, then N calls
connected, ``--warmup`` seconds of streaming, then ``--seconds`` measured).
It reports the client process's CPU per call-second (``time.process_time()``
over the window, divided by N x wall seconds) and its inverse, calls per
core; p50/p99 send lateness (a send's return minus its due time) and receive
lateness (when the client had the PCM minus the due time the server wrote into
it); RSS per call (process RSS growth over N).

Phases: (1) the ratio table, every variant at ``--calls`` calls, ``--repeat``
times interleaved (medians); (2) the capacity sweep, each variant at growing N
(``--sizes``) until p99 lateness (send or receive) reaches 20 ms or calls fall
behind: the largest N per process that keeps p99 under 20 ms; (3) with
``--procs K``, K client processes at once (the machine's capacity);
(4) memory per session under tracemalloc (``--memory``, on by default).

    .venv/bin/python bench/scale.py                  # everything (~12 min)
    .venv/bin/python bench/scale.py --quick          # a smaller run (~3 min)
    .venv/bin/python bench/scale.py --procs 2        # + 2 client processes at once
    .venv/bin/python bench/scale.py --write-results  # + update bench/RESULTS.md
    .venv/bin/python bench/scale.py --profile        # py-spy: pip install -e '.[bench]'
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from _common import ServerProcess, machine, replace_section  # noqa: E402

LATE_MS = 20.0  # the lateness bound of the capacity sweep (p99)
ALL_VARIANTS = [
    "live_actor/asyncio",
    "websockets",
    "google-genai",
    "live_actor/trio",
    "trio-websocket",
    "live_actor/trio+ws",
]


class StreamServer(ServerProcess):
    """``with StreamServer() as server:`` runs ``_scale_server.py`` in a child process."""

    def __init__(self) -> None:
        super().__init__([sys.executable, str(HERE / "_scale_server.py")])

    def _command(self, text: str) -> None:
        assert self._proc is not None and self._proc.stdin is not None
        self._proc.stdin.write(text + "\n")
        self._proc.stdin.flush()

    def reset(self) -> None:
        self._command("RESET")

    def stats(self) -> dict[str, Any]:
        assert self._proc is not None and self._proc.stdout is not None
        self._command("STATS")
        stats: dict[str, Any] = json.loads(self._proc.stdout.readline())
        return stats


# ------------------------------------------------------------------ children


def _child_command(args: argparse.Namespace, variant: str, calls: int, heap: bool) -> list[str]:
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        variant,
        "--url",
        args.url,
        "--calls",
        str(calls),
        "--seconds",
        str(args.seconds),
        "--warmup",
        str(args.warmup),
        "--consume",
        args.consume,
    ]
    if args.profile is not None:
        command += ["--profile", str(Path(args.profile_dir) / (variant.replace("/", "_") + ".txt"))]
    return command + (["--heap"] if heap else [])


def _parse(out: str, err: str, variant: str) -> dict[str, Any]:
    for line in out.splitlines():
        if line.startswith("RESULT "):
            result: dict[str, Any] = json.loads(line[len("RESULT ") :])
            return result
    raise RuntimeError(f"{variant}: no result\n{err[-3000:]}")


def run_children(
    args: argparse.Namespace,
    server: StreamServer,
    variant: str,
    calls: int,
    *,
    procs: int = 1,
    heap: bool = False,
) -> list[dict[str, Any]]:
    """Run ``procs`` client processes of ``calls`` calls each at once."""
    server.reset()
    children = [
        subprocess.Popen(
            _child_command(args, variant, calls, heap),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=str(HERE.parent),
        )
        for _ in range(procs)
    ]
    results = []
    for child in children:
        out, err = child.communicate(timeout=300)
        results.append(_parse(out, err, variant))
    stats = server.stats()
    for result in results:
        result["server"] = stats
    return results


def child_main(args: argparse.Namespace) -> int:
    import anyio
    from _common import quiet_logging
    from _scale_clients import VARIANTS, run_calls

    quiet_logging()
    backend = VARIANTS[args.child][0]
    result = anyio.run(
        lambda: run_calls(
            args.child,
            args.url,
            calls=args.calls,
            warmup=args.warmup,
            seconds=args.seconds,
            consume=args.consume,
            heap=args.heap,
            profile=args.profile,
        ),
        backend=backend,
    )
    result["backend"] = backend
    print("RESULT " + json.dumps(result), flush=True)
    return 0


# ------------------------------------------------------------------ phases


def _ok(result: dict[str, Any]) -> bool:
    """p99 lateness under the bound both ways, every call kept its pace."""
    return (
        result["error_count"] == 0
        and result["send_p99_ms"] < LATE_MS
        and result["recv_p99_ms"] < LATE_MS
        and result["sends"] >= 0.97 * result["sends_expected"]
        and result["recvs"] >= 0.97 * result["recvs_expected"]
    )


def _late(result: dict[str, Any]) -> str:
    return (
        f"send p99 {result['send_p99_ms']:.1f} ms, recv p99 {result['recv_p99_ms']:.1f} ms,"
        f" server p99 {result['server']['late_p99_ms']:.1f} ms"
    )


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def ratio_phase(
    args: argparse.Namespace, server: StreamServer, variants: list[str]
) -> dict[str, list[dict[str, Any]]]:
    runs: dict[str, list[dict[str, Any]]] = {v: [] for v in variants}
    for rep in range(args.repeat):
        for variant in variants:
            (result,) = run_children(args, server, variant, args.calls)
            runs[variant].append(result)
            _say(
                f"[{rep + 1}/{args.repeat}] {variant:20} N={args.calls}:"
                f" {result['cpu_ms_per_call_s']:.3f} ms CPU/call-s, {_late(result)}"
                + (f", errors {result['errors']}" if result["error_count"] else "")
            )
    return runs


def capacity_phase(
    args: argparse.Namespace, server: StreamServer, variants: list[str]
) -> dict[str, list[dict[str, Any]]]:
    sweeps: dict[str, list[dict[str, Any]]] = {}
    for variant in variants:
        sweeps[variant] = []
        for calls in args.sizes:
            (result,) = run_children(args, server, variant, calls)
            sweeps[variant].append(result)
            ok = _ok(result)
            _say(
                f"capacity {variant:20} N={calls}: busy {result['busy']:.0%}, {_late(result)}"
                f" -> {'ok' if ok else 'MISSED'}"
            )
            if not ok:
                break
    return sweeps


def procs_phase(
    args: argparse.Namespace, server: StreamServer, variants: list[str], calls: dict[str, int]
) -> dict[str, list[dict[str, Any]]]:
    out = {}
    for variant in variants:
        results = run_children(args, server, variant, calls[variant], procs=args.procs)
        out[variant] = results
        _say(
            f"procs {variant:20} {args.procs} x {calls[variant]}: "
            + ", ".join(f"p99 {r['send_p99_ms']:.1f}/{r['recv_p99_ms']:.1f}" for r in results)
        )
    return out


def memory_phase(
    args: argparse.Namespace, server: StreamServer, variants: list[str]
) -> dict[str, dict[str, Any]]:
    out = {}
    for variant in variants:
        (result,) = run_children(args, server, variant, args.memory_calls, heap=True)
        out[variant] = result
        _say(
            f"memory {variant:20} N={args.memory_calls}: heap idle"
            f" {result['heap_idle_kib_per_call']:.1f} KiB, streaming"
            f" {result['heap_kib_per_call']:.1f} KiB per call"
        )
    return out


# ------------------------------------------------------------------ report


def _med(results: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in results)


def _largest_ok(sweep: list[dict[str, Any]]) -> tuple[int, bool]:
    """(largest N that kept p99 < 20 ms, whether the sweep found the limit)."""
    best = 0
    for result in sweep:
        if not _ok(result):
            return best, True
        best = result["calls"]
    return best, False


def report(
    args: argparse.Namespace,
    runs: dict[str, list[dict[str, Any]]],
    sweeps: dict[str, list[dict[str, Any]]],
    procs: dict[str, list[dict[str, Any]]],
    memory: dict[str, dict[str, Any]],
) -> str:
    from _scale_clients import BARE, VARIANTS

    lines = [
        f"Ratio table: {args.calls} calls per client process, {args.seconds:g} s measured after"
        f" {args.warmup:g} s of streaming, median of {args.repeat} interleaved runs;"
        f" live_actor consumes with {'events()' if args.consume == 'events' else 'on_message'}.",
        "",
        "| backend | client | CPU ms per call-second | vs bare | calls per core"
        " | send p50 / p99 ms | recv p50 / p99 ms | RSS KiB per call | largest N, p99 < 20 ms |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    verdicts = []
    for variant, results in runs.items():
        backend, label = VARIANTS[variant]
        cpu = _med(results, "cpu_ms_per_call_s")
        bare = runs.get(BARE[backend])
        ratio = cpu / _med(bare, "cpu_ms_per_call_s") if bare else float("nan")
        largest = ""
        if variant in sweeps:
            n, limited = _largest_ok(sweeps[variant])
            largest = f"{n}" if limited else f">= {n}"
        lines.append(
            f"| {backend} | {label} | {cpu:.3f} | {ratio:.2f}x | {1000 / cpu:.0f}"
            f" | {_med(results, 'send_p50_ms'):.2f} / {_med(results, 'send_p99_ms'):.2f}"
            f" | {_med(results, 'recv_p50_ms'):.2f} / {_med(results, 'recv_p99_ms'):.2f}"
            f" | {_med(results, 'rss_kib_per_call'):.0f} | {largest} |"
        )
        if variant.startswith("live_actor") and bare:
            verdicts.append(
                f"- {label}: {ratio:.2f}x the CPU of bare {BARE[backend]} per call-second"
                f" (target <= 1.00x: {'met' if ratio <= 1.0 else 'MISSED'})"
            )
    if "live_actor/asyncio" in runs and "google-genai" in runs:
        times = _med(runs["google-genai"], "cpu_ms_per_call_s") / _med(
            runs["live_actor/asyncio"], "cpu_ms_per_call_s"
        )
        verdicts.append(
            f"- live_actor on asyncio holds {times:.2f}x google-genai's calls per core"
            f" (target >= 1.6x: {'met' if times >= 1.6 else 'MISSED'})"
        )
    servers = [r["server"] for rs in runs.values() for r in rs]
    if servers:
        verdicts.append(
            "- stream server (its own process): send lateness p99 "
            f"{statistics.median(s['late_p99_ms'] for s in servers):.2f} ms (median over runs),"
            f" max {max(s['late_max_ms'] for s in servers):.1f} ms; CPU"
            f" {statistics.median(s['cpu_s'] / s['wall_s'] for s in servers):.0%} of a core"
        )
    lines += ["", *verdicts]
    if sweeps:
        lines += [
            "",
            "Capacity sweep (one client process; stops at the first N whose p99 send or"
            f" receive lateness reaches {LATE_MS:g} ms or whose calls fall behind):",
            "",
            "| client | N | CPU busy | CPU ms per call-second | send p99 ms | recv p99 ms"
            " | server p99 ms | ok |",
            "|---|---:|---:|---:|---:|---:|---:|---|",
        ]
        for variant, sweep in sweeps.items():
            for r in sweep:
                lines.append(
                    f"| {variant} | {r['calls']} | {r['busy']:.0%} | {r['cpu_ms_per_call_s']:.3f}"
                    f" | {r['send_p99_ms']:.1f} | {r['recv_p99_ms']:.1f}"
                    f" | {r['server']['late_p99_ms']:.1f} | {'yes' if _ok(r) else 'no'} |"
                )
    if procs:
        lines += [
            "",
            f"{args.procs} client processes at once (the machine's capacity):",
            "",
            "| client | processes x calls | total calls | CPU busy per process"
            " | worst send p99 ms | worst recv p99 ms | ok |",
            "|---|---|---:|---|---:|---:|---|",
        ]
        for variant, results in procs.items():
            n = results[0]["calls"]
            busy = ", ".join(f"{r['busy']:.0%}" for r in results)
            lines.append(
                f"| {variant} | {len(results)} x {n} | {len(results) * n}"
                f" | {busy}"
                f" | {max(r['send_p99_ms'] for r in results):.1f}"
                f" | {max(r['recv_p99_ms'] for r in results):.1f}"
                f" | {'yes' if all(_ok(r) for r in results) else 'no'} |"
            )
    if memory:
        lines += [
            "",
            f"Memory per session ({args.memory_calls} sessions, Python heap by tracemalloc;"
            " RSS includes the interpreter's arenas and the sockets' kernel-side buffers are"
            " not in it):",
            "",
            "| client | heap idle READY KiB | heap streaming KiB | RSS KiB |",
            "|---|---:|---:|---:|",
        ]
        for variant, r in memory.items():
            lines.append(
                f"| {variant} | {r['heap_idle_kib_per_call']:.1f} | {r['heap_kib_per_call']:.1f}"
                f" | {r['rss_kib_per_call']:.0f} |"
            )
    return "\n".join(lines)


def _frame_name(frame: str) -> str:
    """``fn (path/file.py:12)`` -> ``file.py:fn`` (lines merged)."""
    match = re.match(r"(.*) \((.*?):\d+\)$", frame)
    if match is None:
        return frame
    fn, path = match.groups()
    parts = Path(path).parts
    if "live_actor" in parts:
        short = "/".join(parts[len(parts) - 1 - parts[::-1].index("live_actor") :])
    else:
        short = parts[-1]
    return f"{short}:{fn}"


_GROUPS = [
    (
        "syscalls (socket write, epoll)",
        (
            "_SelectorSocketTransport.write",
            "EpollSelector.select",
            "socket.send",
            "socket.recv",
            "epoll",
            "SocketStream",
        ),
    ),
    ("live_actor", ("live_actor/",)),
    ("websockets", ("websockets/",)),
    ("trio-websocket + wsproto", ("trio_websocket/", "wsproto/")),
    ("trio", ("trio/",)),
    ("asyncio", ("asyncio/", "selectors.py")),
    ("anyio", ("anyio/",)),
    ("google-genai + pydantic", ("google/", "pydantic")),
    ("json + base64", ("json/", "base64.py", "binascii")),
    ("the benchmark", ("_scale_clients.py", "scale.py")),
]


def _group(frame: str) -> str:
    for name, keys in _GROUPS:
        if any(k in frame for k in keys):
            return name
    return "other"


def summarize_profile(path: Path, top: int, cpu_ms: float = 0.0) -> str:
    """Self and inclusive sample shares per function from py-spy's raw output."""
    groups: dict[str, int] = {}
    own: dict[str, int] = {}
    inclusive: dict[str, int] = {}
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack:
            continue
        count = int(count_text)
        frames = [_frame_name(f) for f in stack.split(";")]
        frames = [f for f in frames if not f.startswith("process ") and not f.startswith("thread ")]
        if not frames:
            continue
        total += count
        own[frames[-1]] = own.get(frames[-1], 0) + count
        raw_leaf = stack.split(";")[-1]
        group = _group(raw_leaf)
        groups[group] = groups.get(group, 0) + count
        for name in set(frames):
            inclusive[name] = inclusive.get(name, 0) + count
    out = [f"{total} samples; self time by package (ms CPU per call-second):"]
    for name, count in sorted(groups.items(), key=lambda kv: -kv[1]):
        out.append(f"  {100 * count / total:5.1f} %  {cpu_ms * count / total:6.3f}  {name}")
    out.append("  self %   function")
    for name, count in sorted(own.items(), key=lambda kv: -kv[1])[:top]:
        out.append(f"  {100 * count / total:5.1f}   {name}")
    out.append("  incl %   function (live_actor and transports)")
    keys = ("live_actor", "websockets", "trio_websocket", "wsproto", "_scale_clients")
    for name, count in sorted(inclusive.items(), key=lambda kv: -kv[1]):
        if any(k in name for k in keys) and count / total >= 0.01:
            out.append(f"  {100 * count / total:5.1f}   {name}")
    return "\n".join(out)


def profile_main(args: argparse.Namespace, variants: list[str]) -> int:
    import tempfile

    if not (Path(sys.executable).parent / "py-spy").exists():
        _say("--profile needs py-spy: .venv/bin/pip install -e '.[bench]'")
        return 2
    args.profile_dir = args.profile or tempfile.mkdtemp(prefix="scale-profile-")
    Path(args.profile_dir).mkdir(parents=True, exist_ok=True)
    with StreamServer() as server:
        args.url = server.url
        for variant in variants:
            (result,) = run_children(args, server, variant, args.calls)
            path = Path(args.profile_dir) / (variant.replace("/", "_") + ".txt")
            print(
                f"\n## {variant}: {args.calls} calls, {result['cpu_ms_per_call_s']:.3f} ms CPU"
                f" per call-second (py-spy running), samples in {path}"
            )
            print(summarize_profile(path, args.top, result["cpu_ms_per_call_s"]))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=50, help="calls per process, ratio table")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("-r", "--repeat", type=int, default=3)
    parser.add_argument("--sizes", default="50,100,150,200,250,300,400")
    parser.add_argument("--backend", choices=["asyncio", "trio", "both"], default="both")
    parser.add_argument("--variants", help="comma-separated subset of: " + ", ".join(ALL_VARIANTS))
    parser.add_argument("--procs", type=int, default=1, help="also run K client processes at once")
    parser.add_argument("--consume", choices=["events", "callbacks"], default="events")
    parser.add_argument("--no-capacity", action="store_true")
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--memory-calls", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="1 repeat, 4 s, sizes 50,100,200")
    parser.add_argument("--top", type=int, default=40, help="--profile: functions listed")
    parser.add_argument("--write-results", action="store_true")
    # internal: one client process
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--heap", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--profile",
        nargs="?",
        const="",
        help="py-spy each variant's measured window once (CPU samples only) and print where"
        " the time goes; no tables",
    )
    args = parser.parse_args()
    if args.child:
        return child_main(args)
    if args.quick:
        args.repeat, args.seconds, args.warmup, args.sizes = 1, 4.0, 1.0, "50,100,200"
    args.sizes = [int(s) for s in args.sizes.split(",")]
    from _scale_clients import VARIANTS

    variants = args.variants.split(",") if args.variants else ALL_VARIANTS
    if args.backend != "both":
        variants = [v for v in variants if VARIANTS[v][0] == args.backend]
    if args.profile is not None:
        return profile_main(args, variants)
    started = time.monotonic()
    with StreamServer() as server:
        args.url = server.url
        runs = ratio_phase(args, server, variants)
        sweeps = {} if args.no_capacity else capacity_phase(args, server, variants)
        procs: dict[str, list[dict[str, Any]]] = {}
        if args.procs > 1:
            per_proc = {
                v: max(args.calls, _largest_ok(sweeps[v])[0] if v in sweeps else args.calls)
                for v in variants
            }
            procs = procs_phase(args, server, variants, per_proc)
        memory_variants = [v for v in variants if v.startswith("live_actor")]
        memory = {} if args.no_memory else memory_phase(args, server, memory_variants)
    table = report(args, runs, sweeps, procs, memory)
    print(table)
    _say(f"(took {time.monotonic() - started:.0f} s)")
    if args.write_results:
        command = "python bench/scale.py " + " ".join(sys.argv[1:])
        body = (
            machine()
            + f"Load: {os.getloadavg()[0]:.2f} (1-minute load average when the run ended)\n"
            + f"Command: .venv/bin/{command.strip()}\n\n"
            + table
            + "\n"
        )
        replace_section("Realtime calls per core (bench/scale.py)", body, subsection="Run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
