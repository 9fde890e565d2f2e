"""Push-to-talk: manual activity detection with ``activity_start`` / ``activity_end``.

With ``automatic_activity_detection`` disabled the server's voice activity detection
is off: the app says when the user speaks, as a walkie-talkie button does.  Pressing
the button sends ``activity_start``, the microphone streams audio, releasing it sends
``activity_end``, and only then does the model answer, however long the user paused
while holding the button.  Audio sent outside an activity is ignored.  (With
automatic detection on, sending activity markers is a mistake: live_actor raises
``LocalProtocolError`` before anything is sent.)

Run it::

    python examples/push_to_talk.py                      # offline: FakeLiveServer
    python examples/push_to_talk.py --backend trio
    GEMINI_API_KEY=... python examples/push_to_talk.py   # the real service

Offline the user's voice is ``live_actor.testing.speech`` (tones the fake server
transcribes); the real model only hears beeps, so its answers will differ.  A key
comes from ``--api-key``, ``GEMINI_API_KEY`` or ``GOOGLE_API_KEY``.

Expected output (fake server)::

    [button down] my name is ... (long pause) ... Bob [button up]
    heard: my name is Bob
    model: Got it, your name is Bob.
    [button down] what is my name [button up]
    heard: what is my name
    model: Your name is Bob.
"""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import structlog

import live_actor
from live_actor.testing import FakeLiveServer, silence, speech

CONFIG = live_actor.LiveConfig(
    model="gemini-2.5-flash-native-audio-preview-12-2025",
    generation_config={"response_modalities": ["AUDIO"]},
    realtime_input_config={"automatic_activity_detection": {"disabled": True}},
    input_audio_transcription=True,
    output_audio_transcription=True,
)
CHUNK = 640  # 20 ms of 16 kHz 16-bit mono PCM


async def push_to_talk(session: live_actor.SessionHandle, pcm: bytes) -> live_actor.Turn:
    """Hold the button while ``pcm`` streams, release it, return the model's answer."""
    await session.send_realtime_input(activity_start=True)  # button down
    for start in range(0, len(pcm), CHUNK):
        await session.send_realtime_input(audio=pcm[start : start + CHUNK])
    await session.send_realtime_input(activity_end=True)  # button up: now answer
    return await session.receive_turn()


@asynccontextmanager
async def endpoint(api_key: str | None) -> AsyncIterator[tuple[str, str | None]]:
    """``(api_key, base_url)``: the real service when a key is known, else a fake."""
    if key := api_key or os.environ.get("GOOGLE_API_KEY") or os.environ.get("GEMINI_API_KEY"):
        yield key, None
        return
    async with FakeLiveServer() as server:
        yield "offline-key", server.url


async def main(api_key: str | None) -> None:
    async with (
        endpoint(api_key) as (api_key, base_url),
        live_actor.open_session(CONFIG, api_key=api_key, base_url=base_url) as session,
    ):
        # A pause of 1.5 s would end the turn with automatic VAD; here it does not.
        print("[button down] my name is ... (long pause) ... Bob [button up]")
        turn = await push_to_talk(session, speech("my name is") + silence(1500) + speech("Bob"))
        print(f"heard: {turn.input_transcription.strip()}")
        print(f"model: {turn.output_transcription.strip()}")

        print("(the microphone picks up a cough while the button is up: ignored)")
        await session.send_realtime_input(audio=speech("hello?"))  # outside an activity

        print("[button down] what is my name [button up]")
        turn = await push_to_talk(session, speech("what is my name"))
        print(f"heard: {turn.input_transcription.strip()}")
        print(f"model: {turn.output_transcription.strip()}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["asyncio", "trio"], default="asyncio")
    parser.add_argument("--api-key", help="use the real service (default: GEMINI_API_KEY)")
    args = parser.parse_args()
    # live_actor never configures structlog, whose default prints debug events to stdout.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    anyio.run(main, args.api_key, backend=args.backend)
