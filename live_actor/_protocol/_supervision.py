"""Supervision rules: why a connection ended, and what to do about it (pure).

Every exit is classified *before* any decision (OTP's words):

==============  ==============================================  ======================
kind            examples                                        action
==============  ==============================================  ======================
normal          the user closed the session                     stop
normal_remote   the server closed with 1000 without a goAway    stop (``permanent``:
                (e.g. a session limit)                          restart, charged)
planned         goAway rotation, 1000/1001/1006 after a goAway  restart at once; free
                                                                only after a useful
                                                                connection
transient       1006 drop, 1011, 1001, 1013, 1014, 1009,        charge, back off,
                timeouts, dial errors, HTTP 5xx/429, and every  restart
                close *we* made (1002, 1007, 1009 of our own
                WebSocket library)
rejected        the server closed with 1007/1008 after          drop the message that
                ``setupComplete``: it refused a message         caused it, charge,
                                                                restart
fatal           1007, 1008 (auth, policy, model not found),     stop with a typed
                HTTP 4xx at the upgrade, setup rejected, first  error, never loop
                reply not ``setupComplete``, a certificate the
                client refuses
crash           an unexpected exception in live_actor's code    charge, log, restart
==============  ==============================================  ======================

Rules:

1. Only a close the *server* sent can reject a setup, a handle or a message.  A
   close our own WebSocket library made (invalid UTF-8 from the server: 1007;
   broken framing: 1002; an oversized message: 1009) says nothing about our
   request: it is transient.
2. A restart is free (not charged, no backoff) only when it is planned and the
   connection was useful: ready and a turn completed, or ready for
   ``reset_after`` seconds.  Anything else is charged, so a server that says
   goAway after every setup cannot make the client reconnect in a loop.
3. More than ``max_restarts`` charged restarts within ``period`` seconds gives
   up (restart intensity); backoff is full-jitter exponential, reset once a
   connection stayed ready for ``reset_after`` seconds.
4. A resuming setup the server rejects (expired or unknown handle) falls back
   to a fresh session once, charged; a fresh setup it rejects is fatal.
5. The first connection of a session is attempted once: its failure is what
   ``connect()`` raises.  Restarts apply once the session was ready.
6. A goAway deadline bounds the backoff: a restart after a goAway waits at most
   half the time left before that deadline (the other half is for dialling and
   setup), and not at all once it has passed.  A charged rotation still counts
   against the restart intensity, so a goAway after every setup still gives up.

Time is passed in (``now``) and randomness injected (``random``): nothing
here reads a clock or draws a number of its own.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Final, Literal

import attrs

from .._errors import (
    ConnectError,
    LiveError,
    RemoteProtocolError,
    SessionClosedError,
    SetupRejectedError,
)
from .._validators import at_least, callable_or_none, one_of, positive

__all__ = [
    "Action",
    "Backoff",
    "Decision",
    "Exit",
    "ExitKind",
    "RestartBudget",
    "RestartIntensity",
    "RestartPolicy",
    "RestartType",
    "classify_close",
    "classify_http_status",
    "close_budget",
    "decide",
    "restart_delay",
    "rotation_deadline",
    "was_useful",
]

RestartType = Literal["permanent", "transient", "temporary"]


class ExitKind(enum.StrEnum):
    NORMAL = "normal"
    NORMAL_REMOTE = "normal_remote"
    PLANNED = "planned"
    TRANSIENT = "transient"
    REJECTED = "rejected"
    FATAL = "fatal"
    CRASH = "crash"


@attrs.frozen
class Exit:
    """The end of one connection incarnation."""

    kind: ExitKind
    code: int | None = None
    reason: str = ""
    #: the exception behind a crash or a fatal handshake, if any.
    error: BaseException | None = attrs.field(default=None, eq=False, repr=False)
    #: the connection never reached READY.
    during_setup: bool = False
    #: the failed connection was resuming with a handle.
    resuming: bool = False
    #: the close was made on our side (rule 1).
    local: bool = False

    @property
    def cause(self) -> str:
        """A short loggable description (never contains secrets)."""
        if self.code is not None:
            return f"{self.kind} close {self.code}" + (f": {self.reason}" if self.reason else "")
        if self.error is not None:
            return f"{self.kind}: {type(self.error).__name__}: {self.error}"
        return str(self.kind)


_REFUSAL_CODES: Final = frozenset({1002, 1003, 1007, 1008, 1010})
_TRANSIENT_CODES: Final = frozenset({1001, 1006, 1009, 1011, 1012, 1013, 1014, 1015})
#: Reasons of a 1008 after setup that end the session on purpose (not a refused message).
_SESSION_ENDED: Final = ("duration limit",)


def classify_close(
    code: int,
    reason: str,
    *,
    after_go_away: bool = False,
    local: bool = False,
    ready: bool = False,
) -> ExitKind:
    """Classify a WebSocket close (see the module table; ``ready``: after ``setupComplete``)."""
    if after_go_away and code in (1000, 1001, 1006):
        return ExitKind.PLANNED  # the connection ended as announced, however it ended
    if local:
        return ExitKind.TRANSIENT  # rule 1
    if code == 1000:
        return ExitKind.NORMAL_REMOTE
    if code in _REFUSAL_CODES:
        if not ready:
            return ExitKind.FATAL
        if any(text in reason.lower() for text in _SESSION_ENDED):
            return ExitKind.NORMAL_REMOTE
        return ExitKind.REJECTED
    # 1001, 1006, 1011 ..., 4xxx application codes and anything unknown: retry with a budget.
    return ExitKind.TRANSIENT


def classify_http_status(status: int | None) -> ExitKind:
    """Classify a refused WebSocket upgrade (``None`` = network error / timeout)."""
    if status is None or status == 429 or status >= 500:
        return ExitKind.TRANSIENT
    return ExitKind.FATAL


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

    restart: RestartType = attrs.field(
        default="transient", validator=one_of("permanent", "transient", "temporary")
    )
    max_restarts: int = attrs.field(default=5, validator=at_least(0, integer=True))
    period: float = attrs.field(default=60.0, validator=positive())
    backoff_base: float = attrs.field(default=0.5, validator=at_least(0))
    backoff_max: float = attrs.field(default=15.0, validator=at_least(0))
    reset_after: float = attrs.field(default=30.0, validator=at_least(0))
    random: Callable[[], float] | None = attrs.field(
        default=None, repr=False, validator=callable_or_none
    )


@attrs.define
class Backoff:
    """Full-jitter exponential backoff: ``uniform(0, min(cap, base * 2**attempt))``.

    See "Exponential Backoff And Jitter" (AWS architecture blog): full jitter
    spreads many clients restarting after one outage.
    """

    random: Callable[[], float]
    base: float = 0.5
    cap: float = 15.0
    attempt: int = 0

    def next_delay(self) -> float:
        ceiling: float = min(self.cap, self.base * (2.0**self.attempt))
        self.attempt += 1
        return float(self.random()) * ceiling

    def reset(self) -> None:
        self.attempt = 0


@attrs.define
class RestartIntensity:
    """OTP's restart intensity: more than ``max_restarts`` in ``period`` seconds -> give up."""

    max_restarts: int = 5
    period: float = 60.0
    #: a list, not a deque (56 B empty, not ~600): it never holds more than
    #: ``max_restarts + 1`` times.
    _times: list[float] = attrs.field(factory=list, init=False)

    def charge(self, now: float) -> bool:
        """Record a restart at ``now``; ``False`` means the budget is exhausted."""
        while self._times and now - self._times[0] > self.period:
            del self._times[0]
        self._times.append(now)
        return len(self._times) <= self.max_restarts

    @property
    def recent(self) -> int:
        return len(self._times)


