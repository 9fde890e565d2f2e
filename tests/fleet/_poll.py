"""Waiting for a store to show something: it has no events to await, so it is polled."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio

from live_actor import SessionHandle
from live_actor._store._records import decode_snapshot
from live_actor.stores import SessionStore


async def poll_until(check: Callable[[], Awaitable[bool]], *, every: float = 0.01) -> None:
    """Until ``check()`` is true (bound it with ``anyio.fail_after``)."""
    while True:
        if await check():
            return
        await anyio.sleep(every)


async def stored_and_covered(store: SessionStore, session_id: str, handle: SessionHandle) -> bool:
    """The store holds the session's latest handle, and no entry is left to replay."""
    record = await store.load(session_id)
    snapshot = decode_snapshot(record.state, record.transcript, record.entries)
    return not record.entries and snapshot.resumption_handle == handle.resumption_handle
