"""The transport seam: the only package that touches sockets.

The connection actor moves whole messages through a :class:`Transport` and nothing
else; which library sits underneath follows the running event loop:

* trio -> trio-websocket (``_trio_ws`` / ``_trio_dial``), with keepalive, stall
  detection and a writer task of our own; or, with
  ``TransportOptions(trio_backend="websockets")``, ``websockets``' sans-IO
  protocol driven over trio streams (``_trio_sansio``);
* asyncio -> ``websockets`` (``_websockets``), the library google-genai uses;
* tests -> :func:`memory_transport_pair` (``_memory``) and :class:`MemoryConnector`
  (``_connector``), no socket at all.

What dials is a :class:`Connector`: :func:`open_transport` by default, any callable
of the same shape otherwise.  :func:`check_transport` (``_check``) is the contract
every transport passes.

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

from live_actor._redact import Dial, redact_url
from live_actor._transport._base import (
    MIN_MAX_MESSAGE_SIZE,
    Transport,
    TransportClosed,
    TransportConnectError,
    TransportOptions,
)
from live_actor._transport._check import check_transport
from live_actor._transport._connector import Connector, MemoryConnector, MemoryDial, PendingDial
from live_actor._transport._memory import MemoryTransport, memory_transport_pair

if TYPE_CHECKING:
    import anyio.abc
    import trio

__all__ = [
    "MIN_MAX_MESSAGE_SIZE",
    "Connector",
    "MemoryConnector",
    "MemoryDial",
    "MemoryTransport",
    "PendingDial",
    "Transport",
    "TransportClosed",
    "TransportConnectError",
    "TransportOptions",
    "check_transport",
    "connect",
    "memory_transport_pair",
    "open_transport",
    "redact_url",
]

_DEFAULT_OPTIONS = TransportOptions()
#: The trio backend used when ``TransportOptions.trio_backend`` is ``None``.
_TRIO_DEFAULT = "trio-websocket"


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

    The default :class:`Connector`.  Raises :class:`TransportConnectError` when
    dialling or the upgrade fails (``.status`` holds the HTTP status of a refused
    upgrade, ``.permanent`` says retrying cannot help), ``ValueError`` for a
    malformed URL or header.  On exit the transport is closed with 1000 unless it
    was closed already (shielded, bounded by ``close_timeout``; at once when the
    block was cancelled).
    """
    return _open_transport(Dial(url, headers), options or _DEFAULT_OPTIONS)


@asynccontextmanager
async def _open_transport(dial: Dial, options: TransportOptions) -> AsyncIterator[Transport]:
    if _backend() == "trio":
        if (options.trio_backend or _TRIO_DEFAULT) == "websockets":
            from live_actor._transport._trio_sansio import open_trio_sansio_transport

            async with open_trio_sansio_transport(dial, options) as sansio_transport:
                yield sansio_transport
        else:
            from live_actor._transport._trio_dial import open_trio_transport

            async with open_trio_transport(dial, options) as trio_transport:
                yield trio_transport
    else:
        from live_actor._transport._websockets import open_websockets_transport

        async with open_websockets_transport(dial, options) as ws_transport:
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
    return await _connect(Dial(url, headers), options or _DEFAULT_OPTIONS, task_group)


async def _connect(
    dial: Dial,
    options: TransportOptions,
    task_group: anyio.abc.TaskGroup | trio.Nursery | None,
) -> Transport:
    if _backend() == "trio":
        if task_group is None:
            raise RuntimeError(
                "under trio, connect() needs task_group= (a nursery or anyio task group) "
                "to run the connection's reader; or use `async with open_transport(...)`"
            )
        from live_actor._transport._trio_dial import connect_trio

        if (options.trio_backend or _TRIO_DEFAULT) == "websockets":
            from live_actor._transport._trio_sansio import open_trio_sansio_transport

            return await connect_trio(dial, options, task_group, open_trio_sansio_transport)
        return await connect_trio(dial, options, task_group)
    from live_actor._transport._websockets import connect_websockets

    return await connect_websockets(dial, options)
