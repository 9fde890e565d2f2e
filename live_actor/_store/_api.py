"""The session store protocol: records, leases, fenced writes, and their errors.

A store keeps, per session id, what another worker process needs to continue
the conversation (``docs/fleet.md``): the config (data, never code), the core's
snapshot (``live_actor._protocol._snapshot``), the frames of the ledger entries
not yet known delivered, and the re-seed transcript.

Rules every implementation keeps (``MemoryStore``, ``RedisStore``; the tests in
``tests/fleet`` run the same cases on both):

1. **One owner.**  A session belongs to one worker.  A worker is alive while
   its lease (renewed by :meth:`SessionStore.heartbeat`) has not expired on
   the *store's* clock; one heartbeat renews the lease of every session the
   worker owns.
2. **Fencing.**  Each claim of a session (create, adopt) gives a new,
   larger fencing token; every write names its token and is refused
   (:class:`LeaseLostError`) unless it is the session's current one.  A
   worker that lost a session (partitioned, then adopted elsewhere) can never
   overwrite the new owner's record.
3. **Adoption** (:meth:`SessionStore.claim`) succeeds only when the owner's
   lease expired or the owner released the session (:meth:`~SessionStore.release`,
   a hand-over); it is atomic, so two workers racing for one orphan cannot both win.
4. **Order.**  A lease's writes carry increasing serials; one overtaken by a
   later write is ignored whole (the later one repeats what it did not confirm).
5. **Acknowledged means stored.**  A write that returned is in the store (on
   Redis: with ``appendonly yes`` and ``appendfsync always`` it survives a
   restart of the server).
6. **Retention.**  A record expires ``retention`` seconds after its last
   write; :meth:`~SessionStore.end` (the conversation ended) and
   :meth:`~SessionStore.delete` (erasure) remove it at once.
7. **Secrets.**  Stores never log what they keep; ``RedisStore`` encrypts
   every payload (config, state, transcript, frames) with the app's key.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Protocol, runtime_checkable

import attrs

from .._errors import LiveError, SessionClosedError

__all__ = [
    "Lease",
    "LeaseLostError",
    "SessionExistsError",
    "SessionNotFoundError",
    "SessionOwnedError",
    "SessionStore",
    "StoreError",
    "StoreUnavailableError",
    "StoredSession",
    "Write",
]


class StoreError(LiveError):
    """The session store refused or failed an operation; the message says why."""


class StoreUnavailableError(StoreError):
    """The store did not answer in time (down, partitioned, overloaded)."""


class SessionNotFoundError(StoreError):
    """No record of this session id (never stored, ended, deleted or expired)."""


class SessionOwnedError(StoreError):
    """A live worker owns this session: it cannot be created or adopted here."""

    def __init__(self, message: str, *, owner: str | None = None) -> None:
        super().__init__(message)
        self.owner = owner


class SessionExistsError(StoreError):
    """A record with this session id exists (an orphan): adopt it or delete it."""


class LeaseLostError(StoreError, SessionClosedError):
    """Another worker owns the session now (its fencing token replaced ours).

    The session was closed *here* without ending the conversation: its socket
    was closed with 1001 (going away) and its record kept for the new owner.
    Also a :class:`SessionClosedError`: sends on it raise this.
    """

    def __init__(self, message: str) -> None:
        SessionClosedError.__init__(self, message, code=1001, reason="session moved")


@attrs.frozen
class Lease:
    """The right to write one session's record: ``token`` fences every write."""

    session_id: str
    worker: str
    token: int


@attrs.frozen
class Write:
    """One fenced write (one round trip): every part is optional.

    ``state`` and ``transcript`` replace the stored ones; ``put`` adds entry
    frames by ledger id, ``drop`` removes them; ``replace_entries`` drops every
    stored frame not in ``put`` first (a full snapshot).  ``serial`` orders the
    writes of one lease: a write that arrives after a later one (it timed out
    here but reached the server late) is ignored, whole.
    """

    serial: int = 0

    state: bytes | None = attrs.field(default=None, repr=False)
    transcript: bytes | None = attrs.field(default=None, repr=False)
    put: Mapping[int, bytes] = attrs.field(factory=dict, repr=False)
    drop: Collection[int] = ()
    replace_entries: bool = False


@attrs.frozen
class StoredSession:
    """A session's record as loaded (payloads decrypted, still encoded)."""

    session_id: str
    config: bytes = attrs.field(repr=False)
    state: bytes = attrs.field(repr=False)
    transcript: bytes | None = attrs.field(repr=False)
    #: ledger id -> the entry's frame.
    entries: Mapping[int, bytes] = attrs.field(repr=False)
    #: the worker that owns it (``None``: released for adoption).
    owner: str | None
    token: int


@runtime_checkable
class SessionStore(Protocol):
    """Where sessions are kept so that another process can continue them.

    Implementations: :class:`~live_actor.stores.MemoryStore` (one process) and
    :class:`~live_actor.stores.RedisStore` (a fleet).  Every method raises
    :class:`StoreUnavailableError` when the store cannot be reached.
    """

    #: seconds a worker's lease lasts without a heartbeat (the store's clock).
    lease_ttl: float
    #: seconds a write may take before the session treats the store as down.
    write_timeout: float
    #: write the media ring every this many seconds (``None``: never; see fleet docs).
    media_flush_interval: float | None

    async def heartbeat(
        self, worker: str, owned: Collection[str] = (), *, first: bool = False
    ) -> frozenset[str]:
        """Renew ``worker``'s lease; return those of ``owned`` (the sessions it
        drives) that it no longer owns: adopted elsewhere, ended, deleted, expired.

        ``first``: a new process with this worker id: sessions still recorded
        under the id (a previous process's) are released for adoption.
        """
        ...

    async def create(self, session_id: str, worker: str, *, config: bytes, state: bytes) -> Lease:
        """Store a new session owned by ``worker`` (token 1)."""
        ...

    async def claim(self, session_id: str, worker: str) -> Lease:
        """Adopt an orphan: ``worker`` becomes the owner with a new token (rule 3)."""
        ...

    async def load(self, session_id: str) -> StoredSession:
        """The session's record."""
        ...

    async def write(self, lease: Lease, write: Write) -> None:
        """One fenced write (rule 2)."""
        ...

    async def release(self, lease: Lease) -> None:
        """Hand the session over: anyone may adopt it now; ``lease`` is spent."""
        ...

    async def end(self, lease: Lease) -> None:
        """The conversation ended: remove the record (fenced)."""
        ...

    async def delete(self, session_id: str) -> bool:
        """Erase a session's record whoever owns it; ``True`` if there was one."""
        ...

    async def orphans(self, limit: int = 100) -> list[str]:
        """Ids of sessions whose owner's lease expired or that were released."""
        ...

    async def aclose(self) -> None:
        """Release connections; the store's records are untouched."""
        ...
