"""The store rules (``live_actor._store._api``), the same cases on MemoryStore and a real Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
import pytest

import live_actor
from live_actor import ConfigError, LiveConfig
from live_actor._protocol._core import SessionCore
from live_actor._protocol._messages import ClientContent, Content, Part
from live_actor._store._records import (
    decode_config,
    decode_snapshot,
    encode_config,
    encode_state,
    encode_transcript,
)
from live_actor.stores import (
    LeaseLostError,
    MemoryStore,
    RedisStore,
    SessionExistsError,
    SessionNotFoundError,
    SessionOwnedError,
    SessionStore,
    StoreError,
    StoreUnavailableError,
    Write,
    generate_key,
)

from ._redis import RedisServer, free_port

TTL = 1.0


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[SessionStore]:
    if request.param == "memory":
        yield MemoryStore(lease_ttl=TTL, retention=60)
        return
    redis: RedisServer = request.getfixturevalue("redis_server")
    redis_store = RedisStore(
        redis.url, key=generate_key(), lease_ttl=TTL, retention=60, write_timeout=TTL * 0.4
    )
    yield redis_store
    await redis_store.aclose()


async def test_one_owner_and_fenced_writes(anyio_backend: str, store: SessionStore) -> None:
    await store.heartbeat("a", first=True)
    await store.heartbeat("b", first=True)
    lease = await store.create("s", "a", config=b"{}", state=b"state-1")
    assert lease.token == 1
    with pytest.raises(SessionOwnedError) as owned:
        await store.create("s", "b", config=b"{}", state=b"x")
    assert owned.value.owner == "a"
    with pytest.raises(SessionOwnedError):
        await store.claim("s", "b")  # a's lease is alive
    await store.write(lease, Write(state=b"state-2", put={1: b"f1", 2: b"f2"}, serial=1))
    await store.write(lease, Write(drop=[1], serial=2))
    await store.write(lease, Write(state=b"late", serial=1))  # overtaken: ignored whole
    stored = await store.load("s")
    assert (stored.state, dict(stored.entries), stored.owner) == (b"state-2", {2: b"f2"}, "a")
    assert await store.orphans() == []

    await anyio.sleep(TTL * 1.2)  # a stops beating: its lease expires
    assert await store.orphans() == ["s"]
    await store.heartbeat("b")
    new = await store.claim("s", "b")
    assert new.token > lease.token
    with pytest.raises(LeaseLostError):
        await store.write(lease, Write(state=b"stale"))  # the old owner is fenced out
    assert await store.heartbeat("a", ["s"]) == frozenset({"s"})  # and told so
    await store.write(new, Write(state=b"b's", serial=1))
    assert (await store.load("s")).state == b"b's"


async def test_release_end_and_delete(anyio_backend: str, store: SessionStore) -> None:
    await store.heartbeat("a")
    await store.heartbeat("b")
    lease = await store.create("s", "a", config=b"{}", state=b"s")
    await store.release(lease)  # a drain: adoptable at once
    assert await store.orphans() == ["s"]
    with pytest.raises(SessionExistsError):  # an orphan's id is not free
        await store.create("s", "b", config=b"{}", state=b"x")
    with pytest.raises(LeaseLostError):
        await store.write(lease, Write(state=b"x"))
    new = await store.claim("s", "b")
    assert await store.orphans() == []
    with pytest.raises(LeaseLostError):
        await store.end(lease)
    await store.end(new)
    with pytest.raises(SessionNotFoundError):
        await store.load("s")
    with pytest.raises(SessionNotFoundError):
        await store.claim("s", "b")
    await store.create("t", "a", config=b"{}", state=b"s")
    assert await store.delete("t")
    assert not await store.delete("t")
    assert await store.heartbeat("a", ["t"]) == frozenset({"t"})  # erased: its owner stops


async def test_two_workers_racing_for_an_orphan_one_wins(
    anyio_backend: str, store: SessionStore
) -> None:
    await store.heartbeat("a")
    await store.create("s", "a", config=b"{}", state=b"s")
    await anyio.sleep(TTL * 1.2)
    outcomes: list[object] = []

    async def claim(worker: str) -> None:
        await store.heartbeat(worker)
        try:
            outcomes.append(await store.claim("s", worker))
        except SessionOwnedError as exc:
            outcomes.append(exc)

    async with anyio.create_task_group() as tg:
        for worker in ("b", "c", "d", "e"):
            tg.start_soon(claim, worker)
    assert sum(isinstance(o, live_actor.stores.Lease) for o in outcomes) == 1


async def test_a_new_process_with_the_same_worker_id_releases_the_old_ones_sessions(
    anyio_backend: str, store: SessionStore
) -> None:
    await store.heartbeat("pod-1", first=True)
    await store.create("s", "pod-1", config=b"{}", state=b"s")
    await store.heartbeat("pod-1", first=True)  # the process restarted: the id is reused
    assert await store.orphans() == ["s"]
    assert await store.heartbeat("pod-1", ["s"]) == frozenset({"s"})


async def test_a_record_round_trips_config_and_snapshot(anyio_backend: str) -> None:
    config = LiveConfig(
        model="gemini-live-2.5-flash-preview",
        generation_config={"response_modalities": ["TEXT"], "temperature": 0.2},
        tools=[{"function_declarations": [{"name": "get_weather"}]}],
        system_instruction="be brief",
        resume_handle="secret-handle",
    )
    loaded = decode_config(encode_config(config))
    assert loaded.resume_handle is None  # the handle lives in the state, sealed
    assert loaded.evolve(resume_handle="secret-handle") == config
    core = SessionCore()
    core.start_connection()
    core.send(ClientContent(turns=(Content(role="user", parts=(Part(text="hi"),)),)))
    snapshot = core.snapshot()
    frames = {r.seq: r.frame.encode() for r in snapshot.entries}
    again = decode_snapshot(encode_state(snapshot), encode_transcript(snapshot), frames)
    assert again == snapshot


async def test_redis_keeps_payloads_encrypted_and_the_url_password_hidden(
    anyio_backend: str, redis_server: RedisServer
) -> None:
    key = generate_key()
    # No lease expires here: timeouts generous enough for a loaded machine.
    store = RedisStore(redis_server.url, key=[key], lease_ttl=10, write_timeout=2)
    await store.heartbeat("a")
    lease = await store.create("s", "a", config=b"config-secret", state=b"state-secret")
    await store.write(lease, Write(transcript=b"transcript-secret", put={1: b"frame-secret"}))
    import redis

    raw = redis.Redis.from_url(redis_server.url)
    dump = repr(raw.hgetall("live_actor:s:s")) + repr(raw.hgetall("live_actor:e:s"))
    raw.close()
    assert "secret" not in dump
    rotated = RedisStore(redis_server.url, key=[generate_key(), key], lease_ttl=10, write_timeout=2)
    assert (await rotated.load("s")).transcript == b"transcript-secret"  # an old key reads
    with pytest.raises(StoreError, match="another key"):
        other = RedisStore(redis_server.url, key=generate_key(), lease_ttl=10, write_timeout=2)
        await other.load("s")
    await other.aclose()
    hidden = RedisStore(
        f"redis://:hunter2@127.0.0.1:{free_port()}/0", plaintext=True, write_timeout=0.2
    )
    assert "hunter2" not in repr(hidden)
    with pytest.raises(StoreUnavailableError) as down:
        await hidden.heartbeat("a")
    assert "hunter2" not in str(down.value)
    for closing in (store, rotated, hidden):
        await closing.aclose()


def test_a_redis_store_needs_a_key_or_an_explicit_plaintext() -> None:
    with pytest.raises(ConfigError, match="generate_key"):
        RedisStore(f"redis://127.0.0.1:{free_port()}/0")
    with pytest.raises(ConfigError, match="32 url-safe"):
        RedisStore(key="short")
    with pytest.raises(ConfigError, match="half the lease_ttl"):
        RedisStore(plaintext=True, lease_ttl=1, write_timeout=0.6)
