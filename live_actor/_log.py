"""Logging: where live_actor's events go, and the stable event names operators grep for.

live_actor never configures logging or structlog: applications decide where logs go and
how they look.  :func:`get_logger` picks a route each time it is called (sessions call it
when they start, so an application may configure structlog after importing live_actor):

* the application configured structlog (``structlog.is_configured()``): events go through
  the application's structlog configuration, as any other structlog logger's;
* it did not: events go to the stdlib ``logging`` logger ``live_actor``, rendered as one
  ``event key=value ...`` line, so they are silent below WARNING unless the application
  configures ``logging`` — the stdlib's own default for libraries;
* :func:`live_actor.logs.configure_json` was called: events always take the stdlib route,
  where its JSON handler waits, whatever structlog's configuration.

Events are bound with ``session_id``, ``model`` and ``connection`` (the attempt number).
No event ever carries a credential: URLs are logged redacted and headers never.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Final, cast

import structlog
import structlog.contextvars
import structlog.stdlib

__all__ = ["EVENTS", "LOGGER_NAME", "get_logger"]

#: The stdlib logger (and structlog logger name) of every live_actor event.
LOGGER_NAME: Final = "live_actor"

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
    "live_actor.session.ledger_full",
    "live_actor.session.closed",
    "live_actor.transport.reader_crashed",
    "live_actor.transport.compression_unsupported",
    "live_actor.supervisor.rotating",
    "live_actor.supervisor.exit",
    "live_actor.supervisor.reconnecting",
    "live_actor.supervisor.resumed",
    "live_actor.supervisor.handle_rejected",
    "live_actor.supervisor.gave_up",
    "live_actor.supervisor.shutdown",
    "live_actor.store.unavailable",
    "live_actor.store.recovered",
    "live_actor.store.error",
    "live_actor.store.lease_lost",
    "live_actor.store.adopted",
    "live_actor.store.adopt_failed",
    "live_actor.store.drain",
    "live_actor.store.handed_over",
)

#: The ``logging.LogRecord`` attribute holding the event dict (key order kept), so a
#: handler (``configure_json``'s, or an app's JSON formatter) reads fields, not text.
RECORD_ATTRIBUTE: Final = "event_dict"


def _plain(value: Any) -> str:
    """A field value as it reads best in a ``key=value`` line."""
    if isinstance(value, str):
        if value and not any(c in value for c in " \t\n\"'="):
            return value
        return repr(value)
    return repr(value)


def render_line(event_dict: Mapping[str, Any]) -> str:
    """``event key=value ...``: readable by a person and by ``grep``."""
    parts = [str(event_dict.get("event", ""))]
    parts += [f"{k}={_plain(v)}" for k, v in event_dict.items() if k != "event"]
    return " ".join(parts)


def to_stdlib_call(
    logger: Any, method_name: str, event_dict: structlog.typing.EventDict
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The last processor of the stdlib route: one ``Logger.<level>(line, ...)`` call.

    The message is the rendered line (what a plain ``logging.basicConfig()`` shows);
    ``exc_info``/``stack_info`` stay stdlib arguments so handlers format tracebacks;
    the fields ride along on the record as :data:`RECORD_ATTRIBUTE`.
    """
    kwargs: dict[str, Any] = {}
    for key in ("exc_info", "stack_info"):
        if key in event_dict:
            kwargs[key] = event_dict.pop(key)
    kwargs["extra"] = {RECORD_ATTRIBUTE: dict(event_dict)}
    return (render_line(event_dict),), kwargs


_METHOD_BY_LEVEL: Final = {
    logging.DEBUG: "debug",
    logging.INFO: "info",
    logging.WARNING: "warning",
    logging.ERROR: "error",
    logging.CRITICAL: "critical",
}


class StdlibRoutedLogger(structlog.stdlib.BoundLogger):
    """A structlog stdlib logger that asks ``isEnabledFor`` before any other work.

    ``structlog.stdlib.BoundLogger`` runs the processor chain (copying the context into
    an event dict) before the stdlib decides to drop a record; live_actor logs debug
    events on hot paths, so a disabled level must cost one method call and one
    ``isEnabledFor`` (cached by ``logging``), nothing more.
    """

    def debug(self, event: str | None = None, *args: Any, **kw: Any) -> Any:
        if not self._logger.isEnabledFor(logging.DEBUG):
            return None
        return self._proxy_to_logger("debug", event, *args, **kw)

    def info(self, event: str | None = None, *args: Any, **kw: Any) -> Any:
        if not self._logger.isEnabledFor(logging.INFO):
            return None
        return self._proxy_to_logger("info", event, *args, **kw)

    def warning(self, event: str | None = None, *args: Any, **kw: Any) -> Any:
        if not self._logger.isEnabledFor(logging.WARNING):
            return None
        return self._proxy_to_logger("warning", event, *args, **kw)

    warn = warning

    def error(self, event: str | None = None, *args: Any, **kw: Any) -> Any:
        if not self._logger.isEnabledFor(logging.ERROR):
            return None
        return self._proxy_to_logger("error", event, *args, **kw)

    def critical(self, event: str | None = None, *args: Any, **kw: Any) -> Any:
        if not self._logger.isEnabledFor(logging.CRITICAL):
            return None
        return self._proxy_to_logger("critical", event, *args, **kw)

    fatal = critical

    def exception(self, event: str | None = None, *args: Any, **kw: Any) -> Any:
        if not self._logger.isEnabledFor(logging.ERROR):
            return None
        kw.setdefault("exc_info", True)
        return self._proxy_to_logger("error", event, *args, **kw)

    def log(self, level: int, event: str | None = None, *args: Any, **kw: Any) -> Any:
        if not self._logger.isEnabledFor(level):
            return None
        method = _METHOD_BY_LEVEL.get(level, "info")
        return self._proxy_to_logger(method, event, *args, **kw)


#: The processors of the stdlib route: the app's contextvars (request ids...) still
#: apply, then one rendered line per event.
STDLIB_PROCESSORS: Final[list[structlog.typing.Processor]] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.PositionalArgumentsFormatter(),
    to_stdlib_call,
]

_stdlib_logger = StdlibRoutedLogger(
    logging.getLogger(LOGGER_NAME), processors=STDLIB_PROCESSORS, context={}
)

#: Set by ``live_actor.logs.configure_json``: its handler lives on the stdlib route.
_force_stdlib = False


def force_stdlib_route(force: bool) -> None:
    """Make :func:`get_logger` take the stdlib route even when structlog is configured."""
    global _force_stdlib
    _force_stdlib = force


def get_logger() -> structlog.typing.FilteringBoundLogger:
    """The library's logger, routed as the module docstring says (cheap: call it often)."""
    if structlog.is_configured() and not _force_stdlib:
        return cast(structlog.typing.FilteringBoundLogger, structlog.get_logger(LOGGER_NAME))
    return cast(structlog.typing.FilteringBoundLogger, _stdlib_logger)
