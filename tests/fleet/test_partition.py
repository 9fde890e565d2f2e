"""Leases and fencing in one process: a partitioned worker, racing claims, a store outage.

The partition: worker A loses the store (``MemoryStore.set_reachable``) but
not the Live API.  Its calls go on.  Its lease expires; worker B adopts the
session and tries to resume it, and the service refuses the resume while A's
socket is open (the first fence).  When A reaches the store again its
heartbeat says the session is B's (the fencing token moved on, the second
fence): A closes its socket with 1001 without ending the conversation, and
B's next attempt resumes it.  At no moment do both drive it.
"""

from __future__ import annotations

import anyio
import pytest

import live_actor
from live_actor import LiveConfig, RestartPolicy, SessionStatus, Supervisor
from live_actor.stores import LeaseLostError, MemoryStore, SessionOwnedError
from live_actor.testing import FakeLiveServer

from ._poll import poll_until, stored_and_covered
from .conftest import API_KEY, MODEL

FAST = RestartPolicy(backoff_base=0.05, backoff_max=0.2, max_restarts=50)


def config(server: FakeLiveServer) -> LiveConfig:
    return LiveConfig(
        model=MODEL,
        base_url=server.url,
        generation_config={"response_modalities": ["TEXT"]},
        session_resumption=True,
    )


async def test_a_partitioned_worker_stops_driving_once_its_session_was_adopted(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    store = MemoryStore(lease_ttl=0.6)
    both_ready = 0
    with anyio.fail_after(30):
        async with Supervisor(store=store, worker_id="a", policy=FAST) as a, Supervisor(
            store=store, worker_id="b", policy=FAST
        ) as b:
            handle = await a.start_session(config(server), api_key=API_KEY, session_id="call-7")
            await handle.connect()
            await handle.send_client_content("my name is Ada")
            await handle.receive_turn()
            async def covered() -> bool:  # the handle that covers it is stored, the entry pruned
                return await stored_and_covered(store, "call-7", handle)

            async def orphaned() -> bool:  # A's lease expired
                return await b.orphans() == ["call-7"]

            with anyio.fail_after(5):
                await poll_until(covered)

            store.set_reachable("a", False)  # a partition: A still reaches the Live API
            await handle.send_client_content("my city is Paris")  # does not wait for the store
            assert "Paris" in (await handle.receive_turn()).text  # the call goes on

            with anyio.fail_after(5):
                await poll_until(orphaned)
            adopted = await b.adopt("call-7", api_key=API_KEY)

            async def watch() -> None:
                nonlocal both_ready
                while True:
                    ready = (handle.status, adopted.status)
                    both_ready += ready == (SessionStatus.READY, SessionStatus.READY)
                    await anyio.sleep(0.001)

            async with anyio.create_task_group() as tg:
                tg.start_soon(watch)
                # The service refuses B's resume while A's socket is open: B retries.
                await server.wait_for(
                    lambda: any(c.close_code == 1011 and not c.session for c in server.connections)
                    or None
                )
                assert handle.status is SessionStatus.READY
                store.set_reachable("a", True)  # A's next heartbeat: the session is B's
                await handle.wait_closed()
                assert handle.close_code == 1001  # going away, never a 1000
                assert isinstance(handle.error, LeaseLostError)
                with pytest.raises(LeaseLostError):
                    await handle.send_client_content("still there?")
                await adopted.wait_ready()
                tg.cancel_scope.cancel()
            assert both_ready == 0
            assert len(server.sessions) == 1  # B resumed the same conversation
            await adopted.send_client_content("what is my name?")
            assert (await adopted.receive_turn()).text == "Your name is Ada."
            # The limit: what A did while partitioned never reached the store; B
            # resumed from the last handle stored, issued before it.
            await adopted.send_client_content("what is my city?")
            assert (await adopted.receive_turn()).text == "I don't know your city."


async def test_two_workers_racing_for_one_session_one_wins(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    store = MemoryStore(lease_ttl=0.5)
    with anyio.fail_after(20):
        async with Supervisor(store=store, worker_id="a") as a, Supervisor(
            store=store, worker_id="b"
        ) as b, Supervisor(store=store, worker_id="c") as c:
            results: dict[str, object] = {}

            async def start(name: str, sup: Supervisor) -> None:
                try:
                    results[name] = await sup.start_session(
                        config(server), api_key=API_KEY, session_id="call-1"
                    )
                except SessionOwnedError as exc:
                    results[name] = exc

            async with anyio.create_task_group() as tg:
                tg.start_soon(start, "a", a)
                tg.start_soon(start, "b", b)
            winners = [n for n, r in results.items() if isinstance(r, live_actor.SessionHandle)]
            assert len(winners) == 1
            assert await a.drain(within=0) + await b.drain(within=0) == 0  # not at a safe point
            assert await c.orphans() == ["call-1"]

            async def adopt(name: str, sup: Supervisor) -> None:
                try:
                    results[name] = await sup.adopt("call-1", api_key=API_KEY)
                except SessionOwnedError as exc:
                    results[name] = exc

            results.clear()
            async with anyio.create_task_group() as tg:
                for name, sup in (("a", a), ("b", b), ("c", c)):
                    tg.start_soon(adopt, name, sup)
            handles = [r for r in results.values() if isinstance(r, live_actor.SessionHandle)]
            assert len(handles) == 1
            assert sum(isinstance(r, SessionOwnedError) for r in results.values()) == 2
            await handles[0].wait_ready()
            await handles[0].close()
