"""Reconnect gap: from goAway (and from a dropped socket) to ready again, and replays.

(a) goAway: the fake server sends ``goAway{timeLeft: 2s}`` (then cuts at the
    deadline) on an idle session; measured from the server-side call (and from
    the client's ``GoingAway`` event) to the ``Resumed`` lifecycle event, which
    the session emits once the new connection is READY and the ledger replay
    was written.
(b) drop: the server aborts the TCP connection (client sees 1006) while the
    client streams 20 ms audio chunks in real time and sends a numbered text turn
    every 200 ms; measured from the drop to ``Resumed``, with the
    ``Resumed.replayed``/``dropped`` counts.  Afterwards every numbered text is
    checked against the fake server's ledger (consumed exactly once, in order).

Jitter is disabled (``RestartPolicy(random=lambda: 0.0)``: the full-jitter
backoff delay is 0), so the numbers measure the library's machinery — dial,
setup, resume, replay — not the backoff.  Restart intensity is raised so that K
back-to-back drops do not make the supervisor give up.  The fake server runs in
a thread of the same process (loopback), so it shares the GIL with the client.

    .venv/bin/python bench/reconnect.py            # 50 iterations x 2 scenarios x 2 backends
    .venv/bin/python bench/reconnect.py -k 20 --backend trio
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import API_KEY, MODEL, machine, make_server, percentile, quiet_logging, replace_section

import live_actor

CHUNK = b"\x00\x00" * 320  # 20 ms of 16 kHz silence


class Watcher:
    """Consumes ``events(lifecycle=True)`` and timestamps the lifecycle events."""

    def __init__(self) -> None:
        self.resumed: list[tuple[float, live_actor.Resumed]] = []
        self.going_away: list[float] = []
        self.reconnecting: list[float] = []
        self.changed = anyio.Event()
        self.text = ""

    async def run(self, session: live_actor.SessionHandle) -> None:
        async for event in session.events(lifecycle=True):
            now = time.perf_counter()
            if isinstance(event, live_actor.Resumed):
                self.resumed.append((now, event))
            elif isinstance(event, live_actor.GoingAway):
                self.going_away.append(now)
            elif isinstance(event, live_actor.Reconnecting):
                self.reconnecting.append(now)
            elif isinstance(event, live_actor.types.ServerMessage):
                if not event.text:
                    continue
                self.text += event.text
            else:
                continue
            self.changed.set()
            self.changed = anyio.Event()

    async def wait_resumed(self, count: int) -> tuple[float, live_actor.Resumed]:
        with anyio.fail_after(30):
            while len(self.resumed) < count:
                await self.changed.wait()
        return self.resumed[count - 1]


def _policy(jitter: bool) -> live_actor.RestartPolicy:
    return live_actor.RestartPolicy(
        backoff_base=0.05,
        max_restarts=10_000,
        period=60.0,
        random=None if jitter else (lambda: 0.0),
    )


async def scenario(server: Any, kind: str, k: int, jitter: bool, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    config = live_actor.LiveConfig(model=MODEL, generation_config={"response_modalities": ["TEXT"]})
    watcher = Watcher()
    gaps: list[float] = []
    event_gaps: list[float] = []
    replayed: list[int] = []
    dropped: list[int] = []
    restored: list[bool] = []
    texts: list[str] = []
    async with live_actor.Supervisor(policy=_policy(jitter)) as sup:
        session = await sup.start_session(config, api_key=API_KEY, base_url=server.url)
        await session.connect()
        first = len(server.connections)
        conn = await server.wait_for_connection(first)
        async with anyio.create_task_group() as tg:
            tg.start_soon(watcher.run, session)
            stop = anyio.Event()
            if kind == "drop":

                async def audio() -> None:
                    next_at = anyio.current_time()
                    while not stop.is_set():
                        await session.send_realtime_input(audio=CHUNK)
                        next_at += 0.02
                        await anyio.sleep_until(next_at)

                async def text() -> None:
                    i = 0
                    while not stop.is_set():
                        i += 1
                        texts.append(f"t{i}")
                        await session.send_client_content(f"t{i}")
                        await anyio.sleep(0.2)

                tg.start_soon(audio)
                tg.start_soon(text)
            for i in range(k):
                if kind == "drop":
                    await anyio.sleep(rng.uniform(0.1, 0.4))  # mid-stream, anywhere in a turn
                    t0 = time.perf_counter()
                    conn.drop()
                else:
                    await anyio.sleep(0.05)
                    going = len(watcher.going_away)
                    t0 = time.perf_counter()
                    conn.go_away(2.0, cut=True)
                t1, event = await watcher.wait_resumed(i + 1)
                gaps.append(t1 - t0)
                if kind == "go_away" and len(watcher.going_away) > going:
                    event_gaps.append(t1 - watcher.going_away[going])
                replayed.append(event.replayed)
                dropped.append(event.dropped)
                restored.append(event.state_restored)
                conn = await server.wait_for_connection(first + i + 1)
            stop.set()
            if kind == "drop":
                # let the last turn be answered so the ledger check sees everything
                await anyio.sleep(0.5)
                await session.send_client_content("done")
                with anyio.fail_after(10):
                    while '"done"' not in watcher.text:
                        await watcher.changed.wait()
            ledger = session.ledger
            handle = session.resumption_handle
            await session.close()
            tg.cancel_scope.cancel()
    check = ""
    if kind == "drop" and handle is not None:
        consumed = [t for t in server.session_for_handle(handle).control_texts() if t != "done"]
        lost = [t for t in texts if t not in consumed]
        dups = len(consumed) - len(set(consumed))
        order = consumed == sorted(consumed, key=lambda t: int(t[1:]))
        check = (
            f"texts sent {len(texts)}, consumed {len(consumed)}, lost {len(lost)},"
            f" duplicated {dups}, in order {order}"
        )
    return {
        "gaps": gaps,
        "event_gaps": event_gaps,
        "replayed": replayed,
        "dropped": dropped,
        "restored": sum(restored),
        "ledger": ledger,
        "check": check,
    }


def _ms(values: list[float]) -> str:
    if not values:
        return "- | - | - | -"
    ms = [v * 1000 for v in values]
    return f"{statistics.median(ms):.1f} | {percentile(ms, 99):.1f} | {max(ms):.1f} | {min(ms):.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-k", "--iterations", type=int, default=50)
    parser.add_argument("--backend", choices=["trio", "asyncio", "both"], default="both")
    parser.add_argument("--jitter", action="store_true", help="keep the default random jitter")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--write-results", action="store_true")
    args = parser.parse_args()
    quiet_logging()
    backends = ["trio", "asyncio"] if args.backend == "both" else [args.backend]
    rows = [
        "| backend | scenario | n | p50 ms | p99 ms | max ms | min ms | resumed with state |"
        " replayed/reconnect (p50, max) | dropped total |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    notes = []
    for backend in backends:
        for kind in ("go_away", "drop"):
            server = make_server().start()
            try:
                result = anyio.run(
                    scenario, server, kind, args.iterations, args.jitter, args.seed, backend=backend
                )
            finally:
                server.stop()
                errors = list(server.errors)
            label = "goAway(2 s) -> Resumed" if kind == "go_away" else "drop (1006) -> Resumed"
            rep = result["replayed"]
            rows.append(
                f"| {backend} | {label} | {len(result['gaps'])} | {_ms(result['gaps'])}"
                f" | {result['restored']}/{len(result['gaps'])}"
                f" | {statistics.median(rep):.0f}, {max(rep)} | {sum(result['dropped'])} |"
            )
            if result["event_gaps"]:
                rows.append(
                    f"| {backend} | client GoingAway event -> Resumed | {len(result['event_gaps'])}"
                    f" | {_ms(result['event_gaps'])} | | | |"
                )
            ledger = result["ledger"]
            notes.append(
                f"- {backend} {kind}: ledger sent={ledger.sent} replayed={ledger.replayed}"
                f" confirmed={ledger.confirmed} dropped={ledger.dropped}"
                + (f"; {result['check']}" if result["check"] else "")
                + (f"; server errors: {errors!r}" if errors else "")
            )
            print(rows[-1], file=sys.stderr, flush=True)
    table = "\n".join(rows)
    print(table)
    print("\n".join(notes))
    if args.write_results:
        command = "python bench/reconnect.py " + " ".join(sys.argv[1:])
        body = (
            machine()
            + f"Command: .venv/bin/{command.strip()}\n\n"
            + "Fake server in a thread of the same process (loopback). Jitter "
            + (
                "ENABLED (default full jitter, backoff_base=0.05 s)"
                if args.jitter
                else "DISABLED (`RestartPolicy(random=lambda: 0.0)`: backoff delay 0), so the gap"
                " measures dial + setup + resume + replay"
            )
            + ". goAway: idle session, server call -> `Resumed` event (new connection READY,"
            " replay written). drop: client streaming 20 ms audio in real time + a text turn"
            " every 200 ms; drop at a random point 0.1-0.4 s after the previous resume.\n\n"
            + table
            + "\n\n"
            + "\n".join(notes)
            + "\n"
        )
        replace_section("Reconnect (bench/reconnect.py)", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