@attrs.define
class RestartBudget:
    """Backoff and intensity of one session, charged together (rule 3)."""

    backoff: Backoff
    intensity: RestartIntensity

    @classmethod
    def for_policy(cls, policy: RestartPolicy, random: Callable[[], float]) -> RestartBudget:
        return cls(
            Backoff(policy.random or random, base=policy.backoff_base, cap=policy.backoff_max),
            RestartIntensity(policy.max_restarts, policy.period),
        )

    def charge(self, now: float) -> float | None:
        """The delay before a charged restart, or ``None`` once the budget is spent."""
        if not self.intensity.charge(now):
            return None
        return self.backoff.next_delay()


class Action(enum.StrEnum):
    STOP = "stop"  # end the session without an error
    FAIL = "fail"  # end the session with ``Decision.error``
    FRESH = "fresh"  # the handle was rejected: dial again without it (rule 4)
    RESTART = "restart"


@attrs.frozen
class Decision:
    action: Action
    #: counts against the restart intensity and backs off (rule 2).
    charged: bool = False
    error: LiveError | None = None


def decide(
    exit_: Exit,
    policy: RestartPolicy,
    *,
    ever_ready: bool,
    closing: bool = False,
    useful: bool = False,
) -> Decision:
    """What the supervisor does after ``exit_`` (rules 2, 4 and 5; intensity is the caller's)."""
    kind = exit_.kind
    if closing or kind is ExitKind.NORMAL:
        return Decision(Action.STOP)
    if not ever_ready:
        return Decision(Action.FAIL, error=first_connect_error(exit_))
    if exit_.during_setup and exit_.resuming and kind is ExitKind.FATAL:
        return Decision(Action.FRESH, charged=True)
    if kind is ExitKind.FATAL:
        return Decision(
            Action.FAIL,
            error=SetupRejectedError(
                f"the server rejected the session: {exit_.cause}",
                code=exit_.code,
                reason=exit_.reason,
                status=getattr(exit_.error, "status", None),
            ),
        )
    restart = policy.restart
    if restart == "temporary" or (kind is ExitKind.NORMAL_REMOTE and restart != "permanent"):
        return Decision(
            Action.FAIL,
            error=SessionClosedError(
                f"the connection ended ({exit_.cause}) and restart={restart!r}",
                code=exit_.code,
                reason=exit_.reason,
            ),
        )
    return Decision(Action.RESTART, charged=not (kind is ExitKind.PLANNED and useful))


