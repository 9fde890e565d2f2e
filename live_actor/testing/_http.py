"""HTTP/1.1 on one port: REST requests and WebSocket upgrades (h11 + wsproto).

Why h11 + wsproto instead of a WebSocket server library: the fake must be able to
misbehave exactly (drop TCP without a close frame, write malformed frames) and serve
REST on the same port as the WebSocket paths, which needs the raw socket.

Routing and credentials of the WebSocket paths are ``_upgrade``'s; other paths are
REST (``_rest``) or HTTP 404.  With ``reject_auth_at_upgrade=True`` bad credentials
refuse the upgrade with HTTP 401/403 instead of a close 1008 after the first message.
A successful upgrade is handed to the ``on_websocket`` callback, which serves it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

import h11
import orjson
import trio
from wsproto.connection import Connection as WsConnection
from wsproto.connection import ConnectionType
from wsproto.utilities import generate_accept_token

from ._rest import RestApp, error_body
from ._settings import FakeServerSettings
from ._tokens import TokenStore
from ._upgrade import AuthInfo, WsRoute, evaluate_auth, match_ws_path, normalise_path

__all__ = ["WebSocketHandler", "serve_stream"]


class WebSocketHandler(Protocol):
    """Serves one upgraded WebSocket until it closes."""

    async def __call__(
        self,
        stream: trio.abc.Stream,
        ws: WsConnection,
        *,
        route: WsRoute,
        auth: AuthInfo,
        path: str,
        headers: Mapping[str, str],
    ) -> None:
        """Serve the WebSocket."""


async def _next_event(conn: h11.Connection, stream: trio.abc.Stream) -> Any:
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            try:
                data = await stream.receive_some(65536)
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                data = b""
            conn.receive_data(bytes(data))
            continue
        return event


async def _send_json(
    conn: h11.Connection, stream: trio.abc.Stream, status: int, body: dict[str, Any]
) -> None:
    payload = orjson.dumps(body)
    headers = [
        ("content-type", "application/json; charset=UTF-8"),
        ("content-length", str(len(payload))),
    ]
    data = conn.send(h11.Response(status_code=status, headers=headers))
    data += conn.send(h11.Data(data=payload)) or b""
    data += conn.send(h11.EndOfMessage()) or b""
    await stream.send_all(data)


async def serve_stream(
    stream: trio.abc.Stream,
    *,
    settings: FakeServerSettings,
    tokens: TokenStore,
    rest: RestApp,
    on_websocket: WebSocketHandler,
) -> None:
    """Serve one TCP connection: REST requests (keep-alive) or one WebSocket."""
    conn = h11.Connection(h11.SERVER)
    try:
        while True:
            event = await _next_event(conn, stream)
            if not isinstance(event, h11.Request):
                return
            headers = {k.decode().lower(): v.decode("latin-1") for k, v in event.headers}
            target = event.target.decode("latin-1")
            split = urlsplit(normalise_path(target))
            query = dict(parse_qsl(split.query))
            body_parts = []
            while True:
                ev = await _next_event(conn, stream)
                if isinstance(ev, h11.Data):
                    body_parts.append(bytes(ev.data))
                elif isinstance(ev, h11.EndOfMessage) or ev is h11.PAUSED:
                    break
                else:
                    return
            if headers.get("upgrade", "").lower() == "websocket":
                route = match_ws_path(split.path)
                if route is None:
                    message = f"Path {split.path} not found."
                    await _send_json(conn, stream, 404, error_body(404, message, "NOT_FOUND"))
                    return
                auth = evaluate_auth(settings, tokens, route, headers, query)
                ws = await _upgrade(conn, stream, headers, auth, settings.reject_auth_at_upgrade)
                if ws is not None:
                    path = normalise_path(split.path)
                    await on_websocket(
                        stream, ws, route=route, auth=auth, path=path, headers=headers
                    )
                return
            method = event.method.decode()
            raw = b"".join(body_parts)
            try:
                body = orjson.loads(raw) if raw else None
            except orjson.JSONDecodeError:
                await _send_json(
                    conn,
                    stream,
                    400,
                    error_body(400, "Invalid JSON payload received.", "INVALID_ARGUMENT"),
                )
            else:
                status, out = rest.handle(method, split.path, query, headers, body)
                await _send_json(conn, stream, status, out)
            if conn.our_state is h11.MUST_CLOSE:
                return
            conn.start_next_cycle()
    except (h11.RemoteProtocolError, h11.LocalProtocolError, trio.BrokenResourceError):
        return
    finally:
        await trio.aclose_forcefully(stream)


async def _upgrade(
    conn: h11.Connection,
    stream: trio.abc.Stream,
    headers: dict[str, str],
    auth: AuthInfo,
    reject_at_upgrade: bool,
) -> WsConnection | None:
    """Answer the upgrade: 101 and the WebSocket, or an HTTP refusal and None."""
    key = headers.get("sec-websocket-key")
    if not key:
        body = error_body(400, "Missing Sec-WebSocket-Key.", "INVALID_ARGUMENT")
        await _send_json(conn, stream, 400, body)
        return None
    if auth.error is not None and reject_at_upgrade:
        status = auth.http_status
        name = "UNAUTHENTICATED" if status == 401 else "PERMISSION_DENIED"
        await _send_json(conn, stream, status, error_body(status, auth.error.reason, name))
        return None
    response_headers: list[tuple[bytes, bytes]] = [
        (b"upgrade", b"websocket"),
        (b"connection", b"Upgrade"),
        (b"sec-websocket-accept", generate_accept_token(key.encode())),
    ]
    response = h11.InformationalResponse(
        status_code=101,
        headers=response_headers,
        reason=b"Switching Protocols",
    )
    await stream.send_all(conn.send(response) or b"")
    trailing, _closed = conn.trailing_data
    return WsConnection(ConnectionType.SERVER, extensions=[], trailing_data=bytes(trailing))
