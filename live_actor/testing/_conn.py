"""One WebSocket connection of the fake server: protocol, model turns, VAD, faults.

Task layout per connection (all in the server's trio thread):

* the **reader** decodes frames and handles each client message to completion
  (ledger, history, VAD) before reading the next one, so message effects are applied
  in arrival order;
* the **writer** is the only task that writes to the socket; everything else queues
  frames on a bounded channel (cancelling a producer can never tear a frame);
* the **timer** fires goAway, the connection cut, session limits and timed faults;
* one **turn** task per model reply (cancelled on interruption).

Close codes used here (besides the setup refusals of ``_setup``):

* credentials refused ⇒ 1008 (reason says why; see ``_http``), sent after the client's
  first message so the SDK surfaces it as ``APIError``;
* first message not ``setup``, second ``setup``, non-JSON, not exactly one top-level
  field, bad base64, unknown tool-call id, ``activityStart`` with automatic VAD on ⇒
  1007 ``"Request contains an invalid argument."`` (activity: its own reason);
* unknown or expired resumption handle ⇒ 1008 ``"Session resumption handle is
  invalid or has expired."``; resume while the session's previous socket is still
  open ⇒ 1011 ``"Internal error occurred."`` (what the service does);
* session duration limit (no ``contextWindowCompression``) ⇒ 1008 ``"Session
  duration limit exceeded."`` and the session's handles die with it;
* lifetime cut after goAway ⇒ 1000 ``""`` (or an abrupt drop with ``go_away_cut="drop"``);
* message over ``max_message_size`` ⇒ 1009.
"""

from __future__ import annotations

import math
import random
import re
from collections import deque
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

import orjson
import trio
import wsproto.events as wse
from wsproto.connection import Connection as WsConnection
from wsproto.connection import ConnectionState

from ._audio import OUTPUT_RATE, transcribe
from ._audio import speech as synth
from ._faults import FaultPlan
from ._ledger import LedgerEntry
from ._model import FunctionDeclaration, Reply, TurnContext, count_tokens
from ._session import Session
from ._setup import INTERNAL, INVALID_ARGUMENT, Reject, SessionConfig, content_text, parse_setup
from ._setup import parse_tools as parse_tool_list
from ._vad import ActivityEnd, ActivityStart, EnergyVad
from ._wire import b64decode_lenient, b64encode, camel_key, camelize, dumps, format_duration

if TYPE_CHECKING:
    from ._core import Core
    from ._http import AuthInfo

__all__ = ["ServerConnection"]

CLIENT_FIELDS: Final = frozenset(
    {"setup", "clientContent", "realtimeInput", "toolResponse", "contextUpdate"}
)
REALTIME_FIELDS: Final = (
    "mediaChunks",
    "audio",
    "video",
    "activityStart",
    "text",
    "activityEnd",
    "audioStreamEnd",
)
_RATE = re.compile(r"rate=(\d+)")
AUDIO_CHUNK_SECONDS: Final = 0.04
AUDIO_TOKENS_PER_SECOND: Final = 25
VIDEO_TOKENS_PER_FRAME: Final = 258
BAD_HANDLE: Final = "Session resumption handle is invalid or has expired."
SESSION_LIMIT: Final = "Session duration limit exceeded."
MANUAL_ACTIVITY: Final = (
    "Explicit activity control is not supported when automatic activity detection is enabled."
)


_MEDIA: Final = ("realtimeInput.audio", "realtimeInput.video", "realtimeInput.mediaChunks")


def _strip_blob(blob: Any) -> Any:
    if not isinstance(blob, dict) or not isinstance(blob.get("data"), str):
        return blob
    out = {k: v for k, v in blob.items() if k != "data"}
    out["byteCount"] = len(blob["data"].rstrip("=")) * 3 // 4
    return out


def _strip_media(body: dict[str, Any]) -> dict[str, Any]:
    """Ledger form of a media message: payload replaced by its size (bounded memory)."""
    out = dict(body)
    for field in ("audio", "video"):
        if field in out:
            out[field] = _strip_blob(out[field])
    if isinstance(out.get("mediaChunks"), list):
        out["mediaChunks"] = [_strip_blob(b) for b in out["mediaChunks"]]
    return out


class _Turn:
    __slots__ = (
        "audio_seconds",
        "call_ids",
        "prompt",
        "response_tokens",
        "scope",
        "thought_tokens",
        "user_text",
        "waiting",
        "wake",
    )

    def __init__(self, user_text: str, audio_seconds: float) -> None:
        self.user_text = user_text
        self.audio_seconds = audio_seconds
        self.scope = trio.CancelScope()
        self.response_tokens = 0
        self.thought_tokens = 0
        self.call_ids: list[str] = []
        self.prompt: tuple[int, int, int] | None = None
        self.waiting: set[str] = set()
        self.wake = trio.Event()


class _Pending:
    __slots__ = ("behavior", "name", "turn")

    def __init__(self, name: str, behavior: str, turn: _Turn) -> None:
        self.name = name
        self.behavior = behavior
        self.turn = turn


def _truncate_reason(reason: str) -> str:
    data = reason.encode("utf-8")
    if len(data) <= 123:
        return reason
    return data[:123].decode("utf-8", "ignore")


