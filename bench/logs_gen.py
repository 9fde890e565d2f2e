"""Synthetic live_actor JSON logs (per docs/logs.md), and the ``live-actor logs`` benchmark.

    python bench/logs_gen.py OUT.jsonl --lines 1000000 --sessions 2000   # write a log
    python bench/logs_gen.py --bench --write-results                     # measure

Each session lives on its own clock (dial, setup, turns with usage and tool calls,
goAway rotations, drops with reconnect and resume, a rejected handle now and then, and
a ``closed`` event whose totals agree with the stream, or no ``closed`` for a few that
stay open); sessions are interleaved by time as one process's log would be. A small
share of other loggers' lines and malformed lines is mixed in (``--noise``).

``--bench`` writes such a log to a temporary file and runs ``live-actor logs`` on it
(summary, ``--json``, ``--session``, ``--html``) as child processes, reporting wall
time and peak RSS of each (``os.wait4``).
"""

from __future__ import annotations

import argparse
import heapq
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

MODELS = ("gemini-live-2.5-flash-preview", "gemini-2.5-flash-native-audio-preview-12-2025")
KINDS = ("client_content", "realtime_text", "activity", "tool_response", "audio")


def _session(index: int, start: float, budget: int, rng: random.Random) -> Iterator[dict[str, Any]]:
    """One session's events in time order, about *budget* of them."""
    sid = f"s-{index:05d}"
    model = MODELS[index % len(MODELS)]
    now = start
    emitted = 0
    connection = 0
    restarts: dict[str, int] = {}
    turns = tokens = prompt_total = response_total = replayed = dropped = 0

    def ev(name: str, level: str = "info", **fields: Any) -> dict[str, Any]:
        nonlocal emitted
        emitted += 1
        base: dict[str, Any] = {"timestamp": now, "level": level, "event": name}
        base.update(session_id=sid, model=model, connection=connection)
        base.update(fields)
        return base

    def dial(resuming: bool) -> Iterator[dict[str, Any]]:
        nonlocal now, connection
        connection += 1
        yield ev("live_actor.session.status", "debug", status="connecting")
        yield ev(
            "live_actor.session.connect",
            url="wss://generativelanguage.googleapis.com/ws/...?key=REDACTED",
            resuming=resuming,
        )
        ready = rng.uniform(0.08, 0.4)
        now += ready
        yield ev("live_actor.session.setup_complete", resumed=resuming, time_to_ready=ready)
        yield ev("live_actor.session.status", "debug", status="ready")

    yield from dial(False)
    closes = rng.random() > 0.05
    while emitted < budget:
        now += rng.expovariate(1 / 4.0)
        if rng.random() < 0.15:
            ids = [f"call-{index}-{turns}"]
            yield ev("live_actor.session.tool_call", names=["lookup"], ids=ids)
            took = rng.uniform(0.01, 0.8)
            now += took
            outcome = "ok" if rng.random() > 0.05 else "error"
            yield ev("live_actor.session.tool_result", ids=ids, names=["lookup"],
                     duration=took, outcome=outcome)
        first = rng.uniform(0.15, 0.9)
        length = rng.uniform(0.3, 3.0)
        now += first + length
        p, r = rng.randint(20, 400), rng.randint(10, 300)
        turns += 1
        tokens += p + r
        prompt_total += p
        response_total += r
        yield ev("live_actor.session.usage", "debug", prompt_tokens=prompt_total,
                 response_tokens=response_total, total_tokens=tokens)
        yield ev(
            "live_actor.session.turn_complete",
            turn=turns, time_to_first_response=first, duration=length,
            prompt_tokens=p, response_tokens=r, total_tokens=p + r,
            tokens_by_modality={"prompt": {"TEXT": p}, "response": {"AUDIO": r}},
            interrupted=rng.random() < 0.05, cut=False,
        )
        yield ev("live_actor.session.resumption_update", "debug", resumable=True,
                 has_handle=True, last_consumed=None)
        incident = rng.random()
        if incident < 0.03:  # goAway -> rotation at the next safe point
            notice = rng.uniform(5, 60)
            yield ev("live_actor.session.go_away", time_left=notice)
            waited = rng.uniform(0.05, min(notice, 3))
            now += waited
            yield ev("live_actor.supervisor.rotating", notice=notice, waited=waited,
                     safe_point=True, time_left=notice - waited)
            yield ev("live_actor.supervisor.exit", kind="planned", code=1000, reason="",
                     during_setup=False, cause="go_away")
            restarts["planned"] = restarts.get("planned", 0) + 1
            last_good = now
            yield ev("live_actor.supervisor.reconnecting", attempt=1, delay=0.0,
                     cause="go_away", kind="planned")
            yield from dial(True)
            yield ev("live_actor.supervisor.resumed", state_restored=True, cause="planned",
                     downtime=now - last_good, replayed=0, replayed_by_kind={},
                     replayed_ids=[], dropped=0, dropped_reasons={}, reseeded_turns=0)
        elif incident < 0.06:  # a drop -> back off, reconnect, resume and replay
            yield ev("live_actor.supervisor.exit", kind="transient", code=1006, reason="",
                     during_setup=False, cause="connection lost")
            restarts["transient"] = restarts.get("transient", 0) + 1
            last_good = now
            delay = rng.uniform(0.05, 1.5)
            yield ev("live_actor.supervisor.reconnecting", attempt=1, delay=delay,
                     cause="connection lost", kind="transient")
            now += delay
            rejected = rng.random() < 0.1
            if rejected:
                yield ev("live_actor.supervisor.handle_rejected", "warning", code=1008,
                         reason="session not found")
            yield from dial(True)
            n = rng.randint(0, 6)
            by_kind: dict[str, int] = {}
            for _ in range(n):
                kind = rng.choice(KINDS)
                by_kind[kind] = by_kind.get(kind, 0) + 1
            lost = rng.randint(0, 3)
            replayed += n
            dropped += lost
            yield ev("live_actor.supervisor.resumed", state_restored=not rejected,
                     cause="transient", downtime=now - last_good, replayed=n,
                     replayed_by_kind=by_kind, replayed_ids=list(range(turns, turns + n)),
                     dropped=lost, dropped_reasons={"media_overflow": lost} if lost else {},
                     reseeded_turns=turns if rejected else 0)
    if closes:
        now += rng.uniform(0.05, 0.5)
        yield ev("live_actor.session.status", "debug", status="closing")
        yield ev(
            "live_actor.session.closed", code=1000, reason="", error=None,
            final_status="closed", connections=connection, restarts=sum(restarts.values()),
            restarts_by_cause=restarts, dropped=dropped,
            ledger={"accepted": turns * 2, "sent": turns * 2, "queued": 0,
                    "replayed": replayed, "confirmed": turns * 2 - dropped,
                    "dropped": dropped, "dropped_media": dropped, "unconfirmed_at_close": 0},
            usage={"turns": turns, "prompt_tokens": prompt_total,
                   "response_tokens": response_total, "total_tokens": tokens},
        )


