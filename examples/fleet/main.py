"""A fleet: three worker processes behind a tiny dispatcher; calls survive a killed worker.

Each worker (``worker.py``) runs a ``Supervisor(store=RedisStore(...))`` that keeps
its calls in Redis and adopts orphans.  The dispatcher (this process) starts calls on
the workers in turn, forwards each user's messages to the worker that drives the call,
and re-routes a call when another worker reports it adopted it: that is the app's part
(the end user's media connection moving to the new worker).  Then:

1. worker-1 is killed with SIGKILL mid-conversation: its lease expires, the other
   workers adopt its calls (resumed with the stored handles), and every user is still
   remembered;
2. worker-2 gets SIGTERM: it drains (``sup.drain()``), handing its calls over at a safe
   point with its sockets closed 1001, and worker-3 adopts them at once;
3. ``live-actor logs --session call-1`` shows the hand-over in one call's timeline,
   across the workers' log files.

Run it (a ``redis-server`` binary on PATH, or ``--redis URL``)::

    python examples/fleet/main.py                      # offline: FakeLiveServer
    python examples/fleet/main.py --backend trio --calls 9
    GEMINI_API_KEY=... python examples/fleet/main.py   # real service: 3 calls

Expected output (fake server)::

    3 workers up
    6 calls started
    worker-1 killed (SIGKILL)
    6/6 calls remembered their user after worker-1 died
    worker-2 drained (SIGTERM)
    6/6 calls remembered their user after worker-2 drained
    timeline of call-1: adopted
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import anyio
import anyio.abc
from anyio.streams.text import TextReceiveStream

from live_actor.stores import generate_key
from live_actor.testing import FakeLiveServer

HERE = Path(__file__).resolve().parent
NAMES = ["Ada", "Bob", "Cy", "Dee", "Eve", "Fay", "Gus", "Hal", "Ivy", "Jo", "Kim", "Lu"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def redis_server(directory: Path) -> Iterator[str]:
    """A throwaway redis-server with the durable settings the README recommends."""
    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit("redis-server is not installed (Debian: apt-get install redis-server)")
    port = free_port()
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(directory)]
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


class WorkerProcess:
    """The dispatcher's view of one worker: its stdin, and its reports."""

    def __init__(self, name: str, process: anyio.abc.Process) -> None:
        self.name = name
        self.process = process

    async def send(self, **command: Any) -> None:
        assert self.process.stdin is not None
        await self.process.stdin.send((json.dumps(command) + "\n").encode())


class Dispatcher:
    """Routes each call to the worker that drives it; follows adoptions."""

    def __init__(self) -> None:
        self.workers: dict[str, WorkerProcess] = {}
        self.route: dict[str, str] = {}
        send, self.reports = anyio.create_memory_object_stream[dict[str, Any]](1000)
        self._send = send
        self._backlog: list[dict[str, Any]] = []

    async def read(self, worker: WorkerProcess) -> None:
        assert worker.process.stdout is not None
        buffer = ""
        async for chunk in TextReceiveStream(worker.process.stdout):
            buffer += chunk
            while "\n" in buffer:
                line, buffer = buffer.split("\n", 1)
                report = json.loads(line)
                if report["event"] in ("started", "adopted"):
                    self.route[report["call"]] = report["worker"]  # the user follows
                await self._send.send(report)

    async def until(self, event: str, count: int = 1) -> list[dict[str, Any]]:
        """The next ``count`` reports of ``event`` (others wait for their turn)."""
        while len([r for r in self._backlog if r["event"] == event]) < count:
            self._backlog.append(await self.reports.receive())
        seen = [r for r in self._backlog if r["event"] == event][:count]
        self._backlog = [r for r in self._backlog if not any(r is s for s in seen)]
        return seen

    async def say(self, call: str, text: str) -> None:
        await self.workers[self.route[call]].send(op="say", call=call, text=text)

    async def ask_everyone(self, calls: list[str]) -> int:
        for call in calls:
            await self.say(call, "what is my name?")
        answers = {r["call"]: r["text"] for r in await self.until("answer", len(calls))}
        return sum(answers[c] == f"Your name is {n}." for c, n in zip(calls, NAMES, strict=False))


