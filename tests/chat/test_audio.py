"""WAV conversion for ``/audio`` and ``/save``: formats, channels, rates, bounds."""

from __future__ import annotations

import math
import sys
import wave
from array import array
from pathlib import Path

import pytest

from live_actor._chat_audio import (
    MAX_SECONDS,
    WavError,
    read_wav_for_live,
    resample,
    to_mono_s16,
    write_wav,
)


def le16(samples: list[int]) -> bytes:
    data = array("h", samples)
    if sys.byteorder == "big":
        data.byteswap()
    return data.tobytes()


def from_le16(data: bytes) -> list[int]:
    out = array("h", data)
    if sys.byteorder == "big":
        out.byteswap()
    return out.tolist()


def write(path: Path, frames: bytes, *, channels: int, width: int, rate: int) -> Path:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(width)
        wav.setframerate(rate)
        wav.writeframes(frames)
    return path


SAMPLES = [0, 1000, -1000, 32767, -32768, 12345, -54, 7]


def test_16k_mono_16_bit_is_unchanged(tmp_path: Path) -> None:
    path = write(tmp_path / "a.wav", le16(SAMPLES), channels=1, width=2, rate=16_000)
    assert from_le16(read_wav_for_live(path)) == SAMPLES


def test_sample_widths_map_to_16_bit() -> None:
    eight = bytes([128, 255, 0, 192])
    assert to_mono_s16(eight, 1, 1).tolist() == [0, 127 << 8, -128 << 8, 64 << 8]
    twenty_four = b"".join(v.to_bytes(3, "little", signed=True) for v in (0x123456, -0x123456))
    assert to_mono_s16(twenty_four, 1, 3).tolist() == [0x1234, -0x1235]
    thirty_two = b"".join(v.to_bytes(4, "little", signed=True) for v in (0x12345678, -(2**31)))
    assert to_mono_s16(thirty_two, 1, 4).tolist() == [0x1234, -32768]


def test_stereo_is_mixed_to_mono() -> None:
    assert to_mono_s16(le16([100, 300, -10, -30, 5, 6]), 2, 2).tolist() == [200, -20, 5]


def test_integer_ratio_downsampling_is_exact_on_repeated_samples(tmp_path: Path) -> None:
    repeated = [s for s in SAMPLES for _ in range(3)]
    path = write(tmp_path / "b.wav", le16(repeated), channels=1, width=2, rate=48_000)
    assert from_le16(read_wav_for_live(path)) == SAMPLES


def test_resampling_keeps_a_tone_and_the_duration() -> None:
    rate = 44_100
    tone = array("h", (round(8000 * math.sin(2 * math.pi * 440 * i / rate)) for i in range(rate)))
    out = resample(tone, rate, 16_000)
    assert len(out) == 16_000
    expected = [8000 * math.sin(2 * math.pi * 440 * i / 16_000) for i in range(16_000)]
    error = max(abs(a - b) for a, b in zip(out, expected, strict=True))
    assert error < 400  # a box filter at 440 Hz loses < 5 % amplitude
    up = resample(array("h", [0, 100]), 8_000, 16_000)
    assert up.tolist() == [0, 50, 100, 100]


def test_bad_files_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(WavError, match="no such file"):
        read_wav_for_live(tmp_path / "none.wav")
    mp3 = tmp_path / "x.mp3"
    mp3.write_bytes(b"ID3" + bytes(64))
    with pytest.raises(WavError, match="not a PCM WAV file"):
        read_wav_for_live(mp3)
    long = write(tmp_path / "long.wav", b"", channels=1, width=2, rate=8_000)
    with wave.open(str(long), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(1)
        wav.setframerate(1)
        wav.writeframes(bytes(MAX_SECONDS + 1))
    with pytest.raises(WavError, match="longer than"):
        read_wav_for_live(long)


def test_write_wav_is_24k_mono_16_bit(tmp_path: Path) -> None:
    write_wav(tmp_path / "o.wav", le16(SAMPLES) + b"\x01")  # odd byte dropped
    with wave.open(str(tmp_path / "o.wav"), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 24_000)
        assert from_le16(wav.readframes(100)) == SAMPLES
