"""The client side of ``bench/scale.py``: N voice calls in this process, one variant.

Every variant does the same work per call against ``_scale_server.py``:

* **send**: 20 ms of 16 kHz s16le audio (640 B) at absolute 20 ms deadlines
  (each call with its own phase), and records *send lateness*: when the send
  returned minus when it was due;
* **receive**: one task per call consumes the server's 40 ms chunks of 24 kHz
  audio (25 a second), decodes the PCM and records *receive lateness*: when it
  had the PCM minus the due time the server wrote into the PCM.

The live_actor calls are supervised sessions of one :class:`Supervisor`; the
server's audio is consumed with ``async for m in handle.events()`` (the shape
of a voice server's bridge: a task per call forwards ``m.data`` to the
phone).  ``--consume callbacks`` measures ``on_message`` instead.  The bare
transports do ``json`` + ``base64`` by hand; google-genai uses its live client.

Run by ``scale.py`` as ``python bench/scale.py --child VARIANT ...``; prints one
``RESULT {json}`` line.
"""

from __future__ import annotations

import base64
import contextlib
import gc
import json
import os
import struct
import subprocess
import sys
import time
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
from _common import API_KEY, MODEL

CHUNK = b"\x00\x00" * 320  # 20 ms of 16 kHz s16le mono silence
MIME = "audio/pcm;rate=16000"
SEND_PERIOD = 0.020
MAX_SIZE = 16 * 1024 * 1024
_STAMP = struct.Struct("<d")
_PAGE = os.sysconf("SC_PAGE_SIZE")

#: variant -> (backend, what it is)
VARIANTS: dict[str, tuple[str, str]] = {
    "live_actor/asyncio": ("asyncio", "live_actor (websockets)"),
    "websockets": ("asyncio", "bare websockets"),
    "google-genai": ("asyncio", "google-genai live client"),
    "live_actor/trio": ("trio", "live_actor (trio-websocket, the default)"),
    "trio-websocket": ("trio", "bare trio-websocket"),
    "live_actor/trio+ws": ("trio", 'live_actor, TransportOptions(trio_backend="websockets")'),
}
#: the bare transport each variant is compared with
BARE = {"asyncio": "websockets", "trio": "trio-websocket"}


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * _PAGE


def _setup_json() -> str:
    return json.dumps(
        {
            "setup": {
                "model": f"models/{MODEL}",
                "generationConfig": {"responseModalities": ["AUDIO"]},
            }
        }
    )


def _audio_json(chunk: bytes) -> str:
    data = base64.b64encode(chunk).decode("ascii")
    return json.dumps({"realtimeInput": {"audio": {"data": data, "mimeType": MIME}}})


def _bare_pcm_stamp(raw: str | bytes) -> float | None:
    """The bare receive path: json.loads + b64decode; the PCM's due time."""
    content = json.loads(raw).get("serverContent")
    if content is None:
        return None
    stamp = None
    for part in content.get("modelTurn", {}).get("parts", ()):
        inline = part.get("inlineData")
        if inline is not None:
            stamp = _STAMP.unpack_from(base64.b64decode(inline["data"]))[0]
    return stamp


class Recorder:
    """Lateness samples of the measured window, shared by every call."""

    def __init__(self) -> None:
        self.measuring = False
        self.stopping = False
        self.send_late: list[float] = []
        self.recv_late: list[float] = []
        self.errors: list[str] = []

    def received(self, stamp: float | None) -> None:
        if self.measuring and stamp is not None:
            self.recv_late.append(time.monotonic() - stamp)


class Call:
    """One connected call: ``send()`` one chunk; ``receive(rec)`` until cancelled."""

    send: Callable[[], Awaitable[Any]]

    async def receive(self, rec: Recorder) -> None:
        raise NotImplementedError


CallFactory = Callable[[], "contextlib.AbstractAsyncContextManager[Call]"]


# ------------------------------------------------------------------ live_actor


def _la_options(variant: str) -> Any:
    import live_actor
    from live_actor.transports import TransportOptions

    if variant == "live_actor/trio+ws":
        return live_actor.SessionOptions(transport=TransportOptions(trio_backend="websockets"))
    return live_actor.SessionOptions()


class _LiveActorCall(Call):
    def __init__(self, handle: Any) -> None:
        self.handle = handle
        self.send = self._send

    async def _send(self) -> None:
        await self.handle.send_realtime_input(audio=CHUNK)

    async def receive(self, rec: Recorder) -> None:
        unpack = _STAMP.unpack_from
        async for message in self.handle.events():
            data = message.data
            if data:
                rec.received(unpack(data)[0])