class ServerConnection:
    """One client connection, as seen by tests: state, ledger, and fault injection.

    Read-only attributes are safe to read from any thread.  Fault methods
    (:meth:`drop`, :meth:`close`, :meth:`go_away`, :meth:`stall`, :meth:`send_raw`,
    :meth:`send_json`) are synchronous, thread-safe, and return once the server
    thread has *scheduled* the fault (effects follow within milliseconds).
    """

    def __init__(
        self,
        core: Core,
        number: int,
        stream: trio.SocketStream,
        ws: WsConnection,
        *,
        path: str,
        api_version: str,
        backend: str,
        auth: AuthInfo,
        headers: Mapping[str, str],
    ) -> None:
        self._core = core
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
        self._ws = ws
        self.state = "open"
        """``"open"`` → ``"ready"`` (after setupComplete) → ``"closed"``."""
        self.close_code: int | None = None
        self.close_reason: str = ""
        self.closed_by: str | None = None
        """``"server"``, ``"client"``, ``"drop"`` (server abort) or ``"eof"`` (client vanished)."""
        self.opened_at = trio.current_time()
        self.session: Session | None = None
        self.connection_in_session = 0
        self.config: SessionConfig | None = None
        self.setup: dict[str, Any] | None = None
        self.received: list[LedgerEntry] = []
        self.sent: list[dict[str, Any]] = []
        self.usage: dict[str, int] = {
            "promptTokenCount": 0,
            "responseTokenCount": 0,
            "totalTokenCount": 0,
            "turns": 0,
        }
        self.audio_seconds = 0.0
        self.ignored_audio_seconds = 0.0
        self.video_frames = 0
        # What the next voice-activity turn may cover (see _covered_input).
        self._in_activity = False
        self._audio_since_turn = 0.0
        self._frames_since_turn = 0
        self._frames_in_activity = 0
        self.go_away_sent = False
        self._send_chan, self._recv_chan = trio.open_memory_channel[tuple[str, Any]](256)
        self._scope = trio.CancelScope()
        self._nursery: trio.Nursery | None = None
        self._next_index = 0
        self._last_index = 0
        self._stall_until = -math.inf
        self._closing = False
        self._peer_closed = trio.Event()
        self._timer_wakeup = trio.Event()
        # The lifetime clock starts at setupComplete (see _start_lifetime): a slow
        # handshake, or a virtual clock jumping while the server waits for the
        # client's setup, must not put a goAway before setupComplete.
        self._cut_at = math.inf
        self._go_away_at = math.inf
        self._reply: _Turn | None = None
        self._pending: dict[str, _Pending] = {}
        self._queued: deque[tuple[str, float]] = deque()
        self._vad: EnergyVad | None = None
        self._manual_active = False
        self._manual_audio: list[bytes] = []
        self._manual_start = 0.0
        self._fault_rng: random.Random | None = None
        self._rng_plan: FaultPlan | None = None
        self._faults_applied = 0
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

    def drop(self) -> None:
        """Abort the TCP connection without a close frame (the client sees 1006)."""
        self._core.call(lambda: self._fault("drop", 0.0, planned=False))

    def close(self, code: int = 1011, reason: str = INTERNAL) -> None:
        """Close with a close frame ``code``/``reason`` (default: the service's 1011)."""
        self._core.call(lambda: self._fault_close(code, reason))

    def go_away(self, time_left: float = 1.0, *, cut: bool = True) -> None:
        """Send ``goAway{timeLeft}``; with ``cut`` the connection ends after ``time_left``."""
        self._core.call(lambda: self._fault("go_away", time_left, planned=False, cut=cut))

    def stall(self, seconds: float) -> None:
        """Stop reading and sending for ``seconds`` of server time (queued frames wait)."""
        self._core.call(lambda: self._fault("stall", seconds, planned=False))

    def send_raw(self, data: bytes | str, *, raw_tcp: bool = False) -> None:
        """Send arbitrary data: ``str`` as a text frame, ``bytes`` as a binary frame,
        or (``raw_tcp=True``) bytes written straight to TCP (malformed WebSocket framing).
        """
        kind = "raw_tcp" if raw_tcp else "payload"
        self._core.call(lambda: self._spawn(self._emit_item, (kind, data)))

    def send_json(self, message: dict[str, Any]) -> None:
        """Send any server message (camelCase JSON) in the connection's frame type."""
        self._core.call(lambda: self._spawn(self._emit, message))

    # ----------------------------------------------------------- fault engine

    def _fault_close(self, code: int, reason: str) -> None:
        self._core.record_fault(self, "close", float(code), planned=False)
        self._request_close(code, reason)

    def _fault(self, kind: str, parameter: float, *, planned: bool, cut: bool = True) -> None:
        if self.state == "closed":
            return
        self._core.record_fault(self, kind, parameter, planned=planned)
        if kind == "drop":
            self._abort("drop")
        elif kind == "1011":
            self._request_close(1011, INTERNAL)
        elif kind == "go_away":
            self._spawn(self._send_go_away, parameter, cut)
        elif kind == "stall":
            self._stall_until = max(self._stall_until, trio.current_time() + parameter)

    def _maybe_planned_fault(self) -> None:
        plan = self._core.fault_plan
        if plan is None or self._closing:
            return
        if self._next_index - 1 <= plan.grace_messages or self._faults_applied >= plan.max_faults:
            return
        drawn = plan.draw(self._rng(plan))
        if drawn is not None:
            self._faults_applied += 1
            self._fault(drawn[0], drawn[1], planned=True)

    def _rng(self, plan: FaultPlan) -> random.Random:
        if self._fault_rng is None or self._rng_plan is not plan:
            self._fault_rng = plan.rng(self.number)
            self._rng_plan = plan
        return self._fault_rng

    def _spawn(self, fn: Any, *args: Any) -> None:
        if self._nursery is not None and self.state != "closed":
            self._nursery.start_soon(self._guarded, fn, *args)

    async def _guarded(self, fn: Any, *args: Any) -> None:
        try:
            await fn(*args)
        except Exception as exc:
            self._internal_error(exc)

    def _internal_error(self, exc: Exception) -> None:
        self._core.internal_error(exc)
        self._request_close(1011, INTERNAL)

    def _abort(self, how: str) -> None:
        if self.state == "closed":
            return
        if self.closed_by is None:
            self.closed_by = how
            self.close_code = 1006
        self._closing = True
        self._scope.cancel()

    def _request_close(self, code: int, reason: str) -> None:
        if self._closing or self.state == "closed":
            return
        self._closing = True
        self.closed_by = "server"
        self.close_code = code
        self.close_reason = _truncate_reason(reason)
        self._spawn(self._enqueue_close)

    async def _enqueue_close(self) -> None:
        await self._send_chan.send(("close", None))

    async def _send_go_away(self, time_left: float, cut: bool) -> None:
        self.go_away_sent = True
        await self._emit({"goAway": {"timeLeft": format_duration(time_left)}})
        if cut:
            self._cut_at = min(self._cut_at, trio.current_time() + time_left)
            self._timer_wakeup.set()

    # ------------------------------------------------------------------ tasks

    async def run(self) -> None:
        """Serve the connection until it closes (called by the HTTP layer)."""
        try:
            with self._scope:
                async with trio.open_nursery() as nursery:
                    self._nursery = nursery
                    nursery.start_soon(self._writer)
                    nursery.start_soon(self._timer)
                    await self._reader()
                    # the writer sends the pending close frame, then cancels self._scope
                    with trio.move_on_after(self._core.close_timeout):
                        await trio.sleep_forever()
                    nursery.cancel_scope.cancel()
        finally:
            self._finish()
            await trio.aclose_forcefully(self._stream)

    def _finish(self) -> None:
        if self.state == "closed":
            return
        if self.closed_by is None:
            self.closed_by = "eof"
            self.close_code = 1006
        self.state = "closed"
        if self._reply is not None:
            self._reply.scope.cancel()
        session = self.session
        if session is not None and session.active is self:
            session.active = None
        self._closed_event.set()
        self._core.changed()

    async def _gate(self) -> None:
        # a stall may be extended while we sleep, hence the re-check
        while trio.current_time() < self._stall_until:  # noqa: ASYNC110
            await trio.sleep_until(self._stall_until)

    async def _writer(self) -> None:
        try:
            await self._write_loop()
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            self._abort("eof")

    async def _write_loop(self) -> None:
        text = self._core.text_frames
        async for kind, item in self._recv_chan:
            await self._gate()
            if kind == "raw_tcp":
                await self._stream.send_all(item)
                continue
            if kind == "close_reply":
                await self._stream.send_all(self._ws.send(item))
                self._scope.cancel()
                return
            if self._ws.state is not ConnectionState.OPEN:
                # the client started closing: frames still queued are dropped
                if kind == "close":
                    self._scope.cancel()
                    return
                continue
            if kind == "msg":
                event: wse.Event = (
                    wse.TextMessage(item.decode()) if text else wse.BytesMessage(item)
                )
                await self._stream.send_all(self._ws.send(event))
            elif kind == "payload":
                event = wse.TextMessage(item) if isinstance(item, str) else wse.BytesMessage(item)
                await self._stream.send_all(self._ws.send(event))
            elif kind == "pong":
                await self._stream.send_all(self._ws.send(item))
            elif kind == "close":
                data = self._ws.send(
                    wse.CloseConnection(code=self.close_code or 1000, reason=self.close_reason)
                )
                await self._stream.send_all(data)
                with trio.move_on_after(self._core.close_timeout):
                    await self._peer_closed.wait()
                self._scope.cancel()
                return

    async def _reader(self) -> None:
        fragments: list[bytes | str] = []
        size = 0
        limit = self._core.max_message_size
        while True:
            for event in self._ws.events():
                if isinstance(event, wse.Message):
                    if self._closing:
                        continue
                    fragments.append(event.data)
                    size += len(event.data)
                    if size > limit:
                        self._request_close(1009, "Message too big.")
                        fragments, size = [], 0
                        continue
                    if event.message_finished:
                        payload: bytes | str
                        if len(fragments) == 1:
                            payload = fragments[0]
                        elif isinstance(fragments[0], str):
                            payload = "".join(str(f) for f in fragments)
                        else:
                            payload = b"".join(bytes(f) for f in fragments)  # type: ignore[arg-type]
                        fragments, size = [], 0
                        try:
                            await self._on_message(payload)
                        except Reject as rej:
                            self._request_close(rej.code, rej.reason)
                        except Exception as exc:
                            self._internal_error(exc)
                elif isinstance(event, wse.Ping):
                    await self._send_chan.send(("pong", event.response()))
                elif isinstance(event, wse.CloseConnection):
                    if self._closing and self.closed_by == "server":
                        self._peer_closed.set()
                        return
                    self._closing = True
                    self.closed_by = "client"
                    self.close_code = event.code
                    self.close_reason = event.reason or ""
                    if self._ws.state is ConnectionState.REMOTE_CLOSING:
                        await self._send_chan.send(("close_reply", event.response()))
                    else:
                        self._scope.cancel()
                    return
            await self._gate()
            try:
                data = await self._stream.receive_some(65536)
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                data = b""
            if not data:
                if not self._closing:
                    self._abort("eof")
                return
            self._ws.receive_data(data)

    async def _timer(self) -> None:
        core = self._core
        next_tick = math.inf
        plan = core.fault_plan
        if plan is not None and plan.interval:
            next_tick = self.opened_at + plan.interval
        while True:
            now = trio.current_time()
            deadline = min(self._cut_at, next_tick)
            if not self.go_away_sent:
                deadline = min(deadline, self._go_away_at)
            session_deadline = self._session_deadline()
            deadline = min(deadline, session_deadline)
            if deadline > now:
                with trio.move_on_at(deadline):
                    await self._timer_wakeup.wait()
                self._timer_wakeup = trio.Event()
                continue
            if now >= session_deadline and self.session is not None:
                self.session.ended = True
                core.kill_handles(self.session)
                self._request_close(1008, SESSION_LIMIT)
                return
            if not self.go_away_sent and now >= self._go_away_at:
                self.go_away_sent = True
                if now - self._go_away_at > 0.05:
                    # The clock jumped (a virtual clock, a stalled process): the
                    # notice is still given in full, as the service promises.
                    self._cut_at = max(self._cut_at, now + core.go_away_notice)
                    left = self._cut_at - now
                else:  # report the configured notice (the timer may fire a hair late)
                    left = self._cut_at - self._go_away_at
                await self._emit({"goAway": {"timeLeft": format_duration(left)}})
                continue
            if now >= self._cut_at:
                if core.go_away_cut == "drop":
                    self._fault("drop", 0.0, planned=True)
                else:
                    self._request_close(1000, "")
                return
            if now >= next_tick and plan is not None and plan.interval:
                next_tick = now + plan.interval
                if self.state == "ready" and self._faults_applied < plan.max_faults:
                    drawn = plan.draw(self._rng(plan))
                    if drawn is not None:
                        self._faults_applied += 1
                        self._fault(drawn[0], drawn[1], planned=True)

    def _start_lifetime(self) -> None:
        lifetime = self._core.connection_lifetime
        if lifetime:
            self._cut_at = trio.current_time() + lifetime
            self._go_away_at = self._cut_at - self._core.go_away_notice

    def _session_deadline(self) -> float:
        session, cfg = self.session, self.config
        if session is None or cfg is None or cfg.compression:
            return math.inf
        limit = (
            self._core.session_limit_video if session.used_video else self._core.session_limit_audio
        )
        return session.created_at + limit if limit else math.inf

    # ---------------------------------------------------------------- output

    async def _emit(self, message: dict[str, Any]) -> None:
        if self._core.record_sent:
            self.sent.append(message)
        await self._send_chan.send(("msg", dumps(message)))

    async def _emit_item(self, item: tuple[str, Any]) -> None:
        await self._send_chan.send(item)

    # --------------------------------------------------------------- inbound

    async def _on_message(self, payload: bytes | str) -> None:
        try:
            obj = orjson.loads(payload)
        except orjson.JSONDecodeError:
            raise Reject(1007, INVALID_ARGUMENT) from None
        if not isinstance(obj, dict) or len(obj) != 1:
            raise Reject(1007, INVALID_ARGUMENT)
        ((raw_key, raw_body),) = obj.items()
        key = camel_key(raw_key) if isinstance(raw_key, str) else ""
        if key not in CLIENT_FIELDS or not isinstance(raw_body, dict):
            raise Reject(1007, INVALID_ARGUMENT)
        body = camelize(raw_body)
        index = self._next_index
        self._next_index += 1
        kind, text, call_ids = self._classify(key, body)
        session = self.session
        entry = LedgerEntry(
            session_id=session.id if session else None,
            connection=self.connection_in_session,
            server_connection=self.number,
            index=index,
            kind=kind,
            message={
                key: body
                if self._core.ledger_media or not kind.startswith(_MEDIA)
                else _strip_media(body)
            },
            time=trio.current_time(),
            text=text,
            call_ids=call_ids,
        )
        if self.state != "ready":
            self.received.append(entry)
            if key != "setup":
                raise Reject(1007, INVALID_ARGUMENT)
            await self._on_setup(body, entry)
            self._core.changed()
            return
        if key == "setup":
            raise Reject(1007, INVALID_ARGUMENT)
        assert session is not None
        self.received.append(entry)
        session._record(entry)
        self._last_index = index
        token = session.token
        if token is not None and self._core.now_wall() >= token.expire_time:
            raise Reject(1008, "The ephemeral token has expired.")
        if key == "clientContent":
            await self._on_client_content(body)
        elif key == "realtimeInput":
            await self._on_realtime(body)
        elif key == "toolResponse":
            await self._on_tool_response(body)
        else:
            self._on_context_update(body)
        self._maybe_planned_fault()
        if self._core.has_waiters():
            self._core.changed()

    @staticmethod
    def _classify(key: str, body: dict[str, Any]) -> tuple[str, str | None, tuple[str, ...]]:
        if key == "realtimeInput":
            for field in REALTIME_FIELDS:
                if field in body:
                    if field == "text":
                        value = body["text"]
                        return "realtimeInput.text", value if isinstance(value, str) else None, ()
                    return f"realtimeInput.{field}", None, ()
            return "realtimeInput", None, ()
        if key == "clientContent":
            texts: list[str] = []
            turns = body.get("turns")
            if isinstance(turns, list):
                for turn in turns:
                    if isinstance(turn, dict):
                        for part in turn.get("parts") or []:
                            if isinstance(part, dict) and isinstance(part.get("text"), str):
                                texts.append(part["text"])
            return "clientContent", "\n".join(texts), ()
        if key == "toolResponse":
            ids = []
            frs = body.get("functionResponses")
            if isinstance(frs, list):
                ids = [
                    fr["id"] for fr in frs if isinstance(fr, dict) and isinstance(fr.get("id"), str)
                ]
            return "toolResponse", None, tuple(ids)
        return key, None, ()

    async def _on_setup(self, body: dict[str, Any], entry: LedgerEntry) -> None:
        core = self._core
        if self._auth.error is not None:
            raise self._auth.error
        token = self._auth.token
        if token is not None:
            body = token.apply(body)
        cfg = parse_setup(
            body,
            known_models=core.known_models,
            api_version=self.api_version,
            vertex=self.backend == "vertex",
        )
        handle = cfg.resume_handle
        if handle:
            record = core.handles.get(handle)
            if record is None or record.expires_at <= trio.current_time() or record.session.ended:
                raise Reject(1008, BAD_HANDLE)
            session = record.session
            if session.active is not None and session.active.is_open:
                raise Reject(1011, INTERNAL)
            if token is not None:
                token.check_new_session(core.now_wall(), resuming=True)
            session._restore(record)
        else:
            if token is not None:
                token.check_new_session(core.now_wall(), resuming=False)
            session = core.new_session()
            session.token = token
        session.active = self
        session._connections.append(self)
        self.connection_in_session = len(session._connections)
        self.session = session
        self.config = cfg
        self.setup = body
        entry = LedgerEntry(
            session_id=session.id,
            connection=self.connection_in_session,
            server_connection=self.number,
            index=entry.index,
            kind="setup",
            message={"setup": body},
            time=entry.time,
        )
        self.received[-1] = entry
        session._record(entry)
        self.state = "ready"
        self._start_lifetime()
        await self._emit({"setupComplete": {}})
        await self._resumption_update()
        self._timer_wakeup.set()

    async def _on_client_content(self, body: dict[str, Any]) -> None:
        assert self.session is not None
        turns = body.get("turns") or []
        if not isinstance(turns, list) or not all(isinstance(t, dict) for t in turns):
            raise Reject(1007, INVALID_ARGUMENT)
        complete = body.get("turnComplete", False)
        if not isinstance(complete, bool):
            raise Reject(1007, INVALID_ARGUMENT)
        if self._reply is not None:
            await self._interrupt()
        last_user = ""
        for turn in turns:
            content = dict(turn)
            content.setdefault("role", "user")
            self.session._append_history(content)
            if content["role"] == "user":
                last_user = content_text(content)
        if complete:
            self._start_turn(last_user, 0.0)

    async def _on_realtime(self, body: dict[str, Any]) -> None:
        assert self.config is not None and self.session is not None
        for field in REALTIME_FIELDS:
            if field not in body:
                continue
            value = body[field]
            if field == "mediaChunks":
                if not isinstance(value, list):
                    raise Reject(1007, INVALID_ARGUMENT)
                for blob in value:
                    await self._on_blob(blob, None)
            elif field in ("audio", "video"):
                await self._on_blob(value, field)
            elif field == "text":
                if not isinstance(value, str):
                    raise Reject(1007, INVALID_ARGUMENT)
                await self._user_input(value, 0.0)
            elif field in ("activityStart", "activityEnd"):
                if not self.config.vad.disabled:
                    raise Reject(1007, MANUAL_ACTIVITY)
                if field == "activityStart":
                    await self._manual_start_activity()
                else:
                    await self._manual_end_activity()
            elif (
                field == "audioStreamEnd" and self._vad is not None and not self.config.vad.disabled
            ):
                for event in self._vad.flush():
                    await self._on_vad_event(event)

    async def _on_blob(self, blob: Any, field: str | None) -> None:
        if not isinstance(blob, dict):
            raise Reject(1007, INVALID_ARGUMENT)
        mime = blob.get("mimeType") or ""
        data = blob.get("data") or ""
        if not isinstance(mime, str) or not isinstance(data, str):
            raise Reject(1007, INVALID_ARGUMENT)
        try:
            raw = b64decode_lenient(data)
        except ValueError:
            raise Reject(1007, INVALID_ARGUMENT) from None
        is_audio = mime.startswith("audio/") if field is None else field == "audio"
        if not is_audio:
            self.video_frames += 1
            self._frames_since_turn += 1
            self._frames_in_activity += self._in_activity
            assert self.session is not None
            if not self.session.used_video:
                self.session.used_video = True
                self._timer_wakeup.set()
            return
        if mime and not mime.startswith("audio/"):
            raise Reject(1007, INVALID_ARGUMENT)
        m = _RATE.search(mime)
        rate = int(m.group(1)) if m else 16_000
        await self._on_audio(raw, rate)

    async def _on_audio(self, pcm: bytes, rate: int) -> None:
        assert self.config is not None and self.session is not None
        seconds = len(pcm) / 2 / rate
        self.audio_seconds += seconds
        self._audio_since_turn += seconds
        self.session.used_audio = True
        if self.config.vad.disabled:
            if self._manual_active:
                self._manual_audio.append(pcm)
            else:
                self.ignored_audio_seconds += seconds
            return
        if self._vad is None or self._vad.rate != rate:
            self._vad = EnergyVad(self.config.vad, rate)
        for event in self._vad.feed(pcm):
            await self._on_vad_event(event)

    async def _on_vad_event(self, event: ActivityStart | ActivityEnd) -> None:
        if isinstance(event, ActivityStart):
            await self._emit(
                {
                    "voiceActivity": {
                        "type": "ACTIVITY_START",
                        "audioOffset": format_duration(event.offset),
                    }
                }
            )
            await self._activity_started()
        else:
            await self._emit(
                {
                    "voiceActivity": {
                        "type": "ACTIVITY_END",
                        "audioOffset": format_duration(event.offset),
                    }
                }
            )
            rate = self._vad.rate if self._vad is not None else 16_000
            await self._activity_ended(event.audio, rate)

    async def _manual_start_activity(self) -> None:
        self._manual_active = True
        self._manual_audio = []
        await self._activity_started()

    async def _manual_end_activity(self) -> None:
        if not self._manual_active:
            return
        self._manual_active = False
        audio = b"".join(self._manual_audio)
        self._manual_audio = []
        await self._activity_ended(audio, 16_000)

    async def _activity_started(self) -> None:
        assert self.config is not None
        self._in_activity = True
        if self._reply is not None and self.config.activity_handling != "NO_INTERRUPTION":
            await self._interrupt()

    async def _activity_ended(self, audio: bytes, rate: int) -> None:
        assert self.config is not None and self.session is not None
        text = transcribe(audio)
        seconds, frames = self._covered_input(len(audio) / 2 / rate)
        if self.config.input_transcription and text:
            await self._emit(
                {"serverContent": {"inputTranscription": {"text": text, "finished": True}}}
            )
        self.session.audio_prompt_tokens += round(seconds * AUDIO_TOKENS_PER_SECOND)
        self.session.video_prompt_tokens += frames * VIDEO_TOKENS_PER_FRAME
        await self._user_input(text, seconds, interrupt=False)

    def _covered_input(self, speech_seconds: float) -> tuple[float, int]:
        """(audio seconds, video frames) the turn that just ended holds.

        ``turnCoverage`` decides: only the activity (the speech, the frames sent
        during it), all input since the last turn, or the speech with all frames.
        """
        assert self.config is not None
        coverage = self.config.turn_coverage
        seconds = speech_seconds
        if coverage == "TURN_INCLUDES_ALL_INPUT":
            seconds = max(speech_seconds, self._audio_since_turn)
        frames = (
            self._frames_in_activity
            if coverage == "TURN_INCLUDES_ONLY_ACTIVITY"
            else self._frames_since_turn
        )
        self._in_activity = False
        self._audio_since_turn = 0.0
        self._frames_since_turn = self._frames_in_activity = 0
        return seconds, frames

    async def _user_input(self, text: str, audio_seconds: float, *, interrupt: bool = True) -> None:
        assert self.config is not None and self.session is not None
        self.session._append_history({"role": "user", "parts": [{"text": text}]})
        if self._reply is not None:
            if interrupt and self.config.activity_handling != "NO_INTERRUPTION":
                await self._interrupt()
            else:
                self._queued.append((text, audio_seconds))
                return
        self._start_turn(text, audio_seconds)

    async def _on_tool_response(self, body: dict[str, Any]) -> None:
        assert self.session is not None and self.config is not None
        frs = body.get("functionResponses")
        if not isinstance(frs, list) or not all(isinstance(fr, dict) for fr in frs):
            raise Reject(1007, INVALID_ARGUMENT)
        parts: list[dict[str, Any]] = []
        blocking_turns: list[_Turn] = []
        scheduling: str | None = None
        for fr in frs:
            call_id = fr.get("id")
            if not call_id:
                if self.backend != "vertex":
                    raise Reject(1007, INVALID_ARGUMENT)
                call_id = next(
                    (i for i, p in self._pending.items() if p.name == fr.get("name")), None
                )
                if call_id is None:
                    continue
            if not isinstance(call_id, str):
                raise Reject(1007, INVALID_ARGUMENT)
            pending = self._pending.get(call_id)
            if pending is None:
                if call_id in self.session.issued_call_ids:
                    continue  # cancelled or from a previous connection: ignored
                raise Reject(1007, INVALID_ARGUMENT)
            response = fr.get("response")
            part = {"id": call_id, "name": fr.get("name") or pending.name, "response": response}
            parts.append({"functionResponse": part})
            if not fr.get("willContinue"):
                del self._pending[call_id]
            if pending.behavior == "NON_BLOCKING":
                sched = fr.get("scheduling")
                if sched is None and isinstance(response, dict):
                    sched = response.get("scheduling")
                sched = sched if sched in ("SILENT", "WHEN_IDLE", "INTERRUPT") else "WHEN_IDLE"
                order = ("SILENT", "WHEN_IDLE", "INTERRUPT")
                if scheduling is None or order.index(sched) > order.index(scheduling):
                    scheduling = sched
            else:
                pending.turn.waiting.discard(call_id)
                blocking_turns.append(pending.turn)
        if not parts:
            return
        self.session._append_history({"role": "user", "parts": parts})
        for turn in blocking_turns:
            if not turn.waiting:
                turn.wake.set()
        if scheduling == "INTERRUPT":
            if self._reply is not None and not self._reply.waiting:
                await self._interrupt()
            if self._reply is None:
                self._start_turn("", 0.0)
            else:
                self._queued.append(("", 0.0))
        elif scheduling == "WHEN_IDLE":
            if self._reply is None:
                self._start_turn("", 0.0)
            else:
                self._queued.append(("", 0.0))
        elif scheduling == "SILENT" and self._reply is None:
            await self._resumption_update()

    def _on_context_update(self, body: dict[str, Any]) -> None:
        assert self.config is not None
        if "systemInstruction" in body:
            self.config.system_instruction = content_text(body["systemInstruction"])
        if "tools" in body:
            tools = body["tools"]
            if isinstance(tools, dict):
                tools = tools.get("tools") or []
            self.config.functions = parse_tool_list(tools)

    # ---------------------------------------------------------------- turns

    def _start_turn(self, user_text: str, audio_seconds: float) -> None:
        turn = _Turn(user_text, audio_seconds)
        self._reply = turn
        self._spawn(self._run_turn, turn)

    async def _interrupt(self) -> None:
        turn = self._reply
        if turn is None:
            return
        turn.scope.cancel()
        self._reply = None
        await self._emit({"serverContent": {"interrupted": True}})
        cancelled = [i for i in turn.call_ids if i in self._pending]
        for call_id in cancelled:
            del self._pending[call_id]
        if cancelled:
            await self._emit({"toolCallCancellation": {"ids": cancelled}})
        await self._emit(
            {"serverContent": {"turnComplete": True}, "usageMetadata": self._usage(turn)}
        )
        await self._resumption_update()

    async def _run_turn(self, turn: _Turn) -> None:
        assert self.config is not None and self.session is not None
        core, cfg, session = self._core, self.config, self.session
        with turn.scope:
            turn.prompt = self._prompt_tokens()
            await self._resumption_update()
            for _round in range(8):
                context = TurnContext(
                    history=session.history,
                    user_text=turn.user_text,
                    functions=dict(cfg.functions),
                    response_modality=cfg.modality,
                    system_instruction=cfg.system_instruction,
                    session_id=session.id,
                    audio_seconds=turn.audio_seconds,
                )
                reply: Reply = core.responder.respond(context)
                if reply.thought and cfg.include_thoughts:
                    turn.thought_tokens += count_tokens(reply.thought)
                    await self._emit(
                        {
                            "serverContent": {
                                "modelTurn": {"parts": [{"text": reply.thought, "thought": True}]}
                            }
                        }
                    )
                if reply.text:
                    # The model goes on after a tool response within the same turn:
                    # keep the words of the two generations apart.
                    spoken = reply.text if _round == 0 else " " + reply.text
                    await self._stream_text(turn, spoken)
                    session._append_history({"role": "model", "parts": [{"text": reply.text}]})
                if not reply.function_calls:
                    break
                await self._call_functions(turn, reply, cfg.functions)
                if not turn.waiting:
                    break
                await turn.wake.wait()
                turn.wake = trio.Event()
            # The turn is over before its last frames go out: input arriving while
            # they are queued starts a new turn instead of "interrupting" this one,
            # which would send a second turnComplete for the same turn.
            if self._reply is turn:
                self._reply = None
            await self._emit({"serverContent": {"generationComplete": True}})
            await self._emit(
                {"serverContent": {"turnComplete": True}, "usageMetadata": self._usage(turn)}
            )
            await self._resumption_update()
            while self._queued and self._reply is None:
                text, seconds = self._queued.popleft()
                self._start_turn(text, seconds)

    async def _call_functions(
        self, turn: _Turn, reply: Reply, functions: Mapping[str, FunctionDeclaration]
    ) -> None:
        assert self.session is not None
        calls = []
        for request in reply.function_calls:
            call_id = self._core.next_call_id()
            self.session.issued_call_ids.add(call_id)
            decl = functions.get(request.name)
            behavior = decl.behavior if decl is not None else "BLOCKING"
            self._pending[call_id] = _Pending(request.name, behavior, turn)
            turn.call_ids.append(call_id)
            if behavior != "NON_BLOCKING":
                turn.waiting.add(call_id)
            calls.append({"id": call_id, "name": request.name, "args": dict(request.args)})
        self.session._append_history(
            {"role": "model", "parts": [{"functionCall": call} for call in calls]}
        )
        await self._emit({"toolCall": {"functionCalls": calls}})

    async def _pace(self) -> None:
        delay = self._core.chunk_delay
        if delay > 0:
            await trio.sleep(delay)
        else:
            await trio.lowlevel.checkpoint()

    async def _stream_text(self, turn: _Turn, text: str) -> None:
        assert self.config is not None
        words = text.split(" ")
        n = self._core.words_per_chunk
        chunks = [" ".join(words[i : i + n]) for i in range(0, len(words), n)]
        chunks = [c if i == 0 else " " + c for i, c in enumerate(chunks)]
        if self.config.modality == "TEXT":
            for chunk in chunks:
                await self._emit({"serverContent": {"modelTurn": {"parts": [{"text": chunk}]}}})
                turn.response_tokens += count_tokens(chunk)
                await self._pace()
            return
        char_ms = self._core.output_char_ms
        pcm = synth(text, rate=OUTPUT_RATE, char_ms=char_ms)
        per_byte = 2 * max(8, round(OUTPUT_RATE * char_ms / 1000.0))
        piece = 2 * round(OUTPUT_RATE * AUDIO_CHUNK_SECONDS)
        offset = 0
        for chunk in chunks:
            end = offset + len(chunk.encode("utf-8")) * per_byte
            segment = pcm[offset:end]
            offset = end
            for start in range(0, len(segment), piece):
                data = b64encode(segment[start : start + piece])
                await self._emit(
                    {
                        "serverContent": {
                            "modelTurn": {
                                "parts": [
                                    {
                                        "inlineData": {
                                            "mimeType": "audio/pcm;rate=24000",
                                            "data": data,
                                        }
                                    }
                                ]
                            }
                        }
                    }
                )
                await self._pace()
            turn.response_tokens += count_tokens(chunk)
            if self.config.output_transcription:
                await self._emit({"serverContent": {"outputTranscription": {"text": chunk}}})

    def _prompt_tokens(self) -> tuple[int, int, int]:
        """(text, audio, video) tokens of the context the model sees now."""
        assert self.config is not None and self.session is not None
        text_tokens = count_tokens(self.config.system_instruction)
        for content in self.session.history:
            for part in content.get("parts") or []:
                if isinstance(part, dict) and isinstance(part.get("text"), str):
                    text_tokens += count_tokens(part["text"])
        return text_tokens, self.session.audio_prompt_tokens, self.session.video_prompt_tokens

    def _usage(self, turn: _Turn) -> dict[str, Any]:
        assert self.config is not None
        if turn.prompt is None:
            turn.prompt = self._prompt_tokens()
        text_tokens, audio_tokens, video_tokens = turn.prompt
        prompt = text_tokens + audio_tokens + video_tokens
        response = turn.response_tokens
        details = [{"modality": "TEXT", "tokenCount": text_tokens}]
        if audio_tokens:
            details.append({"modality": "AUDIO", "tokenCount": audio_tokens})
        if video_tokens:
            details.append({"modality": "VIDEO", "tokenCount": video_tokens})
        usage: dict[str, Any] = {
            "promptTokenCount": prompt,
            "responseTokenCount": response,
            "totalTokenCount": prompt + response + turn.thought_tokens,
            "promptTokensDetails": details,
            "responseTokensDetails": [{"modality": self.config.modality, "tokenCount": response}],
        }
        if turn.thought_tokens:
            usage["thoughtsTokenCount"] = turn.thought_tokens
        self.usage["promptTokenCount"] += prompt
        self.usage["responseTokenCount"] += response
        self.usage["totalTokenCount"] += usage["totalTokenCount"]
        self.usage["turns"] += 1
        return usage

    async def _resumption_update(self) -> None:
        cfg, session = self.config, self.session
        if cfg is None or session is None or not cfg.resumption:
            return
        update: dict[str, Any]
        if self._reply is not None or self._pending:
            update = {"resumable": False}
        else:
            handle = self._core.issue_handle(session, self)
            update = {"newHandle": handle, "resumable": True}
        if cfg.transparent:
            update["lastConsumedClientMessageIndex"] = str(self._last_index)
        await self._emit({"sessionResumptionUpdate": update})

    @property
    def last_consumed_index(self) -> int:
        """Index of the last client message consumed on this connection (setup = 0)."""
        return self._last_index

    async def wait_closed_in_server(self) -> None:
        """Server-thread helper: wait until the connection is closed."""
        await self._closed_event.wait()
