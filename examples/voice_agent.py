"""Audio in and out with WAV files: 16 kHz speech in, 24 kHz speech out, transcriptions.

Reads a WAV file with the stdlib ``wave`` module, streams it as 20 ms chunks of
16-bit mono PCM with ``send_realtime_input(audio=...)`` at a microphone's pace, and
writes the model's spoken reply (24 kHz 16-bit mono PCM) to another WAV file.  The
transcriptions of both sides arrive in the same turn (``input_audio_transcription``
and ``output_audio_transcription``).  A WAV at another sample rate is sent as is,
with its rate in the MIME type (``audio/pcm;rate=44100``): the service resamples.

Run it::

    python examples/voice_agent.py                          # offline: FakeLiveServer
    python examples/voice_agent.py --backend trio --output reply.wav
    GEMINI_API_KEY=... python examples/voice_agent.py --input question.wav

Without ``--input`` a sample question is written to a WAV first, made with
``live_actor.testing.speech`` (a tone code the fake server transcribes; the real
model only hears beeps, so give it a recording of your voice).  With a key
(``--api-key``, ``GEMINI_API_KEY`` or ``GOOGLE_API_KEY``) there is no fake server.

Expected output (fake server)::

    sending 1.08 s of 16000 Hz audio in 20 ms chunks
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
from array import array
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


def read_wav(path: Path) -> tuple[bytes, int]:
    """16-bit PCM of a WAV file, as mono, and its sample rate."""
    with wave.open(str(path), "rb") as wav:
        if wav.getsampwidth() != 2:
            raise SystemExit(f"{path}: need 16-bit PCM, got {8 * wav.getsampwidth()}-bit")
        channels, rate = wav.getnchannels(), wav.getframerate()
        pcm = wav.readframes(wav.getnframes())
    if channels > 1:  # keep the first channel (the API takes mono)
        samples = array("h", pcm)  # assumes a little-endian host, like the WAV data
        pcm = samples[::channels].tobytes()
    return pcm, rate


def write_wav(path: Path, pcm: bytes, rate: int) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)  # 16-bit
        wav.setframerate(rate)
        wav.writeframes(pcm)


async def ask(session: live_actor.SessionHandle, pcm: bytes, rate: int) -> live_actor.Turn:
    """Stream ``pcm`` like a microphone, then return the model's answer."""
    chunk = rate * 2 * 20 // 1000  # bytes in 20 ms of 16-bit mono audio
    mime = f"audio/pcm;rate={rate}"
    print(f"sending {len(pcm) / 2 / rate:.2f} s of {rate} Hz audio in 20 ms chunks")
    for start in range(0, len(pcm), chunk):
        piece = pcm[start : start + chunk]
        # plain bytes mean 16 kHz; any other rate goes in a Blob's MIME type
        await session.send_realtime_input(
            audio=piece if rate == 16000 else {"data": piece, "mime_type": mime}
        )
        await anyio.sleep(0.020)  # a microphone's pace
    await session.send_realtime_input(audio_stream_end=True)  # "the mic is off"
    return await session.receive_turn()  # audio, transcriptions, until turnComplete


@asynccontextmanager
async def endpoint(api_key: str | None) -> AsyncIterator[tuple[str, str | None]]:
    """``(api_key, base_url)``: the real service when a key is known, else a fake."""
    if key := api_key or os.environ.get("GOOGLE_API_KEY") or os.environ.get("GEMINI_API_KEY"):
        yield key, None
        return
    async with FakeLiveServer() as server:
        yield "offline-key", server.url


async def main(args: argparse.Namespace) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="live_actor_"))
    question = Path(args.input) if args.input else workdir / "question.wav"
    if not args.input:  # a sample question the fake server understands
        write_wav(question, speech("my name is Bob") + silence(800), 16000)
    pcm, rate = read_wav(question)
    async with (
        endpoint(args.api_key) as (api_key, base_url),
        live_actor.open_session(CONFIG, api_key=api_key, base_url=base_url) as session,
    ):
        turn = await ask(session, pcm, rate)
    print(f"you said: {turn.input_transcription.strip()}")
    print(f"model said: {turn.output_transcription.strip()}")
    reply = Path(args.output) if args.output else workdir / "reply.wav"
    write_wav(reply, turn.audio, 24000)  # the API always answers at 24 kHz
    print(f"reply: {len(turn.audio) / 48000:.2f} s of 24 kHz audio in {reply}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["asyncio", "trio"], default="asyncio")
    parser.add_argument("--api-key", help="use the real service (default: GEMINI_API_KEY)")
    parser.add_argument("--input", help="a 16-bit PCM WAV to send (default: a sample)")
    parser.add_argument("--output", help="where to write the reply (default: a temp dir)")
    args = parser.parse_args()
    # live_actor never configures structlog, whose default prints debug events to stdout.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    anyio.run(main, args, backend=args.backend)
