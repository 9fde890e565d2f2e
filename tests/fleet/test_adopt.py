"""Adoption in one process: two supervisors share a store (MemoryStore and a real Redis)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import anyio
import pytest
from structlog.testing import capture_logs

import live_actor
from live_actor import LiveConfig, Supervisor
from live_actor.stores import MemoryStore, RedisStore, SessionStore
from live_actor.testing import FakeLiveServer

from ._redis import RedisServer
from .conftest import API_KEY, MODEL


def config(server: FakeLiveServer) -> LiveConfig:
    return LiveConfig(
        model=MODEL,
        base_url=server.url,
        generation_config={"response_modalities": ["TEXT"]},
        session_resumption=True,
    )


@pytest.fixture(params=["memory", "redis"])
def make_store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[], SessionStore]:
    if request.param == "memory":
        shared = MemoryStore(lease_ttl=1.0)
        return lambda: shared
    redis: RedisServer = request.getfixturevalue("redis_server")
    key = live_actor.stores.generate_key()
    return lambda: RedisStore(redis.url, key=key, lease_ttl=1.0, write_timeout=0.3)


@asynccontextmanager
async def worker(store: SessionStore, name: str) -> AsyncIterator[Supervisor]:
    async with Supervisor(store=store, worker_id=name) as sup:
        yield sup
    await store.aclose()


async def test_a_drained_session_is_adopted_with_its_context(
    anyio_backend: str, server: FakeLiveServer, make_store: Callable[[], SessionStore]
) -> None:
    with anyio.fail_after(30):
        async with worker(make_store(), "a") as a, worker(make_store(), "b") as b:
            handle = await a.start_session(config(server), api_key=API_KEY, session_id="call-42")
            await handle.connect()
            await handle.send_client_content("my name is Ada")
            assert "Ada" in (await handle.receive_turn()).text
            assert await b.orphans() == []
            assert await a.drain(within=5) == 1
            assert handle.status is live_actor.SessionStatus.CLOSED
            assert handle.close_code == 1001
            assert await b.orphans() == ["call-42"]
            adopted = await b.adopt("call-42", api_key=API_KEY)
            await adopted.wait_ready()
            await adopted.send_client_content("what is my name?")
            assert (await adopted.receive_turn()).text == "Your name is Ada."
            assert adopted.session_id == "call-42"
            assert len(server.sessions) == 1  # resumed, not re-seeded
            assert server.sessions[0].control_texts() == ["my name is Ada", "what is my name?"]
            await adopted.close()
            assert await b.orphans() == []
            with pytest.raises(live_actor.stores.SessionNotFoundError):
                await b.store.load("call-42")  # the conversation ended: its record too


async def test_an_adopter_whose_handle_expired_reseeds_from_the_stored_transcript(
    anyio_backend: str,
) -> None:
    store = MemoryStore(lease_ttl=1.0)
    with anyio.fail_after(30):
        async with (
            FakeLiveServer(chunk_delay=0, handle_ttl=0.2) as server,
            worker(store, "a") as a,
            worker(store, "b") as b,
        ):
                handle = await a.start_session(config(server), api_key=API_KEY, session_id="c")
                await handle.connect()
                await handle.send_client_content("my name is Ada")
                await handle.receive_turn()
                await a.drain(within=5)
                await anyio.sleep(0.4)  # every handle of the conversation expires
                adopted = await b.adopt("c", api_key=API_KEY)
                events = adopted.events(lifecycle=True)
                await adopted.wait_ready()
                resumed = None
                while resumed is None:
                    event = await events.__anext__()
                    if isinstance(event, live_actor.Resumed):
                        resumed = event
                assert not resumed.state_restored
                assert resumed.reseeded_turns == 2  # the question and its answer
                assert len(server.sessions) == 2  # a fresh server session
                await adopted.send_client_content("what is my name?")
                assert (await adopted.receive_turn()).text == "Your name is Ada."
                await adopted.close()


async def test_open_session_with_a_store_keeps_the_record_while_open_and_never_logs_secrets(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    store = MemoryStore()
    with anyio.fail_after(20), capture_logs() as logs:
        async with live_actor.open_session(
            config(server), api_key=API_KEY, store=store, session_id="call-1"
        ) as handle:
            await handle.send_client_content("my name is Ada")
            await handle.receive_turn()
            record = await store.load("call-1")
            assert record.owner is not None
            handle_secret = handle.resumption_handle
        with pytest.raises(live_actor.stores.SessionNotFoundError):
            await store.load("call-1")  # closed: the conversation's record is gone
    assert handle_secret
    assert handle_secret not in repr(logs) and API_KEY not in repr(logs)


async def test_a_write_behind_snapshot_never_drops_a_message_on_its_way_to_the_ledger(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """The control path stores a frame before the command reaches the ledger; a
    snapshot written in between must keep it (else a crash there loses it)."""
    store = MemoryStore()
    with anyio.fail_after(20):
        async with worker(store, "a") as a:
            handle = await a.start_session(config(server), api_key=API_KEY, session_id="c")
            await handle.connect()
            actor = handle._actor
            assert actor.persist is not None
            entry = actor.accept(live_actor.types.ClientContent(turns=(), turn_complete=True))
            await actor.persist.accepted(entry)  # stored; not dispatched yet
            await actor.persist.flush()
            assert entry.seq in (await store.load("c")).entries
            actor.core.send_failed(entry, "test: never sent")
            await actor.persist.flush()  # once it is known dropped, it goes
            assert entry.seq not in (await store.load("c")).entries
            await handle.close()
