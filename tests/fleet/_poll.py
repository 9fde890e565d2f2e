"""Waiting for a store to show something: it has no events to await, so it is polled."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio


async def poll_until(check: Callable[[], Awaitable[bool]], *, every: float = 0.01) -> None:
    """Until ``check()`` is true (bound it with ``anyio.fail_after``)."""
    while True:
        if await check():
            return
        await anyio.sleep(every)
