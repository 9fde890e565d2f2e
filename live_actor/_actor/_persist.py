"""The persistence room: every store call a session makes, so another worker can continue it.

Present only when the supervisor has a store (``SessionActor.persist`` is
``None`` otherwise: no cost, today's behaviour).  Rules:

1. **The control path.**  A control message's frame is written to the store
   before its send goes on (:meth:`Persistence.accepted`, one round trip): a
   send that returned is in the store.  Media is never written per chunk: with
   ``media_policy="replay"`` and a store ``media_flush_interval`` the ring is
   written in batches by the write-behind task, otherwise not at all.
2. **Write-behind.**  What the reader learns (a handle, a completed turn, a
   tool call, a reconnect) marks the record dirty (:meth:`changed`, no I/O);
   one task writes the latest snapshot, coalescing what came meanwhile.
   Writes are serialised (one lock) and numbered, so the store applies them
   in order.
3. **Outage.**  A write that fails or times out (``write_timeout``) does not
   fail the call: the session goes on (control sends stop waiting for the
   store), and the write-behind task writes everything again once the store
   answers.  So the control-path promise holds while the store is up; during
   an outage the ledger in memory keeps what the store lacks.
4. **Fencing.**  A write refused for a stale token (another worker adopted the
   session), or a heartbeat saying so, makes the session stop driving the
   conversation at once: its socket is closed with 1001 (going away, never
   1000), its record is left to the new owner, sends raise
   :class:`~live_actor.stores.LeaseLostError`.  It never dials while its
   lease is not known valid (:meth:`before_dial`).
5. **The end.**  A session that ends here (closed by the app, by the server,
   given up) ends its record; a session handed over (:meth:`hand_over`, a
   drain) or lost keeps it for the next owner.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import anyio
import anyio.lowlevel
import attrs

from .._errors import GaveUpError, LiveError
from .._protocol._codec import encode_client_message
from .._protocol._ledger import Entry, SendOutcome
from .._protocol._snapshot import CoreSnapshot, EntryRecord
from .._store._api import (
    Lease,
    LeaseLostError,
    SessionStore,
    StoreError,
    StoreUnavailableError,
    Write,
)
from .._store._lease import LeaseKeeper
from .._store._records import encode_state, encode_transcript

if TYPE_CHECKING:
    from ._session import SessionActor

__all__ = ["Persistence"]

#: How long a session whose connection dropped waits for an unreachable store
#: before giving up (it cannot know whether another worker owns it now).
DIAL_WAIT_LEASES = 3


class Persistence:
    """One session's record in a store (see the module rules)."""

    def __init__(
        self,
        actor: SessionActor,
        store: SessionStore,
        lease: Lease,
        keeper: LeaseKeeper,
        *,
        stored: frozenset[int] = frozenset(),
    ) -> None:
        self.actor = actor
        self.store = store
        self.lease = lease
        self.keeper = keeper
        #: ledger ids whose frames the store holds (acknowledged).
        self._stored: set[int] = set(stored)
        #: entries written by the control path and not yet dispatched (so not yet in
        #: the ledger's view): a write-behind snapshot must not drop their frames.
        self._accepted: dict[int, Entry] = {}
        self._transcript_revision = actor.core.transcript.revision
        self._lock = anyio.Lock()
        self._dirty = anyio.Event()
        self._changes = anyio.Event()
        self._serial = 0
        interval = store.media_flush_interval
        #: rule 1: the ring is written every ``interval`` seconds (or never).
        self.media_interval = interval if actor.options.media_policy == "replay" else None
        self._media_records: tuple[EntryRecord, ...] = ()
        self._media_accepted = -1
        self.degraded = False
        self.lost = False
        self.handed_over = False
        #: writes acknowledged, and the seconds the control path waited for them.
        self.writes = 0
        self.control_writes = 0
        self.control_seconds = 0.0
        keeper.register(lease.session_id, self.lose)

    # ------------------------------------------------------------ control path

    async def accepted(self, entry: Entry) -> None:
        """Rule 1: ``entry``'s frame is in the store when this returns (store up)."""
        if self.lost:
            self.actor.core.send_failed(entry, "the session moved to another worker")
            raise self._lost_error()
        if self.degraded:  # rule 3: do not make every send wait for a store that is down
            self.changed()
            return
        frame = entry.frame if entry.frame is not None else encode_client_message(entry.message)
        started = anyio.current_time()
        try:
            # Shielded: cancelling a send must not leave the store guessing; the
            # send itself is still cancellable right after (the pipe checks).
            with anyio.CancelScope(shield=True):
                await self._write(Write(put={entry.seq: frame.encode()}))
        except LeaseLostError:
            self.actor.core.send_failed(entry, "the session moved to another worker")
            self.lose("a write was refused: another worker owns the session")
            raise self._lost_error() from None
        except StoreError as exc:
            self._degrade(exc)
            self.changed()
        else:
            self._stored.add(entry.seq)
            self._accepted[entry.seq] = entry
            self.control_writes += 1
            self.control_seconds += anyio.current_time() - started
        await anyio.lowlevel.checkpoint_if_cancelled()

    def changed(self) -> None:
        """Rule 2: the record is stale; the write-behind task writes it (no I/O here)."""
        self._dirty.set()
        changes, self._changes = self._changes, anyio.Event()
        changes.set()

    # ------------------------------------------------------------- write-behind

    async def run(self) -> None:
        """The write-behind task (rule 2), in the session's task group."""
        while not (self.lost or self.handed_over):
            if self.media_interval is not None:
                with anyio.move_on_after(self.media_interval):
                    await self._dirty.wait()
            else:
                await self._dirty.wait()
            self._dirty = anyio.Event()
            media = self._media_due()
            try:
                await self.flush(media=media)
            except StoreUnavailableError as exc:
                self._degrade(exc)
                await self.keeper.wait_reachable()
                self._dirty.set()
            except LeaseLostError:
                self.lose("a write was refused: another worker owns the session")
            except StoreError as exc:
                self.actor.observer.log.error("live_actor.store.error", error=str(exc))
                await anyio.sleep(self.store.lease_ttl / 3)
                self._dirty.set()

    def _media_due(self) -> bool:
        if self.media_interval is None:
            return False
        accepted = self.actor.core.ledger.stats.accepted
        due = accepted != self._media_accepted
        self._media_accepted = accepted
        return due

    async def flush(self, *, media: bool = False) -> None:
        """Write the latest snapshot: what changed since the last acknowledged write."""
        core = self.actor.core
        async with self._lock:
            snapshot = core.snapshot(media=media)
            if media:
                self._media_records = tuple(r for r in snapshot.entries if r.media)
            else:
                snapshot = _with_media(snapshot, self._media_records)
            frames = {record.seq: record.frame for record in snapshot.entries}
            put = {seq: frame.encode() for seq, frame in frames.items() if seq not in self._stored}
            # Accepted, not yet dispatched: still on its way to the ledger (rule 1).
            for seq, entry in list(self._accepted.items()):
                if entry.outcome is not SendOutcome.ACCEPTED:
                    del self._accepted[seq]
            drop = self._stored - frames.keys() - self._accepted.keys()
            revision = core.transcript.revision
            transcript = None
            if revision != self._transcript_revision:
                transcript = encode_transcript(snapshot)
            write = Write(
                state=encode_state(snapshot), transcript=transcript, put=put, drop=sorted(drop)
            )
            await self._write_locked(write)
            self._stored = (self._stored | put.keys()) - drop
            self._transcript_revision = revision
        if self.degraded:
            self.degraded = False
            self.actor.observer.log.info("live_actor.store.recovered", writes=self.writes)

    async def _write(self, write: Write) -> None:
        async with self._lock:
            await self._write_locked(write)

    async def _write_locked(self, write: Write) -> None:
        self._serial += 1
        write = Write(
            state=write.state,
            transcript=write.transcript,
            put=write.put,
            drop=write.drop,
            serial=self._serial,
        )
        try:
            with anyio.fail_after(self.store.write_timeout * 2):
                await self.store.write(self.lease, write)
        except TimeoutError:
            raise StoreUnavailableError("the store did not answer in time") from None
        self.writes += 1

    def _degrade(self, exc: LiveError) -> None:
        if not self.degraded:
            self.degraded = True
            self.actor.observer.log.warning("live_actor.store.unavailable", error=str(exc))

    # ----------------------------------------------------------------- fencing

    def _lost_error(self) -> LeaseLostError:
        return LeaseLostError(
            f"session {self.lease.session_id} moved to another worker: it was closed here"
            " without ending the conversation"
        )

    def lose(self, why: str) -> None:
        """Rule 4: stop driving the conversation at once; keep the record."""
        if self.lost or self.handed_over:
            return
        self.lost = True
        self.keeper.unregister(self.lease.session_id)
        actor = self.actor
        actor.observer.log.warning("live_actor.store.lease_lost", why=why)
        if actor.closed.is_set():
            return
        error = self._lost_error()
        if actor.final_error is None:
            actor.final_error = error
        actor.delivery.error(error)
        actor.close_frame = (1001, "session moved to another worker")
        actor.task_group().start_soon(_close_now, actor)

    async def before_dial(self) -> tuple[LiveError | None, int | None, str] | None:
        """Rule 4: ``None`` when the session may dial; else how it ends here."""
        if not (self.lost or self.handed_over or self.keeper.valid):
            with anyio.move_on_after(self.store.lease_ttl * DIAL_WAIT_LEASES):
                await self.keeper.wait_valid()
        if self.lost or self.handed_over:
            return None, 1001, "session moved to another worker"
        if not self.keeper.valid:
            return (
                GaveUpError(
                    "cannot reconnect: the session store has not answered for"
                    f" {self.store.lease_ttl * DIAL_WAIT_LEASES:g}s, so another worker may"
                    " own the session now"
                ),
                None,
                "session store unreachable",
            )
        return None

    # -------------------------------------------------------------- hand-over

    async def hand_over(self, deadline: float) -> bool:
        """A drain: at a safe point (or ``deadline``), write the record, release the
        lease, close the socket with 1001.  Returns whether a safe point was reached."""
        actor = self.actor
        core = actor.core
        with anyio.move_on_at(deadline):
            while not (core.safe_to_rotate or actor.closed.is_set() or self.lost):
                await self._changes.wait()
        if actor.closed.is_set() or self.lost:
            return False
        safe = core.safe_to_rotate
        core.begin_draining()  # new commands queue, and are in the record
        try:
            with anyio.CancelScope(shield=True):
                await self.flush(media=self.media_interval is not None)
                await self.store.release(self.lease)
        except StoreError as exc:  # the lease expires instead; the last record stands
            actor.observer.log.warning("live_actor.store.unavailable", error=str(exc))
        self.handed_over = True
        self.keeper.unregister(self.lease.session_id)
        actor.observer.log.info("live_actor.store.handed_over", safe_point=safe)
        actor.close_frame = (1001, "handed over to another worker")
        await actor.close(deadline=anyio.current_time() + actor.options.shutdown_timeout)
        return safe

    async def finished(self) -> None:
        """Rule 5: the session ended here (shielded, bounded)."""
        self.keeper.unregister(self.lease.session_id)
        if self.lost or self.handed_over:
            return
        with anyio.CancelScope(shield=True), anyio.move_on_after(self.store.write_timeout * 2):
            try:
                async with self._lock:
                    await self.store.end(self.lease)
            except StoreError as exc:
                self.actor.observer.log.warning("live_actor.store.unavailable", error=str(exc))


async def _close_now(actor: SessionActor) -> None:
    await actor.close(deadline=anyio.current_time())


def _with_media(snapshot: CoreSnapshot, media: tuple[EntryRecord, ...]) -> CoreSnapshot:
    """Between media flushes, the record keeps the ring of the last flush."""
    if not media:
        return snapshot
    entries = sorted((*snapshot.entries, *media), key=lambda r: r.seq)
    return attrs.evolve(snapshot, entries=tuple(entries))
