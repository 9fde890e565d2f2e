"""A worker process of the fleet tests (run as a script; JSON lines on stdout).

``start CALLS``: start each call, tell its name, wait until the store holds
a handle covering it, tell its city (the send returns: it is in the store),
then wait to be killed.  ``adopt N``: adopt orphans until N calls were
continued; for each, ask the name and the city and report the answers.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import structlog

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import live_actor
from live_actor import LiveConfig, RestartPolicy, Supervisor
from live_actor.stores import RedisStore
from tests.fleet._poll import poll_until, stored_and_covered

API_KEY = "AIzaTEST-secret-key-0123456789"
MODEL = "gemini-live-2.5-flash-preview"
NAMES = {"call-1": ("Ada", "Paris"), "call-2": ("Bob", "Lima"), "call-3": ("Cy", "Oslo")}


def report(event: str, **fields: Any) -> None:
    print(json.dumps({"event": event, "t": time.time(), **fields}), flush=True)


async def start(sup: Supervisor, store: RedisStore, config: LiveConfig, call: str) -> None:
    name, city = NAMES[call]
    handle = await sup.start_session(config, api_key=API_KEY, session_id=call)
    await handle.connect()
    await handle.send_client_content(f"my name is {name}")
    await handle.receive_turn()

    async def covered() -> bool:  # a stored handle covers the name now
        return await stored_and_covered(store, call, handle)

    await poll_until(covered)
    await handle.send_client_content(f"my city is {city}")
    report("sent", call=call)
    await anyio.sleep_forever()


async def converse(handle: live_actor.SessionHandle) -> None:
    events = handle.events(lifecycle=True)
    await handle.wait_ready()
    while True:
        event = await events.__anext__()
        if isinstance(event, live_actor.Resumed):
            break
    report(
        "ready",
        call=handle.session_id,
        restored=event.state_restored,
        replayed=event.replayed,
        reseeded=event.reseeded_turns,
    )
    if event.replayed:
        await handle.receive_turn()  # the answer to the replayed message
    answers = []
    for question in ("what is my name?", "what is my city?"):
        await handle.send_client_content(question)
        answers.append((await handle.receive_turn()).text)
    report("answered", call=handle.session_id, answers=answers)
    await handle.close()


async def main(args: argparse.Namespace) -> None:
    store = RedisStore(args.redis, key=args.key, lease_ttl=args.ttl, write_timeout=args.ttl / 4)
    config = LiveConfig(
        model=MODEL,
        base_url=args.server,
        generation_config={"response_modalities": ["TEXT"]},
        session_resumption=True,
    )
    policy = RestartPolicy(backoff_base=0.05, backoff_max=0.3, max_restarts=50)
    async with Supervisor(store=store, worker_id=args.worker, policy=policy) as sup:
        report("up", worker=args.worker)
        async with anyio.create_task_group() as tg:
            if args.mode == "start":
                for call in args.calls.split(","):
                    tg.start_soon(start, sup, store, config, call)
            else:
                done = anyio.Event()
                adopted = 0

                async def on_adopted(handle: live_actor.SessionHandle) -> None:
                    nonlocal adopted
                    adopted += 1

                    async def run() -> None:
                        await converse(handle)
                        if adopted == int(args.calls) and not sup.sessions:
                            done.set()

                    tg.start_soon(run)

                sup.start_adopter(
                    capacity=10, poll_interval=args.ttl / 5, on_adopted=on_adopted, api_key=API_KEY
                )
                await done.wait()
                tg.cancel_scope.cancel()
    await store.aclose()


if __name__ == "__main__":
    structlog.configure(logger_factory=structlog.ReturnLoggerFactory())
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["start", "adopt"])
    parser.add_argument("calls")
    parser.add_argument("--backend", default="asyncio")
    parser.add_argument("--redis", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--server", required=True)
    parser.add_argument("--worker", required=True)
    parser.add_argument("--ttl", type=float, default=1.0)
    arguments = parser.parse_args()
    anyio.run(main, arguments, backend=arguments.backend)
