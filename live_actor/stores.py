"""``live_actor.stores``: keep sessions where another worker process can continue them.

A call survives its worker: with a store, a :class:`~live_actor.Supervisor`
keeps, per session, what a new process needs to continue the conversation
(config, the latest resumption handle, the unconfirmed ledger entries, the
re-seed transcript, usage, the voice consent signature), and another worker
adopts it when its owner dies or drains::

    store = RedisStore("redis://redis:6379/0", key=os.environ["LIVE_ACTOR_STORE_KEY"])
    async with Supervisor(store=store) as sup:
        sup.start_adopter(capacity=100, api_key=KEY, on_tool_call=tools)
        handle = await sup.start_session(config, api_key=KEY, session_id="call-42")
        ...
        await sup.drain()          # on SIGTERM: hand every call over at a safe point

Without a store (the default) nothing leaves the process: today's behaviour, at
no cost.  :class:`MemoryStore` keeps records in this process (tests, several
supervisors in one process); :class:`RedisStore` is the fleet's.  The
guarantees and their limits are in ``docs/fleet.md``.
"""

from __future__ import annotations

from ._store._api import (
    Lease,
    LeaseLostError,
    SessionExistsError,
    SessionNotFoundError,
    SessionOwnedError,
    SessionStore,
    StoredSession,
    StoreError,
    StoreUnavailableError,
    Write,
)
from ._store._crypto import generate_key
from ._store._memory import MemoryStore
from ._store._redis import RedisStore

__all__ = [
    "Lease",
    "LeaseLostError",
    "MemoryStore",
    "RedisStore",
    "SessionExistsError",
    "SessionNotFoundError",
    "SessionOwnedError",
    "SessionStore",
    "StoreError",
    "StoreUnavailableError",
    "StoredSession",
    "Write",
    "generate_key",
]
