"""A store outage shorter than a call does not end it; what Redis acknowledged survives it.

A real redis-server is killed (SIGKILL) mid-call and restarted on the same
data directory (``appendonly yes``, ``appendfsync always``).  Meanwhile the
call goes on: sends stop waiting for the store, answers arrive.  Once Redis
is back the session writes what it learned, and another worker adopting the
session finds all of it.
"""

from __future__ import annotations

import anyio
import redis

import live_actor
from live_actor import LiveConfig, Supervisor
from live_actor.stores import RedisStore, generate_key
from live_actor.testing import FakeLiveServer

from ._redis import RedisServer
from .conftest import API_KEY, MODEL


async def test_a_redis_restart_mid_call_loses_nothing(
    anyio_backend: str, server: FakeLiveServer, redis_server: RedisServer
) -> None:
    key = generate_key()
    config = LiveConfig(
        model=MODEL,
        base_url=server.url,
        generation_config={"response_modalities": ["TEXT"]},
        session_resumption=True,
    )

    def store() -> RedisStore:
        return RedisStore(redis_server.url, key=key, lease_ttl=2.0, write_timeout=0.3)

    a_store, b_store = store(), store()
    with anyio.fail_after(40):
        async with Supervisor(store=a_store, worker_id="a") as a:
            handle = await a.start_session(config, api_key=API_KEY, session_id="call-9")
            await handle.connect()
            await handle.send_client_content("my name is Ada")
            await handle.receive_turn()

            redis_server.kill()
            with anyio.fail_after(2):  # one write_timeout, then sends stop waiting
                await handle.send_client_content("my city is Paris")
            assert "Paris" in (await handle.receive_turn()).text
            await handle.send_client_content("my dog is Rex")
            assert "Rex" in (await handle.receive_turn()).text
            assert handle.status is live_actor.SessionStatus.READY

            redis_server.start()
            with anyio.fail_after(10):  # the session writes what the store missed
                while True:
                    try:
                        record = await b_store.load("call-9")
                    except live_actor.stores.StoreUnavailableError:
                        record = None
                    if record is not None and not record.entries and b"Rex" in (
                        record.transcript or b""
                    ):
                        break
                    await anyio.sleep(0.05)
            raw = redis.Redis.from_url(redis_server.url)
            stored = raw.hgetall("live_actor:s:call-9")
            raw.close()
            assert b"Rex" not in stored[b"transcript"]  # encrypted at rest
            assert handle.resumption_handle is not None
            assert handle.resumption_handle.encode() not in stored[b"state"]
            async with Supervisor(store=b_store, worker_id="b") as b:
                await a.drain(within=5)
                adopted = await b.adopt("call-9", api_key=API_KEY)
                await adopted.wait_ready()
                for question, answer in [
                    ("what is my name?", "Your name is Ada."),
                    ("what is my city?", "Your city is Paris."),
                    ("what is my dog?", "Your dog is Rex."),
                ]:
                    await adopted.send_client_content(question)
                    assert (await adopted.receive_turn()).text == answer
                assert len(server.sessions) == 1
                await adopted.close()
    await a_store.aclose()
    await b_store.aclose()
