"""Deterministic "speech" for tests: text encoded into 16-bit PCM, and back.

Why: a fake server cannot run a real speech recogniser, yet tests must prove that
audio reached the model intact and in order.  So the fake defines its own tiny
"language" that is loud enough for the energy VAD to call it speech and exact enough
to decode back to text.

The scheme (documented; stable):

* PCM is signed 16-bit little-endian mono (any sample rate; 16 kHz in, 24 kHz out).
* Each byte ``b`` of the UTF-8 text is one *symbol*: ``char_ms`` milliseconds of a
  square wave (sign alternating every sample) with the constant magnitude
  ``4096 + 32*b + 16*(i % 2)`` where ``i`` is the byte's position.  The parity term
  makes consecutive symbols differ even for repeated bytes ("ll").
* Decoding groups consecutive samples of equal magnitude; every run of at least
  ``MIN_RUN`` samples whose magnitude is a valid symbol yields a byte.  Silence or
  other audio between runs separates utterances, which decode joined by one space.

Any chunking of the stream is fine as long as the chunks are concatenated in order
(which is exactly what tests want to verify).
"""

from __future__ import annotations

import itertools
import sys
from array import array
from typing import Final

__all__ = [
    "INPUT_RATE",
    "OUTPUT_RATE",
    "mean_abs",
    "silence",
    "speech",
    "tone",
    "transcribe",
]

INPUT_RATE: Final = 16_000
OUTPUT_RATE: Final = 24_000
BASE: Final = 4096
STEP: Final = 32
MIN_RUN: Final = 8
_LITTLE: Final = sys.byteorder == "little"


def _to_bytes(samples: array[int]) -> bytes:
    if not _LITTLE:  # pragma: no cover - big-endian hosts only
        samples = array("h", samples)
        samples.byteswap()
    return samples.tobytes()


def _from_bytes(pcm: bytes | bytearray | memoryview) -> array[int]:
    samples = array("h")
    usable = len(pcm) - (len(pcm) % 2)
    samples.frombytes(bytes(pcm[:usable]))
    if not _LITTLE:  # pragma: no cover
        samples.byteswap()
    return samples


def speech(text: str, *, rate: int = INPUT_RATE, char_ms: float = 20.0) -> bytes:
    """Synthesize PCM that the fake VAD hears as speech and the fake ASR decodes to ``text``.

    ``rate`` is the sample rate (16 kHz for input audio); ``char_ms`` the duration of
    one UTF-8 byte, so the utterance lasts ``len(text.encode()) * char_ms`` ms.
    Append :func:`silence` after it so automatic VAD can detect the end of speech.
    """
    per_symbol = max(MIN_RUN, round(rate * char_ms / 1000.0))
    samples = array("h")
    for i, byte in enumerate(text.encode("utf-8")):
        mag = BASE + STEP * byte + 16 * (i % 2)
        samples.extend((mag, -mag) * (per_symbol // 2))
        if per_symbol % 2:
            samples.append(mag)
    return _to_bytes(samples)


def silence(ms: float, *, rate: int = INPUT_RATE) -> bytes:
    """``ms`` milliseconds of digital silence (zeros)."""
    return bytes(2 * round(rate * ms / 1000.0))


def tone(ms: float, *, amplitude: int = 1000, rate: int = INPUT_RATE, hz: float = 440.0) -> bytes:
    """A square-ish tone of the given amplitude: sound that is not decodable speech.

    Useful to test VAD sensitivity (its mean absolute amplitude equals ``amplitude``).
    """
    n = round(rate * ms / 1000.0)
    half = max(1, round(rate / hz / 2))
    samples = array("h", (amplitude if (k // half) % 2 == 0 else -amplitude for k in range(n)))
    return _to_bytes(samples)


def mean_abs(pcm: bytes | bytearray | memoryview) -> float:
    """Mean absolute sample value: the energy measure of the fake VAD."""
    samples = _from_bytes(pcm)
    if not samples:
        return 0.0
    return sum(map(abs, samples)) / len(samples)


def transcribe(pcm: bytes | bytearray | memoryview) -> str:
    """Decode text embedded by :func:`speech`; returns ``""`` when there is none."""
    samples = _from_bytes(pcm)
    utterances: list[bytearray] = []
    current = bytearray()
    for mag, group in itertools.groupby(map(abs, samples)):
        length = sum(1 for _ in group)
        offset = mag - BASE
        if length >= MIN_RUN and offset >= 0 and offset % 16 == 0 and offset < STEP * 256:
            current.append(offset // STEP)
        elif length >= MIN_RUN and current:
            utterances.append(current)
            current = bytearray()
    if current:
        utterances.append(current)
    return " ".join(u.decode("utf-8", "replace") for u in utterances)
