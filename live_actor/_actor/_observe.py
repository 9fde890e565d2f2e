"""What operators see: the session's log events, with the timings that answer their questions.

One place turns the actor's moments (a dial, setup complete, a turn's first
output and end, a goAway, an exit, a resume) into the stable events listed in
``live_actor._log.EVENTS`` and documented in ``docs/logs.md``: time to ready,
time to first response and duration of each turn, tokens per turn, downtime
of each reconnect, what was replayed and why something was dropped.  It keeps
only timestamps and counters, never user content (text, audio, tool
arguments), and logs nothing per audio chunk.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final

import anyio
import sniffio

from .._protocol._events import TurnCompleted
from .._protocol._ledger import Entry, LedgerStats
from .._protocol._messages import (
    ActivityEnd,
    ActivityStart,
    ClientContent,
    ContextUpdate,
    RealtimeInput,
    ToolResponse,
    UsageMetadata,
)
from .._protocol._supervision import Exit
from .._protocol._usage import Usage

if TYPE_CHECKING:
    from .._telemetry._otel import SessionTelemetry

__all__ = ["Observer", "kind_of"]

#: At most this many ledger ids are listed in one ``resumed`` event.
MAX_LISTED_IDS: Final = 100


def kind_of(entry: Entry) -> str:
    """The ledger kind of a command, as ``replayed_by_kind`` names it."""
    message = entry.message
    if isinstance(message, RealtimeInput):
        if message.audio is not None:
            return "audio"
        if message.video is not None:
            return "video"
        if message.media_chunks is not None:
            return "media_chunks"
        if message.text is not None:
            return "realtime_text"
        if isinstance(message.activity_start, ActivityStart) or isinstance(
            message.activity_end, ActivityEnd
        ):
            return "activity"
        return "realtime_input"
    if isinstance(message, ClientContent):
        return "client_content"
    if isinstance(message, ToolResponse):
        return "tool_response"
    if isinstance(message, ContextUpdate):
        return "context_update"
    return type(message).__name__


def _loop_clock() -> Callable[[], float]:
    """``anyio.current_time`` of the running loop, minus anyio's per-call backend lookup."""
    library = sniffio.current_async_library()
    if library == "asyncio":
        return asyncio.get_running_loop().time
    if library == "trio":
        import trio

        return trio.current_time
    return anyio.current_time


def _tokens(usage: UsageMetadata | None) -> dict[str, Any]:
    if usage is None:
        return {"prompt_tokens": None, "response_tokens": None, "total_tokens": None}
    return {
        "prompt_tokens": usage.prompt_token_count,
        "response_tokens": usage.response_token_count,
        "total_tokens": usage.total_token_count,
    }


def _by_modality(usage: UsageMetadata | None) -> dict[str, dict[str, int]]:
    result: dict[str, dict[str, int]] = {"prompt": {}, "response": {}}
    if usage is None:
        return result
    for side, details in (
        ("prompt", usage.prompt_tokens_details),
        ("response", usage.response_tokens_details),
    ):
        for detail in details or ():
            key = str(detail.modality or "MODALITY_UNSPECIFIED")
            result[side][key] = result[side].get(key, 0) + (detail.token_count or 0)
    return result


