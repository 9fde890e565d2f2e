"""The command pipe: accepted commands to the socket, in order, each counted once.

Commands from the handle are validated and given a ledger entry at once
(:meth:`CommandPipe.accept`), then handed over (:meth:`CommandPipe.submit`):

* **fast path**: nothing is queued ahead, the connection is ready and its
  transport's send survives the caller being cancelled, so the caller's own
  task sends (one task switch saved per audio chunk);
* otherwise through a bounded memory stream to one command task that lives as
  long as the session, so commands made while reconnecting are queued by the
  ledger, never rejected, and a full stream is backpressure.

Every frame goes out under one :class:`SendLock` so frames never interleave.

The accounting rule: whatever cancels a send (an anyio scope, ``asyncio.timeout``,
``Task.cancel``), its command ends up exactly once as sent, queued or dropped.
A send cancelled before the command task took its entry handed nothing over
and is dropped (the core is told, h11's ``send_failed()``); once the task took
it (:attr:`Entry.taken`), it is the task's, and it is sent or queued even if
the caller saw a cancellation.  On the fast path, a send cancelled while the
transport waited for room hands nothing over either (the transport's
contract): the core undoes it (``send_cancelled``) and counts it dropped.  The
send's ``Receipt`` tells which.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Final

import anyio
import anyio.abc
from anyio.lowlevel import checkpoint
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from .._errors import SessionClosedError
from .._protocol._core import SessionCore
from .._protocol._ledger import Entry
from .._transport import Transport, TransportClosed
from ._send_lock import SendLock
from ._wakeup import Wakeup

__all__ = ["CommandPipe"]

#: A send is a checkpoint at least this often: a task streaming audio in a tight
#: loop still lets others run and can be cancelled.  Not every send: a yield to
#: the event loop costs asyncio about as much as the rest of the send.
CHECKPOINT_EVERY: Final = 16


class CommandPipe:
    """Accept, order and send a session's commands (see the module doc)."""

    def __init__(
        self, core: SessionCore, size: int, closed_error: Callable[[], SessionClosedError]
    ) -> None:
        self._core = core
        #: the error a send on the closed session raises (the session's own words).
        self._closed_error = closed_error
        self._size = size
        #: the command task's stream, made with the task (see ``start_in``).
        self._in: MemoryObjectSendStream[Entry] | None = None
        self._out: MemoryObjectReceiveStream[Entry] | None = None
        self.lock = SendLock()
        self._in_flight = 0
        #: woken when nothing is in flight any more (``drain`` waits for it).
        self._drained = Wakeup()
        self._sends_until_checkpoint = 1  # the first send checkpoints
        self._transport: Transport | None = None
        self._direct = False
        #: where the command task starts, on the first command handed over (an
        #: idle session, or one whose sends all take the fast path, has none).
        self._task_group: anyio.abc.TaskGroup | None = None
        #: new commands are accepted (``False`` once the session closes).
        self.accepting = True
        #: when the last turn-triggering message went out (for turn timing).
        self.trigger_sent_at: float | None = None

    def start_in(self, task_group: anyio.abc.TaskGroup) -> None:
        """Run the command task (:meth:`run`) in ``task_group`` once it has work."""
        self._task_group = task_group

    # ------------------------------------------------------------- connection

    def attach(self, transport: Transport) -> None:
        """Frames go to ``transport`` from now on (a connection opened)."""
        self._transport = transport
        self._direct = bool(getattr(transport, "cancel_safe_send", False))

    def detach(self) -> None:
        self._transport = None
        self._direct = False

    async def send_frames(self, frames: list[str]) -> None:
        """Send ``frames`` (setup, a replay) under the lock, ahead of queued commands.

        Raises :class:`TransportClosed`: the caller's connection ended.
        """
        transport = self._transport
        if transport is None:
            raise TransportClosed(1006, "no connection", local=True)
        async with self.lock:
            for frame in frames:
                await transport.send(frame)

    def note_trigger(self) -> None:
        self.trigger_sent_at = anyio.current_time()

    # --------------------------------------------------------------- commands

    async def submit(self, entry: Entry) -> None:
        """Hand an accepted command to the socket, in order (sent now or queued).

        A send that returns handed its message over.  Raises
        :class:`SessionClosedError` when the session closed meanwhile (the
        command is dropped and counted).
        """
        self._sends_until_checkpoint -= 1
        if not self._sends_until_checkpoint:
            self._sends_until_checkpoint = CHECKPOINT_EVERY
            try:
                await checkpoint()
            except BaseException:
                self._core.send_failed(entry, "cancelled before it was queued")
                raise
        core = self._core
        transport = self._transport
        lock = self.lock
        if (
            self._direct
            and transport is not None
            and not self._in_flight
            and not lock.held
            and core.can_send_now
        ):
            lock.held = True  # free, checked above; no checkpoint needed
            try:
                frame = core.dispatch(entry)
                if frame is not None:
                    if entry.turn:
                        self.note_trigger()
                    try:
                        await transport.send(frame)
                    except TransportClosed:
                        pass  # kept by the ledger as sent-unconfirmed: replayed later
                    except BaseException:
                        # Cancelled while waiting for room: nothing was handed over.
                        core.send_cancelled(entry, "cancelled before it was sent")
                        raise
            finally:
                lock.release()
            return
        self._in_flight += 1
        stream = self._in
        if stream is None:
            stream = self._start()
        try:
            try:
                stream.send_nowait(entry)
            except anyio.WouldBlock:
                await stream.send(entry)  # backpressure
        except (anyio.ClosedResourceError, anyio.BrokenResourceError):
            self._forget(entry, "session closed")
            raise self._closed_error() from None
        except BaseException:
            if not entry.taken:  # else the command task owns it: sent or queued
                self._forget(entry, "cancelled before it was queued")
            raise

    def _start(self) -> MemoryObjectSendStream[Entry]:
        """The first command handed over: make the stream, start the command task."""
        self._in, self._out = anyio.create_memory_object_stream[Entry](self._size)
        if not self.accepting:
            self._in.close()  # closed meanwhile: the send fails as "session closed"
        task_group = self._task_group
        if task_group is not None:
            self._task_group = None
            with contextlib.suppress(RuntimeError):  # the session's tasks are over
                task_group.start_soon(self.run)  # (close() counts what is left)
        return self._in

    def _forget(self, entry: Entry, reason: str) -> None:
        self._in_flight -= 1
        if not self._in_flight:
            self._drained.wake()
        self._core.send_failed(entry, reason)

    async def run(self) -> None:
        """The command task: move handed-over commands to the socket, in order.

        One wake-up drains everything already queued under a single hold of the
        send lock: under load the per-message cost is the send itself.
        """
        out = self._out
        assert out is not None  # started by _start, which made it
        receive_nowait = out.receive_nowait
        async for first in out:
            first.taken = True
            async with self.lock:
                entry: Entry | None = first
                while entry is not None:
                    frame = self._core.dispatch(entry)
                    transport = self._transport
                    if frame is not None and transport is not None:
                        if entry.turn:
                            self.note_trigger()
                        # On TransportClosed the ledger keeps the entry as sent but
                        # unconfirmed: it is replayed after the reconnect.
                        try:
                            await transport.send(frame)
                        except TransportClosed:
                            pass
                        except BaseException:  # the session ends while the socket is full
                            self._core.send_cancelled(
                                entry, "session closed before it could be sent"
                            )
                            self._in_flight -= 1
                            raise
                    self._in_flight -= 1
                    try:
                        entry = receive_nowait()
                    except (anyio.WouldBlock, anyio.EndOfStream):
                        entry = None
                    else:
                        entry.taken = True
            if not self._in_flight:
                self._drained.wake()

    async def drain(self, deadline: float) -> None:
        """Until every handed-over command reached the socket (or ``deadline``)."""
        with anyio.move_on_at(deadline):
            while self._in_flight:
                await self._drained.wait()
            async with self.lock:
                pass

    def close(self) -> list[Entry]:
        """Refuse new commands; return those handed over but never taken (to count)."""
        self.accepting = False
        leftovers: list[Entry] = []
        if self._in is None or self._out is None:
            return leftovers  # nothing was ever handed over
        self._in.close()
        while True:
            try:
                entry = self._out.receive_nowait()
            except (anyio.WouldBlock, anyio.EndOfStream, anyio.ClosedResourceError):
                break
            entry.taken = True
            self._in_flight -= 1
            leftovers.append(entry)
        if not self._in_flight:
            self._drained.wake()
        return leftovers

    def stop(self) -> None:
        """The session's task is over: end the command task's stream."""
        if self._out is not None:
            self._out.close()
