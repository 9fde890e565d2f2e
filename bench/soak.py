"""Soak: hundreds of supervised sessions for minutes under a seeded fault plan.

One fake server (in a thread of this process) applies a seeded
:class:`~live_actor.testing.FaultPlan` (drops, 1011 closes, goAways, stalls; one
draw per client message).  N sessions run in one :class:`live_actor.Supervisor`.
Each session

* sends numbered control messages (``send_client_content("s<i>-m<j>")``,
  turn_complete=True) and waits (at most ``--reply-timeout`` s) for the model's
  echo of that text before pausing 0.2-1.0 s and sending the next one;
* streams 20 ms audio chunks (silence) at ``--audio-hz`` chunks per second;
* consumes ``events(lifecycle=True)``, counting restarts and replays.

After ``--seconds`` the fault plan is switched off (quiesce), every session waits
for the reply to its last message, then all are closed.  The fake server's
per-session ledger (``server.session_for_handle(handle).consumed``, found through
each session's last resumption handle; every text is unique, so messages that
landed in another server session are found too) gives: consumed, lost (sent by
us, ``send_client_content`` returned, never consumed), duplicated (consumed more
than once), out of order.

Modes: ``gemini`` (Gemini API: resumption handles, lossless by the ledger's
rule 3) and ``vertex`` (Vertex AI path, ``session_resumption.transparent``:
``lastConsumedClientMessageIndex``).

    .venv/bin/python bench/soak.py              # 50 sessions, 30 s, both modes
    .venv/bin/python bench/soak.py --sessions 200 --seconds 120 --seed 1
"""

from __future__ import annotations

import argparse
import collections
import random
import re
import sys
import time
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import itertools

from _common import API_KEY, MODEL, machine, make_server, quiet_logging, replace_section

import live_actor

CHUNK = b"\x00\x00" * 320  # 20 ms of 16 kHz silence
TEXT_RE = re.compile(r"^s(\d+)-m(\d+)$")
REPLY_RE = re.compile(r'"(s\d+-m\d+)"')


class Worker:
    """One session's workload and what it observed."""

    def __init__(self, index: int, rng: random.Random, mix: str = "content") -> None:
        self.index = index
        self.rng = rng
        self.mix = mix
        self.kinds: dict[str, str] = {}
        self.handle: live_actor.SessionHandle | None = None
        self.sent: list[str] = []
        self.send_errors = 0
        self.replies: set[str] = set()
        self.reply_timeouts = 0
        self.audio_calls = 0
        self.restarts = 0
        self.resumed = 0
        self.resumed_fresh = 0
        self.replayed = 0
        self.dropped_on_resume = 0
        self.gave_up: str | None = None
        self.start_error: str | None = None
        self._text = ""
        self._changed = anyio.Event()

    async def receive(self) -> None:
        assert self.handle is not None
        async for event in self.handle.events(lifecycle=True):
            if isinstance(event, live_actor.types.ServerMessage):
                if event.text:
                    self._text += event.text
                content = event.server_content
                if content is not None and (content.turn_complete or content.interrupted):
                    self.replies.update(REPLY_RE.findall(self._text))
                    self._text = ""
                    self._wake()
            elif isinstance(event, live_actor.Reconnecting):
                self.restarts += 1
            elif isinstance(event, live_actor.Resumed):
                self.resumed += 1
                self.resumed_fresh += not event.state_restored
                self.replayed += event.replayed
                self.dropped_on_resume += event.dropped
                self.replies.update(REPLY_RE.findall(self._text))
                self._text = ""
            elif isinstance(event, live_actor.GaveUp):
                self.gave_up = event.reason
                self._wake()

    def _wake(self) -> None:
        self._changed.set()
        self._changed = anyio.Event()

    async def wait_reply(self, text: str, limit: float) -> bool:
        with anyio.move_on_after(limit):
            while text not in self.replies and self.gave_up is None:
                await self._changed.wait()
            return text in self.replies
        return False

    async def audio(self, stop: anyio.Event, hz: float) -> None:
        assert self.handle is not None
        if hz <= 0:
            return
        period = 1.0 / hz
        await anyio.sleep(self.rng.uniform(0, period))
        next_at = anyio.current_time()
        while not stop.is_set() and self.gave_up is None:
            try:
                await self.handle.send_realtime_input(audio=CHUNK)
            except live_actor.SessionClosedError:
                return
            self.audio_calls += 1
            next_at += period
            await anyio.sleep_until(next_at)

    async def control(self, stop: anyio.Event, reply_timeout: float) -> None:
        assert self.handle is not None
        await anyio.sleep(self.rng.uniform(0, 1.0))
        j = 0
        while not stop.is_set() and self.gave_up is None:
            j += 1
            text = f"s{self.index}-m{j}"
            kind = "content"
            if self.mix == "mixed":
                kind = self.rng.choices(("content", "text", "partial"), (0.6, 0.25, 0.15))[0]
            try:
                if kind == "text":
                    await self.handle.send_text(text)
                else:
                    await self.handle.send_client_content(text, turn_complete=kind == "content")
            except live_actor.SessionClosedError:
                self.send_errors += 1
                return
            self.sent.append(text)
            self.kinds[text] = kind
            if kind != "partial" and not await self.wait_reply(text, reply_timeout):
                self.reply_timeouts += 1
            await anyio.sleep(self.rng.uniform(0.2, 1.0))


