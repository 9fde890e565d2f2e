"""Supervision: the restart loop of one session, and the Supervisor that runs many.

The rules (how an exit is classified, when a restart is charged, when to give
up) are pure and live in :mod:`live_actor._protocol._supervision`; this module
is the loop that applies them (:func:`supervise`) and the task-group container
users hold (:class:`Supervisor`, :func:`open_session`).

``async with Supervisor() as sup:`` opens a task group; each
:meth:`Supervisor.start_session` starts a session actor in it (it begins
dialling at once, a GenServer's ``start_link``) and returns its
:class:`SessionHandle`.  Leaving the block shuts down gracefully: every session
is closed (its accepted commands sent, its socket closed with 1000) within
``shutdown_timeout`` seconds, shielded from cancellation, then whatever is
left is cancelled.  A session never raises into this task group; it ends with
a typed error on its handle instead.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Any, Never, Unpack

import anyio
import anyio.abc
import attrs

from . import _fleet, _log
from ._actor import SessionActor, SessionOptions
from ._actor._options import Connector
from ._actor._persist import Persistence
from ._auth import CredentialsSource, credentials_for
from ._callbacks import (
    Callbacks,
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
from ._errors import ConfigError, GaveUpError, LocalProtocolError
from ._handle import SessionHandle
from ._protocol._supervision import Action, RestartPolicy, RestartType, decide
from ._store._api import SessionStore
from ._store._lease import LeaseKeeper

__all__ = ["Supervisor", "open_session", "supervise"]


async def supervise(actor: SessionActor) -> None:
    """Run connection incarnations until the session ends (the restart loop)."""
    fresh = False
    while True:
        if actor.persist is not None:  # never dial a session another worker may own now
            stop = await actor.persist.before_dial()
            if stop is not None:
                actor.finish(*stop)
                return
        exit_ = await actor.run_incarnation(fresh=fresh)
        fresh = False
        actor.exited(exit_)
        decision = decide(
            exit_,
            actor.policy,
            ever_ready=actor.core.ever_ready,
            closing=actor.close_requested,
            useful=actor.last_useful,
        )
        if decision.action is Action.STOP:
            actor.finish(None, exit_.code or 1000, exit_.reason)
            return
        if decision.action is Action.FAIL:
            assert decision.error is not None
            if actor.core.ever_ready:
                actor.give_up(decision.error, exit_)
            else:
                actor.finish(decision.error, exit_.code, exit_.reason, final_status="failed")
            return
        delay = 0.0
        if decision.charged:
            charged = actor.budget.charge(anyio.current_time())
            if charged is None:
                policy = actor.policy
                actor.give_up(
                    GaveUpError(
                        f"gave up after more than {policy.max_restarts} restarts in "
                        f"{policy.period:g}s; last exit: {exit_.cause}",
                        code=exit_.code,
                        reason=exit_.reason,
                    ),
                    exit_,
                )
                return
            delay = charged
        if decision.action is Action.FRESH:
            # Handle hygiene: a rejected or expired handle -> fresh session, said honestly.
            actor.observer.log.warning(
                "live_actor.supervisor.handle_rejected", code=exit_.code, reason=exit_.reason
            )
            actor.core.forget_handle()
            fresh = True
        else:
            actor.reconnecting(delay, exit_)
        if delay > 0:
            await actor.wait_or_close(delay)
        if actor.close_requested:
            actor.finish(None, 1000, "closed while reconnecting")
            return


class Supervisor:
    """Runs sessions, restarts them, and shuts them all down on exit."""

    def __init__(
        self,
        *,
        policy: RestartPolicy | None = None,
        options: SessionOptions | None = None,
        shutdown_timeout: float = 10.0,
        store: SessionStore | None = None,
        worker_id: str | None = None,
    ) -> None:
        self.policy = policy or RestartPolicy()
        self.options = options or SessionOptions()
        self.shutdown_timeout = shutdown_timeout
        #: where sessions are kept for other workers (``None``: this process only).
        self.store = store
        #: this process in the fleet (unique per process unless the app names it).
        self.worker_id = worker_id or _fleet.default_worker_id()
        self._keeper: LeaseKeeper | None = None
        self._adopter: anyio.CancelScope | None = None
        self._task_group: anyio.abc.TaskGroup | None = None
        self._sessions: list[SessionActor] = []
        self._log = _log.get_logger()

    async def __aenter__(self) -> Supervisor:
        if self.store is not None:
            if not isinstance(self.store, SessionStore):
                kind = type(self.store).__name__
                raise ConfigError(f"store must be a live_actor.stores.SessionStore, got {kind}")
            self._keeper = LeaseKeeper(self.store, self.worker_id, self._log)
            await self._keeper.start()  # the store must answer before any session starts
        self._task_group = anyio.create_task_group()
        await self._task_group.__aenter__()
        if self._keeper is not None:
            self._task_group.start_soon(self._keeper.run, name="live_actor lease keeper")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        assert self._task_group is not None
        await self.shutdown()
        self._task_group.cancel_scope.cancel()
        try:
            return await self._task_group.__aexit__(exc_type, exc, tb)
        except BaseExceptionGroup as group:
            # Sessions never raise into the group, so the only member is the body's
            # own exception: give it back unwrapped (never a bare ExceptionGroup).
            if exc is not None and all(e is exc for e in group.exceptions):
                raise exc from exc.__cause__
            raise

    async def shutdown(self) -> None:
        """Close every session gracefully within ``shutdown_timeout`` (shielded)."""
        # Closed sessions may still be running their last callbacks: wait for those too.
        live = [s for s in self._sessions if not s.finished.is_set()]
        if live:
            self._log.info("live_actor.supervisor.shutdown", sessions=len(live))
        deadline = anyio.current_time() + self.shutdown_timeout
        with anyio.move_on_at(deadline, shield=True):
            async with anyio.create_task_group() as tg:
                for session in live:
                    tg.start_soon(functools.partial(session.close, deadline=deadline))

    @property
    def sessions(self) -> list[SessionHandle]:
        """Handles of every session started here that has not ended."""
        return [SessionHandle(s) for s in self._sessions if not s.closed.is_set()]

    async def start_session(
        self,
        config: LiveConfig,
        *,
        api_key: str | None = None,
        credentials: CredentialsSource | None = None,
        base_url: str | None = None,
        restart: RestartType | None = None,
        policy: RestartPolicy | None = None,
        options: SessionOptions | None = None,
        connector: Connector | None = None,
        session_id: str | None = None,
        callbacks: Callbacks | None = None,
        on_message: OnMessage | None = None,
        on_error: OnError | None = None,
        on_close: OnClose | None = None,
        on_tool_call: OnToolCall | None = None,
        on_tool_call_cancellation: OnToolCallCancellation | None = None,
        on_transcription: OnTranscription | None = None,
        on_voice_activity: OnVoiceActivity | None = None,
        on_session_resumption: OnSessionResumption | None = None,
        on_go_away: OnGoAway | None = None,
        on_reconnecting: OnReconnecting | None = None,
        on_resumed: OnResumed | None = None,
        on_gave_up: OnGaveUp | None = None,
        **unknown: Never,
    ) -> SessionHandle:
        """Start a supervised session; it begins dialling at once.

        ``await handle.connect()`` (or ``wait_ready()``) waits until it is ready
        and raises if its first connection failed; sends made before are queued.

        Credentials: ``api_key`` (sent as the ``x-goog-api-key`` header, never in
        the URL), or ``credentials`` (an ``ApiKey``/``EphemeralToken``/
        ``BearerToken`` or a provider called before every dial), else the
        ``GEMINI_API_KEY``/``GOOGLE_API_KEY`` environment variables.
        ``base_url`` points the session at any endpoint (e.g. the fake server).
        ``restart`` overrides the policy's restart type (``"temporary"`` opts out).
        ``connector`` overrides ``options.connector`` (how the WebSocket is opened).
        Callbacks are keyword arguments (typed) or one ``callbacks=Callbacks(...)``.
        """
        if self._task_group is None:
            raise LocalProtocolError("use `async with Supervisor() as sup:` before start_session")
        given = {
            "on_message": on_message,
            "on_error": on_error,
            "on_close": on_close,
            "on_tool_call": on_tool_call,
            "on_tool_call_cancellation": on_tool_call_cancellation,
            "on_transcription": on_transcription,
            "on_voice_activity": on_voice_activity,
            "on_session_resumption": on_session_resumption,
            "on_go_away": on_go_away,
            "on_reconnecting": on_reconnecting,
            "on_resumed": on_resumed,
            "on_gave_up": on_gave_up,
        }
        chosen_callbacks = Callbacks.chosen(callbacks, given, unknown)
        if not isinstance(config, LiveConfig):
            raise ConfigError(f"config must be a LiveConfig, got {type(config).__name__}")
        source = credentials_for(config.auth, api_key, credentials)
        if base_url is not None:
            config = attrs.evolve(config, base_url=base_url)
        chosen = policy or self.policy
        if restart is not None:
            chosen = attrs.evolve(chosen, restart=restart)
        chosen_options = options or self.options
        if connector is not None:
            chosen_options = attrs.evolve(chosen_options, connector=connector)
        lease = None
        if self.store is not None:  # the record first: the id may be taken
            assert self._keeper is not None
            session_id = session_id or uuid.uuid4().hex[:12]
            lease = await _fleet.create_record(self.store, self._keeper, session_id, config)
        actor = SessionActor(
            config,
            source,
            chosen_callbacks,
            policy=chosen,
            options=chosen_options,
            session_id=session_id,
        )
        if lease is not None:
            assert self.store is not None and self._keeper is not None
            actor.persist = Persistence(actor, self.store, lease, self._keeper)
        return await self._run(actor)

    async def _run(self, actor: SessionActor) -> SessionHandle:
        assert self._task_group is not None
        self._sessions = [s for s in self._sessions if not s.finished.is_set()]
        self._sessions.append(actor)
        await self._task_group.start(
            functools.partial(actor.run, supervise=supervise),
            name=f"live_actor session {actor.session_id}",
        )
        return SessionHandle(actor)

    # ------------------------------------------------------------------ fleet

    def _fleet_parts(self) -> tuple[SessionStore, LeaseKeeper]:
        if self.store is None or self._keeper is None or self._task_group is None:
            raise ConfigError(
                "this needs a store: `async with Supervisor(store=...) as sup:`"
                " (live_actor.stores.RedisStore for a fleet)"
            )
        return self.store, self._keeper

    async def adopt(
        self,
        session_id: str,
        *,
        api_key: str | None = None,
        credentials: CredentialsSource | None = None,
        base_url: str | None = None,
        restart: RestartType | None = None,
        policy: RestartPolicy | None = None,
        options: SessionOptions | None = None,
        connector: Connector | None = None,
        callbacks: Callbacks | None = None,
        **on: Unpack[_fleet.CallbackArgs],
    ) -> SessionHandle:
        """Continue a stored session in this process, and return its handle.

        The session's owner died (its lease expired) or handed it over
        (``drain``): this worker claims it (raises
        :class:`~live_actor.stores.SessionOwnedError` when a live worker owns
        it, :class:`~live_actor.stores.SessionNotFoundError` when there is no
        record), resumes it with the stored handle, replays the stored ledger,
        and re-seeds it from the stored transcript if the handle is gone.  The
        config comes from the record; credentials, tools and callbacks from
        here (code is never stored).  The handle is returned while the session
        dials; ``await handle.wait_ready()`` waits for the replay.
        """
        store, keeper = self._fleet_parts()
        chosen_callbacks = Callbacks.chosen(callbacks, dict(on), {})
        chosen = policy or self.policy
        if restart is not None:
            chosen = attrs.evolve(chosen, restart=restart)
        chosen_options = options or self.options
        if connector is not None:
            chosen_options = attrs.evolve(chosen_options, connector=connector)

        def make(config: LiveConfig) -> SessionActor:
            if base_url is not None:
                config = attrs.evolve(config, base_url=base_url)
            source = credentials_for(config.auth, api_key, credentials)
            return SessionActor(
                config,
                source,
                chosen_callbacks,
                policy=chosen,
                options=chosen_options,
                session_id=session_id,
            )

        actor = await _fleet.adopt_actor(store, keeper, session_id, make)
        return await self._run(actor)

    async def orphans(self, limit: int = 100) -> list[str]:
        """Ids of stored sessions nobody drives: their owner's lease expired, or they
        were handed over (``drain``)."""
        store, _keeper = self._fleet_parts()
        return await store.orphans(limit)

    def start_adopter(
        self,
        *,
        capacity: int,
        poll_interval: float | None = None,
        on_adopted: Callable[[SessionHandle], Awaitable[None]] | None = None,
        **adopt_kwargs: Any,
    ) -> None:
        """Adopt orphans in the background while fewer than ``capacity`` sessions run here.

        Every ``poll_interval`` seconds (default: a quarter of the lease TTL);
        ``adopt_kwargs`` are :meth:`adopt`'s (credentials, callbacks...);
        ``on_adopted(handle)`` is awaited for each session adopted (route the
        user's media to it).  Stopped by :meth:`drain` and at shutdown.
        """
        store, _keeper = self._fleet_parts()
        assert self._task_group is not None
        if capacity < 1:
            raise ConfigError(f"capacity must be >= 1, got {capacity}")
        interval = poll_interval if poll_interval is not None else store.lease_ttl / 4
        scope = self._adopter = anyio.CancelScope()

        async def adopter() -> None:
            with scope:
                await _fleet.run_adopter(
                    self,
                    capacity=capacity,
                    poll_interval=interval,
                    on_adopted=on_adopted,
                    adopt_kwargs=adopt_kwargs,
                )

        self._task_group.start_soon(adopter, name="live_actor adopter")

    async def drain(self, *, within: float = 30.0) -> int:
        """Hand every session over to other workers instead of cutting it (SIGTERM).

        Stops adopting; each session waits for a safe point (nothing unanswered,
        a resumable handle issued since), then
        writes its record, releases it (another worker's adopter claims it at
        once) and closes its socket with 1001.  ``within``: seconds to wait for
        safe points.  Returns how many sessions were handed over at one.
        """
        self._fleet_parts()
        if self._adopter is not None:
            self._adopter.cancel()
        live = [s for s in self._sessions if not s.closed.is_set()]
        self._log.info("live_actor.store.drain", sessions=len(live), within=within)
        return await _fleet.drain(live, anyio.current_time() + within)


@asynccontextmanager
async def open_session(
    config: LiveConfig,
    *,
    api_key: str | None = None,
    credentials: CredentialsSource | None = None,
    base_url: str | None = None,
    restart: RestartType | None = None,
    policy: RestartPolicy | None = None,
    options: SessionOptions | None = None,
    connector: Connector | None = None,
    session_id: str | None = None,
    store: SessionStore | None = None,
    callbacks: Callbacks | None = None,
    on_message: OnMessage | None = None,
    on_error: OnError | None = None,
    on_close: OnClose | None = None,
    on_tool_call: OnToolCall | None = None,
    on_tool_call_cancellation: OnToolCallCancellation | None = None,
    on_transcription: OnTranscription | None = None,
    on_voice_activity: OnVoiceActivity | None = None,
    on_session_resumption: OnSessionResumption | None = None,
    on_go_away: OnGoAway | None = None,
    on_reconnecting: OnReconnecting | None = None,
    on_resumed: OnResumed | None = None,
    on_gave_up: OnGaveUp | None = None,
    **unknown: Never,
) -> AsyncIterator[SessionHandle]:
    """Open one connected, supervised session; close it on exit.

    ::

        async with live_actor.open_session(config, api_key=KEY) as session:
            await session.send_client_content("Hello")
            turn = await session.receive_turn()

    Raises :class:`SetupRejectedError` / :class:`ConnectError` if the first
    connection fails.  ``restart`` overrides ``policy.restart`` (default
    ``"transient"``); ``restart="temporary"`` opts out of reconnection.
    """
    async with Supervisor(policy=policy, options=options, store=store) as supervisor:
        handle = await supervisor.start_session(
            config,
            api_key=api_key,
            credentials=credentials,
            base_url=base_url,
            restart=restart,
            connector=connector,
            session_id=session_id,
            callbacks=callbacks,
            on_message=on_message,
            on_error=on_error,
            on_close=on_close,
            on_tool_call=on_tool_call,
            on_tool_call_cancellation=on_tool_call_cancellation,
            on_transcription=on_transcription,
            on_voice_activity=on_voice_activity,
            on_session_resumption=on_session_resumption,
            on_go_away=on_go_away,
            on_reconnecting=on_reconnecting,
            on_resumed=on_resumed,
            on_gave_up=on_gave_up,
            **unknown,
        )
        await handle.connect()
        try:
            yield handle
        finally:
            with anyio.CancelScope(shield=True):
                await handle.close()
