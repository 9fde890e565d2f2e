"""One connection incarnation: dial, setup, read, rotate; it returns an :class:`Exit`.

Tasks of one incarnation, in one task group:

* the **reader** always drains the socket (a reader that waits stops answering
  pings) and feeds every frame to the core, then performs the core's events
  with one ``match``;
* the **deadline task** performs a goAway rotation at a safe point, always
  before the deadline, and the user's ``close()``, on a timer independent of
  reads (a silent server cannot make it miss the deadline);
* the **setup watchdog** ends a connection whose ``setupComplete`` never comes;
* after ``setupComplete`` the **replay** sends what the ledger kept, then the
  connection serves.

It never raises: every way a connection ends becomes an ``Exit`` the
supervisor classifies.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

import anyio
import anyio.abc

from .._errors import ConnectError, RemoteProtocolError
from .._events import GoingAway
from .._protocol._events import (
    CoreEvent,
    GoAwayReceived,
    HandleUpdated,
    MalformedFrame,
    MessageReceived,
    Ready,
    ToolCallIssued,
    ToolCallsCancelled,
    TurnCompleted,
    TurnStarted,
    UsageReported,
)
from .._protocol._messages import ServerContent, ServerMessage
from .._protocol._state import SessionStatus
from .._protocol._supervision import (
    Exit,
    ExitKind,
    classify_close,
    close_budget,
    rotation_deadline,
)
from .._transport import Transport, TransportClosed
from ._wakeup import Flag, Wakeup

if TYPE_CHECKING:
    from ._session import SessionActor

__all__ = ["Incarnation", "interrupted_boundary"]


def interrupted_boundary() -> ServerMessage:
    """The message that ends a turn cut by a lost connection in ``events()``.

    Like the server's own barge-in signal (``interrupted`` then
    ``turnComplete``): players flush what they buffered.  ``extra`` marks it as
    made by live_actor, not sent by the server.
    """
    return ServerMessage(
        server_content=ServerContent(interrupted=True, turn_complete=True),
        extra={"liveActor": {"cut": "connection_lost"}},
    )


class Incarnation:
    """What one connection's tasks share (see the module doc)."""

    def __init__(
        self, actor: SessionActor, number: int, transport: Transport, resuming: bool
    ) -> None:
        self.actor = actor
        self.number = number
        self.transport = transport
        self.resuming = resuming
        self.exit: Exit | None = None
        self.ready_at: float | None = None
        #: the earliest goAway deadline and the latest moment to rotate for it;
        #: each goAway that moves them wakes the rotation task (``_rotation``).
        self.go_away_at: float | None = None
        self.rotate_by: float | None = None
        self._rotation = Wakeup()
        self.rotate_now = Flag(self._rotation, on_set=self._start_rotation)
        #: the connection's task group while it serves; the rotation task starts in
        #: it on the first goAway or close (most connections never need it).
        self._tasks: anyio.abc.TaskGroup | None = None
        self._rotating = False
        #: woken at setupComplete (the setup watchdog's wait).
        self._ready = Wakeup()
        #: turns completed here, read when the connection ends (supervision rule 2).
        self.turns_completed = 0

    # ------------------------------------------------------------------ life

    async def serve(self, setup_frame: str) -> Exit:
        actor = self.actor
        try:
            await actor.pipe.send_frames([setup_frame])
        except TransportClosed as exc:
            return self._exit_for_close(exc)
        actor.observer.status(actor.core.status)
        async with anyio.create_task_group() as tg:
            self._tasks = tg
            tg.start_soon(self._reader, tg)
            tg.start_soon(self._setup_watchdog, tg)
            if actor.close_requested or self.rotate_now.is_set():
                self._start_rotation()
        self._tasks = None
        assert self.exit is not None
        return self.exit

    def _start_rotation(self) -> None:
        """Start the task that rotates after a goAway or closes for ``close()``, once."""
        tg = self._tasks
        if tg is None or self._rotating:
            return  # not serving yet (``serve`` starts it) or any more, or started
        self._rotating = True
        tg.start_soon(self._rotate_or_close, tg)

    def _end(self, tg: anyio.abc.TaskGroup, exit_: Exit) -> None:
        if self.exit is None:
            self.exit = exit_
        tg.cancel_scope.cancel()

    async def _setup_watchdog(self, tg: anyio.abc.TaskGroup) -> None:
        timeout = self.actor.options.setup_timeout
        with anyio.move_on_after(timeout):
            while self.ready_at is None:
                await self._ready.wait()
            return  # ready: nothing left to watch (the task ends, its memory too)
        if self.actor.core.status is SessionStatus.SETUP_PENDING:
            self._end(
                tg,
                Exit(
                    ExitKind.TRANSIENT,
                    reason=f"no setupComplete within {timeout:g}s",
                    error=ConnectError(f"timed out after {timeout:g}s waiting for setupComplete"),
                    during_setup=True,
                    resuming=self.resuming,
                ),
            )
            with anyio.CancelScope(shield=True):
                await self.transport.aclose(1000, "setup timeout", close_timeout=0.5)

    async def _reader(self, tg: anyio.abc.TaskGroup) -> None:
        receive = self.transport.receive
        core_receive = self.actor.core.receive
        frame_seen = self.actor.observer.frame
        perform = self._perform
        while True:
            try:
                frame = await receive()
            except TransportClosed as exc:
                self._end(tg, self._exit_for_close(exc))
                return
            frame_seen()
            try:
                events = core_receive(frame)
            except RemoteProtocolError as exc:
                # Core rule 3: the first reply was not setupComplete.
                self.actor.observer.log.warning("live_actor.session.connect_failed", error=str(exc))
                self._end(tg, Exit(ExitKind.FATAL, reason=str(exc), error=exc, during_setup=True))
                with anyio.CancelScope(shield=True):
                    await self.transport.aclose(1002, "expected setupComplete")
                return
            perform(events, tg)
            if self.go_away_at is not None and self.actor.core.safe_to_rotate:
                self.rotate_now.set()

    def _exit_for_close(self, exc: TransportClosed) -> Exit:
        actor = self.actor
        ready = self.ready_at is not None
        if exc.local and (actor.close_requested or self.exit is not None):
            kind = ExitKind.NORMAL if actor.close_requested else ExitKind.PLANNED
        else:
            kind = classify_close(
                exc.code,
                exc.reason,
                after_go_away=self.go_away_at is not None,
                local=exc.local,
                ready=ready,
            )
        return Exit(
            kind,
            code=exc.code,
            reason=exc.reason,
            during_setup=not ready,
            resuming=self.resuming,
            local=exc.local,
        )

    # ---------------------------------------------------------- core events

    def _perform(self, events: list[CoreEvent], tg: anyio.abc.TaskGroup) -> None:
        actor = self.actor
        for event in events:
            match event:
                case MessageReceived(message, size):
                    actor.delivery.message(message, size)
                case TurnStarted():
                    actor.observer.turn_started()
                case UsageReported(usage):
                    actor.observer.usage(usage)
                case TurnCompleted():
                    self.turns_completed += 1
                    actor.observer.turn_completed(event, actor.pipe.trigger_sent_at)
                    if actor.persist is not None:
                        actor.persist.changed()
                case HandleUpdated(update, stored):
                    actor.observer.log.debug(
                        "live_actor.session.resumption_update",
                        resumable=update.resumable,
                        has_handle=bool(update.new_handle),
                        stored=stored,
                        last_consumed=update.last_consumed_client_message_index,
                    )
                    actor.delivery.call("on_session_resumption", update, droppable=True)
                    if stored and actor.persist is not None:
                        actor.persist.changed()
                case ToolCallIssued(call, ids):
                    actor.observer.log.info(
                        "live_actor.session.tool_call",
                        names=[c.name for c in call.function_calls or ()],
                        ids=list(ids),
                    )
                    actor.tools.start(actor.task_group(), call, ids, actor.observer.log)
                    if actor.persist is not None:
                        actor.persist.changed()
                case ToolCallsCancelled(ids):
                    actor.observer.log.info(
                        "live_actor.session.tool_call_cancellation", ids=list(ids)
                    )
                    actor.tools.cancel(ids)
                    actor.delivery.call("on_tool_call_cancellation", ids)
                case GoAwayReceived(time_left):
                    self._go_away(time_left)
                case Ready(resumed):
                    self.ready_at = anyio.current_time()
                    self._ready.wake()
                    actor.observer.status(actor.core.status)
                    actor.observer.ready(resumed=resumed)
                    tg.start_soon(self._after_ready)
                case MalformedFrame(error, count):
                    actor.observer.log.warning(
                        "live_actor.session.malformed_frame",
                        error=str(error),
                        field=error.field,
                        count=count,
                    )
                    actor.delivery.error(error, droppable=True)

    def _go_away(self, time_left: float) -> None:
        actor = self.actor
        now = anyio.current_time()
        at = now + time_left
        if self.go_away_at is None or at < self.go_away_at:
            self.go_away_at = at
            self.rotate_by = rotation_deadline(at, time_left, actor.options.go_away_margin)
            self._rotation.wake()
            self._start_rotation()
        actor.observer.go_away(time_left)
        handle = actor.core.resumption_handle
        left = datetime.timedelta(seconds=time_left)
        actor.delivery.announce(
            GoingAway(time_left=left, resumption_handle=handle), "on_go_away", left, handle
        )

    async def _after_ready(self) -> None:
        """Send what the core says a ready connection needs first, then serve."""
        actor = self.actor
        core = actor.core
        stats = core.ledger.stats
        dropped_before = dict(stats.dropped_reasons)
        history = actor.options.history
        replay = core.replay(
            history=(
                list(history())
                if history is not None and not self.resuming and self.number > 1
                else None
            ),
            cut_policy=actor.options.cut_turn_policy,
        )
        try:
            await actor.pipe.send_frames(replay.frames)
        except TransportClosed:
            return  # the reader sees the close and ends the incarnation
        if replay.reasked or any(entry.turn for entry in replay.replayed):
            actor.pipe.note_trigger()
        if self.number > 1 or actor.restarts:
            dropped = {
                reason: count - dropped_before.get(reason, 0)
                for reason, count in stats.dropped_reasons.items()
                if count > dropped_before.get(reason, 0)
            }
            actor.resumed(self.resuming, replay, dropped)
        if actor.persist is not None:
            actor.persist.changed()
        actor.serving = True
        actor.notify()

    # ------------------------------------------------------------- rotation

    async def _rotate_or_close(self, tg: anyio.abc.TaskGroup) -> None:
        """goAway rotation at a safe point, always before the deadline; and the user's close."""
        actor = self.actor
        core = actor.core
        rotates = actor.policy.restart != "temporary"  # a temporary session cannot resume
        if actor.close_requested:  # close() came while this connection was dialled
            self.rotate_now.set()
        while not self.rotate_now.is_set():
            if self.rotate_by is None or not rotates:
                await self._rotation.wait()  # a goAway, or rotate_now
                continue
            if core.safe_to_rotate:
                break
            with anyio.move_on_at(self.rotate_by) as deadline:
                await self._rotation.wait()  # rotate_now, or an earlier goAway
            if deadline.cancelled_caught:
                break
        closing = actor.close_requested
        now = anyio.current_time()
        code = 1000
        if closing:
            await actor.pipe.drain(min(now + actor.options.shutdown_timeout, actor.close_by))
            code, reason = actor.close_frame
        else:
            core.begin_draining()
            actor.observer.rotating(
                safe_point=core.safe_to_rotate,
                time_left=max(0.0, (self.go_away_at or now) - now),
            )
            reason = "rotating after goAway"
        if self.exit is None:
            self.exit = Exit(
                ExitKind.NORMAL if closing else ExitKind.PLANNED,
                code=code,
                reason=reason,
                local=True,
            )
        # Close before resuming (the service rejects a resume while the old socket is
        # open), but never wait past the deadline for a silent server's close reply.
        # No send lock: a send in progress fails with TransportClosed and its entry
        # stays in the ledger, to be replayed.
        budget = close_budget(
            actor.options.transport.close_timeout,
            now=anyio.current_time(),
            closing=closing,
            close_by=actor.close_by,
            go_away_at=self.go_away_at,
        )
        with anyio.CancelScope(shield=True):
            await self.transport.aclose(code, reason, close_timeout=budget)
        if closing and actor.serving and self.transport.close_acknowledged:
            actor.closed_gracefully_on = self.number
        tg.cancel_scope.cancel()
