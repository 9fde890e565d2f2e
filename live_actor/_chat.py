"""``live-actor chat``: talk to a Live model by hand.

Why: the first thing a newcomer wants is to type a sentence and see the model
answer, then try audio, then see what a reconnect looks like, before writing
any code.  The chat runs against the embedded fake server by default (no key,
no network), against the Gemini API when a key is given (``--api-key`` or
``GEMINI_API_KEY``/``GOOGLE_API_KEY``), or Vertex AI with ``--vertex``.

Replies stream as they arrive (``model> ...``); lines in brackets are status:
connection, reconnects, resumption, goAway.  Commands:

``/audio FILE.wav``, ``/save FILE.wav``, ``/tool``, ``/help``, ``/quit`` (see ``HELP``).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import queue
import sys
import threading
from collections.abc import Callable, Mapping
from typing import Any, Final, TextIO

import anyio
import anyio.to_thread
import attrs
import structlog

# Sessions only through the public API: the chat is a user of the library.
from . import (
    ConfigError,
    GaveUp,
    GoingAway,
    LiveConfig,
    Reconnecting,
    RestartPolicy,
    Resumed,
    SessionHandle,
    open_session,
    vertex_credentials,
)
from ._auth import CredentialsSource
from ._chat_audio import WavError, read_wav_for_live, write_wav
from ._protocol._capabilities import capabilities_for
from .types import ServerMessage, ToolCall

__all__ = ["ChatTarget", "choose_target", "run_chat"]

FAKE_MODELS: Final = {
    "audio": "gemini-2.5-flash-native-audio-preview-12-2025",
    "text": "gemini-live-2.5-flash-preview",
}
VERTEX_MODELS: Final = {
    "audio": "gemini-live-2.5-flash-native-audio",
    "text": "gemini-2.0-flash-live-preview-04-09",
}
#: Audio reply bytes kept for ``/save`` (10 minutes of 24 kHz 16-bit mono).
MAX_REPLY_AUDIO: Final = 10 * 60 * 24_000 * 2
HELP: Final = """\
  /audio FILE.wav  send a WAV file as realtime audio (converted to 16 kHz mono)
  /save FILE.wav   write the last audio reply (24 kHz mono)
  /tool            list the declared tools (the chat answers them itself)
  /help            list the commands
  /quit            leave (exit status 0; so does end of input)
