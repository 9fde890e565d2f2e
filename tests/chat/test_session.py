"""``run_chat`` in process, against a test-owned fake server: status lines for a drop
and a goAway, the commands' error paths, the key path, and TEXT mode."""

from __future__ import annotations

import io
import queue
import re
import threading
import wave
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from live_actor._chat import ChatTarget, run_chat
from live_actor.testing import FakeLiveServer, ServerConnection

KEY = "AIzaCHAT-secret-key-123"
pytestmark = pytest.mark.anyio


class Terminal:
    """Lines typed by the test, output collected; both thread-safe."""

    def __init__(self) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        self.out = io.StringIO()
        self._lock = threading.Lock()
        self._changed: anyio.Event | None = None

    def type(self, line: str) -> None:
        self.lines.put(line + "\n")

    def read_line(self) -> str:
        return self.lines.get(timeout=60)

    def write(self, text: str) -> int:
        with self._lock:
            written = self.out.write(text)
        if self._changed is not None:  # the chat writes from the event loop's thread
            self._changed.set()
        return written

    def flush(self) -> None:
        pass

    def text(self) -> str:
        with self._lock:
            return self.out.getvalue()

    async def wait_for(self, pattern: str, count: int = 1) -> str:
        with anyio.fail_after(30):
            while len(re.findall(pattern, self.text())) < count:
                self._changed = anyio.Event()
                await self._changed.wait()
        return self.text()


@pytest.fixture
def server() -> Iterator[FakeLiveServer]:
    fake = FakeLiveServer(api_keys=[KEY], chunk_delay=0, close_timeout=0.5).start()
    yield fake
    fake.stop()
    assert not fake.errors, fake.errors


def target(server: FakeLiveServer) -> ChatTarget:
    return ChatTarget("test server", base_url=server.url, credentials=KEY)


async def test_reconnects_are_shown_and_the_conversation_survives(server: FakeLiveServer) -> None:
    term = Terminal()
    result: list[int] = []

    async def chat() -> None:
        result.append(await run_chat(
            target=target(server), out=term, read_line=term.read_line,  # type: ignore[arg-type]
        ))

    async with anyio.create_task_group() as tg:
        tg.start_soon(chat)
        await term.wait_for(r"\[connected: session")
        term.type("My name is Ada")
        await term.wait_for(r"\[audio reply")
        first: ServerConnection = await server.wait_for_connection(1)
        first.drop()
        await term.wait_for(r"\[reconnecting: attempt 1")
        await term.wait_for(r"\[connected again: state restored")
        term.type("What is my name?")
        await term.wait_for(r"model> .*Ada", 2)
        second = await server.wait_for_connection(2)
        second.go_away(2.0)
        await term.wait_for(r"\[server goAway: 2 s left, rotating\]")
        await term.wait_for(r"\[connected again: state restored", 2)
        term.type("/quit")
    assert result == [0]
    assert KEY not in term.text()


async def test_key_path_resolves_the_newest_model_and_uses_the_key(
    server: FakeLiveServer,
) -> None:
    term = Terminal()
    for line in ("hello", "/quit"):
        term.type(line)
    assert await run_chat(target=target(server), out=term, read_line=term.read_line) == 0  # type: ignore[arg-type]
    assert "model gemini-3.8-live" in term.text()
    conn = await server.wait_for_connection(1)
    assert conn.headers.get("x-goog-api-key") == KEY


async def test_an_unknown_model_is_caught_before_dialling(server: FakeLiveServer) -> None:
    from live_actor import ConfigError

    term = Terminal()
    with pytest.raises(ConfigError, match="did you mean"):
        await run_chat(
            target=target(server), model="gemini-live-2.5-flash-previw", out=term,  # type: ignore[arg-type]
            read_line=term.read_line,
        )
    assert server.connections == []


async def test_text_mode_and_command_errors(server: FakeLiveServer, tmp_path: Path) -> None:
    not_wav = tmp_path / "song.mp3"
    not_wav.write_bytes(b"ID3\x03\x00" + bytes(100))
    term = Terminal()
    for line in (
        "/save out.wav", "/audio", f"/audio {tmp_path / 'missing.wav'}", f"/audio {not_wav}",
        "/frobnicate", "/help", "hello there", "",
    ):
        term.type(line)
    term.lines.put("")  # end of input
    code = await run_chat(
        target=target(server), text=True, out=term, read_line=term.read_line,  # type: ignore[arg-type]
    )
    text = term.text()
    assert code == 0
    assert "model gemini-3.1-flash-live-preview" in text  # newest text model
    assert "[no audio reply yet" in text
    assert "[usage: /audio FILE.wav]" in text
    assert "missing.wav: no such file" in text
    assert "not a PCM WAV file" in text and "ffmpeg" in text
    assert "[unknown command /frobnicate; /help lists them]" in text
    assert "/save FILE.wav   write the last audio reply" in text
    assert re.search(r"model> .+", text)
    assert "[audio reply" not in text


async def test_a_tool_call_is_answered_and_shown(server: FakeLiveServer) -> None:
    term = Terminal()
    for line in ("call get_weather city=Paris", "/quit"):
        term.type(line)
    await run_chat(target=target(server), text=True, out=term, read_line=term.read_line)  # type: ignore[arg-type]
    assert "[tool call get_weather({'city': 'Paris'}) -> {'city': 'Paris'" in term.text()


async def test_save_writes_a_24k_wav(server: FakeLiveServer, tmp_path: Path) -> None:
    term = Terminal()
    for line in ("say something", f"/save {tmp_path / 'r.wav'}", "/quit"):
        term.type(line)
    await run_chat(target=target(server), out=term, read_line=term.read_line)  # type: ignore[arg-type]
    with wave.open(str(tmp_path / "r.wav"), "rb") as wav:
        assert wav.getframerate() == 24_000 and wav.getnframes() > 0


async def test_a_session_that_ends_stops_the_chat_with_exit_1(server: FakeLiveServer) -> None:
    term = Terminal()
    result: list[int] = []

    async def chat() -> None:
        result.append(await run_chat(
            target=target(server), out=term, read_line=term.read_line,  # type: ignore[arg-type]
        ))

    with anyio.fail_after(30):
        async with anyio.create_task_group() as tg:
            tg.start_soon(chat)
            await term.wait_for(r"\[connected: session")
            conn = await server.wait_for_connection(1)
            # the server ends the session (1000 without goAway): not restarted
            conn.close(1000, "Session ended by the server.")
            # no more input: the chat must end by itself
    assert result == [1]
    assert "[gave up" in term.text() and "[session ended:" in term.text()
