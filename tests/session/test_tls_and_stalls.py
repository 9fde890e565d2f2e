"""Sessions over wss:// (issue 10 item 14) and a server that stops reading (item 7)."""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterator

import anyio
import pytest
import trustme

import live_actor
from live_actor import LiveConfig, RestartPolicy, SessionOptions, TransportOptions, open_session
from live_actor.testing import FakeLiveServer

from ..helpers import API_KEY

pytestmark = pytest.mark.anyio

CONFIG = LiveConfig(
    model="gemini-live-2.5-flash-preview", generation_config={"response_modalities": ["TEXT"]}
)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_server(ca: trustme.CA) -> Iterator[FakeLiveServer]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    fake = FakeLiveServer(chunk_delay=0, close_timeout=0.5, ssl_context=context).start()
    try:
        yield fake
    finally:
        fake.stop()


def trusting(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


async def test_a_session_over_wss_with_a_private_ca_resumes_too(
    tls_server: FakeLiveServer, ca: trustme.CA
) -> None:
    assert tls_server.url.startswith("wss://")
    options = SessionOptions(transport=TransportOptions(ssl_context=trusting(ca)))
    async with open_session(
        CONFIG,
        api_key=API_KEY,
        base_url=tls_server.url,
        options=options,
        policy=RestartPolicy(random=lambda: 0.0, backoff_base=0.01),
    ) as session:
        await session.send_client_content("my name is Alice")
        assert (await session.receive_turn()).text == "Got it, your name is Alice."
        (await tls_server.wait_for_connection()).drop()
        await session.send_client_content("what is my name")
        with anyio.fail_after(10):
            turn = await session.receive_turn()
            while turn.interrupted or turn.text.startswith("Got it"):
                turn = await session.receive_turn()
        assert turn.text == "Your name is Alice."
        assert session.connection_number == 2


async def test_a_certificate_the_client_does_not_trust_is_fatal_at_once(
    tls_server: FakeLiveServer,
) -> None:
    """A wrong certificate is refused with a clear error, never retried forever."""
    started = time.monotonic()
    with pytest.raises(live_actor.SetupRejectedError) as caught:
        async with open_session(CONFIG, api_key=API_KEY, base_url=tls_server.url):
            pass
    assert time.monotonic() - started < 5
    assert "certificate" in str(caught.value).lower()
    assert API_KEY not in str(caught.value)


async def test_a_server_that_stops_reading_is_a_transient_drop(server: FakeLiveServer) -> None:
    """Issue 10 item 7: once the write buffer is full, a peer that reads nothing for
    stall_timeout fails the connection; the session resumes instead of hanging."""
    resumed = anyio.Event()
    options = SessionOptions(
        transport=TransportOptions(stall_timeout=1.0, write_buffer_size=64 * 1024)
    )
    # The fake refuses a resume (1011) while the stalled socket is open on its side, as
    # the service does, until its 3 s stall ends: back off meanwhile.
    policy = RestartPolicy(random=lambda: 1.0, backoff_base=0.5)
    async with open_session(
        CONFIG,
        api_key=API_KEY,
        base_url=server.url,
        options=options,
        policy=policy,
        on_resumed=lambda *_: resumed.set(),
    ) as session:
        conn = await server.wait_for_connection()
        conn.stall(3.0)
        started = time.monotonic()
        with anyio.fail_after(30):
            for n in range(400):  # more than the socket buffers: senders would block forever
                await session.send_client_content(f"{n} " + "x" * 32_000, turn_complete=False)
            await resumed.wait()
        assert time.monotonic() - started < 25
        assert session.connection_number >= 2 and session.error is None
        await session.send_client_content("hello again")
        with anyio.fail_after(10):
            assert "hello again" in (await session.receive_turn()).text
