"""How a reply reaches the wire: chunks of text or audio, parts per message, pacing.

Text is cut into chunks of ``words_per_chunk`` words; in TEXT mode each chunk is a
text part, in AUDIO mode it is spoken (``_audio.speech`` at 24 kHz, 40 ms per part)
and, with ``outputAudioTranscription``, transcribed.  With one part per message (2.5
models) every part is its own ``serverContent`` message and a chunk's transcript
follows its audio; with several (3.x models) up to that many parts share a message,
with the transcript of the chunks they carry.  ``chunk_delay`` paces the messages on
the server clock.
"""

from __future__ import annotations

from typing import Any, Final

import trio

from ._audio import OUTPUT_RATE
from ._audio import speech as synth
from ._model import count_tokens
from ._services import Outbox
from ._settings import FakeServerSettings
from ._setup import SessionConfig
from ._wire import b64encode

__all__ = ["ReplyWriter"]

AUDIO_CHUNK_SECONDS: Final = 0.04
AUDIO_MIME: Final = "audio/pcm;rate=24000"


class ReplyWriter:
    """Streams model text as ``serverContent.modelTurn`` messages."""

    def __init__(
        self,
        *,
        settings: FakeServerSettings,
        outbox: Outbox,
        config: SessionConfig,
        parts_per_message: int,
    ) -> None:
        self._settings = settings
        self._out = outbox
        self._config = config
        self._per_message = max(1, parts_per_message)

    async def pace(self) -> None:
        """Wait ``chunk_delay`` (or just let others run)."""
        delay = self._settings.chunk_delay
        if delay > 0:
            await trio.sleep(delay)
        else:
            await trio.lowlevel.checkpoint()

    async def thought(self, text: str) -> None:
        """A thought summary part (``thought: true``)."""
        await self._out.emit(
            {"serverContent": {"modelTurn": {"parts": [{"text": text, "thought": True}]}}}
        )

    async def speak(self, text: str) -> int:
        """Stream ``text``; return its response tokens."""
        words = text.split(" ")
        n = self._settings.words_per_chunk
        chunks = [" ".join(words[i : i + n]) for i in range(0, len(words), n)]
        chunks = [c if i == 0 else " " + c for i, c in enumerate(chunks)]
        if self._config.modality == "TEXT":
            items = [({"text": chunk}, "") for chunk in chunks]
        else:
            items = self._audio_items(text, chunks)
        if self._per_message == 1:
            await self._one_part_each(items)
        else:
            await self._grouped(items)
        return sum(count_tokens(chunk) for chunk in chunks)

    def _audio_items(self, text: str, chunks: list[str]) -> list[tuple[dict[str, Any], str]]:
        """(inlineData part, transcript ending with it) for every 40 ms of speech."""
        char_ms = self._settings.output_char_ms
        pcm = synth(text, rate=OUTPUT_RATE, char_ms=char_ms)
        per_byte = 2 * max(8, round(OUTPUT_RATE * char_ms / 1000.0))
        piece = 2 * round(OUTPUT_RATE * AUDIO_CHUNK_SECONDS)
        transcribe = self._config.output_transcription
        items: list[tuple[dict[str, Any], str]] = []
        offset = 0
        for chunk in chunks:
            end = offset + len(chunk.encode("utf-8")) * per_byte
            segment = pcm[offset:end]
            offset = end
            starts = range(0, len(segment), piece)
            for start in starts:
                blob = {"mimeType": AUDIO_MIME, "data": b64encode(segment[start : start + piece])}
                last = start == starts[-1]
                items.append(({"inlineData": blob}, chunk if transcribe and last else ""))
        return items

    async def _one_part_each(self, items: list[tuple[dict[str, Any], str]]) -> None:
        for part, transcript in items:
            await self._out.emit({"serverContent": {"modelTurn": {"parts": [part]}}})
            await self.pace()
            if transcript:
                transcription = {"outputTranscription": {"text": transcript}}
                await self._out.emit({"serverContent": transcription})

    async def _grouped(self, items: list[tuple[dict[str, Any], str]]) -> None:
        size = self._per_message
        for start in range(0, len(items), size):
            group = items[start : start + size]
            content: dict[str, Any] = {"modelTurn": {"parts": [part for part, _ in group]}}
            transcript = "".join(text for _, text in group)
            if transcript:
                content["outputTranscription"] = {"text": transcript}
            await self._out.emit({"serverContent": content})
            await self.pace()
