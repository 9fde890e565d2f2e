"""The Supervisor: many supervised sessions in one task group, and ``open_session``.

``async with Supervisor() as sup:`` opens a task group; each
:meth:`Supervisor.start_session` adds a :class:`Session` task to it and returns
its :class:`SessionHandle`.  Leaving the block shuts down gracefully: every
session is closed (its accepted commands sent, its socket closed with 1000)
within ``shutdown_timeout`` seconds, shielded from cancellation, then whatever
is left is cancelled.  A session never raises into this task group; it ends
with a typed error on its handle instead.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Any

import anyio
import anyio.abc
import attrs

from . import _log
from ._auth import ApiKey, CredentialsSource, api_key_from_env
from ._callbacks import Callbacks
from ._config import LiveConfig
from ._errors import ConfigError, LocalProtocolError
from ._handle import SessionHandle
from ._session import RestartPolicy, RestartType, Session, SessionOptions

__all__ = ["Supervisor", "open_session"]


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
        self._sessions: list[Session] = []
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
        session_id: str | None = None,
        **callbacks: Any,
    ) -> SessionHandle:
        """Start a supervised session; ``await handle.connect()`` dials it.

        Credentials: ``api_key`` (sent as the ``x-goog-api-key`` header, never in
        the URL), or ``credentials`` (an ``ApiKey``/``EphemeralToken``/
        ``BearerToken`` or a provider called before every dial), else the
        ``GEMINI_API_KEY``/``GOOGLE_API_KEY`` environment variables.
        ``base_url`` points the session at any endpoint (e.g. the fake server).
        ``restart`` overrides the policy's restart type (``"temporary"`` opts out).
        """
        if self._task_group is None:
            raise LocalProtocolError("use `async with Supervisor() as sup:` before start_session")
        if not isinstance(config, LiveConfig):
            raise ConfigError(f"config must be a LiveConfig, got {type(config).__name__}")
        if api_key is not None and credentials is not None:
            raise ConfigError("pass api_key or credentials, not both")
        source: CredentialsSource
        if credentials is not None:
            source = credentials
        elif api_key is not None:
            source = ApiKey(api_key)
        elif config.auth == "vertex_ai":
            raise ConfigError(
                "auth='vertex_ai' needs credentials=: pass live_actor.vertex_credentials()"
                " (pip install live_actor[vertex]) or a BearerToken"
            )
        else:
            source = api_key_from_env()
        if base_url is not None:
            config = attrs.evolve(config, base_url=base_url)
        chosen = policy or self.policy
        if restart is not None:
            chosen = attrs.evolve(chosen, restart=restart)
        session = Session(
            config,
            source,
            Callbacks.from_kwargs(callbacks),
            policy=chosen,
            options=options or self.options,
            session_id=session_id,
        )
        self._sessions = [s for s in self._sessions if not s.closed.is_set()]
        self._sessions.append(session)
        self._task_group.start_soon(session.run, name=f"live_actor session {session.session_id}")
        return SessionHandle(session)


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
    **callbacks: Any,
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
            **callbacks,
        )
        await handle.connect()
        try:
            yield handle
        finally:
            with anyio.CancelScope(shield=True):
                await handle.close()
