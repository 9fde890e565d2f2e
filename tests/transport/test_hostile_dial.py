"""Dials against servers that misbehave: clear, typed, prompt errors (issue 10, items 13/14).

Every test runs on asyncio (websockets) and trio (trio-websocket) against a
hand-written server in the test's own loop (tests/transport/_raw.py).
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import anyio
import anyio.abc
import pytest
import structlog
import trustme

from live_actor.transports import TransportConnectError, TransportOptions, open_transport

from ._loopback import API_KEY, HEADERS, loopback_server
from ._raw import raw_server, read_request, switching_protocols

pytestmark = pytest.mark.anyio

OPTIONS = TransportOptions(connect_timeout=3.0, close_timeout=0.5, ping_interval=None)


async def _dial_error(url: str, options: TransportOptions = OPTIONS) -> TransportConnectError:
    with pytest.raises(TransportConnectError) as info:
        async with open_transport(url, HEADERS, options):
            pytest.fail("should not connect")
    assert API_KEY not in str(info.value) and API_KEY not in repr(info.value)
    return info.value


async def test_a_refusal_with_a_huge_body_is_the_refusal_not_a_timeout() -> None:
    """The server announces 50 MB of body and sends 200 KiB of it, then stalls:
    the refusal (with its status and the start of the body) is reported at once."""

    async def refuse(stream: anyio.abc.ByteStream) -> None:
        await read_request(stream)
        head = (
            "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 50000000\r\n\r\n"
        )
        await stream.send(
            head.encode() + f"API key {API_KEY} not valid. ".encode() + b"x" * 200_000
        )
        await anyio.sleep_forever()

    async with raw_server(refuse) as port:
        start = anyio.current_time()
        error = await _dial_error(f"ws://127.0.0.1:{port}/ws?key={API_KEY}")
    assert anyio.current_time() - start < OPTIONS.connect_timeout
    assert error.status == 403
    assert "refused with HTTP 403" in str(error) and "not valid" in str(error)
    assert "timed out" not in str(error)


async def test_a_bad_sec_websocket_accept_is_a_clear_handshake_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def bad_accept(stream: anyio.abc.ByteStream) -> None:
        _, headers = await read_request(stream)
        await stream.send(switching_protocols(headers, accept="bm90IHRoZSByaWdodCBrZXk="))
        await anyio.sleep_forever()

    with structlog.testing.capture_logs() as logs:
        async with raw_server(bad_accept) as port:
            start = anyio.current_time()
            error = await _dial_error(f"ws://127.0.0.1:{port}/ws")
    assert anyio.current_time() - start < OPTIONS.connect_timeout
    assert "handshake" in str(error) and "accept" in str(error).lower()
    assert "closed during the handshake" not in str(error)
    assert error.status is None and not error.permanent
    assert not [e for e in logs if e["log_level"] == "error"]  # no reader_crashed


async def test_a_redirect_is_not_followed_with_our_credentials() -> None:
    visited: list[str] = []

    async def elsewhere(stream: anyio.abc.ByteStream) -> None:
        visited.append((await read_request(stream))[0])

    async with raw_server(elsewhere) as other_port:

        async def redirect(stream: anyio.abc.ByteStream) -> None:
            await read_request(stream)
            location = f"ws://127.0.0.1:{other_port}/stolen"
            await stream.send(
                f"HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n".encode()
            )

        async with raw_server(redirect) as port:
            error = await _dial_error(f"ws://127.0.0.1:{port}/ws")
    assert error.status == 302
    assert visited == []  # the key never went to the other host


async def test_cancelling_a_dial_during_the_handshake_returns_at_once() -> None:
    async def hang(stream: anyio.abc.ByteStream) -> None:
        await read_request(stream)
        await anyio.sleep_forever()

    options = TransportOptions(connect_timeout=10.0, close_timeout=10.0)
    async with raw_server(hang) as port:
        start = anyio.current_time()
        with anyio.move_on_after(0.3) as scope:
            async with open_transport(f"ws://127.0.0.1:{port}/ws", HEADERS, options):
                pytest.fail("should not connect")
        assert scope.cancelled_caught
        assert anyio.current_time() - start < 1.5


async def test_a_socks_proxy_without_python_socks_is_a_permanent_connect_error(
    monkeypatch: pytest.MonkeyPatch, anyio_backend: str
) -> None:
    if anyio_backend == "trio":
        pytest.skip("the trio backend does not use proxies")
    pytest.importorskip("websockets")
    try:
        import python_socks  # noqa: F401
    except ImportError:
        pass
    else:  # pragma: no cover - the test extra does not install it
        pytest.skip("python-socks is installed")
    for name in ("ALL_PROXY", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.setenv(name, "socks5://127.0.0.1:1")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    error = await _dial_error("ws://192.0.2.1/ws")  # TEST-NET: never dialled
    assert error.permanent
    assert "python-socks" in str(error) and "pip install" in str(error)


# ------------------------------------------------------------------------- TLS


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def server_tls(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


@pytest.fixture
def client_tls(ca: trustme.CA) -> Iterator[ssl.SSLContext]:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    yield context


@asynccontextmanager
async def tls_echo(server_tls: ssl.SSLContext) -> AsyncIterator[str]:
    async with loopback_server(tls=server_tls) as server, anyio.create_task_group() as tg:

        async def echo() -> None:
            peer = await server.accept()
            await peer.send(await peer.receive())

        tg.start_soon(echo)
        yield server.url()
        tg.cancel_scope.cancel()


async def test_wss_with_a_private_ca(
    server_tls: ssl.SSLContext, client_tls: ssl.SSLContext
) -> None:
    options = TransportOptions(connect_timeout=5.0, close_timeout=1.0, ssl_context=client_tls)
    async with tls_echo(server_tls) as url:
        assert url.startswith("wss://")
        async with open_transport(url, HEADERS, options) as transport:
            await transport.send("over TLS")
            assert await transport.receive() == "over TLS"


async def test_a_certificate_that_fails_verification_is_permanent(
    server_tls: ssl.SSLContext,
) -> None:
    async with tls_echo(server_tls) as url:  # signed by a CA the system does not trust
        error = await _dial_error(url)
    assert error.permanent and error.status is None
    assert "certificate" in str(error) and "ssl_context" in str(error)


async def test_a_tls_handshake_that_never_completes_is_bounded_by_connect_timeout() -> None:
    async def silent(stream: anyio.abc.ByteStream) -> None:
        await anyio.sleep_forever()  # accepts TCP, never answers the ClientHello

    options = TransportOptions(connect_timeout=0.5, close_timeout=0.5)
    async with raw_server(silent) as port:
        start = anyio.current_time()
        error = await _dial_error(f"wss://127.0.0.1:{port}/ws", options)
    assert anyio.current_time() - start < 0.5 + 1.0
    assert "timed out" in str(error) and not error.permanent
