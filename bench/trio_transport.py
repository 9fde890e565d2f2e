"""Would a trio transport on ``websockets``' sans-IO protocol beat trio-websocket?

Issue 14, item 3: trio's cost per message is mostly the transport.  ``websockets``
ships a sans-IO protocol (``websockets.client.ClientProtocol``) whose frame masking
runs in C; trio-websocket frames with wsproto (pure Python).  This script measures
the client's CPU per message for the same work over loopback against the fake
server in another process (``bench/_common.py``):

* ``trio-websocket, bare``: ``WebSocketConnection.send_message`` / ``get_message``;
* ``websockets sans-IO on trio, bare``: a minimal client written here --
  ``ClientProtocol`` for the handshake and framing, a ``trio.SocketStream`` for I/O,
  one ``send_all`` per message, a reader loop feeding ``receive_data``;
* ``websockets.trio, bare``: the trio client ``websockets`` ships (16+), built on
  the same sans-IO protocol;
* ``live_actor trio transport``: ``open_transport`` under trio (trio-websocket
  plus our writer task, stall watch and keepalive), what sessions use;
* ``live_actor, trio_backend="websockets"``: ``open_transport`` with the option
  this measurement led to (``_trio_sansio``: websockets' protocol, our writer).

Send: N audio chunks (20 ms at 16 kHz, as JSON with base64), then one text turn
whose completion proves they all arrived.  Receive: one model turn of M audio
chunks (40 ms at 24 kHz).  Every variant builds and parses the same JSON with the
stdlib; CPU is ``time.process_time()`` of the client process, median of
``--repeat`` interleaved runs.

    .venv/bin/python bench/trio_transport.py            # ~30 s
    .venv/bin/python bench/trio_transport.py -r 7 -n 5000
"""

from __future__ import annotations

import argparse
import base64
import gc
import json
import statistics
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import trio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import API_KEY, MODEL, ServerProcess, machine, quiet_logging

CHUNK = b"\x00\x00" * 320  # 20 ms of 16 kHz s16le mono silence
MAX_SIZE = 32 * 1024 * 1024


def setup_json(modality: str) -> str:
    return json.dumps(
        {
            "setup": {
                "model": f"models/{MODEL}",
                "generationConfig": {"responseModalities": [modality]},
            }
        }
    )


def audio_json() -> str:
    data = base64.b64encode(CHUNK).decode()
    return json.dumps(
        {"realtimeInput": {"audio": {"mimeType": "audio/pcm;rate=16000", "data": data}}}
    )


def turn_json(text: str) -> str:
    return json.dumps(
        {
            "clientContent": {
                "turns": [{"role": "user", "parts": [{"text": text}]}],
                "turnComplete": True,
            }
        }
    )


def turn_done(raw: str | bytes, count: list[int]) -> bool:
    content = json.loads(raw).get("serverContent")
    if content is None:
        return False
    for part in (content.get("modelTurn") or {}).get("parts", ()):
        inline = part.get("inlineData")
        if inline is not None:
            count[0] += len(base64.b64decode(inline["data"]))
    return bool(content.get("turnComplete"))


class Conn:
    """What the measured loops need: send a text message, receive the next one."""

    send: Callable[[str], Awaitable[None]]
    receive: Callable[[], Awaitable[str | bytes]]


# ------------------------------------------------------------------ the contenders


@asynccontextmanager
async def trio_websocket_bare(url: str) -> AsyncIterator[Conn]:
    import trio_websocket

    async with trio_websocket.open_websocket_url(
        url,
        extra_headers=[("x-goog-api-key", API_KEY)],
        message_queue_size=1024,
        max_message_size=MAX_SIZE,
    ) as ws:
        conn = Conn()
        conn.send, conn.receive = ws.send_message, ws.get_message
        yield conn


@asynccontextmanager
async def websockets_sansio_bare(url: str) -> AsyncIterator[Conn]:
    """A minimal websockets-protocol client on trio: enough to measure framing."""
    from websockets.client import ClientProtocol
    from websockets.frames import Opcode
    from websockets.http11 import Response
    from websockets.uri import parse_uri

    uri = parse_uri(url)
    protocol = ClientProtocol(uri, max_size=MAX_SIZE)
    stream = await trio.open_tcp_stream(uri.host, uri.port)
    request = protocol.connect()
    request.headers["x-goog-api-key"] = API_KEY
    protocol.send_request(request)
    await stream.send_all(b"".join(protocol.data_to_send()))
    while True:
        protocol.receive_data(await stream.receive_some(65536))
        events = protocol.events_received()
        if any(isinstance(e, Response) for e in events):
            break
    inbox: list[str | bytes] = []
    for event in events:
        if not isinstance(event, Response) and event.opcode is Opcode.TEXT:
            inbox.append(event.data.decode())
    ready = trio.Event()
    parts: list[bytes] = []

    async def reader() -> None:
        nonlocal ready
        while True:
            data = await stream.receive_some(65536)
            if not data:
                return
            protocol.receive_data(data)
            for frame in protocol.events_received():
                if frame.opcode in (Opcode.TEXT, Opcode.BINARY, Opcode.CONT):
                    parts.append(frame.data)
                    if frame.fin:
                        inbox.append(b"".join(parts).decode())
                        parts.clear()
                        ready.set()
            pending = protocol.data_to_send()  # pongs, close replies
            if pending:
                await stream.send_all(b"".join(pending))

    async def send(text: str) -> None:
        protocol.send_text(text.encode())
        await stream.send_all(b"".join(protocol.data_to_send()))

    async def receive() -> str | bytes:
        nonlocal ready
        while not inbox:
            await ready.wait()
            ready = trio.Event()
        return inbox.pop(0)

    conn = Conn()
    conn.send, conn.receive = send, receive
    async with trio.open_nursery() as nursery:
        nursery.start_soon(reader)
        yield conn
        protocol.send_close(1000)
        await stream.send_all(b"".join(protocol.data_to_send()))
        nursery.cancel_scope.cancel()
    await stream.aclose()


