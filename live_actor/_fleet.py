"""The supervisor's side of a fleet: stored sessions, adoption, orphans, the adopter, drains.

A :class:`~live_actor.Supervisor` with a store (``Supervisor(store=...)``)
keeps each session it starts in the store (``live_actor._actor._persist``),
holds one lease for all of them (``live_actor._store._lease``) and can
continue sessions other workers left:

* :func:`adopt_actor` claims a stored session (atomic: two workers racing
  for one orphan cannot both win), loads its record and restores it into a
  new actor (``SessionCore.restore``): the first connection resumes with the
  stored handle, replays the stored ledger, and is re-seeded from the stored
  transcript when the handle is gone.  Code is never stored: config comes
  from the record, credentials, tools and callbacks from the adopting code.
* :func:`run_adopter` claims orphans (sessions whose owner's lease expired,
  or that were handed over) up to a capacity.
* :func:`drain` hands every session over at a safe point instead of cutting
  it (a deploy, SIGTERM).
"""

from __future__ import annotations

import contextlib
import os
import random
import secrets
import socket
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypedDict

import anyio

from ._actor import SessionActor
from ._actor._persist import Persistence
from ._callbacks import (
    OnClose,
    OnError,
    OnGaveUp,
    OnGoAway,
    OnMessage,
    OnReconnecting,
    OnResumed,
    OnSessionResumption,
    OnToolCall,
    OnToolCallCancellation,
    OnTranscription,
    OnVoiceActivity,
)
from ._config import LiveConfig
from ._errors import LiveError
from ._protocol._snapshot import CoreSnapshot
from ._store._api import (
    Lease,
    SessionNotFoundError,
    SessionOwnedError,
    SessionStore,
    StoreError,
)
from ._store._lease import LeaseKeeper
from ._store._records import decode_config, decode_snapshot, encode_config, encode_state

if TYPE_CHECKING:
    from ._handle import SessionHandle
    from ._supervisor import Supervisor

__all__ = [
    "CallbackArgs",
    "adopt_actor",
    "create_record",
    "default_worker_id",
    "drain",
    "run_adopter",
]


class CallbackArgs(TypedDict, total=False):
    """The callbacks ``Supervisor.adopt`` takes as keyword arguments."""

    on_message: OnMessage
    on_error: OnError
    on_close: OnClose
    on_tool_call: OnToolCall
    on_tool_call_cancellation: OnToolCallCancellation
    on_transcription: OnTranscription
    on_voice_activity: OnVoiceActivity
    on_session_resumption: OnSessionResumption
    on_go_away: OnGoAway
    on_reconnecting: OnReconnecting
    on_resumed: OnResumed
    on_gave_up: OnGaveUp


def default_worker_id() -> str:
    """Unique per process: host, pid and a random suffix (a restarted process is new)."""
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


async def create_record(
    store: SessionStore, keeper: LeaseKeeper, session_id: str, config: LiveConfig
) -> Lease:
    """A new session's record, owned here, created before its actor exists."""
    return await store.create(
        session_id,
        keeper.worker,
        config=encode_config(config),
        state=encode_state(CoreSnapshot()),
    )


async def adopt_actor(
    store: SessionStore,
    keeper: LeaseKeeper,
    session_id: str,
    make_actor: Callable[[LiveConfig], SessionActor],
) -> SessionActor:
    """Claim ``session_id``, load its record, and restore it into a new actor."""
    lease = await store.claim(session_id, keeper.worker)
    try:
        stored = await store.load(session_id)
        config = decode_config(stored.config)
        snapshot = decode_snapshot(stored.state, stored.transcript, stored.entries)
        actor = make_actor(config)
    except BaseException:
        with (
            anyio.CancelScope(shield=True),
            anyio.move_on_after(store.write_timeout),
            contextlib.suppress(StoreError),
        ):
            await store.release(lease)  # let another worker (or a fixed one) try
        raise
    actor.core.restore(snapshot)
    actor.persist = Persistence(actor, store, lease, keeper, stored=frozenset(stored.entries))
    actor.observer.log.info(
        "live_actor.store.adopted",
        worker=keeper.worker,
        token=lease.token,
        resumable=snapshot.resumption_handle is not None,
        replay=len(snapshot.entries),
        transcript_turns=len(snapshot.transcript),
    )
    return actor


async def run_adopter(
    sup: Supervisor,
    *,
    capacity: int,
    poll_interval: float,
    on_adopted: Callable[[SessionHandle], Awaitable[None]] | None,
    adopt_kwargs: dict[str, Any],
) -> None:
    """Claim orphans up to ``capacity`` live sessions here, until cancelled."""
    log = sup._log
    while True:
        await anyio.sleep(poll_interval)
        room = capacity - len(sup.sessions)
        if room <= 0:
            continue
        try:
            orphans = await sup.orphans(limit=room * 4)
        except StoreError:
            continue  # the keeper logs outages
        random.shuffle(orphans)  # workers racing for one batch spread out
        for session_id in orphans[:room]:
            try:
                handle = await sup.adopt(session_id, **adopt_kwargs)
            except (SessionOwnedError, SessionNotFoundError):
                continue  # another worker was faster
            except LiveError as exc:
                log.warning("live_actor.store.adopt_failed", session_id=session_id, error=str(exc))
                continue
            if on_adopted is not None:
                await on_adopted(handle)


async def drain(actors: list[SessionActor], deadline: float) -> int:
    """Hand every stored session over at a safe point (by ``deadline``); returns how
    many reached one."""
    safe = 0

    async def one(persist: Persistence) -> None:
        nonlocal safe
        safe += await persist.hand_over(deadline)

    async with anyio.create_task_group() as tg:
        for actor in actors:
            if actor.persist is not None and not actor.closed.is_set():
                tg.start_soon(one, actor.persist)
    return safe