@asynccontextmanager
async def live_actor_calls(
    url: str, variant: str, consume: str, rec: Recorder
) -> AsyncIterator[CallFactory]:
    import live_actor

    config = live_actor.LiveConfig(
        model=MODEL, generation_config={"response_modalities": ["AUDIO"]}
    )
    unpack = _STAMP.unpack_from

    def on_message(message: Any) -> None:
        data = message.data
        if data:
            rec.received(unpack(data)[0])

    async with live_actor.Supervisor(options=_la_options(variant)) as sup:

        @asynccontextmanager
        async def one() -> AsyncIterator[Call]:
            if consume == "callbacks":
                options = _la_options(variant)
                import attrs

                options = attrs.evolve(options, event_buffer=0)
                handle = await sup.start_session(
                    config, api_key=API_KEY, base_url=url, options=options, on_message=on_message
                )
            else:
                handle = await sup.start_session(config, api_key=API_KEY, base_url=url)
            try:
                await handle.connect()
                call = _LiveActorCall(handle)
                if consume == "callbacks":

                    async def idle(rec: Recorder) -> None:
                        await anyio.sleep_forever()

                    call.receive = idle  # type: ignore[method-assign]
                yield call
            finally:
                with anyio.CancelScope(shield=True):
                    await handle.close()
                ledger = handle.ledger
                if ledger.dropped:
                    rec.errors.append(f"ledger dropped {ledger.dropped}: {ledger.dropped_reasons}")

        yield one


# ------------------------------------------------------------------ bare websockets


class _WebsocketsCall(Call):
    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.send = self._send

    async def _send(self) -> None:
        await self.ws.send(_audio_json(CHUNK))

    async def receive(self, rec: Recorder) -> None:
        recv = self.ws.recv
        while True:
            rec.received(_bare_pcm_stamp(await recv()))


@asynccontextmanager
async def websockets_calls(url: str) -> AsyncIterator[CallFactory]:
    from websockets.asyncio.client import connect

    @asynccontextmanager
    async def one() -> AsyncIterator[Call]:
        async with connect(
            url,
            additional_headers=[("x-goog-api-key", API_KEY)],
            compression=None,
            max_size=MAX_SIZE,
        ) as ws:
            await ws.send(_setup_json())
            await ws.recv()
            yield _WebsocketsCall(ws)

    yield one


# ------------------------------------------------------------------ bare trio-websocket


class _TrioWebsocketCall(Call):
    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.send = self._send

    async def _send(self) -> None:
        await self.ws.send_message(_audio_json(CHUNK))

    async def receive(self, rec: Recorder) -> None:
        get = self.ws.get_message
        while True:
            rec.received(_bare_pcm_stamp(await get()))


@asynccontextmanager
async def trio_websocket_calls(url: str) -> AsyncIterator[CallFactory]:
    import trio_websocket

    @asynccontextmanager
    async def one() -> AsyncIterator[Call]:
        async with trio_websocket.open_websocket_url(
            url, extra_headers=[("x-goog-api-key", API_KEY)], max_message_size=MAX_SIZE
        ) as ws:
            await ws.send_message(_setup_json())
            await ws.get_message()
            yield _TrioWebsocketCall(ws)

    yield one


# ------------------------------------------------------------------ google-genai


class _GenaiCall(Call):
    def __init__(self, session: Any) -> None:
        from google.genai import types

        self.session = session
        self.blob = types.Blob
        self.send = self._send

    async def _send(self) -> None:
        await self.session.send_realtime_input(audio=self.blob(data=CHUNK, mime_type=MIME))

    async def receive(self, rec: Recorder) -> None:
        unpack = _STAMP.unpack_from
        while True:
            async for message in self.session.receive():
                content = message.server_content
                if content is not None and content.model_turn is not None:
                    for part in content.model_turn.parts or ():
                        if part.inline_data is not None and part.inline_data.data:
                            rec.received(unpack(part.inline_data.data)[0])


@asynccontextmanager
async def genai_calls(url: str) -> AsyncIterator[CallFactory]:
    from google import genai

    client = genai.Client(api_key=API_KEY, http_options={"api_version": "v1beta"})
    # wire-protocol.md §10: plain ws:// needs these two private attributes.
    client._api_client._websocket_base_url = lambda http_options=None: url
    client._api_client._websocket_ssl_ctx = {}

    @asynccontextmanager
    async def one() -> AsyncIterator[Call]:
        async with client.aio.live.connect(
            model=MODEL, config={"response_modalities": ["AUDIO"]}
        ) as session:
            yield _GenaiCall(session)

    yield one


# ------------------------------------------------------------------ the driver


def _factories(variant: str, url: str, consume: str, rec: Recorder) -> Any:
    if variant.startswith("live_actor"):
        return live_actor_calls(url, variant, consume, rec)
    if variant == "websockets":
        return websockets_calls(url)
    if variant == "trio-websocket":
        return trio_websocket_calls(url)
    if variant == "google-genai":
        return genai_calls(url)
    raise SystemExit(f"unknown variant {variant!r}")


def _preload(variant: str) -> None:
    """Import what the variant uses before the RSS baseline (imports are not per call)."""
    if variant.startswith("live_actor"):
        import live_actor._transport._trio_sansio
        import live_actor._transport._trio_ws
        import live_actor._transport._websockets  # noqa: F401
    elif variant == "google-genai":
        import google.genai.live  # noqa: F401
    elif variant == "trio-websocket":
        import trio_websocket  # noqa: F401
    else:
        import websockets.asyncio.client  # noqa: F401


