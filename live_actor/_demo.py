"""The demo (``make demo`` / ``live-actor demo``): a voice-agent session that survives faults.

It starts the embedded :class:`~live_actor.testing.FakeLiveServer` on loopback
(or uses ``--base-url``/``--api-key`` for another endpoint) and walks through
what a production voice agent needs, printing what happens:

1. a text conversation with context;
2. a function call answered by a Python tool through ``on_tool_call``;
3. the socket dropped mid-session: the supervisor resumes with the stored
   handle, the message sent during the gap is queued and delivered, and the
   model still remembers the conversation;
4. a ``goAway``: rotation at a safe point, before the deadline;
5. the session's usage and outbound-ledger totals;
6. audio: 16 kHz speech streamed in 20 ms chunks, 24 kHz audio and
   transcriptions back.

Lifecycle log events (``live_actor.supervisor.*``) are printed as they happen.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import MutableMapping, Sequence
from typing import Any

import anyio
import structlog

from ._config import LiveConfig
from ._events import Reconnecting, Resumed
from ._protocol._messages import ServerMessage, ToolCall
from ._protocol._supervision import RestartPolicy
from ._supervisor import open_session

__all__ = ["main", "run_demo"]

TEXT_MODEL = "gemini-live-2.5-flash-preview"
AUDIO_MODEL = "gemini-2.5-flash-native-audio-preview-12-2025"
WEATHER = {
    "function_declarations": [
        {
            "name": "get_weather",
            "description": "Current weather for a city.",
            "parameters": {"type": "OBJECT", "properties": {"city": {"type": "STRING"}}},
        }
    ]
}


def _say(text: str) -> None:
    print(text, flush=True)


def _configure_logging() -> None:
    """An application (this demo) decides how logs look; the library never does."""

    def only_lifecycle(
        _logger: Any, _name: str, event: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        if not str(event.get("event", "")).startswith("live_actor.supervisor."):
            raise structlog.DropEvent
        return event

    structlog.configure(
        processors=[
            only_lifecycle,
            structlog.processors.add_log_level,
            structlog.dev.ConsoleRenderer(colors=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
    )


def get_weather(city: str) -> dict[str, Any]:
    """The demo's tool: deterministic weather."""
    return {"city": city, "temp_c": 21, "sky": "sunny"}


async def run_demo(base_url: str | None = None, api_key: str = "demo-key") -> None:
    """Run the walkthrough against ``base_url`` (default: an embedded fake server)."""
    server = None
    if base_url is None:
        from .testing import FakeLiveServer

        server = FakeLiveServer(chunk_delay=0.005).start()
        base_url = server.url
        _say(f"== embedded FakeLiveServer at {base_url}")
    try:
        await _text_and_tools(base_url, api_key, server)
        await _audio(base_url, api_key)
    finally:
        if server is not None:
            server.stop()


async def _text_and_tools(base_url: str, api_key: str, server: Any) -> None:
    async def on_tool_call(call: ToolCall) -> list[dict[str, Any]]:
        replies = []
        for fc in call.function_calls or ():
            args = dict(fc.args or {})
            _say(f"   tool call {fc.name}({args}) id={fc.id}")
            replies.append(
                {
                    "id": fc.id,
                    "name": fc.name,
                    "response": {"output": get_weather(str(args.get("city")))},
                }
            )
        return replies

    config = LiveConfig(
        model=TEXT_MODEL,
        generation_config={"response_modalities": ["TEXT"]},
        system_instruction="You are a helpful voice agent.",
        tools=[WEATHER],
    )
    policy = RestartPolicy(backoff_base=0.05)
    async with open_session(
        config, api_key=api_key, base_url=base_url, policy=policy, on_tool_call=on_tool_call
    ) as session:
        _say(f"== 1. connected: session {session.session_id}, status {session.status}")
        for text in ("Hello! my name is Alice", "call get_weather city=Paris"):
            _say(f"user:  {text}")
            await session.send_client_content(text)
            turn = await session.receive_turn()
            while not turn.text:  # the tool call turn: the reply follows the tool response
                turn = await session.receive_turn()
            _say(f"model: {turn.text}")

        if server is not None:
            _say("== 3. the network drops the socket (no close frame)...")
            server.connections[-1].drop()
            await session.send_client_content("what is my name")
            _say("user:  what is my name   (sent right after the drop: kept by the ledger)")
            reply = ""
            async for event in session.events(lifecycle=True):
                if isinstance(event, Reconnecting):
                    _say(f"   reconnecting (attempt {event.attempt}, cause: {event.cause})")
                elif isinstance(event, Resumed):
                    _say(
                        f"   resumed: state_restored={event.state_restored}, "
                        f"replayed={event.replayed}, dropped={event.dropped}"
                    )
                elif isinstance(event, ServerMessage):
                    reply += event.text or ""
                    if event.server_content and event.server_content.turn_complete:
                        if reply:
                            _say(f"model: {reply}")
                        if "name" in reply:
                            break
                        # A drop before the handle that holds the last turn replays
                        # it: its answer comes again before this one.
                        reply = ""

            _say("== 4. the server announces goAway (connection ends in 3 s)...")
            server.connections[-1].go_away(3.0)
            with anyio.fail_after(10):
                async for event in session.events(lifecycle=True):
                    if isinstance(event, Resumed):
                        _say(
                            f"   rotated to connection {session.connection_number} before the"
                            f" deadline (state_restored={event.state_restored})"
                        )
                        break
            for text in ("my city is Lisbon", "what is my name"):
                _say(f"user:  {text}")
                await session.send_client_content(text)
                _say(f"model: {(await session.receive_turn()).text}")

        _say(
            f"== 5. usage: {session.usage.turns} turns, "
            f"{session.usage.total_token_count} tokens; ledger: {session.ledger}"
        )


async def _audio(base_url: str, api_key: str) -> None:
    from .testing import silence, speech

    config = LiveConfig(
        model=AUDIO_MODEL,
        generation_config={"response_modalities": ["AUDIO"]},
        input_audio_transcription=True,
        output_audio_transcription=True,
    )
    async with open_session(config, api_key=api_key, base_url=base_url) as session:
        _say("== 6. audio: streaming 16 kHz speech in 20 ms chunks")
        pcm = speech("my name is Bob") + silence(800)
        for start in range(0, len(pcm), 640):
            await session.send_realtime_input(audio=pcm[start : start + 640])
        turn = await session.receive_turn()
        _say(f"   heard (input transcription): {turn.input_transcription.strip()!r}")
        _say(
            f"   reply: {len(turn.audio)} bytes of 24 kHz PCM "
            f"({len(turn.audio) / 48000:.2f} s), transcription: "
            f"{turn.output_transcription.strip()!r}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="live-actor demo", description=__doc__)
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="trio")
    parser.add_argument("--base-url", default=None, help="endpoint (default: embedded fake)")
    parser.add_argument("--api-key", default="demo-key")
    args = parser.parse_args(argv)
    _configure_logging()
    anyio.run(run_demo, args.base_url, args.api_key, backend=args.backend)
    return 0


if __name__ == "__main__":
    sys.exit(main())