def generate(
    lines: int, sessions: int, *, seed: int = 1, start: float = 1796150000.0,
    span: float = 3600.0,
) -> Iterator[dict[str, Any]]:
    """About *lines* events of *sessions* sessions, merged in time order."""
    rng = random.Random(seed)
    budget = max(lines // max(sessions, 1) - 6, 8)
    streams = [
        _session(i, start + rng.uniform(0, span), budget, random.Random(seed * 100_003 + i))
        for i in range(sessions)
    ]
    return heapq.merge(*streams, key=lambda e: e["timestamp"])


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def write(path: str, lines: int, sessions: int, *, seed: int = 1, epoch: bool = False,
          noise: float = 0.001, span: float = 3600.0) -> int:
    """Write the log; returns the number of lines written."""
    rng = random.Random(seed + 7)
    count = 0
    with open(path, "wb") as out:
        for event in generate(lines, sessions, seed=seed, span=span):
            if not epoch:
                event["timestamp"] = _iso(event["timestamp"])
            out.write(orjson.dumps(event) + b"\n")
            count += 1
            if noise and rng.random() < noise:
                out.write(b'{"timestamp": "2026-01-01T00:00:00Z", "level": "info", '
                          b'"event": "request served", "logger": "app"}\n')
                out.write(b'{"this line is broken\n' if rng.random() < 0.5 else b"\n")
                count += 2
    return count


def _measure(argv: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one child process."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}")
    return elapsed, usage.ru_maxrss / 1024


def disabled_call_ns() -> dict[str, float]:
    """Best-of-7 ns per disabled ``log.debug(...)`` on each route, and structlog's own
    filtering logger for reference (structlog left unconfigured, as an app would)."""
    import logging
    import timeit

    import structlog

    from live_actor import _log

    routed = _log.get_logger().bind(session_id="s-1", model="m", connection=1)
    assert isinstance(routed, _log.StdlibRoutedLogger)
    plain = structlog.stdlib.BoundLogger(
        logging.getLogger("live_actor"),
        [structlog.stdlib.filter_by_level, *_log.STDLIB_PROCESSORS],
        {"session_id": "s-1", "model": "m", "connection": 1},
    )
    filtering = structlog.make_filtering_bound_logger(logging.INFO)(None, [], {})
    out = {}
    for label, log in (
        ("live_actor stdlib route (isEnabledFor first)", routed),
        ("structlog.stdlib.BoundLogger + filter_by_level", plain),
        ("structlog make_filtering_bound_logger(INFO)", filtering),
    ):
        number = 200_000
        best = min(
            timeit.repeat(lambda log=log: log.debug("live_actor.session.status", status="ready"),
                          number=number, repeat=7)
        )
        out[label] = best / number * 1e9
    return out


def bench(lines: int, sessions: int, write_results: bool) -> None:
    cli = str(Path(sys.executable).with_name("live-actor"))
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "bench.jsonl")
        started = time.perf_counter()
        written = write(log, lines, sessions)
        generated = time.perf_counter() - started
        size = os.path.getsize(log) / 2**20
        runs = [
            ("summary table", [cli, "logs", log]),
            ("--json", [cli, "logs", log, "--json"]),
            ("--session s-00007 (timeline)", [cli, "logs", log, "--session", "s-00007"]),
            ("--event resumed", [cli, "logs", log, "--event", "resumed"]),
            ("--html (page)", [cli, "logs", log, "--html", os.path.join(tmp, "t.html")]),
        ]
        rows = []
        for label, argv in runs:
            elapsed, rss = _measure(argv)
            rows.append(f"| {label} | {elapsed:.1f} | {rss:.0f} |")
            print(rows[-1], flush=True)
        small = os.path.join(tmp, "small.jsonl")
        write(small, lines // 10, sessions)
        _, small_rss = _measure([cli, "logs", small])
    table = "\n".join(["| command | wall s | peak RSS MiB |", "|---|---:|---:|", *rows])
    calls = "\n".join(
        ["| disabled `log.debug(...)` (bound logger, level WARNING) | ns per call |",
         "|---|---:|", *(f"| {k} | {v:.0f} |" for k, v in disabled_call_ns().items())]
    )
    body = (
        f"{_machine()}"
        f"Command: .venv/bin/python bench/logs_gen.py --bench --lines {lines} "
        f"--sessions {sessions}{' --write-results' if write_results else ''}\n\n"
        f"Input: {written} lines ({size:.0f} MiB, ISO timestamps, 0.1 % other loggers' "
        f"lines and blank/broken lines mixed in) of {sessions} sessions, generated in "
        f"{generated:.1f} s. Each figure is one run of `live-actor logs LOG ...` as a child "
        f"process (wall time, peak RSS from wait4).\n\n{table}\n\n"
        f"Memory follows sessions, not lines: the summary over a tenth of the lines "
        f"({lines // 10}, same {sessions} sessions) peaks at {small_rss:.0f} MiB. "
        f"The page keeps at most 2,000 marks per session and 200,000 in all, hence its "
        f"larger but bounded figure.\n\n"
        f"Cost of a disabled event when the app configured nothing (best of 7 x 200,000 "
        f"calls, the lambda's own call included):\n\n{calls}"
    )
    print(body)
    if write_results:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from _common import replace_section

        replace_section("Logs (bench/logs_gen.py)", body)


def _machine() -> str:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _common import machine

    return str(machine())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", nargs="?", help="the JSON lines file to write")
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--sessions", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--span", type=float, default=3600.0, help="seconds sessions start in")
    parser.add_argument("--epoch", action="store_true", help="epoch timestamps instead of ISO")
    parser.add_argument("--noise", type=float, default=0.001)
    parser.add_argument("--bench", action="store_true", help="measure live-actor logs")
    parser.add_argument("--write-results", action="store_true")
    args = parser.parse_args()
    if args.bench:
        bench(args.lines, args.sessions, args.write_results)
        return 0
    if not args.out:
        parser.error("give OUT (the file to write) or --bench")
    count = write(args.out, args.lines, args.sessions, seed=args.seed, epoch=args.epoch,
                  noise=args.noise, span=args.span)
    print(f"wrote {count} lines to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
