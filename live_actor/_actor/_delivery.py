"""Delivery: what the session tells its user, through ``events()`` and callbacks.

Both paths are fed by the connection's reader, which must keep draining the
socket (a reader that waits stops answering pings), so neither ever blocks it:

* :class:`EventBuffer` keeps events for ``events()`` / ``receive_turn()``,
  bounded by bytes (``SessionOptions.event_buffer``); on overflow the oldest
  events are dropped and counted.
* :class:`CallbackQueue` runs callbacks in order on a task of its own, bounded
  by count and bytes (``SessionOptions.callback_buffer``).  On overflow the
  oldest *droppable* call (``on_message``, ``on_transcription``,
  ``on_voice_activity``, ``on_session_resumption``, ``on_error`` for a
  malformed frame) is dropped and counted; lifecycle calls are never dropped.
  At the end of a session the queue gets ``shutdown_timeout`` to drain; when
  that runs out, the callback in progress is cancelled, the droppable rest is
  dropped (counted, logged), and the lifecycle calls still queued (``on_error``
  with the final error, ``on_close`` last) each run with a small budget of
  their own: they are always delivered.
"""

from __future__ import annotations

import collections
import contextvars
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, Final

import anyio
import anyio.abc
import attrs

from .._callbacks import Callbacks
from .._errors import CallbackError, LiveError
from .._events import Event
from .._protocol._messages import ServerMessage
from ._wakeup import Wakeup

__all__ = ["CallbackQueue", "Delivery", "EventBuffer", "call_maybe_async", "in_callback_task"]

AnyCallable = Callable[..., Any]

#: What a lifecycle event or a small callback is counted as, in bytes.
SMALL: Final = 256
#: Callbacks queued at most, whatever their size.
MAX_QUEUED_CALLBACKS: Final = 10_000


#: The queues' contents until their first item: one empty deque shared by every
#: idle session (a deque costs ~700 bytes even empty).  Only ``put`` appends, and
#: it swaps in a deque of the queue's own first.
_NONE_YET: Final[collections.deque[Any]] = collections.deque(maxlen=0)


