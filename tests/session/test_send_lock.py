"""The send lock: mutual exclusion, FIFO handover, and cancellation of waiters."""

from __future__ import annotations

import anyio
import anyio.abc
import anyio.lowlevel
import pytest

from live_actor._actor._send_lock import SendLock

pytestmark = pytest.mark.anyio


async def test_uncontended_acquire_is_immediate_and_release_frees() -> None:
    lock = SendLock()
    async with lock:
        assert lock.held
    assert not lock.held


async def test_waiters_get_the_lock_in_arrival_order() -> None:
    lock = SendLock()
    order: list[int] = []

    async def worker(n: int) -> None:
        async with lock:
            order.append(n)
            await anyio.lowlevel.checkpoint()

    async with anyio.create_task_group() as tg:
        await lock.acquire()
        for n in range(5):
            tg.start_soon(worker, n)
            await anyio.wait_all_tasks_blocked()
        lock.release()
    assert order == [0, 1, 2, 3, 4]
    assert not lock.held


async def test_a_later_try_acquire_cannot_overtake_a_waiter() -> None:
    """Release hands the lock over: ``held`` stays True for the fast path's check."""
    lock = SendLock()
    got: list[str] = []

    async def waiter() -> None:
        async with lock:
            got.append("waiter")

    async with anyio.create_task_group() as tg:
        await lock.acquire()
        tg.start_soon(waiter)
        await anyio.wait_all_tasks_blocked()
        lock.release()
        assert lock.held  # handed to the waiter, not free for a barging fast path
    assert got == ["waiter"]
    assert not lock.held


async def _queue_two_waiters(
    tg: anyio.abc.TaskGroup, lock: SendLock, got: list[str]
) -> tuple[anyio.CancelScope, anyio.CancelScope]:
    """Hold ``lock`` and queue waiters "first" and "second"; return their cancel scopes."""

    async def waiter(name: str, scope: anyio.CancelScope) -> None:
        with scope:
            async with lock:
                got.append(name)

    first, second = anyio.CancelScope(), anyio.CancelScope()
    await lock.acquire()
    tg.start_soon(waiter, "first", first)
    await anyio.wait_all_tasks_blocked()
    tg.start_soon(waiter, "second", second)
    await anyio.wait_all_tasks_blocked()
    return first, second


async def test_a_cancelled_waiter_leaves_the_queue() -> None:
    lock = SendLock()
    got: list[str] = []
    async with anyio.create_task_group() as tg:
        first, _second = await _queue_two_waiters(tg, lock, got)
        first.cancel()
        await anyio.wait_all_tasks_blocked()
        lock.release()
    assert got == ["second"]
    assert not lock.held


async def test_a_waiter_cancelled_after_the_handover_passes_the_lock_on() -> None:
    lock = SendLock()
    got: list[str] = []
    async with anyio.create_task_group() as tg:
        first, _second = await _queue_two_waiters(tg, lock, got)
        lock.release()  # handed to "first" ...
        first.cancel()  # ... which is cancelled before it runs
    # Either "first" ran (trio: a rescheduled task keeps its value) or it passed
    # the lock on; the lock is never lost and "second" always gets it.
    assert got[-1] == "second"
    assert not lock.held
