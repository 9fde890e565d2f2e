"""Per-message CPU cost of the session hot path, vs the bare transport and google-genai.

Send: N 20 ms chunks of 16 kHz s16le audio (640 B) through
``SessionHandle.send_realtime_input(audio=...)``; the bare transport does its own
stdlib ``json.dumps`` + ``base64`` and sends the same JSON (trio-websocket under
trio, ``websockets`` under asyncio); google-genai sends
``session.send_realtime_input(audio=types.Blob(...))`` (asyncio only).  Each
run ends with one text turn (``"ping"``) so that every chunk is known to have
reached the server; that turn is inside the timed window for every variant.

Receive: the fake server streams M 40 ms chunks of 24 kHz audio (1920 B) in one
model turn; live_actor consumes ``session.events()`` (decode + dispatch),
the bare transport ``json.loads`` + ``b64decode``, google-genai ``session.receive()``.
Every consumer touches the PCM bytes of every message.

The server runs in a separate process (``bench/_common.py``), so the client
process's ``time.process_time()`` measures the client alone.  Connecting and
setup are outside the timed window.  Each variant is measured ``--repeat`` times,
variants interleaved; the table shows the median.

    .venv/bin/python bench/session.py                 # default run (~1 min)
    .venv/bin/python bench/session.py --profile       # + cProfile of live_actor
    .venv/bin/python bench/session.py --write-results # + update bench/RESULTS.md
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import gc
import io
import json
import pstats
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import API_KEY, MODEL, ServerProcess, machine, quiet_logging, replace_section

import live_actor

CHUNK = b"\x00\x00" * 320  # 20 ms of 16 kHz s16le mono silence (the fake VAD hears nothing)
MIME = "audio/pcm;rate=16000"
MAX_SIZE = 32 * 1024 * 1024

Result = tuple[float, float]  # (cpu seconds, wall seconds)


def _timer() -> Callable[[], Result]:
    gc.collect()
    c0, w0 = time.process_time(), time.perf_counter()

    def stop() -> Result:
        return time.process_time() - c0, time.perf_counter() - w0

    return stop


def _setup(modality: str) -> str:
    return json.dumps(
        {
            "setup": {
                "model": f"models/{MODEL}",
                "generationConfig": {"responseModalities": [modality]},
            }
        }
    )


def _audio_json(chunk: bytes) -> str:
    return json.dumps(
        {
            "realtimeInput": {
                "audio": {"data": base64.b64encode(chunk).decode("ascii"), "mimeType": MIME}
            }
        }
    )


def _turn_json(text: str) -> str:
    return json.dumps(
        {
            "clientContent": {
                "turns": [{"role": "user", "parts": [{"text": text}]}],
                "turnComplete": True,
            }
        }
    )


def _bare_turn(raw: bytes | str, count: list[int]) -> bool:
    """Bare receive path: json.loads + b64decode; True at turnComplete."""
    obj = json.loads(raw)
    content = obj.get("serverContent")
    if content is None:
        return False
    turn = content.get("modelTurn")
    if turn is not None:
        for part in turn.get("parts", ()):
            inline = part.get("inlineData")
            if inline is not None:
                count[0] += len(base64.b64decode(inline["data"]))
    return bool(content.get("turnComplete"))


# ------------------------------------------------------------------ live_actor


def _la_config(modality: str) -> live_actor.LiveConfig:
    return live_actor.LiveConfig(model=MODEL, generation_config={"response_modalities": [modality]})


async def la_send(url: str, n: int) -> Result:
    async with live_actor.open_session(_la_config("TEXT"), api_key=API_KEY, base_url=url) as s:
        await s.send_client_content("warm up")
        await s.receive_turn()
        stop = _timer()
        for _ in range(n):
            await s.send_realtime_input(audio=CHUNK)
        await s.send_client_content("ping")
        await s.receive_turn()
        result = stop()
        assert s.ledger.sent >= n, s.ledger
        return result


async def la_recv(url: str, m: int) -> Result:
    async with live_actor.open_session(_la_config("AUDIO"), api_key=API_KEY, base_url=url) as s:
        events = s.events()
        stop = _timer()
        await s.send_client_content(f"stream {m}")
        got = 0
        async for event in events:
            assert isinstance(event, live_actor.types.ServerMessage)
            data = event.data
            if data:
                got += 1
            content = event.server_content
            if content is not None and content.turn_complete:
                break
        result = stop()
        assert got == m, (got, m)
        return result


# ------------------------------------------------------------------ bare trio


async def trio_bare_send(live_url: str, n: int) -> Result:
    import trio_websocket

    async with trio_websocket.open_websocket_url(
        live_url,
        extra_headers=[("x-goog-api-key", API_KEY)],
        message_queue_size=1024,
        max_message_size=MAX_SIZE,
    ) as ws:
        await ws.send_message(_setup("TEXT"))
        await ws.get_message()
        stop = _timer()
        for _ in range(n):
            await ws.send_message(_audio_json(CHUNK))
        await ws.send_message(_turn_json("ping"))
        count = [0]
        while not _bare_turn(await ws.get_message(), count):
            pass
        return stop()


async def trio_bare_recv(live_url: str, m: int) -> Result:
    import trio_websocket

    async with trio_websocket.open_websocket_url(
        live_url,
        extra_headers=[("x-goog-api-key", API_KEY)],
        message_queue_size=1024,
        max_message_size=MAX_SIZE,
    ) as ws:
        await ws.send_message(_setup("AUDIO"))
        await ws.get_message()
        stop = _timer()
        await ws.send_message(_turn_json(f"stream {m}"))
        count = [0]
        while not _bare_turn(await ws.get_message(), count):
            pass
        result = stop()
        assert count[0] == m * 1920, count
        return result


# ------------------------------------------------------------------ bare websockets


def _ws_connect(live_url: str) -> Any:
    from websockets.asyncio.client import connect

    return connect(
        live_url,
        additional_headers=[("x-goog-api-key", API_KEY)],
        compression=None,
        max_size=MAX_SIZE,
        max_queue=1024,
    )


async def ws_bare_send(live_url: str, n: int) -> Result:
    async with _ws_connect(live_url) as ws:
        await ws.send(_setup("TEXT"))
        await ws.recv()
        stop = _timer()
        for _ in range(n):
            await ws.send(_audio_json(CHUNK))
        await ws.send(_turn_json("ping"))
        count = [0]
        while not _bare_turn(await ws.recv(), count):
            pass
        return stop()


async def ws_bare_recv(live_url: str, m: int) -> Result:
    async with _ws_connect(live_url) as ws:
        await ws.send(_setup("AUDIO"))
        await ws.recv()
        stop = _timer()
        await ws.send(_turn_json(f"stream {m}"))
        count = [0]
        while not _bare_turn(await ws.recv(), count):
            pass
        result = stop()
        assert count[0] == m * 1920, count
        return result


# ------------------------------------------------------------------ google-genai


def _genai_client(url: str) -> Any:
    from google import genai

    client = genai.Client(api_key=API_KEY, http_options={"api_version": "v1beta"})
    # wire-protocol.md §10: plain ws:// needs these two private attributes.
    client._api_client._websocket_base_url = lambda http_options=None: url
    client._api_client._websocket_ssl_ctx = {}
    return client


async def genai_send(url: str, n: int) -> Result:
    from google.genai import types

    client = _genai_client(url)
    async with client.aio.live.connect(model=MODEL, config={"response_modalities": ["TEXT"]}) as s:
        stop = _timer()
        for _ in range(n):
            await s.send_realtime_input(audio=types.Blob(data=CHUNK, mime_type=MIME))
        await s.send_client_content(
            turns=types.Content(role="user", parts=[types.Part(text="ping")]), turn_complete=True
        )
        async for _message in s.receive():
            pass
        return stop()


async def genai_recv(url: str, m: int) -> Result:
    client = _genai_client(url)
    async with client.aio.live.connect(model=MODEL, config={"response_modalities": ["AUDIO"]}) as s:
        from google.genai import types

        stop = _timer()
        await s.send_client_content(
            turns=types.Content(role="user", parts=[types.Part(text=f"stream {m}")]),
            turn_complete=True,
        )
        got = 0
        async for message in s.receive():
            content = message.server_content
            if content is not None and content.model_turn is not None:
                for part in content.model_turn.parts or ():
                    if part.inline_data is not None and part.inline_data.data:
                        got += 1
        result = stop()
        assert got == m, (got, m)
        return result


# ------------------------------------------------------------------ driver

Variant = tuple[str, str, Callable[[str, int], Awaitable[Result]], bool]  # name, dir, fn, live_url?

VARIANTS: dict[str, list[Variant]] = {
    "trio": [
        ("live_actor", "send", la_send, False),
        ("bare trio-websocket", "send", trio_bare_send, True),
        ("live_actor", "recv", la_recv, False),
        ("bare trio-websocket", "recv", trio_bare_recv, True),
    ],
    "asyncio": [
        ("live_actor", "send", la_send, False),
        ("bare websockets", "send", ws_bare_send, True),
        ("google-genai", "send", genai_send, False),
        ("live_actor", "recv", la_recv, False),
        ("bare websockets", "recv", ws_bare_recv, True),
        ("google-genai", "recv", genai_recv, False),
    ],
}


def run_backend(
    backend: str, server: ServerProcess, n: int, m: int
) -> dict[tuple[str, str], Result]:
    async def main() -> dict[tuple[str, str], Result]:
        out: dict[tuple[str, str], Result] = {}
        for name, direction, fn, wants_live_url in VARIANTS[backend]:
            url = server.live_url if wants_live_url else server.url
            count = n if direction == "send" else m
            out[(name, direction)] = await fn(url, count)
        return out

    return anyio.run(main, backend=backend)


def profile_live_actor(server: ServerProcess, n: int, m: int, top: int) -> str:
    out = io.StringIO()
    for backend in ("trio", "asyncio"):
        for direction, fn, count in (("send", la_send, n), ("recv", la_recv, m)):
            profiler = cProfile.Profile()

            async def main(
                fn: Any = fn, count: int = count, profiler: cProfile.Profile = profiler
            ) -> None:
                profiler.enable()
                try:
                    await fn(server.url, count)
                finally:
                    profiler.disable()

            anyio.run(main, backend=backend)
            stats = pstats.Stats(profiler, stream=out)
            out.write(f"\n### cProfile: live_actor {direction} on {backend} ({count} msgs)\n")
            stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--send", type=int, default=3000, help="audio chunks sent per run")
    parser.add_argument(
        "-m", "--recv", type=int, default=3000, help="audio chunks received per run"
    )
    parser.add_argument("-r", "--repeat", type=int, default=5)
    parser.add_argument("--backend", choices=["trio", "asyncio", "both"], default="both")
    parser.add_argument("--profile", action="store_true", help="cProfile live_actor afterwards")
    parser.add_argument("--write-results", action="store_true")
    args = parser.parse_args()
    quiet_logging()
    backends = ["trio", "asyncio"] if args.backend == "both" else [args.backend]
    samples: dict[tuple[str, str, str], list[Result]] = {}
    with ServerProcess() as server:
        run_backend(backends[0], server, 200, 200)  # warm up imports and the server
        for rep in range(args.repeat):
            for backend in backends:
                for (name, direction), result in run_backend(
                    backend, server, args.send, args.recv
                ).items():
                    samples.setdefault((backend, name, direction), []).append(result)
            print(f"repeat {rep + 1}/{args.repeat} done", file=sys.stderr, flush=True)
        profile = profile_live_actor(server, args.send, args.recv, 25) if args.profile else ""

    rows = []
    header = (
        "| backend | variant | send µs CPU/msg | send ratio | recv µs CPU/msg | recv ratio"
        " | send µs wall/msg | recv µs wall/msg |"
    )
    rows.append(header)
    rows.append("|---|---|---:|---:|---:|---:|---:|---:|")
    verdicts = []
    for backend in backends:
        names = list(dict.fromkeys(name for b, name, _d in samples if b == backend))
        bare = next(name for name in names if name.startswith("bare"))

        def med(name: str, direction: str, which: int, backend: str = backend) -> float:
            count = args.send if direction == "send" else args.recv
            values = [r[which] for r in samples[(backend, name, direction)]]
            return statistics.median(values) / count * 1e6

        for name in names:
            s_cpu, r_cpu = med(name, "send", 0), med(name, "recv", 0)
            s_ratio = s_cpu / med(bare, "send", 0)
            r_ratio = r_cpu / med(bare, "recv", 0)
            rows.append(
                f"| {backend} | {name} | {s_cpu:.1f} | {s_ratio:.2f}x | {r_cpu:.1f}"
                f" | {r_ratio:.2f}x | {med(name, 'send', 1):.1f} | {med(name, 'recv', 1):.1f} |"
            )
            if name == "live_actor":
                for direction, ratio in (("send", s_ratio), ("recv", r_ratio)):
                    ok = "met" if ratio <= 1.3 else "MISSED"
                    verdicts.append(
                        f"- {backend} {direction}: live_actor {ratio:.2f}x the bare transport"
                        f" (target <= 1.3x: {ok})"
                    )
    spread = []
    for (backend, name, direction), results in samples.items():
        count = args.send if direction == "send" else args.recv
        cpu = [r[0] / count * 1e6 for r in results]
        spread.append(f"{backend}/{name}/{direction}: " + ", ".join(f"{v:.1f}" for v in cpu))
    table = "\n".join(rows)
    print(table)
    print("\n".join(verdicts))
    print("\nper-run µs CPU/msg:\n  " + "\n  ".join(spread))
    if profile:
        print(profile)
    if args.write_results:
        command = "python bench/session.py " + " ".join(sys.argv[1:])
        body = (
            machine()
            + f"Command: .venv/bin/{command.strip()}\n\n"
            + f"Send: {args.send} x 20 ms 16 kHz chunks (640 B PCM) per run; receive: {args.recv} x"
            " 40 ms 24 kHz chunks (1920 B PCM) in one model turn. Fake server in a separate"
            " process on loopback; client-process CPU (`time.process_time()`) per message,"
            f" median of {args.repeat} interleaved runs; ratio = vs the bare transport of the"
            " same backend (stdlib json + base64 over trio-websocket / websockets).\n\n"
            + table
            + "\n\n"
            + "\n".join(verdicts)
            + "\n"
        )
        replace_section("Session hot path (bench/session.py)", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
