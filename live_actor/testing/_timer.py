"""The clock of one connection: goAway, the lifetime cut, duration limits, timed faults.

Rules (server clock; a virtual clock works the same):

* the lifetime starts at ``setupComplete`` (a slow handshake, or a virtual clock
  jumping while the server waits for the setup, must not put a goAway before it);
* ``goAway`` goes out ``go_away_notice`` before the cut; when the timer wakes late
  because the clock jumped, the notice is still given in full (the cut moves), as the
  service promises;
* at the cut: close 1000 ``""`` (or an abrupt drop with ``go_away_cut="drop"``);
* a session without ``contextWindowCompression`` ends at its duration limit (audio,
  or the shorter video limit once video was sent) with 1008;
* with ``FaultPlan.interval``, one fault draw per interval while the connection is
  ready.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from typing import Any, Final

import trio

from ._faults import FaultPlan
from ._session import FakeSession
from ._settings import FakeServerSettings
from ._wire import format_duration

__all__ = ["ConnectionTimer"]

#: A goAway timer firing later than this means the clock jumped.
CLOCK_JUMP: Final = 0.05


class ConnectionTimer:
    """Deadlines of one connection, and the task that acts on them."""

    def __init__(
        self,
        *,
        settings: FakeServerSettings,
        opened_at: float,
        emit: Callable[[dict[str, Any]], Awaitable[None]],
        on_session_limit: Callable[[], None],
        on_cut: Callable[[], None],
        on_tick: Callable[[], None],
    ) -> None:
        self._settings = settings
        self._opened_at = opened_at
        self._emit = emit
        self._session: FakeSession | None = None
        self._limited = False
        self._on_session_limit = on_session_limit
        self._on_cut = on_cut
        self._on_tick = on_tick
        self.go_away_sent = False
        self._wakeup = trio.Event()
        self._cut_at = math.inf
        self._go_away_at = math.inf

    def wake(self) -> None:
        """Re-read the deadlines (the session limit may have changed)."""
        self._wakeup.set()

    def _session_deadline(self) -> float:
        session = self._session
        if session is None or not self._limited:
            return math.inf
        settings = self._settings
        limit = settings.session_limit_video if session.used_video else settings.session_limit_audio
        return session.created_at + limit if limit else math.inf

    def start_lifetime(self, session: FakeSession, *, compression: bool) -> None:
        """The setup succeeded: the connection's lifetime starts now.

        Without ``compression`` the session's duration limit applies.

        The caller wakes the timer (:meth:`wake`) once ``setupComplete`` is queued,
        so that a short lifetime cannot put its goAway first.
        """
        self._session = session
        self._limited = not compression
        lifetime = self._settings.connection_lifetime
        if lifetime:
            self._cut_at = trio.current_time() + lifetime
            self._go_away_at = self._cut_at - self._settings.go_away_notice

    async def go_away(self, time_left: float, cut: bool) -> None:
        """An injected goAway: sent now; with ``cut`` the connection ends after it."""
        self.go_away_sent = True
        await self._emit({"goAway": {"timeLeft": format_duration(time_left)}})
        if cut:
            self._cut_at = min(self._cut_at, trio.current_time() + time_left)
            self._wakeup.set()

    async def run(self, plan: FaultPlan | None) -> None:
        """The timer task; returns after the cut or the session limit."""
        interval = plan.interval if plan is not None else None
        next_tick = self._opened_at + interval if interval else math.inf
        while True:
            now = trio.current_time()
            deadline = min(self._cut_at, next_tick)
            if not self.go_away_sent:
                deadline = min(deadline, self._go_away_at)
            session_deadline = self._session_deadline()
            deadline = min(deadline, session_deadline)
            if deadline > now:
                with trio.move_on_at(deadline):
                    await self._wakeup.wait()
                self._wakeup = trio.Event()
                continue
            if now >= session_deadline:
                self._on_session_limit()
                return
            if not self.go_away_sent and now >= self._go_away_at:
                self.go_away_sent = True
                if now - self._go_away_at > CLOCK_JUMP:
                    self._cut_at = max(self._cut_at, now + self._settings.go_away_notice)
                    left = self._cut_at - now
                else:  # report the configured notice (the timer may fire a hair late)
                    left = self._cut_at - self._go_away_at
                await self._emit({"goAway": {"timeLeft": format_duration(left)}})
                continue
            if now >= self._cut_at:
                self._on_cut()
                return
            if interval and now >= next_tick:
                next_tick = now + interval
                self._on_tick()
