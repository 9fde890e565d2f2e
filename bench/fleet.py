"""What a session store costs: store writes per call-minute, and latency added per turn.

Latency: one session sends ``--turns`` text turns one after another (``"stream 1"``:
a one-letter reply) with no store, a ``MemoryStore`` and a ``RedisStore`` (a local
``redis-server`` with ``appendonly yes`` + ``appendfsync always``, Fernet
encryption); per turn it times the send (a control message is in the store before
its send returns: the round trip is on this path) and the whole turn (send → the
reply's ``turnComplete``).  The table shows medians and p95, and the difference
to no store.

Writes: ``--calls`` calls run for ``--seconds`` seconds, each sending a text turn
every ``--every`` seconds and, in the voice variant, 20 ms audio chunks in real time
(media is not persisted by default; ``media_flush_interval=1`` writes the ring
every second).  It counts every store operation: control-path writes, write-behind
writes (handles, turns, reconnects), and the worker's heartbeats (one per third of
the lease TTL for all its calls), per call-minute.

The fake server runs in a separate process (``bench/_common.py``).

    .venv/bin/python bench/fleet.py                  # ~2 min
    .venv/bin/python bench/fleet.py --write-results  # + update bench/RESULTS.md
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    API_KEY,
    MODEL,
    ServerProcess,
    machine,
    percentile,
    quiet_logging,
    replace_section,
)

import live_actor
from live_actor.stores import MemoryStore, RedisStore, SessionStore, generate_key

CHUNK = b"\x00\x00" * 320  # 20 ms of 16 kHz silence
LEASE_TTL = 10.0


@contextmanager
def redis_server() -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit("redis-server is not installed (Debian: apt-get install redis-server)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    directory = tempfile.mkdtemp(prefix="bench-redis-")
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", directory]
    args += ["--appendonly", "yes", "--appendfsync", "always", "--save", ""]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(500):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.01)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)
        shutil.rmtree(directory, ignore_errors=True)


def fsync(url: str, policy: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    client.config_set("appendfsync", policy)
    client.close()


def config(url: str) -> live_actor.LiveConfig:
    return live_actor.LiveConfig(
        model=MODEL, base_url=url, generation_config={"response_modalities": ["TEXT"]}
    )


async def latency(url: str, store: SessionStore | None, turns: int) -> dict[str, list[float]]:
    sends: list[float] = []
    whole: list[float] = []
    async with live_actor.Supervisor(store=store) as sup:
        handle = await sup.start_session(config(url), api_key=API_KEY)
        await handle.connect()
        for _ in range(5):  # warm up
            await handle.send_client_content("stream 1")
            await handle.receive_turn()
        for _ in range(turns):
            start = time.perf_counter()
            await handle.send_client_content("stream 1")
            sent = time.perf_counter()
            await handle.receive_turn()
            sends.append((sent - start) * 1e6)
            whole.append((time.perf_counter() - start) * 1e6)
    return {"send": sends, "turn": whole}


async def call(
    sup: live_actor.Supervisor, url: str, seconds: float, every: float, voice: bool
) -> int:
    handle = await sup.start_session(config(url), api_key=API_KEY)
    await handle.connect()
    turns = 0
    deadline = anyio.current_time() + seconds
    async with anyio.create_task_group() as tg:
        if voice:

            async def stream() -> None:
                while True:
                    await handle.send_realtime_input(audio=CHUNK)
                    await anyio.sleep(0.02)

            tg.start_soon(stream)
        while anyio.current_time() < deadline:
            await handle.send_client_content("stream 1")
            await handle.receive_turn()
            turns += 1
            await anyio.sleep(every)
        tg.cancel_scope.cancel()
    return turns


async def writes(
    url: str, store: SessionStore, args: argparse.Namespace, voice: bool
) -> dict[str, float]:
    counted: dict[str, float] = {}
    async with live_actor.Supervisor(store=store) as sup:
        turns = 0

        async def one() -> None:
            nonlocal turns
            done = await call(sup, url, args.seconds, args.every, voice)
            turns += done

        started = anyio.current_time()
        async with anyio.create_task_group() as tg:
            for _ in range(args.calls):
                tg.start_soon(one)
            await anyio.sleep(0.5)
            actors = [h._actor for h in sup.sessions]
        minutes = (anyio.current_time() - started) / 60
        control = sum(a.persist.control_writes for a in actors if a.persist)
        behind = sum(a.persist.writes for a in actors if a.persist) - control
        keeper = sup._keeper
        beats = keeper.heartbeats if keeper else 0
        call_minutes = args.calls * minutes
        counted = {
            "turns per call-minute": turns / call_minutes,
            "control-path writes": control / call_minutes,
            "write-behind writes": behind / call_minutes,
            "heartbeats (whole worker)": beats / call_minutes,
            "total": (control + behind + beats) / call_minutes,
            "per turn (sessions' writes)": (control + behind) / max(1, turns),
        }
    return counted


def table(rows: list[tuple[str, Any]]) -> str:
    return "\n".join(f"| {name} | {value} |" for name, value in rows)


async def main(args: argparse.Namespace) -> str:
    quiet_logging()
    out: list[str] = []
    key = generate_key()
    with ServerProcess() as server, redis_server() as redis_url:
        url = server.url
        stores: dict[str, Any] = {
            "no store": lambda: None,
            "MemoryStore": lambda: MemoryStore(),
            "RedisStore (local, appendfsync always, Fernet)": lambda: RedisStore(
                redis_url, key=key
            ),
            "RedisStore (local, appendfsync everysec, Fernet)": lambda: RedisStore(
                redis_url, key=key
            ),
            "RedisStore (local, appendfsync everysec, plaintext)": lambda: RedisStore(
                redis_url, plaintext=True
            ),
        }
        results = {}
        for name, make in stores.items():
            fsync(redis_url, "everysec" if "everysec" in name else "always")
            results[name] = await latency(url, make(), args.turns)
        fsync(redis_url, "always")
        base = results["no store"]
        out.append(
            f"Latency: {args.turns} sequential text turns (`stream 1`) per variant, backend"
            f" {args.backend}; µs, median (p95).\n"
        )
        out.append(
            "| store | send returns | Δ send vs no store | whole turn | Δ turn vs no store |"
        )
        out.append("|---|---:|---:|---:|---:|")
        for name, res in results.items():
            send, turn = statistics.median(res["send"]), statistics.median(res["turn"])
            out.append(
                f"| {name} | {send:.0f} ({percentile(res['send'], 95):.0f})"
                f" | {send - statistics.median(base['send']):+.0f}"
                f" | {turn:.0f} ({percentile(res['turn'], 95):.0f})"
                f" | {turn - statistics.median(base['turn']):+.0f} |"
            )
        out.append("")
        for label, voice, flush in () if args.latency_only else (
            ("text calls", False, None),
            ("voice calls (audio streamed, media not persisted)", True, None),
            ("voice calls, media_flush_interval=1.0", True, 1.0),
        ):
            store = RedisStore(redis_url, key=key, lease_ttl=LEASE_TTL, media_flush_interval=flush)
            counts = await writes(url, store, args, voice)
            await store.aclose()
            out.append(
                f"Writes, {label}: {args.calls} calls x {args.seconds:g} s, a text turn every"
                f" {args.every:g} s, lease TTL {LEASE_TTL:g} s; store operations per call-minute.\n"
            )
            out.append("| measure | value |\n|---|---:|")
            out.append(table([(k, f"{v:.1f}") for k, v in counts.items()]))
            out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--turns", type=int, default=300)
    parser.add_argument("--calls", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--every", type=float, default=4.0, help="seconds between text turns")
    parser.add_argument("--backend", choices=["asyncio", "trio"], default="trio")
    parser.add_argument("--latency-only", action="store_true")
    parser.add_argument("--write-results", action="store_true")
    arguments = parser.parse_args()
    body = anyio.run(main, arguments, backend=arguments.backend)
    print(body)
    if arguments.write_results:
        command = "Command: .venv/bin/python bench/fleet.py --write-results " + " ".join(
            f"--{k} {v}" for k, v in (("backend", arguments.backend),)
        )
        replace_section("Fleet (bench/fleet.py)", machine() + command + "\n\n" + body + "\n")
