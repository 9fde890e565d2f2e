"""HTTP/1.1 on one port: REST requests and WebSocket upgrades (h11 + wsproto).

Why h11 + wsproto instead of a WebSocket server library: the fake must be able to
misbehave exactly (drop TCP without a close frame, write malformed frames) and serve
REST on the same port as the WebSocket paths, which needs the raw socket.

WebSocket paths (a leading ``//`` is tolerated, as the SDK dials it):

* ``/ws/google.ai.generativelanguage.{v1alpha|v1beta|v1}.GenerativeService.BidiGenerateContent``
* ``/ws/google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateContentConstrained``
* ``/ws/google.cloud.aiplatform.{v1beta1|v1}.LlmBidiService/BidiGenerateContent``

Other paths answer HTTP 404.  Credentials (header or query) are evaluated at the
upgrade; by default a refusal is reported as close 1008 after the client's first
message (how the SDK surfaces it as ``APIError``); with
``reject_auth_at_upgrade=True`` the upgrade is refused with HTTP 401/403 instead.

Refusal reasons: no credential ⇒ "The request is missing a valid API key."; key not
in ``api_keys`` ⇒ "API key not valid. Please pass a valid API key."; ephemeral
token on the plain method ⇒ "Method doesn't allow unregistered callers ...";
unknown token ⇒ "The ephemeral token is not valid."; bearer not in
``bearer_tokens`` ⇒ "Request had invalid authentication credentials."
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qsl, urlsplit

import attrs
import h11
import orjson
import trio
from wsproto.connection import Connection as WsConnection
from wsproto.connection import ConnectionType
from wsproto.utilities import generate_accept_token

from ._rest import error_body
from ._setup import Reject
from ._tokens import EphemeralToken

if TYPE_CHECKING:
    from ._core import Core

__all__ = [
    "AuthInfo",
    "WsRoute",
    "evaluate_auth",
    "match_ws_path",
    "normalise_path",
    "serve_stream",
]

_GEMINI = re.compile(
    r"^/ws/google\.ai\.generativelanguage\.(v1alpha|v1beta|v1)\.GenerativeService\."
    r"(BidiGenerateContent|BidiGenerateContentConstrained)$"
)
_VERTEX = re.compile(
    r"^/ws/google\.cloud\.aiplatform\.(v1beta1|v1)\.LlmBidiService/BidiGenerateContent$"
)
MISSING: Final = "The request is missing a valid API key."
BAD_KEY: Final = "API key not valid. Please pass a valid API key."
UNREGISTERED: Final = (
    "Method doesn't allow unregistered callers (callers without established identity)."
)
BAD_TOKEN: Final = "The ephemeral token is not valid."
BAD_BEARER: Final = "Request had invalid authentication credentials."


@attrs.frozen
class WsRoute:
    """Which API a WebSocket path belongs to."""

    backend: str
    api_version: str
    constrained: bool = False


@attrs.frozen
class AuthInfo:
    """Outcome of credential checks at the upgrade (refusal deferred to the first message)."""

    kind: str | None
    error: Reject | None = None
    token: EphemeralToken | None = None
    http_status: int = 403


def normalise_path(path: str) -> str:
    """Collapse repeated leading slashes (``//ws/...`` → ``/ws/...``)."""
    return "/" + path.lstrip("/")


def match_ws_path(path: str) -> WsRoute | None:
    """Route a WebSocket path, or None for unknown paths (HTTP 404)."""
    path = normalise_path(path)
    m = _GEMINI.match(path)
    if m:
        constrained = m.group(2) == "BidiGenerateContentConstrained"
        if constrained and m.group(1) != "v1alpha":
            return None
        return WsRoute("gemini", m.group(1), constrained)
    m = _VERTEX.match(path)
    if m:
        return WsRoute("vertex", m.group(1))
    return None


def evaluate_auth(
    core: Core, route: WsRoute, headers: dict[str, str], query: dict[str, str]
) -> AuthInfo:
    """Decide whether the credentials of an upgrade request are acceptable."""
    authz = headers.get("authorization", "")
    api_key = headers.get("x-goog-api-key") or query.get("key") or ""
    if route.backend == "vertex":
        if authz.lower().startswith("bearer "):
            bearer = authz[7:].strip()
            if bearer and core.bearer_ok(bearer):
                return AuthInfo("bearer")
            return AuthInfo("bearer", Reject(1008, BAD_BEARER), http_status=401)
        if api_key:
            if core.key_ok(api_key):
                return AuthInfo("api_key")
            return AuthInfo("api_key", Reject(1008, BAD_KEY))
        return AuthInfo(None, Reject(1008, MISSING), http_status=401)
    token_name = ""
    if authz.startswith("Token "):
        token_name = authz[6:].strip()
    elif query.get("access_token"):
        token_name = query["access_token"]
    elif api_key.startswith("auth_tokens/"):
        token_name = api_key
    if token_name:
        if not route.constrained:
            return AuthInfo("token", Reject(1008, UNREGISTERED))
        token = core.tokens.get(token_name)
        if token is None:
            return AuthInfo("token", Reject(1008, BAD_TOKEN), http_status=401)
        return AuthInfo("token", token=token)
    if route.constrained:
        return AuthInfo(None, Reject(1008, UNREGISTERED))
    if not api_key:
        return AuthInfo(None, Reject(1008, MISSING))
    if not core.key_ok(api_key):
        return AuthInfo("api_key", Reject(1008, BAD_KEY))
    return AuthInfo("api_key")


async def _next_event(conn: h11.Connection, stream: trio.SocketStream) -> Any:
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            try:
                data = await stream.receive_some(65536)
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                data = b""
            conn.receive_data(data)
            continue
        return event


async def _send_json(
    conn: h11.Connection, stream: trio.SocketStream, status: int, body: dict[str, Any]
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


async def serve_stream(core: Core, stream: trio.SocketStream) -> None:
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
                await _upgrade(core, conn, stream, split.path, headers, query)
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
                status, out = core.rest.handle(method, split.path, query, headers, body)
                await _send_json(conn, stream, status, out)
            if conn.our_state is h11.MUST_CLOSE:
                return
            conn.start_next_cycle()
    except (h11.RemoteProtocolError, h11.LocalProtocolError, trio.BrokenResourceError):
        return
    finally:
        await trio.aclose_forcefully(stream)


async def _upgrade(
    core: Core,
    conn: h11.Connection,
    stream: trio.SocketStream,
    path: str,
    headers: dict[str, str],
    query: dict[str, str],
) -> None:
    route = match_ws_path(path)
    if route is None:
        await _send_json(conn, stream, 404, error_body(404, f"Path {path} not found.", "NOT_FOUND"))
        return
    key = headers.get("sec-websocket-key")
    if not key:
        await _send_json(
            conn, stream, 400, error_body(400, "Missing Sec-WebSocket-Key.", "INVALID_ARGUMENT")
        )
        return
    auth = evaluate_auth(core, route, headers, query)
    if auth.error is not None and core.reject_auth_at_upgrade:
        status = auth.http_status
        name = "UNAUTHENTICATED" if status == 401 else "PERMISSION_DENIED"
        await _send_json(conn, stream, status, error_body(status, auth.error.reason, name))
        return
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
    ws = WsConnection(ConnectionType.SERVER, extensions=[], trailing_data=bytes(trailing))
    connection = core.new_connection(
        stream,
        ws,
        path=normalise_path(path),
        api_version=route.api_version,
        backend=route.backend,
        auth=auth,
        headers=headers,
    )
    await connection.run()
