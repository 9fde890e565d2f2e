"""live_actor's own CPU per audio message, with the socket taken out.

``bench/scale.py`` measures whole processes at realtime pace, where the
socket writes and the event loop are most of the cost and a shared machine
adds noise of several percent.  This measures what live_actor itself adds, a
microsecond at a time: a session runs over a null transport (its ``send``
counts the frame, its ``receive`` hands out frames queued by the benchmark),
on the real actor (ledger, command pipe, reader, delivery, ``events()``).

* send: ``await handle.send_realtime_input(audio=chunk)`` in a loop;
* receive: the benchmark queues one 40 ms audio frame, wakes the reader and
  waits until the consumer (``async for m in handle.events()``) has the
  message's PCM: two task wake-ups per message, as at realtime pace;
* the same for a bare loop (the floor): a task that takes the frame from the
  null transport and decodes it with json + base64 by hand.

Best of ``--repeat`` runs of ``-n`` messages each, µs per message.

    .venv/bin/python bench/hotpath.py
    .venv/bin/python bench/hotpath.py --backend trio -n 20000
"""

from __future__ import annotations

import argparse
import base64
import collections
import gc
import json
import sys
import time
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import MODEL, quiet_logging

import live_actor
from live_actor.transports import TransportClosed

CHUNK = b"\x00\x00" * 320
AUDIO_FRAME = (
    b'{"serverContent":{"modelTurn":{"parts":[{"inlineData":{"mimeType":"audio/pcm;rate=24000",'
    b'"data":"' + base64.b64encode(bytes(1920)) + b'"}}]}}}'
)


class NullTransport:
    """A connection that goes nowhere: sends are counted, receives are queued frames."""

    cancel_safe_send = True
    close_acknowledged = True
    close_code: int | None = None
    close_reason = ""

    def __init__(self) -> None:
        self.sent = 0
        self.inbox: collections.deque[bytes] = collections.deque()
        self.arrived = anyio.Event()
        self.closed = False

    async def send(self, frame: str | bytes) -> None:
        if self.closed:
            raise TransportClosed(1000, "", local=True)
        self.sent += 1
        if self.sent == 1:  # the setup
            self.push(b'{"setupComplete":{}}')

    def push(self, frame: bytes) -> None:
        self.inbox.append(frame)
        self.arrived.set()

    async def receive(self) -> str | bytes:
        while not self.inbox:
            if self.closed:
                raise TransportClosed(1000, "", local=True)
            await self.arrived.wait()
            self.arrived = anyio.Event()
        return self.inbox.popleft()

    async def aclose(
        self, code: int = 1000, reason: str = "", *, close_timeout: float | None = None
    ) -> None:
        self.closed = True
        self.close_code = code
        self.arrived.set()

    async def wait_closed(self) -> None:
        pass


class NullConnector:
    def __init__(self) -> None:
        self.transport = NullTransport()

    def __call__(self, url: str, headers: Any, options: Any) -> Any:
        transport = self.transport

        class _Open:
            async def __aenter__(self) -> NullTransport:
                return transport

            async def __aexit__(self, *exc: object) -> None:
                await transport.aclose()

        return _Open()


def _timed(fn: Any) -> Any:
    async def run(*args: Any) -> float:
        gc.collect()
        t0 = time.process_time()
        await fn(*args)
        return time.process_time() - t0

    return run


async def live_actor_runs(n: int, repeat: int, direction: str | None) -> dict[str, float]:
    connector = NullConnector()
    config = live_actor.LiveConfig(
        model=MODEL, generation_config={"response_modalities": ["AUDIO"]}
    )
    best = {"send": float("inf"), "recv": float("inf")}
    async with live_actor.open_session(
        config, api_key="k", base_url="ws://null", connector=connector
    ) as session:
        transport = connector.transport
        got = anyio.Event()
        count = [0]

        async def consume() -> None:
            async for message in session.events():
                data = message.data
                if data:
                    count[0] += 1
                    got.set()

        async with anyio.create_task_group() as tg:
            tg.start_soon(consume)

            @_timed
            async def send() -> None:
                for _ in range(n):
                    await session.send_realtime_input(audio=CHUNK)

            @_timed
            async def recv() -> None:
                nonlocal got
                for _ in range(n):
                    transport.push(AUDIO_FRAME)
                    await got.wait()
                    got = anyio.Event()

            for _ in range(repeat):
                if direction != "recv":
                    best["send"] = min(best["send"], await send())
                if direction != "send":
                    best["recv"] = min(best["recv"], await recv())
            tg.cancel_scope.cancel()
    return {k: v / n * 1e6 for k, v in best.items()}


async def bare_runs(n: int, repeat: int, direction: str | None) -> dict[str, float]:
    transport = NullTransport()
    transport.sent = 1
    best = {"send": float("inf"), "recv": float("inf")}
    got = anyio.Event()

    async def consume() -> None:
        while True:
            raw = await transport.receive()
            content = json.loads(raw).get("serverContent")
            for part in content["modelTurn"]["parts"]:
                if base64.b64decode(part["inlineData"]["data"]):
                    got.set()

    async with anyio.create_task_group() as tg:
        tg.start_soon(consume)

        @_timed
        async def send() -> None:
            for _ in range(n):
                data = base64.b64encode(CHUNK).decode("ascii")
                frame = json.dumps(
                    {"realtimeInput": {"audio": {"data": data, "mimeType": "audio/pcm;rate=16000"}}}
                )
                await transport.send(frame)

        @_timed
        async def recv() -> None:
            nonlocal got
            for _ in range(n):
                transport.push(AUDIO_FRAME)
                await got.wait()
                got = anyio.Event()

        for _ in range(repeat):
            if direction != "recv":
                best["send"] = min(best["send"], await send())
            if direction != "send":
                best["recv"] = min(best["recv"], await recv())
        tg.cancel_scope.cancel()
    return {k: v / n * 1e6 for k, v in best.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=10000)
    parser.add_argument("-r", "--repeat", type=int, default=5)
    parser.add_argument("--backend", choices=["asyncio", "trio", "both"], default="both")
    parser.add_argument("--only", choices=["live_actor", "bare"], help="run one client only")
    parser.add_argument("--direction", choices=["send", "recv"], help="measure one direction")
    args = parser.parse_args()
    quiet_logging()
    backends = ["asyncio", "trio"] if args.backend == "both" else [args.backend]
    print("| backend | client | send µs/msg | recv µs/msg |")
    print("|---|---|---:|---:|")
    for backend in backends:
        rows = []
        if args.only != "bare":
            rows.append(
                (
                    "live_actor",
                    anyio.run(
                        live_actor_runs, args.n, args.repeat, args.direction, backend=backend
                    ),
                )
            )
        if args.only != "live_actor":
            rows.append(
                (
                    "bare (json+base64)",
                    anyio.run(bare_runs, args.n, args.repeat, args.direction, backend=backend),
                )
            )
        for name, r in rows:
            print(f"| {backend} | {name} | {r['send']:.2f} | {r['recv']:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
