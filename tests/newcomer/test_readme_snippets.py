"""The README's code snippets run as written, against the fake server.

Each test quotes (in its docstring) the claim it checks and uses only the public
API; each assertion would fail if the quoted claim were false.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import anyio.lowlevel
import pytest
import structlog
from structlog.testing import capture_logs

import live_actor
from live_actor import types
from live_actor.testing import FakeLiveServer, silence, speech, transcribe

from ..helpers import API_KEY, text_config
from ._support import LOOKUP_TOOL, send_audio, server_wait

pytestmark = pytest.mark.anyio


async def test_readme_quick_start_runs_as_shown(anyio_backend: str) -> None:
    """README "Quick start" + "Offline, point it at the fake server (base_url=)"."""
    config = live_actor.LiveConfig(
        model="gemini-live-2.5-flash-preview",
        generation_config={"response_modalities": ["TEXT"]},
        system_instruction="You are a helpful voice agent.",
    )
    async with FakeLiveServer() as server:  # asyncio or trio
        async with live_actor.open_session(config, api_key="any", base_url=server.url) as s:
            await s.send_client_content("Hello! my name is Alice")
            turn = await s.receive_turn()
        setup = server.connections[0].setup
    assert turn.text == "Got it, your name is Alice."
    assert setup is not None
    assert "You are a helpful voice agent." in repr(setup)


async def test_readme_audio_tools_events_snippet(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """README "Audio, tools, events": on_tool_call's list of dicts is sent as the tool
    response, on_transcription(kind, transcription), events() yields audio in
    ``message.data`` (24 kHz s16le PCM), ``send_realtime_input(audio=bytes)``."""

    def lookup(args: dict[str, Any]) -> dict[str, Any]:
        return {"city": args["city"], "sky": "sunny"}

    async def on_tool_call(call: types.ToolCall) -> list[dict[str, Any]]:
        return [
            {"id": fc.id, "name": fc.name, "response": {"output": lookup(fc.args)}}
            for fc in call.function_calls
        ]

    transcriptions: list[tuple[str, str]] = []
    config = live_actor.LiveConfig(
        model="gemini-2.5-flash-native-audio-preview-12-2025",
        generation_config={"response_modalities": ["AUDIO"]},
        tools=[LOOKUP_TOOL],
        input_audio_transcription=True,
        output_audio_transcription=True,
    )
    played = bytearray()
    async with live_actor.open_session(
        config,
        api_key=API_KEY,
        base_url=server.url,
        on_tool_call=on_tool_call,
        on_transcription=lambda kind, t: transcriptions.append((kind, t.text or "")),
    ) as session:
        await send_audio(session, speech("call lookup city=Paris") + silence(600))
        with anyio.fail_after(5):
            async for message in session.events():  # never stops after one turn
                if message.data:
                    played += message.data
                content = message.server_content
                if content and content.turn_complete and "returned" in transcribe(bytes(played)):
                    break
    assert "lookup returned" in transcribe(bytes(played))
    assert '"city":"Paris"' in transcribe(bytes(played))
    answered = [e for e in server.ledger(server.sessions[-1].id) if e.kind == "toolResponse"]
    assert answered and answered[0].call_ids
    kinds = {kind for kind, _ in transcriptions}
    assert kinds == {"input", "output"}
    assert any("call lookup city=Paris" in text for kind, text in transcriptions if kind == "input")


async def test_readme_supervisor_snippet(anyio_backend: str, server: FakeLiveServer) -> None:
    """README "Many sessions": ``start_session`` + ``connect()``; leaving the block closes
    every session gracefully (with 1000)."""
    resumed: list[tuple[Any, ...]] = []
    config = text_config()
    async with live_actor.Supervisor(
        policy=live_actor.RestartPolicy(max_restarts=5, period=60)
    ) as sup:
        session = await sup.start_session(
            config, api_key=API_KEY, base_url=server.url, on_resumed=lambda *a: resumed.append(a)
        )
        other = await sup.start_session(config, api_key=API_KEY, base_url=server.url)
        # start_session starts dialling at once (a GenServer's start_link)
        assert session.status is not live_actor.SessionStatus.DISCONNECTED
        await session.connect()
        await other.connect()
        await session.send_client_content("my name is Alice")
        assert (await session.receive_turn()).text == "Got it, your name is Alice."
        assert len(sup.sessions) == 2
        await other.close()
        assert [h.session_id for h in sup.sessions] == [session.session_id]
    assert session.status is live_actor.SessionStatus.CLOSED
    assert other.status is live_actor.SessionStatus.CLOSED
    assert session.error is None and other.error is None
    await server_wait(server, lambda: all(not c.is_open for c in server.connections))
    assert [c.close_code for c in server.connections] == [1000, 1000]
    assert all(c.closed_by == "client" for c in server.connections)


async def test_readme_logging_snippet_filters_debug(
    anyio_backend: str, server: FakeLiveServer
) -> None:
    """README "Logs": ``structlog.configure(wrapper_class=make_filtering_bound_logger(INFO))``
    chooses a level (debug events such as ``live_actor.session.status`` disappear)."""
    old = structlog.get_config()
    try:
        structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.INFO))
        with capture_logs() as logs:
            async with live_actor.open_session(
                text_config(), api_key=API_KEY, base_url=server.url
            ) as session:
                await session.send_client_content("hello")
                await session.receive_turn()
    finally:
        structlog.configure(**old)
    events = [e["event"] for e in logs]
    assert "live_actor.session.setup_complete" in events  # info
    assert "live_actor.session.status" not in events  # debug
    assert all(e["log_level"] != "debug" for e in logs)


def test_the_readme_tool_snippet_passes_mypy_strict(tmp_path: Path) -> None:
    """Issue 13 item 5: the README's "Audio, tools, events" snippet type-checks as written
    (mypy --strict), so code copied from it starts out right."""
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    section = readme.split("### Audio, tools, events\n\n```python\n", 1)[1]
    snippet = section.split("\n```", 1)[0]
    assert "def on_tool_call" in snippet
    path = tmp_path / "readme_tools.py"
    path.write_text(snippet + "\n")
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(path)],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr
