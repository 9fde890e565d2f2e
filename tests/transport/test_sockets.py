"""The socket backends over real loopback TCP, each test on asyncio and on trio.

The point of the seam is that both backends report the same things the same way, so
every assertion here is backend-independent.
"""

from __future__ import annotations

import json
import socket

import anyio
import pytest

from live_actor._transport import (
    Transport,
    TransportClosed,
    TransportConnectError,
    TransportOptions,
    connect,
    open_transport,
)

from ..helpers import API_KEY
from ._servers import RawServer, ScriptedServer

pytestmark = pytest.mark.anyio

TOKEN = "ya29.secret-oauth-token-abcdef"
HEADERS = {"x-goog-api-key": API_KEY, "Authorization": f"Bearer {TOKEN}"}
FAST = TransportOptions(connect_timeout=2.0, close_timeout=1.0)


def assert_no_secrets(*texts: str) -> None:
    for text in texts:
        assert API_KEY not in text
        assert TOKEN not in text


async def test_text_and_binary_round_trip(ws_server: ScriptedServer) -> None:
    async with open_transport(ws_server.url("/echo"), HEADERS, FAST) as transport:
        assert isinstance(transport, Transport)
        assert transport.close_code is None
        await transport.send('{"setup": {}}')
        assert await transport.receive() == '{"setup": {}}'
        await transport.send(b'{"binary": true}')
        assert await transport.receive() == b'{"binary": true}'
        await transport.send(bytearray(b"ba"))  # type: ignore[arg-type]
        assert await transport.receive() == b"ba"
        assert_no_secrets(repr(transport))


async def test_message_over_limit_is_a_local_1009(ws_server: ScriptedServer) -> None:
    options = TransportOptions(max_message_size=16 * 1024 * 1024, close_timeout=1.0)
    url = ws_server.url(f"/oversize?n={16 * 1024 * 1024 + 1}")
    async with open_transport(url, HEADERS, options) as transport:
        with pytest.raises(TransportClosed) as info:
            await transport.receive()
        assert info.value.code == 1009
        assert info.value.local is True


async def test_headers_reach_the_server(ws_server: ScriptedServer) -> None:
    async with open_transport(ws_server.url("/headers"), HEADERS, FAST) as transport:
        seen = json.loads(await transport.receive())
    assert seen["x-goog-api-key"] == API_KEY
    assert seen["authorization"] == f"Bearer {TOKEN}"
    assert seen["user-agent"].startswith("live_actor")
    # permessage-deflate is off unless asked for (audio latency)
    assert "sec-websocket-extensions" not in seen


async def test_caller_user_agent_wins(ws_server: ScriptedServer) -> None:
    headers = {**HEADERS, "User-Agent": "my-app/1.0"}
    async with open_transport(ws_server.url("/headers"), headers, FAST) as transport:
        seen = json.loads(await transport.receive())
    assert seen["user-agent"] == "my-app/1.0"


async def test_abrupt_drop_is_1006(raw_server: RawServer) -> None:
    async with open_transport(raw_server.url("/drop"), HEADERS, FAST) as transport:
        assert await transport.receive() == "bye"
        with pytest.raises(TransportClosed) as info:
            await transport.receive()
        assert (info.value.code, info.value.local) == (1006, False)
        assert transport.close_code == 1006
        with pytest.raises(TransportClosed):
            await transport.send("x")
        await transport.aclose()  # never raises on a dead socket


async def test_close_acknowledged_only_when_the_peer_answers_our_close(
    ws_server: ScriptedServer, raw_server: RawServer
) -> None:
    async with open_transport(ws_server.url("/echo"), HEADERS, FAST) as transport:
        assert not transport.close_acknowledged
        await transport.aclose(1000, "done")
        assert transport.close_acknowledged
    # A peer that never answers: the handshake times out, nothing is acknowledged.
    async with open_transport(raw_server.url("/silent"), HEADERS, FAST) as transport:
        await transport.aclose(1000, "done", close_timeout=0.2)
        assert not transport.close_acknowledged
    # The peer closed first: it may have discarded what we sent after its close.
    url = ws_server.url("/close?code=1000&reason=bye")
    async with open_transport(url, HEADERS, FAST) as transport:
        with pytest.raises(TransportClosed):
            while True:
                await transport.receive()
        await transport.aclose()
        assert not transport.close_acknowledged


