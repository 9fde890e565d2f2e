"""The voice-call stream server of ``bench/scale.py``, run in a process of its own.

Why not ``FakeLiveServer``: the fake is protocol-faithful (it decodes every
client message, runs its VAD over every audio chunk, keeps a ledger, answers
turns), which costs it far more per message than the clients being measured;
at realtime pace with a few dozen calls it becomes the bottleneck and its own
lateness would be charged to the clients (``scale.py --server fake`` measures
that).  This server does the least a Live server does for a call that streams:

* any path: the WebSocket upgrade (``websockets``' sans-IO ``ServerProtocol``
  on a bare ``asyncio.Protocol``, no task per connection);
* the first message is the ``setup``: answered with ``{"setupComplete": {}}``;
* every later message is counted, not decoded (``realtimeInput`` audio);
* from the first message after ``setupComplete`` on (an idle call gets
  nothing: ``scale.py`` measures idle sessions' memory), 25 times a second
  at absolute 40 ms deadlines (each connection with its own phase), one
  ``serverContent.modelTurn`` with 40 ms of 24 kHz s16le audio (1920 B of
  PCM, base64) in a binary frame, like the service.  The first 8 bytes of
  the PCM are the message's due time (``time.monotonic()``, little-endian
  double), so the client can measure receive lateness; the rest is silence.

Control on stdin, one command a line: ``RESET`` clears the counters, ``STATS``
prints one JSON line (messages received and sent, connections, the server's
own send lateness p50/p99/max in ms, its CPU seconds since ``RESET``).  It
prints ``PORT <n>`` once listening and serves until stdin closes.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import struct
import sys
import time
from typing import Any

from websockets.frames import Frame, Opcode
from websockets.http11 import Request
from websockets.protocol import State
from websockets.server import ServerProtocol

PERIOD = 0.040  # one 40 ms chunk of 24 kHz audio every 40 ms
PCM_BYTES = 1920
_HEAD = (
    b'{"serverContent":{"modelTurn":{"parts":[{"inlineData":'
    b'{"mimeType":"audio/pcm;rate=24000","data":"'
)
# 9 bytes (the 8-byte stamp and one zero) are 12 base64 characters; the other
# 1911 bytes (a multiple of 3) encode the same every time.
_TAIL = base64.b64encode(bytes(PCM_BYTES - 9)) + b'"}}]}}}'
_SETUP_COMPLETE = b'{"setupComplete":{}}'
_STAMP = struct.Struct("<d")


def audio_frame(due: float) -> bytes:
    """The JSON of one 40 ms audio message whose PCM starts with ``due``."""
    return _HEAD + base64.b64encode(_STAMP.pack(due) + b"\x00") + _TAIL


def stamp_of(pcm: bytes) -> float:
    """The due time a client finds in the first 8 bytes of the PCM."""
    return float(_STAMP.unpack_from(pcm)[0])


class Stats:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.received = 0
        self.sent = 0
        self.connections = 0
        self.lateness: list[float] = []
        self.cpu0 = time.process_time()
        self.wall0 = time.monotonic()

    def report(self) -> dict[str, Any]:
        late = sorted(self.lateness)

        def pct(q: float) -> float:
            if not late:
                return 0.0
            return late[min(len(late) - 1, int(q / 100 * len(late)))] * 1000

        return {
            "received": self.received,
            "sent": self.sent,
            "connections": self.connections,
            "late_p50_ms": pct(50),
            "late_p99_ms": pct(99),
            "late_max_ms": (late[-1] * 1000) if late else 0.0,
            "cpu_s": time.process_time() - self.cpu0,
            "wall_s": time.monotonic() - self.wall0,
        }


class StreamConnection(asyncio.Protocol):
    """One call: the upgrade, the setup, then audio at 25 Hz until it closes."""

    def __init__(self, stats: Stats, phase: float) -> None:
        self.stats = stats
        self.phase = phase
        self.ws = ServerProtocol(max_size=16 * 1024 * 1024)
        self.transport: asyncio.Transport | None = None
        self.ready = False
        self.timer: asyncio.TimerHandle | None = None
        self.due = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        ws = self.ws
        ws.receive_data(data)
        for event in ws.events_received():
            if type(event) is Frame:
                if event.opcode is Opcode.TEXT or event.opcode is Opcode.BINARY:
                    if self.timer is not None:
                        self.stats.received += 1
                    elif self.ready:  # the call starts talking: so does the model
                        self.stats.received += 1
                        self._start_stream()
                    else:
                        self._setup_complete()
            elif isinstance(event, Request):
                ws.send_response(ws.accept(event))
        self._flush()

    def _setup_complete(self) -> None:
        self.ready = True
        self.stats.connections += 1
        self.ws.send_binary(_SETUP_COMPLETE)

    def _start_stream(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        # the next 40 ms grid point of this connection's phase
        self.due = now + PERIOD - ((now - self.phase) % PERIOD)
        self.timer = loop.call_at(self.due, self._tick)

    def _tick(self) -> None:
        ws = self.ws
        if ws.state is not State.OPEN:
            return
        loop = asyncio.get_running_loop()
        due = self.due
        ws.send_binary(audio_frame(due))
        self._flush()
        stats = self.stats
        stats.sent += 1
        stats.lateness.append(loop.time() - due)
        self.due = due + PERIOD
        self.timer = loop.call_at(self.due, self._tick)

    def _flush(self) -> None:
        transport = self.transport
        if transport is None:
            return
        for data in self.ws.data_to_send():
            if data:
                transport.write(data)
            else:
                transport.close()  # the close handshake is over (or failed)
                return

    def connection_lost(self, exc: Exception | None) -> None:
        if self.timer is not None:
            self.timer.cancel()
        self.transport = None


async def serve(port: int) -> None:
    loop = asyncio.get_running_loop()
    if abs(loop.time() - time.monotonic()) > 0.001:  # the stamps are loop.time() values
        raise SystemExit("asyncio's clock is not time.monotonic(): the stamps would be wrong")
    stats = Stats()
    count = [0]

    def factory() -> StreamConnection:
        # Spread the calls' phases over the 40 ms period (golden-ratio steps).
        count[0] += 1
        return StreamConnection(stats, (count[0] * 0.6180339887 % 1.0) * PERIOD)

    server = await loop.create_server(factory, "127.0.0.1", port, backlog=1024)
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    done = asyncio.Event()

    pending = bytearray()

    def command() -> None:
        data = os.read(sys.stdin.fileno(), 4096)
        if not data:
            done.set()
            return
        pending.extend(data)
        while b"\n" in pending:
            line, _, rest = bytes(pending).partition(b"\n")
            pending[:] = rest
            if line.strip() == b"RESET":
                stats.reset()
            elif line.strip() == b"STATS":
                print(json.dumps(stats.report()), flush=True)

    loop.add_reader(sys.stdin.fileno(), command)
    await done.wait()
    server.close()


def main(argv: list[str]) -> int:
    port = int(argv[0]) if argv else 0
    asyncio.run(serve(port))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