"""
#: Bytes per realtime audio message: 20 ms at 16 kHz.
CHUNK: Final = 640

TOOLS: Final = [
    {
        "function_declarations": [
            {
                "name": "get_weather",
                "description": "Current weather for a city (a local demo function).",
                "parameters": {
                    "type": "OBJECT",
                    "properties": {"city": {"type": "STRING"}},
                    "required": ["city"],
                },
            },
            {
                "name": "get_time",
                "description": "The current UTC time on this computer.",
                "parameters": {"type": "OBJECT", "properties": {}},
            },
        ]
    }
]


def _tool_result(name: str, args: Mapping[str, Any]) -> dict[str, Any]:
    if name == "get_weather":
        return {"city": str(args.get("city", "")), "temp_c": 21, "sky": "sunny"}
    if name == "get_time":
        return {"utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    return {"error": f"no tool named {name!r}"}


@attrs.frozen
class ChatTarget:
    """Where the chat connects: the fake, the Gemini API or Vertex AI."""

    label: str
    fake: bool = False
    base_url: str | None = None
    credentials: CredentialsSource | None = attrs.field(default=None, repr=False)
    vertex: bool = False
    project: str | None = None
    location: str | None = None


def choose_target(
    *,
    fake: bool,
    api_key: str | None,
    base_url: str | None,
    vertex: bool,
    project: str | None,
    location: str | None,
    environ: Mapping[str, str] | None = None,
) -> ChatTarget:
    """Decide the endpoint from the flags and the environment; refuse contradictions."""
    env = os.environ if environ is None else environ
    if fake:
        if api_key or base_url or vertex:
            raise ConfigError("--fake cannot be combined with --api-key, --base-url or --vertex")
        return ChatTarget("embedded fake server", fake=True)
    if vertex:
        if not project or not location:
            raise ConfigError("--vertex needs --project PROJECT and --location LOCATION")
        credentials: CredentialsSource = api_key or vertex_credentials()
        return ChatTarget(
            f"Vertex AI ({project}, {location})",
            base_url=base_url,
            credentials=credentials,
            vertex=True,
            project=project,
            location=location,
        )
    if project or location:
        raise ConfigError("--project and --location only apply with --vertex")
    key = api_key or env.get("GOOGLE_API_KEY", "").strip() or env.get("GEMINI_API_KEY", "").strip()
    if key:
        label = "Gemini API" if base_url is None else "the endpoint given by --base-url"
        return ChatTarget(label, base_url=base_url, credentials=key)
    if base_url:
        raise ConfigError(
            "--base-url needs a key: pass --api-key (any string for a local "
            "`live-actor fake-server`) or set GEMINI_API_KEY"
        )
    return ChatTarget("embedded fake server", fake=True)


class _Turns:
    """Prints the server's messages as they stream; remembers the last audio reply."""

    def __init__(self, out: Callable[[str], None]) -> None:
        self._out = out
        self.answering = False
        self.audio = bytearray()
        self.audio_dropped = 0
        self.last_audio = b""
        self.heard: list[str] = []
        self.done = anyio.Event()

    def new_turn(self) -> anyio.Event:
        self.done = anyio.Event()
        return self.done

    def _start_answer(self) -> None:
        if not self.answering:
            self._flush_heard()
            self.answering = True
            self._out("model> ")

    def _flush_heard(self) -> None:
        if self.heard:
            self._out(f"[heard: {''.join(self.heard).strip()}]\n")
            self.heard.clear()

    def status(self, text: str) -> None:
        if self.answering:
            self._out("\n")
            self.answering = False
        self._out(f"[{text}]\n")

    def message(self, message: ServerMessage) -> None:
        content = message.server_content
        if content is None:
            return
        if content.input_transcription and content.input_transcription.text:
            self.heard.append(content.input_transcription.text)
        text = message.text
        transcript = content.output_transcription.text if content.output_transcription else None
        for piece in (text, transcript):
            if piece:
                self._start_answer()
                self._out(piece)
        data = message.data
        if data:
            room = MAX_REPLY_AUDIO - len(self.audio)
            self.audio += data[:room]
            self.audio_dropped += max(0, len(data) - room)
        if content.interrupted:
            self.status("interrupted")
        if content.turn_complete:
            self._flush_heard()
            if self.answering:
                self._out("\n")
                self.answering = False
            if self.audio:
                self.last_audio = bytes(self.audio)
                seconds = len(self.audio) / 48_000
                dropped = (
                    f", {self.audio_dropped} bytes over the limit dropped"
                    if self.audio_dropped
                    else ""
                )
                self._out(f"[audio reply: {seconds:.2f} s; /save FILE.wav keeps it{dropped}]\n")
            self.audio = bytearray()
            self.audio_dropped = 0
            self.done.set()


class _LineReader:
    """Lines from a blocking ``read_line`` (stdin), read in a daemon thread.

    Why not ``anyio.to_thread``: a worker blocked in ``readline`` cannot be
    cancelled, and asyncio's worker threads are joined at interpreter exit, so a
    chat that ends by itself (the session gave up) would hang until Enter.  A
    daemon thread does not hold the process; the bounded queue holds its lines.
    """

    def __init__(self, read_line: Callable[[], str]) -> None:
        self._read_line = read_line
        self._lines: queue.Queue[str] = queue.Queue(maxsize=64)
        threading.Thread(target=self._run, name="live-actor chat stdin", daemon=True).start()

    def _run(self) -> None:
        while True:
            try:
                line = self._read_line()
            except (OSError, ValueError, queue.Empty):  # closed or exhausted input
                line = ""
            self._lines.put(line)
            if not line:
                return

    def _next(self) -> str | None:
        try:
            return self._lines.get(timeout=0.25)
        except queue.Empty:
            return None

    async def get(self) -> str:
        """The next line ("" at end of input)."""
        while True:
            # Short waits in a worker thread, so cancellation is never held up long.
            line = await anyio.to_thread.run_sync(self._next)
            if line is not None:
                return line


