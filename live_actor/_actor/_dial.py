"""Dialling one connection: credentials, endpoint, setup, connector; every failure an Exit.

The first half of an incarnation.  Whatever goes wrong before the connection
serves (credentials, a refused upgrade, a dial timeout, a certificate, a close
during the handshake, a bug of ours) becomes an :class:`Exit` for the
supervisor to classify; nothing is raised into the session's task.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import anyio

from .._auth import resolve_credentials
from .._endpoints import build_endpoint
from .._errors import ConfigError, ConnectError, LiveError, SetupRejectedError
from .._protocol._state import SessionStatus
from .._protocol._supervision import (
    Exit,
    ExitKind,
    classify_close,
    classify_http_status,
    was_useful,
)
from .._transport import TransportClosed, TransportConnectError, open_transport
from ._incarnation import Incarnation

if TYPE_CHECKING:
    from ._session import SessionActor

__all__ = ["run_incarnation"]


async def run_incarnation(actor: SessionActor, *, fresh: bool) -> Exit:
    """One connection: dial, setup, serve until it ends; never raises."""
    try:
        return await _dial_and_serve(actor, fresh=fresh)
    except Exception as exc:  # a bug of ours: classified, never raised
        actor.observer.log.exception("live_actor.supervisor.exit", kind="crash", error=repr(exc))
        if actor.core.status not in (SessionStatus.DISCONNECTED, SessionStatus.CLOSED):
            actor.connection_lost()
        return Exit(ExitKind.CRASH, error=exc)


async def _dial_and_serve(actor: SessionActor, *, fresh: bool) -> Exit:
    core = actor.core
    options = actor.options
    number = core.start_connection()
    resuming = not fresh and core.resumption_handle is not None
    try:
        credentials = await resolve_credentials(actor.credentials)
        endpoint = build_endpoint(actor.config, credentials)
        setup = actor.config.to_setup()
    except LiveError as exc:
        actor.started()
        actor.connection_lost()
        kind = ExitKind.FATAL if isinstance(exc, ConfigError) else ExitKind.TRANSIENT
        return Exit(kind, error=exc, during_setup=True)
    actor.observer.connecting(number, url=endpoint.redacted_url, resuming=resuming)
    actor.observer.status(core.status)
    actor.started()
    connector = options.connector or open_transport
    conn: Incarnation | None = None
    try:
        with anyio.CancelScope() as dial_scope:
            actor.dial_scope = dial_scope
            if actor.close_requested:
                dial_scope.cancel()
            async with connector(endpoint.url, endpoint.headers, options.transport) as transport:
                actor.dial_scope = None
                conn = Incarnation(actor, number, transport, resuming=resuming)
                if actor.close_requested:
                    conn.exit = Exit(ExitKind.NORMAL, code=1000, reason="closed before setup")
                    return conn.exit
                actor.incarnation = conn
                actor.pipe.attach(transport)
                frame = core.setup_frame(
                    setup, fresh=fresh, app_history=options.history is not None
                )
                return await conn.serve(frame)
        return Exit(ExitKind.NORMAL, code=1000, reason="closed while dialling")
    except TransportConnectError as exc:
        actor.observer.log.warning(
            "live_actor.session.connect_failed", status=exc.status, error=str(exc)
        )
        kind = classify_http_status(exc.status)
        if exc.permanent:  # a certificate refused, a missing dependency: retrying cannot help
            kind = ExitKind.FATAL
        rejected = SetupRejectedError if kind is ExitKind.FATAL else ConnectError
        # Not ``resuming``: the upgrade was refused before the handle was sent,
        # so this says nothing about the handle (which stays usable).
        return Exit(
            kind,
            reason=str(exc),
            error=rejected(str(exc), status=exc.status),
            during_setup=True,
        )
    except TransportClosed as exc:
        return Exit(
            classify_close(exc.code, exc.reason, local=exc.local),
            code=exc.code,
            reason=exc.reason,
            during_setup=True,
            resuming=resuming,
            local=exc.local,
        )
    except (OSError, ValueError) as exc:
        return Exit(ExitKind.TRANSIENT, error=exc, during_setup=True)
    finally:
        actor.dial_scope = None
        actor.incarnation = None
        actor.pipe.detach()
        actor.serving = False
        _account_for_the_end(actor, conn)
        if core.status not in (SessionStatus.DISCONNECTED, SessionStatus.CLOSED):
            actor.connection_lost()
        actor.notify()


def _account_for_the_end(actor: SessionActor, conn: Incarnation | None) -> None:
    """Supervision rules 2, 3 and 6: was the connection useful; does backoff reset;
    which goAway deadline bounds the next backoff."""
    actor.go_away_at = conn.go_away_at if conn is not None else None
    if conn is None or conn.ready_at is None:
        actor.last_useful = False
        return
    ended = anyio.current_time()
    policy = actor.policy
    actor.last_useful = was_useful(
        ready_at=conn.ready_at,
        ended_at=ended,
        turns_completed=conn.turns_completed,
        reset_after=policy.reset_after,
    )
    if ended - conn.ready_at >= policy.reset_after:
        actor.budget.backoff.reset()
