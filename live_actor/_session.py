"""A supervised Live session: the actor incarnations and the restart loop around them.

One :class:`Session` lives as long as the user's handle.  It owns what must
survive a reconnect — the sans-IO :class:`SessionCore` (status, resumption
handle, outbound ledger, usage), the bounded command stream, the event buffer
and the callback queue — and runs one *connection actor* after another:

* the actor (:meth:`Session._run_connection`) dials, sends ``setup``, and runs
  a reader that always drains the socket, a replay task and a goAway deadline
  timer; it never raises, it returns an :class:`~live_actor._exits.Exit`;
* the supervisor loop (:meth:`Session._supervise`) classifies that exit and
  restarts at once (planned), after full-jitter backoff (transient, crash) or
  not at all (normal, fatal, restart intensity exhausted).

Commands from the handle go through a bounded anyio memory object stream to one
command task that lives as long as the session, so commands made while
reconnecting are queued by the ledger instead of rejected or blocked.
"""

from __future__ import annotations

import contextlib
import datetime
import math
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, Literal

import anyio
import anyio.abc
import attrs
from anyio.lowlevel import checkpoint

from . import _log
from ._auth import CredentialsSource, resolve_credentials
from ._backoff import Backoff, RestartIntensity
from ._callbacks import CallbackQueue, Callbacks, call_maybe_async, in_callback_task
from ._config import LiveConfig
from ._endpoints import build_endpoint
from ._errors import (
    CallbackError,
    ConfigError,
    ConnectError,
    GaveUpError,
    LiveError,
    RemoteProtocolError,
    SessionClosedError,
    SetupRejectedError,
)
from ._events import EventBuffer, GaveUp, GoingAway, Reconnecting, Resumed
from ._exits import Exit, ExitKind, classify_close, classify_http_status
from ._protocol._codec import structure_config
from ._protocol._core import Received, SessionCore, SessionStatus
from ._protocol._ledger import Entry, MediaPolicy
from ._protocol._messages import (
    ClientContent,
    ClientMessage,
    Content,
    FunctionResponse,
    ServerMessage,
    SessionResumptionConfig,
    ToolCall,
    ToolResponse,
    replace,
)
from ._send_lock import SendLock
from ._transport import (
    Transport,
    TransportClosed,
    TransportConnectError,
    TransportOptions,
    open_transport,
)

__all__ = ["RestartPolicy", "Session", "SessionOptions"]

RestartType = Literal["permanent", "transient", "temporary"]


@attrs.frozen(kw_only=True)
class RestartPolicy:
    """When and how fast a session is restarted (OTP's vocabulary).

    ``restart``: ``"transient"`` (default) restarts after planned and abnormal
    exits; ``"permanent"`` also after the server ended the session with 1000;
    ``"temporary"`` never restarts (the opt-out).  More than ``max_restarts``
    charged restarts within ``period`` seconds gives up.  Backoff is full-jitter
    exponential from ``backoff_base`` up to ``backoff_max`` seconds, reset once
    a connection stayed ready for ``reset_after`` seconds; ``random`` is the
    injectable jitter source (returns floats in [0, 1)).
    """

    restart: RestartType = "transient"
    max_restarts: int = 5
    period: float = 60.0
    backoff_base: float = 0.5
    backoff_max: float = 15.0
    reset_after: float = 30.0
    random: Callable[[], float] | None = attrs.field(default=None, repr=False)

    def __attrs_post_init__(self) -> None:
        if self.restart not in ("permanent", "transient", "temporary"):
            raise ConfigError(
                f"restart must be 'permanent', 'transient' or 'temporary', got {self.restart!r}"
            )
        if self.max_restarts < 0 or self.period <= 0:
            raise ConfigError("max_restarts must be >= 0 and period > 0")
        if self.backoff_base < 0 or self.backoff_max < 0:
            raise ConfigError("backoff_base and backoff_max must be >= 0")


@attrs.frozen(kw_only=True)
class SessionOptions:
    """Per-session knobs that are not part of the Live ``setup``.

    * ``setup_timeout``: seconds to wait for ``setupComplete`` after the upgrade.
    * ``command_buffer``: size of the bounded command stream (backpressure).
    * ``event_buffer``: events kept for ``events()``; oldest dropped beyond it
      (0 keeps none — use callbacks only).
    * ``media_buffer_seconds`` / ``media_policy``: the audio/video ring replayed
      (``"replay"``) or dropped (``"drop"``) after a reconnect.
    * ``go_away_margin``: rotate at least this long before a goAway deadline.
    * ``history``: called when a resume is impossible and a fresh session
      starts; the turns it returns are sent first (``turnComplete: false``).
    """

    transport: TransportOptions = attrs.field(factory=TransportOptions)
    setup_timeout: float = 15.0
    command_buffer: int = 256
    event_buffer: float = 10_000
    media_buffer_seconds: float = 1.0
    media_policy: MediaPolicy = "replay"
    go_away_margin: float = 2.0
    shutdown_timeout: float = 5.0
    history: Callable[[], Sequence[Content]] | None = attrs.field(default=None, repr=False)


