"""User callbacks: what they are, and the task that runs them.

Callbacks never run on the connection's reader: a slow callback must not delay
frame reads, keepalive pings or the goAway deadline.  The reader only appends
to an unbounded queue; one task per session calls them in order.  Each may be
a plain function or a coroutine function.  An exception in a callback is
logged and reported to ``on_error``; it never ends the session.
"""

from __future__ import annotations

import collections
import contextvars
import difflib
import inspect
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import attrs

from ._errors import ConfigError

__all__ = ["CALLBACK_NAMES", "CallbackQueue", "Callbacks", "call_maybe_async"]

AnyCallable = Callable[..., Any]

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


@attrs.frozen(kw_only=True)
class Callbacks:
    """The optional callbacks of a session (all sync or async), passed as keyword
    arguments to ``open_session`` / ``Supervisor.start_session``.

    * ``on_message(message)`` — every decoded :class:`ServerMessage`.
    * ``on_error(error)`` — every :class:`LiveError`: those the session survives
      (a malformed frame, a :class:`CallbackError` from a failing tool or
      callback) and, last, the one that ended it (then ``on_close``).
    * ``on_close(code, reason)`` — the session ended (once).
    * ``on_tool_call(tool_call)`` — its return value is sent as the tool
      response: ``None`` (answer later with ``send_tool_response``), a
      :class:`FunctionResponse`, a dict, or a list of them; a dict without
      ``id``/``name``/``response`` keys is the ``response`` of the single call.
      Runs in its own task, cancelled once ``toolCallCancellation`` withdrew all
      of its calls; responses for withdrawn calls are never sent.
    * ``on_tool_call_cancellation(ids)``.
    * ``on_transcription(kind, transcription)`` — kind ``"input"``/``"output"``.
    * ``on_voice_activity(message)`` — ``VoiceActivity`` or ``VoiceActivityDetectionSignal``.
    * ``on_session_resumption(update)`` — every ``SessionResumptionUpdate``.
    * ``on_go_away(time_left, handle)`` — ``timedelta`` and the stored handle.
    * ``on_reconnecting(attempt, delay, cause)``, ``on_resumed(state_restored,
      replayed, dropped)``, ``on_gave_up(reason)`` — supervisor news.
    """

    on_message: AnyCallable | None = None
    on_error: AnyCallable | None = None
    on_close: AnyCallable | None = None
    on_tool_call: AnyCallable | None = None
    on_tool_call_cancellation: AnyCallable | None = None
    on_transcription: AnyCallable | None = None
    on_voice_activity: AnyCallable | None = None
    on_session_resumption: AnyCallable | None = None
    on_go_away: AnyCallable | None = None
    on_reconnecting: AnyCallable | None = None
    on_resumed: AnyCallable | None = None
    on_gave_up: AnyCallable | None = None

    @classmethod
    def from_kwargs(cls, kwargs: dict[str, Any]) -> Callbacks:
        """The callbacks given as keyword arguments (``open_session(..., on_error=f)``).

        Raises :class:`ConfigError` for an unknown name (with the closest known
        one) or a value that is not callable.
        """
        for name in sorted(set(kwargs) - set(CALLBACK_NAMES)):
            close = difflib.get_close_matches(name, CALLBACK_NAMES, n=1)
            hint = f"did you mean {close[0]}?" if close else f"known: {', '.join(CALLBACK_NAMES)}"
            raise ConfigError(f"unknown callback {name}: {hint}")
        for name, value in kwargs.items():
            if value is not None and not callable(value):
                raise ConfigError(f"{name} must be callable, got {type(value).__name__}")
        return cls(**kwargs)


async def call_maybe_async(fn: AnyCallable, *args: Any) -> Any:
    result = fn(*args)
    if inspect.isawaitable(result):
        return await result
    return result


#: True in the callback task: lets ``close()`` called from a callback skip
#: waiting for the callback queue to drain (which would wait for itself).
_IN_CALLBACK_TASK: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "live_actor_in_callback_task", default=False
)


def in_callback_task() -> bool:
    """Is the caller running in a session's callback task?"""
    return _IN_CALLBACK_TASK.get()


class CallbackQueue:
    """In-order delivery of callbacks on a task of their own."""

    def __init__(self, on_failure: Callable[[str, BaseException], Awaitable[None]]) -> None:
        self._items: collections.deque[tuple[str, AnyCallable, tuple[Any, ...]]] = (
            collections.deque()
        )
        self._wakeup = anyio.Event()
        self._closed = False
        self._idle = anyio.Event()
        self._idle.set()
        self._on_failure = on_failure

    def put(self, name: str, fn: AnyCallable | None, *args: Any) -> None:
        if fn is None or self._closed:
            return
        self._items.append((name, fn, args))
        if self._idle.is_set():
            self._idle = anyio.Event()
        self._wakeup.set()

    def close(self) -> None:
        self._closed = True
        self._wakeup.set()

    async def wait_idle(self) -> None:
        await self._idle.wait()

    async def run(self) -> None:
        _IN_CALLBACK_TASK.set(True)  # this task's own context only
        while True:
            while self._items:
                name, fn, args = self._items.popleft()
                try:
                    await call_maybe_async(fn, *args)
                except Exception as exc:
                    await self._on_failure(name, exc)
            self._idle.set()
            if self._closed:
                return
            await self._wakeup.wait()
            self._wakeup = anyio.Event()