def _config(mode: str) -> tuple[live_actor.LiveConfig, dict[str, Any]]:
    generation = {"response_modalities": ["TEXT"]}
    if mode == "vertex":
        config = live_actor.LiveConfig(
            model=MODEL,
            auth="vertex_ai",
            project_id="p",
            location="us-central1",
            session_resumption={"transparent": True},
            generation_config=generation,
        )
        return config, {"credentials": live_actor.BearerToken("t")}
    return live_actor.LiveConfig(model=MODEL, generation_config=generation), {"api_key": API_KEY}


async def run_soak(server: Any, args: argparse.Namespace, mode: str, plan: Any) -> dict[str, Any]:
    # must stop by itself: a hung shutdown fails loudly instead of running forever
    with anyio.fail_after(args.seconds + 2 * args.reply_timeout + 120):
        return await _run_soak(server, args, mode, plan)


async def _run_soak(server: Any, args: argparse.Namespace, mode: str, plan: Any) -> dict[str, Any]:
    config, auth = _config(mode)
    policy = live_actor.RestartPolicy(
        backoff_base=0.05, backoff_max=1.0, max_restarts=100, period=60.0
    )
    workers = [Worker(i, random.Random(f"{args.seed}:{i}"), args.mix) for i in range(args.sessions)]
    stop = anyio.Event()
    started = time.perf_counter()
    async with (
        live_actor.Supervisor(policy=policy, shutdown_timeout=30.0) as sup,
        anyio.create_task_group() as tg,
    ):
        for worker in workers:
            worker.handle = await sup.start_session(config, base_url=server.url, **auth)

        async def connect(worker: Worker) -> None:
            assert worker.handle is not None
            try:
                await worker.handle.connect()
            except live_actor.LiveError as exc:
                worker.start_error = repr(exc)

        async with anyio.create_task_group() as dial:
            for worker in workers:
                dial.start_soon(connect, worker)
        ready = time.perf_counter()
        server.set_fault_plan(plan)
        for worker in workers:
            if worker.start_error is None:
                tg.start_soon(worker.receive)
                tg.start_soon(worker.audio, stop, args.audio_hz)
                tg.start_soon(worker.control, stop, args.reply_timeout)
        await anyio.sleep(args.seconds)
        # quiesce: no new faults, no new messages; the last replies arrive
        server.set_fault_plan(None)
        stop.set()
        with anyio.move_on_after(args.reply_timeout + 10):
            async with anyio.create_task_group() as tail:
                for worker in workers:
                    if worker.sent:
                        tail.start_soon(worker.wait_reply, worker.sent[-1], args.reply_timeout)
        ledgers = {}
        handles = {}
        for worker in workers:
            assert worker.handle is not None
            handles[worker.index] = worker.handle.resumption_handle
        # close every session (graceful: accepted commands are sent first)
        await sup.shutdown()
        for worker in workers:
            assert worker.handle is not None
            ledgers[worker.index] = worker.handle.ledger
        tg.cancel_scope.cancel()
    return {
        "workers": workers,
        "ledgers": ledgers,
        "handles": handles,
        "connect_s": ready - started,
        "elapsed_s": time.perf_counter() - started,
    }


