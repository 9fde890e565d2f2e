"""Video frames: images at about 1 frame per second as realtime input, then a question.

A camera app sends JPEG or PNG frames with ``send_realtime_input(video=frame_bytes)``
(the MIME type is read from the image header) at about 1 FPS, the rate the Live API
samples video at, and asks about what it saw.  ``turn_coverage`` is set to
``TURN_INCLUDES_ALL_INPUT`` so the question's turn covers the frames sent before it,
not only the spoken words.  The turn's ``usage_metadata`` says what the model was given,
per modality.  The frames here are tiny PNGs made with the stdlib (``zlib`` and
``struct``): a red, a green and a blue square.

Run it::

    python examples/video_frames.py                      # offline: FakeLiveServer
    python examples/video_frames.py --backend trio
    GEMINI_API_KEY=... python examples/video_frames.py   # the real service

Offline the question is spoken with ``live_actor.testing.speech`` (the fake server
understands it; its model does not look at images but counts 258 tokens a frame).
With a key (``--api-key``, ``GEMINI_API_KEY`` or ``GOOGLE_API_KEY``) the question is
typed, and the real model answers it.  Video sessions without context window
compression are limited to 2 minutes.

Expected output (fake server)::

    frame 1: 64x64 PNG, red
    frame 3: 64x64 PNG, blue
    model: You said: "which colours did you see".
    prompt tokens by modality: TEXT
    VIDEO 774
"""

from __future__ import annotations

import argparse
import logging
import os
import struct
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import structlog

import live_actor
from live_actor.testing import FakeLiveServer, silence, speech

CONFIG = live_actor.LiveConfig(
    model="gemini-live-2.5-flash-preview",
    generation_config={"response_modalities": ["TEXT"], "media_resolution": "MEDIA_RESOLUTION_LOW"},
    realtime_input_config={"turn_coverage": "TURN_INCLUDES_ALL_INPUT"},
)
COLOURS = {"red": (220, 30, 30), "green": (30, 180, 60), "blue": (30, 60, 220)}
QUESTION = "which colours did you see"


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A one-colour PNG image (8-bit RGB), with nothing but the stdlib."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit truecolour
    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))  # filter 0 rows
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


@asynccontextmanager
async def endpoint(api_key: str | None) -> AsyncIterator[tuple[str, str | None]]:
    """``(api_key, base_url)``: the real service when a key is known, else a fake."""
    if key := api_key or os.environ.get("GOOGLE_API_KEY") or os.environ.get("GEMINI_API_KEY"):
        yield key, None
        return
    async with FakeLiveServer() as server:
        yield "offline-key", server.url


async def main(api_key: str | None, fps: float) -> None:
    async with (
        endpoint(api_key) as (api_key, base_url),
        live_actor.open_session(CONFIG, api_key=api_key, base_url=base_url) as session,
    ):
        for number, (name, rgb) in enumerate(COLOURS.items(), start=1):
            frame = png(64, 64, rgb)
            await session.send_realtime_input(video=frame)  # image/png, from the header
            print(f"frame {number}: 64x64 PNG, {name} ({len(frame)} bytes)")
            await anyio.sleep(1 / fps)  # a camera at ~1 FPS
        print(f"user:  {QUESTION}?")
        if base_url is None:  # the real service: typed
            await session.send_realtime_input(text=QUESTION + "?")
        else:  # the fake: spoken, in 20 ms chunks (16 kHz PCM)
            pcm = speech(QUESTION) + silence(700)
            for start in range(0, len(pcm), 640):
                await session.send_realtime_input(audio=pcm[start : start + 640])
        turn = await session.receive_turn()
        print(f"model: {turn.text.strip()}")
        usage = turn.messages[-1].usage_metadata  # comes with turnComplete
        if usage is not None and usage.prompt_tokens_details:
            counts = ", ".join(
                f"{detail.modality} {detail.token_count}" for detail in usage.prompt_tokens_details
            )
            print(f"prompt tokens by modality: {counts}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["asyncio", "trio"], default="asyncio")
    parser.add_argument("--api-key", help="use the real service (default: GEMINI_API_KEY)")
    parser.add_argument("--fps", type=float, default=1.0, help="frames per second (default 1)")
    args = parser.parse_args()
    # live_actor never configures structlog, whose default prints debug events to stdout.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    anyio.run(main, args.api_key, args.fps, backend=args.backend)
