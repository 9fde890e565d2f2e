"""The server thread's side of a fake server: accept, serve HTTP, create connections.

Everything here runs in the server's trio thread.  It owns the parts of one running
server and wires them together: the frozen settings, the :class:`LoopBridge` other
threads use, the :class:`Registry` of sessions and handles, the REST app, and the
list of connections in accept order.
"""

from __future__ import annotations

import math
import ssl
from collections.abc import Mapping

import trio
from wsproto.connection import Connection as WsConnection

from ._admission import Admission
from ._bridge import LoopBridge
from ._conn import ServerConnection
from ._faults import FaultPlan
from ._http import serve_stream
from ._registry import Registry
from ._rest import RestApp
from ._settings import FakeServerSettings
from ._upgrade import AuthInfo, WsRoute

__all__ = ["Listener"]

#: How long a server shutdown waits for clients to answer its close frames.
SHUTDOWN_GRACE = 0.5
SHUTDOWN_REASON = "Server shutting down."


class Listener:
    """Accepts TCP streams and serves them (REST or one WebSocket each)."""

    def __init__(
        self,
        settings: FakeServerSettings,
        *,
        fault_plan: FaultPlan | None,
        ssl_context: ssl.SSLContext | None = None,
        virtual_clock: bool = False,
    ) -> None:
        self.settings = settings
        #: With a context every accepted stream is TLS (wss:// and https REST).
        self.ssl_context = ssl_context
        self.bridge = LoopBridge()
        self.registry = Registry(
            settings,
            fault_plan=fault_plan,
            changed=self.bridge.changed,
            now_wall=self.bridge.now_wall,
        )
        self.rest = RestApp(
            live_models=sorted(settings.known_models),
            tokens=self.registry.tokens,
            key_ok=settings.key_ok,
            now=self.bridge.now_wall,
        )
        # A virtual clock jumps while the server waits for a client in real time: a
        # request deadline would cut every client, so only the count bound applies.
        self.admission = Admission(
            timeout=math.inf if virtual_clock else settings.handshake_timeout,
            limit=settings.max_pending_handshakes,
            changed=self.bridge.changed,
        )
        #: Every WebSocket connection so far, in accept order (closed ones subject
        #: to the retention bounds).
        self.connections: list[ServerConnection] = []
        #: Closed connections forgotten by retention (``pruned_ready``: set-up ones).
        self.pruned_connections = 0
        self.pruned_ready = 0
        self._number = 0

    async def handle_tcp(self, tcp: trio.SocketStream) -> None:
        """Serve one accepted TCP stream (``trio.serve_tcp`` handler).

        Under TLS the handshake happens on the first read, inside the request
        deadline, so a client that never finishes it is cut like a slow request.
        """
        stream: trio.abc.Stream = tcp
        if self.ssl_context is not None:
            stream = trio.SSLStream(tcp, self.ssl_context, server_side=True)
        try:
            await serve_stream(
                stream,
                settings=self.settings,
                tokens=self.registry.tokens,
                rest=self.rest,
                admission=self.admission,
                on_websocket=self._serve_websocket,
            )
        except Exception as exc:
            self.registry.internal_error(exc)

    async def _serve_websocket(
        self,
        stream: trio.abc.Stream,
        ws: WsConnection,
        *,
        route: WsRoute,
        auth: AuthInfo,
        path: str,
        headers: Mapping[str, str],
    ) -> None:
        conn = ServerConnection(
            settings=self.settings,
            services=self.registry,
            bridge=self.bridge,
            number=self._number + 1,
            stream=stream,
            ws=ws,
            path=path,
            api_version=route.api_version,
            backend=route.backend,
            auth=auth,
            headers=headers,
        )
        self.connections.append(conn)
        self._number += 1
        self.bridge.changed()
        try:
            await conn.run()
        finally:
            self._prune()

    def _prune(self) -> None:
        """Forget closed connections beyond ``retain_finished`` or ``retain_seconds``."""
        closed = [(c.closed_at, c) for c in self.connections if c.closed_at is not None]
        excess = len(closed) - self.settings.retain_finished
        now = trio.current_time()
        drop = {
            id(conn)
            for i, (closed_at, conn) in enumerate(closed)
            if i < excess or now - closed_at >= self.settings.retain_seconds
        }
        if not drop:
            return
        kept = []
        for conn in self.connections:
            if id(conn) in drop:
                self.pruned_connections += 1
                self.pruned_ready += conn.session is not None
            else:
                kept.append(conn)
        self.connections = kept
        self.bridge.changed()

    async def close_all(self) -> None:
        """Server shutdown: close every open connection with 1001, briefly wait."""
        open_conns = [c for c in self.connections if c.is_open]
        for conn in open_conns:
            conn.close_in_server(1001, SHUTDOWN_REASON)
        with trio.move_on_after(SHUTDOWN_GRACE):
            for conn in open_conns:
                await conn.wait_closed_in_server()
