"""The nursery a trio connection's tasks live in, shared by both trio transports.

A connection under trio owns tasks (the reader, a writer, the stall watch, the
keepalive) that must end with it.  :func:`run_connection` opens their nursery,
closes the transport when the block ends (at once when it was cancelled), and
re-raises an exception of the block as itself, not wrapped in the
``ExceptionGroup`` the nursery would add: callers match on ``TransportClosed``,
not on groups.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Protocol, TypeVar

import trio

__all__ = ["run_connection", "sole_exception"]


class _Hosted(Protocol):
    def start_tasks_in(self, nursery: trio.Nursery) -> None: ...

    async def keepalive(self) -> None: ...

    async def aclose(self, *, close_timeout: float | None = None) -> None: ...


_T = TypeVar("_T", bound=_Hosted)


def sole_exception(group: BaseExceptionGroup[BaseException]) -> BaseException | None:
    """The one exception a nursery wrapped, if it wrapped exactly one."""
    if len(group.exceptions) == 1:
        return group.exceptions[0]
    others = [exc for exc in group.exceptions if not isinstance(exc, trio.Cancelled)]
    return others[0] if len(others) == 1 else None


@asynccontextmanager
async def run_connection(
    connect: Callable[[trio.Nursery], Awaitable[_T]], *, keepalive: bool
) -> AsyncIterator[_T]:
    """Connect with ``connect(nursery)``; the connection's tasks live as long as the block."""
    try:
        async with trio.open_nursery() as nursery:
            transport = await connect(nursery)
            transport.start_tasks_in(nursery)  # the writer and the stall watch, when needed
            if keepalive:
                nursery.start_soon(transport.keepalive)
            prompt = False
            try:
                yield transport
            except trio.Cancelled:
                prompt = True
                raise
            finally:
                with trio.CancelScope(shield=True):
                    await transport.aclose(close_timeout=0 if prompt else None)
    except BaseExceptionGroup as group:
        sole = sole_exception(group)
        if sole is None:
            raise
        # Re-raise the exception itself, keeping its own context rather than
        # chaining it to the group that contains it.
        context = sole.__context__
        try:
            raise sole
        finally:
            sole.__context__ = context
            del sole, context
