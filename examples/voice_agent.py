"""Voice agent: 16 kHz speech in, 24 kHz speech out, transcriptions both ways.

Streams a question as 20 ms chunks of 16 kHz 16-bit mono PCM with
``send_realtime_input(audio=...)``, reads the audio reply from ``events()``, gets both
transcriptions from ``on_transcription`` and writes the reply to a WAV file.

Run it::

    python examples/voice_agent.py                            # offline: FakeLiveServer
    python examples/voice_agent.py --backend trio --realtime  # pace chunks at 20 ms
    GEMINI_API_KEY=... python examples/voice_agent.py --input question.wav

Offline, the question is ``live_actor.testing.speech`` (a tone code the fake server
transcribes).  With ``GEMINI_API_KEY`` set there is no fake server: pass ``--input`` a
16 kHz mono 16-bit WAV (sent in real time), or the question is asked as text.

Expected output (fake server)::

    you said: my name is Bob
    model said: Got it, your name is Bob.
    reply: 0.50 s of 24 kHz audio
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
import wave
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import structlog

import live_actor
from live_actor.testing import FakeLiveServer, silence, speech

CONFIG = live_actor.LiveConfig(
    model="gemini-2.5-flash-native-audio-preview-12-2025",  # native audio: AUDIO only
    generation_config={"response_modalities": ["AUDIO"]},
    input_audio_transcription=True,  # what the model heard, as text
    output_audio_transcription=True,  # what the model said, as text
)
CHUNK = 640  # 20 ms of 16 kHz 16-bit mono audio: 16000 * 0.020 * 2 bytes


def read_wav(path: str) -> bytes:  # stdlib ``wave``: no extra dependency
    with wave.open(path, "rb") as wav:
        if (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) != (16000, 1, 2):
            raise SystemExit(f"{path}: need a 16 kHz mono 16-bit WAV")
        return wav.readframes(wav.getnframes())


async def talk(session: live_actor.SessionHandle, pcm: bytes | None, *, realtime: bool) -> bytes:
    """Send the question, return the reply audio (24 kHz PCM) once the turn completes."""
    if pcm is None:
        await session.send_realtime_input(text="Hello! My name is Bob.")
    else:
        for start in range(0, len(pcm), CHUNK):
            await session.send_realtime_input(audio=pcm[start : start + CHUNK])
            await anyio.sleep(0.020 if realtime else 0)  # a microphone's pace, or faster
        await session.send_realtime_input(audio_stream_end=True)  # "the mic is off"
    reply = bytearray()
    async for message in session.events():  # every server message; never stops by itself
        if message.data:  # a chunk of audio/pcm;rate=24000
            reply += message.data
        if message.server_content and message.server_content.turn_complete:
            break
    return bytes(reply)


def write_wav(pcm: bytes) -> Path:
    path = Path(tempfile.mkdtemp(prefix="live_actor_")) / "reply.wav"
    with wave.open(str(path), "wb") as wav:
        wav.setparams((1, 2, 24000, 0, "NONE", ""))  # mono, 16-bit, 24 kHz (the API's rate)
        wav.writeframes(pcm)
    return path


@asynccontextmanager
async def endpoint() -> AsyncIterator[tuple[str, str | None]]:  # real service or a fake
    if key := os.environ.get("GEMINI_API_KEY"):
        yield key, None
        return
    async with FakeLiveServer() as server:
        yield "offline-key", server.url


async def main(wav_in: str | None, realtime: bool) -> None:
    heard = {"input": "", "output": ""}

    def on_transcription(kind: str, transcription: live_actor.types.Transcription) -> None:
        heard[kind] += transcription.text or ""  # arrives in pieces: concatenate

    async with endpoint() as (api_key, base_url):
        pcm = read_wav(wav_in) if wav_in else None
        if base_url and pcm is None:  # offline: synthetic speech, then 0.8 s of silence
            pcm = speech("my name is Bob") + silence(800)
        async with live_actor.open_session(
            CONFIG, api_key=api_key, base_url=base_url, on_transcription=on_transcription
        ) as session:
            reply = await talk(session, pcm, realtime=realtime or base_url is None)
    print(f"you said: {heard['input'].strip()}")  # session closed: callbacks all ran
    print(f"model said: {heard['output'].strip()}")
    print(f"reply: {len(reply) / 48000:.2f} s of 24 kHz audio in {write_wav(reply)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["asyncio", "trio"], default="asyncio")
    parser.add_argument("--input", help="16 kHz mono 16-bit WAV to send (default: synthetic)")
    parser.add_argument("--realtime", action="store_true", help="send 20 ms chunks every 20 ms")
    args = parser.parse_args()
    # live_actor never configures structlog, whose default prints debug events to stdout.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    anyio.run(main, args.input, args.realtime, backend=args.backend)