def first_connect_error(exit_: Exit) -> LiveError:
    """What ``connect()`` raises when the first connection failed (rule 5)."""
    error = exit_.error
    if isinstance(error, LiveError) and not isinstance(error, RemoteProtocolError):
        return error
    if exit_.kind is ExitKind.FATAL:
        return SetupRejectedError(
            f"connect failed: {exit_.cause}", code=exit_.code, reason=exit_.reason
        )
    return ConnectError(f"connect failed: {exit_.cause}", code=exit_.code, reason=exit_.reason)


def was_useful(
    *, ready_at: float | None, ended_at: float, turns_completed: int, reset_after: float
) -> bool:
    """Rule 2: was this connection worth a free planned restart?"""
    if ready_at is None:
        return False
    return turns_completed > 0 or ended_at - ready_at >= reset_after


def rotation_deadline(go_away_at: float, time_left: float, margin: float) -> float:
    """The latest moment to rotate after a goAway received with ``time_left`` seconds.

    ``margin`` (``SessionOptions.go_away_margin``) before the deadline, but
    never more than half the notice: a 1 s notice still leaves 0.5 s to wait
    for a safe point, a 300 s notice waits up to 298 s.
    """
    return go_away_at - min(margin, max(0.0, time_left) / 2)


def restart_delay(backoff: float, *, now: float, go_away_at: float | None) -> float:
    """Rule 6: the wait before a restart, never past half the time left before a
    goAway deadline (``go_away_at``; ``None`` when no goAway came)."""
    if go_away_at is None:
        return backoff
    return min(backoff, max(0.0, (go_away_at - now) / 2))


def close_budget(
    close_timeout: float,
    *,
    now: float,
    closing: bool,
    close_by: float,
    go_away_at: float | None,
) -> float:
    """How long a closing handshake may take: never past the user's close deadline,
    nor past half the time left before a goAway deadline (the next connection
    must be ready by then)."""
    budget = close_timeout
    if closing:
        budget = min(budget, max(0.0, close_by - now))
    elif go_away_at is not None:
        budget = min(budget, max(0.05, (go_away_at - now) / 2))
    return budget