@pytest.mark.parametrize("status", [403, 404])
async def test_refused_upgrade(ws_server: ScriptedServer, status: int) -> None:
    url = ws_server.url(f"/reject/{status}?key={API_KEY}&alt=json")
    with pytest.raises(TransportConnectError) as info:
        async with open_transport(url, HEADERS, FAST):
            pytest.fail("should not connect")
    err = info.value
    assert err.status == status
    assert f"HTTP {status}" in str(err)
    assert "API key not valid" in str(err)  # the body explains the refusal...
    assert "REDACTED" in str(err)  # ...with the echoed key scrubbed
    assert "alt=REDACTED" in str(err)  # names kept, every value hidden
    assert_no_secrets(str(err), repr(err), err.message)
    # the headers did arrive (so the scrubbing was tested for real)
    assert ws_server.requests[-1]["x-goog-api-key"] == API_KEY


async def test_connect_timeout(raw_server: RawServer) -> None:
    options = TransportOptions(connect_timeout=0.3, close_timeout=0.5)
    start = anyio.current_time()
    with pytest.raises(TransportConnectError) as info:
        async with open_transport(raw_server.url(f"/hang?key={API_KEY}"), HEADERS, options):
            pytest.fail("should not connect")
    assert anyio.current_time() - start < 2.0
    assert info.value.status is None
    assert "timed out connecting" in str(info.value)
    assert "0.3s" in str(info.value)
    assert_no_secrets(str(info.value), repr(info.value))


async def test_closed_during_handshake(raw_server: RawServer) -> None:
    with pytest.raises(TransportConnectError) as info:
        async with open_transport(raw_server.url("/eof"), HEADERS, FAST):
            pytest.fail("should not connect")
    assert info.value.status is None
    assert "timed out" not in str(info.value)  # noticed at once, not at the timeout


async def test_connection_refused() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here
    with pytest.raises(TransportConnectError) as info:
        async with open_transport(f"ws://127.0.0.1:{port}/x?key={API_KEY}", HEADERS, FAST):
            pytest.fail("should not connect")
    assert info.value.status is None
    assert_no_secrets(str(info.value))


async def test_bad_url_and_headers_never_echo_secrets() -> None:
    with pytest.raises(ValueError) as bad_scheme:
        async with open_transport(f"http://example.com/?key={API_KEY}", HEADERS, FAST):
            pass
    assert_no_secrets(str(bad_scheme.value))
    with pytest.raises(ValueError) as bad_value:
        async with open_transport("ws://127.0.0.1:1/", {"x-goog-api-key": API_KEY + "\r\n"}):
            pass
    assert_no_secrets(str(bad_value.value))


async def test_keepalive_timeout_is_a_local_1011(raw_server: RawServer) -> None:
    options = TransportOptions(ping_interval=0.1, ping_timeout=0.3, close_timeout=0.3)
    async with open_transport(raw_server.url("/silent"), HEADERS, options) as transport:
        with anyio.fail_after(3):
            with pytest.raises(TransportClosed) as info:
                await transport.receive()
        assert (info.value.code, info.value.reason, info.value.local) == (
            1011,
            "keepalive ping timeout",
            True,
        )


async def test_keepalive_quiet_connection_stays_open(ws_server: ScriptedServer) -> None:
    options = TransportOptions(ping_interval=0.05, ping_timeout=0.5, close_timeout=1.0)
    async with open_transport(ws_server.url("/echo"), HEADERS, options) as transport:
        await anyio.sleep(0.4)  # several ping/pong rounds
        await transport.send("still here")
        assert await transport.receive() == "still here"
        assert transport.close_code is None


