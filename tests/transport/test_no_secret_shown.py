"""No key, token or proxy password in any log record or rendered traceback (issue 10, item 12).

Every logger at DEBUG, on both backends, while dials succeed, are refused by a
server that echoes the request, fail to connect, fail the handshake, go through a
refusing proxy, and while the caller's own code crashes inside the block.  Every
exception is rendered the way a developer would see it: ``traceback`` and
``rich`` with its locals (what structlog's ``rich_traceback`` shows).
"""

from __future__ import annotations

import contextlib
import io
import logging
import socket
import traceback
from collections.abc import Iterator

import anyio
import anyio.abc
import pytest
import structlog
from rich.console import Console
from rich.traceback import Traceback

from live_actor.transports import TransportConnectError, TransportOptions, open_transport

from ._loopback import loopback_server
from ._raw import raw_server, read_request, switching_protocols

pytestmark = pytest.mark.anyio

KEY = "AIzaSyNOSECRET-key-0123456789abcdefghi"
TOKEN = "ya29.no-secret-token-abcdef0123456789"
PROXY_PASSWORD = "proxy-password-s3cret"
SECRETS = (KEY, TOKEN, PROXY_PASSWORD)
HEADERS = {"x-goog-api-key": KEY, "Authorization": f"Bearer {TOKEN}"}
OPTIONS = TransportOptions(connect_timeout=3.0, close_timeout=0.5, ping_interval=None)


def render(exc: BaseException) -> str:
    """The traceback as rich shows it with locals, from the first live_actor frame on
    (the test's own frames hold the URL it built; only the library's are checked)."""
    tb = exc.__traceback__
    while tb is not None and "live_actor" not in tb.tb_frame.f_code.co_filename:
        tb = tb.tb_next
    tb = tb or exc.__traceback__
    assert tb is not None
    console = Console(file=io.StringIO(), width=240, color_system=None)
    console.print(Traceback.from_exception(type(exc), exc, tb, show_locals=True))
    text = console.file.getvalue()  # type: ignore[attr-defined]
    return text + "".join(traceback.format_exception(exc))


@contextlib.contextmanager
def everything_at_debug(caplog: pytest.LogCaptureFixture) -> Iterator[list[str]]:
    """Every stdlib record at DEBUG and every structlog event, as text (after the block)."""
    seen: list[str] = []
    names = ("websockets", "websockets.client", "trio-websocket", "live_actor")
    with caplog.at_level(logging.DEBUG), structlog.testing.capture_logs() as events:
        for name in names:
            logging.getLogger(name).setLevel(logging.DEBUG)
        try:
            yield seen
        finally:
            for name in names:
                logging.getLogger(name).setLevel(logging.NOTSET)
    seen.extend(record.getMessage() for record in caplog.records)
    seen.extend(caplog.text.splitlines())
    seen.extend(str(event) for event in events)


def assert_hidden(texts: list[str], where: str) -> None:
    joined = "\n".join(texts)
    for secret in SECRETS:
        assert secret not in joined, f"a secret appears in {where}"
        assert secret[:16] not in joined, f"the start of a secret appears in {where}"


async def _refused(url: str) -> TransportConnectError:
    with pytest.raises(TransportConnectError) as info:
        async with open_transport(url, HEADERS, OPTIONS):
            pytest.fail("should not connect")
    return info.value


async def test_no_secret_in_logs_or_tracebacks(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch, anyio_backend: str
) -> None:
    rendered: list[str] = []
    with everything_at_debug(caplog) as logs:
        await _provoke_everything(rendered, monkeypatch, anyio_backend)
    assert_hidden(rendered, "a rendered traceback")
    assert_hidden(logs, "a log record")
    # The libraries' DEBUG output was really captured (the upgrade request, frames...).
    assert any("GET /ws?key=REDACTED" in line for line in logs) or anyio_backend == "trio"
    assert any("x-goog-api-key: REDACTED" in line for line in logs) or anyio_backend == "trio"
    assert len(logs) > 10


async def _provoke_everything(
    rendered: list[str], monkeypatch: pytest.MonkeyPatch, anyio_backend: str
) -> None:
    # 1. A dial that works, then the caller's code crashes inside the block.
    async with loopback_server() as server:
        try:
            async with open_transport(server.url(f"/ws?key={KEY}"), HEADERS, OPTIONS) as t:
                peer = await server.accept()
                await t.send("hello")
                assert await peer.receive() == "hello"
                raise RuntimeError("the application crashed")
        except RuntimeError as exc:
            rendered.append(render(exc))
        assert server.requests[0][1]["x-goog-api-key"] == KEY  # the key was really sent

    # 2. A refusal whose body echoes the request, as a careless proxy would.
    async def echo_refusal(stream: anyio.abc.ByteStream) -> None:
        target, headers = await read_request(stream)
        body = f"denied {target} key={headers['x-goog-api-key']} auth={headers['authorization']}"
        head = f"HTTP/1.1 401 Unauthorized\r\nContent-Length: {len(body)}\r\n\r\n"
        await stream.send((head + body).encode())

    async with raw_server(echo_refusal) as port:
        error = await _refused(f"ws://127.0.0.1:{port}/ws?key={KEY}")
        assert error.status == 401
        rendered.append(render(error))

    # 3. Nothing listens.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        free = sock.getsockname()[1]
    rendered.append(render(await _refused(f"ws://127.0.0.1:{free}/ws?key={KEY}")))

    # 4. A handshake the client rejects (bad Sec-WebSocket-Accept).
    async def bad_accept(stream: anyio.abc.ByteStream) -> None:
        _, headers = await read_request(stream)
        await stream.send(switching_protocols(headers, accept="d3Jvbmc="))
        await anyio.sleep_forever()

    async with raw_server(bad_accept) as port:
        rendered.append(render(await _refused(f"ws://127.0.0.1:{port}/ws?key={KEY}")))

    # 5. A proxy (with credentials) that refuses us: asyncio only, trio has no proxies.
    if anyio_backend == "asyncio":

        async def refusing_proxy(stream: anyio.abc.ByteStream) -> None:
            await read_request(stream)
            await stream.send(
                b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n"
            )

        async with raw_server(refusing_proxy) as proxy_port:
            proxy = f"http://user:{PROXY_PASSWORD}@127.0.0.1:{proxy_port}"
            for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
                monkeypatch.setenv(name, proxy)
            for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
                monkeypatch.delenv(name, raising=False)
            rendered.append(render(await _refused(f"ws://192.0.2.1/ws?key={KEY}")))
