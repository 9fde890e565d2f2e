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
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Any, Never

import anyio
import anyio.abc
import attrs

from . import _log
from ._actor import SessionActor, SessionOptions
from ._actor._options import Connector
from ._auth import ApiKey, CredentialsSource, api_key_from_env
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

__all__ = ["Supervisor", "open_session", "supervise"]


async def supervise(actor: SessionActor) -> None:
    """Run connection incarnations until the session ends (the restart loop)."""
    fresh = False
    while True:
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
    ) -> None:
        self.policy = policy or RestartPolicy()
        self.options = options or SessionOptions()
        self.shutdown_timeout = shutdown_timeout
        self._task_group: anyio.abc.TaskGroup | None = None
        self._sessions: list[SessionActor] = []
        self._log = _log.get_logger()

    async def __aenter__(self) -> Supervisor:
        self._task_group = anyio.create_task_group()
        await self._task_group.__aenter__()
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
        chosen_callbacks = _callbacks(callbacks, given, unknown)
        if not isinstance(config, LiveConfig):
            raise ConfigError(f"config must be a LiveConfig, got {type(config).__name__}")
        source = _credentials(config, api_key, credentials)
        if base_url is not None:
            config = attrs.evolve(config, base_url=base_url)
        chosen = policy or self.policy
        if restart is not None:
            chosen = attrs.evolve(chosen, restart=restart)
        chosen_options = options or self.options
        if connector is not None:
            chosen_options = attrs.evolve(chosen_options, connector=connector)
        actor = SessionActor(
            config,
            source,
            chosen_callbacks,
            policy=chosen,
            options=chosen_options,
            session_id=session_id,
        )
        self._sessions = [s for s in self._sessions if not s.finished.is_set()]
        self._sessions.append(actor)
        await self._task_group.start(
            functools.partial(actor.run, supervise=supervise),
            name=f"live_actor session {actor.session_id}",
        )
        return SessionHandle(actor)


def _callbacks(
    callbacks: Callbacks | None, given: Mapping[str, Any], unknown: Mapping[str, Any]
) -> Callbacks:
    if unknown:
        Callbacks.from_kwargs(unknown)  # raises ConfigError with a suggestion
    if callbacks is not None and not isinstance(callbacks, Callbacks):
        raise ConfigError(f"callbacks must be a Callbacks, got {type(callbacks).__name__}")
    return (callbacks or Callbacks()).merged(given)


def _credentials(
    config: LiveConfig, api_key: str | None, credentials: CredentialsSource | None
) -> CredentialsSource:
    if api_key is not None and credentials is not None:
        raise ConfigError("pass api_key or credentials, not both")
    if credentials is not None:
        return credentials
    if api_key is not None:
        return ApiKey(api_key)
    if config.auth == "vertex_ai":
        raise ConfigError(
            "auth='vertex_ai' needs credentials=: pass live_actor.vertex_credentials()"
            " (pip install live_actor[vertex]) or a BearerToken"
        )
    return api_key_from_env()


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
    async with Supervisor(policy=policy, options=options) as supervisor:
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