class Chat:
    """One interactive session: a receiver task and the input loop."""

    def __init__(
        self,
        session: SessionHandle,
        *,
        out: TextIO,
        read_line: Callable[[], str],
        reply_timeout: float,
    ) -> None:
        self.session = session
        self._stream = out
        self._lines = _LineReader(read_line)
        self.reply_timeout = reply_timeout
        self.turns = _Turns(self.write)

    def write(self, text: str) -> None:
        self._stream.write(text)
        self._stream.flush()

    async def receive(self) -> None:
        async for event in self.session.events(lifecycle=True):
            if isinstance(event, ServerMessage):
                self.turns.message(event)
            elif isinstance(event, Reconnecting):
                self.turns.status(
                    f"reconnecting: attempt {event.attempt} in {event.delay:.1f} s ({event.cause})"
                )
            elif isinstance(event, Resumed):
                how = "state restored" if event.state_restored else "NEW session (state lost)"
                self.turns.status(
                    f"connected again: {how}, {event.replayed} replayed, {event.dropped} dropped"
                )
            elif isinstance(event, GoingAway):
                self.turns.status(
                    f"server goAway: {event.time_left.total_seconds():.0f} s left, rotating"
                )
            elif isinstance(event, GaveUp):
                self.turns.status(f"gave up: {event.reason}")
                self.turns.done.set()
        self.turns.done.set()

    async def _wait_reply(self, done: anyio.Event) -> None:
        with anyio.move_on_after(self.reply_timeout) as scope:
            await done.wait()
        if scope.cancelled_caught:
            self.turns.status(f"no complete reply after {self.reply_timeout:g} s")

    async def _send_wav(self, path: str) -> None:
        try:
            pcm = await anyio.to_thread.run_sync(read_wav_for_live, path)
        except WavError as exc:
            self.turns.status(f"error: {exc}")
            return
        done = self.turns.new_turn()
        self.turns.status(f"sending {len(pcm) / 32_000:.2f} s of audio from {path}")
        for start in range(0, len(pcm), CHUNK):
            await self.session.send_realtime_input(audio=pcm[start : start + CHUNK])
        await self.session.send_realtime_input(audio_stream_end=True)
        await self._wait_reply(done)

    def _save(self, path: str) -> None:
        audio = self.turns.last_audio
        if not audio:
            self.turns.status("no audio reply yet (with --text the model answers in text)")
            return
        try:
            write_wav(path, audio)
        except OSError as exc:
            self.turns.status(f"error: cannot write {path}: {exc.strerror or exc}")
            return
        self.turns.status(f"saved {len(audio) / 48_000:.2f} s of 24 kHz audio to {path}")

    def _list_tools(self) -> None:
        for tool in self.session.config.tools or ():
            for declaration in tool.function_declarations or ():
                properties = (declaration.parameters or {}).get("properties") or {}
                self.write(
                    f"  {declaration.name}({', '.join(properties)}): "
                    f"{declaration.description or ''}\n"
                )

    async def command(self, line: str) -> bool:
        """Run one ``/command``; ``False`` means quit."""
        name, _, argument = line.partition(" ")
        argument = argument.strip()
        if name == "/quit":
            return False
        if name == "/help":
            self.write(HELP)
        elif name == "/tool":
            self._list_tools()
        elif name in ("/audio", "/save") and not argument:
            self.turns.status(f"usage: {name} FILE.wav")
        elif name == "/audio":
            await self._send_wav(argument)
        elif name == "/save":
            self._save(argument)
        else:
            self.turns.status(f"unknown command {name}; /help lists them")
        return True

    async def input_loop(self) -> None:
        while True:
            self.write("you> ")
            line = await self._lines.get()
            if not line:  # end of input
                self.write("\n")
                return
            line = line.strip()
            if not line:
                continue
            if line.startswith("/"):
                if not await self.command(line):
                    return
                continue
            done = self.turns.new_turn()
            if capabilities_for(self.session.config.model).mid_session_client_content:
                await self.session.send_client_content(line)
            else:  # gemini-3.1 takes mid-session text as realtime input only
                await self.session.send_text(line)
            await self._wait_reply(done)


