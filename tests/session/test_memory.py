"""Memory per session, by tracemalloc: an idle READY session and a streaming one (issue 14).

Bounds: an idle READY session under 64 KiB of Python heap; a streaming one (it
sent 1.5 s of audio, more than its 1 s media ring, and received a spoken reply
through ``events()``) under 256 KiB beyond its configured buffers, here taken
as a whole.  The fake server runs in a thread of this process: its
allocations (every traceback through ``live_actor/testing``) are left out,
so the figures are the client's.  ``bench/scale.py`` reports the same at
scale, with sockets.
"""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Awaitable, Callable

import anyio
import pytest

import live_actor
from live_actor import LiveConfig, SessionHandle, Supervisor
from live_actor.testing import FakeLiveServer

from ..helpers import API_KEY

pytestmark = pytest.mark.anyio

SESSIONS = 4
IDLE_BOUND = 64 * 1024
STREAMING_BOUND = 256 * 1024
CHUNK = b"\x00\x00" * 320  # 20 ms of 16 kHz silence (the fake VAD hears nothing)
CHUNKS = 75  # 1.5 s of audio
CONFIG = LiveConfig(
    model="gemini-live-2.5-flash-preview", generation_config={"response_modalities": ["AUDIO"]}
)
_CLIENT_ONLY = [
    tracemalloc.Filter(False, "*/live_actor/testing/*", all_frames=True),
    tracemalloc.Filter(False, tracemalloc.__file__),
]


def _heap() -> int:
    gc.collect()
    snapshot = tracemalloc.take_snapshot().filter_traces(_CLIENT_ONLY)
    return sum(stat.size for stat in snapshot.statistics("filename"))


async def _per_session(
    server: FakeLiveServer, work: Callable[[SessionHandle], Awaitable[None]]
) -> float:
    """Heap bytes per session of ``SESSIONS`` sessions, after ``work`` on each."""
    async with Supervisor() as sup:
        warm = await sup.start_session(CONFIG, api_key=API_KEY, base_url=server.url)
        await warm.connect()  # imports, caches and code objects are not per session
        await work(warm)
        await warm.close()
        tracemalloc.start(40)
        try:
            before = _heap()
            handles = [
                await sup.start_session(CONFIG, api_key=API_KEY, base_url=server.url)
                for _ in range(SESSIONS)
            ]
            with anyio.fail_after(30):
                async with anyio.create_task_group() as tg:
                    for handle in handles:
                        tg.start_soon(work, handle)
            after = _heap()
        finally:
            tracemalloc.stop()
        for handle in handles:
            await handle.close()
    return (after - before) / SESSIONS


async def _idle(handle: SessionHandle) -> None:
    """Connected, the server's first messages read (setupComplete, a resumption handle)."""
    await handle.connect()
    async for message in handle.events():
        if message.session_resumption_update is not None and handle.resumption_handle:
            break


async def _streaming(handle: SessionHandle) -> None:
    await handle.connect()
    for _ in range(CHUNKS):  # the 1 s ring is full and has turned over
        await handle.send_realtime_input(audio=CHUNK)
    await handle.send_client_content("tell me something")
    turn = await handle.receive_turn()  # a spoken reply, through events()
    assert turn.audio
    assert handle.ledger.sent >= CHUNKS + 1


async def test_an_idle_ready_session_holds_under_64_kib(server: FakeLiveServer) -> None:
    per_session = await _per_session(server, _idle)
    print(f"idle: {per_session / 1024:.1f} KiB per session")
    assert 0 < per_session < IDLE_BOUND, f"{per_session / 1024:.1f} KiB per idle session"


async def test_a_streaming_session_holds_under_256_kib(server: FakeLiveServer) -> None:
    per_session = await _per_session(server, _streaming)
    print(f"streaming: {per_session / 1024:.1f} KiB per session")
    assert 0 < per_session < STREAMING_BOUND, f"{per_session / 1024:.1f} KiB per session"


def test_the_bounds_are_the_documented_ones() -> None:
    assert live_actor.SessionOptions().media_buffer_seconds == 1.0  # the ring the test fills
