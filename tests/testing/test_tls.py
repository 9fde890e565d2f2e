"""The fake server over TLS: wss:// and https REST with a CA made by the test."""

from __future__ import annotations

import json
import ssl
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager

import anyio
import httpx
import pytest
import sniffio
import trustme

from live_actor.testing import FakeLiveServer

pytestmark = pytest.mark.anyio
SETUP = {"setup": {"model": "models/gemini-2.0-flash-exp"}}


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_server(
    ca: trustme.CA, make_server: Callable[..., FakeLiveServer]
) -> Iterator[FakeLiveServer]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    yield make_server(ssl_context=context, handshake_timeout=2)


def _trusting(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


@asynccontextmanager
async def _open(url: str, context: ssl.SSLContext) -> AsyncIterator[tuple[Callable, Callable]]:
    """(send_text, receive) of a WebSocket client: websockets on asyncio, trio-websocket on trio."""
    headers = {"x-goog-api-key": "test-key"}
    if sniffio.current_async_library() == "trio":
        import trio_websocket

        async with trio_websocket.open_websocket_url(
            url, ssl_context=context, extra_headers=list(headers.items())
        ) as ws:
            yield ws.send_message, ws.get_message
    else:
        from websockets.asyncio.client import connect

        async with connect(url, ssl=context, additional_headers=headers) as ws:
            yield ws.send, ws.recv


async def test_a_client_trusting_the_test_ca_connects_over_wss(
    tls_server: FakeLiveServer, ca: trustme.CA
) -> None:
    assert tls_server.url.startswith("wss://127.0.0.1:")
    assert tls_server.live_url().startswith("wss://")
    assert tls_server.http_url.startswith("https://")
    with anyio.fail_after(10):
        async with _open(tls_server.live_url(), _trusting(ca)) as (send, receive):
            await send(json.dumps(SETUP))
            assert json.loads(await receive()) == {"setupComplete": {}}
            await send(json.dumps({"realtimeInput": {"text": "over tls"}}))
            while True:
                message = json.loads(await receive())
                if message.get("serverContent", {}).get("turnComplete"):
                    break
    session = tls_server.sessions[0]
    assert session.control_texts() == ["over tls"]


async def test_rest_is_served_over_https(tls_server: FakeLiveServer, ca: trustme.CA) -> None:
    async with httpx.AsyncClient(verify=_trusting(ca)) as client:
        response = await client.get(f"{tls_server.http_url}/v1beta/models?key=k")
    assert response.status_code == 200
    assert any(m["name"] == "models/gemini-2.0-flash-exp" for m in response.json()["models"])


async def test_a_client_without_the_ca_is_refused_and_the_server_goes_on(
    tls_server: FakeLiveServer, ca: trustme.CA
) -> None:
    # a TLS client with the system trust store only (the client side's own errors are
    # not this test's business: a plain TLS handshake shows what the server presents)
    with anyio.fail_after(10), pytest.raises(ssl.SSLCertVerificationError):
        await anyio.connect_tcp(
            "127.0.0.1", tls_server.port, ssl_context=ssl.create_default_context()
        )
    async with _open(tls_server.live_url(), _trusting(ca)) as (send, receive):
        await send(json.dumps(SETUP))
        assert json.loads(await receive()) == {"setupComplete": {}}


async def test_plain_http_to_the_tls_port_is_cut(tls_server: FakeLiveServer) -> None:
    async with await anyio.connect_tcp("127.0.0.1", tls_server.port) as stream:
        await stream.send(b"GET /v1beta/models HTTP/1.1\r\nHost: fake\r\n\r\n")
        with anyio.fail_after(5):
            data = b""
            try:
                while chunk := await stream.receive():
                    data += chunk
            except (anyio.EndOfStream, anyio.BrokenResourceError, ConnectionError):
                pass
    assert b"HTTP/1.1 200" not in data
