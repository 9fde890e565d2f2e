"""Timing profiles: when the fake sends resumption updates, and how its messages look.

Why profiles: a client's continuity logic passes against instant answers and handles
that arrive in the same burst as ``turnComplete``, and breaks against the service's
real timing (``wire-protocol.md §13.1``).  Each profile reproduces one observed
behaviour, so the same client test can run against all of them:

=======  ==========================================================================
dev      Developer API: an empty ``sessionResumptionUpdate {}`` when a turn starts
         (and whenever the model is busy), then ``{newHandle, resumable: true}``
         right after ``turnComplete`` (the default)
vertex   Vertex AI: every update is resumable, also mid-answer (one when a turn
         starts); after each ``turnComplete`` the handle comes 20-70 ms later
         (seeded per connection, on the server clock, so a virtual clock works)
3.x      3.x models: as ``dev``, plus a resumable handle right after each consumed
         ``toolResponse`` (before the answer), updates even when the setup did not
         ask for ``sessionResumption``, several parts per message, and
         ``interactionStatus`` with every ``turnComplete``
=======  ==========================================================================

Every profile sends a resumable handle right after ``setupComplete`` (the connection
is idle then).  ``busy_resumption_update="resumable_false"`` restores the fake's
older busy update ``{"resumable": false}`` instead of ``{}`` (dev and 3.x).
"""

from __future__ import annotations

from typing import Final, Literal

import attrs

__all__ = ["PROFILES", "ProfileName", "TimingProfile"]

ProfileName = Literal["dev", "vertex", "3.x"]


@attrs.frozen(kw_only=True)
class TimingProfile:
    """One service behaviour (see the module docstring)."""

    name: ProfileName
    #: Updates while the model works are resumable too (Vertex).
    always_resumable: bool = False
    #: Seconds after ``turnComplete`` before its handle goes out (min, max).
    handle_delay: tuple[float, float] = (0.0, 0.0)
    #: A resumable handle right after a consumed ``toolResponse``.
    handle_after_tool_response: bool = False
    #: Updates go out even without ``setup.sessionResumption``.
    unrequested_updates: bool = False
    #: Parts (and transcripts) per ``serverContent`` message at least.
    parts_per_message: int = 1
    #: ``interactionStatus`` with every ``turnComplete``.
    interaction_status: bool = False


PROFILES: Final[dict[str, TimingProfile]] = {
    "dev": TimingProfile(name="dev"),
    "vertex": TimingProfile(name="vertex", always_resumable=True, handle_delay=(0.02, 0.07)),
    "3.x": TimingProfile(
        name="3.x",
        handle_after_tool_response=True,
        unrequested_updates=True,
        parts_per_message=3,
        interaction_status=True,
    ),
}
