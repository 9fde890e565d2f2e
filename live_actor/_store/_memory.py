"""The in-process store: the store rules (``_api``) in one process's memory.

For tests, for several supervisors in one process (a drain hands sessions to
another supervisor), and as the reference the Redis store is compared with.
Nothing is encrypted: the records never leave the process, like the session
state of a supervisor without a store.

``set_reachable(worker, False)`` makes every call naming that worker fail with
:class:`StoreUnavailableError`: a network partition between one worker and the
store, for tests.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection

import anyio.lowlevel
import attrs

from .._errors import ConfigError
from ._api import (
    Lease,
    LeaseLostError,
    SessionExistsError,
    SessionNotFoundError,
    SessionOwnedError,
    StoredSession,
    StoreUnavailableError,
    Write,
)

__all__ = ["MemoryStore"]


@attrs.define
class _Record:
    config: bytes
    state: bytes
    owner: str | None
    token: int
    expires_at: float
    transcript: bytes | None = None
    entries: dict[int, bytes] = attrs.Factory(dict)
    serial: int = 0


class MemoryStore:
    """Sessions kept in this process's memory (see the module doc)."""

    def __init__(
        self,
        *,
        lease_ttl: float = 10.0,
        retention: float = 7200.0,
        write_timeout: float = 1.0,
        media_flush_interval: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if lease_ttl <= 0 or retention <= 0 or write_timeout <= 0:
            raise ConfigError("lease_ttl, retention and write_timeout must be > 0 seconds")
        if media_flush_interval is not None and media_flush_interval <= 0:
            raise ConfigError("media_flush_interval must be > 0 seconds, or None (never)")
        self.lease_ttl = lease_ttl
        self.retention = retention
        self.write_timeout = write_timeout
        self.media_flush_interval = media_flush_interval
        self._clock = clock
        self._records: dict[str, _Record] = {}
        self._workers: dict[str, float] = {}  # worker -> lease expiry
        self._owned: dict[str, set[str]] = {}  # worker -> the sessions it owns
        self._unreachable: set[str] = set()
        #: fenced writes that succeeded (a bench counts them).
        self.writes = 0

    def __repr__(self) -> str:
        return f"<MemoryStore sessions={len(self._records)}>"

    # ------------------------------------------------------------------ faults

    def set_reachable(self, worker: str, reachable: bool) -> None:
        """Partition ``worker`` from the store (``False``) or heal it (tests)."""
        if reachable:
            self._unreachable.discard(worker)
        else:
            self._unreachable.add(worker)

    async def _enter(self, worker: str | None = None) -> float:
        await anyio.lowlevel.checkpoint()
        if worker is not None and worker in self._unreachable:
            raise StoreUnavailableError(f"the store is unreachable from worker {worker!r}")
        now = self._clock()
        for session_id in [s for s, r in self._records.items() if r.expires_at <= now]:
            del self._records[session_id]
        return now

    def _alive(self, worker: str | None, now: float) -> bool:
        return worker is not None and self._workers.get(worker, -1.0) > now

    def _record(self, session_id: str) -> _Record:
        record = self._records.get(session_id)
        if record is None:
            raise SessionNotFoundError(f"no stored session {session_id!r}")
        return record

    def _fenced(self, lease: Lease) -> _Record:
        record = self._records.get(lease.session_id)
        if record is None or record.token != lease.token:
            raise LeaseLostError(
                f"session {lease.session_id!r} was adopted by another worker or deleted"
            )
        return record

    # ------------------------------------------------------------------ leases

    async def heartbeat(
        self, worker: str, owned: Collection[str] = (), *, first: bool = False
    ) -> frozenset[str]:
        now = await self._enter(worker)
        self._workers[worker] = now + self.lease_ttl
        if first:  # a previous process's sessions: released for adoption
            for session_id in list(self._owned.pop(worker, set())):
                record = self._records.get(session_id)
                if record is not None and record.owner == worker:
                    record.owner = None
                    record.token += 1
        return frozenset(
            session_id
            for session_id in owned
            if (record := self._records.get(session_id)) is None or record.owner != worker
        )

    def _own(self, session_id: str, worker: str | None, previous: str | None) -> None:
        if previous is not None:
            self._owned.get(previous, set()).discard(session_id)
        if worker is not None:
            self._owned.setdefault(worker, set()).add(session_id)

    async def create(self, session_id: str, worker: str, *, config: bytes, state: bytes) -> Lease:
        now = await self._enter(worker)
        record = self._records.get(session_id)
        if record is not None:
            if self._alive(record.owner, now):
                raise SessionOwnedError(
                    f"session {session_id!r} is owned by a live worker", owner=record.owner
                )
            raise SessionExistsError(
                f"session {session_id!r} is stored already: adopt it (sup.adopt) or"
                " delete it (store.delete) before starting a new one with this id"
            )
        self._records[session_id] = _Record(config, state, worker, 1, now + self.retention)
        self._own(session_id, worker, None)
        return Lease(session_id, worker, 1)

    async def claim(self, session_id: str, worker: str) -> Lease:
        now = await self._enter(worker)
        record = self._record(session_id)
        if record.owner != worker and self._alive(record.owner, now):
            raise SessionOwnedError(
                f"session {session_id!r} is owned by a live worker", owner=record.owner
            )
        self._own(session_id, worker, record.owner)
        record.owner = worker
        record.token += 1
        record.serial = 0
        return Lease(session_id, worker, record.token)

    async def load(self, session_id: str) -> StoredSession:
        await self._enter()
        record = self._record(session_id)
        return StoredSession(
            session_id,
            record.config,
            record.state,
            record.transcript,
            dict(record.entries),
            record.owner,
            record.token,
        )

    # ------------------------------------------------------------------ writes

    async def write(self, lease: Lease, write: Write) -> None:
        now = await self._enter(lease.worker)
        record = self._fenced(lease)
        if write.serial and write.serial <= record.serial:
            return  # overtaken by a later write (rule 4)
        record.serial = write.serial
        if write.state is not None:
            record.state = write.state
        if write.transcript is not None:
            record.transcript = write.transcript
        if write.replace_entries:
            record.entries.clear()
        record.entries.update(write.put)
        for seq in write.drop:
            record.entries.pop(seq, None)
        record.expires_at = now + self.retention
        self.writes += 1

    async def release(self, lease: Lease) -> None:
        await self._enter(lease.worker)
        record = self._fenced(lease)
        self._own(lease.session_id, None, record.owner)
        record.owner = None
        record.token += 1

    async def end(self, lease: Lease) -> None:
        await self._enter(lease.worker)
        self._fenced(lease)
        self._own(lease.session_id, None, lease.worker)
        del self._records[lease.session_id]

    async def delete(self, session_id: str) -> bool:
        await self._enter()
        record = self._records.pop(session_id, None)
        if record is None:
            return False
        self._own(session_id, None, record.owner)
        return True

    async def orphans(self, limit: int = 100) -> list[str]:
        now = await self._enter()
        return [
            session_id
            for session_id, record in self._records.items()
            if not self._alive(record.owner, now)
        ][:limit]

    async def aclose(self) -> None:
        await anyio.lowlevel.checkpoint()
