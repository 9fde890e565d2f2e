"""The receive path's reusable wake-up: level-triggered, cancellable, any number of waiters."""

from __future__ import annotations

import anyio
import anyio.lowlevel
import pytest

from live_actor._actor._wakeup import Wakeup

pytestmark = pytest.mark.anyio


async def test_a_wake_before_the_wait_is_not_lost() -> None:
    wakeup = Wakeup()
    wakeup.wake()
    with anyio.fail_after(5):
        await wakeup.wait()  # returns at once
    with anyio.move_on_after(0.05) as scope:
        await wakeup.wait()  # consumed: this one waits
    assert scope.cancelled_caught


async def test_a_waiter_is_woken_and_the_wakeup_is_reusable() -> None:
    wakeup = Wakeup()
    woken = 0

    async def waiter() -> None:
        nonlocal woken
        for _ in range(3):
            await wakeup.wait()
            woken += 1

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(waiter)
            for expected in (1, 2, 3):
                while woken < expected:
                    await anyio.lowlevel.checkpoint()
                    wakeup.wake()
    assert woken == 3


async def test_every_waiter_is_woken() -> None:
    wakeup = Wakeup()
    woken: list[int] = []

    async def waiter(number: int) -> None:
        await wakeup.wait()
        woken.append(number)

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            for number in range(3):
                tg.start_soon(waiter, number)
            await anyio.wait_all_tasks_blocked()
            wakeup.wake()
    assert sorted(woken) == [0, 1, 2]


async def test_cancelled_waiters_are_forgotten() -> None:
    wakeup = Wakeup()
    woken: list[str] = []

    async def waiter(name: str) -> None:
        await wakeup.wait()
        woken.append(name)

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            async with anyio.create_task_group() as doomed:
                doomed.start_soon(waiter, "a")
                doomed.start_soon(waiter, "b")
                await anyio.wait_all_tasks_blocked()
                doomed.cancel_scope.cancel()  # a and b are cancelled while parked
            tg.start_soon(waiter, "c")
            await anyio.wait_all_tasks_blocked()
            wakeup.wake()
    assert woken == ["c"]