def analyse(server: Any, result: dict[str, Any]) -> dict[str, Any]:
    workers: list[Worker] = result["workers"]
    # every consumed control text, per server session (texts are globally unique)
    where: dict[str, list[str]] = collections.defaultdict(list)
    received_counts: collections.Counter[str] = collections.Counter()
    audio_received = 0
    for srv in server.sessions:
        for entry in srv.consumed:
            if entry.text is not None:
                where[entry.text].append(srv.id)
        for entry in srv.received:
            if entry.text is not None:
                received_counts[entry.text] += 1
            elif entry.kind == "realtimeInput.audio":
                audio_received += 1
    totals = collections.Counter()
    problems: list[str] = []
    for worker in workers:
        handle = result["handles"].get(worker.index)
        home = None
        if handle is not None:
            try:
                home = server.session_for_handle(handle)
            except KeyError:
                problems.append(f"s{worker.index}: final handle unknown to the server")
        consumed = []
        if home is not None:
            consumed = [
                e.text
                for e in home.consumed
                if e.text is not None and e.text.startswith(f"s{worker.index}-")
            ]
        counts = collections.Counter(consumed)
        sent = worker.sent
        lost = [t for t in sent if counts[t] == 0]
        elsewhere = [t for t in lost if where.get(t)]
        dups = {t: c for t, c in counts.items() if c > 1}
        numbers = [int(TEXT_RE.match(t).group(2)) for t in consumed if TEXT_RE.match(t)]  # type: ignore[union-attr]
        inversions = sum(1 for a, b in itertools.pairwise(numbers) if b < a)
        ledger = result["ledgers"][worker.index]
        totals["sessions"] += 1
        totals["start_errors"] += worker.start_error is not None
        totals["gave_up"] += worker.gave_up is not None
        totals["sent"] += len(sent)
        totals["consumed"] += len(consumed)
        totals["lost"] += len(lost)
        for t in lost:
            totals[f"lost {worker.kinds.get(t, '?')}"] += 1
        for t, c in dups.items():
            totals[f"duplicated {worker.kinds.get(t, '?')}"] += c - 1
        for t in sent:
            totals[f"sent {worker.kinds.get(t, '?')}"] += 1
        totals["lost_found_in_other_server_session"] += len(elsewhere)
        totals["duplicated"] += sum(c - 1 for c in dups.values())
        totals["out_of_order"] += inversions
        totals["reply_timeouts"] += worker.reply_timeouts
        totals["restarts"] += worker.restarts
        totals["resumed"] += worker.resumed
        totals["resumed_fresh"] += worker.resumed_fresh
        totals["replayed"] += worker.replayed
        totals["audio_calls"] += worker.audio_calls
        totals["ledger_sent"] += ledger.sent
        totals["ledger_replayed"] += ledger.replayed
        totals["ledger_dropped"] += ledger.dropped
        totals["ledger_dropped_media"] += ledger.dropped_media
        totals["ledger_dropped_media_ms"] += round(ledger.dropped_media_seconds * 1000)
        if lost or dups or inversions:
            problems.append(
                f"s{worker.index} (server {home.id if home else None}, restarts {worker.restarts}):"
                f" lost {lost[:5]}{'...' if len(lost) > 5 else ''}"
                f"{_found_in(elsewhere, where)}"
                f" dups {dict(list(dups.items())[:5])} inversions {inversions}"
                f" consumed-order {[n for n in numbers][:40]}"
            )
    totals["audio_received_by_server"] = audio_received
    totals["received_not_consumed"] = sum(received_counts.values()) - sum(
        len(v) for v in where.values()
    )
    faults = collections.Counter(f.kind for f in server.faults)
    totals["server_connections"] = len(server.connections)
    backends = collections.Counter(
        f"{c.backend}{'+transparent' if c.config is not None and c.config.transparent else ''}"
        for c in server.connections
    )
    return {
        "backends": backends,
        "totals": totals,
        "problems": problems,
        "faults": faults,
        "errors": list(server.errors),
    }


def _found_in(elsewhere: list[str], where: dict[str, list[str]]) -> str:
    if not elsewhere:
        return ""
    return f" (found in {sorted({s for t in elsewhere for s in where[t]})})"


