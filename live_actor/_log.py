"""Logging: one structlog logger and the stable event names operators grep for.

live_actor never configures structlog: applications decide where logs go and
how they look.  Events are bound with ``session_id``, ``model`` and
``connection`` (the attempt number).  No event ever carries a credential:
URLs are logged redacted and headers never.
"""

from __future__ import annotations

from typing import Final

import structlog

__all__ = ["EVENTS", "get_logger"]

#: Every event name live_actor emits, for documentation and tests.
EVENTS: Final = (
    "live_actor.session.status",
    "live_actor.session.connect",
    "live_actor.session.connect_failed",
    "live_actor.session.setup_complete",
    "live_actor.session.go_away",
    "live_actor.session.resumption_update",
    "live_actor.session.tool_call",
    "live_actor.session.tool_call_cancellation",
    "live_actor.session.tool_error",
    "live_actor.session.tool_result",
    "live_actor.session.turn_complete",
    "live_actor.session.usage",
    "live_actor.session.malformed_frame",
    "live_actor.session.message_rejected",
    "live_actor.session.message_too_big",
    "live_actor.session.callback_error",
    "live_actor.session.callback_overflow",
    "live_actor.session.event_overflow",
    "live_actor.session.closed",
    "live_actor.supervisor.rotating",
    "live_actor.supervisor.exit",
    "live_actor.supervisor.reconnecting",
    "live_actor.supervisor.resumed",
    "live_actor.supervisor.handle_rejected",
    "live_actor.supervisor.gave_up",
    "live_actor.supervisor.shutdown",
)


def get_logger() -> structlog.typing.FilteringBoundLogger:
    """The library's logger (lazy proxy: configuration may come later)."""
    logger: structlog.typing.FilteringBoundLogger = structlog.get_logger("live_actor")
    return logger
