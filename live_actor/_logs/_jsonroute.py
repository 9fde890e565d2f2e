"""``configure_json``: the opt-in route of live_actor's events to JSON lines.

It works on the stdlib side only (a ``logging.Handler`` with a JSON formatter) so it
never needs to own structlog's configuration, except when the application asks for its
own events too (``include_app=True``), which is the one documented case where structlog
is configured, and restored by :meth:`JsonLogRoute.close`.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Final, TextIO

import attrs
import orjson
import structlog
import structlog.contextvars
import structlog.stdlib

from .. import _log
from .._errors import ConfigError

__all__ = ["JsonLinesFormatter", "JsonLogRoute", "configure_json"]

_LEVELS: Final = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
}


def _level_number(level: str | int) -> int:
    if isinstance(level, int) and not isinstance(level, bool):
        return level
    if isinstance(level, str) and level.lower() in _LEVELS:
        return _LEVELS[level.lower()]
    raise ConfigError(
        f"level={level!r} is not a log level: use one of {', '.join(_LEVELS)} "
        "(or a logging level number)"
    )


def _iso(created: float) -> str:
    return datetime.fromtimestamp(created, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class JsonLinesFormatter(logging.Formatter):
    """One JSON object per record: ``timestamp`` (ISO 8601, UTC), ``level``, ``event``,
    the event's fields, and ``logger``.

    Records of live_actor's stdlib route carry their fields (``record.event_dict``);
    any other record (an application's plain ``logging`` call) becomes
    ``{"event": <message>, ...}`` so ``live-actor logs`` counts it as another logger's.
    """

    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, _log.RECORD_ATTRIBUTE, None)
        out: dict[str, Any] = {
            "timestamp": _iso(record.created),
            "level": record.levelname.lower(),
        }
        if isinstance(fields, dict):
            out["event"] = fields.get("event")
            for key, value in fields.items():
                out.setdefault(key, value)
        else:
            out["event"] = record.getMessage()
        out.setdefault("logger", record.name)
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            out["stack"] = self.formatStack(record.stack_info)
        try:
            return orjson.dumps(out, default=str).decode()
        except TypeError:  # e.g. an int beyond 64 bits, which orjson refuses
            return json.dumps(out, default=str, ensure_ascii=False)


@attrs.define(eq=False)
class JsonLogRoute:
    """An active :func:`configure_json` route; :meth:`close` undoes it."""

    handler: logging.Handler
    _restore: Callable[[], None] = attrs.field(repr=False)
    _closed: bool = attrs.field(default=False, init=False, repr=False)

    def close(self) -> None:
        """Remove the handler (closing the file it opened) and restore what it changed."""
        global _active
        if self._closed:
            return
        self._closed = True
        self._restore()
        if _active is self:
            _active = None


_active: JsonLogRoute | None = None


def configure_json(
    destination: str | os.PathLike[str] | TextIO,
    *,
    level: str | int = "info",
    include_app: bool = False,
) -> JsonLogRoute:
    """Write live_actor's events as JSON lines to *destination* (a text stream, or a
    file path opened for appending), at *level* and above.

    What it changes, all undone by the returned route's ``close()`` (and by a new call,
    which replaces the previous route):

    * live_actor's events take the stdlib route even if structlog is configured (they
      leave your structlog pipeline), and the ``live_actor`` stdlib logger gets the
      handler, *level*, and ``propagate = False`` (your root handlers stop seeing them);
    * with ``include_app=True``, the handler goes on the root logger instead (every
      stdlib record of the process, at *level*), the root logger's level is set to
      *level*, and structlog is configured to send your structlog events there too.

    Call it at start-up: sessions pick their route when they start.
    """
    global _active
    number = _level_number(level)
    if _active is not None:
        _active.close()
    handler: logging.Handler
    if isinstance(destination, str | os.PathLike):
        handler = logging.FileHandler(os.fspath(destination), mode="a", encoding="utf-8")
    elif callable(getattr(destination, "write", None)):
        handler = logging.StreamHandler(destination)
    else:
        raise ConfigError(
            f"configure_json(destination={destination!r}): pass a text stream "
            "(with .write) or a file path"
        )
    handler.setFormatter(JsonLinesFormatter())
    handler.setLevel(number)

    library = logging.getLogger(_log.LOGGER_NAME)
    root = logging.getLogger()
    saved_library = (library.level, library.propagate)
    saved_root_level = root.level
    saved_structlog = (structlog.is_configured(), structlog.get_config())
    library.setLevel(number)
    if include_app:
        library.propagate = True
        root.setLevel(number)
        root.addHandler(handler)
        structlog.configure(
            processors=_log.STDLIB_PROCESSORS,
            logger_factory=structlog.stdlib.LoggerFactory(),
            wrapper_class=_log.StdlibRoutedLogger,
            cache_logger_on_first_use=False,
        )
    else:
        library.propagate = False
        library.addHandler(handler)
    _log.force_stdlib_route(True)

    def restore() -> None:
        _log.force_stdlib_route(False)
        (root if include_app else library).removeHandler(handler)
        handler.close()
        library.setLevel(saved_library[0])
        library.propagate = saved_library[1]
        if include_app:
            root.setLevel(saved_root_level)
            was_configured, config = saved_structlog
            if was_configured:
                structlog.configure(**config)
            else:
                structlog.reset_defaults()

    _active = JsonLogRoute(handler, restore)
    return _active