@asynccontextmanager
async def websockets_trio_bare(url: str) -> AsyncIterator[Conn]:
    from websockets.trio.client import connect

    async with connect(
        url,
        additional_headers=[("x-goog-api-key", API_KEY)],
        compression=None,
        max_size=MAX_SIZE,
        max_queue=1024,
        ping_interval=None,
    ) as ws:
        conn = Conn()
        conn.send, conn.receive = ws.send, ws.recv
        yield conn


@asynccontextmanager
async def live_actor_transport(url: str, trio_backend: str | None = None) -> AsyncIterator[Conn]:
    from live_actor.transports import TransportOptions, open_transport

    options = TransportOptions(ping_interval=None, trio_backend=trio_backend)  # type: ignore[arg-type]
    async with open_transport(url, {"x-goog-api-key": API_KEY}, options) as transport:
        conn = Conn()
        conn.send, conn.receive = transport.send, transport.receive
        yield conn


def live_actor_sansio_transport(url: str) -> AsyncIterator[Conn]:
    return live_actor_transport(url, "websockets")  # type: ignore[return-value]


CONTENDERS = {
    "trio-websocket, bare": trio_websocket_bare,
    "websockets sans-IO on trio, bare": websockets_sansio_bare,
    "websockets.trio, bare": websockets_trio_bare,
    "live_actor trio transport": live_actor_transport,
    'live_actor, trio_backend="websockets"': live_actor_sansio_transport,
}

# ------------------------------------------------------------------ the work


async def measure_send(make: Callable[[str], object], url: str, n: int) -> float:
    async with make(url) as conn:  # type: ignore[attr-defined]
        await conn.send(setup_json("TEXT"))
        await conn.receive()
        frames = [audio_json() for _ in range(n)]
        gc.collect()
        start = time.process_time()
        for frame in frames:
            await conn.send(frame)
        await conn.send(turn_json("ping"))
        count = [0]
        while not turn_done(await conn.receive(), count):
            pass
        return (time.process_time() - start) / n * 1e6


async def measure_recv(make: Callable[[str], object], url: str, m: int) -> float:
    async with make(url) as conn:  # type: ignore[attr-defined]
        await conn.send(setup_json("AUDIO"))
        await conn.receive()
        gc.collect()
        start = time.process_time()
        await conn.send(turn_json(f"stream {m}"))
        count = [0]
        while not turn_done(await conn.receive(), count):
            pass
        assert count[0] == m * 1920, count
        return (time.process_time() - start) / m * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--send", type=int, default=3000)
    parser.add_argument("-m", "--receive", type=int, default=3000)
    parser.add_argument("-r", "--repeat", type=int, default=5)
    args = parser.parse_args()
    quiet_logging()
    results: dict[tuple[str, str], list[float]] = {}
    with ServerProcess() as server:
        for _ in range(args.repeat):
            for name, make in CONTENDERS.items():
                send = trio.run(measure_send, make, server.live_url, args.send)
                recv = trio.run(measure_recv, make, server.live_url, args.receive)
                results.setdefault((name, "send"), []).append(send)
                results.setdefault((name, "recv"), []).append(recv)
    print(machine())
    print(f"send {args.send} / receive {args.receive} messages, median of {args.repeat} runs\n")
    base = {d: statistics.median(results[("trio-websocket, bare", d)]) for d in ("send", "recv")}
    print(
        "| contender | send µs CPU/msg | vs trio-websocket | recv µs CPU/msg | vs trio-websocket |"
    )
    print("|---|---:|---:|---:|---:|")
    for name in CONTENDERS:
        send = statistics.median(results[(name, "send")])
        recv = statistics.median(results[(name, "recv")])
        print(
            f"| {name} | {send:.1f} | {send / base['send']:.2f}x | {recv:.1f} | "
            f"{recv / base['recv']:.2f}x |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
