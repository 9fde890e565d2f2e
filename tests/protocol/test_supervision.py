"""The pure supervision rules: close classification, restart decisions, backoff,
intensity, rotation timing and close budgets, as tables and Hypothesis properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from live_actor import ConnectError, SessionClosedError, SetupRejectedError
from live_actor._protocol._supervision import (
    Action,
    Backoff,
    Exit,
    ExitKind,
    RestartBudget,
    RestartIntensity,
    RestartPolicy,
    classify_close,
    classify_http_status,
    close_budget,
    decide,
    restart_delay,
    rotation_deadline,
    was_useful,
)

K = ExitKind

# (code, reason, after_go_away, local, ready) -> kind
CLOSES = [
    (1000, "", False, False, True, K.NORMAL_REMOTE),
    (1000, "", True, False, True, K.PLANNED),
    (1001, "", True, False, True, K.PLANNED),
    (1006, "", True, False, True, K.PLANNED),
    (1006, "", True, True, True, K.PLANNED),  # a dead socket after goAway: as announced
    (1006, "", False, False, True, K.TRANSIENT),
    (1011, "Internal error occurred.", False, False, True, K.TRANSIENT),
    (1011, "keepalive ping timeout", False, True, True, K.TRANSIENT),
    (1007, "Request contains an invalid argument.", False, False, False, K.FATAL),
    (1007, "Request contains an invalid argument.", False, False, True, K.REJECTED),
    (1008, "Requested entity was not found.", False, False, False, K.FATAL),
    (1008, "Operation is not implemented, or supported, or enabled.", False, False, True,
     K.REJECTED),
    (1008, "Session duration limit exceeded.", False, False, True, K.NORMAL_REMOTE),
    (1007, "invalid UTF-8", False, True, False, K.TRANSIENT),  # ours: never the server's
    (1007, "invalid UTF-8", False, True, True, K.TRANSIENT),
    (1002, "", False, True, True, K.TRANSIENT),
    (1002, "", False, False, False, K.FATAL),
    (1009, "Message too big", False, False, True, K.TRANSIENT),
    (1009, "", False, True, True, K.TRANSIENT),
    (4000, "custom", False, False, True, K.TRANSIENT),
]


@pytest.mark.parametrize(("code", "reason", "after", "local", "ready", "kind"), CLOSES)
def test_close_classification_table(
    code: int, reason: str, after: bool, local: bool, ready: bool, kind: ExitKind
) -> None:
    assert classify_close(code, reason, after_go_away=after, local=local, ready=ready) is kind


@given(
    code=st.integers(1000, 4999),
    reason=st.text(max_size=20),
    after=st.booleans(),
    ready=st.booleans(),
)
def test_a_local_close_never_rejects_anything(
    code: int, reason: str, after: bool, ready: bool
) -> None:
    """Rule 1: only a close the server sent can reject a setup, a handle or a message."""
    kind = classify_close(code, reason, after_go_away=after, local=True, ready=ready)
    assert kind in (K.TRANSIENT, K.PLANNED)


@pytest.mark.parametrize(
    ("status", "kind"),
    [(None, K.TRANSIENT), (429, K.TRANSIENT), (503, K.TRANSIENT), (400, K.FATAL),
     (401, K.FATAL), (403, K.FATAL), (404, K.FATAL)],
)
def test_http_refusals(status: int | None, kind: ExitKind) -> None:
    assert classify_http_status(status) is kind


TRANSIENT = RestartPolicy()
TEMPORARY = RestartPolicy(restart="temporary")
PERMANENT = RestartPolicy(restart="permanent")


@pytest.mark.parametrize(
    ("exit_", "policy", "ever_ready", "closing", "useful", "action", "charged"),
    [
        (Exit(K.NORMAL, code=1000), TRANSIENT, True, False, False, Action.STOP, False),
        (Exit(K.TRANSIENT, code=1006), TRANSIENT, True, True, False, Action.STOP, False),
        (Exit(K.TRANSIENT, code=1006), TRANSIENT, False, False, False, Action.FAIL, False),
        (Exit(K.FATAL, code=1008, during_setup=True, resuming=True), TRANSIENT, True, False,
         False, Action.FRESH, True),
        (Exit(K.FATAL, code=1008, during_setup=True), TRANSIENT, True, False, False,
         Action.FAIL, False),
        (Exit(K.NORMAL_REMOTE, code=1000), TRANSIENT, True, False, False, Action.FAIL, False),
        (Exit(K.NORMAL_REMOTE, code=1000), PERMANENT, True, False, False, Action.RESTART, True),
        (Exit(K.TRANSIENT, code=1006), TEMPORARY, True, False, False, Action.FAIL, False),
        (Exit(K.PLANNED, code=1000), TRANSIENT, True, False, True, Action.RESTART, False),
        (Exit(K.PLANNED, code=1000), TRANSIENT, True, False, False, Action.RESTART, True),
        (Exit(K.TRANSIENT, code=1011), TRANSIENT, True, False, True, Action.RESTART, True),
        (Exit(K.REJECTED, code=1007), TRANSIENT, True, False, True, Action.RESTART, True),
        (Exit(K.CRASH), TRANSIENT, True, False, True, Action.RESTART, True),
    ],
)
def test_restart_decisions(
    exit_: Exit,
    policy: RestartPolicy,
    ever_ready: bool,
    closing: bool,
    useful: bool,
    action: Action,
    charged: bool,
) -> None:
    decision = decide(exit_, policy, ever_ready=ever_ready, closing=closing, useful=useful)
    assert (decision.action, decision.charged) == (action, charged)


def test_the_errors_decisions_carry() -> None:
    fatal = decide(Exit(K.FATAL, code=1008, reason="no"), TRANSIENT, ever_ready=True)
    assert isinstance(fatal.error, SetupRejectedError) and fatal.error.code == 1008
    first = decide(Exit(K.TRANSIENT, code=1006), TRANSIENT, ever_ready=False)
    assert isinstance(first.error, ConnectError) and not isinstance(
        first.error, SetupRejectedError
    )
    temporary = decide(Exit(K.TRANSIENT, code=1006), TEMPORARY, ever_ready=True)
    assert isinstance(temporary.error, SessionClosedError)


@given(
    kind=st.sampled_from(list(ExitKind)),
    restart=st.sampled_from(["permanent", "transient", "temporary"]),
    ever_ready=st.booleans(),
    closing=st.booleans(),
    useful=st.booleans(),
    during_setup=st.booleans(),
    resuming=st.booleans(),
)
def test_decisions_obey_the_rules(
    kind: ExitKind,
    restart: str,
    ever_ready: bool,
    closing: bool,
    useful: bool,
    during_setup: bool,
    resuming: bool,
) -> None:
    policy = RestartPolicy(restart=restart)  # type: ignore[arg-type]
    exit_ = Exit(kind, during_setup=during_setup, resuming=resuming)
    decision = decide(exit_, policy, ever_ready=ever_ready, closing=closing, useful=useful)
    if closing or kind is K.NORMAL:
        assert decision.action is Action.STOP
    elif not ever_ready:  # rule 5: the first connection is attempted once
        assert decision.action is Action.FAIL and decision.error is not None
    if decision.action is Action.RESTART:
        assert restart != "temporary"
        assert kind is not K.FATAL
        # rule 2: free only when planned after a useful connection
        assert decision.charged == (not (kind is K.PLANNED and useful))
    if decision.action is Action.FRESH:
        assert kind is K.FATAL and resuming and during_setup and decision.charged
    if decision.action is Action.FAIL:
        assert decision.error is not None


@given(
    now=st.floats(0, 1e6),
    draws=st.lists(st.floats(0, 0.999), min_size=1, max_size=30),
)
def test_backoff_stays_within_its_cap_and_intensity_counts_a_window(
    now: float, draws: list[float]
) -> None:
    values = iter(draws)
    budget = RestartBudget(
        Backoff(lambda: next(values, 0.5), base=0.5, cap=4.0), RestartIntensity(3, 10.0)
    )
    delays = [budget.charge(now + 0.001 * n) for n in range(len(draws))]
    given_up = [d is None for d in delays]
    assert given_up == [n >= 3 for n in range(len(draws))]  # > 3 in 10 s: give up
    assert all(d is None or 0 <= d <= 4.0 for d in delays)


def test_backoff_full_jitter_and_reset() -> None:
    draws = iter([1.0, 1.0, 1.0, 0.5, 1.0])
    backoff = Backoff(lambda: next(draws), base=0.5, cap=1.5)
    assert [backoff.next_delay() for _ in range(4)] == [0.5, 1.0, 1.5, 0.75]
    backoff.reset()
    assert backoff.next_delay() == 0.5


def test_intensity_forgets_restarts_older_than_its_period() -> None:
    intensity = RestartIntensity(2, 10.0)
    assert intensity.charge(0.0) and intensity.charge(1.0)
    assert not intensity.charge(2.0)
    assert intensity.charge(20.0)


@given(at=st.floats(0, 1e6), time_left=st.floats(0, 600), margin=st.floats(0, 10))
def test_rotation_lands_before_the_deadline_with_at_least_half_the_notice(
    at: float, time_left: float, margin: float
) -> None:
    latest = rotation_deadline(at, time_left, margin)
    assert latest <= at
    assert at - latest <= max(margin, 0) + 1e-9
    assert at - latest <= time_left / 2 + 1e-9  # never more than half the notice


@pytest.mark.parametrize(
    ("time_left", "margin", "before"),
    [(1.0, 2.0, 0.5), (10.0, 2.0, 2.0), (300.0, 2.0, 2.0), (0.0, 2.0, 0.0)],
)
def test_rotation_timing_table(time_left: float, margin: float, before: float) -> None:
    assert rotation_deadline(100.0, time_left, margin) == pytest.approx(100.0 - before)


@given(
    close_timeout=st.floats(0.001, 60),
    now=st.floats(0, 1e5),
    close_in=st.floats(-5, 60),
    go_away_in=st.one_of(st.none(), st.floats(-5, 600)),
    closing=st.booleans(),
)
def test_a_close_never_outlives_its_budgets(
    close_timeout: float, now: float, close_in: float, go_away_in: float | None, closing: bool
) -> None:
    go_away_at = None if go_away_in is None else now + go_away_in
    budget = close_budget(
        close_timeout, now=now, closing=closing, close_by=now + close_in, go_away_at=go_away_at
    )
    assert 0 <= budget <= close_timeout
    if closing:
        assert budget <= max(0.0, close_in) + 1e-9


@given(
    backoff=st.floats(0, 60),
    now=st.floats(0, 1e5),
    go_away_in=st.one_of(st.none(), st.floats(-5, 600)),
)
def test_a_backoff_never_eats_the_second_half_of_a_go_away_notice(
    backoff: float, now: float, go_away_in: float | None
) -> None:
    go_away_at = None if go_away_in is None else now + go_away_in
    delay = restart_delay(backoff, now=now, go_away_at=go_away_at)
    assert 0 <= delay <= backoff
    if go_away_in is None:
        assert delay == backoff
    else:
        assert now + delay <= now + max(0.0, go_away_in) / 2 + 1e-6


@pytest.mark.parametrize(
    ("backoff", "go_away_in", "delay"),
    [(0.49, None, 0.49), (0.49, 0.5, 0.25), (0.49, 10.0, 0.49), (3.0, -1.0, 0.0)],
)
def test_restart_delay_table(backoff: float, go_away_in: float | None, delay: float) -> None:
    go_away_at = None if go_away_in is None else 100.0 + go_away_in
    assert restart_delay(backoff, now=100.0, go_away_at=go_away_at) == pytest.approx(delay)


def test_a_connection_is_useful_after_a_turn_or_reset_after() -> None:
    assert not was_useful(ready_at=None, ended_at=5.0, turns_completed=3, reset_after=1.0)
    assert was_useful(ready_at=0.0, ended_at=0.1, turns_completed=1, reset_after=30.0)
    assert not was_useful(ready_at=0.0, ended_at=0.1, turns_completed=0, reset_after=30.0)
    assert was_useful(ready_at=0.0, ended_at=30.0, turns_completed=0, reset_after=30.0)
