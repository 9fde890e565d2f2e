"""The transport seam, public: what a session dials through, and how to test one.

A session moves whole WebSocket messages through a :class:`Transport` and obtains
it from a :class:`Connector`: :func:`open_transport` (trio-websocket under trio,
``websockets`` under asyncio) unless told otherwise.  For tests:

* :func:`memory_transport_pair` -- two transports back to back, no socket;
* :class:`MemoryConnector` -- a connector that dials in memory; the test plays
  the server by taking each dial with ``await connector.accept()`` (or refusing
  it), on asyncio, trio, or trio's ``MockClock``;
* :func:`check_transport` -- the conformance suite every transport passes, in the
  manner of ``trio.testing.check_two_way_stream``: give it a factory of connected
  ``(client, server)`` pairs of your own transport.

This module never imports the session layer, so test tools (and the fake server)
can use it without the client side.
"""

from __future__ import annotations

from live_actor._transport import (
    MIN_MAX_MESSAGE_SIZE,
    Connector,
    MemoryConnector,
    MemoryDial,
    MemoryTransport,
    PendingDial,
    Transport,
    TransportClosed,
    TransportConnectError,
    TransportOptions,
    check_transport,
    memory_transport_pair,
    open_transport,
)

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
    "memory_transport_pair",
    "open_transport",
]
