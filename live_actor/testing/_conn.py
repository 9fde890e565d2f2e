"""One WebSocket connection of the fake server: message dispatch, faults, timer.

A connection is three rooms and this class composes them:

* the socket (``_socket.WebSocketLink``): framing, close handshake, stall;
* the user's side (``_input.InputHandler``) and the model's side
  (``_turns.TurnEngine``), both created when the setup succeeds;
* here: decoding each client message into the ledger, the setup handshake, the fault
  methods tests call, and the **timer** (goAway, the connection cut, session duration
  limits, timed faults of a ``FaultPlan``).

All of it runs in the server's trio thread; each client message is handled to
completion before the next one is read, so effects apply in arrival order.

Close codes used here (besides the setup refusals of ``_setup``):

* credentials refused ⇒ 1008 (reason says why; see ``_upgrade``), sent after the
  client's first message so the SDK surfaces it as ``APIError``;
* first message not ``setup``, second ``setup``, non-JSON, not exactly one top-level
  field, bad base64, unknown tool-call id, ``activityStart`` with automatic VAD on,
  the model's rules (``_models``: 3.1 ``clientContent``, 3.8 setup fields), a seeded
  turn with a non-text part, a replicated voice without its consent signature ⇒
  1007 ``"Request contains an invalid argument."`` (activity and voice: own reasons);
* unknown or expired resumption handle ⇒ 1008 ``"Session resumption handle is
  invalid or has expired."``; resume while the session's previous socket is still
  open ⇒ 1011 ``"Internal error occurred."`` (what the service does);
* session duration limit (no ``contextWindowCompression``) ⇒ 1008 ``"Session
  duration limit exceeded."`` and the session's handles die with it;
* lifetime cut after goAway ⇒ 1000 ``""`` (or an abrupt drop with ``go_away_cut="drop"``);
* message over ``max_message_size`` ⇒ 1009.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import attrs
import trio
from wsproto.connection import Connection as WsConnection

from ._faults import FaultInjector
from ._handshake import bind
from ._input import InputHandler
from ._ledger import LedgerEntry, decode_client_message
from ._services import Bridge, SessionServices
from ._session import FakeSession
from ._settings import FakeServerSettings
from ._setup import INTERNAL, INVALID_ARGUMENT, SESSION_LIMIT, Reject, SessionConfig
from ._socket import WebSocketLink
from ._timer import ConnectionTimer
from ._turns import TurnEngine
from ._upgrade import AuthInfo
from ._usage import USAGE_KEYS
from ._wire import dumps

__all__ = ["ServerConnection"]


class ServerConnection:
    """One client connection, as seen by tests: state, ledger, and fault injection.

    Read-only attributes are safe to read from any thread.  Fault methods
    (:meth:`drop`, :meth:`close`, :meth:`go_away`, :meth:`stall`, :meth:`send_raw`,
    :meth:`send_json`) are synchronous, thread-safe, and return once the server
    thread has *scheduled* the fault (effects follow within milliseconds).
    """

    def __init__(
        self,
        *,
        settings: FakeServerSettings,
        services: SessionServices,
        bridge: Bridge,
        number: int,
        stream: trio.abc.Stream,
        ws: WsConnection,
        path: str,
        api_version: str,
        backend: str,
        auth: AuthInfo,
        headers: Mapping[str, str],
    ) -> None:
        self._settings = settings
        self._services = services
        self._bridge = bridge
        self.number = number
        """Global 1-based connection number on this server (accept order)."""
        self.path = path
        self.api_version = api_version
        self.backend = backend
        """``"gemini"`` or ``"vertex"``."""
        self.auth_kind = auth.kind
        """``"api_key"``, ``"token"``, ``"bearer"`` or ``None`` (missing)."""
        self.headers = dict(headers)
        self._auth = auth
        self._stream = stream
        self._link = WebSocketLink(stream, ws, settings=settings, spawn=self.spawn)
        self.state = "open"
        """``"open"`` → ``"ready"`` (after setupComplete) → ``"closed"``."""
        self.opened_at = trio.current_time()
        self.closed_at: float | None = None
        """Server time the connection closed."""
        self.session: FakeSession | None = None
        self.connection_in_session = 0
        self.config: SessionConfig | None = None
        self.setup: dict[str, Any] | None = None
        self.received: list[LedgerEntry] = []
        self.sent: list[dict[str, Any]] = []
        self._turns: TurnEngine | None = None
        self._input: InputHandler | None = None
        self._faults = FaultInjector(number)
        self._nursery: trio.Nursery | None = None
        self._next_index = 0
        self._last_index = 0
        self._timer = ConnectionTimer(
            settings=settings,
            opened_at=self.opened_at,
            emit=self.emit,
            on_session_limit=self._session_limit,
            on_cut=self._cut,
            on_tick=self._tick,
        )
        self._closed_event = trio.Event()

    def __repr__(self) -> str:
        sid = self.session.id if self.session else None
        return f"<ServerConnection #{self.number} session={sid} state={self.state}>"

    # ------------------------------------------------------------------ public

    @property
    def session_id(self) -> str | None:
        """The stable session id (survives resumption), once setup succeeded."""
        return self.session.id if self.session else None

    @property
    def is_open(self) -> bool:
        """Whether the socket is still open."""
        return self.state != "closed"

    @property
    def close_code(self) -> int | None:
        """The close code sent or received (1006: no close frame), once closing."""
        return self._link.close_code

    @property
    def close_reason(self) -> str:
        """The close reason sent or received."""
        return self._link.close_reason

    @property
    def closed_by(self) -> str | None:
        """``"server"``, ``"client"``, ``"drop"`` (server abort) or ``"eof"`` (client vanished)."""
        return self._link.closed_by

    @property
    def usage(self) -> dict[str, int]:
        """Token totals over the connection's turns (and ``turns``, their number)."""
        if self._turns is None:
            return dict.fromkeys(USAGE_KEYS, 0)
        return dict(self._turns.usage)

    @property
    def audio_seconds(self) -> float:
        """Seconds of audio received on this connection."""
        return self._input.audio_seconds if self._input else 0.0

    @property
    def ignored_audio_seconds(self) -> float:
        """Audio received with manual VAD outside an activity (nobody listened)."""
        return self._input.ignored_audio_seconds if self._input else 0.0

    @property
    def video_frames(self) -> int:
        """Video frames received on this connection."""
        return self._input.video_frames if self._input else 0

    @property
    def go_away_sent(self) -> bool:
        """Whether a goAway went out on this connection."""
        return self._timer.go_away_sent

    @property
    def last_consumed_index(self) -> int:
        """Index of the last client message consumed on this connection (setup = 0)."""
        return self._last_index

    def drop(self) -> None:
        """Abort the TCP connection without a close frame (the client sees 1006)."""
        self._bridge.call(lambda: self._fault("drop", 0.0, planned=False))

    def close(self, code: int = 1011, reason: str = INTERNAL) -> None:
        """Close with a close frame ``code``/``reason`` (default: the service's 1011)."""
        self._bridge.call(lambda: self._fault("close", code, planned=False, reason=reason))

    def go_away(self, time_left: float = 1.0, *, cut: bool = True) -> None:
        """Send ``goAway{timeLeft}``; with ``cut`` the connection ends after ``time_left``."""
        self._bridge.call(lambda: self._fault("go_away", time_left, planned=False, cut=cut))

    def stall(self, seconds: float) -> None:
        """Stop reading and sending for ``seconds`` of server time (queued frames wait)."""
        self._bridge.call(lambda: self._fault("stall", seconds, planned=False))

    def send_raw(self, data: bytes | str, *, raw_tcp: bool = False) -> None:
        """Send arbitrary data: ``str`` as a text frame, ``bytes`` as a binary frame,
        or (``raw_tcp=True``) bytes written straight to TCP (malformed WebSocket framing).
        """
        kind = "raw_tcp" if raw_tcp else "payload"
        self._bridge.call(lambda: self.spawn(self._link.send_item, (kind, data)))

    def send_json(self, message: dict[str, Any]) -> None:
        """Send any server message (camelCase JSON) in the connection's frame type."""
        self._bridge.call(lambda: self.spawn(self.emit, message))

    # ------------------------------------------------- server thread (Outbox)

    async def emit(self, message: dict[str, Any]) -> None:
        """Queue one server message for the writer (recorded with ``record_sent``)."""
        if self._settings.record_sent:
            self.sent.append(message)
        await self._link.send_message(dumps(message))

    def spawn(self, fn: Callable[..., Awaitable[Any]], *args: Any) -> None:
        """Run ``fn(*args)`` as a task of this connection; an exception closes it with 1011."""
        if self._nursery is not None and self.state != "closed":
            self._nursery.start_soon(self._guarded, fn, *args)

    def wake_timer(self) -> None:
        """Make the timer re-read its deadlines."""
        self._timer.wake()

    def close_in_server(self, code: int, reason: str) -> None:
        """Server thread: close with a close frame (the server's own shutdown uses it)."""
        self._link.request_close(code, reason)

    async def wait_closed_in_server(self) -> None:
        """Server thread: wait until the connection is closed."""
        await self._closed_event.wait()

    async def _guarded(self, fn: Callable[..., Awaitable[Any]], *args: Any) -> None:
        try:
            await fn(*args)
        except Exception as exc:
            self._internal_error(exc)

    def _internal_error(self, exc: Exception) -> None:
        self._services.internal_error(exc)
        self._link.request_close(1011, INTERNAL)

    # ----------------------------------------------------------- fault engine

    def _fault(
        self, kind: str, parameter: float, *, planned: bool, cut: bool = True, reason: str = ""
    ) -> None:
        """Apply a fault now (kinds: drop, 1011, close, go_away, stall) and log it."""
        if self.state == "closed":
            return
        self._services.record_fault(
            server_connection=self.number,
            session_id=self.session_id,
            kind=kind,
            parameter=parameter,
            planned=planned,
        )
        if kind == "drop":
            self._link.abort("drop")
        elif kind == "1011":
            self._link.request_close(1011, INTERNAL)
        elif kind == "close":
            self._link.request_close(int(parameter), reason)
        elif kind == "go_away":
            self.spawn(self._timer.go_away, parameter, cut)
        elif kind == "stall":
            self._link.stall(parameter)

    def _planned_fault(self, *, per_message: bool) -> None:
        if per_message and self._link.closing:
            return
        drawn = self._faults.draw(
            self._services.fault_plan,
            messages=self._next_index - 1 if per_message else None,
        )
        if drawn is not None:
            self._fault(drawn[0], drawn[1], planned=True)

    # ------------------------------------------------------------------ tasks

    async def run(self) -> None:
        """Serve the connection until it closes (called by the HTTP layer)."""
        try:
            with self._link.scope:
                async with trio.open_nursery() as nursery:
                    self._nursery = nursery
                    nursery.start_soon(self._link.write_loop)
                    nursery.start_soon(self._timer.run, self._services.fault_plan)
                    await self._link.read_loop(self._on_message)
                    # the writer sends the pending close frame, then cancels the scope
                    with trio.move_on_after(self._settings.close_timeout):
                        await trio.sleep_forever()
                    nursery.cancel_scope.cancel()
        finally:
            self._finish()
            await trio.aclose_forcefully(self._stream)

    def _finish(self) -> None:
        if self.state == "closed":
            return
        self._link.finish()
        self.state = "closed"
        self.closed_at = trio.current_time()
        if self._turns is not None:
            self._turns.cancel()
        if self.session is not None:
            self.session.detach(self, self.closed_at)
        self._services.connection_closed(self.session)
        self._closed_event.set()
        self._bridge.changed()

    def _session_limit(self) -> None:
        if self.session is not None:
            self.session.ended = True
            self._services.kill_handles(self.session)
        self._link.request_close(1008, SESSION_LIMIT)

    def _cut(self) -> None:
        if self._settings.go_away_cut == "drop":
            self._fault("drop", 0.0, planned=True)
        else:
            self._link.request_close(1000, "")

    def _tick(self) -> None:
        if self.state == "ready":
            self._planned_fault(per_message=False)

    # --------------------------------------------------------------- inbound

    async def _on_message(self, payload: bytes | str) -> None:
        try:
            await self._handle(payload)
        except Reject as rej:
            self._link.request_close(rej.code, rej.reason)
        except Exception as exc:
            self._internal_error(exc)

    async def _handle(self, payload: bytes | str) -> None:
        key, body = decode_client_message(payload)
        entry = LedgerEntry.of(
            key,
            body,
            where=(self.session_id, self.connection_in_session, self.number, self._next_index),
            time=trio.current_time(),
            keep_media=self._settings.ledger_media,
        )
        self._next_index += 1
        if self.state != "ready":
            self.received.append(entry)
            if key != "setup":
                raise Reject(1007, INVALID_ARGUMENT)
            await self._on_setup(body, entry)
            self._bridge.changed()
            return
        if key == "setup":
            raise Reject(1007, INVALID_ARGUMENT)
        self.received.append(entry)
        session, turns, user = self.session, self._turns, self._input
        assert session is not None and turns is not None and user is not None
        session.record(entry)
        self._last_index = entry.index
        token = session.token
        if token is not None and self._services.now_wall() >= token.expire_time:
            raise Reject(1008, "The ephemeral token has expired.")
        if key == "clientContent":
            await user.client_content(body)
        elif key == "realtimeInput":
            await user.realtime(body)
        elif key == "toolResponse":
            if (ignored := await turns.tool_response(body)) is not None:
                self.received[-1] = session.mark_ignored(entry, ignored)
        else:
            user.context_update(body)
        self._planned_fault(per_message=True)
        if self._bridge.has_waiters():
            self._bridge.changed()

    async def _on_setup(self, body: dict[str, Any], entry: LedgerEntry) -> None:
        binding = bind(
            body,
            auth=self._auth,
            settings=self._settings,
            services=self._services,
            outbox=self,
            api_version=self.api_version,
            vertex=self.backend == "vertex",
        )
        session = binding.session
        self.connection_in_session = session.attach(self)
        self.session, self.config, self.setup = session, binding.config, binding.setup
        self._turns, self._input = binding.turns, binding.input
        entry = attrs.evolve(
            entry,
            session_id=session.id,
            connection=self.connection_in_session,
            message={"setup": binding.setup},  # as the token (if any) made it
        )
        self.received[-1] = entry
        session.record(entry)
        self.state = "ready"
        self._timer.start_lifetime(session, compression=binding.config.compression)
        await self.emit(binding.setup_complete())
        await self._turns.updates.checkpoint()
        self._timer.wake()
