"""Automatic voice activity detection, tuned: sensitivity, prefix padding, silence.

The server decides when the user starts and stops speaking.  Four knobs of
``realtime_input_config.automatic_activity_detection`` change its mind:

* ``start_of_speech_sensitivity``: ``START_SENSITIVITY_LOW`` ignores quiet sound
  (a hum in the background); ``..._HIGH`` hears it as speech;
* ``prefix_padding_ms``: how long sound must last before it counts as speech (a
  short click is not);
* ``end_of_speech_sensitivity`` and ``silence_duration_ms``: how long a pause ends
  the turn; too eager and a thinking pause cuts the user's sentence in two.

The same recording (a hum, a click, then "my name is", a 400 ms pause, "Bob") goes
to two sessions at once, one *eager* and one *patient*, and each prints what it
heard.  ``activity_handling: NO_INTERRUPTION`` lets every turn finish, so the
answers come in order.

Run it::

    python examples/vad_tuning.py                      # offline: FakeLiveServer
    python examples/vad_tuning.py --backend trio
    GEMINI_API_KEY=... python examples/vad_tuning.py   # the real service

Offline the voice is ``live_actor.testing.speech`` (tones the fake transcribes; its
VAD follows the rules above deterministically).  The real service hears beeps and
decides for itself.  A key comes from ``--api-key``, ``GEMINI_API_KEY`` or
``GOOGLE_API_KEY``.

Expected output (fake server)::

    eager: heard 4 times: '[speech 0.70 s]' | '[speech 0.36 s]' | 'my name is' | 'Bob'
    eager: model: You said: "my name is".
    eager: model: You said: "Bob".
    patient: heard 1 time: 'my name is Bob'
    patient: model: Got it, your name is Bob.
"""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import structlog

import live_actor
from live_actor.testing import FakeLiveServer, silence, speech, tone

TUNINGS: dict[str, dict[str, Any]] = {
    "eager": {
        "start_of_speech_sensitivity": "START_SENSITIVITY_HIGH",  # hears quiet sound
        "prefix_padding_ms": 20,  # 20 ms of sound is speech
        "end_of_speech_sensitivity": "END_SENSITIVITY_HIGH",  # a pause ends it soon...
        "silence_duration_ms": 300,  # ...after 300 ms
    },
    "patient": {
        "start_of_speech_sensitivity": "START_SENSITIVITY_LOW",  # ignores the hum
        "prefix_padding_ms": 100,  # a 60 ms click is not speech
        "end_of_speech_sensitivity": "END_SENSITIVITY_LOW",  # lets the user think...
        "silence_duration_ms": 500,  # ...a while
    },
}
# A quiet hum, a loud click, then a sentence with a thinking pause in it (16 kHz PCM).
RECORDING = (
    tone(400, amplitude=1000) + silence(600) + tone(60, amplitude=16000) + silence(600)
    + speech("my name is") + silence(400) + speech("Bob") + silence(1200)
)


def config(tuning: dict[str, Any]) -> live_actor.LiveConfig:
    return live_actor.LiveConfig(
        model="gemini-live-2.5-flash-preview",
        generation_config={"response_modalities": ["TEXT"]},
        input_audio_transcription=True,  # what the server heard, turn by turn
        realtime_input_config={
            "automatic_activity_detection": tuning,
            "activity_handling": "NO_INTERRUPTION",  # queue turns, never cut one
        },
    )


async def listen(name: str, api_key: str, base_url: str | None, quiet: float) -> None:
    """Send the recording in 20 ms chunks; print what was heard and answered."""
    heard: list[str] = []
    replies: list[str] = []

    def on_transcription(kind: str, transcription: live_actor.types.Transcription) -> None:
        if kind == "input" and transcription.text:
            heard.append(transcription.text.strip())

    async with live_actor.open_session(
        config(TUNINGS[name]), api_key=api_key, base_url=base_url,
        on_transcription=on_transcription,
    ) as session:
        for start in range(0, len(RECORDING), 640):
            await session.send_realtime_input(audio=RECORDING[start : start + 640])
        await session.send_realtime_input(audio_stream_end=True)
        while True:  # answers until the model has been quiet for a while
            with anyio.move_on_after(quiet):
                replies.append((await session.receive_turn()).text.strip())
                continue
            break
    times = "time" if len(heard) == 1 else "times"
    print(f"{name}: heard {len(heard)} {times}: " + " | ".join(repr(text) for text in heard))
    for reply in replies:
        print(f"{name}: model: {reply}")


@asynccontextmanager
async def endpoint(api_key: str | None) -> AsyncIterator[tuple[str, str | None]]:
    """``(api_key, base_url)``: the real service when a key is known, else a fake."""
    if key := api_key or os.environ.get("GOOGLE_API_KEY") or os.environ.get("GEMINI_API_KEY"):
        yield key, None
        return
    async with FakeLiveServer() as server:
        yield "offline-key", server.url


async def main(api_key: str | None) -> None:
    async with endpoint(api_key) as (api_key, base_url):
        quiet = 1.0 if base_url else 5.0  # the fake answers at once; the service thinks
        async with anyio.create_task_group() as tg:  # both tunings at the same time
            for name in TUNINGS:
                tg.start_soon(listen, name, api_key, base_url, quiet)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["asyncio", "trio"], default="asyncio")
    parser.add_argument("--api-key", help="use the real service (default: GEMINI_API_KEY)")
    args = parser.parse_args()
    # live_actor never configures structlog, whose default prints debug events to stdout.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    anyio.run(main, args.api_key, backend=args.backend)
