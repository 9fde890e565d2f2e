"""The worker's lease: one heartbeat renews the ownership of all its sessions.

A :class:`LeaseKeeper` runs in the supervisor's task group.  Rules:

1. A heartbeat every third of the lease TTL (every sixth while the store does
   not answer).  The lease is *valid here* until the TTL after the moment the
   last successful heartbeat was **sent** (minus a margin for clock rates):
   the store's own expiry is never earlier, so while it is valid here no other
   worker can have adopted a session of ours.
2. A heartbeat answers with the sessions this worker no longer owns (adopted
   elsewhere while we could not renew, deleted, expired): each is told at once
   (``on_lost``) and stops driving its conversation.
3. A store that does not answer does not end calls in progress: sessions keep
   running and the keeper keeps trying.  A session must not *dial* while the
   lease is not valid here (``wait_valid``): another worker may own it now,
   and only the store can tell.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Final

import anyio
import anyio.abc

from ._api import SessionStore, StoreError, StoreUnavailableError

__all__ = ["LeaseKeeper"]

#: Part of the TTL not trusted, for clocks that run at slightly different rates.
CLOCK_MARGIN: Final = 0.05


class LeaseKeeper:
    """Renews one worker's lease and reports lost sessions (see the module rules)."""

    def __init__(self, store: SessionStore, worker: str, log: Any) -> None:
        self.store = store
        self.worker = worker
        self.log = log
        #: ``anyio.current_time()`` until which no other worker can own our sessions.
        self.valid_until = -math.inf
        self.reachable = True
        self._reachable_event = anyio.Event()
        self._reachable_event.set()
        self._on_lost: dict[str, Callable[[str], None]] = {}
        #: heartbeats sent and failed (a bench reads them).
        self.heartbeats = 0
        self.failures = 0

    @property
    def valid(self) -> bool:
        return anyio.current_time() < self.valid_until

    def register(self, session_id: str, on_lost: Callable[[str], None]) -> None:
        self._on_lost[session_id] = on_lost

    def unregister(self, session_id: str) -> None:
        self._on_lost.pop(session_id, None)

    async def start(self) -> None:
        """The first heartbeat: raises :class:`StoreUnavailableError` if the store is down."""
        await self._beat(first=True, raise_errors=True)

    async def run(self) -> None:
        """Heartbeats until cancelled (rule 1)."""
        ttl = self.store.lease_ttl
        while True:
            await anyio.sleep(ttl / 3 if self.reachable else ttl / 6)
            await self._beat()

    async def wait_valid(self) -> None:
        """Until a heartbeat succeeded within the TTL (rule 3); beats now if needed."""
        while not self.valid:
            if not await self._beat():
                await anyio.sleep(self.store.lease_ttl / 6)

    async def _beat(self, *, first: bool = False, raise_errors: bool = False) -> bool:
        sent = anyio.current_time()
        self.heartbeats += 1
        try:
            lost = await self.store.heartbeat(self.worker, list(self._on_lost), first=first)
        except StoreError as exc:
            self.failures += 1
            if raise_errors:
                raise
            if self.reachable:
                self.reachable = False
                self._reachable_event = anyio.Event()
                self.log.warning(
                    "live_actor.store.unavailable",
                    worker=self.worker,
                    error=str(exc),
                    lease_valid_for=round(max(0.0, self.valid_until - sent), 3),
                )
            if not isinstance(exc, StoreUnavailableError):
                self.log.error("live_actor.store.error", worker=self.worker, error=str(exc))
            return False
        self.valid_until = sent + self.store.lease_ttl * (1 - CLOCK_MARGIN)
        if not self.reachable:
            self.reachable = True
            self._reachable_event.set()
            self.log.info("live_actor.store.recovered", worker=self.worker)
        for session_id in sorted(lost):
            on_lost = self._on_lost.pop(session_id, None)
            if on_lost is not None:
                on_lost("another worker owns it now, or it was deleted")
        return True

    async def wait_reachable(self) -> None:
        """Until a heartbeat succeeds (a session retries its writes then)."""
        await self._reachable_event.wait()
