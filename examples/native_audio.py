"""Native-audio features: affective dialog, proactive audio and thinking.

Native-audio models (``gemini-2.5-flash-native-audio-...``) hear and speak without a
text step in between, which enables three features:

* ``enable_affective_dialog=True``: the model adapts its tone to the user's emotion;
* ``proactivity={"proactive_audio": True}``: the model may stay silent when the input
  is not meant for it (a remark to someone else in the room);
* ``thinking_config`` in ``generation_config``: a thinking budget, and with
  ``include_thoughts`` the thought summaries, sent as parts marked ``thought``
  (``Turn.text`` and ``message.text`` leave them out).

Affective dialog and proactivity need the ``v1alpha`` API on the Gemini API;
live_actor picks it by itself (``config.resolved_api_version()``).  Native-audio
models answer in AUDIO only; ``output_audio_transcription`` gives the words.

Run it::

    python examples/native_audio.py                      # offline: FakeLiveServer
    python examples/native_audio.py --backend trio
    GEMINI_API_KEY=... python examples/native_audio.py   # the real service

The fake server accepts these settings but its scripted model neither feels nor
thinks: here it is given a model that thinks aloud and ignores remarks starting with
"Honey", to show where each feature surfaces.  A key comes from ``--api-key``,
``GEMINI_API_KEY`` or ``GOOGLE_API_KEY``.

Expected output (fake server)::

    API version: v1alpha (for enable_affective_dialog, proactivity)
    thought: The user said 'I got the job! My name is Maya.'; answer warmly.
    model (audio 0.52 s): Got it, your name is Maya.
    thoughts: 13 tokens
    (no answer: the model kept out of it)
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
from live_actor.testing import FakeLiveServer, Reply, ScriptedResponder, TurnContext

CONFIG = live_actor.LiveConfig(
    model="gemini-2.5-flash-native-audio-preview-09-2025",
    generation_config={
        "response_modalities": ["AUDIO"],
        "thinking_config": {"thinking_budget": 1024, "include_thoughts": True},
        "speech_config": {"voice_config": {"prebuilt_voice_config": {"voice_name": "Kore"}}},
    },
    enable_affective_dialog=True,
    proactivity={"proactive_audio": True},
    output_audio_transcription=True,  # the spoken answer as text
)


def thoughts(turn: live_actor.Turn) -> list[str]:
    """The thought summaries of a turn (parts with ``thought=True``)."""
    return [
        part.text
        for message in turn.messages
        if message.server_content and message.server_content.model_turn
        for part in message.server_content.model_turn.parts or ()
        if part.thought and part.text
    ]


class ThinkingModel(ScriptedResponder):
    """The fake's stand-in: thinks aloud, and keeps out of remarks to "Honey"."""

    def respond(self, context: TurnContext) -> Reply:
        if context.user_text.startswith("Honey"):
            return Reply()  # says nothing
        text = super().respond(context).text
        return Reply(text=text, thought=f"The user said {context.user_text!r}; answer warmly.")


@asynccontextmanager
async def endpoint(api_key: str | None) -> AsyncIterator[tuple[str, str | None]]:
    """``(api_key, base_url)``: the real service when a key is known, else a fake."""
    if key := api_key or os.environ.get("GOOGLE_API_KEY") or os.environ.get("GEMINI_API_KEY"):
        yield key, None
        return
    async with FakeLiveServer(responder=ThinkingModel()) as server:
        yield "offline-key", server.url


async def main(api_key: str | None) -> None:
    print(f"API version: {CONFIG.resolved_api_version()} "
          f"(for {', '.join(CONFIG.v1alpha_features)})")
    async with (
        endpoint(api_key) as (api_key, base_url),
        live_actor.open_session(CONFIG, api_key=api_key, base_url=base_url) as session,
    ):
        print("user:  I got the job! My name is Maya.")
        await session.send_client_content("I got the job! My name is Maya.")
        turn = await session.receive_turn()
        for thought in thoughts(turn):
            print(f"thought: {thought.strip()}")
        print(f"model (audio {len(turn.audio) / 48000:.2f} s): "
              f"{turn.output_transcription.strip()}")
        usage = turn.messages[-1].usage_metadata
        if usage is not None and usage.thoughts_token_count:
            print(f"thoughts: {usage.thoughts_token_count} tokens")

        print("user:  Honey, can you pass the salt?")  # not meant for the model
        await session.send_client_content("Honey, can you pass the salt?")
        with anyio.move_on_after(5):  # proactive audio may mean no turn at all
            turn = await session.receive_turn()
            if turn.audio:
                print(f"model: {turn.output_transcription.strip()}")
                return
        print("(no answer: the model kept out of it)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["asyncio", "trio"], default="asyncio")
    parser.add_argument("--api-key", help="use the real service (default: GEMINI_API_KEY)")
    args = parser.parse_args()
    # live_actor never configures structlog, whose default prints debug events to stdout.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    anyio.run(main, args.api_key, backend=args.backend)