class Observer:
    """Timings and counters of one session, logged as stable events."""

    def __init__(self, log: Any, telemetry: SessionTelemetry | None = None) -> None:
        self._log = log
        #: OpenTelemetry hooks (``None``: off, or the ``otel`` extra is absent).
        self.telemetry = telemetry
        self.connection = 0
        self._dial_at: float | None = None
        self._first_output_at: float | None = None
        #: the last frame of the connection that ended (downtime starts there).
        self._last_good_at: float | None = None
        self._last_frame_at: float | None = None
        #: the clock ``frame()`` reads, once per server frame.
        self._clock: Callable[[], float] = anyio.current_time
        self._go_away_at: float | None = None
        self._go_away_notice: float | None = None
        self.exit_cause = ""
        self.restarts_by_kind: Counter[str] = Counter()
        self._ledger_full = 0

    @property
    def log(self) -> Any:
        """The session's logger, bound to the current connection number."""
        return self._log.bind(connection=self.connection)

    def ledger_full(self, reason: str, entry: Entry) -> None:
        """The ledger let a message go (its rule 9): logged at 1, 100, 10 000, then
        every 100 000, with the running count."""
        self._ledger_full += 1
        count = self._ledger_full
        if count in (1, 100, 10_000) or count % 100_000 == 0:
            self.log.warning(
                "live_actor.session.ledger_full",
                reason=reason,
                id=entry.seq,
                kind=kind_of(entry),
                bytes=entry.size,
                count=count,
            )

    # ------------------------------------------------------------ connection

    def connecting(self, number: int, *, url: str, resuming: bool) -> None:
        self.connection = number
        self._clock = _loop_clock()
        self._dial_at = anyio.current_time()
        self._go_away_at = self._go_away_notice = None
        self.log.info("live_actor.session.connect", url=url, resuming=resuming)
        if self.telemetry is not None:
            self.telemetry.connecting(number, url=url, resuming=resuming)

    def frame(self) -> None:
        self._last_frame_at = self._clock()

    def ready(self, *, resumed: bool) -> None:
        now = anyio.current_time()
        self._last_frame_at = now
        self.log.info(
            "live_actor.session.setup_complete",
            resumed=resumed,
            time_to_ready=None if self._dial_at is None else round(now - self._dial_at, 6),
        )
        if self.telemetry is not None:
            ready_in = None if self._dial_at is None else now - self._dial_at
            self.telemetry.ready(resumed=resumed, time_to_ready=ready_in)

    def status(self, status: object) -> None:
        self.log.debug("live_actor.session.status", status=str(status))
        if self.telemetry is not None:
            self.telemetry.status(str(status))

    def turn_started(self) -> None:
        self._first_output_at = anyio.current_time()

    def turn_completed(self, event: TurnCompleted, trigger_sent_at: float | None) -> None:
        now = anyio.current_time()
        first = self._first_output_at
        self._first_output_at = None
        ttfr = None
        if first is not None and trigger_sent_at is not None and trigger_sent_at <= first:
            ttfr = round(first - trigger_sent_at, 6)
        self.log.info(
            "live_actor.session.turn_complete",
            turn=event.turn,
            time_to_first_response=ttfr,
            duration=None if first is None else round(now - first, 6),
            tokens_by_modality=_by_modality(event.usage),
            interrupted=event.interrupted,
            cut=event.cut,
            **_tokens(event.usage),
        )
        if self.telemetry is not None:
            self.telemetry.turn_completed(
                event.usage,
                time_to_first_response=ttfr,
                duration=None if first is None else now - first,
                cut=event.cut,
            )

    def usage(self, usage: UsageMetadata) -> None:
        self.log.debug("live_actor.session.usage", **_tokens(usage))

    def go_away(self, time_left: float) -> None:
        now = anyio.current_time()
        if self._go_away_at is None:
            self._go_away_at, self._go_away_notice = now, time_left
        self.log.info("live_actor.session.go_away", time_left=time_left)
        if self.telemetry is not None:
            self.telemetry.go_away(time_left)

    def rotating(self, *, safe_point: bool, time_left: float) -> None:
        waited = None
        if self._go_away_at is not None:
            waited = round(anyio.current_time() - self._go_away_at, 6)
        self.log.info(
            "live_actor.supervisor.rotating",
            notice=self._go_away_notice,
            waited=waited,
            safe_point=safe_point,
            time_left=round(time_left, 3),
        )
        if self.telemetry is not None:
            self.telemetry.rotating(safe_point=safe_point, waited=waited, time_left=time_left)

    # ------------------------------------------------------------ supervision

    def exited(self, exit_: Exit) -> None:
        self._last_good_at = self._last_frame_at
        self.exit_cause = exit_.cause
        level = self._log.error if exit_.kind == "crash" else self._log.info
        level(
            "live_actor.supervisor.exit",
            connection=self.connection,
            kind=str(exit_.kind),
            code=exit_.code,
            reason=exit_.reason,
            during_setup=exit_.during_setup,
            cause=exit_.cause,
        )
        if self.telemetry is not None:
            self.telemetry.exited(
                str(exit_.kind),
                code=exit_.code,
                cause=exit_.cause,
                during_setup=exit_.during_setup,
                error=exit_.error,
            )

    def reconnecting(self, *, attempt: int, delay: float, exit_: Exit) -> None:
        self.restarts_by_kind[str(exit_.kind)] += 1
        self.log.info(
            "live_actor.supervisor.reconnecting",
            attempt=attempt,
            delay=round(delay, 3),
            cause=exit_.cause,
            kind=str(exit_.kind),
        )
        if self.telemetry is not None:
            self.telemetry.reconnecting(str(exit_.kind))

    def resumed(
        self,
        *,
        state_restored: bool,
        replayed: Iterable[Entry],
        dropped: Mapping[str, int],
        reseeded_turns: int,
        reasked: int = 0,
    ) -> None:
        now = anyio.current_time()
        entries = list(replayed)
        by_kind = Counter(kind_of(entry) for entry in entries)
        self.log.info(
            "live_actor.supervisor.resumed",
            state_restored=state_restored,
            cause=self.exit_cause,
            downtime=None if self._last_good_at is None else round(now - self._last_good_at, 6),
            replayed=len(entries),
            replayed_by_kind=dict(by_kind),
            replayed_ids=[entry.seq for entry in entries[:MAX_LISTED_IDS]],
            dropped=sum(dropped.values()),
            dropped_reasons=dict(dropped),
            reseeded_turns=reseeded_turns,
            reasked=reasked,
        )
        if self.telemetry is not None:
            self.telemetry.resumed(
                replayed_by_kind=by_kind,
                dropped=dropped,
                downtime=None if self._last_good_at is None else now - self._last_good_at,
                state_restored=state_restored,
            )

    def closed(
        self,
        *,
        code: int | None,
        reason: str,
        error: BaseException | None,
        final_status: str,
        dropped: int,
        ledger: LedgerStats,
        usage: Usage,
        restarts: int,
    ) -> None:
        self.log.info(
            "live_actor.session.closed",
            code=code,
            reason=reason,
            error=str(error) if error else None,
            final_status=final_status,
            connections=self.connection,
            restarts=restarts,
            restarts_by_cause=dict(self.restarts_by_kind),
            dropped=dropped,
            ledger={
                "accepted": ledger.accepted,
                "sent": ledger.sent,
                "queued": ledger.queued,
                "replayed": ledger.replayed,
                "confirmed": ledger.confirmed,
                "dropped": ledger.dropped,
                "dropped_media": ledger.dropped_media,
                "forgotten": ledger.forgotten,
                "unconfirmed_at_close": ledger.unconfirmed_at_close,
            },
            usage={
                "turns": usage.turns,
                "prompt_tokens": usage.prompt_token_count,
                "response_tokens": usage.response_token_count,
                "total_tokens": usage.total_token_count,
            },
            usage_total_tokens=usage.total_token_count,
        )
        if self.telemetry is not None:
            self.telemetry.closed(
                code=code,
                error=error,
                final_status=final_status,
                connections=self.connection,
                restarts=restarts,
                replayed=ledger.replayed,
                dropped_reasons=ledger.dropped_reasons,
                usage=usage,
            )
