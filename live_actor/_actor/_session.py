"""The session actor: the composition root of one supervised Live session.

One :class:`SessionActor` lives as long as the user's handle.  It owns what
must survive a reconnect and composes the rooms of the actor layer:

* the sans-IO :class:`SessionCore` (status, resumption handle, ledger, usage);
* the :class:`CommandPipe` (accepted commands to the socket, in order);
* :class:`Delivery` (``events()`` and the callbacks);
* the :class:`ToolRunner` (``on_tool_call``);
* the :class:`Observer` (log events and their timings);

and runs one :class:`Incarnation` after another under the restart loop of
:func:`live_actor._supervisor.supervise` (given by the supervisor that runs
it).  Start-up is trio's: ``await task_group.start(actor.run)`` returns once
the actor's tasks run and the first dial has begun; ``wait_ready()`` waits
for ``setupComplete`` (and, after a reconnect, the replay).
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Awaitable, Callable

import anyio
import anyio.abc
import attrs

from .. import _log, _telemetry
from .._auth import CredentialsSource
from .._callbacks import Callbacks
from .._config import LiveConfig
from .._errors import (
    ConnectError,
    GaveUpError,
    LiveError,
    MessageRejectedError,
    SessionClosedError,
)
from .._events import GaveUp, Reconnecting, Resumed
from .._protocol._capabilities import capabilities_for
from .._protocol._core import SessionCore
from .._protocol._events import TurnCompleted
from .._protocol._ledger import Entry
from .._protocol._messages import (
    ClientMessage,
    SessionResumptionConfig,
)
from .._protocol._replay import Replay
from .._protocol._state import SessionStatus
from .._protocol._supervision import (
    Exit,
    ExitKind,
    RestartBudget,
    RestartPolicy,
)
from .._turn import TurnAssembler
from ._commands import CommandPipe
from ._delivery import Delivery, in_callback_task
from ._dial import run_incarnation
from ._incarnation import Incarnation, interrupted_boundary
from ._observe import Observer
from ._options import SessionOptions
from ._persist import Persistence
from ._tools import ToolRunner

__all__ = ["SessionActor"]


class SessionActor:
    """State and tasks of one supervised Live session (see the module doc)."""

    #: its ~35 attributes take a fixed table instead of a resizing ``__dict__``
    #: (1.5 KiB less per session: issue 14's memory per call).
    # fmt: off
    __slots__ = (
        "_changed", "_close_requested", "_task_group", "_task_status", "budget", "close_by",
        "close_code", "close_frame", "close_reason", "closed", "closed_gracefully_on", "config",
        "connect_error", "core", "credentials", "delivery", "dial_scope", "final_error",
        "finished", "go_away_at", "incarnation", "last_receipt", "last_useful", "observer",
        "options", "persist", "pipe", "policy", "restarts", "serving", "session_id", "tools",
        "turn_assembler",
    )
    # fmt: on

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
        self.options = options = options or SessionOptions()
        if self.policy.restart != "temporary" and config.session_resumption is None:
            # Restarts without resumption would lose the conversation: ask for handles.
            config = attrs.evolve(config, session_resumption=SessionResumptionConfig())
        self.config = config
        self.session_id = session_id or uuid.uuid4().hex[:12]
        self.credentials = credentials
        transparent = bool(config.session_resumption and config.session_resumption.transparent)
        realtime = config.realtime_input_config
        detection = realtime.automatic_activity_detection if realtime is not None else None
        self.core = SessionCore(
            gemini_api=config.auth == "gemini",
            transparent=transparent,
            media_buffer_seconds=options.media_buffer_seconds,
            media_buffer_bytes=options.media_buffer_bytes,
            media_policy=options.media_policy,
            ledger_bytes=options.ledger_bytes,
            resume_handle=config.resume_handle,
            manual_activity=bool(detection is not None and detection.disabled),
            capabilities=capabilities_for(config.model),
            initial_history=bool(
                config.history_config is not None
                and config.history_config.initial_history_in_client_content
            ),
            non_idempotent_tools=options.non_idempotent_tools,
            transcript_bytes=options.transcript_bytes,
        )
        self.observer = Observer(
            _log.get_logger().bind(session_id=self.session_id, model=config.model),
            _telemetry.for_session(
                model=config.model,
                auth=config.auth,
                session_id=self.session_id,
                option=options.telemetry,
            ),
        )
        self.core.ledger.on_overflow = self.observer.ledger_full
        self.pipe = CommandPipe(self.core, options.command_buffer, self.closed_error)
        self.delivery = Delivery(
            callbacks,
            event_buffer=options.event_buffer,
            callback_buffer=options.callback_buffer,
            close_callback_timeout=options.close_callback_timeout,
            log=lambda: self.observer.log,
        )
        self.tools = ToolRunner(
            callbacks.on_tool_call,
            send=self.send_message,
            report=self.delivery.error,
            timeout=options.tool_timeout,
            telemetry=self.observer.telemetry,
        )
        self.budget = RestartBudget.for_policy(self.policy, random.random)
        self.restarts = 0
        self.incarnation: Incarnation | None = None
        #: the current connection is ready and the ledger's replay was sent.
        self.serving = False
        #: the connection close() ended with a close frame after its last command.
        self.closed_gracefully_on: int | None = None
        #: close() must be over by then (a supervisor shutting down).
        self.close_by = math.inf
        self.closed = anyio.Event()
        #: the session's task has ended: callbacks drained (``on_close`` included).
        self.finished = anyio.Event()
        self.close_code: int | None = None
        self.close_reason = ""
        self.final_error: LiveError | None = None
        #: what ``connect()`` raises: the first connection's failure.
        self.connect_error: LiveError | None = None
        #: the last exit was a useful connection (supervision rule 2).
        self.last_useful = False
        #: the goAway deadline of the last connection (rule 6), if one came.
        self.go_away_at: float | None = None
        #: partly received turn of ``receive_turn()`` (kept across calls: cancel-safe).
        self.turn_assembler = TurnAssembler()
        #: the handle's last send receipt (``SessionHandle.last_receipt``).
        self.last_receipt: object | None = None
        self._close_requested = anyio.Event()
        #: the dial in progress, cancelled by ``close()``.
        self.dial_scope: anyio.CancelScope | None = None
        self._task_status: anyio.abc.TaskStatus[None] | None = None
        self._task_group: anyio.abc.TaskGroup | None = None
        #: replaced (after being set) whenever readiness or the end changes.
        self._changed = anyio.Event()
        #: the session's record in a store (``None``: no store, nothing persisted).
        self.persist: Persistence | None = None
        #: the close frame ``close()`` sends (1001 when the session moves to another worker).
        self.close_frame = (1000, "client closed the session")

    # ================================================================= state

    @property
    def status(self) -> SessionStatus:
        return self.core.status

    @property
    def close_requested(self) -> bool:
        return self._close_requested.is_set()

    def task_group(self) -> anyio.abc.TaskGroup:
        assert self._task_group is not None, "the session's task is not running"
        return self._task_group

    def notify(self) -> None:
        self._changed.set()
        self._changed = anyio.Event()

    def closed_error(self) -> SessionClosedError:
        if isinstance(self.final_error, SessionClosedError):
            return self.final_error
        return SessionClosedError(
            f"session {self.session_id} is {self.core.status}; open a new session to send",
            code=self.close_code,
            reason=self.close_reason,
        )

    # ============================================================== commands

    def accept(self, message: ClientMessage) -> Entry:
        """Validate a command now and give it its ledger entry (then :meth:`submit` it)."""
        if not self.pipe.accepting:
            raise self.closed_error()
        return self.core.accept(message)

    def accept_media(self, data: bytes, mime_type: str, *, field: str = "audio") -> Entry:
        """:meth:`accept` for one audio chunk or video frame (the per-chunk path)."""
        if not self.pipe.accepting:
            raise self.closed_error()
        return self.core.accept_media(data, mime_type, field=field)

    async def send_message(self, message: ClientMessage) -> Entry:
        entry = self.accept(message)
        if self.persist is not None and not entry.media:
            await self.persist.accepted(entry)
        await self.pipe.submit(entry)
        return entry

    # ============================================================= lifecycle

    async def wait_ready(self) -> None:
        """Until a connection is ready and replayed; raises once the session ended."""
        while True:
            if self.closed.is_set():
                if self.connect_error is not None:
                    raise self.connect_error
                raise self.closed_error()
            if self.serving and self.core.status is SessionStatus.READY:
                return
            await self._changed.wait()

    async def close(self, *, deadline: float = math.inf) -> None:
        """Close gracefully: send what was accepted, close the socket with 1000, stop.

        ``deadline`` (``anyio.current_time()`` clock) bounds the drain and the close
        handshake on top of ``shutdown_timeout`` and the transport's close timeout.
        """
        # The whole close (sending what was accepted, the close handshake, the queued
        # callbacks) is bounded by shutdown_timeout, whatever the transport's own
        # close timeout; on_close and the final error get close_callback_timeout more.
        self.close_by = min(
            self.close_by, deadline, anyio.current_time() + self.options.shutdown_timeout
        )
        if not self.closed.is_set():
            self.pipe.accepting = False
            self._close_requested.set()
            if self.dial_scope is not None:
                self.dial_scope.cancel()
            if self.core.status is not SessionStatus.CLOSED:
                self.core.begin_close()
            if self.incarnation is not None:
                self.incarnation.rotate_now.set()  # its deadline task performs the close
            await self.closed.wait()
        if not in_callback_task():
            # Callbacks already queued (on_close last) run before close() returns,
            # bounded by shutdown_timeout; a callback closing its own session
            # cannot wait for itself.
            await self.finished.wait()

    async def run(
        self,
        *,
        supervise: Callable[[SessionActor], Awaitable[None]],
        task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED,
    ) -> None:
        """The session's life, in the supervisor's task group; never raises.

        ``supervise`` is the restart loop (``live_actor._supervisor.supervise``),
        given by the supervisor that runs this actor.
        """
        self._task_status = task_status
        try:
            async with anyio.create_task_group() as outer:
                self.delivery.queue.start_in(outer)
                try:
                    async with anyio.create_task_group() as tg:
                        self._task_group = tg
                        self.pipe.start_in(tg)
                        if self.persist is not None:
                            tg.start_soon(self.persist.run)
                        await supervise(self)
                        tg.cancel_scope.cancel()
                except Exception as exc:  # a bug of ours: never into the user's task group
                    self.observer.log.exception(
                        "live_actor.supervisor.exit", kind="crash", cause=repr(exc)
                    )
                    self.finish(
                        GaveUpError(f"session crashed: {type(exc).__name__}: {exc}"),
                        None,
                        "crash",
                        final_status="failed",
                    )
                self.finish(self.final_error, self.close_code, self.close_reason)
                if self.persist is not None:
                    await self.persist.finished()
                budget = self.options.shutdown_timeout
                if self.close_by != math.inf:
                    budget = max(0.0, self.close_by - anyio.current_time())
                await self.delivery.finish(budget)
                outer.cancel_scope.cancel()
        finally:
            self.finish(self.final_error, self.close_code, self.close_reason)
            self.pipe.stop()
            self.started()
            self.finished.set()

    def finish(
        self,
        error: LiveError | None,
        code: int | None,
        reason: str,
        *,
        final_status: str | None = None,
    ) -> None:
        """Make the session CLOSED (idempotent): fail what is left, tell the user."""
        if self.closed.is_set():
            return
        core = self.core
        if error is not None and self.final_error is None:
            if isinstance(error, SessionClosedError) or not core.ever_ready:
                # The first connect failed: the error is what connect() raised (no
                # restart was ever attempted); sends still raise SessionClosedError.
                self.final_error = error
            else:
                self.final_error = GaveUpError(str(error))
                if isinstance(error, ConnectError):
                    self.final_error.__cause__ = error
        if not core.ever_ready and error is not None and self.connect_error is None:
            self.connect_error = error
        self.close_code = code
        self.close_reason = reason
        for entry in self.pipe.close():  # accepted, never dispatched: counted, not lost
            core.send_failed(entry, "session closed before it could be sent")
        if core.status not in (SessionStatus.CLOSING, SessionStatus.CLOSED):
            core.begin_close()
        dropped = core.finish_close(delivered_connection=self.closed_gracefully_on)
        self.tools.cancel_all()
        if final_status is None:
            final_status = "closed" if error is None else "failed"
        self.observer.closed(
            code=code,
            reason=reason,
            error=error,
            final_status=final_status,
            dropped=len(dropped),
            ledger=core.ledger.stats,
            usage=core.usage,
            restarts=self.restarts,
        )
        if error is not None:
            self.delivery.error(error)
        self.delivery.call("on_close", code, reason)
        self.delivery.events.close()
        self.closed.set()
        self.notify()

    def give_up(self, error: LiveError, exit_: Exit) -> None:
        self.observer.log.error(
            "live_actor.supervisor.gave_up", reason=str(error), cause=exit_.cause
        )
        self.delivery.announce(GaveUp(reason=str(error)), "on_gave_up", str(error))
        self.finish(error, exit_.code, exit_.reason, final_status="gave_up")

    def exited(self, exit_: Exit) -> None:
        """Account for what the way this connection ended says about a message."""
        self.observer.exited(exit_)
        if exit_.kind is ExitKind.REJECTED:
            entry = self.core.message_rejected(f"refused by the server ({exit_.cause})")
            self.observer.log.warning(
                "live_actor.session.message_rejected",
                code=exit_.code,
                reason=exit_.reason,
                message_id=None if entry is None else entry.seq,
            )
            self.delivery.error(
                MessageRejectedError(
                    f"the server refused a message ({exit_.cause})"
                    + ("; it was dropped" if entry is not None else "")
                    + " and the session resumes",
                    code=exit_.code,
                    reason=exit_.reason,
                    message_id=None if entry is None else entry.seq,
                )
            )
        elif exit_.code == 1009 and not exit_.local:
            entry = self.core.message_too_big(f"too big for the server ({exit_.cause})")
            if entry is not None:
                self.observer.log.warning(
                    "live_actor.session.message_too_big", message_id=entry.seq
                )

    def reconnecting(self, delay: float, exit_: Exit) -> None:
        self.restarts += 1
        self.delivery.announce(
            Reconnecting(attempt=self.restarts, delay=delay, cause=exit_.cause),
            "on_reconnecting",
            self.restarts,
            delay,
            exit_.cause,
        )
        self.observer.reconnecting(attempt=self.restarts, delay=delay, exit_=exit_)

    def resumed(self, restored: bool, replay: Replay, dropped: dict[str, int]) -> None:
        """A new connection is ready and replayed: tell the user and the logs."""
        total_dropped = sum(dropped.values())
        self.observer.resumed(
            state_restored=restored,
            replayed=replay.replayed,
            dropped=dropped,
            reseeded_turns=replay.reseeded_turns,
            reasked=replay.reasked,
        )
        self.delivery.announce(
            Resumed(
                state_restored=restored,
                replayed=len(replay.replayed),
                dropped=total_dropped,
                reseeded_turns=replay.reseeded_turns,
            ),
            "on_resumed",
            restored,
            len(replay.replayed),
            total_dropped,
        )

    async def wait_or_close(self, delay: float) -> None:
        """Sleep ``delay`` seconds unless ``close()`` comes first."""
        with anyio.move_on_after(delay):
            await self._close_requested.wait()

    # ========================================================== incarnations

    async def run_incarnation(self, *, fresh: bool) -> Exit:
        """One connection: dial, setup, serve until it ends; never raises."""
        return await run_incarnation(self, fresh=fresh)

    def connection_lost(self) -> None:
        """The connection is gone: a reply in progress is cut (boundary, log)."""
        for event in self.core.connection_lost():
            if isinstance(event, TurnCompleted):  # a turn cut by the lost connection
                self.delivery.message(interrupted_boundary(), 64)
                self.observer.turn_completed(event, self.pipe.trigger_sent_at)
        self.observer.status(self.core.status)
        if self.persist is not None:
            self.persist.changed()

    def started(self) -> None:
        """Tell the supervisor's ``start()`` the session runs: once its first dial began."""
        if self._task_status is not None:
            task_status, self._task_status = self._task_status, None
            task_status.started()

    def __repr__(self) -> str:
        return f"<SessionActor {self.session_id} {self.core.status}>"