def _py_spy(path: str, seconds: float) -> subprocess.Popen[bytes]:
    """py-spy sampling this process for ``seconds`` (CPU only: idle samples dropped)."""
    spy = Path(sys.executable).parent / "py-spy"
    return subprocess.Popen(
        [
            str(spy),
            "record",
            "--pid",
            str(os.getpid()),
            "--duration",
            str(max(1, round(seconds))),
            "--rate",
            "1000",
            "--format",
            "raw",
            "--output",
            path,
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))] * 1000


async def run_calls(
    variant: str,
    url: str,
    *,
    calls: int,
    warmup: float,
    seconds: float,
    consume: str = "events",
    heap: bool = False,
    profile: str | None = None,
) -> dict[str, Any]:
    """Connect ``calls`` calls, stream, measure ``seconds`` after ``warmup``.

    ``profile``: a file for py-spy's raw samples of the measured window.
    """
    rec = Recorder()
    _preload(variant)
    gc.collect()
    rss0 = rss_bytes()
    if heap:
        tracemalloc.start(1)
    heap0 = tracemalloc.get_traced_memory()[0] if heap else 0
    connected = 0
    all_connected = anyio.Event()
    start = anyio.Event()
    result: dict[str, Any] = {"variant": variant, "calls": calls}
    stream_at = 0.0
    limiter = anyio.CapacityLimiter(25)  # dial at most this many at once

    def arrived() -> None:
        nonlocal connected
        connected += 1
        if connected == calls:
            all_connected.set()

    async def call_task(index: int, factory: CallFactory) -> None:
        await limiter.acquire()
        dialling = True
        try:
            async with factory() as call:
                limiter.release()
                dialling = False
                arrived()
                await start.wait()
                await stream(index, call)
        except Exception as exc:  # a call that fails is an error of the run
            rec.errors.append(f"{type(exc).__name__}: {exc}")
            if dialling:
                limiter.release()
                arrived()

    async def stream(index: int, call: Call) -> None:
        # golden-ratio phases: calls spread over the 20 ms period
        due = stream_at + (index * 0.6180339887 % 1.0) * SEND_PERIOD
        send = call.send
        now = anyio.current_time
        send_late = rec.send_late
        async with anyio.create_task_group() as tg:
            tg.start_soon(call.receive, rec)
            while not rec.stopping:
                await anyio.sleep_until(due)
                await send()
                if rec.measuring:
                    send_late.append(now() - due)
                due += SEND_PERIOD
            tg.cancel_scope.cancel()

    async with _factories(variant, url, consume, rec) as factory, anyio.create_task_group() as tg:
        t_connect = time.monotonic()
        for index in range(calls):
            tg.start_soon(call_task, index, factory)
        with anyio.fail_after(120):
            await all_connected.wait()
        result["connect_s"] = time.monotonic() - t_connect
        gc.collect()
        rss_idle = rss_bytes()
        heap_idle = tracemalloc.get_traced_memory()[0] if heap else 0
        stream_at = anyio.current_time() + 0.05
        start.set()
        await anyio.sleep(warmup)
        rec.measuring = True
        spy = _py_spy(profile, seconds) if profile else None
        cpu0, wall0 = time.process_time(), time.monotonic()
        await anyio.sleep(seconds)
        cpu1, wall1 = time.process_time(), time.monotonic()
        rec.measuring = False
        heap_streaming = tracemalloc.get_traced_memory()[0] if heap else 0
        rss_streaming = rss_bytes()
        rec.stopping = True
    if spy is not None:
        spy.wait()
    if heap:
        tracemalloc.stop()
    cpu, wall = cpu1 - cpu0, wall1 - wall0
    call_seconds = calls * wall
    result.update(
        {
            "cpu_s": cpu,
            "wall_s": wall,
            "cpu_ms_per_call_s": cpu / call_seconds * 1000,
            "busy": cpu / wall,
            "sends": len(rec.send_late),
            "sends_expected": int(call_seconds / SEND_PERIOD),
            "recvs": len(rec.recv_late),
            "recvs_expected": int(call_seconds / 0.040),
            "send_p50_ms": _pct(rec.send_late, 50),
            "send_p99_ms": _pct(rec.send_late, 99),
            "send_max_ms": _pct(rec.send_late, 100),
            "recv_p50_ms": _pct(rec.recv_late, 50),
            "recv_p99_ms": _pct(rec.recv_late, 99),
            "recv_max_ms": _pct(rec.recv_late, 100),
            "rss_idle_kib_per_call": (rss_idle - rss0) / calls / 1024,
            "rss_kib_per_call": (rss_streaming - rss0) / calls / 1024,
            "heap_idle_kib_per_call": (heap_idle - heap0) / calls / 1024 if heap else None,
            "heap_kib_per_call": (heap_streaming - heap0) / calls / 1024 if heap else None,
            "errors": rec.errors[:5],
            "error_count": len(rec.errors),
        }
    )
    return result
