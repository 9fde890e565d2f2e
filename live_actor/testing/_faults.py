"""Seeded random fault plans for chaos runs.

Why seeded per connection: a failing chaos run must be replayable.  Each connection
draws from ``random.Random(f"{seed}:{server_connection_number}")``, so the faults a
connection suffers depend only on the seed, its number and the messages it receives
(not on thread timing of other connections).

Draw points: once per client message after ``setup`` (the message is consumed first,
then the fault fires), and, if ``interval`` is set, once per ``interval`` seconds of
the server clock.  At most one fault fires per draw, in the order drop, 1011, goAway,
stall; ``max_faults`` bounds faults per connection; ``grace_messages`` protects the
first messages after setup so handshakes can complete.
"""

from __future__ import annotations

import random

import attrs

__all__ = ["FaultEvent", "FaultInjector", "FaultPlan"]


@attrs.frozen
class FaultPlan:
    """Probabilities (0..1) of each fault per draw, and their parameters."""

    seed: int = 0
    drop_rate: float = 0.0
    error_1011_rate: float = 0.0
    go_away_rate: float = 0.0
    stall_rate: float = 0.0
    stall_seconds: tuple[float, float] = (0.05, 0.5)
    go_away_time_left: tuple[float, float] = (0.05, 1.0)
    interval: float | None = None
    max_faults: int = 1_000_000
    grace_messages: int = 0

    def rng(self, connection_number: int) -> random.Random:
        """The connection's private random stream."""
        return random.Random(f"{self.seed}:{connection_number}")

    def draw(self, rng: random.Random) -> tuple[str, float] | None:
        """One draw: ``(kind, parameter)`` or None. Kinds: drop, 1011, go_away, stall."""
        x = rng.random()
        for kind, rate in (
            ("drop", self.drop_rate),
            ("1011", self.error_1011_rate),
            ("go_away", self.go_away_rate),
            ("stall", self.stall_rate),
        ):
            if x < rate:
                if kind == "stall":
                    return kind, rng.uniform(*self.stall_seconds)
                if kind == "go_away":
                    return kind, rng.uniform(*self.go_away_time_left)
                return kind, 0.0
            x -= rate
        return None


@attrs.frozen
class FaultEvent:
    """A fault that was applied (injected by a test or drawn from a plan)."""

    time: float
    server_connection: int
    session_id: str | None
    kind: str
    parameter: float = 0.0
    planned: bool = False


class FaultInjector:
    """One connection's side of the fault plans: its seeded stream and its fault count.

    The stream restarts when the plan is replaced (``server.set_fault_plan``), so a
    connection's faults depend only on the plan, its number and its messages.
    """

    def __init__(self, connection_number: int) -> None:
        self._number = connection_number
        self._rng: random.Random | None = None
        self._plan: FaultPlan | None = None
        #: Planned faults applied so far on this connection.
        self.applied = 0

    def draw(self, plan: FaultPlan | None, *, messages: int | None) -> tuple[str, float] | None:
        """One draw of ``plan``; ``messages`` = client messages after setup (None: a tick)."""
        if plan is None or self.applied >= plan.max_faults:
            return None
        if messages is not None and messages <= plan.grace_messages:
            return None
        if self._rng is None or self._plan is not plan:
            self._rng = plan.rng(self._number)
            self._plan = plan
        drawn = plan.draw(self._rng)
        if drawn is not None:
            self.applied += 1
        return drawn