class EventBuffer:
    """A single-consumer queue of events that never blocks the producer.

    Bounded by ``max_bytes`` (each event counts the size of the frame it came
    from); beyond it the oldest events are dropped and counted in
    :attr:`overflowed` / :attr:`overflowed_bytes`.  The newest event is always
    kept, even when it alone is larger than the bound.  ``max_bytes=0`` keeps
    nothing (a session that only uses callbacks).
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._items: collections.deque[tuple[Event, int]] = _NONE_YET
        self._bytes = 0
        self._wakeup = Wakeup()
        self._closed = False
        self.overflowed = 0
        self.overflowed_bytes = 0

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def put(self, event: Event, size: int = SMALL) -> int:
        """Add an event; returns how many old events had to be dropped for it."""
        if self.max_bytes <= 0 or self._closed:
            return 0
        items = self._items
        if items is _NONE_YET:
            items = self._items = collections.deque()
        items.append((event, size))
        self._bytes += size
        dropped = 0
        while self._bytes > self.max_bytes and len(items) > 1:
            _old, old_size = items.popleft()
            self._bytes -= old_size
            self.overflowed_bytes += old_size
            dropped += 1
        self.overflowed += dropped
        self._wakeup.wake()
        return dropped

    def close(self) -> None:
        self._closed = True
        self._wakeup.wake()

    def peek_nowait(self) -> Event | None:
        return self._items[0][0] if self._items else None

    async def get(self) -> Event | None:
        """The next event, or ``None`` once closed and drained.

        Cancel-safe: an event is taken from the buffer only when it is returned.
        """
        while not self._items:
            if self._closed:
                return None
            await self._wakeup.wait()
        event, size = self._items.popleft()
        self._bytes -= size
        return event

    def __len__(self) -> int:
        return len(self._items)


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


@attrs.define(slots=True, eq=False)
class _Call:
    name: str
    fn: AnyCallable
    args: tuple[Any, ...]
    size: int
    droppable: bool


class CallbackQueue:
    """In-order delivery of callbacks on a task of their own (see the module doc)."""

    def __init__(
        self,
        on_failure: Callable[[str, BaseException], Awaitable[None]],
        *,
        max_items: int,
        max_bytes: int,
        essential_timeout: float = 1.0,
    ) -> None:
        self._items: collections.deque[_Call] = _NONE_YET
        self._bytes = 0
        self.max_items = max_items
        self.max_bytes = max_bytes
        self.essential_timeout = essential_timeout
        self._wakeup = Wakeup()
        self._closed = False
        #: calls are queued or running; ``_done`` wakes ``wait_idle`` when that ends.
        self._busy = False
        self._done = Wakeup()
        self._on_failure = on_failure
        #: the callback running now, cancelled when the shutdown budget runs out.
        self._current: anyio.CancelScope | None = None
        #: after the budget ran out: every callback runs with ``essential_timeout``.
        self._abandoning = False
        #: droppable calls dropped: by overflow, and at the end of the session.
        self.dropped = 0
        self.dropped_by_name: dict[str, int] = {}
        #: where :meth:`run` starts, on the first call queued (a session without
        #: callbacks never needs the task).
        self._task_group: anyio.abc.TaskGroup | None = None

    def start_in(self, task_group: anyio.abc.TaskGroup) -> None:
        """Run the callback task (:meth:`run`) in ``task_group`` once a call is queued."""
        self._task_group = task_group

    def put(
        self,
        name: str,
        fn: AnyCallable | None,
        *args: Any,
        size: int = SMALL,
        droppable: bool = False,
    ) -> int:
        """Queue ``fn(*args)``; returns how many droppable calls were dropped for room."""
        if fn is None or self._closed:
            return 0
        task_group = self._task_group
        if task_group is not None:
            self._task_group = None
            task_group.start_soon(self.run)
        if self._items is _NONE_YET:
            self._items = collections.deque()
        self._items.append(_Call(name, fn, args, size, droppable))
        self._bytes += size
        dropped = 0
        if len(self._items) > self.max_items or self._bytes > self.max_bytes:
            dropped = self._make_room()
        self._busy = True
        self._wakeup.wake()
        return dropped

    def _make_room(self) -> int:
        """Drop the oldest droppable calls (never the one just queued) until within bounds."""
        items = self._items
        dropped = 0
        while len(items) > self.max_items or self._bytes > self.max_bytes:
            newest = items[-1]
            victim = next((c for c in items if c.droppable and c is not newest), None)
            if victim is None:
                break  # only lifecycle calls left: they are few, and never dropped
            items.remove(victim)
            self._count_drop(victim)
            dropped += 1
        return dropped

    def _count_drop(self, call: _Call) -> None:
        self._bytes -= call.size
        self.dropped += 1
        self.dropped_by_name[call.name] = self.dropped_by_name.get(call.name, 0) + 1

    def close(self) -> None:
        """No new calls; :meth:`run` returns once the queue is empty."""
        self._closed = True
        self._wakeup.wake()

    @property
    def idle(self) -> bool:
        return not self._busy

    async def wait_idle(self) -> None:
        while self._busy:
            await self._done.wait()

    def abandon(self) -> int:
        """The shutdown budget ran out: cancel the callback in progress, drop the
        droppable rest (returned), run what is left with ``essential_timeout`` each."""
        self._abandoning = True
        if self._current is not None:
            self._current.cancel()
        kept: collections.deque[_Call] = collections.deque()
        dropped = 0
        for call in self._items:
            if call.droppable:
                self._count_drop(call)
                dropped += 1
            else:
                kept.append(call)
        self._items = kept
        return dropped

    async def run(self) -> None:
        _IN_CALLBACK_TASK.set(True)  # this task's own context only
        while True:
            while self._items:
                call = self._items.popleft()
                self._bytes -= call.size
                with anyio.CancelScope() as scope:
                    self._current = scope
                    if self._abandoning:
                        scope.deadline = anyio.current_time() + self.essential_timeout
                    try:
                        await call_maybe_async(call.fn, *call.args)
                    except Exception as exc:
                        await self._on_failure(call.name, exc)
                self._current = None
            self._busy = False
            self._done.wake()
            if self._closed:
                return
            await self._wakeup.wait()


def _worth_logging(count: int, step: int) -> bool:
    """Log an overflow counter at 1, 100, 10 000 and then every ``step``."""
    return count in (1, 100, 10_000) or count % step == 0


class Delivery:
    """Messages and lifecycle news to ``events()`` and the callbacks, never blocking."""

    def __init__(
        self,
        callbacks: Callbacks,
        *,
        event_buffer: int,
        callback_buffer: int,
        close_callback_timeout: float,
        log: Callable[[], Any],
    ) -> None:
        self.callbacks = callbacks
        self.events = EventBuffer(event_buffer)
        self.queue = CallbackQueue(
            self._callback_failed,
            max_items=MAX_QUEUED_CALLBACKS,
            max_bytes=callback_buffer,
            essential_timeout=close_callback_timeout,
        )
        self._log = log

    def message(self, message: ServerMessage, size: int) -> None:
        """Deliver one server message: the event buffer, then its callbacks."""
        callbacks = self.callbacks
        queue = self.queue
        if self.events.put(message, size) and _worth_logging(self.events.overflowed, 100_000):
            # With on_message every message was delivered anyway: not worth a warning.
            log = self._log()
            level = log.debug if callbacks.on_message is not None else log.warning
            level(
                "live_actor.session.event_overflow",
                dropped=self.events.overflowed,
                dropped_bytes=self.events.overflowed_bytes,
            )
        on_message = callbacks.on_message
        dropped = (
            queue.put("on_message", on_message, message, size=size, droppable=True)
            if on_message is not None
            else 0
        )
        content = message.server_content
        if content is not None and callbacks.on_transcription is not None:
            if content.input_transcription is not None:
                dropped += queue.put(
                    "on_transcription",
                    callbacks.on_transcription,
                    "input",
                    content.input_transcription,
                    droppable=True,
                )
            if content.output_transcription is not None:
                dropped += queue.put(
                    "on_transcription",
                    callbacks.on_transcription,
                    "output",
                    content.output_transcription,
                    droppable=True,
                )
        if callbacks.on_voice_activity is not None:
            for signal in (message.voice_activity, message.voice_activity_detection_signal):
                if signal is not None:
                    dropped += queue.put(
                        "on_voice_activity", callbacks.on_voice_activity, signal, droppable=True
                    )
        if dropped:
            self._overflowed()

    def _overflowed(self) -> None:
        if _worth_logging(self.queue.dropped, 10_000):
            self._log().warning(
                "live_actor.session.callback_overflow",
                dropped=self.queue.dropped,
                by_callback=dict(self.queue.dropped_by_name),
            )

    def call(self, name: str, *args: Any, droppable: bool = False) -> None:
        """Queue the callback ``name`` (a lifecycle callback unless ``droppable``)."""
        if self.queue.put(name, getattr(self.callbacks, name), *args, droppable=droppable):
            self._overflowed()

    def announce(self, event: Event, name: str, *args: Any) -> None:
        """A lifecycle event: into ``events(lifecycle=True)`` and its callback."""
        self.events.put(event)
        self.call(name, *args)

    def error(self, error: LiveError, *, droppable: bool = False) -> None:
        self.call("on_error", error, droppable=droppable)

    async def _callback_failed(self, name: str, exc: BaseException) -> None:
        log = self._log()
        log.warning("live_actor.session.callback_error", callback=name, error=repr(exc))
        if name != "on_error" and self.callbacks.on_error is not None:
            error = CallbackError(
                f"callback {name} failed: {type(exc).__name__}: {exc}", callback=name
            )
            error.__cause__ = exc
            try:
                await call_maybe_async(self.callbacks.on_error, error)
            except Exception:
                log.warning("live_actor.session.callback_error", callback="on_error")

    async def finish(self, budget: float) -> None:
        """The session ended: let queued callbacks run for ``budget`` seconds, then
        abandon the droppable rest; ``on_close`` and the final error still run."""
        self.events.close()
        queue = self.queue
        queue.close()
        with anyio.move_on_after(budget, shield=True):
            await queue.wait_idle()
        if queue.idle:
            return
        dropped = queue.abandon()
        self._log().warning(
            "live_actor.session.callback_overflow",
            dropped=queue.dropped,
            callback="shutdown",
            dropped_at_shutdown=dropped,
        )
        # Each remaining (lifecycle) call has its own budget inside the queue's task.
        with anyio.CancelScope(shield=True):
            await queue.wait_idle()