@asynccontextmanager
async def fake_server(api_key: str | None) -> AsyncIterator[str | None]:
    if api_key:
        yield None
    else:
        async with FakeLiveServer(chunk_delay=0) as server:
            yield server.url


async def main(args: argparse.Namespace) -> None:
    api_key = args.api_key or os.environ.get("GEMINI_API_KEY") or os.environ.get("GOOGLE_API_KEY")
    count = args.calls or (3 if api_key else 6)
    calls = [f"call-{i + 1}" for i in range(count)]
    key = generate_key()  # an app keeps its key in a secret manager
    logs = Path(tempfile.mkdtemp(prefix="live_actor-fleet-"))
    with redis_server(logs) as redis_url:
        async with fake_server(api_key) as url, anyio.create_task_group() as tg:
            dispatcher = Dispatcher()
            for n in (1, 2, 3):
                name = f"worker-{n}"
                command = [sys.executable, str(HERE / "worker.py"), "--name", name]
                command += ["--redis", redis_url, f"--key={key}", "--backend", args.backend]
                command += ["--api-key", api_key or "fake-key"]
                command += ["--log", str(logs / f"{name}.jsonl")]
                command += ["--server", url] if url else []
                process = await anyio.open_process(command, stderr=None)
                dispatcher.workers[name] = worker = WorkerProcess(name, process)
                tg.start_soon(dispatcher.read, worker)
            await dispatcher.until("up", 3)
            print("3 workers up")
            for i, call in enumerate(calls):
                await dispatcher.workers[f"worker-{i % 3 + 1}"].send(op="start", call=call)
            await dispatcher.until("started", count)
            print(f"{count} calls started")
            for call, name in zip(calls, NAMES, strict=False):
                await dispatcher.say(call, f"my name is {name}")
            await dispatcher.until("answer", count)
            await anyio.sleep(0.5)  # the handles issued after the answers are stored

            orphaned = [c for c in calls if dispatcher.route[c] == "worker-1"]
            dispatcher.workers["worker-1"].process.send_signal(signal.SIGKILL)
            print("worker-1 killed (SIGKILL)")
            await dispatcher.until("adopted", len(orphaned))
            remembered = await dispatcher.ask_everyone(calls)
            print(f"{remembered}/{count} calls remembered their user after worker-1 died")

            moving = [c for c in calls if dispatcher.route[c] == "worker-2"]
            dispatcher.workers["worker-2"].process.send_signal(signal.SIGTERM)
            await dispatcher.until("drained")
            print("worker-2 drained (SIGTERM)")
            await dispatcher.until("adopted", len(moving))
            remembered = await dispatcher.ask_everyone(calls)
            print(f"{remembered}/{count} calls remembered their user after worker-2 drained")
            for worker in dispatcher.workers.values():
                if worker.process.returncode is None:
                    worker.process.terminate()
            tg.cancel_scope.cancel()
    files = [str(logs / f"worker-{n}.jsonl") for n in (1, 2, 3)]
    result = await anyio.run_process(
        [sys.executable, "-m", "live_actor.cli", "logs", *files, "--session", "call-1"],
        check=False,
    )
    timeline = result.stdout.decode()
    shown = [line for line in timeline.splitlines() if "store." in line or "resumed" in line]
    print("timeline of call-1: " + ("adopted" if "adopted" in timeline else "not adopted"))
    for line in shown:
        print("   ", line)
    shutil.rmtree(logs, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["asyncio", "trio"], default="asyncio")
    parser.add_argument("--calls", type=int, help="calls to start (default 6, 3 online)")
    parser.add_argument("--api-key", help="use the real service (default: GEMINI_API_KEY)")
    anyio.run(main, parser.parse_args(), backend="asyncio")
