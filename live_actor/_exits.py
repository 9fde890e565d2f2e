"""Why a connection ended, and what the supervisor does about it.

Every exit is classified *before* any decision (OTP's words):

==========  ===============================================  =====================
kind        examples                                         action
==========  ===============================================  =====================
normal      the user closed the session                      stop
planned     goAway rotation, lifetime cut, 1000 after goAway  restart at once, free
transient   1006 drop, 1011, 1001, 1013, 1014, timeouts,      charge intensity,
            dial errors, HTTP 5xx/429 at the upgrade, our     back off, restart
            own 1002 (garbage frames from the server)
fatal       1007, 1008 (auth, policy, model not found),      stop with a typed
            HTTP 400/401/403/404 at the upgrade, setup        error, never loop
            rejected, first reply not setupComplete
crash       an unexpected exception in live_actor's code     charge intensity,
                                                             log, back off, restart
==========  ===============================================  =====================

A 1000 close without a goAway is the server ending the session on purpose
(for example the session duration limit): ``transient`` for the restart
types that restart abnormal exits is too eager, so it is ``normal_remote`` —
restarted only by ``permanent`` sessions.
"""

from __future__ import annotations

import enum

import attrs

__all__ = ["Exit", "ExitKind", "classify_close", "classify_http_status"]


class ExitKind(enum.StrEnum):
    NORMAL = "normal"
    NORMAL_REMOTE = "normal_remote"
    PLANNED = "planned"
    TRANSIENT = "transient"
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

    @property
    def cause(self) -> str:
        """A short loggable description (never contains secrets)."""
        if self.code is not None:
            return f"{self.kind} close {self.code}" + (f": {self.reason}" if self.reason else "")
        if self.error is not None:
            return f"{self.kind}: {type(self.error).__name__}: {self.error}"
        return str(self.kind)


_FATAL_CODES = frozenset({1002, 1003, 1007, 1008, 1010})
_TRANSIENT_CODES = frozenset({1001, 1006, 1009, 1011, 1012, 1013, 1014, 1015})


def classify_close(
    code: int, reason: str, *, after_go_away: bool, local: bool = False
) -> ExitKind:
    """Classify a WebSocket close (see the module table).

    A 1002 we sent ourselves (``local``: the server's framing was broken) says
    nothing about our request, so it is transient; from the server it is fatal.
    """
    if code == 1002 and local:
        return ExitKind.TRANSIENT
    if code == 1000:
        return ExitKind.PLANNED if after_go_away else ExitKind.NORMAL_REMOTE
    if code in _FATAL_CODES:
        return ExitKind.FATAL
    if code in _TRANSIENT_CODES or after_go_away:
        return ExitKind.PLANNED if after_go_away and code in (1001, 1006) else ExitKind.TRANSIENT
    # 4xxx application codes and anything unknown: retry with a budget.
    return ExitKind.TRANSIENT


def classify_http_status(status: int | None) -> ExitKind:
    """Classify a refused WebSocket upgrade (``None`` = network error / timeout)."""
    if status is None or status == 429 or status >= 500:
        return ExitKind.TRANSIENT
    return ExitKind.FATAL