async def test_body_exception_is_not_wrapped(ws_server: ScriptedServer) -> None:
    with pytest.raises(KeyError):
        async with open_transport(ws_server.url("/echo"), HEADERS, FAST):
            raise KeyError("from the body")


async def test_cancellation_closes_cleanly(ws_server: ScriptedServer) -> None:
    with anyio.move_on_after(0.2) as scope:
        async with open_transport(ws_server.url("/echo"), HEADERS, FAST) as transport:
            await transport.receive()
    assert scope.cancelled_caught
    assert transport.close_code == 1000


async def test_connect_with_task_group(ws_server: ScriptedServer) -> None:
    async with anyio.create_task_group() as tg:
        transport = await connect(ws_server.url("/echo"), HEADERS, FAST, task_group=tg)
        await transport.send("hello")
        assert await transport.receive() == "hello"
        await transport.aclose()
    assert transport.close_code == 1000


async def test_connect_error_with_task_group(ws_server: ScriptedServer) -> None:
    async with anyio.create_task_group() as tg:
        with pytest.raises(TransportConnectError) as info:
            await connect(ws_server.url("/reject/403"), HEADERS, FAST, task_group=tg)
    assert info.value.status == 403


async def test_connect_without_task_group(ws_server: ScriptedServer, anyio_backend: str) -> None:
    if anyio_backend == "trio":
        with pytest.raises(RuntimeError, match="task_group"):
            await connect(ws_server.url("/echo"), HEADERS, FAST)
        return
    transport = await connect(ws_server.url("/echo"), HEADERS, FAST)
    try:
        await transport.send(b"x")
        assert await transport.receive() == b"x"
    finally:
        await transport.aclose()


async def test_tls_failure_is_reported_at_once(ws_server: ScriptedServer) -> None:
    # wss:// to a plain-text server: the TLS handshake fails; trio-websocket alone
    # would only notice at the connect timeout.
    options = TransportOptions(connect_timeout=5.0, close_timeout=0.5)
    start = anyio.current_time()
    with pytest.raises(TransportConnectError) as info:
        async with open_transport(f"wss://127.0.0.1:{ws_server.port}/echo", HEADERS, options):
            pytest.fail("should not connect")
    assert anyio.current_time() - start < 2.0
    assert info.value.status is None
    assert "timed out" not in str(info.value)


async def test_compression_is_opt_in(ws_server: ScriptedServer, anyio_backend: str) -> None:
    options = TransportOptions(compression=True, close_timeout=1.0)
    async with open_transport(ws_server.url("/headers"), HEADERS, options) as transport:
        seen = json.loads(await transport.receive())
        await transport.send("x" * 1000)
        assert await transport.receive() == "x" * 1000
    offered = "permessage-deflate" in seen.get("sec-websocket-extensions", "")
    # trio-websocket cannot negotiate permessage-deflate; the option is ignored there.
    assert offered is (anyio_backend == "asyncio")


async def test_unwrapped_body_exception_keeps_its_own_context(ws_server: ScriptedServer) -> None:
    with pytest.raises(KeyError) as info:
        async with open_transport(ws_server.url("/echo"), HEADERS, FAST):
            try:
                raise ValueError("inner")
            except ValueError:
                raise KeyError("outer") from None
    assert not isinstance(info.value.__context__, BaseExceptionGroup)


async def test_a_peer_1002_is_the_peers(ws_server: ScriptedServer) -> None:
    """A 1002 close frame from the server is remote (only our own 1002 is local)."""
    url = ws_server.url("/close?code=1002&reason=bad+frame")
    async with open_transport(url, HEADERS, FAST) as transport:
        with pytest.raises(TransportClosed) as info:
            while True:
                await transport.receive()
    assert (info.value.code, info.value.local) == (1002, False)
