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

import contextlib
from collections.abc import Mapping
from typing import Any, Final, Protocol
from urllib.parse import parse_qsl, urlsplit

import attrs
import h11
import orjson
import trio
from wsproto.connection import Connection as WsConnection
from wsproto.connection import ConnectionType
from wsproto.utilities import generate_accept_token

from ._admission import Admission
from ._rest import RestApp, error_body
from ._settings import FakeServerSettings
from ._tokens import TokenStore
from ._upgrade import AuthInfo, WsRoute, evaluate_auth, match_ws_path, normalise_path

__all__ = ["WebSocketHandler", "serve_stream"]

#: How long an HTTP refusal may take to write before the connection is just closed.
REFUSAL_TIMEOUT: Final = 2.0
HEADERS_TOO_LARGE: Final = "Request Header Fields Too Large"


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
    conn: h11.Connection,
    stream: trio.abc.Stream,
    status: int,
    body: dict[str, Any],
    *,
    close: bool = False,
) -> None:
    payload = orjson.dumps(body)
    headers = [
        ("content-type", "application/json; charset=UTF-8"),
        ("content-length", str(len(payload))),
    ]
    if close:
        headers.append(("connection", "close"))
    data = conn.send(h11.Response(status_code=status, headers=headers))
    data += conn.send(h11.Data(data=payload)) or b""
    data += conn.send(h11.EndOfMessage()) or b""
    await stream.send_all(data)


@attrs.frozen
class _Request:
    event: h11.Request
    headers: dict[str, str]
    body: bytes


class _BodyTooLarge(Exception):
    pass


class _HeadersTooLarge(Exception):
    pass


async def _read_request(
    conn: h11.Connection, stream: trio.abc.Stream, max_head: int, max_body: int
) -> _Request | None:
    """The next request with its whole body, or None when the client is done."""
    event = await _next_event(conn, stream)
    if not isinstance(event, h11.Request):
        return None
    # h11 bounds a head still arriving; one that arrived whole is measured here
    head = len(event.target) + sum(len(k) + len(v) + 4 for k, v in event.headers)
    if head > max_head:
        raise _HeadersTooLarge
    headers = {k.decode().lower(): v.decode("latin-1") for k, v in event.headers}
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_body:
        raise _BodyTooLarge
    parts: list[bytes] = []
    size = 0
    while True:
        ev = await _next_event(conn, stream)
        if isinstance(ev, h11.Data):
            size += len(ev.data)
            if size > max_body:
                raise _BodyTooLarge
            parts.append(bytes(ev.data))
        elif isinstance(ev, h11.EndOfMessage) or ev is h11.PAUSED:
            return _Request(event, headers, b"".join(parts))
        else:
            return None


async def _refuse(
    conn: h11.Connection, stream: trio.abc.Stream, status: int, message: str, name: str
) -> None:
    """An HTTP error response before the request was fully read, when h11 still allows one.

    Best effort: a client that does not read its answer gets the connection closed.
    """
    if conn.our_state not in (h11.IDLE, h11.SEND_RESPONSE):
        return
    with (
        trio.move_on_after(REFUSAL_TIMEOUT),
        contextlib.suppress(
            trio.BrokenResourceError, trio.ClosedResourceError, h11.LocalProtocolError
        ),
    ):
        await _send_json(conn, stream, status, error_body(status, message, name), close=True)


async def serve_stream(
    stream: trio.abc.Stream,
    *,
    settings: FakeServerSettings,
    tokens: TokenStore,
    rest: RestApp,
    admission: Admission,
    on_websocket: WebSocketHandler,
) -> None:
    """Serve one TCP connection: REST requests (keep-alive) or one WebSocket.

    Each request must arrive within the admission deadline (see ``_admission``); a
    head over ``max_header_bytes`` is answered 431, a body over ``max_rest_body``
    413, malformed HTTP 400; then the connection closes.
    """
    conn = h11.Connection(h11.SERVER, max_incomplete_event_size=settings.max_header_bytes)
    try:
        while True:
            with admission.reading() as deadline:
                request = await _read_request(
                    conn, stream, settings.max_header_bytes, settings.max_rest_body
                )
            if deadline.cancelled_caught or request is None:
                return
            event, headers = request.event, request.headers
            split = urlsplit(normalise_path(event.target.decode("latin-1")))
            query = dict(parse_qsl(split.query))
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
            try:
                body = orjson.loads(request.body) if request.body else None
            except orjson.JSONDecodeError:
                message = "Invalid JSON payload received."
                await _send_json(conn, stream, 400, error_body(400, message, "INVALID_ARGUMENT"))
            else:
                method = event.method.decode()
                status, out = rest.handle(method, split.path, query, headers, body)
                await _send_json(conn, stream, status, out)
            if conn.our_state is h11.MUST_CLOSE:
                return
            conn.start_next_cycle()
    except _BodyTooLarge:
        admission.count("body_too_large")
        message = f"Request payload size exceeds the limit: {settings.max_rest_body} bytes."
        await _refuse(conn, stream, 413, message, "INVALID_ARGUMENT")
    except _HeadersTooLarge:
        admission.count("headers_too_large")
        await _refuse(conn, stream, 431, HEADERS_TOO_LARGE, "INVALID_ARGUMENT")
    except h11.RemoteProtocolError as exc:
        if exc.error_status_hint == 431:
            admission.count("headers_too_large")
            await _refuse(conn, stream, 431, HEADERS_TOO_LARGE, "INVALID_ARGUMENT")
        else:
            admission.count("bad_request")
            await _refuse(conn, stream, 400, "Bad Request", "INVALID_ARGUMENT")
    except (h11.LocalProtocolError, trio.BrokenResourceError):
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