def _configure_logging(debug: bool) -> None:
    """The chat owns the terminal: library logs go to stderr, errors only unless --debug.

    Warnings (a failed dial, a reconnect) are already shown as status lines.
    """
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.dev.ConsoleRenderer(colors=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.DEBUG if debug else logging.ERROR
        ),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
    )


def _on_tool_call(chat_out: Callable[[str], None]) -> Callable[[ToolCall], list[dict[str, Any]]]:
    def on_tool_call(call: ToolCall) -> list[dict[str, Any]]:
        replies = []
        for fc in call.function_calls or ():
            args = dict(fc.args or {})
            result = _tool_result(fc.name or "", args)
            chat_out(f"[tool call {fc.name}({args}) -> {result}]\n")
            replies.append({"id": fc.id, "name": fc.name, "response": {"output": result}})
        return replies

    return on_tool_call


async def _pick_model(target: ChatTarget, model: str | None, text: bool) -> str:
    kind = "text" if text else "audio"
    if target.fake:
        return model or FAKE_MODELS[kind]
    if target.vertex:
        return model or VERTEX_MODELS[kind]
    from .rest import RestError, check_model, list_models, resolve_model

    if model is None:
        return await resolve_model(
            "text" if text else "native_audio",
            credentials=target.credentials,
            base_url=target.base_url,
        )
    try:
        models = await list_models(
            credentials=target.credentials, base_url=target.base_url, live_only=False
        )
    except RestError:
        return model  # no list at hand: the server will judge the name
    check_model(model, models)
    return model


async def run_chat(
    *,
    target: ChatTarget,
    model: str | None = None,
    text: bool = False,
    reply_timeout: float = 60.0,
    out: TextIO | None = None,
    read_line: Callable[[], str] | None = None,
) -> int:
    """Run the chat until ``/quit`` or end of input; returns the exit status."""
    stream = out or sys.stdout
    server = None
    base_url = target.base_url
    credentials = target.credentials
    if target.fake:
        from .testing import FakeLiveServer

        server = FakeLiveServer(chunk_delay=0.01).start()
        base_url, credentials = server.url, "chat-fake-key"
    try:
        chosen = await _pick_model(target, model, text)
        config = LiveConfig(
            model=chosen,
            auth="vertex_ai" if target.vertex else "gemini",
            project_id=target.project,
            location=target.location or "us-central1",
            generation_config={"response_modalities": ["TEXT" if text else "AUDIO"]},
            system_instruction="You are a friendly assistant in a terminal chat. Be brief.",
            tools=TOOLS,
            session_resumption=True,
            context_window_compression=True,
            input_audio_transcription=None if text else True,
            output_audio_transcription=None if text else True,
        )
        stream.write(f"[connecting to {target.label}, model {chosen}...]\n")
        stream.flush()
        holder: list[Chat] = []
        async with open_session(
            config,
            credentials=credentials,
            base_url=base_url,
            policy=RestartPolicy(backoff_base=0.2),
            on_tool_call=_on_tool_call(lambda s: holder[0].write(s) if holder else None),
        ) as session:
            chat = Chat(
                session,
                out=stream,
                read_line=read_line or sys.stdin.readline,
                reply_timeout=reply_timeout,
            )
            holder.append(chat)
            chat.write(f"[connected: session {session.session_id}; /help lists the commands]\n")
            ended: list[bool] = []
            async with anyio.create_task_group() as tg:

                async def receive_until_the_end() -> None:
                    await chat.receive()
                    ended.append(True)
                    tg.cancel_scope.cancel()

                tg.start_soon(receive_until_the_end)
                await chat.input_loop()
                tg.cancel_scope.cancel()
            if ended and session.error is not None:
                # The supervisor gave up (or the server refused us): say so, exit 1.
                chat.write(f"[session ended: {session.error}]\n")
                return 1
        return 0
    finally:
        if server is not None:
            server.stop()
