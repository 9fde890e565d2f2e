"""The standalone server stays available: handshake deadlines, HTTP limits, retention."""

from __future__ import annotations

import re
import resource
import socket
import sys
from collections.abc import Callable

import anyio
import pytest
import trio.testing

from live_actor.testing import FakeLiveServer

from ._wsclient import connect, texts, upgrade_status

pytestmark = pytest.mark.anyio
HALF_OPEN = 1100
#: The server runs with the common default descriptor limit, which 1,100 waiting
#: sockets exhaust unless the server bounds them.
SERVER_FD_LIMIT = 1024
SERVE_WITH_FD_LIMIT = (
    "import resource, runpy, sys;"
    f"resource.setrlimit(resource.RLIMIT_NOFILE, ({SERVER_FD_LIMIT}, {SERVER_FD_LIMIT}));"
    "sys.argv = ['live_actor.testing', '--port', '0', '--chunk-delay', '0'];"
    "runpy.run_module('live_actor.testing', run_name='__main__')"
)
SETUP = {"model": "models/gemini-2.0-flash-exp"}


def _raise_own_fd_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= needed:
        return
    if hard != resource.RLIM_INFINITY and hard < needed:
        pytest.skip(f"needs {needed} file descriptors, the hard limit is {hard}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


async def _recv_eof(sock: anyio.abc.SocketStream, limit: float) -> bool:
    """Whether the server closes ``sock`` within ``limit`` seconds."""
    with anyio.move_on_after(limit):
        try:
            while await sock.receive():
                pass
        except (anyio.EndOfStream, anyio.BrokenResourceError, ConnectionError):
            return True
    return False


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX descriptor limits")
async def test_half_open_sockets_do_not_lock_out_a_real_client(anyio_backend: str) -> None:
    _raise_own_fd_limit(HALF_OPEN + 256)
    argv = [sys.executable, "-c", SERVE_WITH_FD_LIMIT]
    async with await anyio.open_process(argv, stderr=None) as proc:
        assert proc.stdout is not None
        first = b""
        with anyio.fail_after(20):
            while b"\n" not in first:
                first += await proc.stdout.receive()
        m = re.search(r"ws://127\.0\.0\.1:(\d+)", first.decode())
        assert m, first
        port = int(m.group(1))
        sockets: list[socket.socket] = []
        try:
            for i in range(HALF_OPEN):
                sock = socket.create_connection(("127.0.0.1", port))
                sockets.append(sock)
                if i % 2:  # half of them start a request and never finish it
                    sock.send(b"GET /ws/x HTTP/1.1\r\nHost: fake\r\n")
            url = (
                f"ws://127.0.0.1:{port}"
                "/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent"
            )
            with anyio.fail_after(5):  # before: no accept at all (EMFILE), until timeout
                async with connect(url) as ws:
                    assert await ws.setup(SETUP["model"]) == {"setupComplete": {}}
        finally:
            for sock in sockets:
                sock.close()
            proc.terminate()
            with anyio.fail_after(10):
                await proc.wait()


async def test_a_request_that_never_completes_is_cut_at_the_handshake_timeout(
    make_server: Callable[..., FakeLiveServer],
) -> None:
    server = make_server(handshake_timeout=0.3)
    idle = await anyio.connect_tcp("127.0.0.1", server.port)
    partial = await anyio.connect_tcp("127.0.0.1", server.port)
    async with idle, partial:
        await partial.send(b"GET /v1beta/models HTTP/1.1\r\nHost: fake\r\n")
        assert await _recv_eof(idle, 5)
        assert await _recv_eof(partial, 5)
    assert server.http_refusals["handshake_timeout"] == 2
    # the server still serves
    async with connect(server.live_url()) as ws:
        assert await ws.setup() == {"setupComplete": {}}


async def test_an_idle_keep_alive_rest_connection_is_closed_too(
    make_server: Callable[..., FakeLiveServer],
) -> None:
    server = make_server(handshake_timeout=0.3)
    async with await anyio.connect_tcp("127.0.0.1", server.port) as stream:
        request = b"GET /v1beta/models?key=k HTTP/1.1\r\nHost: fake\r\n\r\n"
        await stream.send(request)
        head = await stream.receive()
        assert head.startswith(b"HTTP/1.1 200")
        assert await _recv_eof(stream, 5)  # no second request: closed after the deadline
    assert server.http_refusals["handshake_timeout"] == 1


async def test_too_many_waiting_connections_evict_the_oldest(
    make_server: Callable[..., FakeLiveServer],
) -> None:
    server = make_server(max_pending_handshakes=3, handshake_timeout=60)
    streams = [await anyio.connect_tcp("127.0.0.1", server.port) for _ in range(5)]
    try:
        with anyio.fail_after(5):
            await server.wait_for(lambda: server.http_refusals["handshake_evicted"] == 2)
        assert await _recv_eof(streams[0], 5)
        assert await _recv_eof(streams[1], 5)
        assert not await _recv_eof(streams[4], 0.2)  # the newest still waits
    finally:
        for stream in streams:
            await stream.aclose()


async def test_oversized_request_headers_get_431(server: FakeLiveServer) -> None:
    status = await upgrade_status(server.live_url(), {"x-padding": "a" * 20_000})
    assert status == 431
    assert server.http_refusals["headers_too_large"] == 1


@pytest.mark.parametrize("chunked", [False, True])
async def test_an_oversized_rest_body_gets_413(
    make_server: Callable[..., FakeLiveServer], chunked: bool
) -> None:
    server = make_server(max_rest_body=1000)
    body = b'{"uses": 1, "pad": "' + b"x" * 2000 + b'"}'
    framing = (
        b"Transfer-Encoding: chunked\r\n\r\n" + b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n"
        if chunked
        else b"Content-Length: %d\r\n\r\n" % len(body) + body
    )
    request = (
        b"POST /v1alpha/auth_tokens HTTP/1.1\r\nHost: fake\r\nx-goog-api-key: k\r\n"
        b"Content-Type: application/json\r\n" + framing
    )
    async with await anyio.connect_tcp("127.0.0.1", server.port) as stream:
        await stream.send(request)
        data = b""
        with anyio.fail_after(5):
            while b"\r\n\r\n" not in data:
                data += await stream.receive()
    assert data.startswith(b"HTTP/1.1 413"), data[:80]
    assert server.http_refusals["body_too_large"] == 1
    # a small body is still served
    async with await anyio.connect_tcp("127.0.0.1", server.port) as stream:
        small = b'{"uses": 1}'
        await stream.send(
            b"POST /v1alpha/auth_tokens HTTP/1.1\r\nHost: fake\r\nx-goog-api-key: k\r\n"
            b"Content-Length: %d\r\n\r\n" % len(small) + small
        )
        assert (await stream.receive()).startswith(b"HTTP/1.1 200")


async def _one_session(server: FakeLiveServer) -> str:
    """Open a resumable session, take its first handle, close it; return the handle."""
    async with connect(server.live_url()) as ws:
        await ws.setup(sessionResumption={})
        update = await ws.recv()
        handle: str = update["sessionResumptionUpdate"]["newHandle"]
    return handle


async def test_finished_sessions_beyond_the_count_are_forgotten(
    make_server: Callable[..., FakeLiveServer],
) -> None:
    server = make_server(retain_finished=2)
    handles = [await _one_session(server) for _ in range(4)]
    with anyio.fail_after(5):
        await server.wait_for(lambda: server.pruned == {"sessions": 2, "connections": 2})
    assert [s.id for s in server.sessions] == ["session-3", "session-4"]
    assert server.pruned == {"sessions": 2, "connections": 2}
    assert [c.number for c in server.connections] == [3, 4]
    # a forgotten session cannot be resumed; a retained one can
    async with connect(server.live_url()) as ws:
        await ws.send({"setup": {**SETUP, "sessionResumption": {"handle": handles[0]}}})
        closed = await ws.closed()
    assert (closed.code, closed.reason) == (
        1008,
        "Session resumption handle is invalid or has expired.",
    )
    async with connect(server.live_url()) as ws:
        reply = await ws.setup(sessionResumption={"handle": handles[3]})
        assert reply == {"setupComplete": {}}


def test_finished_sessions_older_than_the_age_are_forgotten() -> None:
    clock = trio.testing.MockClock()
    with FakeLiveServer(chunk_delay=0, clock=clock, retain_seconds=100) as server:

        async def scenario() -> None:
            await _one_session(server)
            server.advance_time(50)
            await _one_session(server)
            assert len(server.sessions) == 2  # session-1 is 50 s old
            server.advance_time(60)
            await _one_session(server)  # session-1 (110 s) goes, session-2 (60 s) stays
            assert [s.id for s in server.sessions] == ["session-2", "session-3"]
            assert server.pruned["sessions"] == 1

        anyio.run(scenario)
    assert not server.errors


async def test_an_open_session_is_never_forgotten(
    make_server: Callable[..., FakeLiveServer],
) -> None:
    server = make_server(retain_finished=0)
    async with connect(server.live_url()) as ws:
        await ws.setup(generationConfig={"responseModalities": ["TEXT"]})
        await _one_session(server)  # finishes, forgotten at once (retain 0)
        with anyio.fail_after(5):
            await server.wait_for(lambda: [s.id for s in server.sessions] == ["session-1"])
        assert texts(await ws.text_turn("hello")) == 'You said: "hello".'
    with anyio.fail_after(5):
        await server.wait_for(lambda: not server.sessions)


async def test_retention_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="handshake_timeout must be > 0"):
        FakeLiveServer(handshake_timeout=0)
    with pytest.raises(ValueError, match="retain_finished must be >= 0"):
        FakeLiveServer(retain_finished=-1)


def test_a_virtual_clock_does_not_cut_a_slow_real_client() -> None:
    """Autojump time races ahead while the server waits: no request deadline then."""
    clock = trio.testing.MockClock(autojump_threshold=0)
    with FakeLiveServer(chunk_delay=0, clock=clock, handshake_timeout=1) as server:

        async def slow_client() -> None:
            async with await anyio.connect_tcp("127.0.0.1", server.port) as stream:
                await stream.send(b"GET /v1beta/models?key=k HTTP/1.1\r\n")
                await anyio.sleep(0.3)  # real time: many virtual deadlines would pass
                await stream.send(b"Host: fake\r\n\r\n")
                assert (await stream.receive()).startswith(b"HTTP/1.1 200")

        anyio.run(slow_client)
        assert server.http_refusals["handshake_timeout"] == 0
    assert not server.errors
