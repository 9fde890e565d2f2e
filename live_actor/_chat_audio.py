"""WAV files in and out of the chat: any PCM WAV -> 16 kHz mono s16le, and 24 kHz replies -> WAV.

Why hand-written: ``audioop`` is gone in Python 3.13 and the Live API's formats
are fixed (16-bit little-endian mono, 16 kHz in, 24 kHz out), so a few dozen
lines of stdlib (``wave``, ``array``) cover it without a dependency.

Resampling: downsampling averages the source samples each output sample covers
(a box filter, enough against aliasing for speech); upsampling interpolates
linearly.  An integer ratio therefore maps equal runs of samples back exactly.
"""

from __future__ import annotations

import sys
import wave
from array import array
from pathlib import Path
from typing import Final

__all__ = [
    "INPUT_RATE",
    "MAX_SECONDS",
    "OUTPUT_RATE",
    "WavError",
    "read_wav_for_live",
    "resample",
    "to_mono_s16",
    "write_wav",
]

INPUT_RATE: Final = 16_000
OUTPUT_RATE: Final = 24_000
#: Longest WAV file accepted by ``/audio`` (keeps the converted buffer bounded).
MAX_SECONDS: Final = 600


class WavError(ValueError):
    """The file is not a PCM WAV file we can convert; the message says why."""


def _native(samples: array[int]) -> array[int]:
    # WAV is little-endian; array works in the machine's byte order.
    if sys.byteorder == "big":
        samples.byteswap()
    return samples


def to_mono_s16(frames: bytes, channels: int, width: int) -> array[int]:
    """Interleaved PCM of ``width`` bytes per sample -> signed 16-bit mono (channel mean)."""
    if width == 1:  # unsigned 8-bit
        samples = array("h", ((b - 128) << 8 for b in frames))
    elif width == 2:
        samples = _native(array("h", frames[: len(frames) - len(frames) % 2]))
    elif width == 3:
        samples = array(
            "h",
            (
                int.from_bytes(frames[i : i + 3], "little", signed=True) >> 8
                for i in range(0, len(frames) - 2, 3)
            ),
        )
    elif width == 4:
        wide = _native(array("i", frames[: len(frames) - len(frames) % 4]))
        samples = array("h", (s >> 16 for s in wide))
    else:
        raise WavError(f"{width * 8}-bit samples are not supported; use 8, 16, 24 or 32-bit PCM")
    if channels == 1:
        return samples
    count = len(samples) // channels
    return array(
        "h",
        (sum(samples[i * channels : (i + 1) * channels]) // channels for i in range(count)),
    )


def resample(samples: array[int], source_rate: int, target_rate: int) -> array[int]:
    """``samples`` at ``source_rate`` Hz, resampled to ``target_rate`` Hz."""
    if source_rate <= 0 or target_rate <= 0:
        raise WavError(f"invalid sample rate {source_rate} -> {target_rate}")
    if source_rate == target_rate or not samples:
        return array("h", samples)
    count = len(samples) * target_rate // source_rate
    last = len(samples) - 1
    out = array("h", bytes(2 * count))
    if source_rate > target_rate:
        for i in range(count):
            start = i * source_rate // target_rate
            stop = max(start + 1, (i + 1) * source_rate // target_rate)
            window = samples[start:stop]
            out[i] = round(sum(window) / len(window))
    else:
        for i in range(count):
            position = i * source_rate / target_rate
            j = int(position)
            here = samples[j]
            after = samples[j + 1] if j < last else here
            out[i] = round(here + (after - here) * (position - j))
    return out


def read_wav_for_live(path: str | Path) -> bytes:
    """A PCM WAV file as the Live API's input: 16 kHz mono signed 16-bit little-endian."""
    try:
        with wave.open(str(path), "rb") as wav:
            channels = wav.getnchannels()
            width = wav.getsampwidth()
            rate = wav.getframerate()
            frames_total = wav.getnframes()
            if rate <= 0 or channels <= 0:
                raise WavError(f"{path}: invalid header (rate {rate}, channels {channels})")
            if frames_total > MAX_SECONDS * rate:
                raise WavError(
                    f"{path}: {frames_total / rate:.0f} s is longer than the "
                    f"{MAX_SECONDS} s /audio accepts; cut it first"
                )
            frames = wav.readframes(frames_total)
    except FileNotFoundError:
        raise WavError(f"{path}: no such file") from None
    except (wave.Error, EOFError) as exc:
        raise WavError(
            f"{path}: not a PCM WAV file ({exc}); convert it first, e.g. "
            "ffmpeg -i in.mp3 -ac 1 -ar 16000 -sample_fmt s16 out.wav"
        ) from None
    except OSError as exc:
        raise WavError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    mono = to_mono_s16(frames, channels, width)
    return _native(resample(mono, rate, INPUT_RATE)).tobytes()


def write_wav(path: str | Path, pcm: bytes, rate: int = OUTPUT_RATE) -> None:
    """Write 16-bit little-endian mono PCM as a WAV file."""
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm[: len(pcm) - len(pcm) % 2])
