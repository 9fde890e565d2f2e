"""The transport seam: the only package that touches sockets.

The connection actor moves whole messages through a :class:`Transport` and nothing
else; which library sits underneath follows the running event loop:

* trio -> trio-websocket (``_trio_ws``), with a keepalive task of our own;
* asyncio -> ``websockets`` (``_websockets``), the library google-genai uses;
* tests -> :func:`memory_transport_pair` (``_memory``), no socket at all.

Primary API::

    async with open_transport(url, headers, options) as transport:
        await transport.send(frame)
        message = await transport.receive()

The context manager form works the same on both backends and lets the trio backend
own the nursery its reader and keepalive tasks need.  :func:`connect` is the
alternative for callers that manage lifetimes themselves (supply ``task_group`` under
trio).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING

import sniffio

from live_actor._transport._base import (
    MIN_MAX_MESSAGE_SIZE,
    Transport,
    TransportClosed,
    TransportConnectError,
    TransportOptions,
    redact_url,
)
from live_actor._transport._memory import MemoryTransport, memory_transport_pair

if TYPE_CHECKING:
    import anyio.abc
    import trio

__all__ = [
    "MIN_MAX_MESSAGE_SIZE",
    "MemoryTransport",
    "Transport",
    "TransportClosed",
    "TransportConnectError",
    "TransportOptions",
    "connect",
    "memory_transport_pair",
    "open_transport",
    "redact_url",
]

_DEFAULT_OPTIONS = TransportOptions()


def _backend() -> str:
    library = sniffio.current_async_library()
    if library not in ("trio", "asyncio"):
        raise RuntimeError(f"live_actor supports trio and asyncio, not {library!r}")
    return library


def open_transport(
    url: str,
    headers: Mapping[str, str],
    options: TransportOptions | None = None,
) -> AbstractAsyncContextManager[Transport]:
    """Connect to ``url`` with ``headers`` on the upgrade request; close on exit.

    Raises :class:`TransportConnectError` when dialling or the upgrade fails
    (``.status`` holds the HTTP status of a refused upgrade), ``ValueError`` for a
    malformed URL or header.  On exit the transport is closed with 1000 unless it was
    closed already (shielded from cancellation, bounded by ``close_timeout``).
    """
    return _open_transport(url, headers, options or _DEFAULT_OPTIONS)


@asynccontextmanager
async def _open_transport(
    url: str, headers: Mapping[str, str], options: TransportOptions
) -> AsyncIterator[Transport]:
    if _backend() == "trio":
        from live_actor._transport._trio_ws import open_trio_transport

        async with open_trio_transport(url, headers, options) as trio_transport:
            yield trio_transport
    else:
        from live_actor._transport._websockets import open_websockets_transport

        async with open_websockets_transport(url, headers, options) as ws_transport:
            yield ws_transport


async def connect(
    url: str,
    headers: Mapping[str, str],
    options: TransportOptions | None = None,
    *,
    task_group: anyio.abc.TaskGroup | trio.Nursery | None = None,
) -> Transport:
    """Connect and return a transport that the caller must :meth:`~Transport.aclose`.

    Under trio the connection needs tasks that outlive this call, so ``task_group``
    (a ``trio.Nursery`` or an ``anyio`` task group) is required; the connection
    holds one task in it until closed.  Under asyncio ``task_group`` is not needed
    and is ignored.  Prefer :func:`open_transport` when a ``with`` block fits.
    """
    options = options or _DEFAULT_OPTIONS
    if _backend() == "trio":
        if task_group is None:
            raise RuntimeError(
                "under trio, connect() needs task_group= (a nursery or anyio task group) "
                "to run the connection's reader; or use `async with open_transport(...)`"
            )
        from live_actor._transport._trio_ws import connect_trio

        return await connect_trio(url, headers, options, task_group)
    from live_actor._transport._websockets import connect_websockets

    return await connect_websockets(url, headers, options)
