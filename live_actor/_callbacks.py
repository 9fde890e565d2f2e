"""User callbacks: their names, their types, and how they are given.

Every callback is optional and may be a plain function or a coroutine
function.  They never run on the connection's reader (see
``live_actor._actor._delivery``); an exception in one is logged and reported
to ``on_error``, it never ends the session.  Each has a type below, so a type
checker catches a misspelled name or a wrong signature; at run time a
misspelled name is a :class:`ConfigError` that suggests the right one.
"""

from __future__ import annotations

import datetime
import difflib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from ._errors import ConfigError, LiveError
from ._protocol._messages import (
    FunctionResponse,
    ServerMessage,
    SessionResumptionUpdate,
    ToolCall,
    Transcription,
    VoiceActivity,
    VoiceActivityDetectionSignal,
)

__all__ = [
    "CALLBACK_NAMES",
    "Callbacks",
    "OnClose",
    "OnError",
    "OnGaveUp",
    "OnGoAway",
    "OnMessage",
    "OnReconnecting",
    "OnResumed",
    "OnSessionResumption",
    "OnToolCall",
    "OnToolCallCancellation",
    "OnTranscription",
    "OnVoiceActivity",
    "ToolResult",
]

#: What ``on_tool_call`` may return (see :class:`Callbacks`).
ToolResult = (
    FunctionResponse
    | Mapping[str, Any]
    | Sequence[FunctionResponse | Mapping[str, Any]]
    | str
    | int
    | float
    | bool
    | None
)

# Each callback may return an awaitable (async def) or anything (plain def).
OnMessage = Callable[[ServerMessage], object]
OnError = Callable[[LiveError], object]
OnClose = Callable[[int | None, str], object]
OnToolCall = Callable[[ToolCall], object]
OnToolCallCancellation = Callable[[tuple[str, ...]], object]
OnTranscription = Callable[[str, Transcription], object]
OnVoiceActivity = Callable[[VoiceActivity | VoiceActivityDetectionSignal], object]
OnSessionResumption = Callable[[SessionResumptionUpdate], object]
OnGoAway = Callable[[datetime.timedelta, str | None], object]
OnReconnecting = Callable[[int, float, str], object]
OnResumed = Callable[[bool, int, int], object]
OnGaveUp = Callable[[str], object]

CALLBACK_NAMES = (
    "on_message",
    "on_error",
    "on_close",
    "on_tool_call",
    "on_tool_call_cancellation",
    "on_transcription",
    "on_voice_activity",
    "on_session_resumption",
    "on_go_away",
    "on_reconnecting",
    "on_resumed",
    "on_gave_up",
)


def _callable_or_none(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not callable(value):
        raise ConfigError(f"{attribute.name} must be callable, got {type(value).__name__}")


@attrs.frozen(kw_only=True)
class Callbacks:
    """The optional callbacks of a session (all sync or async), passed as keyword
    arguments to ``open_session`` / ``Supervisor.start_session`` (or as one
    ``callbacks=Callbacks(...)``).

    * ``on_message(message)`` — every decoded :class:`ServerMessage`.
    * ``on_error(error)`` — every :class:`LiveError`: those the session survives
      (a malformed frame, a :class:`CallbackError` from a failing tool or
      callback, a message the server refused) and, last, the one that ended it
      (then ``on_close``).
    * ``on_close(code, reason)`` — the session ended (once; always delivered).
    * ``on_tool_call(tool_call)`` — its return value is sent as the tool
      response: ``None`` (answer later with ``send_tool_response``), a
      :class:`FunctionResponse`, a dict, or a list of them; a dict without
      ``id``/``name``/``response`` keys is the ``response`` of the single call,
      any other value its ``{"output": value}``.  Runs in its own task,
      cancelled once ``toolCallCancellation`` withdrew all of its calls;
      responses for withdrawn calls are never sent.  A tool that raises, returns
      what cannot be sent or outlives ``SessionOptions.tool_timeout`` answers
      with an error response.
    * ``on_tool_call_cancellation(ids)``.
    * ``on_transcription(kind, transcription)`` — kind ``"input"``/``"output"``.
    * ``on_voice_activity(message)`` — ``VoiceActivity`` or ``VoiceActivityDetectionSignal``.
    * ``on_session_resumption(update)`` — every ``SessionResumptionUpdate``.
    * ``on_go_away(time_left, resumption_handle)`` — ``timedelta`` and the stored handle.
    * ``on_reconnecting(attempt, delay, cause)``, ``on_resumed(state_restored,
      replayed, dropped)``, ``on_gave_up(reason)`` — supervisor news.
    """

    on_message: OnMessage | None = attrs.field(default=None, validator=_callable_or_none)
    on_error: OnError | None = attrs.field(default=None, validator=_callable_or_none)
    on_close: OnClose | None = attrs.field(default=None, validator=_callable_or_none)
    on_tool_call: OnToolCall | None = attrs.field(default=None, validator=_callable_or_none)
    on_tool_call_cancellation: OnToolCallCancellation | None = attrs.field(
        default=None, validator=_callable_or_none
    )
    on_transcription: OnTranscription | None = attrs.field(
        default=None, validator=_callable_or_none
    )
    on_voice_activity: OnVoiceActivity | None = attrs.field(
        default=None, validator=_callable_or_none
    )
    on_session_resumption: OnSessionResumption | None = attrs.field(
        default=None, validator=_callable_or_none
    )
    on_go_away: OnGoAway | None = attrs.field(default=None, validator=_callable_or_none)
    on_reconnecting: OnReconnecting | None = attrs.field(default=None, validator=_callable_or_none)
    on_resumed: OnResumed | None = attrs.field(default=None, validator=_callable_or_none)
    on_gave_up: OnGaveUp | None = attrs.field(default=None, validator=_callable_or_none)

    @classmethod
    def from_kwargs(cls, kwargs: Mapping[str, Any]) -> Callbacks:
        """The callbacks given as keyword arguments (``open_session(..., on_error=f)``).

        Raises :class:`ConfigError` for an unknown name (with the closest known
        one) or a value that is not callable.
        """
        for name in sorted(set(kwargs) - set(CALLBACK_NAMES)):
            close = difflib.get_close_matches(name, CALLBACK_NAMES, n=1)
            hint = f"did you mean {close[0]}?" if close else f"known: {', '.join(CALLBACK_NAMES)}"
            raise ConfigError(f"unknown callback {name}: {hint}")
        return cls(**kwargs)

    def merged(self, kwargs: Mapping[str, Any]) -> Callbacks:
        """These callbacks with those given as keyword arguments added (they win)."""
        given = {name: value for name, value in kwargs.items() if value is not None}
        if not given:
            return self
        Callbacks.from_kwargs(given)  # validates names and values
        return attrs.evolve(self, **given)

    @classmethod
    def chosen(
        cls, callbacks: Callbacks | None, given: Mapping[str, Any], unknown: Mapping[str, Any]
    ) -> Callbacks:
        """The callbacks a ``start_session`` call chose: ``callbacks=`` plus keyword ones.

        ``unknown`` holds keyword arguments no signature names; any of them is a
        :class:`ConfigError` with the closest callback name, before anything dials.
        """
        if unknown:
            cls.from_kwargs(unknown)
        if callbacks is not None and not isinstance(callbacks, Callbacks):
            raise ConfigError(f"callbacks must be a Callbacks, got {type(callbacks).__name__}")
        return (callbacks or cls()).merged(given)