#: A send is a checkpoint at least this often (see ``Session.submit``).
_CHECKPOINT_EVERY: Final = 16


class _Connection:
    """What one actor incarnation shares between its tasks."""

    def __init__(self, number: int, transport: Transport, resuming: bool) -> None:
        self.number = number
        self.transport = transport
        #: the caller's task may send directly (see ``Session.submit``).
        self.direct_send = getattr(transport, "cancel_safe_send", False)
        self.resuming = resuming
        self.exit: Exit | None = None
        #: the earliest goAway deadline; each goAway that moves it sets, then
        #: replaces, ``go_away_event`` (the deadline task re-arms on it).
        self.go_away_at: float | None = None
        self.go_away_event = anyio.Event()
        self.rotate_now = anyio.Event()
        self.ready_at: float | None = None


class Session:
    """State and tasks of one supervised Live session (see module doc)."""

    def __init__(
        self,
        config: LiveConfig,
        credentials: CredentialsSource,
        callbacks: Callbacks,
        *,
        policy: RestartPolicy | None = None,
        options: SessionOptions | None = None,
        session_id: str | None = None,
    ) -> None:
        self.policy = policy or RestartPolicy()
        self.options = options or SessionOptions()
        if self.policy.restart != "temporary" and config.session_resumption is None:
            # Restarts without resumption would lose the conversation: ask for handles.
            config = attrs.evolve(config, session_resumption=SessionResumptionConfig())
        self.config = config
        self.session_id = session_id or uuid.uuid4().hex[:12]
        self._credentials = credentials
        self.callbacks = callbacks
        transparent = bool(config.session_resumption and config.session_resumption.transparent)
        self.core = SessionCore(
            gemini_api=config.auth == "gemini",
            transparent=transparent,
            media_buffer_seconds=self.options.media_buffer_seconds,
            media_policy=self.options.media_policy,
            resume_handle=config.resume_handle,
        )
        self._log = _log.get_logger().bind(session_id=self.session_id, model=config.model)
        self.events = EventBuffer(self.options.event_buffer)
        self._callback_queue = CallbackQueue(self._callback_failed)
        self._commands_in, self._commands_out = anyio.create_memory_object_stream[Entry](
            self.options.command_buffer
        )
        self._send_lock = SendLock()
        self._commands_in_flight = 0
        self._commands_idle = anyio.Event()
        self._commands_idle.set()
        #: replaced (after being set) whenever readiness or the end changes.
        self._changed = anyio.Event()
        self._connection: _Connection | None = None
        self._connect_requested = anyio.Event()
        self._first_outcome = anyio.Event()
        self._first_error: LiveError | None = None
        self._close_requested = anyio.Event()
        self.closed = anyio.Event()
        #: the session's task has ended: callbacks drained (``on_close`` included).
        self.finished = anyio.Event()
        self.close_code: int | None = None
        self.close_reason = ""
        self.final_error: LiveError | None = None
        #: call id -> (cancel scope, all call ids) of the tool task answering it.
        self._tool_scopes: dict[str, tuple[anyio.CancelScope, list[str]]] = {}
        #: ids of running tool calls the server cancelled (toolCallCancellation).
        self._tool_cancelled: set[str] = set()
        self._backoff = Backoff(base=self.policy.backoff_base, cap=self.policy.backoff_max)
        if self.policy.random is not None:
            self._backoff.random = self.policy.random
        self._intensity = RestartIntensity(self.policy.max_restarts, self.policy.period)
        self._restart_count = 0
        self._task_group: anyio.abc.TaskGroup | None = None
        self._pending_resumed_event: tuple[bool, int] | None = None
        self._started = False
        #: the current connection is ready and the ledger's replay was sent.
        self._replayed = False
        #: close() was called or the session ended: new commands are refused.
        self._refusing = False
        #: the connection close() ended with a close frame after its last command.
        self._closed_gracefully_on: int | None = None
        #: close() must be over by then (a supervisor shutting down).
        self._close_by = math.inf
        self._sends_until_checkpoint = 1  # the first send checkpoints

    # =================================================================== API

    @property
    def log(self) -> Any:
        """The session's logger, bound to the current connection number."""
        return self._log.bind(connection=self.core.connection)

    @property
    def status(self) -> SessionStatus:
        return self.core.status

    def request_connect(self) -> None:
        self._connect_requested.set()

    async def wait_first_outcome(self) -> None:
        await self._first_outcome.wait()
        if self._first_error is not None:
            raise self._first_error

    def accept(self, message: ClientMessage) -> Entry:
        """Validate a command now and give it its ledger entry (then :meth:`submit` it)."""
        if self._refusing:
            raise self._closed_error()
        return self.core.accept(message)

    def accept_media(self, data: bytes, mime_type: str, *, field: str = "audio") -> Entry:
        """:meth:`accept` for one audio chunk or video frame (the per-chunk path)."""
        if self._refusing:
            raise self._closed_error()
        return self.core.accept_media(data, mime_type, field=field)

    async def submit(self, entry: Entry) -> None:
        """Hand an accepted command to the socket, in order (sent now or queued).

        Every ``_CHECKPOINT_EVERY``-th send starts with a checkpoint: a task
        streaming audio in a tight loop still lets others run and can be
        cancelled there, handing nothing over (the entry is counted as dropped).
        Not every send: a yield to the event loop costs asyncio about as much as
        the rest of the send.  A send that returns handed its message over.  A
        send blocked by backpressure (a peer that stops reading) can be cancelled
        after its frame was queued: it is sent all the same and counted as sent,
        so do not send it again.
        """
        self._sends_until_checkpoint -= 1
        if not self._sends_until_checkpoint:
            self._sends_until_checkpoint = _CHECKPOINT_EVERY
            try:
                await checkpoint()
            except BaseException:
                self.core.ledger.stats.drop("cancelled before it was queued", entry)
                raise
        core = self.core
        conn = self._connection
        lock = self._send_lock
        if (
            conn is not None
            and conn.direct_send
            and not self._commands_in_flight
            and not lock.held
            and core.can_send_now
        ):
            # Fast path: nothing is queued ahead of this command, so sending it from
            # the caller's task keeps the order and saves a task switch per audio
            # chunk.  Only on transports whose send survives the caller being
            # cancelled (websockets buffers whole frames, the trio transport has a
            # writer task); elsewhere the command task sends.
            lock.held = True  # free, checked above; no checkpoint needed
            try:
                frame = core.dispatch(entry)
                if frame is not None:
                    try:  # noqa: SIM105 - contextlib.suppress costs an object per audio chunk
                        await conn.transport.send(frame)
                    except TransportClosed:
                        pass  # kept by the ledger as sent-unconfirmed: replayed later
            finally:
                lock.release()
            return
        self._commands_in_flight += 1
        if self._commands_idle.is_set():
            self._commands_idle = anyio.Event()
        try:
            try:
                self._commands_in.send_nowait(entry)
            except anyio.WouldBlock:
                await self._commands_in.send(entry)  # backpressure
        except (anyio.ClosedResourceError, anyio.BrokenResourceError):
            self._commands_in_flight -= 1
            self.core.ledger.stats.drop("session closed", entry)
            raise self._closed_error() from None
        except BaseException:
            # Cancelled while waiting for room: never handed over, so accounted here.
            self._commands_in_flight -= 1
            self.core.ledger.stats.drop("cancelled before it was queued", entry)
            raise

    def _closed_error(self) -> SessionClosedError:
        if isinstance(self.final_error, SessionClosedError):
            return self.final_error
        return SessionClosedError(
            f"session {self.session_id} is {self.core.status}; open a new session to send",
            code=self.close_code,
            reason=self.close_reason,
        )

    def _notify_change(self) -> None:
        self._changed.set()
        self._changed = anyio.Event()

    async def wait_ready(self) -> None:
        """Until a connection is ready and replayed; raises once the session ended."""
        while True:
            if self.closed.is_set():
                raise self._closed_error()
            if self._replayed and self.core.status is SessionStatus.READY:
                return
            await self._changed.wait()

    async def close(self, *, deadline: float = math.inf) -> None:
        """Close gracefully: send what was accepted, close the socket with 1000, stop.

        ``deadline`` (``anyio.current_time()`` clock) bounds the drain and the close
        handshake on top of ``shutdown_timeout`` and the transport's close timeout.
        """
        self._close_by = min(self._close_by, deadline)
        if not self._started:
            self.core.begin_close()
            self._finish(None, 1000, "closed before connect")
            self._commands_out.close()
            self.finished.set()
            return
        self._refusing = True
        self._close_requested.set()
        self.core.begin_close()
        conn = self._connection
        if conn is not None:
            conn.rotate_now.set()  # wake the deadline task; it performs the close
        await self.closed.wait()
        if not in_callback_task():
            # Callbacks already queued (on_close last) run before close() returns,
            # bounded by shutdown_timeout; a callback closing its own session
            # cannot wait for itself.
            await self.finished.wait()

    # ============================================================ the tasks

    async def run(self) -> None:
        """The session's life, run in the supervisor's task group; never raises."""
        if self.closed.is_set():  # closed before its task even started
            self.finished.set()
            return
        self._started = True
        try:
            async with anyio.create_task_group() as tg:
                self._task_group = tg
                tg.start_soon(self._callback_queue.run)
                tg.start_soon(self._command_loop)
                with anyio.CancelScope() as wait_scope:
                    tg.start_soon(self._cancel_on_close, wait_scope)
                    await self._connect_requested.wait()
                    wait_scope.cancel()
                if self._close_requested.is_set() and not self.core.ever_ready:
                    self._finish(None, 1000, "closed before connect")
                else:
                    await self._supervise()
                self._callback_queue.close()
                with anyio.move_on_after(self.options.shutdown_timeout, shield=True):
                    await self._callback_queue.wait_idle()
                tg.cancel_scope.cancel()
        except Exception as exc:  # a bug of ours: never into the user's task group
            self.log.exception("live_actor.supervisor.exit", kind="crash", cause=repr(exc))
            self._finish(
                GaveUpError(f"session crashed: {type(exc).__name__}: {exc}"), None, "crash"
            )
        finally:
            self._finish(self.final_error, self.close_code, self.close_reason)
            self._commands_out.close()
            self.finished.set()

    async def _cancel_on_close(self, scope: anyio.CancelScope) -> None:
        await self._close_requested.wait()
        scope.cancel()

    # --------------------------------------------------------- supervision

    async def _supervise(self) -> None:
        fresh_fallback = False
        while True:
            exit_ = await self._run_connection(fresh=fresh_fallback)
            fresh_fallback = False
            self.log.info(
                "live_actor.supervisor.exit",
                connection=self.core.connection,
                kind=str(exit_.kind),
                code=exit_.code,
                reason=exit_.reason,
                during_setup=exit_.during_setup,
            )
            first = not self.core.ever_ready
            if first:
                self._fail_first(exit_)
                return
            if exit_.kind is ExitKind.NORMAL or self._close_requested.is_set():
                self._finish(None, exit_.code or 1000, exit_.reason)
                return
            if exit_.during_setup and exit_.resuming and exit_.kind is ExitKind.FATAL:
                # Handle hygiene: a rejected or expired handle -> fresh session, said honestly.
                self.log.warning(
                    "live_actor.supervisor.handle_rejected", code=exit_.code, reason=exit_.reason
                )
                self.core.forget_handle()
                fresh_fallback = True
                continue
            if not self._should_restart(exit_):
                error = self._error_for(exit_)
                await self._give_up(error, exit_)
                return
            delay = 0.0
            if exit_.kind is not ExitKind.PLANNED:
                if not self._intensity.charge(anyio.current_time()):
                    await self._give_up(
                        GaveUpError(
                            f"gave up after more than {self.policy.max_restarts} restarts in "
                            f"{self.policy.period:g}s; last exit: {exit_.cause}",
                            code=exit_.code,
                            reason=exit_.reason,
                        ),
                        exit_,
                    )
                    return
                delay = self._backoff.next_delay()
            self._restart_count += 1
            self._announce(
                Reconnecting(attempt=self._restart_count, delay=delay, cause=exit_.cause),
                "on_reconnecting",
                self._restart_count,
                delay,
                exit_.cause,
            )
            self.log.info(
                "live_actor.supervisor.reconnecting",
                attempt=self._restart_count,
                delay=round(delay, 3),
                cause=exit_.cause,
            )
            if delay > 0:
                with anyio.move_on_after(delay):
                    await self._close_requested.wait()
            if self._close_requested.is_set():
                self._finish(None, 1000, "closed while reconnecting")
                return

    def _should_restart(self, exit_: Exit) -> bool:
        restart = self.policy.restart
        if restart == "temporary" or exit_.kind is ExitKind.FATAL:
            return False
        if exit_.kind is ExitKind.NORMAL_REMOTE:
            return restart == "permanent"
        return True

    def _error_for(self, exit_: Exit) -> LiveError:
        if exit_.kind is ExitKind.FATAL:
            return SetupRejectedError(
                f"the server rejected the session: {exit_.cause}",
                code=exit_.code,
                reason=exit_.reason,
                status=getattr(exit_.error, "status", None),
            )
        return SessionClosedError(
            f"the connection ended ({exit_.cause}) and restart={self.policy.restart!r}",
            code=exit_.code,
            reason=exit_.reason,
        )

    def _fail_first(self, exit_: Exit) -> None:
        if exit_.kind is ExitKind.NORMAL or self._close_requested.is_set():
            self._finish(None, exit_.code or 1000, exit_.reason)
            return
        error: LiveError
        if isinstance(exit_.error, LiveError) and not isinstance(exit_.error, RemoteProtocolError):
            error = exit_.error
        elif exit_.kind is ExitKind.FATAL:
            error = SetupRejectedError(
                f"connect failed: {exit_.cause}", code=exit_.code, reason=exit_.reason
            )
        else:
            error = ConnectError(
                f"connect failed: {exit_.cause}", code=exit_.code, reason=exit_.reason
            )
        self._first_error = error
        self._finish(error, exit_.code, exit_.reason)

    async def _give_up(self, error: LiveError, exit_: Exit) -> None:
        self.log.error("live_actor.supervisor.gave_up", reason=str(error), cause=exit_.cause)
        self._announce(GaveUp(reason=str(error)), "on_gave_up", str(error))
        self._finish(error, exit_.code, exit_.reason)

    def _finish(self, error: LiveError | None, code: int | None, reason: str) -> None:
        """Make the session CLOSED (idempotent): fail what is left, tell the user."""
        if self.closed.is_set():
            return
        if error is not None and self.final_error is None:
            if isinstance(error, SessionClosedError) or not self.core.ever_ready:
                # The first connect failed: the error is what connect() raised (no
                # restart was ever attempted); sends still raise SessionClosedError.
                self.final_error = error
            else:
                self.final_error = GaveUpError(str(error))
                if isinstance(error, ConnectError):
                    self.final_error.__cause__ = error
        self.close_code = code
        self.close_reason = reason
        self._refusing = True
        self.core.begin_close()
        self.core.finish_close()
        dropped = self.core.ledger.drop_all(
            "session closed", delivered_connection=self._closed_gracefully_on
        )
        while True:  # accepted but never dispatched (close timed out): counted, not lost
            try:
                leftover = self._commands_out.receive_nowait()
            except (anyio.WouldBlock, anyio.EndOfStream, anyio.ClosedResourceError):
                break
            self.core.ledger.stats.drop("session closed before it could be sent", leftover)
            dropped.append(leftover)
        for scope, _ids in self._tool_scopes.values():
            scope.cancel()
        self._commands_in.close()
        self.log.info(
            "live_actor.session.closed",
            code=code,
            reason=reason,
            error=str(error) if error else None,
            dropped=len(dropped),
            usage_total_tokens=self.core.usage.total_token_count,
        )
        if error is not None:
            self._callback_queue.put("on_error", self.callbacks.on_error, error)
        self._callback_queue.put("on_close", self.callbacks.on_close, code, reason)
        self.events.close()
        self._notify_change()
        if not self._first_outcome.is_set():
            if self._first_error is None and error is not None and not self.core.ever_ready:
                self._first_error = error
            self._first_outcome.set()
        self.closed.set()

    # ------------------------------------------------------- the actor

    async def _run_connection(self, *, fresh: bool) -> Exit:
        """One incarnation: dial, setup, serve until the connection ends."""
        try:
            return await self._connection_incarnation(fresh=fresh)
        except Exception as exc:  # a bug of ours: classified, never raised
            self.log.exception("live_actor.supervisor.exit", kind="crash", error=repr(exc))
            if self.core.status not in (SessionStatus.DISCONNECTED, SessionStatus.CLOSED):
                self.core.connection_lost()
            return Exit(ExitKind.CRASH, error=exc)

    async def _connection_incarnation(self, *, fresh: bool) -> Exit:
        number = self.core.start_connection()
        self._set_status_log()
        log = self.log.bind(connection=number)
        handle = None if fresh else self.core.resumption_handle
        try:
            credentials = await resolve_credentials(self._credentials)
            endpoint = build_endpoint(self.config, credentials)
            setup = self.config.to_setup(resume_handle=handle)
            if fresh and setup.session_resumption is not None:
                setup = replace(
                    setup, session_resumption=replace(setup.session_resumption, handle=None)
                )
        except LiveError as exc:
            self.core.connection_lost()
            kind = ExitKind.FATAL if isinstance(exc, ConfigError) else ExitKind.TRANSIENT
            return Exit(kind, error=exc, during_setup=True)
        log.info(
            "live_actor.session.connect",
            url=endpoint.redacted_url,
            resuming=handle is not None,
        )
        try:
            async with open_transport(endpoint.url, endpoint.headers, self.options.transport) as t:
                conn = _Connection(number, t, resuming=handle is not None)
                self._connection = conn
                return await self._serve(conn, setup, log)
        except TransportConnectError as exc:
            log.warning("live_actor.session.connect_failed", status=exc.status, error=str(exc))
            kind = classify_http_status(exc.status)
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
                classify_close(exc.code, exc.reason, after_go_away=False, local=exc.local),
                code=exc.code,
                reason=exc.reason,
                during_setup=True,
                resuming=handle is not None,
            )
        except (OSError, ValueError) as exc:
            return Exit(ExitKind.TRANSIENT, error=exc, during_setup=True)
        except Exception as exc:
            log.exception("live_actor.supervisor.exit", kind="crash")
            return Exit(ExitKind.CRASH, error=exc)
        finally:
            self._connection = None
            self._replayed = False
            self._notify_change()
            if self.core.status not in (SessionStatus.DISCONNECTED, SessionStatus.CLOSED):
                self.core.connection_lost()
                self._set_status_log()

    async def _serve(self, conn: _Connection, setup: Any, log: Any) -> Exit:
        async with self._send_lock:
            await conn.transport.send(self.core.setup_frame(setup))
        self._set_status_log()
        async with anyio.create_task_group() as tg:
            tg.start_soon(self._reader, conn, tg, log)
            tg.start_soon(self._deadline_task, conn, tg, log)
            tg.start_soon(self._setup_watchdog, conn, tg)
        assert conn.exit is not None
        exit_ = conn.exit
        if (
            exit_.kind is ExitKind.TRANSIENT
            and conn.ready_at is not None
            and anyio.current_time() - conn.ready_at >= self.policy.reset_after
        ):
            self._backoff.reset()
        return exit_

    def _end(self, conn: _Connection, tg: anyio.abc.TaskGroup, exit_: Exit) -> None:
        if conn.exit is None:
            conn.exit = exit_
        tg.cancel_scope.cancel()

    async def _setup_watchdog(self, conn: _Connection, tg: anyio.abc.TaskGroup) -> None:
        await anyio.sleep(self.options.setup_timeout)
        if self.core.status is SessionStatus.SETUP_PENDING:
            self._end(
                conn,
                tg,
                Exit(
                    ExitKind.TRANSIENT,
                    reason=f"no setupComplete within {self.options.setup_timeout:g}s",
                    error=ConnectError(
                        f"timed out after {self.options.setup_timeout:g}s waiting for setupComplete"
                    ),
                    during_setup=True,
                    resuming=conn.resuming,
                ),
            )
            with anyio.CancelScope(shield=True):
                await conn.transport.aclose(1000, "setup timeout")

    async def _reader(self, conn: _Connection, tg: anyio.abc.TaskGroup, log: Any) -> None:
        transport = conn.transport
        while True:
            try:
                frame = await transport.receive()
            except TransportClosed as exc:
                self._end(conn, tg, self._exit_for_close(conn, exc))
                return
            try:
                received = self.core.receive(frame)
            except RemoteProtocolError as exc:
                # Rule 3 of the core: the first reply was not setupComplete.
                log.warning("live_actor.session.connect_failed", error=str(exc))
                self._end(
                    conn,
                    tg,
                    Exit(ExitKind.FATAL, reason=str(exc), error=exc, during_setup=True),
                )
                with anyio.CancelScope(shield=True):
                    await transport.aclose(1002, "expected setupComplete")
                return
            self._handle_received(conn, tg, received, log)

    def _exit_for_close(self, conn: _Connection, exc: TransportClosed) -> Exit:
        during_setup = conn.ready_at is None
        if exc.local and (self._close_requested.is_set() or conn.exit is not None):
            kind = ExitKind.NORMAL if self._close_requested.is_set() else ExitKind.PLANNED
        else:
            kind = classify_close(
                exc.code, exc.reason, after_go_away=conn.go_away_at is not None, local=exc.local
            )
        return Exit(
            kind,
            code=exc.code,
            reason=exc.reason,
            during_setup=during_setup,
            resuming=conn.resuming,
        )

    def _handle_received(
        self, conn: _Connection, tg: anyio.abc.TaskGroup, received: Received, log: Any
    ) -> None:
        if received.message is None:
            error = received.error
            log.warning(
                "live_actor.session.malformed_frame",
                error=str(error),
                field=error.field if error else None,
                count=self.core.malformed_frames,
            )
            self._callback_queue.put("on_error", self.callbacks.on_error, error)
            return
        message = received.message
        if received.ready:
            conn.ready_at = anyio.current_time()
            self._set_status_log()
            log.info("live_actor.session.setup_complete", resumed=conn.resuming)
            tg.start_soon(self._after_ready, conn, log)
        self._dispatch(conn, message, log)
        if conn.go_away_at is not None and self._rotates and self._safe_to_rotate():
            conn.rotate_now.set()

    def _dispatch(self, conn: _Connection, message: ServerMessage, log: Any) -> None:
        """Deliver one message: events, callbacks, tools.  Never blocks."""
        callbacks = self.callbacks
        queue = self._callback_queue
        if not self.events.put(message) and (
            self.events.overflowed in (1, 100, 10_000) or self.events.overflowed % 100_000 == 0
        ):
            # With on_message every message was delivered anyway: not worth a warning.
            level = log.debug if callbacks.on_message is not None else log.warning
            level("live_actor.session.event_overflow", dropped=self.events.overflowed)
        queue.put("on_message", callbacks.on_message, message)
        content = message.server_content
        if content is not None and callbacks.on_transcription is not None:
            if content.input_transcription is not None:
                queue.put("on_transcription", callbacks.on_transcription, "input",
                          content.input_transcription)
            if content.output_transcription is not None:
                queue.put("on_transcription", callbacks.on_transcription, "output",
                          content.output_transcription)
        if message.voice_activity is not None:
            queue.put("on_voice_activity", callbacks.on_voice_activity, message.voice_activity)
        if message.voice_activity_detection_signal is not None:
            queue.put(
                "on_voice_activity",
                callbacks.on_voice_activity,
                message.voice_activity_detection_signal,
            )
        update = message.session_resumption_update
        if update is not None:
            log.debug(
                "live_actor.session.resumption_update",
                resumable=update.resumable,
                has_handle=bool(update.new_handle),
                last_consumed=update.last_consumed_client_message_index,
            )
            queue.put("on_session_resumption", callbacks.on_session_resumption, update)
        if message.tool_call is not None:
            self._start_tool(message.tool_call, log)
        if message.tool_call_cancellation is not None:
            ids = tuple(message.tool_call_cancellation.ids or ())
            log.info("live_actor.session.tool_call_cancellation", ids=list(ids))
            for call_id in ids:
                task = self._tool_scopes.get(call_id)
                if task is not None:
                    self._tool_cancelled.add(call_id)
                    scope, task_ids = task
                    # One task answers all calls of a toolCall: stop it only once
                    # every one of them is withdrawn, else just hold back this answer.
                    if self._tool_cancelled.issuperset(task_ids):
                        scope.cancel()
            queue.put("on_tool_call_cancellation", callbacks.on_tool_call_cancellation, ids)
        if message.go_away is not None:
            left = message.go_away.time_left or datetime.timedelta(0)
            at = anyio.current_time() + left.total_seconds()
            if conn.go_away_at is None or at < conn.go_away_at:
                conn.go_away_at = at
                moved, conn.go_away_event = conn.go_away_event, anyio.Event()
                moved.set()
            log.info("live_actor.session.go_away", time_left=left.total_seconds())
            self.events.put(GoingAway(time_left=left, handle=self.core.resumption_handle))
            queue.put("on_go_away", callbacks.on_go_away, left, self.core.resumption_handle)

    def _announce(self, event: Any, name: str, *args: Any) -> None:
        self.events.put(event)
        self._callback_queue.put(name, getattr(self.callbacks, name), *args)

    def _set_status_log(self) -> None:
        self.log.debug(
            "live_actor.session.status",
            status=str(self.core.status),
            connection=self.core.connection,
        )

    async def _after_ready(self, conn: _Connection, log: Any) -> None:
        """Replay the ledger, then release the first connect()."""
        restored = conn.resuming
        stats = self.core.ledger.stats
        dropped_before = stats.dropped
        replayed_before = stats.replayed
        history: list[ClientMessage] = []
        if (
            not restored
            and self.core.connection > 1
            and self.options.history is not None
        ):
            turns = list(self.options.history())
            if turns:
                history.append(ClientContent(turns=turns, turn_complete=False))
        async with self._send_lock:
            frames = self.core.replay_frames(prefix=history)
            try:
                for frame in frames:
                    await conn.transport.send(frame)
            except TransportClosed:
                return  # the reader sees the close and ends the incarnation
        if self.core.connection > 1 or self._restart_count:
            replayed = stats.replayed - replayed_before
            dropped = stats.dropped - dropped_before
            log.info(
                "live_actor.supervisor.resumed",
                state_restored=restored,
                replayed=replayed,
                dropped=dropped,
            )
            self._announce(
                Resumed(state_restored=restored, replayed=replayed, dropped=dropped),
                "on_resumed",
                restored,
                replayed,
                dropped,
            )
        self._replayed = True
        self._notify_change()
        if not self._first_outcome.is_set():
            self._first_outcome.set()

    @property
    def _rotates(self) -> bool:
        """Does a goAway lead to a new connection?  Not for a temporary session:
        it keeps its connection until the server ends it."""
        return self.policy.restart != "temporary"

    def _safe_to_rotate(self) -> bool:
        core = self.core
        return not core.in_turn and not core.pending_tool_calls and core.handle_fresh

    async def _deadline_task(self, conn: _Connection, tg: anyio.abc.TaskGroup, log: Any) -> None:
        """Rotation on goAway at a safe point, always before the deadline; and user close.

        Owned by the actor and independent of reads: a silent server cannot
        make it miss the deadline.
        """
        if self._close_requested.is_set():  # close() came while this connection was dialled
            conn.rotate_now.set()
        while not conn.rotate_now.is_set():
            if conn.go_away_at is None or not self._rotates:
                await _first_of(conn.go_away_event, conn.rotate_now)
                continue
            if self._safe_to_rotate():
                break
            remaining = max(0.0, conn.go_away_at - anyio.current_time())
            margin = min(self.options.go_away_margin, remaining / 2)
            with anyio.move_on_at(conn.go_away_at - margin) as deadline:
                await _first_of(conn.go_away_event, conn.rotate_now)  # or an earlier goAway
            if deadline.cancelled_caught:
                break
        closing = self._close_requested.is_set()
        if closing:
            await self._drain_commands()
            reason = "client closed the session"
        else:
            self.core.begin_draining()
            log.info(
                "live_actor.supervisor.rotating",
                safe_point=self._safe_to_rotate(),
                time_left=round(max(0.0, (conn.go_away_at or 0) - anyio.current_time()), 3),
            )
            reason = "rotating after goAway"
        if conn.exit is None:
            conn.exit = Exit(
                ExitKind.NORMAL if closing else ExitKind.PLANNED, code=1000, reason=reason
            )
        # Close before resuming (the service rejects a resume while the old socket is
        # open), but never wait past the deadline for a silent server's close reply:
        # the transport's exit aborts the socket if the handshake does not finish.
        budget = self.options.transport.close_timeout
        if closing:
            budget = min(budget, max(0.0, self._close_by - anyio.current_time()))
        elif conn.go_away_at is not None:
            budget = min(budget, max(0.05, (conn.go_away_at - anyio.current_time()) / 2))
        # No send lock here: a send still in progress fails with TransportClosed and
        # its entry stays in the ledger, to be replayed.
        with anyio.CancelScope(shield=True):
            await conn.transport.aclose(1000, reason, close_timeout=budget)
        if closing and self._replayed and conn.transport.close_acknowledged:
            self._closed_gracefully_on = conn.number
        tg.cancel_scope.cancel()

    async def _drain_commands(self) -> None:
        """On close: let what the user already handed over reach the socket.

        Waits for the command task to empty the stream and for a send in
        progress (the direct path) to finish, bounded by ``shutdown_timeout``;
        what is left then is counted as dropped by ``_finish``.
        """
        limit = min(anyio.current_time() + self.options.shutdown_timeout, self._close_by)
        with anyio.move_on_at(limit):
            await self._commands_idle.wait()
            async with self._send_lock:
                pass

    # ------------------------------------------------------- commands

    async def _command_loop(self) -> None:
        """Move accepted commands to the socket, in order.

        One wake-up drains everything already queued under a single hold of the
        send lock: under load the per-message cost is the send itself.
        """
        receive_nowait = self._commands_out.receive_nowait
        async for first in self._commands_out:
            async with self._send_lock:
                entry: Entry | None = first
                while entry is not None:
                    frame = self.core.dispatch(entry)
                    conn = self._connection
                    if frame is not None and conn is not None:
                        # On TransportClosed the ledger keeps the entry as sent but
                        # unconfirmed: it is replayed after the reconnect.
                        with contextlib.suppress(TransportClosed):
                            await conn.transport.send(frame)
                    self._commands_in_flight -= 1
                    try:
                        entry = receive_nowait()
                    except (anyio.WouldBlock, anyio.EndOfStream):
                        entry = None
            if self._commands_in_flight == 0:
                self._commands_idle.set()

    # ------------------------------------------------------- tools

    def _start_tool(self, tool_call: ToolCall, log: Any) -> None:
        ids = [call.id for call in tool_call.function_calls or () if call.id]
        log.info(
            "live_actor.session.tool_call",
            names=[call.name for call in tool_call.function_calls or ()],
            ids=ids,
        )
        if self.callbacks.on_tool_call is None or self._task_group is None:
            return
        scope = anyio.CancelScope()
        for call_id in ids:
            self._tool_scopes[call_id] = (scope, ids)
        self._task_group.start_soon(self._run_tool, tool_call, scope, ids, log)

    async def _run_tool(
        self, tool_call: ToolCall, scope: anyio.CancelScope, ids: list[str], log: Any
    ) -> None:
        assert self.callbacks.on_tool_call is not None
        try:
            result: Any = None
            with scope:
                result = await call_maybe_async(self.callbacks.on_tool_call, tool_call)
            if scope.cancelled_caught:
                return
            # A tool that never reached a checkpoint (a plain function, say) ran to
            # the end despite a cancellation: the server withdrew those calls, so
            # their responses are not sent.
            responses = [
                response
                for response in _tool_responses(tool_call, result)
                if response.id not in self._tool_cancelled
            ]
            if responses:
                await self.submit(self.accept(ToolResponse(function_responses=responses)))
        except SessionClosedError:
            pass
        except Exception as exc:
            log.warning("live_actor.session.tool_error", error=repr(exc), ids=ids)
            error = CallbackError(
                f"on_tool_call failed: {type(exc).__name__}: {exc}", callback="on_tool_call"
            )
            error.__cause__ = exc
            self._callback_queue.put("on_error", self.callbacks.on_error, error)
        finally:
            for call_id in ids:
                self._tool_scopes.pop(call_id, None)
                self._tool_cancelled.discard(call_id)

    async def _callback_failed(self, name: str, exc: BaseException) -> None:
        self.log.warning("live_actor.session.callback_error", callback=name, error=repr(exc))
        if name != "on_error" and self.callbacks.on_error is not None:
            error = CallbackError(
                f"callback {name} failed: {type(exc).__name__}: {exc}", callback=name
            )
            error.__cause__ = exc
            try:
                await call_maybe_async(self.callbacks.on_error, error)
            except Exception:
                self.log.warning("live_actor.session.callback_error", callback="on_error")