def report(
    mode: str, args: argparse.Namespace, analysis: dict[str, Any], result: dict[str, Any]
) -> str:
    t = analysis["totals"]
    faults = ", ".join(f"{k} {v}" for k, v in sorted(analysis["faults"].items())) or "none"
    rows = [
        ("mode (server connections by backend)", f"{mode} ({dict(analysis['backends'])})"),
        (
            "sessions (start errors, gave up)",
            f"{t['sessions']} ({t['start_errors']}, {t['gave_up']})",
        ),
        ("faults applied by the server", faults),
        ("control messages sent", t["sent"]),
        ("consumed per server ledger", t["consumed"]),
        (
            "**lost** (sent, never consumed)",
            f"{t['lost']} (of which in another server session:"
            f" {t['lost_found_in_other_server_session']})",
        ),
        ("**duplicated** (consumed > once)", t["duplicated"]),
        (
            "by kind: sent / lost / duplicated",
            ", ".join(
                f"{k} {t['sent ' + k]}/{t['lost ' + k]}/{t['duplicated ' + k]}"
                for k in ("content", "text", "partial")
                if t["sent " + k]
            ),
        ),
        ("**out of order** (inversions)", t["out_of_order"]),
        ("received but not consumed (rolled back by resume, replayed)", t["received_not_consumed"]),
        ("reply timeouts", t["reply_timeouts"]),
        ("restarts (Reconnecting)", t["restarts"]),
        ("Resumed (fresh session, state lost)", f"{t['resumed']} ({t['resumed_fresh']})"),
        (
            "replayed (Resumed.replayed sum / ledger.replayed)",
            f"{t['replayed']} / {t['ledger_replayed']}",
        ),
        (
            "audio chunks: sent by us / ledger sent / received by server",
            f"{t['audio_calls']} / {t['ledger_sent'] - t['sent']}*"
            f" / {t['audio_received_by_server']}",
        ),
        (
            "ledger dropped (media, media ms)",
            f"{t['ledger_dropped']} ({t['ledger_dropped_media']}, {t['ledger_dropped_media_ms']})",
        ),
        ("wall: connect all / total s", f"{result['connect_s']:.1f} / {result['elapsed_s']:.1f}"),
        ("server errors", len(analysis["errors"])),
    ]
    out = ["| metric | value |", "|---|---|"]
    out += [f"| {k} | {v} |" for k, v in rows]
    return "\n".join(out)


def make_plan(seed: int, scale: float = 1.0) -> Any:
    from live_actor.testing import FaultPlan

    return FaultPlan(
        seed=seed,
        drop_rate=0.003 * scale,
        error_1011_rate=0.002 * scale,
        go_away_rate=0.002 * scale,
        stall_rate=0.0015 * scale,
        stall_seconds=(0.05, 0.5),
        go_away_time_left=(0.05, 1.0),
        grace_messages=2,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--mode", choices=["gemini", "vertex", "both"], default="both")
    parser.add_argument("--backend", choices=["trio", "asyncio"], default="trio")
    parser.add_argument("--audio-hz", type=float, default=10.0, help="audio chunks/s per session")
    parser.add_argument("--reply-timeout", type=float, default=10.0)
    parser.add_argument(
        "--mix",
        choices=["content", "mixed"],
        default="content",
        help="content: clientContent turn_complete=True only; mixed: also realtimeInput.text"
        " and clientContent turn_complete=False (no reply awaited)",
    )
    parser.add_argument("--fault-scale", type=float, default=1.0, help="multiply fault rates")
    parser.add_argument("--problems", type=int, default=20, help="problem lines to print")
    parser.add_argument("--write-results", action="store_true")
    args = parser.parse_args()
    quiet_logging()
    modes = ["gemini", "vertex"] if args.mode == "both" else [args.mode]
    tables = []
    for mode in modes:
        server = make_server(close_timeout=1.0).start()
        try:
            result = anyio.run(
                run_soak,
                server,
                args,
                mode,
                make_plan(args.seed, args.fault_scale),
                backend=args.backend,
            )
            analysis = analyse(server, result)
        finally:
            server.stop()
        table = report(mode, args, analysis, result)
        print(f"\n## {mode}\n{table}")
        if analysis["problems"]:
            print(f"problems ({len(analysis['problems'])} sessions):")
            for line in analysis["problems"][: args.problems]:
                print("  " + line)
        if analysis["errors"]:
            print("server errors:", analysis["errors"][:5])
        tables.append((mode, table, analysis["problems"]))
    if args.write_results:
        command = "python bench/soak.py " + " ".join(sys.argv[1:])
        body = machine() + f"Command: .venv/bin/{command.strip()}\n\n"
        body += (
            f"{args.sessions} sessions x {args.seconds:g} s on {args.backend}, seed {args.seed},"
            f" audio {args.audio_hz:g} chunks/s/session, message mix {args.mix!r},"
            f" fault plan {make_plan(args.seed, args.fault_scale)!r}.\n"
            "(* ledger sent minus control messages sent: audio chunks sent on a connection,"
            " first time)\n"
        )
        for mode, table, problems in tables:
            body += f"\n#### {mode}\n\n{table}\n"
            if problems:
                body += (
                    "\nSessions with problems (first 5):\n\n"
                    + "\n".join(f"- `{p[:300]}`" for p in problems[:5])
                    + "\n"
                )
        replace_section(
            "Soak (bench/soak.py)",
            body,
            subsection=f"{args.sessions} sessions x {args.seconds:g} s ({args.backend},"
            f" mix={args.mix}, faults x{args.fault_scale:g})",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
