"""Thread-based WebSocket servers for the transport tests.

They run in threads on blocking sockets so that the same server serves tests on
asyncio and on trio, over real loopback TCP.

* :class:`ScriptedServer`: a ``websockets.sync`` server whose behaviour is chosen by
  the request path (echo, close with a code, refuse the upgrade, report headers).
* :class:`RawServer`: hand-written HTTP/1.1 for what a well-behaved library will not
  do: never answer the upgrade, accept then never answer pings, drop the TCP
  connection without a close frame, hang up in the middle of the handshake.
"""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import threading
from contextlib import suppress
from urllib.parse import parse_qs, urlsplit

from websockets.datastructures import Headers
from websockets.http11 import Request, Response
from websockets.sync.server import ServerConnection, serve

BIG = 5 * 1024 * 1024


class ScriptedServer:
    """Paths:

    ``/echo``            echo every message back, same frame type
    ``/headers``         send the request headers as JSON (text), then echo
    ``/big``             send a BIG-byte binary and a BIG-char text message, then echo
    ``/oversize?n=N``    send one N-byte binary message
    ``/close?code=C&reason=R``  send "a" (text), b"b" (binary), then close with C/R
    ``/reject/<status>`` refuse the upgrade; the body quotes the API key header, as
                         a careless proxy might, to test that we scrub it
    """

    def __init__(self) -> None:
        self.requests: list[Headers] = []
        self.close_codes: list[int | None] = []
        self.close_reasons: list[str | None] = []
        self._changed = threading.Condition()
        self._server = serve(
            self._handle,
            "127.0.0.1",
            0,
            process_request=self._process_request,
            max_size=None,
            ping_interval=None,
        )
        self.port = self._server.socket.getsockname()[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path: str) -> str:
        return f"ws://127.0.0.1:{self.port}{path}"

    def shutdown(self) -> None:
        self._server.shutdown()
        self._thread.join(5)

    def _process_request(self, conn: ServerConnection, request: Request) -> Response | None:
        self.requests.append(request.headers)
        path = urlsplit(request.path).path
        if path.startswith("/reject/"):
            status = int(path.rsplit("/", 1)[1])
            key = request.headers.get("x-goog-api-key", "")
            return conn.respond(status, f"API key not valid: {key!r}. Please pass a valid key.\n")
        return None

    def _handle(self, conn: ServerConnection) -> None:
        parts = urlsplit(conn.request.path if conn.request else "/")
        query = parse_qs(parts.query)
        path = parts.path
        try:
            if path == "/headers":
                assert conn.request is not None
                conn.send(json.dumps({k.lower(): v for k, v in conn.request.headers.raw_items()}))
            elif path == "/big":
                conn.send(b"\x01" * BIG)
                conn.send("x" * BIG)
            elif path == "/oversize":
                conn.send(b"\x02" * int(query["n"][0]))
            elif path == "/close":
                conn.send("a")
                conn.send(b"b")
                conn.close(int(query["code"][0]), query.get("reason", [""])[0])
                return
            for message in conn:
                conn.send(message)
        except Exception:
            pass  # the client going away mid-test is fine
        finally:
            with self._changed:
                self.close_codes.append(conn.close_code)
                self.close_reasons.append(conn.close_reason)
                self._changed.notify_all()

    def wait_for_closes(self, count: int, timeout: float = 2.0) -> list[int | None]:
        """Block (in a worker thread) until ``count`` connections have ended."""
        with self._changed:
            self._changed.wait_for(lambda: len(self.close_codes) >= count, timeout)
            return list(self.close_codes)


def _accept_value(key: str) -> str:
    guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
    return base64.b64encode(hashlib.sha1((key + guid).encode()).digest()).decode()


class RawServer:
    """Paths: ``/hang`` (never answer), ``/silent`` (accept, never pong, never close),
    ``/drop`` (accept, send one text frame "bye", close TCP with no close frame),
    ``/eof`` (read the request, close TCP)."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._conns: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._acceptor = threading.Thread(target=self._accept_loop, daemon=True)
        self._acceptor.start()

    def url(self, path: str) -> str:
        return f"ws://127.0.0.1:{self.port}{path}"

    def shutdown(self) -> None:
        self._stop.set()
        self._acceptor.join(5)
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(5)
        self._listener.close()

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            with self._lock:
                self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(0.05)
            request = self._read_request(conn)
            if request is None:
                return
            path, headers = request
            if path == "/eof":
                return
            if path == "/hang":
                self._stop.wait()
                return
            response = (
                "HTTP/1.1 101 Switching Protocols\r\n"
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Accept: {_accept_value(headers['sec-websocket-key'])}\r\n\r\n"
            )
            conn.sendall(response.encode())
            if path == "/drop":
                conn.sendall(b"\x81\x03bye")
                with suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
                return
            # /silent: swallow everything (pings, close frames), answer nothing.
            while not self._stop.is_set():
                try:
                    if not conn.recv(65536):
                        return
                except TimeoutError:
                    continue
                except OSError:
                    return

    def _read_request(self, conn: socket.socket) -> tuple[str, dict[str, str]] | None:
        data = b""
        while b"\r\n\r\n" not in data:
            if self._stop.is_set():
                return None
            try:
                chunk = conn.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                return None
            if not chunk:
                return None
            data += chunk
        head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        path = urlsplit(head[0].split(" ")[1]).path
        headers = {}
        for line in head[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return path, headers