async def _first_of(*events: anyio.Event) -> None:
    """Return once any of ``events`` is set."""
    async with anyio.create_task_group() as waiters:

        async def wait(event: anyio.Event) -> None:
            await event.wait()
            waiters.cancel_scope.cancel()

        for event in events:
            waiters.start_soon(wait, event)


def _tool_responses(tool_call: ToolCall, result: Any) -> list[FunctionResponse]:
    """Turn an ``on_tool_call`` return value into function responses (see Callbacks)."""
    if result is None:
        return []
    calls = list(tool_call.function_calls or ())
    items = list(result) if isinstance(result, list | tuple) else [result]
    responses: list[FunctionResponse] = []
    for position, item in enumerate(items):
        if isinstance(item, FunctionResponse):
            response = item
        elif isinstance(item, Mapping):
            if {"id", "name", "response"} & set(item):
                response = structure_config(item, FunctionResponse, what="tool response")
            else:
                response = FunctionResponse(response=dict(item))
        else:
            response = FunctionResponse(response={"output": item})
        if (response.id is None or response.name is None) and position < len(calls):
            call = calls[position]
            response = replace(
                response,
                id=response.id if response.id is not None else call.id,
                name=response.name if response.name is not None else call.name,
            )
        responses.append(response)
    return responses
