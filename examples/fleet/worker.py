"""One worker process of the fleet example: a Supervisor with a RedisStore.

Commands arrive as JSON lines on stdin from the dispatcher (``main.py``):
``{"op": "start", "call": ID}`` and ``{"op": "say", "call": ID, "text": ...}``;
reports leave as JSON lines on stdout: ``up``, ``started``, ``adopted``, ``answer``,
``drained``.  The worker adopts orphans (calls of a dead or draining worker) up to
its capacity, and on SIGTERM hands its calls over (``sup.drain()``) and exits.
Its log events go to ``--log`` as JSON lines (``live-actor logs`` reads them).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from typing import Any

import anyio
import anyio.abc

import live_actor
import live_actor.logs
from live_actor.stores import RedisStore

MODEL = "gemini-live-2.5-flash-preview"


def report(event: str, **fields: Any) -> None:
    print(json.dumps({"event": event, **fields}), flush=True)


async def answer(handle: live_actor.SessionHandle) -> str:
    turn = await handle.receive_turn()
    while turn.interrupted:  # cut by a lost connection: the answer comes again
        turn = await handle.receive_turn()
    return turn.text.strip()


async def settle(handle: live_actor.SessionHandle) -> None:
    """An adopted call: wait until it is resumed, and skip the answer to what it replayed."""
    events = handle.events(lifecycle=True)
    async for event in events:
        if isinstance(event, live_actor.Resumed):
            if event.replayed:
                await answer(handle)
            return


class Worker:
    def __init__(self, sup: live_actor.Supervisor, args: argparse.Namespace) -> None:
        self.sup = sup
        self.args = args
        self.calls: dict[str, live_actor.SessionHandle] = {}
        self.locks: dict[str, anyio.Lock] = {}

    async def on_adopted(self, handle: live_actor.SessionHandle) -> None:
        self.calls[handle.session_id] = handle
        self.locks[handle.session_id] = lock = anyio.Lock()
        async with lock:
            await handle.wait_ready()
            await settle(handle)
        report("adopted", call=handle.session_id, worker=self.args.name)

    async def command(self, command: dict[str, Any]) -> None:
        call = command["call"]
        if command["op"] == "start":
            config = live_actor.LiveConfig(
                model=MODEL,
                base_url=self.args.server,
                generation_config={"response_modalities": ["TEXT"]},
            )
            handle = await self.sup.start_session(
                config, api_key=self.args.api_key, session_id=call
            )
            self.calls[call] = handle
            self.locks[call] = anyio.Lock()
            await handle.connect()
            report("started", call=call, worker=self.args.name)
        else:
            handle = self.calls[call]
            async with self.locks[call]:
                await handle.send_client_content(command["text"])
                report("answer", call=call, text=await answer(handle))

    async def commands(self, tg: anyio.abc.TaskGroup) -> None:
        async for line in anyio.wrap_file(sys.stdin):
            tg.start_soon(self.command, json.loads(line))

    async def drain_on_sigterm(self, tg: anyio.abc.TaskGroup) -> None:
        with anyio.open_signal_receiver(signal.SIGTERM) as signals:
            async for _signal in signals:
                safe = await self.sup.drain(within=10)
                report("drained", worker=self.args.name, at_safe_point=safe)
                tg.cancel_scope.cancel()
                return


async def main(args: argparse.Namespace) -> None:
    live_actor.logs.configure_json(args.log, level="info")
    store = RedisStore(args.redis, key=args.key, lease_ttl=args.lease_ttl, write_timeout=0.5)
    policy = live_actor.RestartPolicy(backoff_base=0.1, backoff_max=1.0, max_restarts=20)
    async with live_actor.Supervisor(store=store, worker_id=args.name, policy=policy) as sup:
        worker = Worker(sup, args)
        sup.start_adopter(capacity=100, on_adopted=worker.on_adopted, api_key=args.api_key)
        report("up", worker=args.name)
        async with anyio.create_task_group() as tg:
            tg.start_soon(worker.commands, tg)
            tg.start_soon(worker.drain_on_sigterm, tg)
    await store.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", required=True)
    parser.add_argument("--redis", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--server", help="the Live API endpoint (default: Google's)")
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--lease-ttl", type=float, default=2.0)
    parser.add_argument("--backend", choices=["asyncio", "trio"], default="asyncio")
    arguments = parser.parse_args()
    anyio.run(main, arguments, backend=arguments.backend)
